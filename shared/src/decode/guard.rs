//! A dry run over a body before `apache-avro` decodes it: every length, count and index is
//! checked against the bytes that are really there, without reading a value or allocating.
//!
//! apache-avro trusts what the body announces. It allocates a string, bytes or block of array
//! items as long as a length says (up to 512 MiB, times the size of a value for arrays and
//! maps: six bytes announcing an array of 500 million ints make it ask for 28 GB, and the
//! process aborts), it follows nesting as deep as the body goes (overflowing the stack, which
//! is small in the browser), and it reads a boolean, a string or a union index cut off at the
//! end of the body as `null` instead of refusing the truncated body. So the fields outside the
//! plan are walked here first, by the rules apache-avro decodes them with; only a body that
//! holds everything it announces reaches apache-avro.

use super::reader::{Cursor, Fault};
use apache_avro::schema::{Name, Namespace, ResolvedSchema};
use apache_avro::Schema;
use std::collections::HashMap;

/// Nesting the walk (and so apache-avro) follows at most: records, arrays, maps and unions.
pub const MAX_DEPTH: usize = 64;
/// Items of arrays whose items take no bytes (`null`, empty records, zero-size fixed) that one
/// body may announce; any other item takes a byte at least, so the body's length bounds it.
pub const MAX_EMPTY_ITEMS: usize = 1 << 16;

/// A schema decoded by `apache-avro`, with its named types resolved once for the walk.
#[derive(Debug, Clone)]
pub(super) struct Guarded {
    pub(super) schema: Schema,
    names: HashMap<Name, Schema>,
}

impl Guarded {
    pub(super) fn new(schema: &Schema) -> Self {
        let names = ResolvedSchema::try_from(schema)
            .map(|resolved| {
                let names = resolved.get_names().iter();
                names.map(|(n, s)| (n.clone(), (*s).clone())).collect()
            })
            .unwrap_or_default();
        Self {
            schema: schema.clone(),
            names,
        }
    }

    /// Walks one value of the schema from the start of `body`: `Ok` when every length, count
    /// and index it announces fits the bytes there.
    pub(super) fn check(&self, body: &[u8]) -> Result<(), Fault> {
        let mut walk = Walk {
            names: &self.names,
            cursor: Cursor::new(body),
            empty_items: 0,
            lost: false,
        };
        walk.value(&self.schema, &None, 0)
    }
}

/// A writer schema for decoding whole bodies with `apache-avro`, each body checked by the guard
/// first: a hostile body cannot make it allocate or recurse without bound, nor pass a truncated
/// value off as `null`.
#[derive(Debug, Clone)]
pub struct CheckedSchema {
    guarded: Guarded,
}

impl CheckedSchema {
    /// Prepares `schema` (its named types are resolved once, here).
    pub fn new(schema: &Schema) -> Self {
        Self {
            guarded: Guarded::new(schema),
        }
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.guarded.schema
    }

    /// Decodes a body that must be exactly one value of the schema.
    pub fn decode(&self, body: &[u8]) -> Result<apache_avro::types::Value, String> {
        self.guarded
            .check(body)
            .map_err(|fault| fault.to_string())?;
        let mut rest = body;
        let value = apache_avro::from_avro_datum(&self.guarded.schema, &mut rest, None)
            .map_err(|e| e.to_string())?;
        match rest.len() {
            0 => Ok(value),
            left => Err(format!("{left} bytes left over after the record")),
        }
    }
}

struct Walk<'g, 'b> {
    names: &'g HashMap<Name, Schema>,
    cursor: Cursor<'b>,
    empty_items: usize,
    /// Set at a name the schema does not define: apache-avro refuses it; the walk stops there.
    lost: bool,
}

impl Walk<'_, '_> {
    fn value(&mut self, schema: &Schema, ns: &Namespace, depth: usize) -> Result<(), Fault> {
        if self.lost {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(Fault::TooDeep(MAX_DEPTH));
        }
        let cursor = &mut self.cursor;
        match schema {
            Schema::Null => {}
            Schema::Boolean => skip(cursor.span(1))?,
            Schema::Float => skip(cursor.span(4))?,
            Schema::Double => skip(cursor.span(8))?,
            Schema::Duration => skip(cursor.span(12))?,
            Schema::Fixed(fixed) => skip(cursor.span(fixed.size))?,
            Schema::Bytes | Schema::String | Schema::Uuid => skip(cursor.bytes())?,
            Schema::BigDecimal => big_decimal(cursor)?,
            Schema::Decimal(decimal) => self.value(&decimal.inner, ns, depth)?,
            Schema::Int
            | Schema::Date
            | Schema::TimeMillis
            | Schema::Enum(_)
            | Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => skip(cursor.long())?,
            Schema::Array(array) => {
                let empty = self.may_be_empty(&array.items, ns, 0);
                self.blocks(empty, |walk| walk.value(&array.items, ns, depth + 1))?;
            }
            Schema::Map(map) => self.blocks(false, |walk| {
                walk.cursor.bytes()?;
                walk.value(&map.types, ns, depth + 1)
            })?,
            Schema::Union(union) => {
                let branches = union.variants();
                match cursor.index(branches.len())? {
                    Ok(branch) => self.value(&branches[branch], ns, depth + 1)?,
                    Err(index) => {
                        let branches = branches.len();
                        return Err(Fault::BadUnionIndex { index, branches });
                    }
                }
            }
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(ns).namespace;
                for field in &record.fields {
                    self.value(&field.schema, &inner, depth + 1)?;
                }
            }
            Schema::Ref { name } => {
                let full = name.fully_qualified_name(ns);
                match self.names.get(&full) {
                    Some(named) => self.value(named, &full.namespace, depth + 1)?,
                    None => self.lost = true,
                }
            }
        }
        Ok(())
    }

    /// The blocks of an array or a map, as apache-avro reads them: a count (negative when a
    /// byte size follows it) and that many items, until a count of zero.
    fn blocks(
        &mut self,
        empty_items: bool,
        mut item: impl FnMut(&mut Self) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        loop {
            let raw = self.cursor.long()?;
            let count = match raw {
                0 => return Ok(()),
                n if n < 0 => {
                    self.cursor.long()?;
                    n.checked_neg().ok_or(Fault::NegativeLength(n))?
                }
                n => n,
            };
            let count = usize::try_from(count).map_err(|_| Fault::NegativeLength(raw))?;
            if empty_items {
                self.empty_items = self.empty_items.saturating_add(count);
                if self.empty_items > MAX_EMPTY_ITEMS {
                    return Err(Fault::TooManyItems(MAX_EMPTY_ITEMS));
                }
            } else if count > self.cursor.rest().len() {
                return Err(Fault::Truncated);
            }
            for _ in 0..count {
                item(self)?;
            }
        }
    }

    /// Whether a value of `schema` can take no bytes at all.
    fn may_be_empty(&self, schema: &Schema, ns: &Namespace, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match schema {
            Schema::Null => true,
            Schema::Fixed(fixed) => fixed.size == 0,
            Schema::Decimal(decimal) => self.may_be_empty(&decimal.inner, ns, depth + 1),
            Schema::Record(record) => {
                let inner = record.name.fully_qualified_name(ns).namespace;
                let fields = record.fields.iter();
                fields
                    .map(|f| &f.schema)
                    .all(|s| self.may_be_empty(s, &inner, depth + 1))
            }
            Schema::Ref { name } => {
                let full = name.fully_qualified_name(ns);
                let named = self.names.get(&full);
                named.is_some_and(|s| self.may_be_empty(s, &full.namespace, depth + 1))
            }
            _ => false,
        }
    }
}

fn skip<T>(read: Result<T, Fault>) -> Result<(), Fault> {
    read.map(|_| ())
}

/// A big decimal: bytes holding a length, that many bytes of the unscaled number, and a scale.
fn big_decimal(cursor: &mut Cursor<'_>) -> Result<(), Fault> {
    let outer = cursor.bytes()?;
    let mut inner = Cursor::new(outer.of(cursor.buf()));
    inner.bytes()?;
    Ok(())
}
