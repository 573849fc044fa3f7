//! Poison pills: bytes on a topic that are not valid Confluent-framed Avro, and how to make
//! each kind from a valid record.
//!
//! The generator has no Avro encoder (`shared` stays free of one by default), so it only says
//! *where* a poison pill goes and of which kind; the producer encodes a valid click and passes
//! its bytes through [`poison`].

use crate::ids::SchemaId;
use crate::wire::{Frame, FrameError};
use serde::{Deserialize, Serialize};

/// The byte a wrong-magic pill starts with: `{`, as if JSON had been produced to an Avro topic,
/// the usual way this happens in practice.
pub const WRONG_MAGIC: u8 = b'{';

/// The kinds of poison pill the generator injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoisonKind {
    /// The first byte is [`WRONG_MAGIC`] instead of `0x00`: [`Frame::parse`] refuses it.
    WrongMagic,
    /// Framed correctly, but the schema id is one the registry does not know.
    UnknownSchemaId,
    /// Framed correctly, but the Avro body stops halfway, so decoding runs out of bytes.
    Truncated,
}

impl PoisonKind {
    /// All kinds, in a fixed order.
    pub const ALL: [PoisonKind; 3] = [
        PoisonKind::WrongMagic,
        PoisonKind::UnknownSchemaId,
        PoisonKind::Truncated,
    ];
}

/// Why a record could not be turned into a poison pill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoisonError {
    /// The bytes given were not a framed record to begin with.
    #[error("cannot make a poison pill from bytes that are not framed: {0}")]
    NotFramed(#[from] FrameError),
    /// A truncated pill needs a body to cut; an empty body cannot be cut any shorter.
    #[error("cannot truncate a record whose Avro body is empty")]
    EmptyBody,
}

/// Turns the bytes of a valid framed record into a poison pill of `kind`.
///
/// - [`PoisonKind::WrongMagic`]: the same bytes with the first one replaced by [`WRONG_MAGIC`].
/// - [`PoisonKind::UnknownSchemaId`]: the same bytes with the id replaced by `unknown_id`
///   (big-endian), which the caller picks so that the registry does not know it.
/// - [`PoisonKind::Truncated`]: the header and the first half of the body (rounded down). It
///   is always at least [`HEADER_LEN`](crate::wire::HEADER_LEN) bytes, so it passes
///   [`Frame::parse`] and fails later, in the Avro decoder: decoding a strict prefix of a
///   record's body with its writer schema runs out of bytes before the last field. (Records
///   shorter than the header fail as [`FrameError::TooShort`] instead, which any short garbage
///   already exercises.)
pub fn poison(
    kind: PoisonKind,
    framed: &[u8],
    unknown_id: SchemaId,
) -> Result<Vec<u8>, PoisonError> {
    let frame = Frame::parse(framed)?;
    let mut out = Vec::with_capacity(framed.len());
    match kind {
        PoisonKind::WrongMagic => {
            frame.write_to(&mut out);
            if let Some(magic) = out.first_mut() {
                *magic = WRONG_MAGIC;
            }
        }
        PoisonKind::UnknownSchemaId => Frame {
            schema_id: unknown_id,
            body: frame.body,
        }
        .write_to(&mut out),
        PoisonKind::Truncated => {
            if frame.body.is_empty() {
                return Err(PoisonError::EmptyBody);
            }
            Frame {
                body: &frame.body[..frame.body.len() / 2],
                ..frame
            }
            .write_to(&mut out);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::HEADER_LEN;

    fn record(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Frame {
            schema_id: SchemaId(3),
            body,
        }
        .write_to(&mut out);
        out
    }

    #[test]
    fn wrong_magic_is_refused_by_the_framing() {
        let valid = record(b"\x08clk1\x08imp1");
        let pill =
            poison(PoisonKind::WrongMagic, &valid, SchemaId(999)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pill.len(), valid.len());
        assert_eq!(pill[1..], valid[1..]);
        assert_eq!(
            Frame::parse(&pill),
            Err(FrameError::BadMagic { found: WRONG_MAGIC })
        );
    }

    #[test]
    fn unknown_id_keeps_the_body_and_names_the_id() {
        let valid = record(b"\x08clk1\x08imp1");
        let pill = poison(PoisonKind::UnknownSchemaId, &valid, SchemaId(0xdead_beef))
            .unwrap_or_else(|e| panic!("{e}"));
        let frame = Frame::parse(&pill).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(frame.schema_id, SchemaId(0xdead_beef));
        assert_eq!(frame.body, &valid[HEADER_LEN..]);
    }

    #[test]
    fn truncated_keeps_the_header_and_a_strict_prefix_of_the_body() {
        for body_len in 1..20 {
            let body: Vec<u8> = (0..body_len).collect();
            let valid = record(&body);
            let pill = poison(PoisonKind::Truncated, &valid, SchemaId(999))
                .unwrap_or_else(|e| panic!("{e}"));
            let frame = Frame::parse(&pill).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(frame.schema_id, SchemaId(3));
            assert!(frame.body.len() < body.len(), "body of {body_len} not cut");
            assert!(body.starts_with(frame.body));
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for kind in PoisonKind::ALL {
            assert_eq!(
                poison(kind, &[0, 0], SchemaId(1)),
                Err(PoisonError::NotFramed(FrameError::TooShort { len: 2 }))
            );
            assert!(matches!(
                poison(kind, &[7, 0, 0, 0, 1, 2], SchemaId(1)),
                Err(PoisonError::NotFramed(FrameError::BadMagic { found: 7 }))
            ));
        }
        assert_eq!(
            poison(PoisonKind::Truncated, &record(b""), SchemaId(1)),
            Err(PoisonError::EmptyBody)
        );
    }
}
