//! The Confluent wire format: one magic byte `0x00`, a big-endian `u32` schema id, then the Avro
//! binary body with no container header.
//!
//! Anything else is a poison pill; [`Frame::parse`] says which kind, so callers can count and show
//! it instead of failing.

use crate::ids::SchemaId;

/// The only magic byte the Confluent framing defines.
pub const MAGIC: u8 = 0;
/// Bytes before the Avro body: magic byte plus schema id.
pub const HEADER_LEN: usize = 5;

/// A record value split into its schema id and Avro body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The writer schema's id in the registry.
    pub schema_id: SchemaId,
    /// The Avro binary encoding of the record.
    pub body: &'a [u8],
}

/// Why bytes are not a Confluent-framed record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer than five bytes: no room for the header.
    #[error("record is {len} bytes long; a Confluent-framed record needs at least {HEADER_LEN}")]
    TooShort {
        /// Length of the record.
        len: usize,
    },
    /// The first byte is not `0x00`.
    #[error("magic byte is 0x{found:02x}, expected 0x00")]
    BadMagic {
        /// The byte that was found.
        found: u8,
    },
}

impl<'a> Frame<'a> {
    /// Splits `bytes` into schema id and body, or says why they are not framed.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FrameError> {
        let (header, body) = match bytes.split_first_chunk::<HEADER_LEN>() {
            Some(split) => split,
            None => return Err(FrameError::TooShort { len: bytes.len() }),
        };
        let [magic, id @ ..] = *header;
        if magic != MAGIC {
            return Err(FrameError::BadMagic { found: magic });
        }
        Ok(Self {
            schema_id: SchemaId(u32::from_be_bytes(id)),
            body,
        })
    }

    /// Appends the framed record (header then body) to `out`, reusing its allocation.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(HEADER_LEN + self.body.len());
        out.push(MAGIC);
        out.extend_from_slice(&self.schema_id.0.to_be_bytes());
        out.extend_from_slice(self.body);
    }
}

/// Two lowercase hex digits per byte, nothing between them (`00ff1a`).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_magic_then_big_endian_id() {
        let mut out = Vec::new();
        Frame {
            schema_id: SchemaId(0x0102_0304),
            body: b"xy",
        }
        .write_to(&mut out);
        assert_eq!(out, [0, 1, 2, 3, 4, b'x', b'y']);
    }

    #[test]
    fn parse_inverts_write() {
        let mut out = Vec::new();
        let frame = Frame {
            schema_id: SchemaId(7),
            body: &[9, 8, 7],
        };
        frame.write_to(&mut out);
        assert_eq!(Frame::parse(&out), Ok(frame));
    }

    #[test]
    fn empty_body_is_still_a_frame() {
        assert_eq!(
            Frame::parse(&[0, 0, 0, 0, 1]),
            Ok(Frame {
                schema_id: SchemaId(1),
                body: &[]
            })
        );
    }

    #[test]
    fn poison_pills_are_named() {
        assert_eq!(
            Frame::parse(&[0, 0, 1]),
            Err(FrameError::TooShort { len: 3 })
        );
        assert_eq!(Frame::parse(&[]), Err(FrameError::TooShort { len: 0 }));
        assert_eq!(
            Frame::parse(&[0x7b, 0, 0, 0, 1, 2]),
            Err(FrameError::BadMagic { found: 0x7b })
        );
    }
}
