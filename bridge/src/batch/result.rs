//! What a batch run found, as plain data: the aggregate tables collected from Spark, the poison
//! pills with their positions, and where the Parquet copies were written. Serializes to the one
//! JSON document `kafka-demo batch --format json` prints.

use super::range::PartitionRange;
use arrow::array::{Array, ArrayRef, Int32Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Clicks and cost of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The creative or placement id.
    pub key: String,
    /// Records.
    pub clicks: u64,
    /// Sum of cost, in cents.
    pub cost_cents: u64,
}

/// Clicks and cost of one minute of event time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Minute {
    /// The minute's start, ms since the epoch.
    pub minute_ms: i64,
    /// Records.
    pub clicks: u64,
    /// Sum of cost, in cents.
    pub cost_cents: u64,
}

/// Everything that decoded, together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Records that decoded.
    pub clicks: u64,
    /// Their cost, in cents.
    pub cost_cents: u64,
    /// Approximate distinct users, a user being an (ip, user agent) pair.
    pub approx_users: u64,
    /// Earliest event time, ms since the epoch.
    pub first_event_ms: Option<i64>,
    /// Latest event time.
    pub last_event_ms: Option<i64>,
}

/// How often a field is null among the decoded records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NullRate {
    /// The field.
    pub field: String,
    /// Records holding null there.
    pub nulls: u64,
    /// `nulls` / records (0 when there are none).
    pub rate: f64,
}

/// A record that is not valid Confluent-framed Avro.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pill {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// `too_short`, `wrong_magic`, `unknown_schema_id`, `undecodable` or `unusable_schema`.
    pub reason: String,
    /// The particulars: length, magic byte, schema id.
    pub detail: String,
}

/// Records per writer schema id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaUse {
    /// The id.
    pub schema_id: u32,
    /// Records framed with it.
    pub records: u64,
    /// How it was decoded: `decoded`, `unknown` or `unusable: …`.
    pub status: String,
}

/// The result of a batch run.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// The topic read.
    pub topic: String,
    /// The offsets read, per partition.
    pub ranges: Vec<PartitionRange>,
    /// Kafka records read (the offsets spanned until Spark has read them).
    pub records_read: u64,
    /// The reader's fields, in order.
    pub reader_fields: Vec<String>,
    /// Writer schemas seen.
    pub schemas: Vec<SchemaUse>,
    /// Decoded records together.
    pub totals: Totals,
    /// Per creative, by id.
    pub per_creative: Vec<Group>,
    /// Per placement, by id.
    pub per_placement: Vec<Group>,
    /// Per minute of event time, in order.
    pub per_minute: Vec<Minute>,
    /// The creatives with the most clicks.
    pub top_by_clicks: Vec<Group>,
    /// The creatives with the highest cost.
    pub top_by_cost: Vec<Group>,
    /// Null rate per reader field.
    pub null_rates: Vec<NullRate>,
    /// Poison pills per reason.
    pub poison_counts: BTreeMap<String, u64>,
    /// Poison pills by position (at most `poison_listed_limit` of them).
    pub poison: Vec<Pill>,
    /// Whether `poison` lists every pill.
    pub poison_complete: bool,
    /// Where the Parquet tables went (none for an empty range).
    pub output: Option<PathBuf>,
    /// Seconds the run took.
    pub elapsed_secs: f64,
}

impl BatchReport {
    /// A report for a range holding no records.
    pub fn empty(topic: String, ranges: Vec<PartitionRange>) -> Self {
        Self {
            topic,
            ranges,
            records_read: 0,
            reader_fields: Vec::new(),
            schemas: Vec::new(),
            totals: Totals::default(),
            per_creative: Vec::new(),
            per_placement: Vec::new(),
            per_minute: Vec::new(),
            top_by_clicks: Vec::new(),
            top_by_cost: Vec::new(),
            null_rates: Vec::new(),
            poison_counts: BTreeMap::new(),
            poison: Vec::new(),
            poison_complete: true,
            output: None,
            elapsed_secs: 0.0,
        }
    }

    /// All poison pills.
    pub fn poison_total(&self) -> u64 {
        self.poison_counts.values().sum()
    }
}

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
