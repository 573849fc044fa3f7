//! A decoded row against apache-avro's value, column by column, the way `shared`'s own decode
//! tests rebuild a value from the plan — but from the public API and the writer schema alone:
//! each planned cell is turned into the value apache-avro gives for the column's schema (union
//! branches included), each `apache-avro` cell is taken as it is, and floats compare by bits.

use apache_avro::types::Value;
use apache_avro::Schema;
use shared::decode::{Cell, Decoder, Row};

/// Whether `row`, decoded from `body` with `schema`, holds `want`; `Err` says where it does not.
pub fn agree(
    schema: &Schema,
    decoder: &Decoder,
    row: &Row,
    body: &[u8],
    want: &Value,
) -> Result<(), String> {
    let columns = columns(schema, want)?;
    if row.cells().len() != columns.len() || decoder.columns().len() != columns.len() {
        return Err(format!(
            "{} cells and {} columns for {} fields",
            row.cells().len(),
            decoder.columns().len(),
            columns.len()
        ));
    }
    for (at, ((field, want), cell)) in columns.iter().zip(row.cells()).enumerate() {
        let got = match *cell {
            Cell::Value(i) => row.value(i).cloned(),
            cell => cell_value(field, cell, body),
        };
        match got {
            Some(got) if same(&got, want) => {}
            got => {
                return Err(format!(
                    "column {at}: decoded {got:?}, apache-avro {want:?}"
                ))
            }
        }
        check_text(decoder, row, body, at, want)?;
    }
    Ok(())
}

/// The (schema, value) of each column: a record's fields, or the whole value as one column.
fn columns<'a>(
    schema: &'a Schema,
    want: &'a Value,
) -> Result<Vec<(&'a Schema, &'a Value)>, String> {
    match (schema, want) {
        (Schema::Record(record), Value::Record(fields)) if record.fields.len() == fields.len() => {
            Ok(record
                .fields
                .iter()
                .map(|f| &f.schema)
                .zip(fields.iter().map(|(_, v)| v))
                .collect())
        }
        (Schema::Record(_), other) => Err(format!("apache-avro gave {other:?} for a record")),
        (schema, want) => Ok(vec![(schema, want)]),
    }
}

/// What apache-avro gives for `cell` under `schema`, or `None` when the cell does not fit it.
fn cell_value(schema: &Schema, cell: Cell, body: &[u8]) -> Option<Value> {
    Some(match (schema, cell) {
        (Schema::Null, Cell::Null) => Value::Null,
        (Schema::Boolean, Cell::Bool(b)) => Value::Boolean(b),
        (Schema::Int, Cell::Int(n)) => Value::Int(n),
        (Schema::Date, Cell::Int(n)) => Value::Date(n),
        (Schema::TimeMillis, Cell::Int(n)) => Value::TimeMillis(n),
        (Schema::Long, Cell::Long(n)) => Value::Long(n),
        (Schema::TimeMicros, Cell::Long(n)) => Value::TimeMicros(n),
        (Schema::TimestampMillis, Cell::Long(n)) => Value::TimestampMillis(n),
        (Schema::TimestampMicros, Cell::Long(n)) => Value::TimestampMicros(n),
        (Schema::TimestampNanos, Cell::Long(n)) => Value::TimestampNanos(n),
        (Schema::LocalTimestampMillis, Cell::Long(n)) => Value::LocalTimestampMillis(n),
        (Schema::LocalTimestampMicros, Cell::Long(n)) => Value::LocalTimestampMicros(n),
        (Schema::LocalTimestampNanos, Cell::Long(n)) => Value::LocalTimestampNanos(n),
        (Schema::Float, Cell::Float(x)) => Value::Float(x),
        (Schema::Double, Cell::Double(x)) => Value::Double(x),
        (Schema::Bytes, Cell::Bytes(s)) => Value::Bytes(s.of(body).to_vec()),
        (Schema::String, Cell::Str(s)) => Value::String(s.str(body)?.to_owned()),
        (Schema::Enum(e), Cell::Enum(i)) => Value::Enum(i, e.symbols.get(i as usize)?.clone()),
        (Schema::Fixed(f), Cell::Fixed(s)) if s.len() == f.size => {
            Value::Fixed(f.size, s.of(body).to_vec())
        }
        (Schema::Union(union), cell) => {
            let (branch, value) = union
                .variants()
                .iter()
                .enumerate()
                .find_map(|(i, variant)| Some((i, cell_value(variant, cell, body)?)))?;
            Value::Union(u32::try_from(branch).ok()?, Box::new(value))
        }
        _ => return None,
    })
}

/// The text of a column shows a string or an enum symbol as it is; nothing else is pinned, but
/// rendering must not panic.
fn check_text(
    decoder: &Decoder,
    row: &Row,
    body: &[u8],
    column: usize,
    want: &Value,
) -> Result<(), String> {
    let text = decoder.text(row, body, column);
    let inner = match want {
        Value::Union(_, inner) => inner,
        other => other,
    };
    let pinned = match inner {
        Value::String(s) => Some(s.as_str()),
        Value::Enum(_, symbol) => Some(symbol.as_str()),
        _ => None,
    };
    match pinned {
        Some(pinned)
            if matches!(row.cells()[column], Cell::Str(_) | Cell::Enum(_)) && text != pinned =>
        {
            Err(format!(
                "column {column} shows {text:?}, apache-avro decoded {pinned:?}"
            ))
        }
        _ => Ok(()),
    }
}

/// Equality of values with floats compared by their bits, so NaN equals the same NaN.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        (Value::Union(i, x), Value::Union(j, y)) => i == j && same(x, y),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Value::Map(xs), Value::Map(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(k, x)| ys.get(k).is_some_and(|y| same(x, y)))
        }
        (Value::Record(xs), Value::Record(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|((n, x), (m, y))| n == m && same(x, y))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_is_the_same_as_itself_and_maps_ignore_order() {
        assert!(same(&Value::Double(f64::NAN), &Value::Double(f64::NAN)));
        assert!(!same(&Value::Double(0.0), &Value::Double(-0.0)));
        let map = |pairs: &[(&str, i32)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::Int(*v)))
                    .collect(),
            )
        };
        assert!(same(
            &map(&[("a", 1), ("b", 2)]),
            &map(&[("b", 2), ("a", 1)])
        ));
        assert!(!same(&map(&[("a", 1)]), &map(&[("a", 2)])));
    }
}
