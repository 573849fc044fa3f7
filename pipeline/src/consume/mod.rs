//! Seed step 3: consume a topic, decode each record with its own writer schema and print it;
//! report poison pills (and copy them to a dead-letter topic) without stopping.
//!
//! With `--group` the consumer joins the group and commits what it handled, so a later run of
//! the same group carries on where this one stopped. Without a group it reads every partition
//! directly and commits nothing.

pub mod decode;
pub mod output;

pub use decode::{Decoded, Decoder, PoisonReason};
pub use output::{Formatter, Meta};

use crate::kafka::{self, KafkaOpError};
use crate::registry::{self, RegistryError};
use crate::settings::{Config, ConsumeConfig};
use futures_util::StreamExt as _;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long to wait for the brokers and the registry before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often printed records are flushed and their offsets stored.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// How long a poison pill may take to reach the dead-letter topic.
const DLQ_TIMEOUT: Duration = Duration::from_secs(30);

/// Header names on a dead-lettered record.
pub mod dlq_header {
    /// The reason's kind, e.g. `wrong_magic` (see [`super::PoisonReason::kind`]).
    pub const REASON: &str = "dlq.reason";
    /// The reason in words.
    pub const DETAIL: &str = "dlq.detail";
    /// The topic the record was consumed from.
    pub const TOPIC: &str = "dlq.source.topic";
    /// Its partition, in decimal.
    pub const PARTITION: &str = "dlq.source.partition";
    /// Its offset, in decimal.
    pub const OFFSET: &str = "dlq.source.offset";
}

/// What can stop a consumer. Poison pills are not errors.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// Kafka did not answer, or the dead-letter topic could not be created.
    #[error(transparent)]
    Kafka(#[from] KafkaOpError),
    /// The topic does not exist.
    #[error("topic {0} does not exist (list topics with `kafka-demo topic list`)")]
    UnknownTopic(String),
    /// The consumer or producer could not be set up.
    #[error("could not set up the Kafka client: {0}")]
    Client(KafkaError),
    /// The consumer hit an error it cannot continue after.
    #[error("the consumer stopped: {0}")]
    Fatal(KafkaError),
    /// The registry could not be asked for a writer schema.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A poison pill could not be copied to the dead-letter topic; its offset was not committed.
    #[error("could not copy the poison pill at partition {partition} offset {offset} to {topic}: {cause}")]
    DeadLetter {
        /// The dead-letter topic.
        topic: String,
        /// The pill's partition.
        partition: i32,
        /// The pill's offset.
        offset: i64,
        /// Why.
        cause: KafkaError,
    },
    /// Printing failed (a closed pipe, a full disk).
    #[error("could not write the records out")]
    Output(#[from] std::io::Error),
    /// A blocking call's thread failed.
    #[error("internal error while consuming")]
    Join(#[from] tokio::task::JoinError),
}

/// A poison pill, as reported while consuming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoisonPill {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Why it is one.
    pub reason: PoisonReason,
}

/// Why consuming ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeStop {
    /// `--max` records were handled.
    Max,
    /// Nothing arrived for the idle timeout.
    Idle(Duration),
    /// Ctrl-C.
    Interrupted,
}

/// How a run went.
#[derive(Debug, Clone)]
pub struct ConsumeReport {
    /// Records handled: decoded ones plus poison pills.
    pub messages: u64,
    /// Records decoded and printed.
    pub records: u64,
    /// Poison pills by [`PoisonReason::kind`] (every kind present, zero or not).
    pub poison: BTreeMap<&'static str, u64>,
    /// Poison pills copied to the dead-letter topic.
    pub dead_lettered: u64,
    /// Distinct writer schemas seen.
    pub schemas: usize,
    /// From subscribing until the end.
    pub elapsed: Duration,
    /// Why it ended.
    pub stopped: ConsumeStop,
    /// Set when the final commit failed (the records were handled; a rerun may see some again).
    pub commit_problem: Option<String>,
}

impl ConsumeReport {
    /// Poison pills of every kind.
    pub fn poison_total(&self) -> u64 {
        self.poison.values().sum()
    }
}

/// Consumes `request.topic`, writing records to `out` and calling `on_poison` for each pill.
pub async fn run<W: AsyncWrite + Unpin>(
    config: &Config,
    request: &ConsumeConfig,
    out: W,
    mut on_poison: impl FnMut(&PoisonPill),
    stop: &CancellationToken,
) -> Result<ConsumeReport, ConsumeError> {
    let partitions = partitions_of(config, request).await?;
    let registry = registry::Client::new(&config.registry)?;
    // Fail now rather than at the first record if the registry cannot be reached at all; a
    // registry that answers but will not list subjects (an ACL) is asked per schema id later.
    if let Err(e @ RegistryError::Unreachable { .. }) = registry.subjects().await {
        return Err(e.into());
    }
    let dead_letters = match &request.dlq {
        Some(topic) => Some(DeadLetters::new(config, topic).await?),
        None => None,
    };
    let consumer = Arc::new(consumer(config, request, partitions)?);

    let mut state = State {
        request,
        decoder: Decoder::new(registry),
        formatter: Formatter::new(request.format).readable(request.render),
        dead_letters,
        out: tokio::io::BufWriter::with_capacity(1 << 16, out),
        line: Vec::with_capacity(1024),
        pending: BTreeMap::new(),
        handled: BTreeMap::new(),
        report: ConsumeReport {
            messages: 0,
            records: 0,
            poison: PoisonReason::KINDS.iter().map(|k| (*k, 0)).collect(),
            dead_lettered: 0,
            schemas: 0,
            elapsed: Duration::ZERO,
            stopped: ConsumeStop::Interrupted,
            commit_problem: None,
        },
    };
    let started = Instant::now();
    let outcome = consume_loop(&consumer, &mut state, &mut on_poison, stop).await;
    // Whatever ended the loop, what was handled is flushed and committed before returning.
    let finished = state.flush(&consumer).await;
    let commit = finish(consumer, request, state.handled.clone()).await?;
    // Every copy to the dead-letter topic was awaited, so nothing is left in its producer, but
    // closing librdkafka blocks briefly.
    if let Some(dead_letters) = state.dead_letters.take() {
        tokio::task::spawn_blocking(move || drop(dead_letters)).await?;
    }
    let stopped = outcome?;
    finished?;
    let mut report = state.report;
    report.stopped = stopped;
    report.elapsed = started.elapsed();
    report.schemas = state.decoder.schemas_seen();
    report.commit_problem = commit;
    Ok(report)
}

/// The topic's partition count, or why it cannot be read.
async fn partitions_of(config: &Config, request: &ConsumeConfig) -> Result<usize, ConsumeError> {
    let topics = kafka::list_topics(&config.kafka, CONNECT_TIMEOUT).await?;
    topics
        .iter()
        .find(|t| t.name == request.topic.as_str())
        .map(|t| t.partitions)
        .ok_or_else(|| ConsumeError::UnknownTopic(request.topic.to_string()))
}

/// A group member that stores offsets by hand, or a reader of every partition.
fn consumer(
    config: &Config,
    request: &ConsumeConfig,
    partitions: usize,
) -> Result<StreamConsumer, ConsumeError> {
    let reset = if request.from_beginning {
        "earliest"
    } else {
        "latest"
    };
    // librdkafka wants a group id even for direct reads; one of our own commits nothing.
    let ephemeral = format!("kafka-demo-consume-{}", std::process::id());
    let (group, commit) = match &request.group {
        Some(group) => (group.as_str(), "true"),
        None => (ephemeral.as_str(), "false"),
    };
    let consumer: StreamConsumer = kafka::client_config_with(
        &config.kafka,
        &[
            ("group.id", group),
            ("enable.auto.commit", commit),
            ("auto.commit.interval.ms", "1000"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", reset),
            // Prefetch deeper than librdkafka's 100,000 records: on the local stack this doubled
            // the rate (about 115k to 250k records/s). Memory stays bounded by
            // `queued.max.messages.kbytes` (64 MB by default).
            ("queued.min.messages", "500000"),
        ],
    )
    .create()
    .map_err(ConsumeError::Client)?;
    let topic = request.topic.as_str();
    if request.group.is_some() {
        consumer.subscribe(&[topic]).map_err(ConsumeError::Client)?;
    } else {
        let start = if request.from_beginning {
            Offset::Beginning
        } else {
            Offset::End
        };
        let mut list = TopicPartitionList::new();
        for p in 0..partitions {
            let p = i32::try_from(p).unwrap_or(i32::MAX);
            list.add_partition_offset(topic, p, start)
                .map_err(ConsumeError::Client)?;
        }
        consumer.assign(&list).map_err(ConsumeError::Client)?;
    }
    Ok(consumer)
}

struct State<'a, W: AsyncWrite + Unpin> {
    request: &'a ConsumeConfig,
    decoder: Decoder,
    formatter: Formatter,
    dead_letters: Option<DeadLetters>,
    out: tokio::io::BufWriter<W>,
    line: Vec<u8>,
    /// Per partition, the last offset handled but not yet flushed out and stored.
    pending: BTreeMap<i32, i64>,
    /// Per partition, the last offset handled, flushed and stored.
    handled: BTreeMap<i32, i64>,
    report: ConsumeReport,
}

/// The consume loop.
///
/// Delivery semantics: at-least-once. Offsets are stored by hand (`enable.auto.offset.store` is
/// off) and only for records that were handled: decoded and written out (flushed), or, for a
/// poison pill, reported and acknowledged by the dead-letter topic. librdkafka's auto-commit then
/// commits only stored offsets, and the final commit covers the rest, so a crash or a rebalance
/// can make a record be seen twice but never skipped.
async fn consume_loop<W: AsyncWrite + Unpin>(
    consumer: &StreamConsumer,
    state: &mut State<'_, W>,
    on_poison: &mut impl FnMut(&PoisonPill),
    stop: &CancellationToken,
) -> Result<ConsumeStop, ConsumeError> {
    let idle = state.request.idle_timeout;
    let mut idle_deadline = idle.map(|d| Instant::now() + d);
    let mut flush_tick = tokio::time::interval(FLUSH_EVERY);
    flush_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // One stream for the whole loop: `next` on it is cancel-safe, and it is cheaper than a new
    // stream per record, which is what `recv` makes.
    let mut messages = consumer.stream();
    loop {
        if state
            .request
            .max
            .is_some_and(|max| state.report.messages >= max)
        {
            return Ok(ConsumeStop::Max);
        }
        tokio::select! {
            biased;
            _ = stop.cancelled() => return Ok(ConsumeStop::Interrupted),
            _ = sleep_until(idle_deadline) => {
                return Ok(ConsumeStop::Idle(idle.unwrap_or_default()))
            }
            _ = flush_tick.tick() => state.flush(consumer).await?,
            message = messages.next() => match message {
                None => return Ok(ConsumeStop::Interrupted),
                Some(Ok(message)) => {
                    state.handle(&message, on_poison).await?;
                    idle_deadline = idle.map(|d| Instant::now() + d);
                }
                Some(Err(e)) if is_fatal(&e) => return Err(ConsumeError::Fatal(e)),
                Some(Err(e)) => tracing::warn!(error = %e, "consumer error; carrying on"),
            },
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Errors after which reading on makes no sense.
fn is_fatal(error: &KafkaError) -> bool {
    let code = match error {
        KafkaError::MessageConsumptionFatal(_) => return true,
        KafkaError::MessageConsumption(code) => *code,
        _ => return false,
    };
    matches!(
        code,
        RDKafkaErrorCode::UnknownTopicOrPartition
            | RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::GroupAuthorizationFailed
    )
}

impl<W: AsyncWrite + Unpin> State<'_, W> {
    async fn handle(
        &mut self,
        message: &BorrowedMessage<'_>,
        on_poison: &mut impl FnMut(&PoisonPill),
    ) -> Result<(), ConsumeError> {
        let (partition, offset) = (message.partition(), message.offset());
        let value = message.payload().unwrap_or_default();
        match self.decoder.decode(value).await? {
            Ok(record) => {
                let meta = Meta {
                    partition,
                    offset,
                    timestamp: message.timestamp().to_millis(),
                    key: message.key(),
                };
                self.line.clear();
                self.formatter.write(&meta, &record, &mut self.line);
                self.out.write_all(&self.line).await?;
                self.report.records += 1;
            }
            Err(reason) => {
                let pill = PoisonPill {
                    partition,
                    offset,
                    reason,
                };
                on_poison(&pill);
                if let Some(dlq) = &self.dead_letters {
                    dlq.send(self.request.topic.as_str(), message, &pill)
                        .await?;
                    self.report.dead_lettered += 1;
                }
                *self.report.poison.entry(pill.reason.kind()).or_default() += 1;
            }
        }
        self.report.messages += 1;
        self.pending.insert(partition, offset);
        Ok(())
    }

    /// Flushes printed records, then stores their offsets for the next commit.
    async fn flush(&mut self, consumer: &StreamConsumer) -> Result<(), ConsumeError> {
        self.out.flush().await?;
        let topic = self.request.topic.as_str();
        for (partition, offset) in std::mem::take(&mut self.pending) {
            // A partition taken away by a rebalance refuses the store; its new owner re-reads
            // from the last commit, which at-least-once allows.
            if let Err(e) = consumer.store_offset(topic, partition, offset) {
                tracing::debug!(partition, offset, error = %e, "offset not stored");
            }
            self.handled.insert(partition, offset);
        }
        Ok(())
    }
}

/// Commits what was handled (for a group) and closes the consumer, both of which block, on the
/// blocking pool. Returns the commit's problem, if it had one.
async fn finish(
    consumer: Arc<StreamConsumer>,
    request: &ConsumeConfig,
    handled: BTreeMap<i32, i64>,
) -> Result<Option<String>, tokio::task::JoinError> {
    let commit = request.group.is_some();
    let topic = request.topic.to_string();
    tokio::task::spawn_blocking(move || {
        let mut problem = None;
        if commit && !handled.is_empty() {
            let mut list = TopicPartitionList::new();
            for (partition, offset) in &handled {
                let _ = list.add_partition_offset(&topic, *partition, Offset::Offset(offset + 1));
            }
            if let Err(e) = consumer.commit(&list, CommitMode::Sync) {
                problem = Some(e.to_string());
            }
        }
        drop(consumer);
        problem
    })
    .await
}

/// The dead-letter topic's producer.
struct DeadLetters {
    topic: String,
    producer: FutureProducer,
}

impl DeadLetters {
    async fn new(config: &Config, topic: &shared::Topic) -> Result<Self, ConsumeError> {
        kafka::ensure_topic(
            &config.kafka,
            topic,
            1,
            kafka::BROKER_DEFAULT,
            CONNECT_TIMEOUT,
        )
        .await?;
        let producer = kafka::client_config_with(
            &config.kafka,
            &[("enable.idempotence", "true"), ("acks", "all")],
        )
        .create()
        .map_err(ConsumeError::Client)?;
        Ok(Self {
            topic: topic.to_string(),
            producer,
        })
    }

    /// Copies `message` with headers saying why and where from; returns once it is acknowledged.
    async fn send(
        &self,
        source: &str,
        message: &BorrowedMessage<'_>,
        pill: &PoisonPill,
    ) -> Result<(), ConsumeError> {
        let detail = pill.reason.to_string();
        let partition = pill.partition.to_string();
        let offset = pill.offset.to_string();
        let headers = [
            (dlq_header::REASON, pill.reason.kind()),
            (dlq_header::DETAIL, detail.as_str()),
            (dlq_header::TOPIC, source),
            (dlq_header::PARTITION, partition.as_str()),
            (dlq_header::OFFSET, offset.as_str()),
        ]
        .into_iter()
        .fold(OwnedHeaders::new(), |h, (key, value)| {
            h.insert(Header {
                key,
                value: Some(value),
            })
        });
        let value = message.payload().unwrap_or_default();
        let mut record = FutureRecord::<[u8], [u8]>::to(&self.topic)
            .payload(value)
            .headers(headers);
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        self.producer
            .send(record, DLQ_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(|(cause, _)| ConsumeError::DeadLetter {
                topic: self.topic.clone(),
                partition: pill.partition,
                offset: pill.offset,
                cause,
            })
    }
}
