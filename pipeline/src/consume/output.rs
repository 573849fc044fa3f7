//! How `consume` prints a decoded record: one JSON object per line, or a row of an aligned
//! table whose header is printed again whenever the fields change (as when v2 records, with
//! `country`, follow v1 ones).
//!
//! Avro values become plain JSON (a union shows its value, not its branch; a `float` keeps its
//! shortest decimal form, so a cost of 0.45 prints as 0.45), written straight from the decoded
//! value without an intermediate JSON tree.

use super::decode::Decoded;
use crate::settings::OutputFormat;
use apache_avro::types::Value;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fmt::Write as _;

/// Where a record came from.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    /// Partition.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
    /// The record's timestamp in ms since the epoch, when it has one.
    pub timestamp: Option<i64>,
    /// The record's key.
    pub key: Option<&'a [u8]>,
}

/// Formats records in one of the [`OutputFormat`]s.
#[derive(Debug)]
pub struct Formatter {
    format: OutputFormat,
    readable: bool,
    columns: Vec<String>,
}

/// Width of a table cell; longer values are cut with `…`.
const CELL: usize = 24;

impl Formatter {
    /// A formatter for `format`.
    pub fn new(format: OutputFormat) -> Self {
        Self {
            format,
            readable: false,
            columns: Vec::new(),
        }
    }

    /// JSON lines with dates and times as ISO-8601 text rather than stored numbers.
    pub fn readable(mut self, readable: bool) -> Self {
        self.readable = readable;
        self
    }

    /// Appends `record`'s line (and a table header when one is due) to `out`.
    pub fn write(&mut self, meta: &Meta<'_>, record: &Decoded, out: &mut Vec<u8>) {
        match self.format {
            OutputFormat::Jsonl => {
                let line = Line {
                    partition: meta.partition,
                    offset: meta.offset,
                    timestamp: meta.timestamp,
                    key: meta.key.map(String::from_utf8_lossy),
                    schema_id: record.schema_id.0,
                    value: Json(&record.value, self.readable),
                };
                // Writing into a Vec cannot fail, and every value serializes.
                let _ = serde_json::to_writer(&mut *out, &line);
                out.push(b'\n');
            }
            OutputFormat::Table => self.row(meta, record, out),
        }
    }

    fn row(&mut self, meta: &Meta<'_>, record: &Decoded, out: &mut Vec<u8>) {
        let fields: &[(String, Value)] = match &record.value {
            Value::Record(fields) => fields,
            _ => &[],
        };
        let same = fields.len() == self.columns.len()
            && fields.iter().zip(&self.columns).all(|((n, _), c)| n == c);
        if !same {
            self.columns = fields.iter().map(|(n, _)| n.clone()).collect();
            let names = self.columns.iter().map(|n| n.to_uppercase());
            line(
                out,
                ["PARTITION", "OFFSET", "SCHEMA"].map(String::from),
                names,
            );
        }
        let place = [
            meta.partition.to_string(),
            meta.offset.to_string(),
            record.schema_id.to_string(),
        ];
        line(out, place, fields.iter().map(|(_, v)| cell(v)));
    }
}

/// One table line: the three place columns right-aligned, then the cells, without trailing
/// blanks.
fn line(out: &mut Vec<u8>, place: [String; 3], cells: impl Iterator<Item = String>) {
    let [partition, offset, schema] = place;
    let mut text = format!("{partition:>9} {offset:>10} {schema:>6}");
    for c in cells {
        let _ = write!(text, " {:<CELL$}", cut(&c));
    }
    out.extend_from_slice(text.trim_end().as_bytes());
    out.push(b'\n');
}

/// A value as table text: dates and times as people read them (ISO-8601), the rest as JSON.
fn cell(value: &Value) -> String {
    if let Some(text) = time_text(value) {
        return text;
    }
    match value {
        Value::Union(_, inner) => cell(inner),
        Value::String(s) | Value::Enum(_, s) => s.clone(),
        Value::Null => "null".into(),
        other => serde_json::to_string(&Json(other, false)).unwrap_or_default(),
    }
}

/// A date or time logical type as people read it (ISO-8601); `None` for any other value.
fn time_text(value: &Value) -> Option<String> {
    use shared::decode::{date, instant, time_of_day};
    Some(match value {
        Value::TimestampMillis(n) => instant(*n, 1_000, "Z"),
        Value::TimestampMicros(n) => instant(*n, 1_000_000, "Z"),
        Value::TimestampNanos(n) => instant(*n, 1_000_000_000, "Z"),
        Value::LocalTimestampMillis(n) => instant(*n, 1_000, ""),
        Value::LocalTimestampMicros(n) => instant(*n, 1_000_000, ""),
        Value::LocalTimestampNanos(n) => instant(*n, 1_000_000_000, ""),
        Value::Date(days) => date(i64::from(*days)),
        Value::TimeMillis(ms) => time_of_day(i64::from(*ms), 1_000),
        Value::TimeMicros(us) => time_of_day(*us, 1_000_000),
        _ => return None,
    })
}

fn cut(text: &str) -> String {
    if text.chars().count() <= CELL {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(CELL - 1).collect();
        short.push('…');
        short
    }
}

#[derive(Serialize)]
struct Line<'a> {
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    key: Option<std::borrow::Cow<'a, str>>,
    schema_id: u32,
    value: Json<'a>,
}

/// An Avro value serialized as plain JSON; when readable, dates and times are ISO-8601 text
/// instead of their stored numbers.
struct Json<'a>(&'a Value, bool);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let readable = self.1;
        if readable {
            if let Some(text) = time_text(self.0) {
                return s.serialize_str(&text);
            }
        }
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Boolean(b) => s.serialize_bool(*b),
            Value::Int(n) | Value::Date(n) | Value::TimeMillis(n) => s.serialize_i32(*n),
            Value::Long(n)
            | Value::TimeMicros(n)
            | Value::TimestampMillis(n)
            | Value::TimestampMicros(n)
            | Value::TimestampNanos(n)
            | Value::LocalTimestampMillis(n)
            | Value::LocalTimestampMicros(n)
            | Value::LocalTimestampNanos(n) => s.serialize_i64(*n),
            Value::Float(f) => s.serialize_f32(*f),
            Value::Double(f) => s.serialize_f64(*f),
            Value::String(text) | Value::Enum(_, text) => s.serialize_str(text),
            Value::Bytes(bytes) | Value::Fixed(_, bytes) => {
                s.serialize_str(&shared::wire::hex(bytes))
            }
            Value::Union(_, inner) => Json(inner, readable).serialize(s),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Json(item, readable))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, &Json(v, readable))?;
                }
                map.end()
            }
            Value::Record(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, &Json(v, readable))?;
                }
                map.end()
            }
            Value::Uuid(uuid) => s.serialize_str(&uuid.to_string()),
            other => s.serialize_str(&format!("{other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::SchemaId;

    fn record(country: bool) -> Decoded {
        let mut fields = vec![
            ("id".to_owned(), Value::String("clk-1".into())),
            (
                "timestamp".to_owned(),
                Value::TimestampMillis(1_700_000_000_000),
            ),
            ("ip".to_owned(), Value::Union(1, Box::new(Value::Null))),
            ("cost".to_owned(), Value::Float(0.45)),
        ];
        if country {
            fields.push((
                "country".into(),
                Value::Union(1, Box::new(Value::String("NL".into()))),
            ));
        }
        Decoded {
            schema_id: SchemaId(3),
            value: Value::Record(fields),
        }
    }

    fn meta() -> Meta<'static> {
        Meta {
            partition: 2,
            offset: 41,
            timestamp: Some(5),
            key: Some(b"imp-9"),
        }
    }

    #[test]
    fn jsonl_is_plain_json_with_where_the_record_came_from() {
        let mut out = Vec::new();
        Formatter::new(OutputFormat::Jsonl).write(&meta(), &record(false), &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            concat!(
                r#"{"partition":2,"offset":41,"timestamp":5,"key":"imp-9","schema_id":3,"#,
                r#""value":{"id":"clk-1","timestamp":1700000000000,"ip":null,"cost":0.45}}"#,
                "\n"
            )
        );
    }

    #[test]
    fn rendered_jsonl_shows_dates_and_times_as_people_read_them() {
        let mut out = Vec::new();
        Formatter::new(OutputFormat::Jsonl)
            .readable(true)
            .write(&meta(), &record(false), &mut out);
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(line["value"]["timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(line["value"]["cost"], 0.45);
        assert_eq!(
            line["timestamp"], 5,
            "the record's own timestamp stays a number"
        );
    }

    #[test]
    fn the_table_header_follows_the_fields() {
        let mut f = Formatter::new(OutputFormat::Table);
        let mut out = Vec::new();
        f.write(&meta(), &record(false), &mut out);
        f.write(&meta(), &record(false), &mut out);
        f.write(&meta(), &record(true), &mut out);
        let text = String::from_utf8_lossy(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[0].starts_with("PARTITION") || lines[0].trim_start().starts_with("PARTITION")
        );
        assert!(
            lines[0].contains("COST") && !lines[0].contains("COUNTRY"),
            "{text}"
        );
        assert!(lines[3].contains("COUNTRY"), "{text}");
        assert!(lines[4].trim_end().ends_with("NL"), "{text}");
        assert!(
            lines[1].contains("clk-1") && lines[1].contains("null"),
            "{text}"
        );
    }

    #[test]
    fn the_table_shows_times_as_people_read_them() {
        let mut out = Vec::new();
        Formatter::new(OutputFormat::Table).write(&meta(), &record(false), &mut out);
        let text = String::from_utf8_lossy(&out);
        // 1,700,000,000 s after the epoch is 2023-11-14 22:13:20 UTC.
        assert!(text.contains("2023-11-14T22:13:20.000Z"), "{text}");
        assert!(
            text.lines().nth(1).is_some_and(|l| l.ends_with(" 0.45")),
            "the float as written: {text}"
        );
        let mut fields = vec![("day".to_owned(), Value::Date(19_723))];
        fields.push(("at".to_owned(), Value::TimeMillis(45_296_789)));
        let decoded = Decoded {
            schema_id: SchemaId(3),
            value: Value::Record(fields),
        };
        let mut out = Vec::new();
        Formatter::new(OutputFormat::Table).write(&meta(), &decoded, &mut out);
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("2024-01-01") && text.contains("12:34:56.789"),
            "{text}"
        );
    }

    #[test]
    fn long_cells_are_cut() {
        assert_eq!(cut("short"), "short");
        let long = "x".repeat(40);
        assert_eq!(cut(&long).chars().count(), CELL);
        assert!(cut(&long).ends_with('…'));
    }
}
