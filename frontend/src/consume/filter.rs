//! The tail table's filter: which kept rows pass a field's text, or are poison pills. It reads
//! the rows where the store keeps them, without making a string per cell: a string cell is
//! searched in place (a row whose value bytes lack the text has no string cell holding it), the
//! text of a number, date or time is written into one reused buffer only when the filter's text
//! could appear in it, and a cell equal to the one before it in the same column is not written
//! again. [`Matching`] keeps the result from one look to the next and only looks at the rows
//! that arrived since. Pure; tested natively.

use super::book::TailBook;
use super::store::StoredOutcome;
use memchr::memmem::Finder;
use shared::decode::{Cell, Decoder};
use shared::wire::HEADER_LEN;
use shared::SchemaId;
use std::collections::VecDeque;

/// Every character the text of a number, date, time or timestamp may hold.
const NUMERIC: &str = "0123456789-.:TZ";

/// Positions in the book (oldest first) of the rows that pass the filter, newest first. A field
/// with no text keeps the rows that have that field (v2's new field picks out v2 records).
pub fn filtered(book: &TailBook, field: &str, text: &str, poison_only: bool) -> Vec<usize> {
    let mut matcher = Matcher::new(book, field, text, poison_only);
    (0..book.len())
        .rev()
        .filter(|i| matcher.passes(*i))
        .collect()
}

/// One filter, applied row by row.
pub struct Matcher<'a> {
    book: &'a TailBook,
    field: &'a str,
    text: &'a str,
    finder: Finder<'a>,
    poison_only: bool,
    /// Whether the text could be part of a number's, date's or time's text.
    numeric: bool,
    scratch: String,
    /// The writer of the last decoded row: its id, decoder and the filtered field's column.
    writer: Option<(SchemaId, Option<&'a Decoder>, Option<usize>)>,
    /// Per writer, the last cell written of each column and whether its text held the filter's.
    seen: Vec<(SchemaId, Vec<Option<Seen>>)>,
}

/// A cell written, and whether its text held the filter's.
type Seen = (Cell, bool);

impl<'a> Matcher<'a> {
    /// The filter of rows whose `field` (any field when empty) contains `text`, poison pills
    /// only when `poison_only`.
    pub fn new(book: &'a TailBook, field: &'a str, text: &'a str, poison_only: bool) -> Self {
        let text = text.trim();
        Self {
            book,
            field,
            text,
            finder: Finder::new(text.as_bytes()),
            poison_only,
            numeric: text.chars().all(|c| NUMERIC.contains(c)),
            scratch: String::new(),
            writer: None,
            seen: Vec::new(),
        }
    }

    /// Whether the kept row at position `index` passes.
    pub fn passes(&mut self, index: usize) -> bool {
        let Some(row) = self.book.stored(index) else {
            return false;
        };
        let everything = self.field.is_empty() && self.text.is_empty();
        match row.outcome {
            StoredOutcome::Poison(p) => {
                everything || self.field.is_empty() && p.describe().contains(self.text)
            }
            StoredOutcome::Decoded { .. } if self.poison_only => false,
            StoredOutcome::Decoded { .. } if everything => true,
            StoredOutcome::Decoded { id, cells, values } => {
                let body = row
                    .value
                    .and_then(|v| v.get(HEADER_LEN..))
                    .unwrap_or_default();
                self.decoded_passes(
                    id,
                    &Cells {
                        cells,
                        values,
                        body,
                    },
                )
            }
        }
    }

    fn decoded_passes(&mut self, id: SchemaId, row: &Cells<'_>) -> bool {
        let (decoder, column) = self.writer(id);
        let Some(decoder) = decoder else {
            return false;
        };
        if !self.field.is_empty() {
            // A field alone keeps the rows whose writer has it.
            return column.is_some_and(|c| {
                self.text.is_empty() || self.cell_passes(id, decoder, row, c, None)
            });
        }
        // A string cell's bytes lie in the body: when the body lacks the text, none holds it.
        let in_body = self.finder.find(row.body).is_some();
        (0..decoder.columns().len()).any(|c| self.cell_passes(id, decoder, row, c, Some(in_body)))
    }

    /// The decoder of writer `id` and the filtered field's column in it.
    fn writer(&mut self, id: SchemaId) -> (Option<&'a Decoder>, Option<usize>) {
        match self.writer {
            Some((last, decoder, column)) if last == id => (decoder, column),
            _ => {
                let decoder = self.book.decoder(id);
                let column = decoder.and_then(|d| d.columns().position(|c| c == self.field));
                self.writer = Some((id, decoder, column));
                (decoder, column)
            }
        }
    }

    /// Whether column `column`'s text holds the filter's; `in_body` says, when known, whether
    /// the row's body holds it.
    fn cell_passes(
        &mut self,
        id: SchemaId,
        decoder: &Decoder,
        row: &Cells<'_>,
        column: usize,
        in_body: Option<bool>,
    ) -> bool {
        let Some(cell) = row.cells.get(column).copied() else {
            // A column the row lacks reads as empty text.
            return self.text.is_empty();
        };
        match cell {
            Cell::Str(span) => {
                in_body != Some(false) && self.finder.find(span.of(row.body)).is_some()
            }
            Cell::Int(_) | Cell::Long(_) if !self.numeric => false,
            Cell::Float(x) if !self.numeric && x.is_finite() => false,
            Cell::Double(x) if !self.numeric && x.is_finite() => false,
            Cell::Bytes(_) | Cell::Fixed(_) | Cell::Value(_) => {
                self.written_passes(decoder, row, column)
            }
            _ => self.remembered(id, column, cell).unwrap_or_else(|| {
                let passes = self.written_passes(decoder, row, column);
                self.remember(id, column, cell, passes);
                passes
            }),
        }
    }

    fn written_passes(&mut self, decoder: &Decoder, row: &Cells<'_>, column: usize) -> bool {
        self.scratch.clear();
        decoder.write_text(row.cells, row.values, row.body, column, &mut self.scratch);
        self.finder.find(self.scratch.as_bytes()).is_some()
    }

    fn remembered(&self, id: SchemaId, column: usize, cell: Cell) -> Option<bool> {
        let (_, columns) = self.seen.iter().find(|(w, _)| *w == id)?;
        match columns.get(column)? {
            Some((last, passes)) if *last == cell => Some(*passes),
            _ => None,
        }
    }

    fn remember(&mut self, id: SchemaId, column: usize, cell: Cell, passes: bool) {
        let at = match self.seen.iter().position(|(w, _)| *w == id) {
            Some(at) => at,
            None => {
                self.seen.push((id, Vec::new()));
                self.seen.len() - 1
            }
        };
        if let Some((_, columns)) = self.seen.get_mut(at) {
            if columns.len() <= column {
                columns.resize(column + 1, None);
            }
            columns[column] = Some((cell, passes));
        }
    }
}

/// A decoded row's parts, as the store keeps them.
struct Cells<'a> {
    cells: &'a [Cell],
    values: &'a [apache_avro::types::Value],
    body: &'a [u8],
}

/// The filter's result, kept from one look at the book to the next: arrival numbers of the
/// matching rows, oldest first. Rows that arrived since the last look are filtered alone; a new
/// filter, or a new book, filters every kept row again.
#[derive(Debug, Default)]
pub struct Matching {
    filter: Option<(String, String, bool)>,
    seqs: VecDeque<u64>,
    /// The arrival number of the first row not looked at yet.
    upto: u64,
}

impl Matching {
    /// Brings the result up to date with `book` and the filter.
    pub fn update(&mut self, book: &TailBook, field: &str, text: &str, poison_only: bool) {
        let first = book.first_seq();
        let end = first + book.len() as u64;
        let same = self
            .filter
            .as_ref()
            .is_some_and(|(f, t, p)| f == field && t == text && *p == poison_only);
        if !same || self.upto > end {
            self.filter = Some((field.to_owned(), text.to_owned(), poison_only));
            self.seqs.clear();
            self.upto = first;
        }
        while self.seqs.front().is_some_and(|s| *s < first) {
            self.seqs.pop_front();
        }
        let mut matcher = Matcher::new(book, field, text, poison_only);
        for seq in self.upto.max(first)..end {
            if matcher.passes((seq - first) as usize) {
                self.seqs.push_back(seq);
            }
        }
        self.upto = end;
    }

    /// Rows that pass.
    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    /// Whether no row passes.
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    /// The book positions of `count` passing rows, newest first, from the `skip`th newest.
    pub fn newest(&self, book: &TailBook, skip: usize, count: usize) -> Vec<usize> {
        let first = book.first_seq();
        self.seqs
            .iter()
            .rev()
            .skip(skip)
            .take(count)
            .filter_map(|seq| seq.checked_sub(first).map(|p| p as usize))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::book::{Outcome, Row, Writer};
    use super::*;
    use apache_avro::types::Value;
    use apache_avro::Schema;
    use shared::tail::RawRecord;
    use shared::wire::Frame;
    use std::sync::Arc;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");
    /// A writer with the cells the click schemas lack.
    const MIX: &str = r#"{"type":"record","name":"mix","fields":[
        {"name":"n","type":"int"},
        {"name":"d","type":{"type":"int","logicalType":"date"}},
        {"name":"t","type":{"type":"int","logicalType":"time-millis"}},
        {"name":"x","type":"double"},
        {"name":"b","type":"boolean"},
        {"name":"e","type":{"type":"enum","name":"color","symbols":["RED","GREEN"]}},
        {"name":"raw","type":"bytes"},
        {"name":"tags","type":{"type":"array","items":"string"}},
        {"name":"s","type":["null","string"]}]}"#;

    fn parse(text: &str) -> Schema {
        Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn framed(schema: &Schema, id: u32, value: Value) -> Option<Vec<u8>> {
        let body = apache_avro::to_avro_datum(schema, value).ok()?;
        let mut out = Vec::new();
        Frame {
            schema_id: SchemaId(id),
            body: &body,
        }
        .write_to(&mut out);
        Some(out)
    }

    fn sample(text: &str, id: u32) -> Option<Vec<u8>> {
        let schema = parse(text);
        let value = crate::wire::sample::sample(&schema).ok()?;
        framed(&schema, id, value)
    }

    fn with_writers(mut book: TailBook) -> TailBook {
        for (id, text) in [(1, V1), (2, V2), (3, MIX)] {
            book.schema_arrived(
                SchemaId(id),
                Writer::Known {
                    schema: Arc::new(parse(text)),
                    text: text.into(),
                    versions: Vec::new(),
                },
            );
        }
        book.schema_arrived(SchemaId(9), Writer::Missing);
        book
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

    fn book() -> TailBook {
        let mut book = with_writers(TailBook::new());
        book.feed([
            record(0, sample(V1, 1)),
            record(1, sample(V2, 2)),
            record(2, Some(vec![1; 8])),
        ]);
        book
    }

    #[test]
    fn filters_pick_fields_texts_and_poison() {
        let book = book();
        let id = book
            .row(0)
            .and_then(|r| book.cell(&r, "id"))
            .unwrap_or_default();
        // Both sample records carry the same id; the poison pill has no fields.
        assert_eq!(filtered(&book, "id", &id, false), vec![1, 0]);
        assert_eq!(filtered(&book, "", "", false), vec![2, 1, 0]);
        assert_eq!(
            filtered(&book, "country", "", false),
            vec![1],
            "only v2 has country"
        );
        assert_eq!(filtered(&book, "", "", true), vec![2]);
        assert_eq!(filtered(&book, "", "magic", false), vec![2]);
        assert_eq!(
            filtered(&book, "id", "no such id", false),
            Vec::<usize>::new()
        );
    }

    /// Record `i` of a varied stream: clicks of both versions, mixed cells, and poison pills.
    fn varied(i: i64) -> Option<Vec<u8>> {
        let string = |s: String| Value::String(s);
        let union = |branch: u32, v: Value| Value::Union(branch, Box::new(v));
        match i % 5 {
            0 | 1 => {
                let v2 = i % 5 == 1;
                let schema = parse(if v2 { V2 } else { V1 });
                let mut fields = vec![
                    ("id".to_owned(), string(format!("c-{i}"))),
                    ("impression_id".to_owned(), string(format!("imp-{}", i * 7))),
                    ("creative_id".to_owned(), string(format!("cr-{}", i % 13))),
                    ("placement_id".to_owned(), string("top".into())),
                    (
                        "timestamp".to_owned(),
                        Value::TimestampMillis(1_704_067_200_000 + i * 37),
                    ),
                    (
                        "user_agent".to_owned(),
                        union(0, string(format!("Mozilla/5.0 ({i})"))),
                    ),
                    (
                        "ip".to_owned(),
                        if i % 3 == 0 {
                            union(1, Value::Null)
                        } else {
                            union(0, string(format!("10.0.{}.{}", i % 256, i % 7)))
                        },
                    ),
                    ("referrer".to_owned(), union(1, Value::Null)),
                    ("cost".to_owned(), Value::Float(i as f32 / 8.0 - 3.0)),
                ];
                if v2 {
                    fields.push((
                        "country".to_owned(),
                        union(1, string(["DE", "FR", "NL"][(i % 3) as usize].into())),
                    ));
                }
                framed(&schema, if v2 { 2 } else { 1 }, Value::Record(fields))
            }
            2 | 3 => {
                let schema = parse(MIX);
                let fields = vec![
                    ("n".to_owned(), Value::Int((i * 31 - 500) as i32)),
                    ("d".to_owned(), Value::Date((i * 11) as i32)),
                    ("t".to_owned(), Value::TimeMillis((i * 997) as i32)),
                    (
                        "x".to_owned(),
                        Value::Double(if i % 10 == 2 {
                            f64::NAN
                        } else {
                            i as f64 * 0.25
                        }),
                    ),
                    ("b".to_owned(), Value::Boolean(i % 2 == 0)),
                    (
                        "e".to_owned(),
                        Value::Enum((i % 2) as u32, ["RED", "GREEN"][(i % 2) as usize].into()),
                    ),
                    ("raw".to_owned(), Value::Bytes(vec![(i % 256) as u8, 0xab])),
                    (
                        "tags".to_owned(),
                        Value::Array(vec![string(format!("t{i}"))]),
                    ),
                    (
                        "s".to_owned(),
                        if i % 4 == 2 {
                            union(0, Value::Null)
                        } else {
                            union(1, string(format!("s{i}")))
                        },
                    ),
                ];
                framed(&schema, 3, Value::Record(fields))
            }
            _ if i % 10 == 4 => Some(vec![0, 0, 0, 0, 9, 1]),
            _ => Some(vec![7; 9]),
        }
    }

    /// The filter as it was first written: every field of every row as text.
    fn slow(book: &TailBook, field: &str, text: &str, poison_only: bool) -> Vec<usize> {
        let text = text.trim();
        let passes = |row: &Row| {
            (!poison_only || matches!(row.outcome, Outcome::Poison(_)))
                && (text.is_empty() && field.is_empty()
                    || match &row.outcome {
                        Outcome::Decoded { .. } if field.is_empty() => {
                            book.fields(row).iter().any(|(_, v)| v.contains(text))
                        }
                        Outcome::Decoded { .. } => {
                            book.cell(row, field).is_some_and(|v| v.contains(text))
                        }
                        Outcome::Poison(p) => field.is_empty() && p.describe().contains(text),
                    })
        };
        (0..book.len())
            .rev()
            .filter(|i| book.row(*i).is_some_and(|r| passes(&r)))
            .collect()
    }

    const FILTERS: &[(&str, &str, bool)] = &[
        ("", "", false),
        ("", "", true),
        ("", "1", false),
        ("", "42", false),
        ("", "-3", false),
        ("", "2024-01", false),
        ("", "T00:0", false),
        ("", ":5", false),
        ("", "NaN", false),
        ("", "null", false),
        ("", "true", false),
        ("", "GREEN", false),
        ("", "ab", false),
        ("", "t12", false),
        ("", "Mozilla", false),
        ("", "10.0.3", false),
        ("", "magic", false),
        ("", "magic", true),
        ("", "schema", false),
        ("", "c-1", true),
        ("id", "c-1", false),
        ("id", "", false),
        ("country", "", false),
        ("country", "D", false),
        ("ip", "null", false),
        ("ip", ".5", false),
        ("cost", "0.5", false),
        ("cost", "-", false),
        ("timestamp", "00:00:01", false),
        ("n", "-4", false),
        ("d", "1970-0", false),
        ("t", "00:00:0", false),
        ("x", "0.75", false),
        ("e", "RED", false),
        ("raw", "0aab", false),
        ("tags", "t1", false),
        ("s", "null", false),
        ("no such field", "", false),
        ("", " 42 ", false),
    ];

    #[test]
    fn the_fast_filter_keeps_exactly_what_the_text_of_every_field_keeps() {
        let mut book = with_writers(TailBook::keeping(700));
        book.feed((0..1_000).map(|i| record(i, varied(i))));
        assert_eq!(book.len(), 700);
        for (field, text, poison_only) in FILTERS {
            let fast = filtered(&book, field, text, *poison_only);
            assert_eq!(
                fast,
                slow(&book, field, text, *poison_only),
                "filter {field:?} {text:?} poison only {poison_only}"
            );
        }
        // The filters are not all trivial: some keep some rows and drop others.
        let picky = FILTERS
            .iter()
            .filter(|(f, t, p)| {
                let n = filtered(&book, f, t, *p).len();
                n > 0 && n < book.len()
            })
            .count();
        assert!(picky > FILTERS.len() / 2, "{picky}");
    }

    #[test]
    fn matching_follows_new_rows_and_the_ring_without_filtering_all_again() {
        let mut book = with_writers(TailBook::keeping(300));
        let mut matching = Matching::default();
        let mut offset = 0;
        for step in 0..6 {
            let more = [50, 120, 400, 10, 0, 299][step];
            book.feed((offset..offset + more).map(|i| record(i, varied(i))));
            offset += more;
            for (field, text, poison_only) in
                [("", "1", false), ("id", "c-1", false), ("", "", true)]
            {
                matching.update(&book, field, text, poison_only);
                let newest = matching.newest(&book, 0, book.len());
                assert_eq!(
                    newest,
                    filtered(&book, field, text, poison_only),
                    "step {step}"
                );
                assert_eq!(matching.len(), newest.len());
            }
        }
        // The same filter twice in a row looks only at the rows that arrived between.
        matching.update(&book, "", "1", false);
        let before = matching.len();
        book.feed((offset..offset + 20).map(|i| record(i, varied(i))));
        matching.update(&book, "", "1", false);
        assert_eq!(
            matching.newest(&book, 0, usize::MAX),
            filtered(&book, "", "1", false)
        );
        assert_ne!(matching.len(), 0);
        assert!(matching.len() <= before + 20);
        assert_eq!(
            matching.newest(&book, 2, 3),
            filtered(&book, "", "1", false)[2..5]
        );
        // A new book is filtered from scratch.
        let fresh = with_writers(TailBook::keeping(300));
        matching.update(&fresh, "", "1", false);
        assert!(matching.is_empty());
    }
}
