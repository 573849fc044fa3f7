//! Talking to Kafka through librdkafka: the one place an rdkafka `ClientConfig` is built, plus
//! the admin operations the CLI and the stack need (metadata, topic creation and listing).
//!
//! librdkafka's metadata calls block, so they run on the blocking pool.

use crate::settings::KafkaConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
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

/// A topic as the brokers describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// Its name.
    pub name: String,
    /// How many partitions it has.
    pub partitions: usize,
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
        let consumer: BaseConsumer = config.create().map_err(KafkaOpError::Config)?;
        let metadata =
            consumer
                .fetch_metadata(None, timeout)
                .map_err(|reason| KafkaOpError::Unreachable {
                    bootstrap,
                    timeout,
                    reason,
                })?;
        let mut topics: Vec<TopicInfo> = metadata
            .topics()
            .iter()
            .filter(|t| !t.name().starts_with("__"))
            .map(|t| TopicInfo {
                name: t.name().to_owned(),
                partitions: t.partitions().len(),
            })
            .collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        let brokers = metadata.brokers().iter().map(|b| b.id()).collect();
        Ok((brokers, topics))
    })
    .await?
}

/// Creates `topic` unless it exists. Returns `true` when it was created now.
pub async fn ensure_topic(
    kafka: &KafkaConfig,
    topic: &Topic,
    partitions: i32,
    replication: i32,
    timeout: Duration,
) -> Result<bool, KafkaOpError> {
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
