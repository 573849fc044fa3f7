//! The plan: a writer schema turned, once, into one step per top-level field, so decoding a
//! record is a walk over a flat list with no schema lookups, name resolution or allocation.
//!
//! Primitives, enums, fixed, the logical types stored as `int` or `long`, and unions whose
//! branches are all of those (`["null", "string"]` above all) are planned. Any other field type
//! is decoded by `apache-avro` for that field alone; a schema whose fields refer to named types
//! defined elsewhere is decoded by `apache-avro` as a whole (see [`super::Decoder`]).

use super::guard::Guarded;
use super::reader::{Cursor, Fault};
use super::row::{Cell, Row};
use apache_avro::schema::UnionSchema;
use apache_avro::Schema;

/// How an `int` is to be read back as an `apache-avro` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IntKind {
    Int,
    Date,
    TimeMillis,
}

/// How a `long` is to be read back as an `apache-avro` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LongKind {
    Long,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
    TimestampNanos,
    LocalTimestampMillis,
    LocalTimestampMicros,
    LocalTimestampNanos,
}

/// A type read in one step.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Prim {
    Null,
    Bool,
    Int(IntKind),
    Long(LongKind),
    Float,
    Double,
    Bytes,
    Str,
    Enum(Box<[String]>),
    Fixed(usize),
}

/// One field's step.
#[derive(Debug, Clone)]
pub(super) enum Step {
    Prim(Prim),
    /// A union of `null` and one other type; `null` is branch `null`, the other branch `1 - null`.
    Nullable {
        null: usize,
        prim: Prim,
    },
    /// A union of several planned types whose cells tell the branches apart.
    Union(Box<[Prim]>),
    /// Anything else: `apache-avro` decodes this field, once the guard has walked it.
    Avro(Box<Guarded>),
}

impl Prim {
    /// The planned form of `schema`, if it has one.
    pub(super) fn of(schema: &Schema) -> Option<Self> {
        Some(match schema {
            Schema::Null => Self::Null,
            Schema::Boolean => Self::Bool,
            Schema::Int => Self::Int(IntKind::Int),
            Schema::Date => Self::Int(IntKind::Date),
            Schema::TimeMillis => Self::Int(IntKind::TimeMillis),
            Schema::Long => Self::Long(LongKind::Long),
            Schema::TimeMicros => Self::Long(LongKind::TimeMicros),
            Schema::TimestampMillis => Self::Long(LongKind::TimestampMillis),
            Schema::TimestampMicros => Self::Long(LongKind::TimestampMicros),
            Schema::TimestampNanos => Self::Long(LongKind::TimestampNanos),
            Schema::LocalTimestampMillis => Self::Long(LongKind::LocalTimestampMillis),
            Schema::LocalTimestampMicros => Self::Long(LongKind::LocalTimestampMicros),
            Schema::LocalTimestampNanos => Self::Long(LongKind::LocalTimestampNanos),
            Schema::Float => Self::Float,
            Schema::Double => Self::Double,
            Schema::Bytes => Self::Bytes,
            Schema::String => Self::Str,
            Schema::Enum(e) => Self::Enum(e.symbols.clone().into_boxed_slice()),
            Schema::Fixed(f) => Self::Fixed(f.size),
            _ => return None,
        })
    }

    /// Which [`Cell`] variant this type decodes to; branches of a planned union must differ.
    fn cell_kind(&self) -> u8 {
        match self {
            Self::Null => 0,
            Self::Bool => 1,
            Self::Int(_) => 2,
            Self::Long(_) => 3,
            Self::Float => 4,
            Self::Double => 5,
            Self::Bytes => 6,
            Self::Str => 7,
            Self::Enum(_) => 8,
            Self::Fixed(_) => 9,
        }
    }

    #[inline(always)]
    fn read(&self, cursor: &mut Cursor<'_>) -> Result<Cell, Fault> {
        Ok(match self {
            Self::Null => Cell::Null,
            Self::Bool => Cell::Bool(cursor.boolean()?),
            Self::Int(_) => Cell::Int(cursor.int()?),
            Self::Long(_) => Cell::Long(cursor.long()?),
            Self::Float => Cell::Float(cursor.float()?),
            Self::Double => Cell::Double(cursor.double()?),
            Self::Bytes => Cell::Bytes(cursor.bytes()?),
            Self::Str => Cell::Str(cursor.string()?),
            Self::Enum(symbols) => match cursor.index(symbols.len())? {
                Ok(i) => Cell::Enum(i as u32),
                Err(index) => {
                    return Err(Fault::BadEnumIndex {
                        index,
                        symbols: symbols.len(),
                    })
                }
            },
            Self::Fixed(size) => Cell::Fixed(cursor.span(*size)?),
        })
    }
}

impl Step {
    /// The step for a field of type `schema`.
    pub(super) fn of(schema: &Schema) -> Self {
        if let Some(prim) = Prim::of(schema) {
            return Self::Prim(prim);
        }
        match schema {
            Schema::Union(union) => Self::union(union).unwrap_or_else(|| Self::avro(schema)),
            _ => Self::avro(schema),
        }
    }

    fn avro(schema: &Schema) -> Self {
        Self::Avro(Box::new(Guarded::new(schema)))
    }

    fn union(union: &UnionSchema) -> Option<Self> {
        let prims = union
            .variants()
            .iter()
            .map(Prim::of)
            .collect::<Option<Vec<_>>>()?;
        let mut kinds: Vec<u8> = prims.iter().map(Prim::cell_kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        if kinds.len() != prims.len() {
            return None;
        }
        match prims.as_slice() {
            [Prim::Null, other] => Some(Self::Nullable {
                null: 0,
                prim: other.clone(),
            }),
            [other, Prim::Null] => Some(Self::Nullable {
                null: 1,
                prim: other.clone(),
            }),
            _ => Some(Self::Union(prims.into_boxed_slice())),
        }
    }

    /// Reads this field's cell, pushing into `row` what does not fit a cell.
    #[inline(always)]
    pub(super) fn read(&self, cursor: &mut Cursor<'_>, row: &mut Row) -> Result<Cell, StepError> {
        match self {
            Self::Prim(prim) => Ok(prim.read(cursor)?),
            Self::Nullable { null, prim } => match cursor.index(2)? {
                Ok(branch) if branch == *null => Ok(Cell::Null),
                Ok(_) => Ok(prim.read(cursor)?),
                Err(index) => Err(Fault::BadUnionIndex { index, branches: 2 }.into()),
            },
            Self::Union(prims) => match cursor.index(prims.len())? {
                Ok(branch) => match prims.get(branch) {
                    Some(prim) => Ok(prim.read(cursor)?),
                    None => Err(Fault::Truncated.into()),
                },
                Err(index) => Err(Fault::BadUnionIndex {
                    index,
                    branches: prims.len(),
                }
                .into()),
            },
            Self::Avro(guarded) => {
                let mut rest = cursor.rest();
                guarded.check(rest)?;
                let before = rest.len();
                let value = apache_avro::from_avro_datum(&guarded.schema, &mut rest, None)
                    .map_err(|e| StepError::Avro(e.to_string()))?;
                cursor.skip(before - rest.len());
                Ok(row.push_value(value))
            }
        }
    }
}

/// Why a step failed: bad bytes, or `apache-avro`'s word for a field it decoded.
#[derive(Debug)]
pub(super) enum StepError {
    Fault(Fault),
    Avro(String),
}

impl From<Fault> for StepError {
    fn from(fault: Fault) -> Self {
        Self::Fault(fault)
    }
}

/// Whether `schema` names a type it does not define itself, so it cannot be decoded apart from
/// the schema it came from.
pub(super) fn refers_outside(schema: &Schema) -> bool {
    match schema {
        Schema::Ref { .. } => true,
        Schema::Array(a) => refers_outside(&a.items),
        Schema::Map(m) => refers_outside(&m.types),
        Schema::Union(u) => u.variants().iter().any(refers_outside),
        // A nested record may legitimately refer to types it defines earlier; deciding that
        // needs name resolution, and falling back for the whole record is always correct.
        Schema::Record(r) => r.fields.iter().any(|f| refers_outside(&f.schema)),
        _ => false,
    }
}
