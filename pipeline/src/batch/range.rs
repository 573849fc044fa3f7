//! Which records a batch run reads: the topic's partitions and, for each, a range of offsets
//! resolved on the brokers before Spark starts, so the run reads a fixed snapshot even while
//! producers keep writing.

use crate::kafka::{client_config, partition_watermarks};
use crate::settings::KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};
use shared::Topic;
use std::collections::BTreeMap;
use std::time::Duration;

/// Where a run starts or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bound {
    /// The oldest (start) or newest (end) record of each partition.
    #[default]
    Edge,
    /// The same offset in every partition (an end offset is exclusive).
    Offset(i64),
    /// The first record whose Kafka timestamp is at or after this time (ms since the epoch).
    Timestamp(i64),
}

pub use shared::batch::PartitionRange;

/// What went wrong resolving the range.
#[derive(Debug, thiserror::Error)]
pub enum RangeError {
    /// The brokers could not be asked.
    #[error("no answer from Kafka at {bootstrap}: {reason}")]
    Kafka {
        /// Where we looked.
        bootstrap: String,
        /// librdkafka's reason.
        reason: KafkaError,
    },
    /// The brokers refused this client or did not answer at all.
    #[error(transparent)]
    Reach(#[from] crate::kafka::KafkaOpError),
    /// The topic does not exist.
    #[error("topic {0} does not exist (kafka-demo topic list shows the topics there are)")]
    UnknownTopic(String),
    /// An offset outside what a partition holds.
    #[error("offset range {start}..{end} is outside partition {partition} of {topic}, which holds offsets {low}..{high}")]
    OutOfRange {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// Requested start.
        start: i64,
        /// Requested end.
        end: i64,
        /// The partition's oldest offset.
        low: i64,
        /// One past its newest offset.
        high: i64,
    },
    /// The start comes after the end.
    #[error("the range is backwards: it starts after it ends")]
    Backwards,
    /// A blocking call's thread failed.
    #[error("internal error while asking Kafka for offsets: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Resolves `from..to` into offsets for every partition of `topic`.
pub async fn resolve(
    kafka: &KafkaConfig,
    topic: &Topic,
    from: Bound,
    to: Bound,
    timeout: Duration,
) -> Result<Vec<PartitionRange>, RangeError> {
    if let (Bound::Offset(a), Bound::Offset(b)) | (Bound::Timestamp(a), Bound::Timestamp(b)) =
        (from, to)
    {
        if a > b {
            return Err(RangeError::Backwards);
        }
    }
    // Brokers that refuse this client would make every offset request wait out its timeout.
    crate::kafka::broker_count(kafka, timeout).await?;
    let config = client_config(kafka);
    let bootstrap = kafka.bootstrap_servers.clone();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let fail = |reason| RangeError::Kafka {
            bootstrap: bootstrap.clone(),
            reason,
        };
        let consumer: BaseConsumer = config.create().map_err(fail)?;
        let marks = partition_watermarks(&consumer, &topic, timeout)
            .map_err(fail)?
            .ok_or_else(|| RangeError::UnknownTopic(topic.clone()))?;
        let starts = bound_offsets(&consumer, &topic, &marks, from, timeout).map_err(fail)?;
        let ends = bound_offsets(&consumer, &topic, &marks, to, timeout).map_err(fail)?;
        marks
            .iter()
            .map(|(&partition, &(low, high))| {
                let start = starts.get(&partition).copied().unwrap_or(low);
                let end = ends.get(&partition).copied().unwrap_or(high);
                check(&topic, partition, (start, end), (low, high), from, to)
            })
            .collect()
    })
    .await?
}

/// The offset each partition's bound names.
fn bound_offsets(
    consumer: &BaseConsumer,
    topic: &str,
    marks: &BTreeMap<i32, (i64, i64)>,
    bound: Bound,
    timeout: Duration,
) -> Result<BTreeMap<i32, i64>, KafkaError> {
    match bound {
        Bound::Edge => Ok(BTreeMap::new()),
        Bound::Offset(o) => Ok(marks.keys().map(|&p| (p, o)).collect()),
        Bound::Timestamp(ms) => {
            let mut list = TopicPartitionList::new();
            for &p in marks.keys() {
                list.add_partition_offset(topic, p, Offset::Offset(ms))?;
            }
            let found = consumer.offsets_for_times(list, timeout)?;
            Ok(found
                .elements()
                .iter()
                .filter_map(|e| {
                    let high = marks.get(&e.partition())?.1;
                    let offset = match e.offset() {
                        Offset::Offset(o) => o,
                        _ => high, // no record at or after the time
                    };
                    Some((e.partition(), offset))
                })
                .collect())
        }
    }
}

/// Checks explicit offsets against what the partition holds; a time range is clamped instead,
/// since it names no offsets.
fn check(
    topic: &str,
    partition: i32,
    (start, end): (i64, i64),
    (low, high): (i64, i64),
    from: Bound,
    to: Bound,
) -> Result<PartitionRange, RangeError> {
    let explicit = matches!(from, Bound::Offset(_)) || matches!(to, Bound::Offset(_));
    if explicit && (start < low || end > high || start > end) {
        return Err(RangeError::OutOfRange {
            topic: topic.to_owned(),
            partition,
            start,
            end,
            low,
            high,
        });
    }
    let start = start.clamp(low, high);
    Ok(PartitionRange {
        partition,
        start,
        end: end.clamp(start, high),
    })
}

/// Spark's `startingOffsets` / `endingOffsets` option: `{"topic":{"0":12,"1":40}}`.
pub fn spark_offsets(topic: &Topic, ranges: &[PartitionRange], end: bool) -> String {
    let offsets: BTreeMap<String, i64> = ranges
        .iter()
        .map(|r| (r.partition.to_string(), if end { r.end } else { r.start }))
        .collect();
    let doc = BTreeMap::from([(topic.as_str(), offsets)]);
    serde_json::to_string(&doc).unwrap_or_default()
}

/// Reads `--from`/`--to`: an RFC 3339 time or milliseconds since the epoch.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            format!("not an RFC 3339 time (2026-11-25T10:00:00Z) or epoch milliseconds: {e}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_rfc3339_or_epoch_ms() {
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_time("2023-11-14T23:13:20+01:00"),
            Ok(1_700_000_000_000)
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn explicit_offsets_outside_a_partition_are_refused() {
        let r = check("t", 0, (0, 50), (0, 10), Bound::Edge, Bound::Offset(50));
        assert!(
            matches!(r, Err(RangeError::OutOfRange { high: 10, .. })),
            "{r:?}"
        );
        let ok = check("t", 0, (2, 8), (0, 10), Bound::Offset(2), Bound::Offset(8));
        assert_eq!(ok.ok().map(|r| r.len()), Some(6));
    }

    #[test]
    fn time_ranges_are_clamped() {
        let r = check(
            "t",
            1,
            (7, 3),
            (0, 10),
            Bound::Timestamp(5),
            Bound::Timestamp(9),
        );
        assert_eq!(r.ok().map(|r| (r.start, r.end)), Some((7, 7)));
    }

    #[test]
    fn spark_offsets_name_every_partition() {
        let topic = Topic::new("clicks").unwrap_or_else(|e| panic!("{e}"));
        let ranges = [
            PartitionRange {
                partition: 0,
                start: 1,
                end: 5,
            },
            PartitionRange {
                partition: 1,
                start: 0,
                end: 9,
            },
        ];
        assert_eq!(
            spark_offsets(&topic, &ranges, false),
            r#"{"clicks":{"0":1,"1":0}}"#
        );
        assert_eq!(
            spark_offsets(&topic, &ranges, true),
            r#"{"clicks":{"0":5,"1":9}}"#
        );
    }
}
