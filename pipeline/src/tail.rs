//! A live tail of a topic for the page: raw records, batched into binary frames (see
//! [`shared::tail`]), plus each partition's position and end about once a second.
//!
//! The tail reads every partition by assignment, outside any consumer group, and commits
//! nothing: watching a topic never moves anyone's offsets. It forwards bytes as Kafka holds them;
//! decoding is the browser's job. A slow page slows the tail down (the frame channel is bounded)
//! instead of growing a queue in the bridge. A tail may also be held to a number of records per
//! second (workshop mode shares the bridge between attendees); records beyond it wait in Kafka.

use crate::kafka::{self, KafkaOpError};
use crate::produce::rate::TokenBucket;
use crate::settings::KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};
use shared::protocol::{JobId, PartitionLag, TailFrom, TailLag};
use shared::tail::FrameWriter;
use shared::Topic;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long to wait for Kafka's metadata when a tail starts.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A frame is sent when it holds this many records…
const FRAME_RECORDS: usize = 4096;
/// … or this many bytes …
const FRAME_BYTES: usize = 512 * 1024;
/// … or when its first record has waited this long.
const FRAME_WAIT: Duration = Duration::from_millis(40);
/// How often positions and ends are reported.
const LAG_EVERY: Duration = Duration::from_secs(1);
/// How long one watermark query may take.
const WATERMARK_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a tail could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    /// Kafka did not answer.
    #[error(transparent)]
    Kafka(#[from] KafkaOpError),
    /// The topic does not exist.
    #[error("topic {0} does not exist")]
    UnknownTopic(String),
    /// The consumer could not be set up or failed while reading.
    #[error("reading {topic} failed: {source}")]
    Read {
        /// The topic.
        topic: String,
        /// librdkafka's error.
        source: KafkaError,
    },
}

/// What a running tail sends.
#[derive(Debug)]
pub enum TailOutput {
    /// A binary frame of records.
    Frame(Vec<u8>),
    /// Where the tail stands.
    Lag(TailLag),
}

/// A tail ready to run: the consumer is assigned to every partition.
pub struct Tail {
    id: JobId,
    topic: Topic,
    partitions: Vec<i32>,
    consumer: Arc<StreamConsumer>,
    /// A client of its own for the partitions' ends: asking the reading consumer for them
    /// while it is paced stalls its fetching for good (librdkafka stops fetching after the first
    /// response per partition), which a limited tail in workshop mode ran into.
    ends: Arc<BaseConsumer>,
    /// Where reading started, so a partition's position is known before its first record.
    from: TailFrom,
    pace: Pace,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tail")
            .field("id", &self.id)
            .field("topic", &self.topic)
            .field("partitions", &self.partitions)
            .finish_non_exhaustive()
    }
}

/// Checks the topic exists and assigns a consumer to all its partitions from `from`; the tail
/// delivers at most `limit` records per second when one is given.
pub async fn open(
    kafka_config: &KafkaConfig,
    id: JobId,
    topic: &Topic,
    from: TailFrom,
    limit: Option<u64>,
) -> Result<Tail, TailError> {
    let topics = kafka::list_topics(kafka_config, CONNECT_TIMEOUT).await?;
    let count = topics
        .iter()
        .find(|t| t.name == topic.as_str())
        .map(|t| t.partitions)
        .ok_or_else(|| TailError::UnknownTopic(topic.to_string()))?;
    let partitions: Vec<i32> = (0..i32::try_from(count).unwrap_or(i32::MAX)).collect();
    let read_error = |source| TailError::Read {
        topic: topic.to_string(),
        source,
    };
    // librdkafka wants a group id; this one never joins a group nor commits. It starts with the
    // topic, so in workshop mode it lies under the attendee's prefix like everything else.
    let group = format!("{topic}.tail-{}-{}", std::process::id(), id.0);
    let (queued, kbytes) = prefetch(limit);
    let consumer: StreamConsumer = kafka::client_config_with(
        kafka_config,
        &[
            ("group.id", group.as_str()),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("queued.min.messages", queued.as_str()),
            ("queued.max.messages.kbytes", kbytes),
            ("fetch.wait.max.ms", FETCH_WAIT_MS),
            ("fetch.min.bytes", FETCH_MIN_BYTES),
        ],
    )
    .create()
    .map_err(read_error)?;
    let start = match from {
        TailFrom::Beginning => Offset::Beginning,
        TailFrom::End => Offset::End,
    };
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment
            .add_partition_offset(topic.as_str(), *p, start)
            .map_err(read_error)?;
    }
    consumer.assign(&assignment).map_err(read_error)?;
    let ends: BaseConsumer = kafka::client_config(kafka_config)
        .create()
        .map_err(read_error)?;
    Ok(Tail {
        id,
        topic: topic.clone(),
        partitions,
        consumer: Arc::new(consumer),
        ends: Arc::new(ends),
        from,
        pace: Pace::new(limit),
    })
}

/// How long the broker may hold a tail's fetch for more records, and how many bytes let it
/// answer sooner. Frames leave every [`FRAME_WAIT`] anyway, so waiting costs the page nothing
/// visible, while a slow topic is fetched twenty times a second instead of once per produce
/// request: a room of fifty tails at 1,000 records/s each made the broker answer ten thousand
/// fetches a second otherwise. A fast tail's fetches fill up long before the wait.
const FETCH_WAIT_MS: &str = "50";
const FETCH_MIN_BYTES: &str = "262144";

/// How much librdkafka fetches ahead of the tail: plenty for an unlimited tail, which drains it
/// fast, but only a few seconds' worth for a limited one, whose backlog would otherwise sit in
/// the bridge's memory (tens of megabytes per tail) instead of in Kafka.
fn prefetch(limit: Option<u64>) -> (String, &'static str) {
    match limit {
        None => ("200000".into(), "65536"),
        Some(rate) => (
            rate.saturating_mul(2).clamp(1_000, 200_000).to_string(),
            "8192",
        ),
    }
}

impl Tail {
    /// The topic's partitions.
    pub fn partitions(&self) -> &[i32] {
        &self.partitions
    }

    /// Reads until `stop`, the receiver going away, or a fatal Kafka error. While `paused` holds
    /// `true` nothing is read (the partitions are paused in librdkafka too).
    pub async fn run(
        mut self,
        mut paused: watch::Receiver<bool>,
        stop: CancellationToken,
        out: mpsc::Sender<TailOutput>,
    ) -> Result<(), TailError> {
        let mut positions = Positions::new(&self.partitions);
        let mut lag_due = Instant::now();
        loop {
            if Instant::now() >= lag_due {
                lag_due = Instant::now() + LAG_EVERY;
                let lag = self.lag(&mut positions).await;
                if out.send(TailOutput::Lag(lag)).await.is_err() {
                    return Ok(());
                }
            }
            if *paused.borrow_and_update() {
                self.set_paused(true)?;
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    changed = paused.changed() => if changed.is_err() { return Ok(()) },
                    () = tokio::time::sleep_until(lag_due) => {}
                }
                self.set_paused(*paused.borrow())?;
                continue;
            }
            let frame = tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                frame = self.next_frame(&mut positions, lag_due) => frame?,
            };
            if let Some(frame) = frame {
                if out.send(TailOutput::Frame(frame)).await.is_err() {
                    return Ok(());
                }
            }
        }
    }

    /// Collects one frame: waits for a first record until `until`, then takes more for at most
    /// [`FRAME_WAIT`] or until the frame is full. `None` when nothing arrived in time.
    ///
    /// Under a limit each record waits for its token once in hand, so a frame closes at most one
    /// token late and pausing or stopping is as prompt as without a limit.
    async fn next_frame(
        &mut self,
        positions: &mut Positions,
        until: Instant,
    ) -> Result<Option<Vec<u8>>, TailError> {
        let mut frame = FrameWriter::new(self.id, 64 * 1024);
        let mut deadline = until;
        while frame_open(&frame, deadline) {
            let Ok(received) = tokio::time::timeout_at(deadline, self.consumer.recv()).await else {
                break;
            };
            let message = match received {
                Ok(message) => message,
                Err(e) if is_fatal(&e) => {
                    return Err(TailError::Read {
                        topic: self.topic.to_string(),
                        source: e,
                    })
                }
                Err(e) => {
                    tracing::debug!(error = %e, topic = %self.topic, "tail read error, retrying");
                    continue;
                }
            };
            if frame.is_empty() {
                deadline = deadline.min(Instant::now() + FRAME_WAIT);
            }
            self.pace.wait().await;
            positions.read(message.partition(), message.offset());
            frame.push(
                message.partition(),
                message.offset(),
                message.timestamp().to_millis().unwrap_or(-1),
                message.key(),
                message.payload(),
            );
        }
        Ok((!frame.is_empty()).then(|| frame.finish()))
    }

    fn set_paused(&self, paused: bool) -> Result<(), TailError> {
        let assignment = self
            .consumer
            .assignment()
            .map_err(|source| TailError::Read {
                topic: self.topic.to_string(),
                source,
            })?;
        let done = if paused {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        done.map_err(|source| TailError::Read {
            topic: self.topic.to_string(),
            source,
        })
    }

    /// Each partition's position and end; an end Kafka does not give in time is left out. A
    /// partition nothing was read from yet stands where reading started: its oldest record
    /// (from the beginning) or its end when first asked (from now on), so the lag is known
    /// from the first report on.
    async fn lag(&self, positions: &mut Positions) -> TailLag {
        let consumer = Arc::clone(&self.ends);
        let topic = self.topic.to_string();
        let partitions = self.partitions.clone();
        let ends = tokio::task::spawn_blocking(move || {
            partitions
                .iter()
                .map(|p| {
                    consumer
                        .fetch_watermarks(&topic, *p, WATERMARK_TIMEOUT)
                        .ok()
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (p, marks) in self.partitions.iter().zip(&ends) {
            if let Some((low, high)) = marks {
                positions.start(
                    *p,
                    match self.from {
                        TailFrom::Beginning => *low,
                        TailFrom::End => *high,
                    },
                );
            }
        }
        TailLag {
            tail: self.id,
            partitions: self
                .partitions
                .iter()
                .enumerate()
                .map(|(i, p)| PartitionLag {
                    partition: *p,
                    next_offset: positions.next(*p),
                    high_watermark: ends.get(i).copied().flatten().map(|(_, high)| high),
                })
                .collect(),
        }
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        // Closing a consumer can block briefly; never on a runtime worker.
        let consumer = Arc::clone(&self.consumer);
        let ends = Arc::clone(&self.ends);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            drop(handle.spawn_blocking(move || drop((consumer, ends))));
        }
    }
}

/// Whether a frame may take another record: it has room, and its time is not up (a record
/// always ready must not keep a frame open past its deadline).
fn frame_open(frame: &FrameWriter, deadline: Instant) -> bool {
    frame.len() < FRAME_RECORDS && frame.byte_len() < FRAME_BYTES && Instant::now() < deadline
}

/// Holds a tail to a number of records per second: a token bucket (tokio time, so tests run
/// it on paused time) that each record waits on before it joins a frame.
#[derive(Debug)]
struct Pace(Option<TokenBucket>);

impl Pace {
    fn new(records_per_second: Option<u64>) -> Self {
        Self(records_per_second.map(|rate| TokenBucket::new(rate as f64)))
    }

    /// Waits until the next record may go. Cancel-safe: a token is only spent when this returns.
    async fn wait(&mut self) {
        if let Some(bucket) = &mut self.0 {
            bucket.take().await;
        }
    }
}

/// The next offset to read in each partition, as far as records have shown.
#[derive(Debug)]
struct Positions(Vec<(i32, Option<i64>)>);

impl Positions {
    fn new(partitions: &[i32]) -> Self {
        Self(partitions.iter().map(|p| (*p, None)).collect())
    }

    fn read(&mut self, partition: i32, offset: i64) {
        if let Some(slot) = self.0.iter_mut().find(|(p, _)| *p == partition) {
            slot.1 = Some(offset.saturating_add(1));
        }
    }

    /// Sets where `partition` stands when nothing was read from it yet.
    fn start(&mut self, partition: i32, offset: i64) {
        if let Some(slot) = self.0.iter_mut().find(|(p, _)| *p == partition) {
            slot.1.get_or_insert(offset);
        }
    }

    fn next(&self, partition: i32) -> Option<i64> {
        self.0.iter().find(|(p, _)| *p == partition)?.1
    }
}

/// Errors after which reading cannot go on (the topic is gone, the settings are wrong).
fn is_fatal(error: &KafkaError) -> bool {
    use rdkafka::types::RDKafkaErrorCode as Code;
    matches!(
        error.rdkafka_error_code(),
        Some(
            Code::UnknownTopicOrPartition
                | Code::UnknownTopic
                | Code::TopicAuthorizationFailed
                | Code::Fatal
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records a tail under `pace` could deliver in `span` of tokio time when Kafka always
    /// has one ready, in frames as `next_frame` closes them.
    async fn delivered(pace: &mut Pace, span: Duration) -> u64 {
        let end = Instant::now() + span;
        let mut records = 0;
        while Instant::now() < end {
            let frame = FrameWriter::new(JobId(1), 0);
            let deadline = end.min(Instant::now() + FRAME_WAIT);
            while frame_open(&frame, deadline) {
                pace.wait().await;
                records += 1;
            }
        }
        records
    }

    #[tokio::test(start_paused = true)]
    async fn a_limited_tail_delivers_no_faster_than_its_limit() {
        let mut pace = Pace::new(Some(500));
        let records = delivered(&mut pace, Duration::from_secs(10)).await;
        // 500 a second for ten seconds, plus the first token and a frame's last record.
        assert!((4_990..=5_002).contains(&records), "{records}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_costs_nothing() {
        let mut pace = Pace::new(Some(100));
        let start = Instant::now();
        pace.wait().await;
        // The next token drips in after 10 ms; nine waits given up after 1 ms each find none.
        for _ in 0..9 {
            let waited = tokio::time::timeout(Duration::from_millis(1), pace.wait()).await;
            assert!(waited.is_err(), "no token before 10 ms");
        }
        pace.wait().await;
        let took = start.elapsed();
        // Due at 10 ms (the timer rounds to whole milliseconds); a token spent by a given-up
        // wait would have put it at 20 ms.
        assert!(
            took >= Duration::from_millis(10) && took < Duration::from_millis(15),
            "the token came when it was due: {took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unlimited_tail_never_waits() {
        let mut pace = Pace::new(None);
        let before = Instant::now();
        for _ in 0..100_000 {
            pace.wait().await;
        }
        assert_eq!(Instant::now(), before);
    }

    #[tokio::test(start_paused = true)]
    async fn a_frame_closes_at_its_deadline_even_with_records_ready() {
        let frame = FrameWriter::new(JobId(1), 0);
        assert!(frame_open(&frame, Instant::now() + FRAME_WAIT));
        tokio::time::advance(FRAME_WAIT).await;
        assert!(!frame_open(&frame, Instant::now()));
    }

    #[test]
    fn a_limited_tail_prefetches_a_few_seconds_worth() {
        assert_eq!(prefetch(None), ("200000".into(), "65536"));
        assert_eq!(prefetch(Some(5_000)), ("10000".into(), "8192"));
        assert_eq!(prefetch(Some(1)).0, "1000");
    }

    #[test]
    fn an_unread_partition_stands_where_reading_started() {
        let mut positions = Positions::new(&[0, 1]);
        positions.start(0, 17);
        assert_eq!(positions.next(0), Some(17));
        assert_eq!(positions.next(1), None);
        positions.read(0, 30);
        positions.start(0, 17);
        assert_eq!(
            positions.next(0),
            Some(31),
            "a start never moves a read partition"
        );
    }

    #[test]
    fn positions_follow_the_last_record_read_per_partition() {
        let mut positions = Positions::new(&[0, 1]);
        assert_eq!(positions.next(0), None);
        positions.read(0, 41);
        positions.read(1, 0);
        positions.read(0, 42);
        positions.read(7, 9);
        positions.start(0, 5);
        positions.start(1, 5);
        assert_eq!(
            (positions.next(0), positions.next(1), positions.next(7)),
            (Some(43), Some(1), None)
        );
    }
}
