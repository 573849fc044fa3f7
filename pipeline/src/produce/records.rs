//! Records made elsewhere (written by hand in the page, read from JSON lines by the command
//! line), sent as they are: the bytes were encoded and framed by the caller; nothing here looks
//! inside them. Same producer settings as a generated run: idempotent, `acks=all`.

use super::{producer_settings, ProduceError, CONNECT_TIMEOUT};
use crate::kafka;
use crate::settings::{Compression, KafkaConfig, DEFAULT_DELIVERY_TIMEOUT, DEFAULT_LINGER};
use futures_util::stream::{FuturesUnordered, StreamExt as _};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use shared::Topic;
use std::time::Duration;

/// Deliveries awaited at once; librdkafka batches them.
const IN_FLIGHT: usize = 10_000;
/// Places of delivered records kept for the answer.
const PLACES_KEPT: usize = 100;

/// One record to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Its key.
    pub key: Option<Vec<u8>>,
    /// Its headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Its value, sent as it is.
    pub value: Vec<u8>,
}

/// What the brokers acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Records acknowledged.
    pub count: u64,
    /// Where the first of them landed: (partition, offset), in sending order.
    pub places: Vec<(i32, i64)>,
    /// Whether the topic was created for them (with `partitions` partitions).
    pub topic_created: bool,
}

/// Sends each of `records` `copies` times to `topic`, created with `partitions` partitions and
/// `replication_factor` replicas when missing, and waits until every one is acknowledged. The
/// first failure ends the wait with its reason.
pub async fn send(
    kafka_config: &KafkaConfig,
    topic: &Topic,
    records: &[Outgoing],
    copies: u32,
    (partitions, replication_factor): (i32, i32),
) -> Result<Delivered, ProduceError> {
    let topic_created = kafka::ensure_topic(
        kafka_config,
        topic,
        partitions,
        replication_factor,
        CONNECT_TIMEOUT,
    )
    .await?;
    let settings = producer_settings(Compression::None, DEFAULT_DELIVERY_TIMEOUT, DEFAULT_LINGER);
    let producer: FutureProducer = kafka::client_config_with(kafka_config, &settings)
        .create()
        .map_err(ProduceError::Producer)?;
    let mut pending = FuturesUnordered::new();
    let mut order = 0usize;
    let mut places: Vec<(usize, (i32, i64))> = Vec::new();
    let mut count = 0u64;
    let wanted = records.len() * copies as usize;
    let mut next = records
        .iter()
        .flat_map(|r| std::iter::repeat_n(r, copies as usize));
    loop {
        while pending.len() < IN_FLIGHT {
            let Some(record) = next.next() else { break };
            let mut headers = OwnedHeaders::new();
            for (name, value) in &record.headers {
                headers = headers.insert(Header {
                    key: name,
                    value: Some(value),
                });
            }
            let mut out = FutureRecord::<[u8], [u8]>::to(topic.as_str())
                .payload(&record.value)
                .headers(headers);
            if let Some(key) = &record.key {
                out = out.key(key);
            }
            let at = order;
            order += 1;
            let delivery = producer.send(out, Duration::ZERO);
            pending.push(async move { (at, delivery.await) });
        }
        let Some((at, result)) = pending.next().await else {
            break;
        };
        match result {
            Ok(delivery) => {
                count += 1;
                if at < PLACES_KEPT {
                    places.push((at, (delivery.partition, delivery.offset)));
                }
            }
            Err((error, _)) => return Err(ProduceError::Delivery(error.to_string())),
        }
    }
    debug_assert_eq!(count as usize, wanted);
    places.sort_by_key(|(at, _)| *at);
    Ok(Delivered {
        count,
        places: places.into_iter().map(|(_, p)| p).collect(),
        topic_created,
    })
}
