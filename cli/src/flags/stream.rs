//! Flags of `kafka-demo stream`, validated into a [`StreamRequest`](pipeline::stream::StreamRequest).

use super::parse::parse_duration;
use clap::{Args, ValueEnum};
use pipeline::spark::SparkLocation;
use pipeline::stream::{StartAt, StreamRequest, Trigger};
use shared::Topic;
use std::path::Path;
use std::time::Duration;

/// `kafka-demo stream …`
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Topic to read
    #[arg(long, default_value = "clicks-avro")]
    pub topic: Topic,
    /// Tumbling event-time window size, e.g. 1m, 30s
    #[arg(long, default_value = "1m", value_parser = parse_duration)]
    pub window: Duration,
    /// How far the watermark trails the newest event time seen; older clicks are dropped
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub watermark: Duration,
    /// Stop after this long [default: run until Ctrl-C, or until drained with available-now]
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// processing: a micro-batch every --interval until stopped; available-now: process what
    /// the topic holds, then stop
    #[arg(long, value_enum, default_value_t = TriggerArg::Processing)]
    pub trigger: TriggerArg,
    /// Trigger interval of processing mode; progress is polled at least this often
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Where a new checkpoint starts reading (a resumed one carries on where it stopped)
    #[arg(long, value_enum, default_value_t = StartArg::Earliest)]
    pub starting_offsets: StartArg,
    /// Where the Spark server keeps the checkpoints: a Hadoop URI (file:///shared/x,
    /// hdfs://namenode/x, s3a://bucket/x) or a path, which means a folder on the Spark
    /// server's machine [default: DATA_DIR/stream/TOPIC]
    #[arg(long, value_name = "LOCATION", alias = "state-dir")]
    pub checkpoint_location: Option<SparkLocation>,
    /// Begin a new checkpoint and start over (the old one stays at the location, unused)
    #[arg(long)]
    pub fresh: bool,
    /// How to print: lines for a terminal, or one JSON event per line
    #[arg(long, value_enum, default_value_t = StreamFormat::Text)]
    pub format: StreamFormat,
    /// Longest any single Spark call may take
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub step_timeout: Duration,
}

/// `--trigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriggerArg {
    /// A micro-batch every interval.
    Processing,
    /// Everything available now, then stop.
    AvailableNow,
}

/// `--starting-offsets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StartArg {
    /// The oldest records.
    Earliest,
    /// Only new records.
    Latest,
}

/// How `stream` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamFormat {
    /// Lines for reading in a terminal.
    Text,
    /// One JSON event per line; the last line is the summary.
    Json,
}

impl StreamArgs {
    /// The request these flags describe; `data_dir` holds the default checkpoint location,
    /// which the local stack's Spark server shares.
    pub fn validate(&self, data_dir: &Path) -> StreamRequest {
        let defaults = StreamRequest::with_defaults(self.topic.clone(), data_dir);
        StreamRequest {
            window: self.window,
            watermark: self.watermark,
            trigger: match self.trigger {
                TriggerArg::Processing => Trigger::Processing,
                TriggerArg::AvailableNow => Trigger::AvailableNow,
            },
            interval: self.interval,
            duration: self.duration,
            start_at: match self.starting_offsets {
                StartArg::Earliest => StartAt::Earliest,
                StartArg::Latest => StartAt::Latest,
            },
            checkpoint: self
                .checkpoint_location
                .clone()
                .unwrap_or_else(|| defaults.checkpoint.clone()),
            fresh: self.fresh,
            step_timeout: self.step_timeout,
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::flags::{Cli, Command};
    use clap::Parser as _;
    use pipeline::stream::{StartAt, Trigger};
    use std::path::Path;
    use std::time::Duration;

    fn parse(args: &[&str]) -> Result<super::StreamArgs, clap::Error> {
        let argv = ["kafka-demo", "stream"].iter().chain(args).copied();
        match Cli::try_parse_from(argv)?.command {
            Command::Stream(args) => Ok(*args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_the_issue() {
        let args = parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        let r = args.validate(Path::new("/data"));
        assert_eq!(r.topic.as_str(), "clicks-avro");
        assert_eq!(
            (r.window, r.watermark),
            (Duration::from_secs(60), Duration::from_secs(30))
        );
        assert_eq!(
            (r.trigger, r.start_at),
            (Trigger::Processing, StartAt::Earliest)
        );
        assert_eq!(r.interval, Duration::from_secs(1));
        assert_eq!(r.duration, None);
        assert_eq!(r.checkpoint.as_str(), "file:///data/stream/clicks-avro");
    }

    #[test]
    fn flags_become_the_request() {
        #[rustfmt::skip]
        let args = parse(&["--topic", "t1", "--window", "10s", "--watermark", "5s",
                           "--trigger", "available-now", "--duration", "2m", "--interval", "250ms"])
            .unwrap_or_else(|e| panic!("{e}"));
        let r = args.validate(Path::new("/data"));
        assert_eq!(
            (r.window, r.watermark),
            (Duration::from_secs(10), Duration::from_secs(5))
        );
        assert_eq!(r.trigger, Trigger::AvailableNow);
        assert_eq!(r.duration, Some(Duration::from_secs(120)));
        assert_eq!(r.interval, Duration::from_millis(250));
        assert_eq!(
            r.results_topic().map(|t| t.to_string()).ok().as_deref(),
            Some("t1-windows")
        );
    }

    #[test]
    fn checkpoint_locations_are_uris_or_paths_and_errors_name_the_flag() {
        let at = |value: &str| {
            parse(&["--checkpoint-location", value])
                .map(|a| a.validate(Path::new("/data")).checkpoint.to_string())
                .map_err(|e| e.to_string())
        };
        assert_eq!(at("hdfs://nn:8020/cp").as_deref(), Ok("hdfs://nn:8020/cp"));
        assert_eq!(at("/shared/cp").as_deref(), Ok("file:///shared/cp"));
        for bad in ["", "hdfs:cp", "1x://a/b"] {
            let said = at(bad).err().unwrap_or_default();
            assert!(said.contains("--checkpoint-location"), "{bad}: {said}");
        }
        let old = parse(&["--state-dir", "/shared/cp"]).map(|a| a.checkpoint_location);
        assert_eq!(
            old.ok().flatten().map(|l| l.to_string()).as_deref(),
            Some("file:///shared/cp")
        );
    }

    #[test]
    fn bad_topics_and_durations_are_refused() {
        assert!(parse(&["--topic", "bad topic"]).is_err());
        assert!(parse(&["--window", "0s"]).is_err());
        assert!(parse(&["--trigger", "continuous"]).is_err());
    }
}
