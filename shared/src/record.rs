//! A record written by hand: Avro's JSON encoding read against a writer schema into an Avro
//! value, with every mistake named by its field path (`$.cost: expected float, got "abc"`);
//! then encoded and framed, or deliberately broken into a poison pill for teaching.
//!
//! The JSON encoding is Avro's own: a union's value is `null` or `{"type": value}` (a primitive
//! branch by its type name, a named one by its full or short name), bytes and fixed are strings
//! of code points 0–255, logical types are written as their underlying type (a timestamp-millis
//! is a number of milliseconds). A field left out takes its default.

use crate::ids::SchemaId;
use crate::wire::Frame;
use apache_avro::schema::{Name, RecordSchema, ResolvedSchema, Schema, UnionSchema};
use apache_avro::types::Value;
use serde_json::Value as Json;
use std::collections::HashMap;

/// A mistake in a hand-written record, at a field path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    /// Where: `$` is the record, `$.a.b[2]` a field of a field's third item.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

/// How a poison pill for teaching is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pill {
    /// The first byte is 0x01 instead of the magic 0x00.
    WrongMagic,
    /// The header names a schema id no registry hands out.
    UnknownId,
    /// The body is cut in half.
    Truncated,
}

/// A schema id no registry hands out in practice, for [`Pill::UnknownId`].
pub const UNKNOWN_ID: SchemaId = SchemaId(0x7fff_fffe);

/// Parses a writer schema's text, or says why it is not one.
pub fn parse_schema(text: &str) -> Result<Schema, String> {
    crate::names::parse_schema(text)
}

/// Reads records for one writer schema.
pub struct RecordReader<'s> {
    schema: &'s Schema,
    names: HashMap<Name, &'s Schema>,
}

impl<'s> RecordReader<'s> {
    /// A reader for `schema` (named types it refers to are resolved within it).
    pub fn new(schema: &'s Schema) -> Self {
        let names = ResolvedSchema::try_from(schema)
            .map(|r| r.get_names().iter().map(|(n, s)| (n.clone(), *s)).collect())
            .unwrap_or_default();
        Self { schema, names }
    }

    /// The Avro value `json` writes.
    pub fn value(&self, json: &Json) -> Result<Value, FieldError> {
        self.read(self.schema, json, "$")
    }

    /// The Avro body `json` writes, ready to be framed.
    pub fn body(&self, json: &Json) -> Result<Vec<u8>, FieldError> {
        let value = self.value(json)?;
        apache_avro::to_avro_datum(self.schema, value).map_err(|e| FieldError {
            path: "$".into(),
            message: format!("does not encode: {e}"),
        })
    }

    /// The body `json` writes, framed for `id` (or broken as `pill` says).
    pub fn framed(
        &self,
        json: &Json,
        id: SchemaId,
        pill: Option<Pill>,
    ) -> Result<Vec<u8>, FieldError> {
        let body = self.body(json)?;
        Ok(frame(&body, id, pill))
    }

    fn read(&self, schema: &Schema, json: &Json, path: &str) -> Result<Value, FieldError> {
        let wrong = |expected: &str| FieldError {
            path: path.to_owned(),
            message: format!("expected {expected}, got {}", shown(json)),
        };
        Ok(match schema {
            Schema::Null => match json {
                Json::Null => Value::Null,
                _ => return Err(wrong("null")),
            },
            Schema::Boolean => Value::Boolean(json.as_bool().ok_or_else(|| wrong("boolean"))?),
            Schema::Int | Schema::Date | Schema::TimeMillis => {
                let n = json
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| wrong(&format!("{} (a 32-bit integer)", type_name(schema))))?;
                match schema {
                    Schema::Date => Value::Date(n),
                    Schema::TimeMillis => Value::TimeMillis(n),
                    _ => Value::Int(n),
                }
            }
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {
                let n = json
                    .as_i64()
                    .ok_or_else(|| wrong(&format!("{} (an integer)", type_name(schema))))?;
                match schema {
                    Schema::TimeMicros => Value::TimeMicros(n),
                    Schema::TimestampMillis => Value::TimestampMillis(n),
                    Schema::TimestampMicros => Value::TimestampMicros(n),
                    Schema::TimestampNanos => Value::TimestampNanos(n),
                    Schema::LocalTimestampMillis => Value::LocalTimestampMillis(n),
                    Schema::LocalTimestampMicros => Value::LocalTimestampMicros(n),
                    Schema::LocalTimestampNanos => Value::LocalTimestampNanos(n),
                    _ => Value::Long(n),
                }
            }
            Schema::Float => Value::Float(json.as_f64().ok_or_else(|| wrong("float"))? as f32),
            Schema::Double => Value::Double(json.as_f64().ok_or_else(|| wrong("double"))?),
            Schema::String => Value::String(text(json).ok_or_else(|| wrong("string"))?.to_owned()),
            Schema::Uuid => {
                let t = text(json).ok_or_else(|| wrong("uuid (a string)"))?;
                Value::Uuid(apache_avro::Uuid::parse_str(t).map_err(|_| wrong("a uuid"))?)
            }
            Schema::Bytes => Value::Bytes(bytes(json).ok_or_else(|| wrong(BYTES))?),
            Schema::Fixed(fixed) => {
                let b = bytes(json).ok_or_else(|| wrong(BYTES))?;
                if b.len() != fixed.size {
                    return Err(FieldError {
                        path: path.to_owned(),
                        message: format!(
                            "fixed {} holds {} bytes, got {}",
                            fixed.name.name,
                            fixed.size,
                            b.len()
                        ),
                    });
                }
                Value::Fixed(fixed.size, b)
            }
            Schema::Decimal(decimal) => {
                let b = bytes(json).ok_or_else(|| {
                    wrong(&format!("decimal (its unscaled two's-complement {BYTES})"))
                })?;
                if let Schema::Fixed(fixed) = decimal.inner.as_ref() {
                    if b.len() != fixed.size {
                        return Err(FieldError {
                            path: path.to_owned(),
                            message: format!(
                                "decimal in fixed {} holds {} bytes, got {}",
                                fixed.name.name,
                                fixed.size,
                                b.len()
                            ),
                        });
                    }
                }
                Value::Decimal(apache_avro::Decimal::from(b))
            }
            Schema::Enum(e) => {
                let symbol =
                    text(json).ok_or_else(|| wrong(&format!("one of {}", e.symbols.join(", "))))?;
                let index = e
                    .symbols
                    .iter()
                    .position(|s| s == symbol)
                    .ok_or_else(|| wrong(&format!("one of {}", e.symbols.join(", "))))?;
                Value::Enum(u32::try_from(index).unwrap_or(u32::MAX), symbol.to_owned())
            }
            Schema::Array(array) => {
                let items = json.as_array().ok_or_else(|| wrong("array"))?;
                let mut values = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    values.push(self.read(&array.items, item, &format!("{path}[{i}]"))?);
                }
                Value::Array(values)
            }
            Schema::Map(map) => {
                let entries = json.as_object().ok_or_else(|| wrong("map (an object)"))?;
                let mut values = HashMap::with_capacity(entries.len());
                for (key, item) in entries {
                    let at = format!("{path}[{}]", Json::String(key.clone()));
                    values.insert(key.clone(), self.read(&map.types, item, &at)?);
                }
                Value::Map(values)
            }
            Schema::Union(union) => self.union(union, json, path)?,
            Schema::Record(record) => self.record(record, json, path)?,
            Schema::Ref { name } => {
                let named = self.names.get(name).ok_or_else(|| FieldError {
                    path: path.to_owned(),
                    message: format!("the schema refers to {} but does not define it", name.name),
                })?;
                self.read(named, json, path)?
            }
            Schema::BigDecimal | Schema::Duration => {
                return Err(FieldError {
                    path: path.to_owned(),
                    message: format!(
                        "{} values cannot be written by hand here",
                        type_name(schema)
                    ),
                })
            }
        })
    }

    fn record(&self, record: &RecordSchema, json: &Json, path: &str) -> Result<Value, FieldError> {
        let object = json.as_object().ok_or_else(|| FieldError {
            path: path.to_owned(),
            message: format!(
                "expected record {} (an object), got {}",
                record.name.name,
                shown(json)
            ),
        })?;
        if let Some(stray) = object.keys().find(|k| !record.lookup.contains_key(*k)) {
            return Err(FieldError {
                path: format!("{path}.{stray}"),
                message: format!("record {} has no field {stray}", record.name.name),
            });
        }
        let mut fields = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            let at = format!("{path}.{}", field.name);
            let value = match (object.get(&field.name), &field.default) {
                (Some(given), _) => self.read(&field.schema, given, &at)?,
                // A union's default is a value of its first branch, written without a wrapper.
                (None, Some(default)) => match &field.schema {
                    Schema::Union(u) => {
                        let first = u.variants().first().ok_or_else(|| missing(&at))?;
                        Value::Union(0, Box::new(self.read(first, default, &at)?))
                    }
                    other => self.read(other, default, &at)?,
                },
                (None, None) => return Err(missing(&at)),
            };
            fields.push((field.name.clone(), value));
        }
        Ok(Value::Record(fields))
    }

    fn union(&self, union: &UnionSchema, json: &Json, path: &str) -> Result<Value, FieldError> {
        let branches = union.variants();
        let names: Vec<String> = branches.iter().map(|b| self.branch_name(b)).collect();
        if json.is_null() {
            let null = branches
                .iter()
                .position(|b| matches!(b, Schema::Null))
                .ok_or_else(|| FieldError {
                    path: path.to_owned(),
                    message: format!(
                        "null is not one of the union's types ({})",
                        names.join(", ")
                    ),
                })?;
            return Ok(Value::Union(
                u32::try_from(null).unwrap_or(0),
                Box::new(Value::Null),
            ));
        }
        let wrapped = json
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next());
        let Some((name, inner)) = wrapped else {
            return Err(FieldError {
                path: path.to_owned(),
                message: format!(
                    "a union's value is null or {{\"type\": value}} with type one of {}; got {}",
                    names.join(", "),
                    shown(json)
                ),
            });
        };
        let index = names
            .iter()
            .position(|n| n == name || n.rsplit('.').next() == Some(name.as_str()))
            .ok_or_else(|| FieldError {
                path: path.to_owned(),
                message: format!(
                    "{name} is not one of the union's types ({})",
                    names.join(", ")
                ),
            })?;
        let branch = branches.get(index).ok_or_else(|| missing(path))?;
        let value = self.read(branch, inner, path)?;
        Ok(Value::Union(
            u32::try_from(index).unwrap_or(0),
            Box::new(value),
        ))
    }

    /// How a union names `branch` in JSON: its type, or its full name when it is named.
    fn branch_name(&self, branch: &Schema) -> String {
        match branch {
            Schema::Record(r) => r.name.fullname(None),
            Schema::Enum(e) => e.name.fullname(None),
            Schema::Fixed(f) => f.name.fullname(None),
            Schema::Decimal(d) => match d.inner.as_ref() {
                Schema::Fixed(f) => f.name.fullname(None),
                _ => "bytes".into(),
            },
            Schema::Ref { name } => name.fullname(None),
            other => type_name(other).into(),
        }
    }
}

const BYTES: &str = "bytes (a string of code points 0–255)";

fn missing(path: &str) -> FieldError {
    FieldError {
        path: path.to_owned(),
        message: "missing, and the field has no default".into(),
    }
}

/// The underlying Avro type of `schema`, as a union names it: a logical type reads as the type
/// it annotates (`long` for a timestamp-millis).
pub fn type_name(schema: &Schema) -> &'static str {
    match schema {
        Schema::Null => "null",
        Schema::Boolean => "boolean",
        Schema::Int | Schema::Date | Schema::TimeMillis => "int",
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => "long",
        Schema::Float => "float",
        Schema::Double => "double",
        Schema::Bytes | Schema::BigDecimal | Schema::Decimal(_) => "bytes",
        Schema::String | Schema::Uuid => "string",
        Schema::Array(_) => "array",
        Schema::Map(_) => "map",
        Schema::Union(_) => "union",
        Schema::Record(_) => "record",
        Schema::Enum(_) => "enum",
        Schema::Fixed(_) | Schema::Duration => "fixed",
        Schema::Ref { .. } => "named type",
    }
}

fn text(json: &Json) -> Option<&str> {
    json.as_str()
}

/// Avro JSON bytes: a string whose every code point is one byte.
fn bytes(json: &Json) -> Option<Vec<u8>> {
    json.as_str()?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// A JSON value as an error quotes it, cut short when long.
fn shown(json: &Json) -> String {
    let text = json.to_string();
    if text.chars().count() <= 40 {
        text
    } else {
        format!("{}…", text.chars().take(39).collect::<String>())
    }
}

/// `body` in the Confluent wire format for `id`, or broken as `pill` says.
pub fn frame(body: &[u8], id: SchemaId, pill: Option<Pill>) -> Vec<u8> {
    let id = if pill == Some(Pill::UnknownId) {
        UNKNOWN_ID
    } else {
        id
    };
    let mut out = Vec::with_capacity(body.len() + 5);
    Frame {
        schema_id: id,
        body,
    }
    .write_to(&mut out);
    match pill {
        Some(Pill::WrongMagic) => {
            if let Some(first) = out.first_mut() {
                *first = 0x01;
            }
        }
        Some(Pill::Truncated) => out.truncate(5 + body.len() / 2),
        Some(Pill::UnknownId) | None => {}
    }
    out
}

/// A record in Avro's JSON encoding for `schema` made from a plain JSON object (a generated
/// click, say): fields it has are kept, a union's non-null value is wrapped in the first branch
/// that takes its JSON kind, fields it lacks take their default, or `null` when they have none.
pub fn fill(schema: &Schema, plain: &Json) -> Json {
    let Schema::Record(record) = schema else {
        return plain.clone();
    };
    let mut out = serde_json::Map::new();
    for field in &record.fields {
        let value = match (plain.get(&field.name), &field.default) {
            (Some(v), _) => wrap(&field.schema, v.clone()),
            (None, Some(default)) => default.clone(),
            (None, None) => Json::Null,
        };
        out.insert(field.name.clone(), value);
    }
    Json::Object(out)
}

fn wrap(schema: &Schema, value: Json) -> Json {
    let Schema::Union(union) = schema else {
        return value;
    };
    if value.is_null() {
        return value;
    }
    let takes = |branch: &Schema| match (&value, branch) {
        (Json::String(_), Schema::String | Schema::Uuid | Schema::Bytes | Schema::Enum(_)) => true,
        (Json::Number(_), Schema::Float | Schema::Double) => true,
        (Json::Number(n), s) if matches!(type_name(s), "int" | "long") => n.is_i64(),
        (Json::Bool(_), Schema::Boolean) => true,
        (Json::Array(_), Schema::Array(_)) => true,
        (Json::Object(_), Schema::Map(_) | Schema::Record(_)) => true,
        _ => false,
    };
    let name = union.variants().iter().find(|b| takes(b)).map(|b| match b {
        Schema::Record(r) => r.name.fullname(None),
        Schema::Enum(e) => e.name.fullname(None),
        other => type_name(other).to_owned(),
    });
    match name {
        Some(name) => Json::Object([(name, value)].into_iter().collect()),
        None => value,
    }
}

#[cfg(test)]
mod tests;
