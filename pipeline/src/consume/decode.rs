//! Decoding consumed record values: the Confluent framing first, then the Avro body with the
//! record's own writer schema, fetched from the registry once per schema id and kept.
//!
//! Records written with different versions of a schema (v1 and v2 of the click) each decode
//! with the schema they were written with. Anything that does not decode is a poison pill with
//! a [`PoisonReason`]; only a registry that cannot be asked is an error.

use crate::registry::{self, RegistryError};
use apache_avro::types::Value;
use apache_avro::Schema;
use shared::wire::Frame;
use shared::SchemaId;
use std::collections::HashMap;

use shared::decode::CheckedSchema;
pub use shared::decode::PoisonReason;

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The writer schema's id.
    pub schema_id: SchemaId,
    /// The record, as its writer schema describes it.
    pub value: Value,
}

/// A writer schema as far as the registry knows it.
#[derive(Debug)]
enum Writer {
    Known(Box<CheckedSchema>),
    Unknown,
    Unusable(String),
}

/// Decodes record values, caching each writer schema.
#[derive(Debug)]
pub struct Decoder {
    registry: registry::Client,
    writers: HashMap<SchemaId, Writer>,
}

impl Decoder {
    /// A decoder that asks `registry` for writer schemas.
    pub fn new(registry: registry::Client) -> Self {
        Self {
            registry,
            writers: HashMap::new(),
        }
    }

    /// Decodes one record value, or says why it is a poison pill. Fails only when the registry
    /// cannot be asked about a schema id seen for the first time.
    pub async fn decode(
        &mut self,
        bytes: &[u8],
    ) -> Result<Result<Decoded, PoisonReason>, RegistryError> {
        let frame = match Frame::parse(bytes) {
            Ok(frame) => frame,
            Err(e) => return Ok(Err(e.into())),
        };
        let id = frame.schema_id;
        if !self.writers.contains_key(&id) {
            let writer = self.fetch(id).await?;
            self.writers.insert(id, writer);
        }
        Ok(match self.writers.get(&id) {
            Some(Writer::Known(schema)) => schema
                .decode(frame.body)
                .map(|mut value| {
                    exact_decimals(&mut value, schema.schema());
                    Decoded {
                        schema_id: id,
                        value,
                    }
                })
                .map_err(|detail| PoisonReason::Undecodable { id, detail }),
            Some(Writer::Unusable(detail)) => Err(PoisonReason::Undecodable {
                id,
                detail: detail.clone(),
            }),
            Some(Writer::Unknown) | None => Err(PoisonReason::UnknownSchemaId { id }),
        })
    }

    /// How many distinct schema ids have been looked up.
    pub fn schemas_seen(&self) -> usize {
        self.writers.len()
    }

    async fn fetch(&self, id: SchemaId) -> Result<Writer, RegistryError> {
        match self.registry.schema_by_id(id).await {
            Ok(text) => Ok(match shared::names::parse_schema(&text) {
                Ok(schema) => Writer::Known(Box::new(CheckedSchema::new(&schema))),
                Err(e) => Writer::Unusable(format!("the registry's schema is not Avro: {e}")),
            }),
            Err(e) if is_not_found(&e) => Ok(Writer::Unknown),
            Err(e) => Err(e),
        }
    }

    #[cfg(test)]
    fn preload(&mut self, id: SchemaId, schema: Option<Schema>) {
        let writer = schema.map_or(Writer::Unknown, |s| {
            Writer::Known(Box::new(CheckedSchema::new(&s)))
        });
        self.writers.insert(id, writer);
    }
}

fn is_not_found(error: &RegistryError) -> bool {
    matches!(error, RegistryError::Api { status: 404, .. })
        || error.code() == Some(registry::SCHEMA_NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::produce::ClickEncoder;
    use crate::settings::RegistryConfig;
    use shared::generator::{poison, PoisonKind};
    use shared::Click;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");

    fn decoder() -> Decoder {
        // Nothing listens on port 9 of the loopback; tests preload every id they use.
        let url = url::Url::parse("http://127.0.0.1:9").unwrap_or_else(|e| panic!("{e}"));
        let client = registry::Client::new(&RegistryConfig { url, auth: None })
            .unwrap_or_else(|e| panic!("{e}"));
        let mut d = Decoder::new(client);
        d.preload(SchemaId(1), Some(parse(V1)));
        d.preload(SchemaId(2), Some(parse(V2)));
        d.preload(SchemaId(666), None);
        d
    }

    fn parse(text: &str) -> Schema {
        Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn click() -> Click {
        Click {
            id: "clk-1".into(),
            impression_id: "imp-1".into(),
            creative_id: "cr-1".into(),
            placement_id: "pl-1".into(),
            timestamp: 1_700_000_000_000,
            user_agent: Some("ua".into()),
            ip: None,
            referrer: None,
            cost: 1.25,
        }
    }

    fn framed(id: u32, schema: &str) -> Vec<u8> {
        let encoder = ClickEncoder::new(&parse(schema)).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        encoder.write_framed(SchemaId(id), &click(), &mut out);
        out
    }

    async fn decode(d: &mut Decoder, bytes: &[u8]) -> Result<Decoded, PoisonReason> {
        d.decode(bytes).await.unwrap_or_else(|e| panic!("{e}"))
    }

    fn field<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
        match value {
            Value::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Six bytes announcing an array of 500 million ints: unchecked, apache-avro would ask for
    /// gigabytes and abort the process; checked, the record is a poison pill.
    #[tokio::test]
    async fn a_body_announcing_more_than_it_holds_is_a_poison_pill_not_an_allocation() {
        let mut d = decoder();
        d.preload(
            SchemaId(7),
            Some(parse(
                r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"array","items":"int"}}]}"#,
            )),
        );
        let record = |body: &[u8]| {
            let mut out = Vec::new();
            Frame {
                schema_id: SchemaId(7),
                body,
            }
            .write_to(&mut out);
            out
        };
        // Zig-zag varint of 500,000,000 (1,000,000,000 before zig-zag), then nothing.
        let mut body = Vec::new();
        let mut n: u64 = 1_000_000_000;
        while n >= 0x80 {
            body.push((n as u8) | 0x80);
            n >>= 7;
        }
        body.push(n as u8);
        let refused = decode(&mut d, &record(&body)).await;
        assert!(
            matches!(
                refused,
                Err(PoisonReason::Undecodable {
                    id: SchemaId(7),
                    ..
                })
            ),
            "{refused:?}"
        );
        let ok = decode(&mut d, &record(&[2, 14, 0])).await.map(|r| r.value);
        assert_eq!(
            ok,
            Ok(Value::Record(vec![(
                "a".into(),
                Value::Array(vec![Value::Int(7)])
            )]))
        );
    }

    #[tokio::test]
    async fn v1_and_v2_records_decode_with_their_own_writer_schema() {
        let mut d = decoder();
        let one = decode(&mut d, &framed(1, V1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let two = decode(&mut d, &framed(2, V2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((one.schema_id, two.schema_id), (SchemaId(1), SchemaId(2)));
        assert_eq!(field(&one.value, "country"), None);
        assert_eq!(
            field(&two.value, "country"),
            Some(&Value::Union(0, Box::new(Value::Null)))
        );
        assert_eq!(
            field(&one.value, "id"),
            Some(&Value::String("clk-1".into()))
        );
    }

    #[tokio::test]
    async fn each_poison_pill_gets_its_reason() {
        let mut d = decoder();
        let valid = framed(1, V1);
        let pill = |kind| poison(kind, &valid, SchemaId(666)).unwrap_or_else(|e| panic!("{e}"));
        let reason = |r: Result<Decoded, PoisonReason>| r.err();
        assert_eq!(
            reason(decode(&mut d, &pill(PoisonKind::WrongMagic)).await),
            Some(PoisonReason::WrongMagic { found: b'{' })
        );
        assert_eq!(
            reason(decode(&mut d, &pill(PoisonKind::UnknownSchemaId)).await),
            Some(PoisonReason::UnknownSchemaId { id: SchemaId(666) })
        );
        let truncated = reason(decode(&mut d, &pill(PoisonKind::Truncated)).await);
        assert!(
            matches!(
                &truncated,
                Some(PoisonReason::Undecodable {
                    id: SchemaId(1),
                    ..
                })
            ),
            "{truncated:?}"
        );
        assert_eq!(
            reason(decode(&mut d, &[0, 0, 1]).await),
            Some(PoisonReason::TooShort { len: 3 })
        );
        assert_eq!(
            reason(decode(&mut d, &[]).await),
            Some(PoisonReason::TooShort { len: 0 })
        );
    }

    #[tokio::test]
    async fn trailing_bytes_make_a_record_undecodable() {
        let mut d = decoder();
        let mut bytes = framed(1, V1);
        bytes.push(0);
        match decode(&mut d, &bytes).await {
            Err(PoisonReason::Undecodable { detail, .. }) => {
                assert!(detail.contains("1 bytes left over"), "{detail}")
            }
            other => panic!("expected undecodable, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_unreachable_registry_is_an_error_not_a_poison_pill() {
        let mut d = decoder();
        let mut bytes = framed(1, V1);
        bytes[4] = 42; // schema id 42: not preloaded, so the registry is asked
        assert!(matches!(
            d.decode(&bytes).await,
            Err(RegistryError::Unreachable { .. })
        ));
    }

    #[test]
    fn kinds_are_listed_in_order() {
        let reasons = [
            PoisonReason::TooShort { len: 0 },
            PoisonReason::WrongMagic { found: 1 },
            PoisonReason::UnknownSchemaId { id: SchemaId(1) },
            PoisonReason::Undecodable {
                id: SchemaId(1),
                detail: String::new(),
            },
        ];
        assert_eq!(reasons.each_ref().map(|r| r.kind()), PoisonReason::KINDS);
        assert_eq!(reasons[1].to_string(), "magic byte is 0x01, expected 0x00");
    }
}

/// Decimals in `value` written as exact decimal strings with their schema's scale (`"12.50"`):
/// the value alone holds only the unscaled bytes.
fn exact_decimals(value: &mut Value, schema: &Schema) {
    match (value, schema) {
        (value @ Value::Decimal(_), Schema::Decimal(d)) => {
            if let Value::Decimal(decimal) = &*value {
                if let Ok(bytes) = <Vec<u8>>::try_from(decimal) {
                    *value = Value::String(shared::decode::decimal(&bytes, d.scale));
                }
            }
        }
        (Value::Union(i, inner), Schema::Union(u)) => {
            if let Some(branch) = u.variants().get(*i as usize) {
                exact_decimals(inner, branch);
            }
        }
        (Value::Record(fields), Schema::Record(r)) => {
            for ((_, v), f) in fields.iter_mut().zip(&r.fields) {
                exact_decimals(v, &f.schema);
            }
        }
        (Value::Array(items), Schema::Array(a)) => {
            for item in items {
                exact_decimals(item, &a.items);
            }
        }
        (Value::Map(entries), Schema::Map(m)) => {
            for v in entries.values_mut() {
                exact_decimals(v, &m.types);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod decimal_tests {
    use super::*;

    #[test]
    fn decimals_become_exact_strings_with_their_scale() {
        let schema = apache_avro::Schema::parse_str(
            r#"{"type":"record","name":"r","fields":[
                {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
                {"name":"maybe","type":["null",{"type":"bytes","logicalType":"decimal","precision":4,"scale":1}]}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut value = Value::Record(vec![
            (
                "price".into(),
                Value::Decimal(apache_avro::Decimal::from(vec![0x04, 0xe2])),
            ),
            (
                "maybe".into(),
                Value::Union(
                    1,
                    Box::new(Value::Decimal(apache_avro::Decimal::from(vec![0xff]))),
                ),
            ),
        ]);
        exact_decimals(&mut value, &schema);
        let Value::Record(fields) = value else {
            panic!("not a record");
        };
        assert_eq!(fields[0].1, Value::String("12.50".into()));
        assert_eq!(
            fields[1].1,
            Value::Union(1, Box::new(Value::String("-0.1".into())))
        );
    }
}
