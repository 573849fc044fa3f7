//! The Spark SQL a batch run sends, built from typed parts: string literals are escaped,
//! identifiers are quoted, and Avro schemas become the column types Spark's `from_avro` gives
//! them. Nothing a user typed, and no schema text, reaches Spark unquoted.

use apache_avro::schema::{RecordField, Schema};
use serde_json::Value;

/// The temporary view over the Kafka source.
pub(crate) const RAW: &str = "kd_batch_raw";

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

/// The columns of a record schema, in order. Nested fields (records, arrays, maps, possibly
/// null) are left out: the job aggregates none of them, and `from_avro` still decodes them.
pub fn columns(schema_text: &str) -> Result<Vec<Column>, ShapeError> {
    let schema = shared::names::parse_schema(schema_text).map_err(ShapeError::NotAvro)?;
    let Schema::Record(record) = schema else {
        return Err(ShapeError::NotARecord);
    };
    record
        .fields
        .iter()
        .filter(|f| !nested(&f.schema))
        .map(column)
        .collect()
}

/// Whether `schema` is a record, array or map, or a union of null and one of them.
fn nested(schema: &Schema) -> bool {
    match schema {
        Schema::Record(_) | Schema::Array(_) | Schema::Map(_) | Schema::Ref { .. } => true,
        Schema::Union(u) => {
            let others: Vec<&Schema> = u
                .variants()
                .iter()
                .filter(|s| !matches!(s, Schema::Null))
                .collect();
            matches!(others.as_slice(), [one] if nested(one))
        }
        _ => false,
    }
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

/// A writer schema the registry knows, ready for `from_avro`.
#[derive(Debug, Clone)]
pub struct Writer {
    /// Its id.
    pub id: u32,
    /// The schema as the registry gave it.
    pub text: String,
    /// Its columns.
    pub columns: Vec<Column>,
}

/// The Confluent framing checked in SQL: position, the problem with the header (`too_short`,
/// `wrong_magic`) or NULL, the schema id (as a number, and as the header's four bytes in
/// `id_bytes`) and the Avro body, of the records in the view `source`.
///
/// Records are matched to their writers and grouped by `id_bytes`: turning the bytes into a
/// number (through hex text) for every record took an eighth of the batch job's time, while
/// comparing bytes costs next to nothing; `schema_id` is computed only where a query reads it.
fn framed(source: &str) -> String {
    format!(
        "SELECT partition, offset, \
           CASE WHEN value IS NULL OR length(value) < 5 THEN 'too_short' \
                WHEN substring(value, 1, 1) <> X'00' THEN 'wrong_magic' END AS problem, \
           CASE WHEN length(value) >= 5 THEN substring(value, 2, 4) END AS id_bytes, \
           CASE WHEN length(value) >= 5 \
                THEN CAST(conv(hex(substring(value, 2, 4)), 16, 10) AS BIGINT) END AS schema_id, \
           coalesce(length(value), 0) AS len, \
           CASE WHEN length(value) >= 1 AND substring(value, 1, 1) <> X'00' \
                THEN CAST(conv(hex(substring(value, 1, 1)), 16, 10) AS INT) END AS magic, \
           CASE WHEN length(value) >= 5 THEN substring(value, 6) END AS body \
         FROM {source}"
    )
}

/// Records per schema id among the well-framed records.
pub fn framed_ids() -> String {
    format!(
        "WITH framed AS ({}) SELECT schema_id, count(*) AS records FROM framed \
         WHERE problem IS NULL GROUP BY schema_id ORDER BY schema_id",
        framed(RAW)
    )
}

/// Each known writer's `from_avro` result, computed only for its own records (`w<id>`).
///
/// `from_avro` in PERMISSIVE mode turns a body that does not decode into a struct whose
/// fields are all NULL, so a NULL in a field the writer cannot leave null marks it undecodable.
fn decoded(writers: &[Writer]) -> String {
    let mut list = vec!["partition, offset, id_bytes, schema_id, len, magic, problem".to_owned()];
    for w in writers {
        list.push(format!(
            "CASE WHEN problem IS NULL AND id_bytes = {bytes} \
               THEN from_avro(body, {schema}, map('mode', 'PERMISSIVE')) END AS w{id}",
            id = w.id,
            bytes = id_bytes(w.id),
            schema = string_literal(&w.text)
        ));
    }
    format!("SELECT {} FROM framed", list.join(", "))
}

/// A schema id as the four big-endian bytes of a Confluent header, a SQL binary literal.
fn id_bytes(id: u32) -> String {
    format!("X'{id:08X}'")
}

/// Every record in the reader's shape (reader columns are named `c_<field>`), with its problem:
/// the framing's, `undecodable`, `unknown_schema_id` (no known writer), or NULL.
fn shaped(reader: &[Column], writers: &[Writer]) -> String {
    let mut problem = String::from("CASE WHEN problem IS NOT NULL THEN problem");
    for w in writers {
        let broken = match w.columns.iter().find(|c| !c.nullable) {
            Some(required) => format!(
                "w{0} IS NULL OR w{0}.{1} IS NULL",
                w.id,
                identifier(&required.name)
            ),
            None => format!("w{} IS NULL", w.id),
        };
        problem += &format!(
            " WHEN id_bytes = {} THEN CASE WHEN {broken} THEN 'undecodable' END",
            id_bytes(w.id)
        );
    }
    problem += " ELSE 'unknown_schema_id' END AS problem";
    let mut list = vec![
        "partition, offset, id_bytes, schema_id, len, magic".to_owned(),
        problem,
    ];
    for c in reader {
        let mut value = String::from("CASE");
        for w in writers {
            let source = if w.columns.iter().any(|wc| wc.name == c.name) {
                format!("w{}.{}", w.id, identifier(&c.name))
            } else {
                c.fill.clone()
            };
            value += &format!(
                " WHEN id_bytes = {} THEN CAST({source} AS {})",
                id_bytes(w.id),
                c.sql_type
            );
        }
        value += &format!(" ELSE CAST(NULL AS {}) END", c.sql_type);
        let value = if writers.is_empty() {
            format!("CAST(NULL AS {})", c.sql_type)
        } else {
            value
        };
        list.push(format!(
            "{value} AS {}",
            identifier(&format!("c_{}", c.name))
        ));
    }
    format!("SELECT {} FROM decoded", list.join(", "))
}

/// Every record of the view `source` (Kafka's columns) in the reader's shape: `partition`,
/// `offset`, `schema_id`, `len`, `magic`, `problem` (NULL for a clean record) and the reader's
/// fields as `c_<field>`. `source` must be a checked view name, never user text. The streaming
/// job reads its records through this.
pub fn records(reader: &[Column], writers: &[Writer], source: &str) -> String {
    format!(
        "WITH framed AS ({framed}), decoded AS ({decoded}), shaped AS ({shaped}) \
         SELECT * EXCEPT (id_bytes) FROM shaped",
        framed = framed(source),
        decoded = decoded(writers),
        shaped = shaped(reader, writers),
    )
}

/// The fields the aggregations need.
pub const NEEDED: [&str; 6] = [
    "creative_id",
    "placement_id",
    "timestamp",
    "cost",
    "ip",
    "user_agent",
];

/// Low bits of a user's hash that pick a HyperLogLog register: 2^12 registers give about 1.6%
/// standard error.
pub const REGISTER_BITS: u32 = 12;

/// What a row of the [`aggregate`] result holds, by its `dim` column.
pub mod dim {
    /// Clean records per creative (`key`) and minute (`minute_ms`).
    pub const CREATIVE_MINUTE: i32 = 0;
    /// Clean records per placement (`key`).
    pub const PLACEMENT: i32 = 1;
    /// Clean records per schema id and HyperLogLog register (`bucket`, `user_rank`); one row
    /// per poison pill with its `problem`, `pill_partition` and `pill_offset`.
    pub const RECORDS: i32 = 2;
}

/// The one pass over Kafka: frame, decode, reshape and aggregate every record.
///
/// Each clean record is counted in three groupings (see [`dim`]); a poison pill only in the
/// last, as a group of its own that carries its position. Every report table is a sum over
/// these few thousand rows; the top creatives come ranked (`rank_by_clicks`,
/// `rank_by_cost`). Distinct users are counted with HyperLogLog registers computed here:
/// each register's row holds the highest rank (leading zeros + 1) of the hashes that fall
/// into it, and registers merge by taking the maximum.
///
/// Only plain aggregates (count, sum, min, max) are used, so Spark runs the grouping as
/// generated code; object-based aggregates (`collect_list`, sketches) cost several times more.
///
/// At most `poison_limit` pills of each kind are listed; `problem_records` on a pill's row
/// counts all pills of its kind.
pub fn aggregate(reader: &[Column], writers: &[Writer], poison_limit: u32) -> String {
    let timestamp = reader
        .iter()
        .find(|c| c.name == "timestamp")
        .map(|c| c.sql_type.as_str());
    let event_ms = match timestamp {
        Some("TIMESTAMP" | "TIMESTAMP_NTZ") => "unix_millis(CAST(`c_timestamp` AS TIMESTAMP))",
        _ => "CAST(`c_timestamp` AS BIGINT)",
    };
    let bits = REGISTER_BITS;
    let word = 64 - bits;
    // Cents rounded half away from zero, as the generator rounds them; Spark's round() goes
    // through a BigDecimal per row, this arithmetic does not.
    let rows = format!(
        "SELECT *, {event_ms} AS event_ms, \
           CAST(signum(`c_cost`) * floor(abs(CAST(`c_cost` AS DOUBLE) * 100) + 0.5) AS BIGINT) \
             AS cents, \
           xxhash64(`c_ip`, `c_user_agent`) AS user_hash FROM shaped"
    );
    let (c, p, r) = (dim::CREATIVE_MINUTE, dim::PLACEMENT, dim::RECORDS);
    let mut aggs = vec![
        "count(*) AS records".to_owned(),
        "coalesce(sum(cents), 0) AS cost_cents".into(),
        // Every aggregate costs an update per row and grouping, so the ones only one
        // grouping needs take NULL in the others.
        format!("min(CASE WHEN dim = {r} THEN event_ms END) AS first_event_ms"),
        format!("max(CASE WHEN dim = {r} THEN event_ms END) AS last_event_ms"),
        // The rank of the hash's bits above the register bits: 1 + their leading zeros.
        format!(
            "max(CASE WHEN dim = {r} AND problem IS NULL THEN \
               CASE WHEN shiftrightunsigned(user_hash, {bits}) = 0 THEN {top} \
                    ELSE {word} - CAST(floor(log2(CAST(shiftrightunsigned(user_hash, {bits}) AS DOUBLE))) AS INT) \
               END END) AS user_rank",
            top = word + 1
        ),
    ];
    for col in reader {
        let null = identifier(&format!("null_{}", col.name));
        // A field every writer has and none leaves null is never null in a decoded record;
        // counting it anyway would cost an aggregate per field and row.
        let can_be_null = col.nullable
            || writers.iter().any(|w| {
                w.columns
                    .iter()
                    .find(|wc| wc.name == col.name)
                    .is_none_or(|wc| wc.nullable)
            });
        aggs.push(if can_be_null {
            format!(
                "count_if(dim = {r} AND {} IS NULL) AS {null}",
                identifier(&format!("c_{}", col.name))
            )
        } else {
            format!("CAST(0 AS BIGINT) AS {null}")
        });
    }
    let agg = format!(
        "SELECT dim, \
           CASE dim WHEN {c} THEN `c_creative_id` WHEN {p} THEN `c_placement_id` END AS key, \
           CASE WHEN dim = {c} THEN CAST(floor(event_ms / 60000) * 60000 AS BIGINT) END AS minute_ms, \
           CASE WHEN dim = {r} THEN problem END AS problem, \
           CASE WHEN dim = {r} THEN id_bytes END AS id_bytes, \
           CASE WHEN dim = {r} AND problem IS NULL \
                THEN CAST(user_hash & {mask} AS INT) END AS bucket, \
           CASE WHEN problem IS NOT NULL THEN partition END AS pill_partition, \
           CASE WHEN problem IS NOT NULL THEN offset END AS pill_offset, \
           CASE WHEN problem IS NOT NULL THEN len END AS len, \
           CASE WHEN problem IS NOT NULL THEN magic END AS magic, \
           {aggs} \
         FROM rows LATERAL VIEW explode(CASE WHEN problem IS NULL \
           THEN array({c}, {p}, {r}) ELSE array({r}) END) d AS dim \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
        mask = (1u64 << bits) - 1,
        aggs = aggs.join(", ")
    );
    format!(
        "WITH framed AS ({framed}), decoded AS ({decoded}), shaped AS ({shaped}), \
           rows AS ({rows}), agg AS ({agg}), \
           totals AS (SELECT *, sum(records) OVER (PARTITION BY dim, key) AS key_records, \
                        sum(cost_cents) OVER (PARTITION BY dim, key) AS key_cost FROM agg) \
         SELECT * EXCEPT (id_bytes), \
           CAST(conv(hex(id_bytes), 16, 10) AS BIGINT) AS schema_id FROM (SELECT *, \
           CASE WHEN dim = {c} THEN dense_rank() OVER \
             (PARTITION BY dim ORDER BY key_records DESC, key_cost DESC, key) END AS rank_by_clicks, \
           CASE WHEN dim = {c} THEN dense_rank() OVER \
             (PARTITION BY dim ORDER BY key_cost DESC, key_records DESC, key) END AS rank_by_cost, \
           CASE WHEN problem IS NOT NULL THEN sum(records) OVER \
             (PARTITION BY dim, problem) END AS problem_records, \
           CASE WHEN problem IS NOT NULL THEN row_number() OVER \
             (PARTITION BY dim, problem ORDER BY pill_partition, pill_offset) END AS pill_rank \
         FROM totals) WHERE pill_rank IS NULL OR pill_rank <= {poison_limit}",
        framed = framed(RAW),
        decoded = decoded(writers),
        shaped = shaped(reader, writers),
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
    fn schema_ids_are_matched_as_the_headers_big_endian_bytes() {
        assert_eq!(id_bytes(1), "X'00000001'");
        assert_eq!(id_bytes(0x0102_0A0B), "X'01020A0B'");
        assert_eq!(id_bytes(u32::MAX), "X'FFFFFFFF'");
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
        let writer = Writer {
            id: 1,
            text: V1.to_owned(),
            columns: columns(V1).unwrap_or_else(|e| panic!("{e}")),
        };
        let sql = aggregate(&reader, &[writer], 10);
        assert!(sql.contains("WHEN id_bytes = X'00000001' THEN CAST(NULL AS STRING) ELSE CAST(NULL AS STRING) END AS `c_country`"), "{sql}");
        assert!(
            sql.contains("WHEN id_bytes = X'00000001' THEN CAST(w1.`cost` AS FLOAT)"),
            "{sql}"
        );
        assert!(sql.contains("w1 IS NULL OR w1.`id` IS NULL"), "{sql}");
        assert!(
            sql.contains("ELSE 'unknown_schema_id' END AS problem"),
            "{sql}"
        );
        // The schema travels as one escaped literal that keeps the statement on one line.
        assert!(!sql.contains('\n'), "{sql}");
        assert!(
            sql.contains(r#"from_avro(body, '{\n  "type": "record""#),
            "{sql}"
        );
    }

    #[test]
    fn only_fields_that_can_be_null_are_counted() {
        let reader = columns(V2).unwrap_or_else(|e| panic!("{e}"));
        let writer = Writer {
            id: 1,
            text: V1.to_owned(),
            columns: columns(V1).unwrap_or_else(|e| panic!("{e}")),
        };
        let sql = aggregate(&reader, &[writer], 25);
        assert!(sql.contains("CAST(0 AS BIGINT) AS `null_id`"), "{sql}");
        assert!(
            sql.contains("`c_referrer` IS NULL) AS `null_referrer`"),
            "{sql}"
        );
        // v1 has no country: its records are null there.
        assert!(
            sql.contains("`c_country` IS NULL) AS `null_country`"),
            "{sql}"
        );
        assert!(sql.contains("pill_rank <= 25"), "{sql}");
    }

    #[test]
    fn unsupported_types_are_named_and_nested_fields_left_out() {
        let schema =
            r#"{"type":"record","name":"r","fields":[{"name":"either","type":["int","string"]}]}"#;
        assert!(matches!(
            columns(schema),
            Err(ShapeError::Unsupported { field, .. }) if field == "either"
        ));
        let nested = r#"{"type":"record","name":"r","fields":[
            {"name":"id","type":"string"},
            {"name":"tags","type":{"type":"array","items":"string"}},
            {"name":"geo","type":["null",{"type":"record","name":"g","fields":[{"name":"c","type":"string"}]}]},
            {"name":"again","type":"g"}]}"#;
        let names: Vec<String> = columns(nested)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["id"]);
    }
}
