//! Flags of `kafka-demo batch`, validated into a
//! [`BatchRequest`](pipeline::batch::BatchRequest).

use super::parse::parse_duration;
use clap::{Args, ValueEnum};
use pipeline::batch::range::parse_time;
use pipeline::batch::{run_name, BatchRequest, Bound, POISON_LISTED};
use pipeline::spark::SparkLocation;
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
    /// Where the Spark server writes the Parquet tables: a Hadoop URI (file:///shared/x,
    /// hdfs://namenode/x, s3a://bucket/x) or a path, which means a folder on the Spark
    /// server's machine [default: DATA_DIR/batch/RUN]
    #[arg(long, value_name = "LOCATION")]
    pub out: Option<SparkLocation>,
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

impl BatchArgs {
    /// The request these flags describe; `data_dir` holds the default output folder, which the
    /// local stack's Spark server shares.
    pub fn validate(&self, data_dir: &Path) -> BatchRequest {
        let bound = |time: Option<i64>, offset: Option<i64>| match (time, offset) {
            (Some(ms), _) => Bound::Timestamp(ms),
            (None, Some(o)) => Bound::Offset(o),
            (None, None) => Bound::Edge,
        };
        let out = if self.no_write {
            None
        } else {
            Some(self.out.clone().unwrap_or_else(|| {
                SparkLocation::local(&data_dir.join("batch").join(run_name(&self.topic)))
            }))
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

#[cfg(test)]
mod tests {
    use crate::flags::{Cli, Command};
    use clap::Parser as _;
    use std::path::Path;

    fn out(args: &[&str]) -> Result<Option<String>, String> {
        let argv = ["kafka-demo", "batch"].iter().chain(args).copied();
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Batch(args) => {
                Ok(args.validate(Path::new("/data")).out.map(|l| l.to_string()))
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn the_output_is_a_spark_location_and_errors_name_the_flag() {
        let default = out(&["--topic", "t1"]).ok().flatten().unwrap_or_default();
        assert!(default.starts_with("file:///data/batch/t1-"), "{default}");
        assert_eq!(out(&["--no-write"]), Ok(None));
        assert_eq!(
            out(&["--out", "s3a://bucket/x"]),
            Ok(Some("s3a://bucket/x".into()))
        );
        assert_eq!(
            out(&["--out", "/shared/x"]),
            Ok(Some("file:///shared/x".into()))
        );
        for bad in ["", "file:x", ":x", "two words://x/y"] {
            let said = out(&["--out", bad]).err().unwrap_or_default();
            assert!(said.contains("--out <LOCATION>"), "{bad}: {said}");
        }
    }
}
