//! The field table of a record schema: for each field its name, its type as a person writes it,
//! its logical type, whether it may be null and its default. Pure; tested natively.

use apache_avro::schema::{RecordField, Schema};

/// One line of the field table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    /// The field's name.
    pub name: String,
    /// The type as written in a schema, with unions as `a | b` (`string | null`).
    pub type_name: String,
    /// The logical type (`timestamp-millis`, `decimal(9, 2)`), when there is one.
    pub logical: Option<String>,
    /// Whether `null` is a possible value.
    pub nullable: bool,
    /// The default as JSON text, when the field has one.
    pub default: Option<String>,
}

/// The rows of `schema`'s fields; empty when it is not a record.
pub fn rows(schema: &Schema) -> Vec<FieldRow> {
    match schema {
        Schema::Record(record) => record.fields.iter().map(row).collect(),
        _ => Vec::new(),
    }
}

fn row(field: &RecordField) -> FieldRow {
    FieldRow {
        name: field.name.clone(),
        type_name: type_name(&field.schema),
        logical: logical(&field.schema),
        nullable: nullable(&field.schema),
        default: field.default.as_ref().map(|value| value.to_string()),
    }
}

/// How a schema's type reads in a table cell: the underlying type for logical types (their
/// meaning goes in the logical column), short names for named types.
pub fn type_name(schema: &Schema) -> String {
    match schema {
        Schema::Array(array) => format!("array<{}>", type_name(&array.items)),
        Schema::Map(map) => format!("map<{}>", type_name(&map.types)),
        Schema::Union(union) => union
            .variants()
            .iter()
            .map(type_name)
            .collect::<Vec<_>>()
            .join(" | "),
        Schema::Record(record) => record.name.name.clone(),
        Schema::Enum(e) => format!("enum {}", e.name.name),
        Schema::Fixed(fixed) => format!("fixed {}[{}]", fixed.name.name, fixed.size),
        Schema::Decimal(decimal) => type_name(&decimal.inner),
        Schema::Ref { name } => name.name.clone(),
        other => primitive_name(other).to_owned(),
    }
}

/// Names of the types that need no recursion, with logical types shown as what they annotate.
fn primitive_name(schema: &Schema) -> &'static str {
    match schema {
        Schema::Duration => "fixed[12]",
        other => shared::record::type_name(other),
    }
}

/// The logical type of a schema; for a union, those of its branches.
pub fn logical(schema: &Schema) -> Option<String> {
    let name = match schema {
        Schema::Union(union) => {
            let found: Vec<String> = union.variants().iter().filter_map(logical).collect();
            return (!found.is_empty()).then(|| found.join(", "));
        }
        Schema::Decimal(d) => return Some(format!("decimal({}, {})", d.precision, d.scale)),
        Schema::BigDecimal => "big-decimal",
        Schema::Uuid => "uuid",
        Schema::Date => "date",
        Schema::TimeMillis => "time-millis",
        Schema::TimeMicros => "time-micros",
        Schema::TimestampMillis => "timestamp-millis",
        Schema::TimestampMicros => "timestamp-micros",
        Schema::TimestampNanos => "timestamp-nanos",
        Schema::LocalTimestampMillis => "local-timestamp-millis",
        Schema::LocalTimestampMicros => "local-timestamp-micros",
        Schema::LocalTimestampNanos => "local-timestamp-nanos",
        Schema::Duration => "duration",
        _ => return None,
    };
    Some(name.to_owned())
}

/// Whether `null` is among the values: the null type, or a union with a null branch.
pub fn nullable(schema: &Schema) -> bool {
    match schema {
        Schema::Null => true,
        Schema::Union(union) => union.is_nullable(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");

    fn parse(text: &str) -> Schema {
        Schema::parse_str(text).unwrap_or_else(|e| panic!("test schema does not parse: {e}"))
    }

    fn find<'a>(rows: &'a [FieldRow], name: &str) -> &'a FieldRow {
        rows.iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name} in {rows:?}"))
    }

    #[test]
    fn click_v1_has_one_row_per_field_in_order() {
        let rows = rows(&parse(V1));
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "impression_id",
                "creative_id",
                "placement_id",
                "timestamp",
                "user_agent",
                "ip",
                "referrer",
                "cost"
            ]
        );
    }

    #[test]
    fn logical_types_show_their_underlying_type() {
        let rows = rows(&parse(V1));
        assert_eq!(
            find(&rows, "timestamp"),
            &FieldRow {
                name: "timestamp".into(),
                type_name: "long".into(),
                logical: Some("timestamp-millis".into()),
                nullable: false,
                default: None,
            }
        );
    }

    #[test]
    fn unions_with_null_are_nullable_and_defaults_are_json() {
        let rows = rows(&parse(V2));
        let ua = find(&rows, "user_agent");
        assert_eq!(
            (ua.type_name.as_str(), ua.nullable),
            ("string | null", true)
        );
        assert_eq!(ua.default, None);
        let country = find(&rows, "country");
        assert_eq!(country.type_name, "null | string");
        assert!(country.nullable);
        assert_eq!(country.default.as_deref(), Some("null"));
        let cost = find(&rows, "cost");
        assert_eq!((cost.type_name.as_str(), cost.nullable), ("float", false));
    }

    #[test]
    fn complex_and_named_types_read_like_a_schema() {
        let schema = parse(
            r#"{"type":"record","name":"r","namespace":"n","fields":[
                {"name":"tags","type":{"type":"array","items":"string"},"default":[]},
                {"name":"scores","type":{"type":"map","values":"double"}},
                {"name":"kind","type":{"type":"enum","name":"kind_t","symbols":["A","B"]}},
                {"name":"hash","type":{"type":"fixed","name":"md5","size":16}},
                {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
                {"name":"day","type":["null",{"type":"int","logicalType":"date"}]},
                {"name":"again","type":["null","kind_t"]}
            ]}"#,
        );
        let rows = rows(&schema);
        let cell = |name: &str| {
            let r = find(&rows, name);
            (r.type_name.clone(), r.logical.clone())
        };
        assert_eq!(cell("tags"), ("array<string>".into(), None));
        assert_eq!(find(&rows, "tags").default.as_deref(), Some("[]"));
        assert_eq!(cell("scores"), ("map<double>".into(), None));
        assert_eq!(cell("kind"), ("enum kind_t".into(), None));
        assert_eq!(cell("hash"), ("fixed md5[16]".into(), None));
        assert_eq!(
            cell("price"),
            ("bytes".into(), Some("decimal(9, 2)".into()))
        );
        assert_eq!(cell("day"), ("null | int".into(), Some("date".into())));
        assert_eq!(cell("again"), ("null | kind_t".into(), None));
    }

    #[test]
    fn a_schema_that_is_not_a_record_has_no_rows() {
        assert!(rows(&Schema::String).is_empty());
    }
}
