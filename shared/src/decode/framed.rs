//! Confluent-framed records: the header first, then the body with its own writer schema. Every
//! way a record value can fail is a [`PoisonReason`], for counting and showing, never a panic.

use super::{Decoder, Row};
use crate::wire::{Frame, FrameError, HEADER_LEN};
use crate::SchemaId;
use apache_avro::Schema;
use std::fmt;

/// Why a record value is a poison pill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoisonReason {
    /// Fewer than five bytes (an empty or null value included).
    TooShort {
        /// The value's length.
        len: usize,
    },
    /// The first byte is not the Confluent magic byte `0x00`.
    WrongMagic {
        /// The byte found.
        found: u8,
    },
    /// The schema id in the header is not a known writer schema.
    UnknownSchemaId {
        /// The id.
        id: SchemaId,
    },
    /// The body does not decode with the writer schema (or that schema is not usable Avro).
    Undecodable {
        /// The writer schema's id.
        id: SchemaId,
        /// What the decoder said.
        detail: String,
    },
}

impl PoisonReason {
    /// Every kind, as [`PoisonReason::kind`] names them, in a fixed order.
    pub const KINDS: [&'static str; 4] = [
        "too_short",
        "wrong_magic",
        "unknown_schema_id",
        "undecodable",
    ];

    /// A stable name for counting and for the dead-letter header.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::WrongMagic { .. } => "wrong_magic",
            Self::UnknownSchemaId { .. } => "unknown_schema_id",
            Self::Undecodable { .. } => "undecodable",
        }
    }
}

impl fmt::Display for PoisonReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(
                f,
                "{len} bytes long; a Confluent-framed record needs at least {HEADER_LEN}"
            ),
            Self::WrongMagic { found } => write!(f, "magic byte is 0x{found:02x}, expected 0x00"),
            Self::UnknownSchemaId { id } => {
                write!(f, "schema id {id} is not known to the registry")
            }
            Self::Undecodable { id, detail } => {
                write!(f, "body does not decode with schema id {id}: {detail}")
            }
        }
    }
}

impl std::error::Error for PoisonReason {}

impl From<FrameError> for PoisonReason {
    fn from(error: FrameError) -> Self {
        match error {
            FrameError::TooShort { len } => Self::TooShort { len },
            FrameError::BadMagic { found } => Self::WrongMagic { found },
        }
    }
}

/// The writer schemas known so far, each with its planned decoder.
///
/// Lookups scan a short list from the newest schema back: a topic holds a handful of writer
/// schemas, and records of the newest one cost one comparison each.
#[derive(Debug, Clone, Default)]
pub struct Writers {
    decoders: Vec<(SchemaId, Decoder)>,
}

/// A record that decoded: its header, its body, and the decoder that can show its row.
#[derive(Debug, Clone, Copy)]
pub struct Framed<'a, 'w> {
    /// The writer schema's id.
    pub schema_id: SchemaId,
    /// The Avro body the row's spans point into.
    pub body: &'a [u8],
    /// The writer schema's decoder, for column names, text and JSON.
    pub decoder: &'w Decoder,
}

impl Writers {
    /// No writer schemas yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the writer schema of `id`.
    pub fn insert(&mut self, id: SchemaId, schema: &Schema) {
        let decoder = Decoder::new(schema);
        match self.decoders.iter_mut().find(|(known, _)| *known == id) {
            Some(slot) => slot.1 = decoder,
            None => self.decoders.push((id, decoder)),
        }
    }

    /// The decoder of `id`, if its writer schema is known.
    pub fn get(&self, id: SchemaId) -> Option<&Decoder> {
        self.decoders
            .iter()
            .rev()
            .find(|(known, _)| *known == id)
            .map(|(_, decoder)| decoder)
    }

    /// Decodes a record value into `row`, or says why it is a poison pill.
    pub fn decode<'a>(
        &self,
        bytes: &'a [u8],
        row: &mut Row,
    ) -> Result<Framed<'a, '_>, PoisonReason> {
        let frame = Frame::parse(bytes)?;
        let id = frame.schema_id;
        let decoder = self.get(id).ok_or(PoisonReason::UnknownSchemaId { id })?;
        decoder
            .decode(frame.body, row)
            .map_err(|e| PoisonReason::Undecodable {
                id,
                detail: e.to_string(),
            })?;
        Ok(Framed {
            schema_id: id,
            body: frame.body,
            decoder,
        })
    }
}
