//! A decoded record as a compact row: one [`Cell`] per top-level field, text and bytes as
//! [`Span`]s into the body they came from, so decoding copies nothing. A [`Row`] is reused from
//! record to record; once it has grown to the widest record it allocates no more.

use apache_avro::types::Value;

/// A range of a record body: where a string, bytes or fixed value lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// Bodies are checked to be shorter than 4 GiB before decoding, so offsets fit `u32`.
    pub(super) fn new(start: usize, end: usize) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The bytes of this span in `body` (empty if `body` is not the one it came from and is
    /// too short).
    pub fn of<'a>(&self, body: &'a [u8]) -> &'a [u8] {
        body.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// The text of this span in `body`; `None` if those bytes are not UTF-8 (they always are
    /// for a [`Cell::Str`] of the body it was decoded from).
    pub fn str<'a>(&self, body: &'a [u8]) -> Option<&'a str> {
        std::str::from_utf8(self.of(body)).ok()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span is empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One top-level field of a decoded record.
///
/// Logical types keep their underlying cell (`timestamp-millis` is a [`Cell::Long`], `date` an
/// [`Cell::Int`]); the [`Decoder`](super::Decoder) knows which column is which. A nullable field
/// that is null is [`Cell::Null`]; otherwise it holds the branch's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// `null`.
    Null,
    /// `boolean`.
    Bool(bool),
    /// `int` (and `date`, `time-millis`).
    Int(i32),
    /// `long` (and the `time-micros` and timestamp logical types).
    Long(i64),
    /// `float`.
    Float(f32),
    /// `double`.
    Double(f64),
    /// `string`: valid UTF-8, in the body.
    Str(Span),
    /// `bytes`, in the body.
    Bytes(Span),
    /// `fixed`, in the body.
    Fixed(Span),
    /// `enum`: the symbol's index.
    Enum(u32),
    /// A value the plan does not cover (records, arrays, maps, decimals, …), decoded by
    /// `apache-avro`: an index into [`Row::values`].
    Value(u32),
}

/// A decoded record: its cells, plus the `apache-avro` values of fields outside the plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub(super) cells: Vec<Cell>,
    pub(super) values: Vec<Value>,
}

impl Row {
    /// An empty row; it grows to the first record's width and is reused after that.
    pub fn new() -> Self {
        Self::default()
    }

    /// One cell per column of the decoder that filled it, in schema order.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// A row made of cells and `apache-avro` values kept elsewhere (as [`Row::cells`] and
    /// [`Row::values`] gave them).
    pub fn from_parts(cells: &[Cell], values: &[Value]) -> Self {
        Self {
            cells: cells.to_vec(),
            values: values.to_vec(),
        }
    }

    /// The `apache-avro` values its [`Cell::Value`]s point to.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The value a [`Cell::Value`] points to.
    pub fn value(&self, index: u32) -> Option<&Value> {
        self.values.get(index as usize)
    }

    pub(super) fn clear(&mut self) {
        self.cells.clear();
        self.values.clear();
    }

    /// Stores a value decoded by `apache-avro` and returns its cell.
    pub(super) fn push_value(&mut self, value: Value) -> Cell {
        let index = self.values.len() as u32;
        self.values.push(value);
        Cell::Value(index)
    }
}
