//! The Spark SQL a batch run sends, built from typed parts: string literals are escaped,
//! identifiers are quoted, and Avro schemas become the column types Spark's `from_avro` gives
//! them. Nothing a user typed, and no schema text, reaches Spark unquoted.

use apache_avro::schema::{RecordField, Schema};
use serde_json::Value;

/// The temporary view over the Kafka source.
pub(crate) const RAW: &str = "kd_batch_raw";
/// The cached view of framed records: header checked, schema id read, body split off.
pub(crate) const FRAMED: &str = "kd_batch_framed";
/// The cached view of every record after decoding, in the reader's shape, with its problem.
pub(crate) const DECODED: &str = "kd_batch_decoded";
/// The view of the records that decoded.
pub(crate) const CLICKS: &str = "kd_batch_clicks";

/// A Spark SQL string literal holding `text` exactly.
///
/// Spark unescapes backslash sequences inside literals, so backslashes and quotes are escaped,
/// and control characters are written as escapes so the statement stays on its lines.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A Spark SQL identifier in backquotes.
pub fn identifier(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A column of the reader shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The Avro field name.
    pub name: String,
    /// Its Spark SQL type, as `from_avro` produces it.
    pub sql_type: String,
    /// What a record whose writer lacks the field gets: the field's default as a SQL literal,
    /// or `NULL`.
    pub fill: String,
    /// Whether the writer can leave it null (a union with `null`).
    pub nullable: bool,
}

/// Why a schema cannot be used as a writer or reader shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// The schema text is not Avro.
    #[error("not an Avro schema: {0}")]
    NotAvro(String),
    /// The top-level schema is not a record.
    #[error("the schema is not a record")]
    NotARecord,
    /// A field has a type this batch job does not map to a column.
    #[error("field {field} has a type the batch job does not handle ({kind})")]
    Unsupported {
        /// The field.
        field: String,
        /// Its Avro type.
        kind: String,
    },
}

/// The columns of a record schema, in order.
pub fn columns(schema_text: &str) -> Result<Vec<Column>, ShapeError> {
    let schema = Schema::parse_str(schema_text).map_err(|e| ShapeError::NotAvro(e.to_string()))?;
    let Schema::Record(record) = schema else {
        return Err(ShapeError::NotARecord);
    };
    record.fields.iter().map(column).collect()
}

fn column(field: &RecordField) -> Result<Column, ShapeError> {
    let unsupported = |schema: &Schema| ShapeError::Unsupported {
        field: field.name.clone(),
        kind: format!("{:?}", apache_avro::schema::SchemaKind::from(schema)),
    };
    let (inner, nullable) = match &field.schema {
        Schema::Union(union) => {
            let others: Vec<&Schema> = union
                .variants()
                .iter()
                .filter(|s| !matches!(s, Schema::Null))
                .collect();
            match others.as_slice() {
                [one] if union.is_nullable() => (*one, true),
                _ => return Err(unsupported(&field.schema)),
            }
        }
        other => (other, false),
    };
    let sql_type = sql_type(inner).ok_or_else(|| unsupported(inner))?;
    let fill = match &field.default {
        Some(value) => literal(value).ok_or_else(|| unsupported(inner))?,
        None => "NULL".to_owned(),
    };
    Ok(Column {
        name: field.name.clone(),
        sql_type,
        fill,
        nullable,
    })
}

/// The Spark SQL type `from_avro` gives an Avro type.
fn sql_type(schema: &Schema) -> Option<String> {
    Some(
        match schema {
            Schema::Boolean => "BOOLEAN",
            Schema::Int | Schema::TimeMillis => "INT",
            Schema::Long | Schema::TimeMicros => "BIGINT",
            Schema::Float => "FLOAT",
            Schema::Double => "DOUBLE",
            Schema::Bytes | Schema::Fixed(_) => "BINARY",
            Schema::String | Schema::Uuid | Schema::Enum(_) => "STRING",
            Schema::Date => "DATE",
            Schema::TimestampMillis | Schema::TimestampMicros => "TIMESTAMP",
            Schema::LocalTimestampMillis | Schema::LocalTimestampMicros => "TIMESTAMP_NTZ",
            Schema::Decimal(d) => return Some(format!("DECIMAL({}, {})", d.precision, d.scale)),
            _ => return None,
        }
        .to_owned(),
    )
}

/// A field default as a SQL literal (scalars only).
fn literal(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("NULL".into()),
        Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.into()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(string_literal(s)),
        _ => None,
    }
}

/// The Confluent framing checked in SQL: one row per Kafka record with its position, the
/// problem with its header (`too_short`, `wrong_magic`) or NULL, the schema id and the body.
pub fn framed() -> String {
    format!(
        "SELECT partition, offset, \
           CASE WHEN value IS NULL OR length(value) < 5 THEN 'too_short' \
                WHEN substring(value, 1, 1) <> X'00' THEN 'wrong_magic' END AS problem, \
           CASE WHEN length(value) >= 5 \
                THEN CAST(conv(hex(substring(value, 2, 4)), 16, 10) AS BIGINT) END AS schema_id, \
           coalesce(length(value), 0) AS len, \
           CASE WHEN length(value) >= 1 THEN hex(substring(value, 1, 1)) END AS magic, \
           CASE WHEN length(value) >= 5 AND substring(value, 1, 1) = X'00' \
                THEN substring(value, 6) END AS body \
         FROM {RAW}"
    )
}

/// Records per schema id among the framed records.
pub fn schema_ids() -> String {
    format!(
        "SELECT schema_id, count(*) AS records FROM {FRAMED} \
         WHERE problem IS NULL GROUP BY schema_id ORDER BY schema_id"
    )
}

/// How the records of one schema id are decoded.
#[derive(Debug, Clone)]
pub enum Writer {
    /// With this writer schema (its text and columns).
    Known {
        /// The schema as the registry gave it.
        text: String,
        /// Its columns.
        columns: Vec<Column>,
    },
    /// Not at all: the registry does not know the id.
    Unknown,
    /// Not at all: the registry's schema for the id is not usable here.
    Unusable,
}

/// Every record in the reader's shape: the decoded records of each schema id and the ones that
/// did not frame, unioned, with `problem` NULL for good records.
pub fn decoded(reader: &[Column], writers: &[(u32, Writer)]) -> String {
    let mut parts = vec![format!(
        "SELECT partition, offset, schema_id, problem, len, magic, {} FROM {FRAMED} \
         WHERE problem IS NOT NULL",
        fills(reader, |_| None)
    )];
    for (id, writer) in writers {
        parts.push(match writer {
            Writer::Known { text, columns } => decode_one(*id, text, columns, reader),
            Writer::Unknown => undecoded(*id, "unknown_schema_id", reader),
            Writer::Unusable => undecoded(*id, "unusable_schema", reader),
        });
    }
    parts.join(" UNION ALL ")
}

/// The reader's columns, each taken from `source` when it names one, else filled.
fn fills(reader: &[Column], source: impl Fn(&Column) -> Option<String>) -> String {
    let list: Vec<String> = reader
        .iter()
        .map(|c| {
            let value = source(c).unwrap_or_else(|| c.fill.clone());
            format!("CAST({value} AS {}) AS {}", c.sql_type, identifier(&c.name))
        })
        .collect();
    if list.is_empty() {
        "NULL AS no_fields".into()
    } else {
        list.join(", ")
    }
}

fn undecoded(id: u32, problem: &str, reader: &[Column]) -> String {
    format!(
        "SELECT partition, offset, schema_id, {} AS problem, len, magic, {} FROM {FRAMED} \
         WHERE problem IS NULL AND schema_id = {id}",
        string_literal(problem),
        fills(reader, |_| None)
    )
}

/// `from_avro` in PERMISSIVE mode turns a body that does not decode into a struct whose fields
/// are all NULL, so a NULL in a field the writer cannot leave null marks it undecodable.
fn decode_one(id: u32, text: &str, writer: &[Column], reader: &[Column]) -> String {
    let broken = match writer.iter().find(|c| !c.nullable) {
        Some(required) => format!("r IS NULL OR r.{} IS NULL", identifier(&required.name)),
        None => "r IS NULL".to_owned(),
    };
    let has = |name: &str| writer.iter().any(|c| c.name == name);
    format!(
        "SELECT partition, offset, schema_id, \
           CASE WHEN {broken} THEN 'undecodable' END AS problem, len, magic, {} \
         FROM (SELECT partition, offset, schema_id, len, magic, \
                 from_avro(body, {}, map('mode', 'PERMISSIVE')) AS r \
               FROM {FRAMED} WHERE problem IS NULL AND schema_id = {id})",
        fills(reader, |c| has(&c.name)
            .then(|| format!("r.{}", identifier(&c.name)))),
        string_literal(text)
    )
}

/// The fields the aggregations need, with the types they accept.
pub const NEEDED: [&str; 6] = [
    "creative_id",
    "placement_id",
    "timestamp",
    "cost",
    "ip",
    "user_agent",
];

/// The aggregation queries over the records that decoded.
#[derive(Debug, Clone)]
pub struct Aggregations {
    event_ms: String,
}

impl Aggregations {
    /// Queries for a reader whose `timestamp` column has type `timestamp_type`.
    pub fn new(timestamp_type: &str) -> Self {
        let event_ms = match timestamp_type {
            "TIMESTAMP" | "TIMESTAMP_NTZ" => "unix_millis(CAST(`timestamp` AS TIMESTAMP))",
            _ => "CAST(`timestamp` AS BIGINT)",
        };
        Self {
            event_ms: event_ms.to_owned(),
        }
    }

    /// A record's cost in whole cents, rounded as the generator rounds it.
    const CENTS: &'static str = "CAST(round(CAST(`cost` AS DOUBLE) * 100) AS BIGINT)";

    /// Records, cost, approximate distinct users and the event-time span.
    pub fn totals(&self) -> String {
        let ms = &self.event_ms;
        format!(
            "SELECT count(*) AS clicks, coalesce(sum({c}), 0) AS cost_cents, \
               approx_count_distinct(hash(`ip`, `user_agent`)) AS approx_users, \
               min({ms}) AS first_event_ms, max({ms}) AS last_event_ms \
             FROM {CLICKS}",
            c = Self::CENTS
        )
    }

    /// Clicks and cost per value of `key`.
    pub fn per(&self, key: &str) -> String {
        let k = identifier(key);
        format!(
            "SELECT {k} AS key, count(*) AS clicks, coalesce(sum({c}), 0) AS cost_cents \
             FROM {CLICKS} GROUP BY {k} ORDER BY {k}",
            c = Self::CENTS
        )
    }

    /// Clicks and cost per minute of event time (the minute's start in ms since the epoch).
    pub fn per_minute(&self) -> String {
        format!(
            "SELECT CAST(floor({ms} / 60000) * 60000 AS BIGINT) AS minute_ms, \
               count(*) AS clicks, coalesce(sum({c}), 0) AS cost_cents \
             FROM {CLICKS} GROUP BY 1 ORDER BY 1",
            ms = self.event_ms,
            c = Self::CENTS
        )
    }

    /// The `n` creatives with the most clicks (`by = "clicks"`) or cost (`by = "cost_cents"`).
    pub fn top_creatives(&self, by: TopBy, n: u32) -> String {
        let order = match by {
            TopBy::Clicks => "clicks DESC, cost_cents DESC",
            TopBy::Cost => "cost_cents DESC, clicks DESC",
        };
        format!(
            "SELECT `creative_id` AS key, count(*) AS clicks, coalesce(sum({c}), 0) AS cost_cents \
             FROM {CLICKS} GROUP BY `creative_id` ORDER BY {order}, key LIMIT {n}",
            c = Self::CENTS
        )
    }
}

/// What the top-N creatives are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopBy {
    /// Number of clicks.
    Clicks,
    /// Sum of cost.
    Cost,
}

/// Per field of the reader, how many decoded records hold NULL there: one row, a `records`
/// column then one column per field.
pub fn null_counts(reader: &[Column]) -> String {
    let mut list = vec!["count(*) AS records".to_owned()];
    list.extend(
        reader
            .iter()
            .map(|c| format!("count_if({0} IS NULL) AS {0}", identifier(&c.name))),
    );
    format!("SELECT {} FROM {CLICKS}", list.join(", "))
}

/// Records per problem.
pub fn problem_counts() -> String {
    format!(
        "SELECT problem, count(*) AS records FROM {DECODED} \
         WHERE problem IS NOT NULL GROUP BY problem ORDER BY problem"
    )
}

/// Records per schema id that decoded.
pub fn decoded_per_schema() -> String {
    format!(
        "SELECT schema_id, count(*) AS records FROM {CLICKS} GROUP BY schema_id ORDER BY schema_id"
    )
}

/// The records with a problem, by position; the first `limit` of them when one is given.
pub fn problems(limit: Option<u32>) -> String {
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    format!(
        "SELECT partition, offset, problem, schema_id, len, magic FROM {DECODED} \
         WHERE problem IS NOT NULL ORDER BY partition, offset{limit}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");

    #[test]
    fn literals_escape_quotes_backslashes_and_line_breaks() {
        assert_eq!(string_literal("plain"), "'plain'");
        assert_eq!(string_literal("it's"), r"'it\'s'");
        assert_eq!(string_literal(r"a\b"), r"'a\\b'");
        assert_eq!(string_literal("x\ny"), r"'x\ny'");
        assert_eq!(
            string_literal(r"'); DROP TABLE t; --"),
            r"'\'); DROP TABLE t; --'"
        );
    }

    #[test]
    fn identifiers_double_their_backquotes() {
        assert_eq!(identifier("cost"), "`cost`");
        assert_eq!(identifier("a`b"), "`a``b`");
    }

    #[test]
    fn click_schemas_map_to_spark_columns() {
        let v1 = columns(V1).unwrap_or_else(|e| panic!("{e}"));
        let v2 = columns(V2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v1.len(), 9);
        let find = |cols: &[Column], n: &str| {
            cols.iter()
                .find(|c| c.name == n)
                .cloned()
                .unwrap_or_else(|| panic!("no {n}"))
        };
        assert_eq!(find(&v1, "timestamp").sql_type, "TIMESTAMP");
        assert_eq!(find(&v1, "cost").sql_type, "FLOAT");
        assert!(find(&v1, "ip").nullable && !find(&v1, "id").nullable);
        let country = find(&v2, "country");
        assert_eq!(
            (country.sql_type.as_str(), country.fill.as_str()),
            ("STRING", "NULL")
        );
    }

    #[test]
    fn older_writers_fill_the_readers_new_fields() {
        let reader = columns(V2).unwrap_or_else(|e| panic!("{e}"));
        let v1 = columns(V1).unwrap_or_else(|e| panic!("{e}"));
        let sql = decoded(
            &reader,
            &[(
                1,
                Writer::Known {
                    text: V1.to_owned(),
                    columns: v1,
                },
            )],
        );
        assert!(sql.contains("CAST(NULL AS STRING) AS `country`"), "{sql}");
        assert!(sql.contains("CAST(r.`cost` AS FLOAT) AS `cost`"), "{sql}");
        assert!(sql.contains("r IS NULL OR r.`id` IS NULL"), "{sql}");
        // The schema travels as one escaped literal: its quotes and line breaks are escaped.
        assert!(!sql.contains("\n"), "{sql}");
        assert!(
            sql.contains(r#"from_avro(body, '{\n  "type": "record""#),
            "{sql}"
        );
    }

    #[test]
    fn unsupported_types_are_named() {
        let schema = r#"{"type":"record","name":"r","fields":[{"name":"tags","type":{"type":"array","items":"string"}}]}"#;
        assert!(matches!(
            columns(schema),
            Err(ShapeError::Unsupported { field, .. }) if field == "tags"
        ));
    }
}
