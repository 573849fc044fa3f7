//! A deterministic sample record for any Avro schema: every field filled by its type, the same
//! record every time, so the wire preview shows stable bytes. Pure; tested natively.
//!
//! Strings are named after their field (`id` → `"id-1"`), numbers are small constants,
//! timestamps are 2023-11-14T22:13:20Z, unions take their first non-null branch, arrays and maps
//! hold one entry. Recursive schemas are cut off: past a depth limit unions take their null
//! branch and collections stay empty; a schema that can only nest without end is refused.

use apache_avro::schema::{Name, ResolvedSchema, Schema};
use apache_avro::types::Value;
use apache_avro::{BigDecimal, Days, Decimal, Duration, Millis, Months, Uuid};
use std::collections::HashMap;

/// From this depth on, optional nesting (nullable unions, collections) is left out.
const SOFT_DEPTH: usize = 8;
/// At this depth the schema nests without end: refuse it.
const HARD_DEPTH: usize = 64;
/// 2023-11-14T22:13:20Z in milliseconds since the epoch.
const TIMESTAMP_MILLIS: i64 = 1_700_000_000_000;

/// Why no sample could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    /// A named type is used but never defined.
    #[error("the schema refers to types it does not define: {0}")]
    Unresolved(String),
    /// Every value of the schema would contain itself.
    #[error("the schema nests without end at {path}: no finite record fits it")]
    Endless {
        /// Where the nesting was given up.
        path: String,
    },
    /// An enum without symbols has no value.
    #[error("enum {0} has no symbols, so no value fits it")]
    EmptyEnum(String),
    /// A union without branches has no value.
    #[error("a union at {0} has no branches, so no value fits it")]
    EmptyUnion(String),
}

/// Builds the sample record of `schema`.
pub fn sample(schema: &Schema) -> Result<Value, SampleError> {
    let resolved =
        ResolvedSchema::try_from(schema).map_err(|e| SampleError::Unresolved(e.to_string()))?;
    let names: HashMap<Name, &Schema> = resolved
        .get_names()
        .iter()
        .map(|(name, schema)| (name.clone(), *schema))
        .collect();
    Sampler { names }.value(schema, "value", 0)
}

struct Sampler<'s> {
    names: HashMap<Name, &'s Schema>,
}

impl Sampler<'_> {
    /// The sample of `schema` for the field (or path) `label`, `depth` levels down.
    fn value(&self, schema: &Schema, label: &str, depth: usize) -> Result<Value, SampleError> {
        if depth >= HARD_DEPTH {
            return Err(SampleError::Endless {
                path: label.to_owned(),
            });
        }
        let deeper = depth + 1;
        Ok(match schema {
            Schema::Record(record) => Value::Record(
                record
                    .fields
                    .iter()
                    .map(|f| Ok((f.name.clone(), self.value(&f.schema, &f.name, deeper)?)))
                    .collect::<Result<_, SampleError>>()?,
            ),
            Schema::Union(union) => {
                let variants = union.variants();
                let index = branch(variants, depth)
                    .ok_or_else(|| SampleError::EmptyUnion(label.to_owned()))?;
                let chosen = self.value(&variants[index], label, deeper)?;
                Value::Union(index as u32, Box::new(chosen))
            }
            Schema::Array(array) if depth < SOFT_DEPTH => {
                Value::Array(vec![self.value(&array.items, label, deeper)?])
            }
            Schema::Array(_) => Value::Array(Vec::new()),
            Schema::Map(map) if depth < SOFT_DEPTH => Value::Map(HashMap::from([(
                "key".to_owned(),
                self.value(&map.types, label, deeper)?,
            )])),
            Schema::Map(_) => Value::Map(HashMap::new()),
            Schema::Enum(e) => match e.symbols.first() {
                Some(symbol) => Value::Enum(0, symbol.clone()),
                None => return Err(SampleError::EmptyEnum(e.name.fullname(None))),
            },
            Schema::Fixed(fixed) => Value::Fixed(fixed.size, counting_bytes(fixed.size)),
            Schema::Decimal(decimal) => {
                Value::Decimal(Decimal::from(decimal_bytes(&decimal.inner)))
            }
            Schema::Ref { name } => match self.names.get(name) {
                Some(named) => self.value(named, label, deeper)?,
                None => return Err(SampleError::Unresolved(name.fullname(None))),
            },
            other => scalar(other, label),
        })
    }
}

/// The union branch to fill: the first non-null one, or null once deep enough to stop nesting.
fn branch(variants: &[Schema], depth: usize) -> Option<usize> {
    let null = variants.iter().position(|v| matches!(v, Schema::Null));
    let other = variants.iter().position(|v| !matches!(v, Schema::Null));
    if depth >= SOFT_DEPTH {
        null.or(other)
    } else {
        other.or(null)
    }
}

/// Values of the types that hold no other type.
fn scalar(schema: &Schema, label: &str) -> Value {
    match schema {
        Schema::Boolean => Value::Boolean(true),
        Schema::Int => Value::Int(42),
        Schema::Long => Value::Long(42),
        Schema::Float => Value::Float(1.5),
        Schema::Double => Value::Double(2.25),
        Schema::Bytes => Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef]),
        Schema::String => Value::String(format!("{label}-1")),
        Schema::Uuid => Value::Uuid(Uuid::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef)),
        Schema::BigDecimal => Value::BigDecimal(BigDecimal::from(12_345)),
        // 2023-11-14, and 12:34:56.789.
        Schema::Date => Value::Date(19_675),
        Schema::TimeMillis => Value::TimeMillis(45_296_789),
        Schema::TimeMicros => Value::TimeMicros(45_296_789_000),
        Schema::TimestampMillis => Value::TimestampMillis(TIMESTAMP_MILLIS),
        Schema::TimestampMicros => Value::TimestampMicros(TIMESTAMP_MILLIS * 1_000),
        Schema::TimestampNanos => Value::TimestampNanos(TIMESTAMP_MILLIS * 1_000_000),
        Schema::LocalTimestampMillis => Value::LocalTimestampMillis(TIMESTAMP_MILLIS),
        Schema::LocalTimestampMicros => Value::LocalTimestampMicros(TIMESTAMP_MILLIS * 1_000),
        Schema::LocalTimestampNanos => Value::LocalTimestampNanos(TIMESTAMP_MILLIS * 1_000_000),
        Schema::Duration => Value::Duration(Duration::new(
            Months::new(1),
            Days::new(2),
            Millis::new(3_000),
        )),
        _ => Value::Null,
    }
}

/// `0, 1, 2, …` (wrapping), `size` bytes long.
fn counting_bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 256) as u8).collect()
}

/// The unscaled value 12345 (`123.45` at scale 2), or 7 when a fixed of one byte must hold it.
fn decimal_bytes(inner: &Schema) -> Vec<u8> {
    match inner {
        Schema::Fixed(fixed) if fixed.size < 2 => vec![7],
        _ => vec![0x30, 0x39],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");

    fn parse(text: &str) -> Schema {
        Schema::parse_str(text).unwrap_or_else(|e| panic!("test schema does not parse: {e}"))
    }

    fn fields(value: Value) -> Vec<(String, Value)> {
        match value {
            Value::Record(fields) => fields,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[test]
    fn the_click_sample_fills_every_field_by_type() {
        let record = sample(&parse(V1)).map(fields);
        assert_eq!(
            record,
            Ok(vec![
                ("id".into(), Value::String("id-1".into())),
                (
                    "impression_id".into(),
                    Value::String("impression_id-1".into())
                ),
                ("creative_id".into(), Value::String("creative_id-1".into())),
                (
                    "placement_id".into(),
                    Value::String("placement_id-1".into())
                ),
                (
                    "timestamp".into(),
                    Value::TimestampMillis(1_700_000_000_000)
                ),
                (
                    "user_agent".into(),
                    Value::Union(0, Box::new(Value::String("user_agent-1".into())))
                ),
                (
                    "ip".into(),
                    Value::Union(0, Box::new(Value::String("ip-1".into())))
                ),
                (
                    "referrer".into(),
                    Value::Union(0, Box::new(Value::String("referrer-1".into())))
                ),
                ("cost".into(), Value::Float(1.5)),
            ])
        );
    }

    #[test]
    fn unions_skip_a_leading_null() {
        let schema = parse(r#"["null", "long"]"#);
        assert_eq!(
            sample(&schema),
            Ok(Value::Union(1, Box::new(Value::Long(42))))
        );
    }

    #[test]
    fn every_kind_of_type_gets_a_value_the_schema_accepts() {
        let schema = parse(
            r#"{"type":"record","name":"all","namespace":"t","fields":[
              {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"d","type":"double"},
              {"name":"raw","type":"bytes"},
              {"name":"tags","type":{"type":"array","items":"string"}},
              {"name":"m","type":{"type":"map","values":"int"}},
              {"name":"e","type":{"type":"enum","name":"color","symbols":["RED","GREEN"]}},
              {"name":"f","type":{"type":"fixed","name":"four","size":4}},
              {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
              {"name":"small","type":{"type":{"type":"fixed","name":"one","size":1},"logicalType":"decimal","precision":2}},
              {"name":"u","type":{"type":"string","logicalType":"uuid"}},
              {"name":"day","type":{"type":"int","logicalType":"date"}},
              {"name":"t","type":{"type":"int","logicalType":"time-millis"}},
              {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
              {"name":"dur","type":{"type":"fixed","name":"dur12","size":12,"logicalType":"duration"}},
              {"name":"geo","type":{"type":"record","name":"geo","fields":[{"name":"lat","type":"double"}]}},
              {"name":"again","type":"color"}
            ]}"#,
        );
        let value = sample(&schema).unwrap_or_else(|e| panic!("{e}"));
        assert!(value.validate(&schema), "{value:?}");
        let record = fields(value);
        let get = |name: &str| {
            record
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no field {name}"))
        };
        assert_eq!(
            get("tags"),
            Value::Array(vec![Value::String("tags-1".into())])
        );
        assert_eq!(
            get("m"),
            Value::Map(HashMap::from([("key".into(), Value::Int(42))]))
        );
        assert_eq!(get("e"), Value::Enum(0, "RED".into()));
        assert_eq!(get("again"), Value::Enum(0, "RED".into()));
        assert_eq!(get("f"), Value::Fixed(4, vec![0, 1, 2, 3]));
        assert_eq!(get("ts"), Value::TimestampMicros(1_700_000_000_000_000));
        assert_eq!(
            get("geo"),
            Value::Record(vec![("lat".into(), Value::Double(2.25))])
        );
    }

    #[test]
    fn recursive_schemas_end_in_null() {
        let schema = parse(
            r#"{"type":"record","name":"node","fields":[
                {"name":"label","type":"string"},
                {"name":"next","type":["node","null"]}]}"#,
        );
        let value = sample(&schema).unwrap_or_else(|e| panic!("{e}"));
        assert!(value.validate(&schema));
        let mut depth = 0;
        let mut current = value;
        while let Value::Record(mut fields) = current {
            depth += 1;
            current = match fields.pop() {
                Some((_, Value::Union(0, inner))) => *inner,
                _ => Value::Null,
            };
        }
        assert!((2..=SOFT_DEPTH).contains(&depth), "depth {depth}");
    }

    #[test]
    fn a_record_that_must_contain_itself_is_refused() {
        let schema =
            parse(r#"{"type":"record","name":"loop","fields":[{"name":"again","type":"loop"}]}"#);
        assert!(matches!(sample(&schema), Err(SampleError::Endless { .. })));
    }
}
