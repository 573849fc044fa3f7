//! The tail's kept rows, after the filter and newest first as the table shows them, as a file:
//! JSON lines (decoded values as Avro JSON) or CSV (values as the table reads them, one column
//! per field of every writer schema seen). Poison pills carry their reason and value in hex.

use super::book::{Outcome, Row, TailBook};
use crate::export::csv::line;
use serde_json::{json, Value as Json};
use shared::decode::instant;
use shared::wire::hex;

/// One JSON object per row and line.
pub fn jsonl(book: &TailBook, rows: &[usize]) -> String {
    let mut out = String::new();
    for row in rows.iter().filter_map(|i| book.row(*i)) {
        let mut object = json!({
            "partition": row.record.partition,
            "offset": row.record.offset,
            "timestamp": row.record.timestamp_ms,
            "key": key(&row),
        });
        match &row.outcome {
            Outcome::Decoded { id, .. } => {
                object["schema_id"] = json!(id.0);
                object["value"] = book.value(&row).unwrap_or(Json::Null);
            }
            Outcome::Poison(p) => {
                object["poison"] = json!(p.describe());
                object["hex"] = json!(hex(row.record.value.as_deref().unwrap_or_default()));
            }
        }
        out.push_str(&object.to_string());
        out.push('\n');
    }
    out
}

/// A header and one line per row; fields a row's schema lacks are empty.
pub fn csv(book: &TailBook, rows: &[usize]) -> String {
    let fields = book.columns();
    let mut out = line(
        ["partition", "offset", "timestamp", "key", "schema_id"]
            .into_iter()
            .map(str::to_owned)
            .chain(fields.iter().cloned())
            .chain(["poison".to_owned(), "hex".to_owned()]),
    );
    for row in rows.iter().filter_map(|i| book.row(*i)) {
        let place = [
            row.record.partition.to_string(),
            row.record.offset.to_string(),
            instant(row.record.timestamp_ms, 1_000, "Z"),
            key(&row).unwrap_or_default(),
        ];
        let rest: Vec<String> = match &row.outcome {
            Outcome::Decoded { id, .. } => {
                let values = book.fields(&row);
                std::iter::once(id.to_string())
                    .chain(fields.iter().map(|f| {
                        values
                            .iter()
                            .find(|(name, _)| name == f)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    }))
                    .chain([String::new(), String::new()])
                    .collect()
            }
            Outcome::Poison(p) => std::iter::once(String::new())
                .chain(fields.iter().map(|_| String::new()))
                .chain([
                    p.describe(),
                    hex(row.record.value.as_deref().unwrap_or_default()),
                ])
                .collect(),
        };
        out.push_str(&line(place.into_iter().chain(rest)));
    }
    out
}

fn key(row: &Row) -> Option<String> {
    row.record
        .key
        .as_deref()
        .map(|k| String::from_utf8_lossy(k).into_owned())
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

    fn book() -> (TailBook, apache_avro::types::Value) {
        let schema = apache_avro::Schema::parse_str(V1).unwrap_or_else(|e| panic!("{e}"));
        let value = crate::wire::sample::sample(&schema).unwrap_or_else(|e| panic!("{e}"));
        let body =
            apache_avro::to_avro_datum(&schema, value.clone()).unwrap_or_else(|e| panic!("{e}"));
        let mut framed = Vec::new();
        Frame {
            schema_id: SchemaId(7),
            body: &body,
        }
        .write_to(&mut framed);
        let mut book = TailBook::new();
        book.schema_arrived(
            SchemaId(7),
            Writer::Known {
                schema: Arc::new(schema),
                text: V1.into(),
                versions: Vec::new(),
            },
        );
        book.feed([
            RawRecord {
                partition: 1,
                offset: 10,
                timestamp_ms: 1_704_067_200_000,
                key: Some(b"k,1".to_vec()),
                value: Some(framed),
            },
            RawRecord {
                partition: 2,
                offset: 11,
                timestamp_ms: 1_704_067_200_500,
                key: None,
                value: Some(vec![9, 9, 9]),
            },
        ]);
        (book, value)
    }

    #[test]
    fn json_lines_hold_avro_json_values_and_poison_as_hex() {
        let (book, value) = book();
        let text = jsonl(&book, &[1, 0]);
        let lines: Vec<Json> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["hex"], "090909");
        assert!(lines[0]["poison"].as_str().is_some_and(|p| !p.is_empty()));
        assert_eq!(lines[1]["schema_id"], 7);
        assert_eq!(lines[1]["key"], "k,1");
        let apache_avro::types::Value::Record(fields) = value else {
            panic!("not a record");
        };
        for (name, v) in fields {
            let expected = Json::try_from(v).unwrap_or(Json::Null);
            let expected = match expected {
                // Avro JSON shows a union's value, as the page's decoder does.
                Json::Object(o) if o.len() == 1 => {
                    o.into_iter().next().map(|(_, v)| v).unwrap_or(Json::Null)
                }
                other => other,
            };
            assert_eq!(lines[1]["value"][&name], expected, "{name}");
        }
    }

    #[test]
    fn csv_has_a_column_per_field_and_quotes_what_needs_it() {
        let (book, _) = book();
        let text = csv(&book, &[0, 1]);
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("partition,offset,timestamp,key,schema_id,id,"));
        assert!(lines[0].ends_with(",poison,hex"));
        assert!(
            lines[1].starts_with("1,10,2024-01-01T00:00:00.000Z,\"k,1\",7,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("2,11,2024-01-01T00:00:00.500Z,,,"),
            "{}",
            lines[2]
        );
        assert!(lines[2].ends_with(",090909"), "{}", lines[2]);
    }
}
