//! Seed step 2: generated clicks, Avro-encoded in the Confluent wire format and produced to
//! Kafka, with the manifest of what was produced.
//!
//! [`prepare`] checks everything it can before the first record; [`Prepared::run`] then
//! produces, reports progress about once a second, and flushes before returning, so a caller
//! learns the fate of every record it sent.

pub mod delivery;
pub mod encoder;
pub mod latency;
pub mod rate;
pub mod records;
pub mod resume;

pub use delivery::Percentiles;
pub use encoder::{ClickEncoder, EncoderError};

use crate::kafka::{self, KafkaOpError};
use crate::registry::{self, Registered, RegistryError};
use crate::settings::{Compression, Config, KeyField, ProduceConfig};
use delivery::{Reports, Stats};
use rate::TokenBucket;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer as _, ThreadedProducer};
use shared::generator::{poison, Event, Generator, Manifest, ManifestBuilder, PoisonError};
use shared::{Click, SchemaId};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The writer schema when none is given and `schemas/click_v1.avsc` is not at hand.
pub const DEFAULT_SCHEMA: &str = include_str!("../../../schemas/click_v1.avsc");

/// How long to wait for the brokers and the registry before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Records produced between two yields to the runtime when no rate holds the loop.
const YIELD_EVERY: u64 = 256;
/// Schema ids tried, downwards from `i32::MAX`, for unknown-schema-id poison pills.
const UNKNOWN_ID_TRIES: u32 = 16;

/// What can stop a produce run before or while it starts. Failures of single records are not
/// errors: they are counted in the [`ProduceReport`].
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// The schema text does not parse.
    #[error("the writer schema is not valid Avro: {0}")]
    Schema(String),
    /// The schema parses but cannot hold generated clicks.
    #[error("the writer schema cannot hold generated clicks")]
    Encoder(#[from] EncoderError),
    /// Kafka did not answer, or refused to create the topic.
    #[error(transparent)]
    Kafka(#[from] KafkaOpError),
    /// The registry did not answer or refused the schema.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Every id tried for unknown-schema-id poison pills is known to the registry.
    #[error("the registry knows every schema id tried for unknown-schema-id poison pills")]
    NoUnknownId,
    /// The producer could not be created (usually a bad `-X` option).
    #[error("could not create the Kafka producer: {0}")]
    Producer(KafkaError),
    /// A record sent as it is was not acknowledged.
    #[error("a record was not delivered: {0}")]
    Delivery(String),
    /// A poison pill could not be made.
    #[error(transparent)]
    Poison(#[from] PoisonError),
    /// A blocking call's thread failed.
    #[error("internal error while producing")]
    Join(#[from] tokio::task::JoinError),
}

/// Why the produce loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// `--count` records were produced.
    Count,
    /// `--duration` passed.
    Duration,
    /// The stop token was cancelled (Ctrl-C).
    Interrupted,
    /// librdkafka refused a record outright (not a full queue); no more were sent.
    Refused(String),
}

/// The two signals a run listens to.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    /// Stop producing, then flush what was sent.
    pub stop: CancellationToken,
    /// Stop waiting for the flush too.
    pub give_up: CancellationToken,
}

/// A progress line's numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Since the first record.
    pub elapsed: Duration,
    /// Records handed to librdkafka.
    pub sent: u64,
    /// Records the brokers acknowledged.
    pub acknowledged: u64,
    /// Records that failed for good.
    pub failed: u64,
    /// Records sent per second since the previous line.
    pub rate: f64,
    /// Delivery latency since the previous line.
    pub latency: Percentiles,
}

/// How a run went.
#[derive(Debug, Clone)]
pub struct ProduceReport {
    /// The schema as registered.
    pub schema: Registered,
    /// Whether the topic was created by this run.
    pub topic_created: bool,
    /// Records handed to librdkafka.
    pub sent: u64,
    /// Records the brokers acknowledged.
    pub acknowledged: u64,
    /// Records that failed for good.
    pub failed: u64,
    /// From the first record until the flush ended.
    pub elapsed: Duration,
    /// Delivery latency over the run.
    pub latency: Percentiles,
    /// Why production ended.
    pub stopped: Stopped,
    /// The first delivery error, when there was one.
    pub first_error: Option<String>,
    /// Sequence numbers (0 = the run's first record) of the records that failed for good.
    pub lost: Vec<std::ops::RangeInclusive<u64>>,
    /// What was sent (every event, whether or not it was acknowledged).
    pub manifest: Manifest,
}

impl ProduceReport {
    /// Records sent but not acknowledged: failed, or still unconfirmed when the flush ended.
    pub fn not_delivered(&self) -> u64 {
        self.sent.saturating_sub(self.acknowledged)
    }
}

/// A run that passed every check and is ready to produce: see [`prepare`].
pub struct Prepared {
    request: ProduceConfig,
    schema: Registered,
    topic_created: bool,
    encoder: ClickEncoder,
    unknown_id: SchemaId,
    stats: Arc<Stats>,
    producer: Arc<ThreadedProducer<Reports>>,
    flush_limit: Duration,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("topic", &self.request.topic)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// Checks everything a run needs before its first record: `schema_text` must parse and hold
/// generated clicks, the brokers must answer, the registry must accept (or already hold) the
/// schema, and the topic must exist or be created now.
pub async fn prepare(
    config: &Config,
    request: &ProduceConfig,
    schema_text: &str,
) -> Result<Prepared, ProduceError> {
    let schema = shared::names::parse_schema(schema_text).map_err(ProduceError::Schema)?;
    let encoder = ClickEncoder::new(&schema)?;
    kafka::broker_count(&config.kafka, CONNECT_TIMEOUT).await?;
    let registry = registry::Client::new(&config.registry)?;
    let registered = registry
        .register(&request.topic.value_subject(), schema_text)
        .await?;
    let unknown_id = if request.generator.options().faults.unknown_schema_id > 0.0 {
        find_unknown_id(&registry).await?
    } else {
        SchemaId(i32::MAX as u32)
    };
    let topic_created = kafka::ensure_topic(
        &config.kafka,
        &request.topic,
        request.partitions,
        request.replication_factor,
        CONNECT_TIMEOUT,
    )
    .await?;
    let stats = Arc::new(Stats::new());
    let mut settings = producer_settings(
        request.compression,
        request.delivery_timeout,
        request.linger,
    )
    .to_vec();
    settings.push((READY_STATISTICS.0, READY_STATISTICS.1.into()));
    let client = kafka::client_config_with(&config.kafka, &settings);
    let producer = client
        .create_with_context(Reports(Arc::clone(&stats)))
        .map_err(ProduceError::Producer)?;
    // Records handed over before the producer has its id would wait for it in the queue.
    if !stats.ready(READY_WAIT).await {
        tracing::debug!("the producer has no producer id yet; records will wait for it");
    }
    Ok(Prepared {
        request: request.clone(),
        schema: registered,
        topic_created,
        encoder,
        unknown_id,
        stats,
        producer: Arc::new(producer),
        flush_limit: flush_limit(client.get("message.timeout.ms")),
    })
}

impl Prepared {
    /// The writer schema as registered.
    pub fn schema(&self) -> &Registered {
        &self.schema
    }

    /// Whether the topic was created by this run.
    pub fn topic_created(&self) -> bool {
        self.topic_created
    }

    /// Produces until the count, the duration or `shutdown.stop`, then flushes. `progress` is
    /// called about once a second until the flush ends.
    pub async fn run(
        self,
        shutdown: &Shutdown,
        progress: impl FnMut(&Progress) + Send + 'static,
    ) -> Result<ProduceReport, ProduceError> {
        let Self {
            request,
            schema,
            topic_created,
            encoder,
            unknown_id,
            stats,
            producer,
            flush_limit,
        } = self;
        let reporter = spawn_reporter(Arc::clone(&stats), progress, shutdown.give_up.child_token());
        let started = Instant::now();
        let mut source = Source::new(&request, encoder, schema.id, unknown_id);
        let stopped = produce_loop(&producer, &stats, &request, &mut source, &shutdown.stop).await;
        // Whatever ended the loop, what was sent gets its chance to be delivered.
        flush(Arc::clone(&producer), flush_limit, &shutdown.give_up).await?;
        // Dropping the producer purges whatever is still unconfirmed (reported as failed) and
        // may block briefly, so it happens off the runtime too.
        tokio::task::spawn_blocking(move || drop(producer)).await?;
        let elapsed = started.elapsed();
        reporter.stop.cancel();
        reporter.handle.await?;
        let stopped = stopped?;
        let counts = stats.snapshot();
        Ok(ProduceReport {
            schema,
            topic_created,
            sent: counts.sent,
            acknowledged: counts.acknowledged,
            failed: counts.failed,
            elapsed,
            latency: stats.total(),
            stopped,
            first_error: stats.first_error(),
            lost: stats.lost_ranges(),
            manifest: source.manifest.finish(),
        })
    }
}

/// Settings of the producer: idempotent with `acks=all`, so a retried batch is written once and
/// an acknowledged record is on every in-sync replica; a record is retried until
/// `delivery_timeout` has passed since it was handed over (librdkafka's `message.timeout.ms`,
/// the Java client's `delivery.timeout.ms`), so a broker that restarts within it loses nothing.
pub fn producer_settings(
    compression: Compression,
    delivery_timeout: Duration,
    linger: Duration,
) -> [(&'static str, String); 6] {
    [
        ("enable.idempotence", "true".into()),
        ("acks", "all".into()),
        ("compression.type", compression.as_str().into()),
        ("linger.ms", linger.as_millis().to_string()),
        (
            "message.timeout.ms",
            delivery_timeout.as_millis().max(1).to_string(),
        ),
        ("queue.buffering.max.messages", QUEUED_RECORDS.to_string()),
    ]
}

/// The setting that has librdkafka report its statistics, through which [`Stats::ready`] learns
/// that a producer with the [`Reports`] context holds its producer id.
pub const READY_STATISTICS: (&str, &str) = ("statistics.interval.ms", "100");

/// Records librdkafka may hold unacknowledged. A record's delivery latency is mostly its wait in
/// this queue (queue ÷ throughput): at ~400k records/s, 10,000 records are ~25 ms of sending —
/// enough to keep a full batch in flight on every partition, where librdkafka's default of
/// 100,000 let latency reach half a second at full speed without sending any faster (measured
/// by `kafka-demo-bench produce-vs-java`, docs/benchmarks.md).
pub const QUEUED_RECORDS: usize = 10_000;

/// How long a producer may take to get its producer id from the brokers before records flow.
pub const READY_WAIT: Duration = Duration::from_secs(3);

/// How long to wait for a flush: past the point where librdkafka gives up on every record.
pub fn flush_limit(message_timeout_ms: Option<&str>) -> Duration {
    let ms = message_timeout_ms
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(crate::settings::DEFAULT_DELIVERY_TIMEOUT.as_millis() as u64);
    Duration::from_millis(ms) + Duration::from_secs(5)
}

/// Finds a schema id the registry does not know, for unknown-schema-id poison pills.
async fn find_unknown_id(registry: &registry::Client) -> Result<SchemaId, ProduceError> {
    for k in 0..UNKNOWN_ID_TRIES {
        let id = SchemaId(i32::MAX as u32 - k);
        match registry.schema_by_id(id).await {
            Ok(_) => continue,
            Err(e) if is_not_found(&e) => return Ok(id),
            Err(e) => return Err(e.into()),
        }
    }
    Err(ProduceError::NoUnknownId)
}

fn is_not_found(error: &RegistryError) -> bool {
    matches!(error, RegistryError::Api { status: 404, .. })
        || error.code() == Some(registry::SCHEMA_NOT_FOUND)
}

/// Turns generated events into record bytes, and counts them into the manifest once sent.
struct Source {
    generator: Generator,
    manifest: ManifestBuilder,
    encoder: ClickEncoder,
    schema_id: SchemaId,
    unknown_id: SchemaId,
    key_field: KeyField,
    /// The last valid framed record; poison pills are made from it.
    framed: Vec<u8>,
    key: Vec<u8>,
    pill: Vec<u8>,
}

impl Source {
    fn new(
        request: &ProduceConfig,
        encoder: ClickEncoder,
        schema_id: SchemaId,
        unknown_id: SchemaId,
    ) -> Self {
        Self {
            generator: Generator::new(request.generator.clone()),
            manifest: ManifestBuilder::new(&request.generator),
            encoder,
            schema_id,
            unknown_id,
            key_field: request.key_field,
            framed: Vec::with_capacity(512),
            key: Vec::with_capacity(64),
            pill: Vec::new(),
        }
    }

    /// The next event and its key and value bytes.
    fn next(&mut self) -> Result<Next<'_>, PoisonError> {
        // The generator is endless; a clean click stands in should it ever stop.
        let event = self.generator.next().unwrap_or_else(|| Event::Click {
            click: template_click(),
            fault: None,
        });
        match &event {
            Event::Click { click, .. } | Event::Duplicate(click) => {
                self.encoder
                    .write_framed(self.schema_id, click, &mut self.framed);
                // The key borrows the click, which moves out with the event: copy it into a
                // reused buffer.
                let key = key_of(click, self.key_field);
                self.key.clear();
                self.key
                    .extend_from_slice(key.map_or(&[][..], |k| k.as_bytes()));
                let key = key.is_some().then_some(&self.key[..]);
                Ok(Next {
                    event,
                    key,
                    value: &self.framed,
                })
            }
            Event::Poison(kind) => {
                if self.framed.is_empty() {
                    self.encoder
                        .write_framed(self.schema_id, &template_click(), &mut self.framed);
                }
                self.pill = poison(*kind, &self.framed, self.unknown_id)?;
                Ok(Next {
                    event,
                    key: None,
                    value: &self.pill,
                })
            }
        }
    }
}

/// One record to produce: the event (for the manifest) and its bytes.
struct Next<'a> {
    event: Event,
    key: Option<&'a [u8]>,
    value: &'a [u8],
}

/// The record poison pills are cut from when no click has been produced yet.
fn template_click() -> Click {
    Click {
        id: "clk-template".into(),
        impression_id: "imp-template".into(),
        creative_id: "cr-template".into(),
        placement_id: "pl-template".into(),
        timestamp: 0,
        user_agent: None,
        ip: None,
        referrer: None,
        cost: 0.01,
    }
}

fn key_of(click: &Click, field: KeyField) -> Option<&String> {
    match field {
        KeyField::Id => Some(&click.id),
        KeyField::ImpressionId => Some(&click.impression_id),
        KeyField::CreativeId => Some(&click.creative_id),
        KeyField::PlacementId => Some(&click.placement_id),
        KeyField::None => None,
    }
}

/// The produce loop.
///
/// Delivery semantics: at-least-once into the topic, exactly once per send. Every record goes to
/// an idempotent producer with `acks=all`: librdkafka retries a batch until the leader and every
/// in-sync replica have it, and the broker drops the duplicates such retries could cause, so a
/// record handed over here lands once or is reported failed by its delivery report. A full
/// queue is not a failure: the same record is offered again once a delivery report makes room,
/// so backpressure never drops a record. Records are counted into the manifest when librdkafka
/// accepts them; whether each was acknowledged is known only after the flush that follows.
async fn produce_loop(
    producer: &ThreadedProducer<Reports>,
    stats: &Stats,
    request: &ProduceConfig,
    source: &mut Source,
    stop: &CancellationToken,
) -> Result<Stopped, ProduceError> {
    let mut bucket = request.rate.map(TokenBucket::new);
    let deadline = request.duration.map(|d| Instant::now() + d);
    let topic = request.topic.as_str();
    let mut sent = 0u64;
    loop {
        if request.count.is_some_and(|count| sent >= count) {
            return Ok(Stopped::Count);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Stopped::Duration);
        }
        match &mut bucket {
            Some(bucket) => tokio::select! {
                _ = stop.cancelled() => return Ok(Stopped::Interrupted),
                _ = sleep_until(deadline) => return Ok(Stopped::Duration),
                _ = bucket.take() => {}
            },
            None if stop.is_cancelled() => return Ok(Stopped::Interrupted),
            None if sent % YIELD_EVERY == YIELD_EVERY - 1 => tokio::task::yield_now().await,
            None => {}
        }
        let Next { event, key, value } = source.next()?;
        match offer(producer, stats, topic, key, value, stop).await {
            Ok(true) => {}
            Ok(false) => return Ok(Stopped::Interrupted),
            Err(e) => return Ok(Stopped::Refused(e.to_string())),
        }
        stats.sent();
        source.manifest.record(&event);
        sent += 1;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Hands one record to librdkafka, waiting for room while its queue is full. `Ok(false)` when
/// stopped while waiting (the record was not sent).
pub async fn offer(
    producer: &ThreadedProducer<Reports>,
    stats: &Stats,
    topic: &str,
    key: Option<&[u8]>,
    value: &[u8],
    stop: &CancellationToken,
) -> Result<bool, KafkaError> {
    // Stamped once: a record's latency runs from the moment it was offered, its wait for room
    // in a full queue included.
    let stamp = stats.stamp();
    loop {
        let mut record = BaseRecord::with_opaque_to(topic, stamp).payload(value);
        if let Some(key) = key {
            record = record.key(key);
        }
        match producer.send(record) {
            Ok(()) => return Ok(true),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                // The polling thread serves delivery reports, each of which frees a slot and
                // signals `room`; the timer only guards against a missed signal.
                tokio::select! {
                    _ = stop.cancelled() => return Ok(false),
                    _ = stats.room.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
            Err((error, _)) => return Err(error),
        }
    }
}

/// Waits until every record sent has its delivery report, `limit` passes, or `give_up` is
/// cancelled. librdkafka's flush blocks, so it runs on the blocking pool in short slices.
pub async fn flush(
    producer: Arc<ThreadedProducer<Reports>>,
    limit: Duration,
    give_up: &CancellationToken,
) -> Result<bool, tokio::task::JoinError> {
    let deadline = Instant::now() + limit;
    loop {
        let p = Arc::clone(&producer);
        let done = tokio::task::spawn_blocking(move || p.flush(Duration::from_millis(200)).is_ok())
            .await?;
        if done {
            return Ok(true);
        }
        if give_up.is_cancelled() || Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

struct Reporter {
    stop: CancellationToken,
    handle: tokio::task::JoinHandle<()>,
}

/// Calls `progress` once a second until stopped.
fn spawn_reporter(
    stats: Arc<Stats>,
    mut progress: impl FnMut(&Progress) + Send + 'static,
    stop: CancellationToken,
) -> Reporter {
    let token = stop.clone();
    let handle = tokio::spawn(async move {
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        let (mut last_at, mut last_sent) = (start, 0);
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tick.tick() => {}
            }
            let counts = stats.snapshot();
            let now = Instant::now();
            let window = now.duration_since(last_at).as_secs_f64().max(1e-3);
            progress(&Progress {
                elapsed: now.duration_since(start),
                sent: counts.sent,
                acknowledged: counts.acknowledged,
                failed: counts.failed,
                rate: counts.sent.saturating_sub(last_sent) as f64 / window,
                latency: stats.take_window(),
            });
            (last_at, last_sent) = (now, counts.sent);
        }
    });
    Reporter { stop, handle }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::generator::{GeneratorConfig, GeneratorOptions, PoisonKind};
    use shared::wire::Frame;

    fn request(faults: impl FnOnce(&mut GeneratorOptions)) -> ProduceConfig {
        let mut options = GeneratorOptions::default();
        faults(&mut options);
        ProduceConfig {
            topic: shared::Topic::new("t").unwrap_or_else(|e| panic!("{e}")),
            count: None,
            duration: None,
            rate: None,
            generator: GeneratorConfig::new(options).unwrap_or_else(|e| panic!("{e}")),
            schema: None,
            manifest: None,
            key_field: KeyField::ImpressionId,
            compression: crate::settings::Compression::Lz4,
            partitions: 1,
            replication_factor: 1,
            delivery_timeout: crate::settings::DEFAULT_DELIVERY_TIMEOUT,
            linger: crate::settings::DEFAULT_LINGER,
        }
    }

    fn source(request: &ProduceConfig) -> Source {
        let schema =
            apache_avro::Schema::parse_str(DEFAULT_SCHEMA).unwrap_or_else(|e| panic!("{e}"));
        let encoder = ClickEncoder::new(&schema).unwrap_or_else(|e| panic!("{e}"));
        Source::new(request, encoder, SchemaId(5), SchemaId(99))
    }

    #[test]
    fn clicks_are_framed_and_keyed_by_the_chosen_field() {
        let request = request(|_| {});
        let mut source = source(&request);
        let Next { event, key, value } = source.next().unwrap_or_else(|e| panic!("{e}"));
        let Event::Click { click, .. } = event else {
            panic!("expected a click")
        };
        assert_eq!(key, Some(click.impression_id.as_bytes()));
        assert_eq!(Frame::parse(value).map(|f| f.schema_id), Ok(SchemaId(5)));
    }

    #[test]
    fn poison_pills_are_cut_from_a_valid_record_even_when_first() {
        let request = request(|o| o.faults.wrong_magic = 1.0);
        let mut source = source(&request);
        let Next { event, key, value } = source.next().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event, Event::Poison(PoisonKind::WrongMagic));
        assert_eq!(key, None);
        assert_eq!(value.first(), Some(&shared::generator::WRONG_MAGIC));
        assert!(value.len() > shared::wire::HEADER_LEN);
    }

    #[test]
    fn unknown_id_pills_carry_the_chosen_id() {
        let request = request(|o| o.faults.unknown_schema_id = 1.0);
        let mut source = source(&request);
        let next = source.next().unwrap_or_else(|e| panic!("{e}"));
        let value = next.value;
        assert_eq!(Frame::parse(value).map(|f| f.schema_id), Ok(SchemaId(99)));
    }

    #[test]
    fn the_flush_waits_past_the_message_timeout() {
        assert_eq!(flush_limit(Some("1000")), Duration::from_secs(6));
        assert_eq!(flush_limit(None), Duration::from_secs(125));
        assert_eq!(flush_limit(Some("nonsense")), Duration::from_secs(125));
    }

    #[test]
    fn the_default_schema_is_click_v1() {
        let v1 = apache_avro::Schema::parse_str(DEFAULT_SCHEMA).unwrap_or_else(|e| panic!("{e}"));
        assert!(ClickEncoder::new(&v1).is_ok());
    }
}
