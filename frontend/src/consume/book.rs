//! The tail's memory, socket-free: raw records decoded in the page with the writer schema their
//! header names, kept in a bounded ring, counted, and classified as poison pills when they do
//! not decode. Pure; tested natively.
//!
//! A record whose schema id has not been seen waits — with every record after it, so order is
//! kept — until the page has asked the bridge for that schema once; each schema is asked for
//! once and kept.

use apache_avro::types::Value;
use apache_avro::{from_avro_datum, Schema};
use shared::protocol::SubjectVersion;
use shared::tail::RawRecord;
use shared::wire::{Frame, FrameError};
use shared::SchemaId;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// Rows kept for the table and the inspector; older ones make room.
pub const KEEP: usize = 5_000;

/// Why a record is a poison pill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poison {
    /// Fewer than five bytes (a null value included).
    TooShort {
        /// The value's length.
        len: usize,
    },
    /// The first byte is not `0x00`.
    WrongMagic {
        /// The byte found.
        found: u8,
    },
    /// The registry has no schema with the header's id.
    UnknownSchemaId {
        /// The id.
        id: SchemaId,
    },
    /// The body does not decode with its writer schema.
    Undecodable {
        /// The writer schema's id.
        id: SchemaId,
        /// What the decoder said.
        detail: String,
    },
    /// The writer schema could not be fetched (the registry did not answer).
    SchemaUnavailable {
        /// The id.
        id: SchemaId,
        /// Why.
        why: String,
    },
}

impl Poison {
    /// Every kind, as [`Poison::kind`] names them.
    pub const KINDS: [&'static str; 5] = [
        "too_short",
        "wrong_magic",
        "unknown_schema_id",
        "undecodable",
        "schema_unavailable",
    ];

    /// A stable name, for counting and for tests.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::WrongMagic { .. } => "wrong_magic",
            Self::UnknownSchemaId { .. } => "unknown_schema_id",
            Self::Undecodable { .. } => "undecodable",
            Self::SchemaUnavailable { .. } => "schema_unavailable",
        }
    }

    /// What a person reads.
    pub fn describe(&self) -> String {
        match self {
            Self::TooShort { len } => {
                format!("too short: {len} bytes, a Confluent frame needs at least 5")
            }
            Self::WrongMagic { found } => format!("wrong magic byte 0x{found:02x} (expected 0x00)"),
            Self::UnknownSchemaId { id } => format!("schema id {id} is unknown to the registry"),
            Self::Undecodable { id, detail } => {
                format!("body does not decode with schema {id}: {detail}")
            }
            Self::SchemaUnavailable { id, why } => {
                format!("schema {id} could not be fetched: {why}")
            }
        }
    }
}

/// A record as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Arrival order, from 1.
    pub seq: u64,
    /// The record as read.
    pub record: Arc<RawRecord>,
    /// What decoding made of it.
    pub outcome: Outcome,
}

/// A record decoded, or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The fields, in the writer schema's order.
    Decoded {
        /// The writer schema's id.
        id: SchemaId,
        /// Field names and values.
        fields: Arc<Vec<(String, Value)>>,
    },
    /// A poison pill.
    Poison(Poison),
}

/// What became of a schema id the tail met.
#[derive(Debug, Clone)]
pub enum Writer {
    /// Asked for; records wait.
    Fetching,
    /// Known.
    Known {
        /// The parsed schema.
        schema: Arc<Schema>,
        /// Its text as registered.
        text: String,
        /// Subject versions registered with it.
        versions: Vec<SubjectVersion>,
    },
    /// The registry does not have it.
    Missing,
    /// It could not be fetched or parsed.
    Failed(String),
}

/// Totals since the tail started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records received.
    pub received: u64,
    /// Records decoded.
    pub decoded: u64,
    /// Poison pills by [`Poison::kind`].
    pub poison: BTreeMap<&'static str, u64>,
    /// Value bytes received.
    pub bytes: u64,
}

impl Counts {
    /// Poison pills of every kind.
    pub fn poison_total(&self) -> u64 {
        self.poison.values().sum()
    }
}

/// The tail's state.
#[derive(Debug, Default)]
pub struct TailBook {
    rows: VecDeque<Row>,
    writers: HashMap<SchemaId, Writer>,
    waiting: VecDeque<RawRecord>,
    columns: Vec<String>,
    /// Writer schemas whose fields are already among the columns.
    columned: Vec<SchemaId>,
    counts: Counts,
    next_seq: u64,
}

impl TailBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes records in arrival order; returns the schema ids the page should fetch now (each
    /// is returned once).
    pub fn feed(&mut self, records: impl IntoIterator<Item = RawRecord>) -> Vec<SchemaId> {
        let mut fetch = Vec::new();
        for record in records {
            self.counts.received += 1;
            self.counts.bytes += record.value.as_ref().map_or(0, |v| v.len() as u64);
            if let Some(id) = self.unknown_id(&record) {
                self.writers.insert(id, Writer::Fetching);
                fetch.push(id);
            }
            if self.waiting.is_empty() && self.ready(&record) {
                self.settle(record);
            } else {
                self.waiting.push_back(record);
            }
        }
        fetch
    }

    /// Records the answer for schema `id` and settles the records that waited for it.
    pub fn schema_arrived(&mut self, id: SchemaId, writer: Writer) {
        self.writers.insert(id, writer);
        while let Some(front) = self.waiting.front() {
            if !self.ready(front) {
                break;
            }
            if let Some(record) = self.waiting.pop_front() {
                self.settle(record);
            }
        }
    }

    /// The header's schema id when the book has never met it.
    fn unknown_id(&self, record: &RawRecord) -> Option<SchemaId> {
        let frame = Frame::parse(record.value.as_deref().unwrap_or_default()).ok()?;
        (!self.writers.contains_key(&frame.schema_id)).then_some(frame.schema_id)
    }

    /// Whether the record can be settled now (its schema, if it needs one, is not being fetched).
    fn ready(&self, record: &RawRecord) -> bool {
        match Frame::parse(record.value.as_deref().unwrap_or_default()) {
            Ok(frame) => !matches!(self.writers.get(&frame.schema_id), Some(Writer::Fetching)),
            Err(_) => true,
        }
    }

    fn settle(&mut self, record: RawRecord) {
        let outcome = self.decode(record.value.as_deref().unwrap_or_default());
        match &outcome {
            Outcome::Decoded { id, fields } => {
                self.counts.decoded += 1;
                if !self.columned.contains(id) {
                    self.columned.push(*id);
                    for (name, _) in fields.iter() {
                        if !self.columns.iter().any(|c| c == name) {
                            self.columns.push(name.clone());
                        }
                    }
                }
            }
            Outcome::Poison(p) => *self.counts.poison.entry(p.kind()).or_default() += 1,
        }
        self.next_seq += 1;
        if self.rows.len() == KEEP {
            self.rows.pop_front();
        }
        self.rows.push_back(Row {
            seq: self.next_seq,
            record: Arc::new(record),
            outcome,
        });
    }

    fn decode(&self, value: &[u8]) -> Outcome {
        let frame = match Frame::parse(value) {
            Ok(frame) => frame,
            Err(FrameError::TooShort { len }) => return Outcome::Poison(Poison::TooShort { len }),
            Err(FrameError::BadMagic { found }) => {
                return Outcome::Poison(Poison::WrongMagic { found })
            }
        };
        let id = frame.schema_id;
        match self.writers.get(&id) {
            Some(Writer::Known { schema, .. }) => match decode_body(schema, frame.body) {
                Ok(fields) => Outcome::Decoded {
                    id,
                    fields: Arc::new(fields),
                },
                Err(detail) => Outcome::Poison(Poison::Undecodable { id, detail }),
            },
            Some(Writer::Missing) => Outcome::Poison(Poison::UnknownSchemaId { id }),
            Some(Writer::Failed(why)) => Outcome::Poison(Poison::SchemaUnavailable {
                id,
                why: why.clone(),
            }),
            Some(Writer::Fetching) | None => Outcome::Poison(Poison::SchemaUnavailable {
                id,
                why: "not fetched yet".into(),
            }),
        }
    }

    /// The rows kept, oldest first.
    pub fn rows(&self) -> &VecDeque<Row> {
        &self.rows
    }

    /// Every field name met, in order of first appearance (v2's new fields come last).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Totals so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Records waiting for a schema.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// What is known of schema `id`.
    pub fn writer(&self, id: SchemaId) -> Option<&Writer> {
        self.writers.get(&id)
    }
}

/// Decodes an Avro body into its top-level fields; the whole body must be used.
pub fn decode_body(schema: &Schema, body: &[u8]) -> Result<Vec<(String, Value)>, String> {
    let mut rest = body;
    let value = from_avro_datum(schema, &mut rest, None).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} bytes left over after the record", rest.len()));
    }
    Ok(match value {
        Value::Record(fields) => fields,
        other => vec![("value".to_owned(), other)],
    })
}

/// A value as one table cell.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Int(n) | Value::Date(n) | Value::TimeMillis(n) => n.to_string(),
        Value::Long(n)
        | Value::TimeMicros(n)
        | Value::TimestampMillis(n)
        | Value::TimestampMicros(n)
        | Value::LocalTimestampMillis(n)
        | Value::LocalTimestampMicros(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Double(x) => x.to_string(),
        Value::String(s) | Value::Enum(_, s) => s.clone(),
        Value::Union(_, inner) => cell(inner),
        Value::Bytes(b) | Value::Fixed(_, b) => format!("{} bytes", b.len()),
        other => {
            let text = crate::text::json::pretty(&crate::text::json::from_avro(other));
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::to_avro_datum;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");

    fn schema(text: &str) -> Arc<Schema> {
        Arc::new(Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}")))
    }

    fn known(text: &str) -> Writer {
        Writer::Known {
            schema: schema(text),
            text: text.into(),
            versions: Vec::new(),
        }
    }

    /// A framed record of a sample of `text` under `id`.
    fn framed(text: &str, id: u32) -> Vec<u8> {
        let s = schema(text);
        let value = crate::wire::sample::sample(&s).unwrap_or_else(|e| panic!("{e}"));
        let body = to_avro_datum(&s, value).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        Frame {
            schema_id: SchemaId(id),
            body: &body,
        }
        .write_to(&mut out);
        out
    }

    fn record(offset: i64, value: Option<Vec<u8>>) -> RawRecord {
        RawRecord {
            partition: 0,
            offset,
            timestamp_ms: 0,
            key: None,
            value,
        }
    }

    fn kinds(book: &TailBook) -> Vec<&'static str> {
        book.rows()
            .iter()
            .map(|r| match &r.outcome {
                Outcome::Decoded { .. } => "decoded",
                Outcome::Poison(p) => p.kind(),
            })
            .collect()
    }

    #[test]
    fn each_schema_is_fetched_once_and_records_wait_for_it_in_order() {
        let mut book = TailBook::new();
        let fetch = book.feed([
            record(0, Some(framed(V1, 1))),
            record(1, Some(vec![1, 2, 3, 4, 5, 6])),
            record(2, Some(framed(V1, 1))),
        ]);
        assert_eq!(fetch, vec![SchemaId(1)]);
        assert_eq!((book.rows().len(), book.waiting()), (0, 3));
        assert!(book.feed([record(3, Some(framed(V1, 1)))]).is_empty());
        book.schema_arrived(SchemaId(1), known(V1));
        assert_eq!(book.waiting(), 0);
        assert_eq!(
            kinds(&book),
            vec!["decoded", "wrong_magic", "decoded", "decoded"]
        );
        let offsets: Vec<i64> = book.rows().iter().map(|r| r.record.offset).collect();
        assert_eq!(offsets, vec![0, 1, 2, 3]);
    }

    #[test]
    fn v1_and_v2_records_both_decode_and_columns_grow() {
        let mut book = TailBook::new();
        book.schema_arrived(SchemaId(1), known(V1));
        book.schema_arrived(SchemaId(2), known(V2));
        let fetch = book.feed([
            record(0, Some(framed(V1, 1))),
            record(1, Some(framed(V2, 2))),
        ]);
        assert!(fetch.is_empty());
        assert_eq!(kinds(&book), vec!["decoded", "decoded"]);
        assert!(book.columns().iter().any(|c| c == "country"));
        assert_eq!(book.counts().decoded, 2);
    }

    #[test]
    fn every_kind_of_poison_is_named_and_counted() {
        let mut book = TailBook::new();
        book.schema_arrived(SchemaId(1), known(V1));
        book.schema_arrived(SchemaId(9), Writer::Missing);
        book.schema_arrived(SchemaId(8), Writer::Failed("registry down".into()));
        let mut truncated = framed(V1, 1);
        truncated.truncate(truncated.len() - 3);
        let mut trailing = framed(V1, 1);
        trailing.push(0);
        book.feed([
            record(0, None),
            record(1, Some(vec![0, 0])),
            record(2, Some(vec![7, 0, 0, 0, 1, 2])),
            record(3, Some(framed(V1, 9))),
            record(4, Some(truncated)),
            record(5, Some(trailing)),
            record(6, Some(framed(V1, 8))),
        ]);
        assert_eq!(
            kinds(&book),
            vec![
                "too_short",
                "too_short",
                "wrong_magic",
                "unknown_schema_id",
                "undecodable",
                "undecodable",
                "schema_unavailable"
            ]
        );
        assert_eq!(book.counts().poison_total(), 7);
        assert_eq!(book.counts().received, 7);
        for row in book.rows() {
            if let Outcome::Poison(p) = &row.outcome {
                assert!(!p.describe().is_empty());
            }
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_rows_and_counts_everything() {
        let mut book = TailBook::new();
        book.feed((0..(KEEP as i64 + 10)).map(|o| record(o, Some(vec![9; 6]))));
        assert_eq!(book.rows().len(), KEEP);
        assert_eq!(book.rows().front().map(|r| r.record.offset), Some(10));
        assert_eq!(book.counts().received, KEEP as u64 + 10);
        assert_eq!(book.rows().back().map(|r| r.seq), Some(KEEP as u64 + 10));
    }

    #[test]
    fn cells_read_plainly() {
        assert_eq!(
            cell(&Value::Union(1, Box::new(Value::String("a".into())))),
            "a"
        );
        assert_eq!(cell(&Value::Union(0, Box::new(Value::Null))), "null");
        assert_eq!(cell(&Value::Double(0.25)), "0.25");
        assert_eq!(cell(&Value::Bytes(vec![1, 2])), "2 bytes");
    }
}
