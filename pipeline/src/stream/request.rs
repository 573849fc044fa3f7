//! What a streaming run is asked to read, how it triggers and where it keeps its state.

use super::error::StreamError;
use crate::spark::SparkLocation;
use shared::Topic;
use std::time::Duration;

/// When micro-batches run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Every interval, until stopped.
    Processing,
    /// Everything in the topic when the run starts, then stop.
    AvailableNow,
}

/// Where a new checkpoint starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The oldest record of each partition.
    Earliest,
    /// Only records produced after the start.
    Latest,
}

/// What to stream and how.
#[derive(Debug, Clone)]
pub struct StreamRequest {
    /// The topic.
    pub topic: Topic,
    /// Tumbling window size.
    pub window: Duration,
    /// How far the watermark trails the newest event time seen.
    pub watermark: Duration,
    /// When micro-batches run.
    pub trigger: Trigger,
    /// Trigger interval of [`Trigger::Processing`]; progress is polled at least this often.
    pub interval: Duration,
    /// Stop after this long (none: until drained or cancelled).
    pub duration: Option<Duration>,
    /// Where a new checkpoint starts (a resumed one carries on where it stopped).
    pub start_at: StartAt,
    /// Where the Spark server keeps the queries' checkpoints (see [`super::checkpoint`]).
    pub checkpoint: SparkLocation,
    /// Begin a new checkpoint at `checkpoint` instead of carrying on the newest one there.
    pub fresh: bool,
    /// Longest any single Spark call may take.
    pub step_timeout: Duration,
    /// How often the registry is asked for new writer schemas.
    pub registry_poll: Duration,
}

impl StreamRequest {
    /// A processing-time run of `topic` with the command line's defaults: 1 minute windows, a
    /// 30 s watermark, a trigger every second, the checkpoints under `data_dir`.
    pub fn with_defaults(topic: Topic, data_dir: &std::path::Path) -> Self {
        Self {
            window: Duration::from_secs(60),
            watermark: Duration::from_secs(30),
            trigger: Trigger::Processing,
            interval: Duration::from_secs(1),
            duration: None,
            start_at: StartAt::Earliest,
            checkpoint: Self::checkpoint_for(data_dir, &topic),
            fresh: false,
            step_timeout: Duration::from_secs(300),
            registry_poll: Duration::from_secs(3),
            topic,
        }
    }

    /// `file://<data_dir>/stream/<topic>`: the default checkpoint location, on the disk the
    /// local stack's Spark server shares with this process.
    pub fn checkpoint_for(data_dir: &std::path::Path, topic: &Topic) -> SparkLocation {
        SparkLocation::local(&data_dir.join("stream").join(topic.as_str()))
    }

    /// The topic the queries write results to.
    pub fn results_topic(&self) -> Result<Topic, StreamError> {
        let name = format!("{}-windows", self.topic);
        Topic::new(&name).map_err(|e| StreamError::ResultsTopic(format!("{name}: {e}")))
    }
}
