//! The results topic, read back by the bridge: one partition of JSON rows the queries write.
//! The bridge reads it from the offset where the current checkpoint's results begin (kept
//! beside the checkpoint, see [`super::checkpoint`]), so a resumed run shows every window of
//! its checkpoint and nothing of an older one.

use super::error::StreamError;
use super::event::ResultRow;
use crate::kafka::{client_config, client_config_with};
use crate::settings::KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _, StreamConsumer};
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};
use std::time::Duration;

/// The results topic's one partition.
pub(crate) const PARTITION: i32 = 0;

/// One past the newest offset of the results topic.
pub(crate) async fn end_offset(
    kafka: &KafkaConfig,
    topic: &str,
    timeout: Duration,
) -> Result<i64, StreamError> {
    let config = client_config(kafka);
    let topic = topic.to_owned();
    let kafka_error = |e: rdkafka::error::KafkaError| StreamError::Kafka {
        action: "reading the results topic's offsets",
        reason: e.to_string(),
    };
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config.create().map_err(kafka_error)?;
        let (_, high) = consumer
            .fetch_watermarks(&topic, PARTITION, timeout)
            .map_err(kafka_error)?;
        Ok(high)
    })
    .await
    .map_err(|e| StreamError::Kafka {
        action: "reading the results topic's offsets",
        reason: e.to_string(),
    })?
}

/// A reader of the results topic from `from`.
pub(crate) fn tail(kafka: &KafkaConfig, topic: &str, from: i64) -> Result<Tail, StreamError> {
    let kafka_error = |e: rdkafka::error::KafkaError| StreamError::Kafka {
        action: "reading the results topic",
        reason: e.to_string(),
    };
    let group = format!("kafka-demo-stream-{}", std::process::id());
    let consumer: StreamConsumer = client_config_with(
        kafka,
        &[
            ("group.id", group.as_str()),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
            // Results come in bursts, one per micro-batch: answer a fetch as soon as a burst
            // starts instead of after librdkafka's default 500 ms wait.
            ("fetch.wait.max.ms", "10"),
        ],
    )
    .create()
    .map_err(kafka_error)?;
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, PARTITION, Offset::Offset(from))
        .map_err(kafka_error)?;
    consumer.assign(&list).map_err(kafka_error)?;
    Ok(Tail {
        consumer,
        next: from,
    })
}

/// Reads result rows in order.
pub(crate) struct Tail {
    consumer: StreamConsumer,
    /// The offset after the last row read.
    pub(crate) next: i64,
}

impl Tail {
    /// The next row; a value that is not a result row is skipped with a warning. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Result<Option<ResultRow>, StreamError> {
        let message = self.consumer.recv().await.map_err(|e| StreamError::Kafka {
            action: "reading the results topic",
            reason: e.to_string(),
        })?;
        self.next = message.offset() + 1;
        let Some(payload) = message.payload() else {
            return Ok(None);
        };
        match ResultRow::parse(payload) {
            Ok(row) => Ok(Some(row)),
            Err(e) => {
                tracing::warn!(offset = message.offset(), "not a result row: {e}");
                Ok(None)
            }
        }
    }
}
