//! Talking to Kafka through librdkafka: the one place an rdkafka `ClientConfig` is built, plus
//! the admin operations the CLI and the stack need (metadata, topic creation and listing).
//!
//! librdkafka's metadata calls block, so they run on the blocking pool.

use crate::settings::KafkaConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::ClientConfig;
use shared::Topic;
use std::collections::BTreeMap;
use std::time::Duration;

/// What went wrong talking to Kafka.
#[derive(Debug, thiserror::Error)]
pub enum KafkaOpError {
    /// The client could not be created (usually a bad `-X` option).
    #[error("invalid Kafka client settings: {0}")]
    Config(KafkaError),
    /// The brokers did not answer.
    #[error("no answer from Kafka at {bootstrap} within {timeout:?}: {reason}")]
    Unreachable {
        /// Where we looked.
        bootstrap: String,
        /// How long we waited.
        timeout: Duration,
        /// librdkafka's reason.
        reason: KafkaError,
    },
    /// The brokers answered but refused this client: its credentials or its TLS settings.
    #[error("Kafka at {bootstrap} refused the connection: {reason} (check {settings})")]
    Refused {
        /// Where we looked.
        bootstrap: String,
        /// librdkafka's words.
        reason: String,
        /// The settings that decide it.
        settings: &'static str,
    },
    /// Topic creation was refused.
    #[error("could not create topic {topic}: {reason}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// The broker's reason.
        reason: String,
    },
    /// Topic deletion was refused.
    #[error("could not delete topic {topic}: {reason}")]
    DeleteTopic {
        /// The topic.
        topic: String,
        /// The broker's reason.
        reason: String,
    },
    /// A read at a position failed.
    #[error("could not read {topic} partition {partition}: {reason}")]
    Read {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// librdkafka's reason.
        reason: KafkaError,
    },
    /// A blocking call's thread failed.
    #[error("internal error while talking to Kafka: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Builds the client configuration for `kafka`: bootstrap servers, then every pass-through option
/// (so `-X` can override anything, including security settings for remote clusters).
pub fn client_config(kafka: &KafkaConfig) -> ClientConfig {
    client_config_with::<&str, &str>(kafka, &[])
}

/// Like [`client_config`], with the settings a role needs (a producer's `acks`, a consumer's
/// `group.id`) applied before the pass-through options, which still win.
pub fn client_config_with<K: AsRef<str>, V: AsRef<str>>(
    kafka: &KafkaConfig,
    role: &[(K, V)],
) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &kafka.bootstrap_servers);
    config.set("client.id", "kafka-demo");
    for (key, value) in role {
        config.set(key.as_ref(), value.as_ref());
    }
    for (key, value) in &kafka.options {
        config.set(key, value);
    }
    config
}

/// A client context that keeps the first error librdkafka reports which retrying cannot mend:
/// credentials the brokers refuse, or a TLS handshake that fails (a wrong CA, a name the
/// certificate does not hold). librdkafka itself retries those forever, so a caller waiting for
/// an answer looks here to give up at once with the reason.
#[derive(Debug, Clone, Default)]
pub struct Refusals(std::sync::Arc<std::sync::Mutex<Option<(String, &'static str)>>>);

impl Refusals {
    /// The first refusal seen, with the settings that decide it.
    pub fn first(&self) -> Option<(String, &'static str)> {
        self.0.lock().ok()?.clone()
    }

    /// The refusal as the error of a call to `bootstrap`, if there was one.
    pub fn error(&self, bootstrap: &str) -> Option<KafkaOpError> {
        let (reason, settings) = self.first()?;
        Some(KafkaOpError::Refused {
            bootstrap: bootstrap.to_owned(),
            reason,
            settings,
        })
    }
}

/// Which settings decide an error of this kind, when retrying cannot mend it.
fn refusal_settings(code: RDKafkaErrorCode) -> Option<&'static str> {
    match code {
        RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed => {
            Some("sasl.mechanism, sasl.username and sasl.password")
        }
        RDKafkaErrorCode::SSL => Some(
            "security.protocol and ssl.ca.location: the CA must be the one that signed the \
             brokers' certificates",
        ),
        _ => None,
    }
}

impl ClientContext for Refusals {
    /// librdkafka's own log lines are for `-v`: what matters reaches the user as one error.
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        tracing::debug!(target: "librdkafka", ?level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let settings = error.rdkafka_error_code().and_then(refusal_settings);
        match (settings, self.0.lock()) {
            (Some(settings), Ok(mut first)) if first.is_none() => {
                *first = Some((reason.to_owned(), settings));
            }
            _ => tracing::debug!(%error, reason, "librdkafka reported an error"),
        }
    }
}

impl rdkafka::consumer::ConsumerContext for Refusals {}

/// Metadata of the cluster, from a client that gives up as soon as the brokers refuse it
/// instead of retrying until `timeout`.
fn fetch_metadata(
    config: &ClientConfig,
    bootstrap: &str,
    topic: Option<&str>,
    timeout: Duration,
) -> Result<rdkafka::metadata::Metadata, KafkaOpError> {
    const SLICE: Duration = Duration::from_millis(250);
    let refusals = Refusals::default();
    let consumer: BaseConsumer<Refusals> = config
        .create_with_context(refusals.clone())
        .map_err(KafkaOpError::Config)?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let reason = match consumer.fetch_metadata(topic, left.min(SLICE)) {
            Ok(metadata) => return Ok(metadata),
            Err(reason) => reason,
        };
        // Errors reach the context when the client's queue is served.
        let _ = consumer.poll(Duration::ZERO);
        if let Some(refused) = refusals.error(bootstrap) {
            return Err(refused);
        }
        if left <= SLICE {
            return Err(KafkaOpError::Unreachable {
                bootstrap: bootstrap.to_owned(),
                timeout,
                reason,
            });
        }
    }
}

/// A topic as the brokers describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// Its name.
    pub name: String,
    /// How many partitions it has.
    pub partitions: usize,
    /// How many replicas its first partition has.
    pub replicas: usize,
}

/// Asks the cluster for its metadata and returns how many brokers it has.
pub async fn broker_count(kafka: &KafkaConfig, timeout: Duration) -> Result<usize, KafkaOpError> {
    Ok(metadata(kafka, timeout).await?.0.len())
}

/// The ids of the cluster's brokers, as its metadata lists them.
pub async fn broker_ids(kafka: &KafkaConfig, timeout: Duration) -> Result<Vec<i32>, KafkaOpError> {
    Ok(metadata(kafka, timeout).await?.0)
}

/// Every topic that is not internal, sorted by name.
pub async fn list_topics(
    kafka: &KafkaConfig,
    timeout: Duration,
) -> Result<Vec<TopicInfo>, KafkaOpError> {
    Ok(metadata(kafka, timeout).await?.1)
}

async fn metadata(
    kafka: &KafkaConfig,
    timeout: Duration,
) -> Result<(Vec<i32>, Vec<TopicInfo>), KafkaOpError> {
    let config = client_config(kafka);
    let bootstrap = kafka.bootstrap_servers.clone();
    tokio::task::spawn_blocking(move || {
        let metadata = fetch_metadata(&config, &bootstrap, None, timeout)?;
        let mut topics: Vec<TopicInfo> = metadata
            .topics()
            .iter()
            .filter(|t| !t.name().starts_with("__"))
            .map(|t| TopicInfo {
                name: t.name().to_owned(),
                partitions: t.partitions().len(),
                replicas: t.partitions().first().map_or(0, |p| p.replicas().len()),
            })
            .collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        let brokers = metadata.brokers().iter().map(|b| b.id()).collect();
        Ok((brokers, topics))
    })
    .await?
}

/// A replication factor that leaves it to the brokers (`default.replication.factor`).
pub const BROKER_DEFAULT: i32 = -1;

/// Creates `topic` unless it exists, with `replication` replicas of each partition
/// ([`BROKER_DEFAULT`]: as many as the brokers' default). Returns `true` when it was created now.
pub async fn ensure_topic(
    kafka: &KafkaConfig,
    topic: &Topic,
    partitions: i32,
    replication: i32,
    timeout: Duration,
) -> Result<bool, KafkaOpError> {
    // An admin request to brokers that refuse this client would wait out its timeout: a
    // metadata request says so at once.
    metadata(kafka, timeout).await?;
    let admin: AdminClient<DefaultClientContext> = client_config(kafka)
        .create()
        .map_err(KafkaOpError::Config)?;
    let new = NewTopic::new(
        topic.as_str(),
        partitions,
        TopicReplication::Fixed(replication),
    );
    let options = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    let fail = |reason: String| KafkaOpError::CreateTopic {
        topic: topic.to_string(),
        reason,
    };
    let results = admin
        .create_topics([&new], &options)
        .await
        .map_err(|e| fail(e.to_string()))?;
    match results.into_iter().next() {
        Some(Ok(_)) => Ok(true),
        Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => Ok(false),
        Some(Err((_, code))) => Err(fail(code.to_string())),
        None => Err(fail("the broker gave no result".into())),
    }
}

/// `(partition, low, high)` watermarks of every partition of `topic`, or `None` when the
/// topic does not exist.
pub async fn watermarks(
    kafka: &KafkaConfig,
    topic: &Topic,
    timeout: Duration,
) -> Result<Option<Vec<(i32, i64, i64)>>, KafkaOpError> {
    let config = client_config(kafka);
    let bootstrap = kafka.bootstrap_servers.clone();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config.create().map_err(KafkaOpError::Config)?;
        let marks = partition_watermarks(&consumer, &topic, timeout).map_err(|reason| {
            KafkaOpError::Unreachable {
                bootstrap,
                timeout,
                reason,
            }
        })?;
        Ok(marks.map(|marks| {
            marks
                .into_iter()
                .map(|(partition, (low, high))| (partition, low, high))
                .collect()
        }))
    })
    .await?
}

/// `(low, high)` watermarks by partition.
pub type Watermarks = BTreeMap<i32, (i64, i64)>;

/// `(low, high)` watermarks of every partition of `topic` by partition, or `None` when the
/// topic does not exist (or has no partitions). Blocking: call it off the async runtime.
pub fn partition_watermarks(
    consumer: &BaseConsumer,
    topic: &str,
    timeout: Duration,
) -> Result<Option<Watermarks>, KafkaError> {
    let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
    let Some(info) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Ok(None);
    };
    if info.error().is_some() || info.partitions().is_empty() {
        return Ok(None);
    }
    let mut marks = BTreeMap::new();
    for p in info.partitions() {
        marks.insert(p.id(), consumer.fetch_watermarks(topic, p.id(), timeout)?);
    }
    Ok(Some(marks))
}

/// Settings of a client that reads `topic` by assignment, outside any consumer group. librdkafka
/// wants a group id; this one (`<topic>.<role>-<pid>`) never joins a group nor commits, and it
/// starts with the topic, so in workshop mode it lies under the attendee's prefix.
pub fn assigned_reader(kafka: &KafkaConfig, topic: &Topic, role: &str) -> ClientConfig {
    let group = format!("{topic}.{role}-{}", std::process::id());
    client_config_with(
        kafka,
        &[
            ("group.id", group.as_str()),
            ("enable.auto.commit", "false"),
        ],
    )
}

/// The value of the record at `partition`/`offset` (empty for a null value), or `None` when
/// nothing arrived within `wait`. Reads by assignment, outside any consumer group.
pub async fn read_value(
    kafka: &KafkaConfig,
    topic: &Topic,
    partition: i32,
    offset: i64,
    wait: Duration,
) -> Result<Option<Vec<u8>>, KafkaOpError> {
    use rdkafka::message::Message as _;
    let config = assigned_reader(kafka, topic, "read");
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let failed = |reason| KafkaOpError::Read {
            topic: topic.clone(),
            partition,
            reason,
        };
        let consumer: BaseConsumer = config.create().map_err(KafkaOpError::Config)?;
        let mut list = rdkafka::TopicPartitionList::new();
        list.add_partition_offset(&topic, partition, rdkafka::Offset::Offset(offset))
            .map_err(failed)?;
        consumer.assign(&list).map_err(failed)?;
        let deadline = std::time::Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match consumer.poll(left) {
                Some(Ok(message)) if message.offset() == offset => {
                    return Ok(Some(message.payload().unwrap_or_default().to_vec()))
                }
                Some(Ok(_)) | None => {}
                Some(Err(reason)) => return Err(failed(reason)),
            }
        }
        Ok(None)
    })
    .await?
}

/// Deletes `topics`; a topic already gone counts as deleted. Returns the topics deleted.
pub async fn delete_topics(
    kafka: &KafkaConfig,
    topics: &[String],
    timeout: Duration,
) -> Result<Vec<String>, KafkaOpError> {
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let admin: AdminClient<DefaultClientContext> = client_config(kafka)
        .create()
        .map_err(KafkaOpError::Config)?;
    let options = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let results =
        admin
            .delete_topics(&names, &options)
            .await
            .map_err(|e| KafkaOpError::DeleteTopic {
                topic: topics.join(", "),
                reason: e.to_string(),
            })?;
    let mut deleted = Vec::new();
    for result in results {
        match result {
            Ok(topic) | Err((topic, RDKafkaErrorCode::UnknownTopicOrPartition)) => {
                deleted.push(topic)
            }
            Err((topic, code)) => {
                return Err(KafkaOpError::DeleteTopic {
                    topic,
                    reason: code.to_string(),
                })
            }
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_passed_through_after_the_bootstrap() {
        let kafka = KafkaConfig {
            bootstrap_servers: "b:1".into(),
            options: vec![
                ("security.protocol".into(), "SASL_SSL".into()),
                ("client.id".into(), "mine".into()),
            ],
        };
        let config = client_config(&kafka);
        assert_eq!(config.get("bootstrap.servers"), Some("b:1"));
        assert_eq!(config.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(config.get("client.id"), Some("mine"));
    }

    #[test]
    fn role_settings_come_before_the_pass_through_options() {
        let kafka = KafkaConfig {
            bootstrap_servers: "b:1".into(),
            options: vec![("acks".into(), "1".into())],
        };
        let config = client_config_with(&kafka, &[("acks", "all"), ("linger.ms", "5")]);
        assert_eq!(config.get("acks"), Some("1"));
        assert_eq!(config.get("linger.ms"), Some("5"));
    }

    #[test]
    fn sasl_ssl_settings_are_supported_by_the_build() {
        let kafka = KafkaConfig {
            bootstrap_servers: "127.0.0.1:1".into(),
            options: [
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        };
        let created: Result<BaseConsumer, _> = client_config(&kafka).create();
        assert!(created.is_ok(), "{:?}", created.err());
    }

    #[tokio::test]
    async fn unknown_option_is_a_config_error() {
        let kafka = KafkaConfig {
            bootstrap_servers: "127.0.0.1:1".into(),
            options: vec![("no.such.option".into(), "1".into())],
        };
        let err = broker_count(&kafka, Duration::from_millis(100)).await;
        assert!(matches!(err, Err(KafkaOpError::Config(_))), "{err:?}");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_not_a_hang() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1);
        let kafka = KafkaConfig {
            bootstrap_servers: format!("127.0.0.1:{port}"),
            options: vec![],
        };
        let err = broker_count(&kafka, Duration::from_millis(500)).await;
        assert!(
            matches!(err, Err(KafkaOpError::Unreachable { .. })),
            "{err:?}"
        );
    }
}
