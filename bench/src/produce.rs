//! `produce`: clicks Avro-encoded while producing against the same clicks' bytes encoded
//! beforehand, through the producer `kafka-demo produce` uses — same settings, same send loop
//! with backpressure, same flush — each round to fresh topics. The ratio is what encoding on
//! the fly costs end to end.

use super::workload::{rate, verdict, Input, ProduceBenchArgs, PRODUCE_TARGET};
use anyhow::Context as _;
use pipeline::kafka;
use pipeline::produce::delivery::{Reports, Stats};
use pipeline::produce::{flush, flush_limit, offer, producer_settings};
use pipeline::settings::{Config, KafkaConfig, DEFAULT_DELIVERY_TIMEOUT, DEFAULT_LINGER};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{Producer as _, ThreadedProducer};
use shared::decode::corpus::{median, CORPUS_SCHEMA_ID};
use shared::Topic;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(10);
/// Records between two yields to the runtime, as in the produce loop.
const YIELD_EVERY: usize = 256;

/// Which bytes a round sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Each click is encoded just before it is sent.
    Encode,
    /// The same bytes, encoded before the clock started.
    PreEncoded,
}

/// Medians of the two modes.
#[derive(Debug, Clone)]
pub(crate) struct ProduceReport {
    records: usize,
    rounds: u32,
    compression: &'static str,
    bootstrap: String,
    encode: f64,
    pre_encoded: f64,
}

pub(crate) async fn run(
    config: &Config,
    args: &ProduceBenchArgs,
    input: &Input,
) -> anyhow::Result<ProduceReport> {
    kafka::broker_count(&config.kafka, TIMEOUT)
        .await
        .context("no broker answered")?;
    let pre = input.framed();
    let (mut encode, mut pre_encoded) = (Vec::new(), Vec::new());
    let mut topics = Vec::new();
    // One untimed round first: a broker that has just started (its JIT, its page cache) is
    // slower for a while, which would count against whichever mode ran first.
    let topic = fresh_topic(Mode::PreEncoded, u32::MAX)?;
    let warm = round_of(config, args, input, &pre, Mode::PreEncoded, &topic).await;
    topics.push(topic);
    if let Err(e) = warm {
        clean_up(config, args, &topics).await;
        return Err(e);
    }
    for round in 0..input.rounds {
        // Alternate which mode goes first, so neither always meets a warmer broker.
        let order = match round % 2 {
            0 => [Mode::Encode, Mode::PreEncoded],
            _ => [Mode::PreEncoded, Mode::Encode],
        };
        for mode in order {
            let topic = fresh_topic(mode, round)?;
            let rps = round_of(config, args, input, &pre, mode, &topic).await;
            topics.push(topic);
            let rps = match rps {
                Ok(rps) => rps,
                Err(e) => {
                    clean_up(config, args, &topics).await;
                    return Err(e);
                }
            };
            eprintln!("round {}: {mode:?} {rps:.0} records/s", round + 1);
            match mode {
                Mode::Encode => encode.push(rps),
                Mode::PreEncoded => pre_encoded.push(rps),
            }
        }
    }
    clean_up(config, args, &topics).await;
    Ok(ProduceReport {
        records: input.clicks.len(),
        rounds: input.rounds,
        compression: pipeline::settings::Compression::from(args.compression).as_str(),
        bootstrap: config.kafka.bootstrap_servers.clone(),
        encode: median(&encode),
        pre_encoded: median(&pre_encoded),
    })
}

/// One round: a fresh topic, a fresh producer, every record sent and acknowledged.
async fn round_of(
    config: &Config,
    args: &ProduceBenchArgs,
    input: &Input,
    pre: &[Vec<u8>],
    mode: Mode,
    topic: &Topic,
) -> anyhow::Result<f64> {
    kafka::ensure_topic(&config.kafka, topic, args.partitions, 1, TIMEOUT).await?;
    let stats = Arc::new(Stats::new());
    let client = kafka::client_config_with(
        &config.kafka,
        &producer_settings(
            args.compression.into(),
            DEFAULT_DELIVERY_TIMEOUT,
            DEFAULT_LINGER,
        ),
    );
    let producer: Arc<ThreadedProducer<Reports>> = Arc::new(
        client
            .create_with_context(Reports(Arc::clone(&stats)))
            .context("could not create the producer")?,
    );
    warm_up(&producer, topic).await?;
    let never = CancellationToken::new();
    let mut out = Vec::with_capacity(512);
    let start = Instant::now();
    for (i, click) in input.clicks.iter().enumerate() {
        let value: &[u8] = match mode {
            Mode::Encode => {
                input
                    .encoder
                    .write_framed(CORPUS_SCHEMA_ID, click, &mut out);
                &out
            }
            Mode::PreEncoded => pre.get(i).map_or(&[][..], Vec::as_slice),
        };
        let key = Some(click.impression_id.as_bytes());
        offer(&producer, &stats, topic.as_str(), key, value, &never).await?;
        stats.sent();
        if i % YIELD_EVERY == YIELD_EVERY - 1 {
            tokio::task::yield_now().await;
        }
    }
    let sending = start.elapsed();
    let limit = flush_limit(client.get("message.timeout.ms"));
    let flushed = flush(Arc::clone(&producer), limit, &never).await?;
    let elapsed = start.elapsed();
    tokio::task::spawn_blocking(move || drop(producer)).await?;
    let counts = stats.snapshot();
    anyhow::ensure!(
        flushed && counts.acknowledged == input.clicks.len() as u64,
        "{mode:?} round: {} of {} records acknowledged ({})",
        counts.acknowledged,
        input.clicks.len(),
        stats.first_error().unwrap_or_default()
    );
    tracing::info!(?mode, ?sending, ?elapsed, "round done");
    Ok(rate(input.clicks.len(), elapsed))
}

/// Fetches the topic's metadata, so connecting is not timed.
async fn warm_up(producer: &Arc<ThreadedProducer<Reports>>, topic: &Topic) -> anyhow::Result<()> {
    let p = Arc::clone(producer);
    let name = topic.to_string();
    tokio::task::spawn_blocking(move || p.client().fetch_metadata(Some(&name), TIMEOUT))
        .await?
        .context("the broker did not describe the bench topic")?;
    Ok(())
}

fn fresh_topic(mode: Mode, round: u32) -> anyhow::Result<Topic> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mode = match mode {
        Mode::Encode => "encode",
        Mode::PreEncoded => "pre",
    };
    let name = format!(
        "kafka-demo-bench-{}-{nanos:x}-{round}-{mode}",
        std::process::id()
    );
    Topic::new(&name).map_err(|e| anyhow::anyhow!("bench topic name {name}: {e}"))
}

/// Deletes the bench topics once every round is over (so no deletion runs on the broker while a
/// round is timed), unless they are to be kept.
async fn clean_up(config: &Config, args: &ProduceBenchArgs, topics: &[Topic]) {
    if !args.keep_topics {
        for topic in topics {
            delete_topic(&config.kafka, topic).await;
        }
    }
}

/// Deletes a bench topic; a failure only leaves it behind, so it is logged, not returned.
pub(crate) async fn delete_topic(kafka: &KafkaConfig, topic: &Topic) {
    let admin: Result<AdminClient<DefaultClientContext>, _> = kafka::client_config(kafka).create();
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let outcome = match admin {
        Ok(admin) => admin
            .delete_topics(&[topic.as_str()], &options)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = outcome {
        tracing::warn!(topic = %topic, error = %e, "could not delete a bench topic");
    }
}

impl ProduceReport {
    fn ratio(&self) -> f64 {
        self.encode / self.pre_encoded.max(f64::MIN_POSITIVE)
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "bench": "produce",
            "records": self.records,
            "rounds": self.rounds,
            "compression": self.compression,
            "bootstrap": self.bootstrap,
            "encode_records_per_s": self.encode,
            "pre_encoded_records_per_s": self.pre_encoded,
            "ratio": self.ratio(),
            "target": PRODUCE_TARGET,
            "verdict": verdict(self.ratio(), PRODUCE_TARGET),
        })
    }
}

impl fmt::Display for ProduceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "produce to {}: {} clicks per round, compression {}, median of {} rounds",
            self.bootstrap, self.records, self.compression, self.rounds
        )?;
        writeln!(f, "  encoded on the fly   {:>12.0} records/s", self.encode)?;
        writeln!(
            f,
            "  pre-encoded bytes    {:>12.0} records/s",
            self.pre_encoded
        )?;
        write!(
            f,
            "  ratio {:.3} (target >= {PRODUCE_TARGET}): {}",
            self.ratio(),
            verdict(self.ratio(), PRODUCE_TARGET)
        )
    }
}
