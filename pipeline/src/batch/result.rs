//! What a batch run found, as plain data (the types live in `shared`, so the page reads the same
//! report the CLI prints as JSON), and reading the collected Arrow tables by column name.

use arrow::array::{Array, ArrayRef, Int32Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;

pub use shared::batch::{BatchReport, Group, Minute, NullRate, Pill, SchemaUse, Totals};

/// A collected table whose columns are read by name.
pub(crate) struct Table<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Table<'a> {
    pub(crate) fn new(batch: &'a RecordBatch) -> Self {
        Self { batch }
    }

    pub(crate) fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn column(&self, name: &str) -> Result<&'a ArrayRef, String> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| format!("no column {name} in the result"))
    }

    /// An integer column (Spark's INT or BIGINT) as i64s, NULL as `None`.
    pub(crate) fn ints(&self, name: &str) -> Result<Vec<Option<i64>>, String> {
        let column = self.column(name)?;
        let any = column.as_any();
        if let Some(a) = any.downcast_ref::<Int64Array>() {
            return Ok((0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect());
        }
        if let Some(a) = any.downcast_ref::<Int32Array>() {
            return Ok((0..a.len())
                .map(|i| a.is_valid(i).then(|| i64::from(a.value(i))))
                .collect());
        }
        Err(format!(
            "column {name} is {}, not an integer",
            column.data_type()
        ))
    }

    /// A count column: NULL as 0, negatives refused.
    pub(crate) fn counts(&self, name: &str) -> Result<Vec<u64>, String> {
        self.ints(name)?
            .into_iter()
            .map(|v| u64::try_from(v.unwrap_or(0)).map_err(|_| format!("negative {name}")))
            .collect()
    }

    /// A text column, NULL as `None`.
    pub(crate) fn texts(&self, name: &str) -> Result<Vec<Option<String>>, String> {
        let column = self.column(name)?;
        let a = column
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| format!("column {name} is {}, not text", column.data_type()))?;
        Ok((0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i).to_owned()))
            .collect())
    }
}
