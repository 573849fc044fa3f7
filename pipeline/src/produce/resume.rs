//! Where a topic's event time stands, so that a new run can continue from there: the newest
//! `timestamp` among the last records of each partition, decoded with their writer schemas.
//!
//! Best effort by design: a topic that is missing, empty, unreadable or holds no decodable click
//! near its end has no standing, and the run starts at the generator's default time.

use crate::consume::decode::Decoder;
use crate::kafka;
use crate::registry;
use crate::settings::KafkaConfig;
use apache_avro::types::Value;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Message as _;
use shared::Topic;
use std::collections::BTreeMap;
use std::time::Duration;

/// Records read back from the end of each partition.
const TAIL_RECORDS: i64 = 32;

/// How long the whole look may take.
const LOOK_TIMEOUT: Duration = Duration::from_secs(4);

/// The newest event time (ms since the epoch) among the last records of `topic`, or `None`;
/// writer schemas come from `registry`.
pub async fn latest_event_time(
    kafka_config: &KafkaConfig,
    registry: registry::Client,
    topic: &Topic,
) -> Option<i64> {
    let marks = kafka::watermarks(kafka_config, topic, LOOK_TIMEOUT)
        .await
        .ok()
        .flatten()?;
    let values = last_values(kafka_config, topic, &marks).await?;
    let mut decoder = Decoder::new(registry);
    let mut newest = None;
    for bytes in values {
        if let Ok(Ok(decoded)) = decoder.decode(&bytes).await {
            if let Some(ms) = event_time(&decoded.value) {
                newest = Some(newest.map_or(ms, |n: i64| n.max(ms)));
            }
        }
    }
    newest
}

/// The values of up to [`TAIL_RECORDS`] records at the end of each partition.
async fn last_values(
    kafka_config: &KafkaConfig,
    topic: &Topic,
    marks: &[(i32, i64, i64)],
) -> Option<Vec<Vec<u8>>> {
    let wanted: BTreeMap<i32, (i64, i64)> = marks
        .iter()
        .filter(|(_, low, high)| high > low)
        .map(|(p, low, high)| (*p, ((*high - TAIL_RECORDS).max(*low), *high)))
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let client = kafka::assigned_reader(kafka_config, topic, "resume");
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = client.create().ok()?;
        let mut list = rdkafka::TopicPartitionList::new();
        for (p, (from, _)) in &wanted {
            list.add_partition_offset(&topic, *p, rdkafka::Offset::Offset(*from))
                .ok()?;
        }
        consumer.assign(&list).ok()?;
        let mut left: BTreeMap<i32, i64> =
            wanted.iter().map(|(p, (_, high))| (*p, *high)).collect();
        let mut values = Vec::new();
        let deadline = std::time::Instant::now() + LOOK_TIMEOUT;
        // Whatever arrived by the deadline counts: a partition slow to answer only narrows the look.
        while let (false, Some(wait)) = (
            left.is_empty(),
            deadline.checked_duration_since(std::time::Instant::now()),
        ) {
            let Some(Ok(message)) = consumer.poll(wait) else {
                continue;
            };
            if let Some(payload) = message.payload() {
                values.push(payload.to_vec());
            }
            let partition = message.partition();
            if left
                .get(&partition)
                .is_some_and(|high| message.offset() + 1 >= *high)
            {
                left.remove(&partition);
            }
        }
        Some(values)
    })
    .await
    .ok()
    .flatten()
}

/// A click's `timestamp` in ms, whatever logical type the writer gave it.
fn event_time(value: &Value) -> Option<i64> {
    let Value::Record(fields) = value else {
        return None;
    };
    fields
        .iter()
        .find(|(name, _)| name == "timestamp")
        .and_then(|(_, v)| match v {
            Value::Long(ms) | Value::TimestampMillis(ms) | Value::LocalTimestampMillis(ms) => {
                Some(*ms)
            }
            Value::TimestampMicros(us) | Value::LocalTimestampMicros(us) => Some(us / 1000),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_time_is_read_whatever_its_logical_type() {
        let click = |v: Value| {
            Value::Record(vec![
                ("id".into(), Value::String("c".into())),
                ("timestamp".into(), v),
            ])
        };
        assert_eq!(event_time(&click(Value::Long(5))), Some(5));
        assert_eq!(event_time(&click(Value::TimestampMillis(7))), Some(7));
        assert_eq!(event_time(&click(Value::TimestampMicros(9_000))), Some(9));
        assert_eq!(event_time(&click(Value::String("x".into()))), None);
        assert_eq!(event_time(&Value::Long(1)), None);
    }
}
