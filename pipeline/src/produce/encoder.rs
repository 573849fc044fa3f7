//! A fast Avro encoder for clicks: the writer schema is parsed once into a plan (one step per
//! field, in schema order), and each click is then written straight into a reused buffer, with no
//! `Value` tree and no allocation once the buffer has grown to a record's size.
//!
//! The plan accepts any record schema the generator can fill: the click's fields may appear in
//! any order, optional ones as a union with `null` in either position, the timestamp as a `long`
//! (with or without `timestamp-millis`), the cost as `float` or `double`, and any other field as a
//! union with `null` (written as null, as version 2's `country` is). Anything else is refused when
//! the plan is made, naming the field, so nothing is produced with a schema it cannot honour.
//! The tests check the bytes against `apache-avro`'s own encoder and decoder.

use apache_avro::schema::{RecordField, UnionSchema};
use apache_avro::Schema;
use shared::wire::Frame;
use shared::{Click, SchemaId};

/// Why a schema cannot be used to write clicks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncoderError {
    /// The schema is not a record.
    #[error("the schema must be an Avro record, not {0}")]
    NotARecord(String),
    /// A field's type cannot hold what the generator puts there.
    #[error("field `{field}` is {found}, but the generator writes {wanted} there")]
    FieldType {
        /// The field.
        field: String,
        /// What the schema says.
        found: String,
        /// What would work.
        wanted: &'static str,
    },
    /// A field the generator knows nothing about, and which cannot be null.
    #[error("field `{0}` is not a click field and cannot be null, so the generator has no value for it; make it a union with \"null\"")]
    Unfillable(String),
}

/// The click's required text fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Id,
    ImpressionId,
    CreativeId,
    PlacementId,
}

/// The click's optional text fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionalText {
    UserAgent,
    Ip,
    Referrer,
}

/// How a text is written: bare, or as one branch of a union.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringAt {
    Plain,
    Branch(i64),
}

/// One field's step in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Text(Text, StringAt),
    Optional {
        field: OptionalText,
        null: i64,
        string: i64,
    },
    Timestamp,
    Cost {
        double: bool,
    },
    Null {
        branch: i64,
    },
}

/// Writes clicks in the Avro binary encoding of one writer schema.
#[derive(Debug, Clone)]
pub struct ClickEncoder {
    steps: Vec<Step>,
}

impl ClickEncoder {
    /// Plans the encoding of `schema`, or says which field it cannot fill.
    pub fn new(schema: &Schema) -> Result<Self, EncoderError> {
        let Schema::Record(record) = schema else {
            return Err(EncoderError::NotARecord(kind_of(schema)));
        };
        let steps = record
            .fields
            .iter()
            .map(plan_field)
            .collect::<Result<_, _>>()?;
        Ok(Self { steps })
    }

    /// Appends the Avro body of `click` to `out`.
    pub fn write_body(&self, click: &Click, out: &mut Vec<u8>) {
        for step in &self.steps {
            match *step {
                Step::Text(field, at) => {
                    if let StringAt::Branch(branch) = at {
                        write_long(out, branch);
                    }
                    write_string(out, text(click, field));
                }
                Step::Optional {
                    field,
                    null,
                    string,
                } => match optional(click, field) {
                    Some(value) => {
                        write_long(out, string);
                        write_string(out, value);
                    }
                    None => write_long(out, null),
                },
                Step::Timestamp => write_long(out, click.timestamp),
                Step::Cost { double: false } => out.extend_from_slice(&click.cost.to_le_bytes()),
                Step::Cost { double: true } => {
                    out.extend_from_slice(&f64::from(click.cost).to_le_bytes())
                }
                Step::Null { branch } => write_long(out, branch),
            }
        }
    }

    /// Replaces the contents of `out` with `click` in the Confluent framing under `schema_id`.
    pub fn write_framed(&self, schema_id: SchemaId, click: &Click, out: &mut Vec<u8>) {
        out.clear();
        Frame {
            schema_id,
            body: &[],
        }
        .write_to(out);
        self.write_body(click, out);
    }
}

fn plan_field(field: &RecordField) -> Result<Step, EncoderError> {
    let name = field.name.as_str();
    let fail = |wanted: &'static str| EncoderError::FieldType {
        field: name.to_owned(),
        found: kind_of(&field.schema),
        wanted,
    };
    let text = |which: Text| {
        string_at(&field.schema)
            .map(|at| Step::Text(which, at))
            .ok_or_else(|| fail("a string"))
    };
    let optional = |which: OptionalText| {
        nullable_string(&field.schema)
            .map(|(null, string)| Step::Optional {
                field: which,
                null,
                string,
            })
            .ok_or_else(|| fail("a string or null (a union of \"null\" and \"string\")"))
    };
    match name {
        "id" => text(Text::Id),
        "impression_id" => text(Text::ImpressionId),
        "creative_id" => text(Text::CreativeId),
        "placement_id" => text(Text::PlacementId),
        "user_agent" => optional(OptionalText::UserAgent),
        "ip" => optional(OptionalText::Ip),
        "referrer" => optional(OptionalText::Referrer),
        "timestamp" => match field.schema {
            Schema::Long | Schema::TimestampMillis | Schema::LocalTimestampMillis => {
                Ok(Step::Timestamp)
            }
            _ => Err(fail("milliseconds since the epoch (a long)")),
        },
        "cost" => match field.schema {
            Schema::Float => Ok(Step::Cost { double: false }),
            Schema::Double => Ok(Step::Cost { double: true }),
            _ => Err(fail("a float or a double")),
        },
        _ => match &field.schema {
            Schema::Union(union) => branch(union, |s| matches!(s, Schema::Null))
                .map(|branch| Step::Null { branch })
                .ok_or_else(|| EncoderError::Unfillable(name.to_owned())),
            _ => Err(EncoderError::Unfillable(name.to_owned())),
        },
    }
}

fn string_at(schema: &Schema) -> Option<StringAt> {
    match schema {
        Schema::String => Some(StringAt::Plain),
        Schema::Union(union) => branch(union, is_string).map(StringAt::Branch),
        _ => None,
    }
}

fn nullable_string(schema: &Schema) -> Option<(i64, i64)> {
    let Schema::Union(union) = schema else {
        return None;
    };
    Some((
        branch(union, |s| matches!(s, Schema::Null))?,
        branch(union, is_string)?,
    ))
}

fn is_string(schema: &Schema) -> bool {
    matches!(schema, Schema::String)
}

fn branch(union: &UnionSchema, wanted: impl Fn(&Schema) -> bool) -> Option<i64> {
    let index = union.variants().iter().position(wanted)?;
    i64::try_from(index).ok()
}

fn kind_of(schema: &Schema) -> String {
    match schema {
        Schema::Union(union) => {
            let kinds: Vec<String> = union.variants().iter().map(kind_of).collect();
            format!("a union of {}", kinds.join(" and "))
        }
        other => format!("{:?}", apache_avro::schema::SchemaKind::from(other)).to_lowercase(),
    }
}

fn text(click: &Click, field: Text) -> &str {
    match field {
        Text::Id => &click.id,
        Text::ImpressionId => &click.impression_id,
        Text::CreativeId => &click.creative_id,
        Text::PlacementId => &click.placement_id,
    }
}

fn optional(click: &Click, field: OptionalText) -> Option<&str> {
    match field {
        OptionalText::UserAgent => click.user_agent.as_deref(),
        OptionalText::Ip => click.ip.as_deref(),
        OptionalText::Referrer => click.referrer.as_deref(),
    }
}

/// Avro `long`: zig-zag, then a little-endian base-128 varint.
fn write_long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Avro `string`: its length in bytes as a `long`, then the UTF-8 bytes.
fn write_string(out: &mut Vec<u8>, value: &str) {
    // A `str` is never longer than `isize::MAX`, so the length fits an `i64`.
    write_long(out, value.len() as i64);
    out.extend_from_slice(value.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::types::Value;
    use shared::generator::{Event, Generator, GeneratorConfig, GeneratorOptions};

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");
    const INCOMPATIBLE: &str = include_str!("../../../schemas/examples/click_incompatible.avsc");

    fn parse(text: &str) -> Schema {
        Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn encoder(schema: &Schema) -> ClickEncoder {
        ClickEncoder::new(schema).unwrap_or_else(|e| panic!("{e}"))
    }

    fn sample(nulls: bool) -> Click {
        let some = |s: &str| (!nulls).then(|| s.to_owned());
        Click {
            id: "clk-0123456789abcdef".into(),
            impression_id: "imp-fedcba9876543210".into(),
            creative_id: "cr-007".into(),
            placement_id: "pl-12".into(),
            timestamp: 1_704_067_200_123,
            user_agent: some("Mozilla/5.0 (X11; Linux x86_64) — ünïcode"),
            ip: some("2001:db8::1"),
            referrer: some("https://news.example/"),
            cost: 0.45,
        }
    }

    /// The click as `apache-avro` sees it under `schema`, built field by field from the schema.
    fn as_value(click: &Click, schema: &Schema) -> Value {
        let Schema::Record(record) = schema else {
            panic!("not a record")
        };
        let union = |field: &RecordField, value: Option<&str>| {
            let Schema::Union(u) = &field.schema else {
                panic!("{} is not a union", field.name)
            };
            let wanted = |s: &Schema| match value {
                Some(_) => matches!(s, Schema::String),
                None => matches!(s, Schema::Null),
            };
            let index = u.variants().iter().position(wanted).unwrap_or(0) as u32;
            let inner = value.map_or(Value::Null, |v| Value::String(v.to_owned()));
            Value::Union(index, Box::new(inner))
        };
        let fields = record
            .fields
            .iter()
            .map(|f| {
                let text = |value: &str| match f.schema {
                    Schema::Union(_) => union(f, Some(value)),
                    _ => Value::String(value.to_owned()),
                };
                let value = match f.name.as_str() {
                    "id" => text(&click.id),
                    "impression_id" => text(&click.impression_id),
                    "creative_id" => text(&click.creative_id),
                    "placement_id" => text(&click.placement_id),
                    "timestamp" => match f.schema {
                        Schema::Long => Value::Long(click.timestamp),
                        _ => Value::TimestampMillis(click.timestamp),
                    },
                    "user_agent" => union(f, click.user_agent.as_deref()),
                    "ip" => union(f, click.ip.as_deref()),
                    "referrer" => union(f, click.referrer.as_deref()),
                    "cost" => match f.schema {
                        Schema::Double => Value::Double(f64::from(click.cost)),
                        _ => Value::Float(click.cost),
                    },
                    _ => union(f, None),
                };
                (f.name.clone(), value)
            })
            .collect();
        Value::Record(fields)
    }

    fn check_against_apache_avro(schema: &Schema, click: &Click) {
        let mut ours = Vec::new();
        encoder(schema).write_body(click, &mut ours);
        let theirs = apache_avro::to_avro_datum(schema, as_value(click, schema))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours, theirs, "bytes differ for {click:?}");
        let mut rest = ours.as_slice();
        let decoded =
            apache_avro::from_avro_datum(schema, &mut rest, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(rest.is_empty(), "{} bytes left over", rest.len());
        assert_eq!(decoded, as_value(click, schema));
    }

    #[test]
    fn v1_and_v2_match_apache_avro_with_and_without_nulls() {
        for text in [V1, V2] {
            let schema = parse(text);
            check_against_apache_avro(&schema, &sample(false));
            check_against_apache_avro(&schema, &sample(true));
        }
    }

    #[test]
    fn generated_clicks_match_apache_avro() {
        let options = GeneratorOptions {
            seed: 11,
            ip_null_rate: 0.3,
            referrer_null_rate: 0.3,
            user_agent_null_rate: 0.3,
            ..GeneratorOptions::default()
        };
        let config = GeneratorConfig::new(options).unwrap_or_else(|e| panic!("{e}"));
        let (v1, v2) = (parse(V1), parse(V2));
        for event in Generator::new(config).take(2_000) {
            if let Event::Click { click, .. } = event {
                check_against_apache_avro(&v1, &click);
                check_against_apache_avro(&v2, &click);
            }
        }
    }

    #[test]
    fn field_order_union_order_and_double_cost_are_honoured() {
        let text = r#"{"type":"record","name":"c","fields":[
            {"name":"cost","type":"double"},
            {"name":"referrer","type":["null","string"]},
            {"name":"id","type":["null","string"]},
            {"name":"timestamp","type":"long"},
            {"name":"note","type":["null","int"],"default":null}]}"#;
        let schema = parse(text);
        check_against_apache_avro(&schema, &sample(false));
        check_against_apache_avro(&schema, &sample(true));
    }

    #[test]
    fn large_and_negative_longs_round_trip() {
        let schema = parse(V1);
        for timestamp in [0, -1, 63, 64, -65, i64::MAX, i64::MIN] {
            let click = Click {
                timestamp,
                ..sample(false)
            };
            check_against_apache_avro(&schema, &click);
        }
    }

    #[test]
    fn framing_puts_the_header_first_and_reuses_the_buffer() {
        let schema = parse(V1);
        let encoder = encoder(&schema);
        let mut out = Vec::with_capacity(512);
        encoder.write_framed(SchemaId(7), &sample(false), &mut out);
        let first = out.clone();
        let capacity = out.capacity();
        encoder.write_framed(SchemaId(7), &sample(false), &mut out);
        assert_eq!(out, first, "the buffer is cleared before writing");
        assert_eq!(out.capacity(), capacity, "no new allocation");
        let frame = Frame::parse(&out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(frame.schema_id, SchemaId(7));
        let mut body = frame.body;
        let decoded = apache_avro::from_avro_datum(&schema, &mut body, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded, as_value(&sample(false), &schema));
    }

    #[test]
    fn schemas_the_generator_cannot_fill_are_refused_by_field() {
        let err = ClickEncoder::new(&parse(INCOMPATIBLE)).err();
        assert_eq!(err, Some(EncoderError::Unfillable("campaign_id".into())));
        let required_ua = V1.replace(
            r#"{ "name": "user_agent", "type": ["string", "null"] }"#,
            r#"{ "name": "user_agent", "type": "string" }"#,
        );
        assert_ne!(required_ua, V1);
        match ClickEncoder::new(&parse(&required_ua)) {
            Err(EncoderError::FieldType { field, .. }) => assert_eq!(field, "user_agent"),
            other => panic!("expected a field type error, got {other:?}"),
        }
        let int_cost = V1.replace(r#""type": "float""#, r#""type": "int""#);
        let err = ClickEncoder::new(&parse(&int_cost)).err();
        assert!(
            err.as_ref()
                .is_some_and(|e| e.to_string().contains("`cost` is int")),
            "{err:?}"
        );
        assert!(matches!(
            ClickEncoder::new(&Schema::String),
            Err(EncoderError::NotARecord(_))
        ));
    }
}
