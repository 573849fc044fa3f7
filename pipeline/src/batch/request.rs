//! What a batch run is asked to read and report, and the stages it goes through.

use super::range::Bound;
use crate::spark::SparkLocation;
use std::time::Duration;

/// What to read and how to report it.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    /// The topic.
    pub topic: shared::Topic,
    /// Where to start in each partition.
    pub from: Bound,
    /// Where to stop in each partition.
    pub to: Bound,
    /// How many creatives the top-N tables hold.
    pub top: u32,
    /// Where the Parquet tables go, on the Spark side; `None` writes nothing.
    pub out: Option<SparkLocation>,
    /// Longest any single Spark step may take.
    pub step_timeout: Duration,
    /// At most this many poison pills are listed by position (all are counted).
    pub poison_limit: u32,
}

/// How many poison pills a run lists by position (all are counted).
pub const POISON_LISTED: u32 = 100_000;

/// `TOPIC-YYYYMMDDTHHMMSS.mmmZ`: a location name per run.
pub fn run_name(topic: &shared::Topic) -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    format!("{topic}-{}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// A step of a run, reported as it starts so a person can follow a long job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Connecting to Spark Connect.
    Connecting,
    /// Asking the brokers for the offsets to read.
    ReadingOffsets,
    /// Reading, decoding and grouping every record: the one pass over Kafka.
    Decoding {
        /// Records in the range.
        records: u64,
        /// Writer schemas known for the topic.
        ids: usize,
    },
    /// Still waiting for Spark (reported every few seconds of a long call).
    Working {
        /// What Spark is doing.
        step: &'static str,
    },
    /// Computing the aggregates.
    Aggregating,
    /// Writing the Parquet tables.
    Writing {
        /// Into this location.
        location: SparkLocation,
    },
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connecting => write!(f, "connecting to Spark Connect…"),
            Self::ReadingOffsets => write!(f, "reading offsets…"),
            Self::Decoding { records, ids } => write!(
                f,
                "reading {records} records, decoding {ids} schema id{}…",
                if *ids == 1 { "" } else { "s" }
            ),
            Self::Working { step } => write!(f, "still {step}…"),
            Self::Aggregating => write!(f, "summing the aggregates…"),
            Self::Writing { location } => write!(f, "writing Parquet to {location}…"),
        }
    }
}
