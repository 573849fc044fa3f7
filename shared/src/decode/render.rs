//! Showing a decoded row: each cell as text for a table, or the whole row as JSON for an
//! inspector. Strings appear as they are, bytes and fixed as numbers in JSON (as `apache-avro`
//! converts them) and as hex in text, enums by symbol, logical types by their stored number.

use super::plan::{Prim, Step};
use super::{Cell, Decoder, Row};
use serde_json::{Map, Number, Value as Json};
use std::fmt::Write as _;

impl Decoder {
    /// Column `column` of `row` as text; `body` is the body the row was decoded from. Empty
    /// when the column does not exist.
    pub fn text(&self, row: &Row, body: &[u8], column: usize) -> String {
        let Some(cell) = row.cells.get(column) else {
            return String::new();
        };
        match *cell {
            Cell::Null => "null".into(),
            Cell::Bool(b) => b.to_string(),
            Cell::Int(n) => n.to_string(),
            Cell::Long(n) => n.to_string(),
            Cell::Float(x) => x.to_string(),
            Cell::Double(x) => x.to_string(),
            Cell::Str(span) => span.str(body).unwrap_or_default().to_owned(),
            Cell::Bytes(span) | Cell::Fixed(span) => {
                span.of(body).iter().fold(String::new(), |mut out, b| {
                    let _ = write!(out, "{b:02x}");
                    out
                })
            }
            Cell::Enum(i) => self.symbol(column, i).unwrap_or_default().to_owned(),
            Cell::Value(i) => match row.value(i).cloned().map(Json::try_from) {
                Some(Ok(json)) => json.to_string(),
                Some(Err(_)) | None => String::new(),
            },
        }
    }

    /// `row` as a JSON object of column name to value; `body` is the body it was decoded from.
    pub fn to_json(&self, row: &Row, body: &[u8]) -> Json {
        let mut object = Map::new();
        for (column, (name, cell)) in self.columns().zip(&row.cells).enumerate() {
            object.insert(name.to_owned(), self.cell_json(row, body, column, *cell));
        }
        Json::Object(object)
    }

    fn cell_json(&self, row: &Row, body: &[u8], column: usize, cell: Cell) -> Json {
        let number = |x: f64| Number::from_f64(x).map_or(Json::Null, Json::Number);
        match cell {
            Cell::Null => Json::Null,
            Cell::Bool(b) => Json::Bool(b),
            Cell::Int(n) => n.into(),
            Cell::Long(n) => n.into(),
            Cell::Float(x) => number(f64::from(x)),
            Cell::Double(x) => number(x),
            Cell::Str(span) => span.str(body).unwrap_or_default().into(),
            Cell::Bytes(span) | Cell::Fixed(span) => span.of(body).to_vec().into(),
            Cell::Enum(i) => self.symbol(column, i).unwrap_or_default().into(),
            Cell::Value(i) => row
                .value(i)
                .cloned()
                .and_then(|v| Json::try_from(v).ok())
                .unwrap_or(Json::Null),
        }
    }

    /// The symbol of enum index `index` in column `column`.
    fn symbol(&self, column: usize, index: u32) -> Option<&str> {
        let symbols = match &self.columns.get(column)?.step {
            Step::Prim(prim) | Step::Nullable { prim, .. } => symbols(prim)?,
            Step::Union(prims) => prims.iter().find_map(symbols)?,
            Step::Avro(_) => return None,
        };
        symbols.get(index as usize).map(String::as_str)
    }
}

fn symbols(prim: &Prim) -> Option<&[String]> {
    match prim {
        Prim::Enum(symbols) => Some(symbols),
        _ => None,
    }
}
