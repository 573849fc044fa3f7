//! Byte-level mutations shared by every target: flips, inserts, deletions, splices, and Avro
//! varints of edge values dropped in where lengths, indexes and counts usually sit.

use crate::rng::Rng;

/// Applies one to four random mutations to `bytes`; `donor` is another input to splice from.
pub fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, donor: &[u8]) {
    for _ in 0..=rng.below(4) {
        mutate_once(rng, bytes, donor);
    }
}

fn mutate_once(rng: &mut Rng, bytes: &mut Vec<u8>, donor: &[u8]) {
    let len = bytes.len();
    match rng.below(10) {
        0 if len > 0 => {
            let at = rng.below(len);
            bytes[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            bytes[at] = rng.byte();
        }
        2 => {
            let at = rng.below(len + 1);
            let extra: Vec<u8> = (0..=rng.small(8)).map(|_| rng.byte()).collect();
            bytes.splice(at..at, extra);
        }
        3 if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.small(8)).min(len);
            bytes.drain(at..end);
        }
        4 => bytes.truncate(rng.below(len + 1)),
        5 if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.small(16)).min(len);
            let copy = bytes[at..end].to_vec();
            let to = rng.below(len + 1);
            bytes.splice(to..to, copy);
        }
        6 if !donor.is_empty() => {
            let from = rng.below(donor.len());
            let end = (from + 1 + rng.small(32)).min(donor.len());
            let at = rng.below(len + 1);
            bytes.splice(at..at, donor[from..end].iter().copied());
        }
        7 | 8 => {
            let at = rng.below(len + 1);
            let varint = zigzag_varint(rng.interesting_i64());
            if rng.one_in(2) && at < len {
                // Overwrite a varint-sized stretch: replaces a length or an index in place.
                let end = (at + varint.len()).min(len);
                bytes.splice(at..end, varint);
            } else {
                bytes.splice(at..at, varint);
            }
        }
        _ => bytes.push(rng.byte()),
    }
}

/// The Avro encoding of a `long`: zig-zag, then little-endian base-128.
pub fn zigzag_varint(n: i64) -> Vec<u8> {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    let mut out = Vec::with_capacity(10);
    loop {
        if z < 0x80 {
            out.push(z as u8);
            return out;
        }
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
}

/// Random bytes, up to `max` of them.
pub fn noise(rng: &mut Rng, max: usize) -> Vec<u8> {
    (0..rng.below(max + 1)).map(|_| rng.byte()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_avro_longs() {
        assert_eq!(zigzag_varint(0), [0]);
        assert_eq!(zigzag_varint(-1), [1]);
        assert_eq!(zigzag_varint(1), [2]);
        assert_eq!(zigzag_varint(64), [0x80, 0x01]);
        assert_eq!(zigzag_varint(i64::MIN).len(), 10);
    }

    #[test]
    fn mutations_repeat_for_a_seed() {
        let run = || {
            let mut rng = Rng::new(3);
            let mut bytes = b"hello, world".to_vec();
            for _ in 0..50 {
                mutate(&mut rng, &mut bytes, b"donor");
            }
            bytes
        };
        assert_eq!(run(), run());
    }
}
