//! The tail table's filter: which rows of the book pass a field's text, or are poison pills.
//! Pure; tested natively.

use super::book::{Outcome, Row, TailBook};

/// Positions in `book.rows()` of the rows that pass the filter, newest first. A field with no
/// text keeps the rows that have that field (v2's new field picks out v2 records).
pub fn filtered(book: &TailBook, field: &str, text: &str, poison_only: bool) -> Vec<usize> {
    let text = text.trim();
    let rows = book.rows();
    (0..rows.len())
        .rev()
        .filter(|i| {
            rows.get(*i).is_some_and(|row| {
                (!poison_only || matches!(row.outcome, Outcome::Poison(_)))
                    && (text.is_empty() && field.is_empty() || matches(book, row, field, text))
            })
        })
        .collect()
}

fn matches(book: &TailBook, row: &Row, field: &str, text: &str) -> bool {
    match &row.outcome {
        Outcome::Decoded { .. } if field.is_empty() => book
            .fields(row)
            .iter()
            .any(|(_, value)| value.contains(text)),
        Outcome::Decoded { .. } => book
            .cell(row, field)
            .is_some_and(|value| value.contains(text)),
        Outcome::Poison(p) => field.is_empty() && p.describe().contains(text),
    }
}

#[cfg(test)]
mod tests {
    use super::super::book::Writer;
    use super::*;
    use shared::tail::RawRecord;
    use shared::wire::Frame;
    use shared::SchemaId;
    use std::sync::Arc;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");

    fn framed(text: &str, id: u32) -> Option<Vec<u8>> {
        let schema = apache_avro::Schema::parse_str(text).ok()?;
        let value = crate::wire::sample::sample(&schema).ok()?;
        let body = apache_avro::to_avro_datum(&schema, value).ok()?;
        let mut out = Vec::new();
        Frame {
            schema_id: SchemaId(id),
            body: &body,
        }
        .write_to(&mut out);
        Some(out)
    }

    fn book() -> TailBook {
        let mut book = TailBook::new();
        for (id, text) in [(1, V1), (2, V2)] {
            let schema = apache_avro::Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"));
            book.schema_arrived(
                SchemaId(id),
                Writer::Known {
                    schema: Arc::new(schema),
                    text: text.into(),
                    versions: Vec::new(),
                },
            );
        }
        let record = |offset, value| RawRecord {
            partition: 0,
            offset,
            timestamp_ms: 0,
            key: None,
            value,
        };
        book.feed([
            record(0, framed(V1, 1)),
            record(1, framed(V2, 2)),
            record(2, Some(vec![1; 8])),
        ]);
        book
    }

    #[test]
    fn filters_pick_fields_texts_and_poison() {
        let book = book();
        let id = book
            .rows()
            .front()
            .and_then(|r| book.cell(r, "id"))
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
}
