//! The fuzzer's pseudo-random numbers: splitmix64, seeded, so a seed replays the same inputs.
//!
//! Written out rather than taken from `rand`: a run is fixed by its seed and this file alone,
//! whatever a dependency upgrade changes.

/// A splitmix64 stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 => 0,
            n => (self.next_u64() % n as u64) as usize,
        }
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// One of `items`, or `None` when there are none.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    /// A small number, most often 0 or 1, sometimes up to `max`: sizes of things.
    pub fn small(&mut self, max: usize) -> usize {
        match self.below(4) {
            0 => 0,
            1 => 1,
            2 => self.below(4.min(max + 1)),
            _ => self.below(max + 1),
        }
    }

    /// An integer a fuzzer should try: edges of every width, small numbers, or any bits.
    pub fn interesting_i64(&mut self) -> i64 {
        const EDGES: [i64; 14] = [
            0,
            1,
            -1,
            63,
            64,
            -65,
            127,
            128,
            i32::MAX as i64,
            i32::MIN as i64,
            1 << 31,
            u32::MAX as i64,
            i64::MAX,
            i64::MIN,
        ];
        match self.below(3) {
            0 => EDGES[self.below(EDGES.len())],
            1 => self.below(256) as i64 - 128,
            _ => self.next_u64() as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_its_stream() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
    }

    #[test]
    fn below_stays_below() {
        let mut rng = Rng::new(1);
        assert!((0..1000).all(|_| rng.below(3) < 3));
        assert_eq!(rng.below(0), 0);
    }
}
