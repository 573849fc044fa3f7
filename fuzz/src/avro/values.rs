//! Random records for a writer schema, encoded by `apache-avro`: the valid bodies that byte
//! mutations then break in every way a body can break. Clicks come from `shared`'s generator.

use crate::rng::Rng;
use apache_avro::schema::{Name, NamesRef, Namespace, ResolvedSchema, UnionSchema};
use apache_avro::types::Value;
use apache_avro::{Decimal, Duration, Schema, Uuid};
use shared::generator::{Event, Generator, GeneratorConfig, GeneratorOptions};
use shared::Click;

/// Nesting beyond which recursive types take their shortest branch.
const DEEP: usize = 6;
/// Nesting at which generation gives up (a recursion with no way out).
const TOO_DEEP: usize = 24;

/// A random record of `schema`, encoded; `None` when none could be made.
pub fn random_body(rng: &mut Rng, schema: &Schema) -> Option<Vec<u8>> {
    let resolved = ResolvedSchema::try_from(schema).ok()?;
    let mut maker = Maker {
        rng,
        names: resolved.get_names(),
    };
    let value = maker.value(schema, &None, 0)?;
    apache_avro::to_avro_datum(schema, value).ok()
}

struct Maker<'r, 'n> {
    rng: &'r mut Rng,
    names: &'n NamesRef<'n>,
}

impl Maker<'_, '_> {
    fn value(&mut self, schema: &Schema, ns: &Namespace, depth: usize) -> Option<Value> {
        if depth > TOO_DEEP {
            return None;
        }
        let rng = &mut *self.rng;
        Some(match schema {
            Schema::Null => Value::Null,
            Schema::Boolean => Value::Boolean(rng.one_in(2)),
            Schema::Int => Value::Int(rng.interesting_i64() as i32),
            Schema::Date => Value::Date(rng.interesting_i64() as i32),
            Schema::TimeMillis => Value::TimeMillis(rng.interesting_i64() as i32),
            Schema::Long => Value::Long(rng.interesting_i64()),
            Schema::TimeMicros => Value::TimeMicros(rng.interesting_i64()),
            Schema::TimestampMillis => Value::TimestampMillis(rng.interesting_i64()),
            Schema::TimestampMicros => Value::TimestampMicros(rng.interesting_i64()),
            Schema::TimestampNanos => Value::TimestampNanos(rng.interesting_i64()),
            Schema::LocalTimestampMillis => Value::LocalTimestampMillis(rng.interesting_i64()),
            Schema::LocalTimestampMicros => Value::LocalTimestampMicros(rng.interesting_i64()),
            Schema::LocalTimestampNanos => Value::LocalTimestampNanos(rng.interesting_i64()),
            Schema::Float => Value::Float(float(rng) as f32),
            Schema::Double => Value::Double(float(rng)),
            Schema::Bytes => Value::Bytes(crate::mutate::noise(rng, 12)),
            Schema::String => Value::String(text(rng)),
            Schema::Uuid => Value::Uuid(Uuid::from_u64_pair(rng.next_u64(), rng.next_u64())),
            Schema::Duration => {
                let mut bytes = [0u8; 12];
                bytes.iter_mut().for_each(|b| *b = rng.byte());
                Value::Duration(Duration::from(bytes))
            }
            Schema::Decimal(decimal) => {
                let most = match &*decimal.inner {
                    Schema::Fixed(fixed) => fixed.size,
                    _ => 8,
                };
                let len = 1 + rng.below(most.max(1));
                Value::Decimal(Decimal::from(crate::mutate::noise(rng, len)))
            }
            Schema::Enum(e) => {
                let at = rng.below(e.symbols.len());
                Value::Enum(at as u32, e.symbols.get(at)?.clone())
            }
            Schema::Fixed(f) => Value::Fixed(f.size, (0..f.size).map(|_| rng.byte()).collect()),
            Schema::Array(a) => {
                let count = rng.small(if depth > DEEP { 0 } else { 4 });
                let items = (0..count)
                    .map(|_| self.value(&a.items, ns, depth + 1))
                    .collect::<Option<_>>()?;
                Value::Array(items)
            }
            Schema::Map(m) => {
                // apache-avro writes a map in its HashMap's order, which differs from process
                // to process: one entry at most keeps a seed's bodies the same in every run
                // (mutations splice in more).
                let count = rng.small(if depth > DEEP { 0 } else { 1 });
                let mut entries = std::collections::HashMap::new();
                for _ in 0..count {
                    let key = text(self.rng);
                    entries.insert(key, self.value(&m.types, ns, depth + 1)?);
                }
                Value::Map(entries)
            }
            Schema::Union(union) => self.union(union, ns, depth)?,
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(ns).namespace;
                let fields = record
                    .fields
                    .iter()
                    .map(|f| Some((f.name.clone(), self.value(&f.schema, &inner, depth + 1)?)))
                    .collect::<Option<_>>()?;
                Value::Record(fields)
            }
            Schema::Ref { name } => self.reference(name, ns, depth)?,
            Schema::BigDecimal => return None,
        })
    }

    fn union(&mut self, union: &UnionSchema, ns: &Namespace, depth: usize) -> Option<Value> {
        let variants = union.variants();
        let shortest = variants.iter().position(|v| matches!(v, Schema::Null));
        let at = match shortest {
            Some(null) if depth > DEEP => null,
            _ => self.rng.below(variants.len()),
        };
        let inner = self.value(variants.get(at)?, ns, depth + 1)?;
        Some(Value::Union(at as u32, Box::new(inner)))
    }

    fn reference(&mut self, name: &Name, ns: &Namespace, depth: usize) -> Option<Value> {
        let full = name.fully_qualified_name(ns);
        let schema = *self.names.get(&full)?;
        self.value(schema, &full.namespace, depth + 1)
    }
}

fn float(rng: &mut Rng) -> f64 {
    match rng.below(4) {
        0 => f64::from_bits(rng.next_u64()),
        1 => [0.0, -0.0, f64::NAN, f64::INFINITY, f64::MIN_POSITIVE][rng.below(5)],
        _ => rng.interesting_i64() as f64 / 100.0,
    }
}

fn text(rng: &mut Rng) -> String {
    const PIECES: [&str; 8] = ["", "a", "click", "ü", "✓", "😀", "cr-1", " "];
    (0..rng.small(6))
        .map(|_| PIECES[rng.below(PIECES.len())])
        .collect()
}

/// Clicks from `shared`'s generator, with nulls in a third of the optional fields.
pub fn clicks(seed: u64, count: usize) -> Vec<Click> {
    let options = GeneratorOptions {
        seed,
        user_agent_null_rate: 0.3,
        ip_null_rate: 0.3,
        referrer_null_rate: 0.3,
        ..GeneratorOptions::default()
    };
    let Ok(config) = GeneratorConfig::new(options) else {
        return Vec::new();
    };
    Generator::new(config)
        .take(count)
        .filter_map(|event| match event {
            Event::Click { click, .. } | Event::Duplicate(click) => Some(click),
            Event::Poison(_) => None,
        })
        .collect()
}

/// `click` encoded under a click schema (version 1 or 2; any other field is null).
pub fn click_body(schema: &Schema, click: &Click) -> Option<Vec<u8>> {
    let Schema::Record(record) = schema else {
        return None;
    };
    let fields = record
        .fields
        .iter()
        .map(|field| {
            let text = |s: &str| Value::String(s.to_owned());
            let value = match field.name.as_str() {
                "id" => text(&click.id),
                "impression_id" => text(&click.impression_id),
                "creative_id" => text(&click.creative_id),
                "placement_id" => text(&click.placement_id),
                "timestamp" => Value::TimestampMillis(click.timestamp),
                "cost" => Value::Float(click.cost),
                "user_agent" => optional(&field.schema, click.user_agent.as_deref()),
                "ip" => optional(&field.schema, click.ip.as_deref()),
                "referrer" => optional(&field.schema, click.referrer.as_deref()),
                _ => optional(&field.schema, None),
            };
            (field.name.clone(), value)
        })
        .collect();
    apache_avro::to_avro_datum(schema, Value::Record(fields)).ok()
}

/// An optional string as the union branch of `schema` that holds it.
fn optional(schema: &Schema, value: Option<&str>) -> Value {
    let Schema::Union(union) = schema else {
        return Value::Null;
    };
    let wanted = |s: &Schema| match value {
        Some(_) => matches!(s, Schema::String),
        None => matches!(s, Schema::Null),
    };
    let at = union.variants().iter().position(wanted).unwrap_or(0);
    let inner = value.map_or(Value::Null, |v| Value::String(v.to_owned()));
    Value::Union(at as u32, Box::new(inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::schemas;

    #[test]
    fn clicks_encode_under_both_click_schemas() {
        for text in [schemas::CLICK_V1, schemas::CLICK_V2] {
            let schema = Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"));
            let bodies: Vec<_> = clicks(1, 50)
                .iter()
                .filter_map(|c| click_body(&schema, c))
                .collect();
            assert!(bodies.len() > 40, "{}", bodies.len());
        }
    }

    #[test]
    fn most_random_schemas_get_random_bodies() {
        let mut rng = Rng::new(5);
        let mut made = 0;
        for _ in 0..200 {
            let text = schemas::random_schema(&mut rng);
            if let Ok(schema) = Schema::parse_str(&text) {
                made += usize::from(random_body(&mut rng, &schema).is_some());
            }
        }
        assert!(made > 100, "only {made} bodies");
    }
}
