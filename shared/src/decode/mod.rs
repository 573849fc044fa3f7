//! Fast Avro decoding of record bodies into compact rows, for tables that show many records.
//!
//! A [`Decoder`] turns a writer schema into a plan once; [`Decoder::decode`] then reads a body
//! into a caller-provided [`Row`]: one [`Cell`] per top-level field, numbers by value, strings as
//! validated [`Span`]s of the body. Nothing is copied and, once the row has grown, nothing is
//! allocated — unless a field has a type the plan does not cover (nested records, arrays, maps,
//! decimals, …), which `apache-avro` decodes for that field, or the schema needs name resolution
//! across fields, in which case `apache-avro` decodes the whole record. Every valid schema
//! decodes; the fast path is an optimisation, never a restriction.
//!
//! A body must hold exactly one record: bytes left over are an error, as are truncated bodies,
//! overlong varints, invalid UTF-8 and branch or symbol indexes the schema does not have.
//! Fields left to `apache-avro` are first walked by a guard that checks every length and count
//! against the bytes really there, so a body cannot make apache-avro allocate what it merely
//! announces, nest past [`MAX_DEPTH`] levels, or pass truncated where apache-avro would read the
//! missing end as `null`.
//! [`Writers`] adds the Confluent framing and says why a record is a poison pill.
//!
//! ```
//! use shared::decode::{Cell, Decoder, Row};
//! let schema = apache_avro::Schema::parse_str(
//!     r#"{"type":"record","name":"r","fields":[{"name":"n","type":["null","string"]}]}"#,
//! )?;
//! let decoder = Decoder::new(&schema);
//! let body = [2, 4, b'h', b'i']; // branch 1 (string), length 2, "hi"
//! let mut row = Row::new();
//! decoder.decode(&body, &mut row)?;
//! assert!(matches!(row.cells()[0], Cell::Str(s) if s.str(&body) == Some("hi")));
//! assert_eq!(decoder.text(&row, &body, 0), "hi");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod corpus;
mod framed;
mod guard;
mod plan;
mod reader;
mod render;
mod row;

#[cfg(test)]
mod tests;

pub use framed::{Framed, PoisonReason, Writers};
pub use guard::{CheckedSchema, MAX_DEPTH, MAX_EMPTY_ITEMS};
pub use reader::Fault;
pub use render::{date, decimal, instant, time_of_day};
pub use row::{Cell, Row, Span};

use apache_avro::types::Value;
use apache_avro::Schema;
use guard::Guarded;
use plan::{Step, StepError};
use reader::Cursor;

/// Why a body does not decode with its writer schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes of a field are wrong.
    #[error("field `{field}`: {fault}")]
    Field {
        /// The top-level field being read.
        field: String,
        /// What is wrong.
        fault: Fault,
    },
    /// `apache-avro` refused a field outside the plan (or the whole record, when it decodes it).
    #[error("field `{field}`: {message}")]
    Avro {
        /// The top-level field, or the record's name when the whole record was decoded.
        field: String,
        /// What `apache-avro` said.
        message: String,
    },
    /// The record ended before the body did.
    #[error("{count} bytes left over after the record")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The body is 4 GiB or longer.
    #[error("the body is {len} bytes long, too long to decode")]
    TooLong {
        /// Its length.
        len: usize,
    },
}

/// One column: a top-level field and how it is read.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    step: Step,
}

/// Decodes bodies written with one writer schema; build it once per schema and reuse it.
#[derive(Debug, Clone)]
pub struct Decoder {
    columns: Vec<Column>,
    /// Set when `apache-avro` decodes whole records (fields refer to each other's types).
    whole: Option<Box<Guarded>>,
}

impl Decoder {
    /// Plans decoding for `schema`. A record's columns are its fields; any other schema is one
    /// column named `value`.
    pub fn new(schema: &Schema) -> Self {
        match schema {
            Schema::Record(record) => {
                let whole = record
                    .fields
                    .iter()
                    .any(|f| plan::refers_outside(&f.schema))
                    .then(|| Box::new(Guarded::new(schema)));
                let columns = record
                    .fields
                    .iter()
                    .map(|f| Column {
                        name: f.name.clone(),
                        step: Step::of(&f.schema),
                    })
                    .collect();
                Self { columns, whole }
            }
            other => Self {
                columns: vec![Column {
                    name: "value".into(),
                    step: Step::of(other),
                }],
                whole: None,
            },
        }
    }

    /// The column names, in schema order.
    pub fn columns(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.columns.iter().map(|c| c.name.as_str())
    }

    /// Whether every column is decoded by the plan, with no `apache-avro` values.
    pub fn fully_planned(&self) -> bool {
        self.whole.is_none()
            && self
                .columns
                .iter()
                .all(|c| !matches!(c.step, Step::Avro(_)))
    }

    /// Decodes `body`, which must hold exactly one record, into `row` (its previous contents
    /// are replaced). On error the row holds the fields read before the fault.
    pub fn decode(&self, body: &[u8], row: &mut Row) -> Result<(), DecodeError> {
        row.clear();
        if u32::try_from(body.len()).is_err() {
            return Err(DecodeError::TooLong { len: body.len() });
        }
        if let Some(guarded) = &self.whole {
            return self.decode_whole(guarded, body, row);
        }
        self.decode_planned(body, row)
    }

    /// The planned walk over the columns, with every step inlined into one loop. In the browser
    /// it is compiled with WebAssembly SIMD, so the ASCII check of strings vectorises there as
    /// it does natively.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    fn decode_planned(&self, body: &[u8], row: &mut Row) -> Result<(), DecodeError> {
        let mut cursor = Cursor::new(body);
        for column in &self.columns {
            match column.step.read(&mut cursor, row) {
                Ok(cell) => row.cells.push(cell),
                Err(e) => return Err(column.error(e)),
            }
        }
        match body.len() - cursor.pos() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { count }),
        }
    }

    fn decode_whole(
        &self,
        guarded: &Guarded,
        body: &[u8],
        row: &mut Row,
    ) -> Result<(), DecodeError> {
        let schema = &guarded.schema;
        guarded.check(body).map_err(|fault| DecodeError::Field {
            field: schema_name(schema),
            fault,
        })?;
        let mut rest = body;
        let value = apache_avro::from_avro_datum(schema, &mut rest, None).map_err(|e| {
            DecodeError::Avro {
                field: schema_name(schema),
                message: e.to_string(),
            }
        })?;
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes { count: rest.len() });
        }
        match value {
            Value::Record(fields) => {
                for (_, value) in fields {
                    let cell = row.push_value(value);
                    row.cells.push(cell);
                }
            }
            other => {
                let cell = row.push_value(other);
                row.cells.push(cell);
            }
        }
        Ok(())
    }
}

impl Column {
    fn error(&self, error: StepError) -> DecodeError {
        match error {
            StepError::Fault(fault) => DecodeError::Field {
                field: self.name.clone(),
                fault,
            },
            StepError::Avro(message) => DecodeError::Avro {
                field: self.name.clone(),
                message,
            },
        }
    }
}

fn schema_name(schema: &Schema) -> String {
    match schema {
        Schema::Record(r) => r.name.fullname(None),
        _ => "value".into(),
    }
}
