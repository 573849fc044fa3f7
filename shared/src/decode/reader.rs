//! The byte cursor under the planned decoder: Avro's primitive encodings read straight from a
//! borrowed body, with every length and index checked, so malformed input is an error and never
//! a panic.

use super::row::Span;

/// What is wrong with the bytes at the point a field was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The body ends before the field does.
    #[error("the body ends before the field does")]
    Truncated,
    /// A variable-length integer runs past the ten bytes a `long` can take.
    #[error("a variable-length integer runs past ten bytes")]
    BadVarint,
    /// An `int` holds a value outside the 32-bit range.
    #[error("int value {0} is outside the 32-bit range")]
    IntOutOfRange(i64),
    /// A string, bytes or length prefix is negative.
    #[error("length {0} is negative")]
    NegativeLength(i64),
    /// A string is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A boolean byte other than 0 or 1.
    #[error("boolean byte is 0x{0:02x}, expected 0x00 or 0x01")]
    BadBool(u8),
    /// A union branch index the writer schema does not have.
    #[error("union branch {index} does not exist (the union has {branches})")]
    BadUnionIndex {
        /// The index read.
        index: i64,
        /// How many branches the union has.
        branches: usize,
    },
    /// An enum index the writer schema does not have.
    #[error("enum index {index} does not exist (the enum has {symbols} symbols)")]
    BadEnumIndex {
        /// The index read.
        index: i64,
        /// How many symbols the enum has.
        symbols: usize,
    },
    /// Values nest deeper than the decoder follows (records, arrays, maps and unions).
    #[error("values nest deeper than {0} levels")]
    TooDeep(usize),
    /// Arrays announce more items that take no bytes (nulls, empty records) than one body may.
    #[error("arrays announce more than {0} items that take no bytes")]
    TooManyItems(usize),
}

/// Reads Avro primitives from a body, front to back.
#[derive(Debug, Clone)]
pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// The whole buffer, read or not.
    pub(super) fn buf(&self) -> &'a [u8] {
        self.buf
    }

    /// The bytes not read yet.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Moves on by `n` bytes, which the caller has consumed from [`Cursor::rest`].
    pub(super) fn skip(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
    }

    /// Avro `long`: a little-endian base-128 varint of the zig-zag encoding. Lengths, branch
    /// indexes and small numbers take one byte, which is read without entering the loop.
    #[inline(always)]
    pub(super) fn long(&mut self) -> Result<i64, Fault> {
        let first = *self.buf.get(self.pos).ok_or(Fault::Truncated)?;
        if first < 0x80 {
            self.pos += 1;
            return Ok(unzig(u64::from(first)));
        }
        self.long_multi_byte()
    }

    #[inline(never)]
    fn long_multi_byte(&mut self) -> Result<i64, Fault> {
        let mut value = 0u64;
        let mut shift = 0;
        while shift < 70 {
            let byte = *self.buf.get(self.pos).ok_or(Fault::Truncated)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(unzig(value));
            }
            shift += 7;
        }
        Err(Fault::BadVarint)
    }

    /// Avro `int`: a `long` that must fit 32 bits.
    #[inline(always)]
    pub(super) fn int(&mut self) -> Result<i32, Fault> {
        let value = self.long()?;
        i32::try_from(value).map_err(|_| Fault::IntOutOfRange(value))
    }

    #[inline(always)]
    pub(super) fn boolean(&mut self) -> Result<bool, Fault> {
        match self.take_array::<1>()? {
            [0] => Ok(false),
            [1] => Ok(true),
            [other] => Err(Fault::BadBool(other)),
        }
    }

    #[inline(always)]
    pub(super) fn float(&mut self) -> Result<f32, Fault> {
        self.take_array().map(f32::from_le_bytes)
    }

    #[inline(always)]
    pub(super) fn double(&mut self) -> Result<f64, Fault> {
        self.take_array().map(f64::from_le_bytes)
    }

    /// Avro `bytes`: a `long` length, then that many bytes.
    #[inline(always)]
    pub(super) fn bytes(&mut self) -> Result<Span, Fault> {
        let len = self.long()?;
        let len = usize::try_from(len).map_err(|_| Fault::NegativeLength(len))?;
        self.span(len)
    }

    /// Avro `string`: `bytes` that are valid UTF-8.
    #[inline(always)]
    pub(super) fn string(&mut self) -> Result<Span, Fault> {
        let span = self.bytes()?;
        if is_utf8(span.of(self.buf)) {
            Ok(span)
        } else {
            Err(Fault::InvalidUtf8)
        }
    }

    /// The next `len` bytes, as a span of the body.
    #[inline(always)]
    pub(super) fn span(&mut self, len: usize) -> Result<Span, Fault> {
        let end = self.pos.checked_add(len).ok_or(Fault::Truncated)?;
        if end > self.buf.len() {
            return Err(Fault::Truncated);
        }
        let span = Span::new(self.pos, end);
        self.pos = end;
        Ok(span)
    }

    /// A union branch or enum index: a `long` below `count`.
    #[inline(always)]
    pub(super) fn index(&mut self, count: usize) -> Result<Result<usize, i64>, Fault> {
        let raw = self.long()?;
        Ok(usize::try_from(raw).ok().filter(|i| *i < count).ok_or(raw))
    }

    #[inline(always)]
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Fault> {
        let bytes = self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
            .ok_or(Fault::Truncated)?;
        self.pos += N;
        Ok(*bytes)
    }
}

/// Zig-zag decoding: 0, 1, 2, 3, … stand for 0, -1, 1, -2, ….
#[inline(always)]
fn unzig(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// UTF-8 validation with a fast path for ASCII (see [`high_bits`]); other text goes to the
/// standard library's validator.
#[inline(always)]
fn is_utf8(bytes: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    high_bits(bytes) & HIGH == 0 || std::str::from_utf8(bytes).is_ok()
}

/// The OR of all bytes of `bytes`, folded into a `u64` (byte order aside): its high bits are
/// clear exactly when the text is ASCII. Eight bytes per 64-bit load, the tail covered by one
/// more, overlapping load instead of a loop over bytes. Natively the loop vectorises; in the
/// browser it is compiled with WebAssembly SIMD so that it does there too (every current
/// browser runs SIMD).
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn high_bits(bytes: &[u8]) -> u64 {
    match bytes.last_chunk::<8>() {
        Some(last) => {
            let mut high = u64::from_le_bytes(*last);
            for chunk in bytes.chunks_exact(8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                high |= u64::from_le_bytes(word);
            }
            high
        }
        None => bytes.iter().fold(0u64, |acc, b| acc | u64::from(*b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longs_decode_zig_zag_varints() {
        let cases: [(&[u8], i64); 6] = [
            (&[0], 0),
            (&[1], -1),
            (&[2], 1),
            (&[0x7f], -64),
            (&[0x80, 0x01], 64),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                i64::MIN,
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(Cursor::new(bytes).long(), Ok(want), "{bytes:?}");
        }
    }

    #[test]
    fn overlong_and_cut_varints_fail() {
        assert_eq!(Cursor::new(&[0x80; 11]).long(), Err(Fault::BadVarint));
        assert_eq!(Cursor::new(&[0x80, 0x80]).long(), Err(Fault::Truncated));
        assert_eq!(Cursor::new(&[]).long(), Err(Fault::Truncated));
    }

    #[test]
    fn ints_must_fit_32_bits() {
        // 2^31 zig-zagged is 2^32: varint 80 80 80 80 10.
        let bytes = [0x80, 0x80, 0x80, 0x80, 0x10];
        assert_eq!(
            Cursor::new(&bytes).int(),
            Err(Fault::IntOutOfRange(1 << 31))
        );
    }

    #[test]
    fn strings_are_checked_for_length_and_utf8() {
        assert_eq!(Cursor::new(&[1]).string(), Err(Fault::NegativeLength(-1)));
        assert_eq!(Cursor::new(&[4, b'a']).string(), Err(Fault::Truncated));
        assert_eq!(Cursor::new(&[4, 0xc3]).string(), Err(Fault::Truncated));
        assert_eq!(Cursor::new(&[2, 0xff]).string(), Err(Fault::InvalidUtf8));
        let text = "ascii then ünïcode, long enough for two chunks";
        let mut bytes = vec![(text.len() * 2) as u8];
        bytes.extend_from_slice(text.as_bytes());
        let span = Cursor::new(&bytes).string();
        assert_eq!(span.map(|s| s.of(&bytes)), Ok(text.as_bytes()));
    }

    #[test]
    fn utf8_check_agrees_with_the_standard_library() {
        let samples: [&[u8]; 7] = [
            b"",
            b"plain ascii text, 8+ bytes",
            "ünïcode".as_bytes(),
            &[0x61; 9],
            &[0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0xe2, 0x82],
            &[0xed, 0xa0, 0x80],
            &[0xf0, 0x9f, 0x98, 0x80],
        ];
        for s in samples {
            assert_eq!(is_utf8(s), std::str::from_utf8(s).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn booleans_are_zero_or_one() {
        assert_eq!(Cursor::new(&[1]).boolean(), Ok(true));
        assert_eq!(Cursor::new(&[2]).boolean(), Err(Fault::BadBool(2)));
        assert_eq!(Cursor::new(&[]).boolean(), Err(Fault::Truncated));
    }
}
