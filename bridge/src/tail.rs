//! A live tail of a topic for the page: raw records, batched into binary frames (see
//! [`shared::tail`]), plus each partition's position and end about once a second.
//!
//! The tail reads every partition by assignment, outside any consumer group, and commits
//! nothing: watching a topic never moves anyone's offsets. It forwards bytes as Kafka holds them;
//! decoding is the browser's job. A slow page slows the tail down (the frame channel is bounded)
//! instead of growing a queue in the bridge.

use crate::config::KafkaConfig;
use crate::kafka::{self, KafkaOpError};
use rdkafka::consumer::{Consumer as _, StreamConsumer};
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

/// Checks the topic exists and assigns a consumer to all its partitions from `from`.
pub async fn open(
    kafka_config: &KafkaConfig,
    id: JobId,
    topic: &Topic,
    from: TailFrom,
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
    // librdkafka wants a group id; this one never joins a group nor commits.
    let group = format!("kafka-demo-tail-{}-{}", std::process::id(), id.0);
    let consumer: StreamConsumer = kafka::client_config_with(
        kafka_config,
        &[
            ("group.id", group.as_str()),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("queued.min.messages", "200000"),
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
    Ok(Tail {
        id,
        topic: topic.clone(),
        partitions,
        consumer: Arc::new(consumer),
    })
}

impl Tail {
    /// The topic's partitions.
    pub fn partitions(&self) -> &[i32] {
        &self.partitions
    }

    /// Reads until `stop`, the receiver going away, or a fatal Kafka error. While `paused` holds
    /// `true` nothing is read (the partitions are paused in librdkafka too).
    pub async fn run(
        self,
        mut paused: watch::Receiver<bool>,
        stop: CancellationToken,
        out: mpsc::Sender<TailOutput>,
    ) -> Result<(), TailError> {
        let mut positions = Positions::new(&self.partitions);
        let mut lag_due = Instant::now();
        loop {
            if Instant::now() >= lag_due {
                lag_due = Instant::now() + LAG_EVERY;
                let lag = self.lag(&positions).await;
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
    async fn next_frame(
        &self,
        positions: &mut Positions,
        until: Instant,
    ) -> Result<Option<Vec<u8>>, TailError> {
        let mut frame = FrameWriter::new(self.id, 64 * 1024);
        let mut deadline = until;
        while frame.len() < FRAME_RECORDS && frame.byte_len() < FRAME_BYTES {
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

    /// Each partition's position and end; an end Kafka does not give in time is left out.
    async fn lag(&self, positions: &Positions) -> TailLag {
        let consumer = Arc::clone(&self.consumer);
        let topic = self.topic.to_string();
        let partitions = self.partitions.clone();
        let ends = tokio::task::spawn_blocking(move || {
            partitions
                .iter()
                .map(|p| {
                    consumer
                        .fetch_watermarks(&topic, *p, WATERMARK_TIMEOUT)
                        .ok()
                        .map(|(_, high)| high)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        TailLag {
            tail: self.id,
            partitions: self
                .partitions
                .iter()
                .enumerate()
                .map(|(i, p)| PartitionLag {
                    partition: *p,
                    next_offset: positions.next(*p),
                    high_watermark: ends.get(i).copied().flatten(),
                })
                .collect(),
        }
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        // Closing a consumer can block briefly; never on a runtime worker.
        let consumer = Arc::clone(&self.consumer);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            drop(handle.spawn_blocking(move || drop(consumer)));
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

    #[test]
    fn positions_follow_the_last_record_read_per_partition() {
        let mut positions = Positions::new(&[0, 1]);
        assert_eq!(positions.next(0), None);
        positions.read(0, 41);
        positions.read(1, 0);
        positions.read(0, 42);
        positions.read(7, 9);
        assert_eq!(
            (positions.next(0), positions.next(1), positions.next(7)),
            (Some(43), Some(1), None)
        );
    }
}
