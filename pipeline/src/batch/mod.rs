//! Seed step 4: a Spark batch job over a Kafka topic, run on a Spark Connect server.
//!
//! The job reads a fixed range of offsets with Spark's Kafka source, checks the Confluent
//! framing in SQL, decodes each writer schema id's records with `from_avro` and that id's
//! schema from the registry, maps them all to the latest registered version's fields, and
//! aggregates in Spark. Records that are not valid Confluent Avro are counted and listed by
//! position, never turned into silent nulls. The aggregate tables are written as Parquet and
//! collected into a [`BatchReport`].

pub mod job;
pub mod range;
pub mod result;
mod rows;
pub mod sql;
pub mod verify;

pub use job::run;
pub use range::{Bound, PartitionRange, RangeError};
pub use result::BatchReport;

use crate::registry::RegistryError;
use std::path::PathBuf;
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
    /// Where the Parquet tables go; `None` writes nothing.
    pub out: Option<PathBuf>,
    /// Longest any single Spark step may take.
    pub step_timeout: Duration,
    /// At most this many poison pills are listed by position (all are counted).
    pub poison_limit: u32,
}

/// How many poison pills a run lists by position (all are counted).
pub const POISON_LISTED: u32 = 100_000;

/// `TOPIC-YYYYMMDDTHHMMSS.mmmZ`: a folder name per run.
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
        /// Into this folder.
        path: PathBuf,
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
            Self::Writing { path } => write!(f, "writing Parquet to {}…", path.display()),
        }
    }
}

/// What went wrong running a batch job.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// No Spark Connect server answered.
    #[error("cannot reach Spark Connect at {url} ({reason}); start the stack with `kafka-demo stack up`, or point --spark-url (KAFKA_DEMO_SPARK_URL) at a running server")]
    SparkUnreachable {
        /// The server.
        url: String,
        /// Why.
        reason: String,
    },
    /// Spark failed a step.
    #[error("Spark failed while {step}: {message}")]
    Spark {
        /// What the job was doing.
        step: &'static str,
        /// Spark's message, first line.
        message: String,
    },
    /// Spark's answer did not have the expected shape.
    #[error("unexpected result from Spark while {step}: {detail}")]
    Shape {
        /// What the job was doing.
        step: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The run was cancelled (Ctrl-C); its Spark operations were interrupted.
    #[error("interrupted; the run's Spark operations were cancelled")]
    Interrupted,
    /// The offsets could not be resolved.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// The registry could not be asked.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// No schema to read the records with, or one the job cannot use.
    #[error("reader schema for {subject}: {detail}")]
    Reader {
        /// The subject.
        subject: String,
        /// What is wrong.
        detail: String,
    },
}

/// Spark's first line, short enough to read.
pub(crate) fn plain_message(message: &str) -> String {
    plain(message)
}

fn plain(message: &str) -> String {
    let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut text: String = first.chars().take(600).collect();
    if first.chars().count() > 600 {
        text.push('…');
    }
    text
}

impl BatchError {
    /// The error of a Spark call made while doing `step`.
    pub fn spark(step: &'static str, error: crate::spark::SparkOpError) -> Self {
        use crate::spark::SparkOpError as E;
        match error {
            E::Unreachable { url, reason } => Self::SparkUnreachable {
                url,
                // The client reports a refused connection as an invalid URL; the URL was
                // already checked, so say what happened.
                reason: if reason.contains("transport error") {
                    "no server answered".to_owned()
                } else {
                    plain(&reason)
                },
            },
            E::Spark(message) | E::Client(message) => Self::Spark {
                step,
                message: plain(&message),
            },
            E::Shape(detail) => Self::Shape { step, detail },
            E::Timeout(t) => Self::Spark {
                step,
                message: format!("no answer within {t:?}"),
            },
        }
    }
}
