//! The result of a Spark batch job over a topic, as plain data: what the bridge collects from
//! Spark, what `kafka-demo batch --format json` prints and what the page draws.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The offsets read in one partition: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRange {
    /// The partition.
    pub partition: i32,
    /// First offset read.
    pub start: i64,
    /// One past the last offset read.
    pub end: i64,
}

impl PartitionRange {
    /// How many offsets the range spans.
    pub fn len(&self) -> i64 {
        (self.end - self.start).max(0)
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Clicks and cost of one group (a creative or a placement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The creative or placement id.
    pub key: String,
    /// Records.
    pub clicks: u64,
    /// Sum of cost, in cents.
    pub cost_cents: u64,
}

/// Clicks and cost of one minute of event time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minute {
    /// The minute's start, ms since the epoch.
    pub minute_ms: i64,
    /// Records.
    pub clicks: u64,
    /// Sum of cost, in cents.
    pub cost_cents: u64,
}

/// Every decoded record, together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NullRate {
    /// The field.
    pub field: String,
    /// Records holding null there.
    pub nulls: u64,
    /// `nulls` / records (0 when there are none).
    pub rate: f64,
}

/// A record that is not valid Confluent-framed Avro, by position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaUse {
    /// The id.
    pub schema_id: u32,
    /// Records framed with it.
    pub records: u64,
    /// How it was decoded: `decoded`, `unknown` or `unusable: …`.
    pub status: String,
}

/// What a batch run found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Poison pills by position (the first ones, when there are many).
    pub poison: Vec<Pill>,
    /// Whether `poison` lists every pill.
    pub poison_complete: bool,
    /// Where the Parquet tables went, as the URI the Spark server was given
    /// (`file:///…/batch/RUN`, `hdfs://…`); none when nothing was written.
    pub output: Option<String>,
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

    /// Poison pills of every reason.
    pub fn poison_total(&self) -> u64 {
        self.poison_counts.values().sum()
    }
}
