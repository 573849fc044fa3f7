//! Flags of `kafka-demo batch` and `kafka-demo bench batch`, validated into a
//! [`BatchRequest`](crate::batch::BatchRequest).

use super::parse_duration;
use crate::batch::range::parse_time;
use crate::batch::{BatchRequest, Bound};
use clap::{Args, Subcommand, ValueEnum};
use shared::Topic;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `kafka-demo batch …`
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Topic to read
    #[arg(long, default_value = "clicks-avro")]
    pub topic: Topic,
    /// Start at the first record whose Kafka timestamp is at or after this time (RFC 3339 or
    /// epoch milliseconds) [default: the oldest record]
    #[arg(long, value_parser = parse_time, conflicts_with = "start_offset")]
    pub from: Option<i64>,
    /// Stop before the first record whose Kafka timestamp is at or after this time [default:
    /// the newest record when the run starts]
    #[arg(long, value_parser = parse_time, conflicts_with = "end_offset")]
    pub to: Option<i64>,
    /// Start at this offset in every partition
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
    pub start_offset: Option<i64>,
    /// Stop before this offset in every partition
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
    pub end_offset: Option<i64>,
    /// Folder for the Parquet tables [default: DATA_DIR/batch/RUN]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write no Parquet tables
    #[arg(long, conflicts_with = "out")]
    pub no_write: bool,
    /// How to print the result: tables for a terminal or one JSON document
    #[arg(long, value_enum, default_value_t = BatchFormat::Table)]
    pub format: BatchFormat,
    /// How many creatives the top lists hold
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub top: u32,
    /// Compare with the manifest `produce --manifest` wrote; repeat, in production order, for
    /// a topic filled by several runs. Exits 1 on any difference
    #[arg(long, value_name = "MANIFEST")]
    pub verify: Vec<PathBuf>,
    /// Longest any single Spark step may take, e.g. 10m
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub step_timeout: Duration,
}

/// How `batch` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BatchFormat {
    /// Aligned tables for reading in a terminal.
    Table,
    /// One JSON document.
    Json,
}

/// How many poison pills a run lists by position (all are counted).
pub const POISON_LISTED: u32 = 100_000;

impl BatchArgs {
    /// The request these flags describe; `data_dir` holds the default output folder.
    pub fn validate(&self, data_dir: &Path) -> BatchRequest {
        let bound = |time: Option<i64>, offset: Option<i64>| match (time, offset) {
            (Some(ms), _) => Bound::Timestamp(ms),
            (None, Some(o)) => Bound::Offset(o),
            (None, None) => Bound::Edge,
        };
        let out = if self.no_write {
            None
        } else {
            Some(
                self.out
                    .clone()
                    .unwrap_or_else(|| data_dir.join("batch").join(run_name(&self.topic))),
            )
        };
        BatchRequest {
            topic: self.topic.clone(),
            from: bound(self.from, self.start_offset),
            to: bound(self.to, self.end_offset),
            top: self.top,
            out,
            step_timeout: self.step_timeout,
            poison_limit: POISON_LISTED,
        }
    }
}

/// `TOPIC-YYYYMMDDTHHMMSS.mmmZ`: a folder name per run.
pub fn run_name(topic: &Topic) -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    format!("{topic}-{}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// `kafka-demo bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time the batch job against a plain Spark count over the same Kafka records
    Batch(BenchBatchArgs),
    /// End-to-end latency of the streaming job (produce → window result read back) at a rate
    Stream(super::stream::BenchStreamArgs),
    /// The bridge in workshop mode under N attendees producing and tailing: request latency, memory
    Workshop(crate::bench::workshop::BenchWorkshopArgs),
}

/// `kafka-demo bench batch …`
#[derive(Debug, Args)]
pub struct BenchBatchArgs {
    /// Topic to read; produced to first until it holds --records records
    #[arg(long, default_value = "bench-batch-clicks")]
    pub topic: Topic,
    /// Records the topic should hold
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: u64,
    /// Timed runs of each; the medians are reported
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
    /// Seed of the generated records
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Offsets are below this; larger numbers are times in ms since the epoch.
const OFFSET_LIMIT: i64 = 1_000_000_000_000;

/// A batch job as the page asked for it: bounds are offsets (numbers below 10¹²), times in ms
/// since the epoch, or RFC 3339 times. Results are written under the data folder.
pub fn from_page(
    spec: &shared::protocol::BatchSpec,
    data_dir: &Path,
) -> Result<BatchRequest, String> {
    let bound = |text: &Option<String>, what: &str| -> Result<Bound, String> {
        let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Bound::Edge);
        };
        match text.parse::<i64>() {
            Ok(n) if (0..OFFSET_LIMIT).contains(&n) => Ok(Bound::Offset(n)),
            _ => parse_time(text)
                .map(Bound::Timestamp)
                .map_err(|e| format!("{what}: {e}")),
        }
    };
    if !(1..=10_000).contains(&spec.top) {
        return Err("top N must be between 1 and 10000".into());
    }
    Ok(BatchRequest {
        topic: spec.topic.clone(),
        from: bound(&spec.from, "from")?,
        to: bound(&spec.to, "to")?,
        top: spec.top,
        out: Some(data_dir.join("batch").join(run_name(&spec.topic))),
        step_timeout: Duration::from_secs(15 * 60),
        poison_limit: POISON_LISTED,
    })
}

#[cfg(test)]
mod page_tests {
    use super::*;
    use shared::protocol::BatchSpec;

    fn spec(from: Option<&str>, to: Option<&str>, top: u32) -> BatchSpec {
        BatchSpec {
            topic: Topic::new("clicks-avro").unwrap_or_else(|e| panic!("{e}")),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            top,
        }
    }

    #[test]
    fn page_bounds_are_offsets_times_or_edges() {
        let dir = Path::new("/data");
        let r = from_page(&spec(Some(" 42 "), Some("1704067200000"), 5), dir)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.from, r.to),
            (Bound::Offset(42), Bound::Timestamp(1_704_067_200_000))
        );
        assert!(r.out.is_some_and(|o| o.starts_with("/data/batch")));
        let r = from_page(&spec(Some(""), None, 5), dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.from, r.to), (Bound::Edge, Bound::Edge));
        let r = from_page(&spec(Some("2024-01-01T00:00:00Z"), None, 5), dir)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.from, Bound::Timestamp(1_704_067_200_000));
        assert!(from_page(&spec(Some("yesterday"), None, 5), dir)
            .is_err_and(|e| e.starts_with("from:")));
        assert!(from_page(&spec(None, None, 0), dir).is_err());
    }
}
