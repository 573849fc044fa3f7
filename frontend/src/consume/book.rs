//! The tail's memory, socket-free: raw records decoded in the page with the writer schema their
//! header names (the planned decoder of `shared::decode`: cells point into the record's bytes,
//! nothing is copied), kept in a bounded ring, counted, and classified as poison pills when they
//! do not decode. The rows are kept by column in a [`Store`] (bytes and cells in arenas, no
//! object per row); a [`Row`] is made from the store for the few rows a view shows. Pure; tested
//! natively.
//!
//! A record whose schema id has not been seen waits — with every record after it, so order is
//! kept — until the page has asked the bridge for that schema once; each schema is asked for
//! once and kept.
//!
//! The book knows, per partition, the offset after the last record it took: a record below it
//! is one it already holds (a tail resumed after a bridge restart reads the topic again from the
//! beginning), and is skipped and counted apart, never shown twice. Within one tail a
//! partition's offsets only grow, so nothing else is ever skipped.

use super::store::{self, Store, Stored, StoredOutcome};
use apache_avro::Schema;
use shared::decode::{Decoder, PoisonReason, Row as Cells, Writers};
use shared::protocol::SubjectVersion;
use shared::tail::{RawRecord, RecordRef};
use shared::wire::{Frame, HEADER_LEN};
use shared::SchemaId;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// Rows kept for the table, the filter and the inspector; older ones make room.
pub const KEEP: usize = 100_000;

/// Why a record is a poison pill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poison {
    /// It is not valid Confluent Avro.
    Invalid(PoisonReason),
    /// The writer schema could not be fetched (the registry did not answer).
    SchemaUnavailable {
        /// The id.
        id: SchemaId,
        /// Why.
        why: String,
    },
}

impl Poison {
    /// A stable name, for counting and for tests.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invalid(reason) => reason.kind(),
            Self::SchemaUnavailable { .. } => "schema_unavailable",
        }
    }

    /// What a person reads.
    pub fn describe(&self) -> String {
        match self {
            Self::Invalid(reason) => reason.to_string(),
            Self::SchemaUnavailable { id, why } => {
                format!("schema {id} could not be fetched: {why}")
            }
        }
    }
}

/// A kept record made whole (its own copy of its bytes and cells), for a row on screen, the
/// inspector or an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Arrival order, from 1.
    pub seq: u64,
    /// The record as read.
    pub record: Arc<RawRecord>,
    /// What decoding made of it.
    pub outcome: Outcome,
}

impl Row {
    /// The Avro body of a decoded record (its value past the header).
    pub fn body(&self) -> &[u8] {
        self.record
            .value
            .as_deref()
            .and_then(|v| v.get(HEADER_LEN..))
            .unwrap_or_default()
    }
}

/// A record decoded, or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Its cells, in the writer schema's field order, pointing into the record's body.
    Decoded {
        /// The writer schema's id.
        id: SchemaId,
        /// The cells.
        cells: Cells,
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
    /// Records skipped because the book already held them.
    pub skipped: u64,
}

impl Counts {
    /// Poison pills of every kind.
    pub fn poison_total(&self) -> u64 {
        self.poison.values().sum()
    }
}

/// The tail's state.
#[derive(Debug)]
pub struct TailBook {
    rows: Store<Poison>,
    writers: HashMap<SchemaId, Writer>,
    decoders: Writers,
    waiting: VecDeque<RawRecord>,
    columns: Vec<String>,
    /// Writer schemas whose fields are already among the columns.
    columned: Vec<SchemaId>,
    counts: Counts,
    /// Per partition, the offset after the last record taken.
    next_offsets: HashMap<i32, i64>,
    /// The row records are decoded into before the store copies it; reused.
    scratch: Cells,
}

impl Default for TailBook {
    fn default() -> Self {
        Self::keeping(KEEP)
    }
}

impl TailBook {
    /// An empty book that keeps [`KEEP`] rows.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty book that keeps `rows` rows.
    pub fn keeping(rows: usize) -> Self {
        Self {
            rows: Store::new(rows),
            writers: HashMap::new(),
            decoders: Writers::default(),
            waiting: VecDeque::new(),
            columns: Vec::new(),
            columned: Vec::new(),
            counts: Counts::default(),
            next_offsets: HashMap::new(),
            scratch: Cells::new(),
        }
    }

    /// Takes records in arrival order; returns the schema ids the page should fetch now (each
    /// is returned once).
    pub fn feed(&mut self, records: impl IntoIterator<Item = RawRecord>) -> Vec<SchemaId> {
        let mut fetch = Vec::new();
        for record in records {
            self.take(record.as_ref(), &mut fetch);
        }
        fetch
    }

    /// [`TailBook::feed`] for records that borrow a frame's bytes: nothing is copied but into
    /// the store (or, for a record that must wait for its schema, into the waiting queue).
    pub fn feed_in_place<'a>(
        &mut self,
        records: impl IntoIterator<Item = RecordRef<'a>>,
    ) -> Vec<SchemaId> {
        let mut fetch = Vec::new();
        for record in records {
            self.take(record, &mut fetch);
        }
        fetch
    }

    fn take(&mut self, record: RecordRef<'_>, fetch: &mut Vec<SchemaId>) {
        if !self.first_time(&record) {
            self.counts.skipped += 1;
            return;
        }
        self.counts.received += 1;
        self.counts.bytes += record.value.map_or(0, |v| v.len() as u64);
        if let Some(id) = self.unknown_id(&record) {
            self.writers.insert(id, Writer::Fetching);
            fetch.push(id);
        }
        if self.waiting.is_empty() && self.ready(&record) {
            self.settle(&record);
        } else {
            self.waiting.push_back(record.to_owned());
        }
    }

    /// Whether `record` is news (notes its offset if so); `false` for one the book holds.
    fn first_time(&mut self, record: &RecordRef<'_>) -> bool {
        let next = self
            .next_offsets
            .entry(record.partition)
            .or_insert(i64::MIN);
        if record.offset < *next {
            return false;
        }
        *next = record.offset.saturating_add(1);
        true
    }

    /// Records the answer for schema `id` and settles the records that waited for it.
    pub fn schema_arrived(&mut self, id: SchemaId, writer: Writer) {
        if let Writer::Known { schema, .. } = &writer {
            self.decoders.insert(id, schema);
        }
        self.writers.insert(id, writer);
        while let Some(front) = self.waiting.front() {
            if !self.ready(&front.as_ref()) {
                break;
            }
            if let Some(record) = self.waiting.pop_front() {
                self.settle(&record.as_ref());
            }
        }
    }

    /// The header's schema id when the book has never met it.
    fn unknown_id(&self, record: &RecordRef<'_>) -> Option<SchemaId> {
        let frame = Frame::parse(record.value.unwrap_or_default()).ok()?;
        (!self.writers.contains_key(&frame.schema_id)).then_some(frame.schema_id)
    }

    /// Whether the record can be settled now (its schema, if it needs one, is not being fetched).
    fn ready(&self, record: &RecordRef<'_>) -> bool {
        match Frame::parse(record.value.unwrap_or_default()) {
            Ok(frame) => !matches!(self.writers.get(&frame.schema_id), Some(Writer::Fetching)),
            Err(_) => true,
        }
    }

    fn settle(&mut self, record: &RecordRef<'_>) {
        let mut cells = std::mem::take(&mut self.scratch);
        match self.decode(record.value.unwrap_or_default(), &mut cells) {
            Ok(id) => {
                self.counts.decoded += 1;
                self.add_columns(id);
                let outcome = store::Outcome::Decoded {
                    id,
                    cells: cells.cells(),
                    values: cells.values(),
                };
                self.rows.push(record, outcome);
            }
            Err(p) => {
                *self.counts.poison.entry(p.kind()).or_default() += 1;
                self.rows.push(record, store::Outcome::Poison(p));
            }
        }
        self.scratch = cells;
    }

    /// Adds the fields of writer `id` to the columns, the first time a record of it decodes.
    fn add_columns(&mut self, id: SchemaId) {
        if self.columned.contains(&id) {
            return;
        }
        self.columned.push(id);
        let names = self
            .decoders
            .get(id)
            .map(|d| d.columns().map(str::to_owned).collect::<Vec<_>>());
        for name in names.unwrap_or_default() {
            if !self.columns.contains(&name) {
                self.columns.push(name);
            }
        }
    }

    /// Decodes a record value into `cells`; its writer's id, or why it is a poison pill.
    fn decode(&self, value: &[u8], cells: &mut Cells) -> Result<SchemaId, Poison> {
        match self.decoders.decode(value, cells) {
            Ok(framed) => Ok(framed.schema_id),
            Err(PoisonReason::UnknownSchemaId { id }) => match self.writers.get(&id) {
                Some(Writer::Failed(why)) => Err(Poison::SchemaUnavailable {
                    id,
                    why: why.clone(),
                }),
                _ => Err(Poison::Invalid(PoisonReason::UnknownSchemaId { id })),
            },
            Err(reason) => Err(Poison::Invalid(reason)),
        }
    }

    /// Rows kept.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is kept.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The arrival number of the oldest kept row.
    pub fn first_seq(&self) -> u64 {
        self.rows.first_seq()
    }

    /// The kept row at position `index` (oldest first), as the store holds it.
    pub fn stored(&self, index: usize) -> Option<Stored<'_, Poison>> {
        self.rows.get(index)
    }

    /// The kept row at position `index` (oldest first), made whole.
    pub fn row(&self, index: usize) -> Option<Row> {
        let stored = self.rows.get(index)?;
        let outcome = match stored.outcome {
            StoredOutcome::Decoded { id, cells, values } => Outcome::Decoded {
                id,
                cells: Cells::from_parts(cells, values),
            },
            StoredOutcome::Poison(p) => Outcome::Poison(p.clone()),
        };
        Some(Row {
            seq: stored.seq,
            record: Arc::new(RawRecord {
                partition: stored.partition,
                offset: stored.offset,
                timestamp_ms: stored.timestamp_ms,
                key: stored.key.map(<[u8]>::to_vec),
                value: stored.value.map(<[u8]>::to_vec),
            }),
            outcome,
        })
    }

    /// Bytes the kept rows take in memory.
    pub fn footprint(&self) -> usize {
        self.rows.footprint()
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

    /// Field `name` of a row as text, if the row is decoded and has that field.
    pub fn cell(&self, row: &Row, name: &str) -> Option<String> {
        let Outcome::Decoded { id, cells } = &row.outcome else {
            return None;
        };
        let decoder = self.decoders.get(*id)?;
        let column = decoder.columns().position(|c| c == name)?;
        Some(decoder.text(cells, row.body(), column))
    }

    /// Every field of a decoded row as (name, text), in the writer's order.
    pub fn fields(&self, row: &Row) -> Vec<(String, String)> {
        let Outcome::Decoded { id, cells } = &row.outcome else {
            return Vec::new();
        };
        self.decoder(*id).map_or_else(Vec::new, |d| {
            d.columns()
                .enumerate()
                .map(|(i, name)| (name.to_owned(), d.text(cells, row.body(), i)))
                .collect()
        })
    }

    /// Every field of a decoded row as people read it, with the stored number beside it where
    /// the two differ (timestamps, dates and times of day): (name, text, stored).
    pub fn readable(&self, row: &Row) -> Vec<(String, String, Option<String>)> {
        let Outcome::Decoded { id, cells } = &row.outcome else {
            return Vec::new();
        };
        let Some(d) = self.decoder(*id) else {
            return Vec::new();
        };
        let json = d.to_json(cells, row.body());
        d.columns()
            .enumerate()
            .map(|(i, name)| {
                let text = d.text(cells, row.body(), i);
                let stored = json
                    .get(name)
                    .filter(|v| v.is_i64())
                    .map(ToString::to_string)
                    .filter(|n| *n != text);
                (name.to_owned(), text, stored)
            })
            .collect()
    }

    /// A decoded row as pretty JSON, for the inspector.
    pub fn json(&self, row: &Row) -> Option<String> {
        serde_json::to_string_pretty(&self.value(row)?).ok()
    }

    /// A decoded row as Avro JSON: field name to value.
    pub fn value(&self, row: &Row) -> Option<serde_json::Value> {
        let Outcome::Decoded { id, cells } = &row.outcome else {
            return None;
        };
        Some(self.decoder(*id)?.to_json(cells, row.body()))
    }

    /// The decoder of writer schema `id`, when it is known.
    pub fn decoder(&self, id: SchemaId) -> Option<&Decoder> {
        self.decoders.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::{to_avro_datum, Schema};

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

    fn rows(book: &TailBook) -> Vec<Row> {
        (0..book.len()).filter_map(|i| book.row(i)).collect()
    }

    fn kinds(book: &TailBook) -> Vec<&'static str> {
        rows(book)
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
        assert_eq!((book.len(), book.waiting()), (0, 3));
        assert!(book.feed([record(3, Some(framed(V1, 1)))]).is_empty());
        book.schema_arrived(SchemaId(1), known(V1));
        assert_eq!(book.waiting(), 0);
        assert_eq!(
            kinds(&book),
            vec!["decoded", "wrong_magic", "decoded", "decoded"]
        );
        let offsets: Vec<i64> = rows(&book).iter().map(|r| r.record.offset).collect();
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
        for row in rows(&book) {
            if let Outcome::Poison(p) = &row.outcome {
                assert!(!p.describe().is_empty());
            }
        }
    }

    #[test]
    fn records_read_again_are_skipped_and_the_rest_taken() {
        let on = |partition, offset| RawRecord {
            partition,
            ..record(offset, Some(vec![9; 6]))
        };
        let mut book = TailBook::new();
        book.feed([on(0, 0), on(1, 0), on(0, 1)]);
        // A resumed tail reads every partition again from the beginning, interleaved.
        book.feed([on(1, 0), on(0, 0), on(1, 1), on(0, 1), on(0, 2), on(2, 0)]);
        assert_eq!(book.counts().received, 6);
        assert_eq!(book.counts().skipped, 3);
        let places: Vec<(i32, i64)> = rows(&book)
            .iter()
            .map(|r| (r.record.partition, r.record.offset))
            .collect();
        assert_eq!(places, vec![(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (2, 0)]);
    }

    #[test]
    fn the_ring_keeps_the_newest_rows_and_counts_everything() {
        let mut book = TailBook::new();
        book.feed((0..(KEEP as i64 + 10)).map(|o| record(o, Some(vec![9; 6]))));
        assert_eq!(book.len(), KEEP);
        assert_eq!(book.row(0).map(|r| r.record.offset), Some(10));
        assert_eq!(book.counts().received, KEEP as u64 + 10);
        assert_eq!(book.row(KEEP - 1).map(|r| r.seq), Some(KEEP as u64 + 10));
        assert_eq!(book.first_seq(), 11);
        assert!(book.row(KEEP).is_none());
    }

    #[test]
    fn decoded_rows_read_as_fields_and_json() {
        let mut book = TailBook::new();
        book.schema_arrived(SchemaId(1), known(V1));
        book.feed([record(0, Some(framed(V1, 1)))]);
        let row = book.row(0).unwrap_or_else(|| panic!("no row"));
        let fields = book.fields(&row);
        assert_eq!(fields.len(), 9);
        let id = book.cell(&row, "id").unwrap_or_else(|| panic!("no id"));
        assert!(fields.contains(&("id".to_owned(), id.clone())));
        assert!(book
            .json(&row)
            .is_some_and(|j| j.contains(&format!("\"{id}\""))));
        assert_eq!(book.cell(&row, "country"), None);
        // The timestamp reads as ISO-8601 with the stored millis beside it; a string has no
        // stored number, and a float reads in its shortest form.
        let readable = book.readable(&row);
        let (_, when, stored) = readable
            .iter()
            .find(|(name, ..)| name == "timestamp")
            .unwrap_or_else(|| panic!("no timestamp in {readable:?}"));
        let millis: i64 = stored
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no stored number for {when}"));
        assert_eq!(*when, shared::decode::instant(millis, 1_000, "Z"));
        assert!(when.ends_with('Z') && when.contains('T'), "{when}");
        let (_, _, id_stored) = &readable[0];
        assert_eq!(*id_stored, None);
        let (_, cost, cost_stored) = readable
            .iter()
            .find(|(name, ..)| name == "cost")
            .unwrap_or_else(|| panic!("no cost"));
        assert!(cost.len() <= 6, "shortest form: {cost}");
        assert_eq!(*cost_stored, None);
    }
}
