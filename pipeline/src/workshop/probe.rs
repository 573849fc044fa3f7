//! The lookups behind the checks: the attendee's subject in the registry, their topic's record
//! count, and the record at a position, decoded the way the page's inspector decodes it.
//!
//! Failures come back as a sentence: a check that cannot ask a service is not done, and says why.

use super::checks::{Position, Subject};
use crate::kafka;
use crate::registry::{self, RegistryError};
use crate::settings::KafkaConfig;
use shared::decode::{PoisonReason, Row, Writers};
use shared::wire::Frame;
use shared::{SchemaId, Topic};
use std::time::Duration;

/// How long a metadata or watermark call may take.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the record at a position.
const READ_WAIT: Duration = Duration::from_secs(10);

/// The subject's versions and its latest text.
pub async fn subject(
    client: &registry::Client,
    subject: &shared::Subject,
) -> Result<Subject, String> {
    let versions = match client.versions(subject).await {
        Ok(versions) if !versions.is_empty() => versions,
        Ok(_) => return Ok(Subject::Missing),
        Err(e) if not_found(&e) => return Ok(Subject::Missing),
        Err(e) => return Err(e.to_string()),
    };
    let latest = client
        .version(subject, "latest")
        .await
        .map_err(|e| e.to_string())?;
    Ok(Subject::Found {
        versions,
        latest: latest.schema,
    })
}

/// Records the topic holds (high − low watermark, summed), or `None` when it does not exist.
pub async fn records(kafka: &KafkaConfig, topic: &Topic) -> Result<Option<u64>, String> {
    let marks = kafka::watermarks(kafka, topic, KAFKA_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    Ok(marks.map(|marks| {
        marks
            .iter()
            .map(|(_, low, high)| u64::try_from(high - low).unwrap_or(0))
            .sum()
    }))
}

/// What is at `partition:offset` of `topic`.
pub async fn position(
    kafka: &KafkaConfig,
    client: &registry::Client,
    topic: &Topic,
    partition: i32,
    offset: i64,
) -> Result<Position, String> {
    let marks = kafka::watermarks(kafka, topic, KAFKA_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    let Some(marks) = marks else {
        return Ok(Position::NoTopic);
    };
    let Some(&(_, low, high)) = marks.iter().find(|(p, _, _)| *p == partition) else {
        return Ok(Position::NoPartition {
            partitions: marks.len(),
        });
    };
    if !(low..high).contains(&offset) {
        return Ok(Position::OutOfRange { low, high });
    }
    let value = kafka::read_value(kafka, topic, partition, offset, READ_WAIT)
        .await
        .map_err(|e| e.to_string())?;
    match value {
        Some(value) => judge(client, &value).await,
        None => Ok(Position::NotRead),
    }
}

/// Decodes a record value with its writer schema, as the inspector does.
async fn judge(client: &registry::Client, value: &[u8]) -> Result<Position, String> {
    let id = match Frame::parse(value) {
        Ok(frame) => frame.schema_id,
        Err(e) => return Ok(Position::Poison(PoisonReason::from(e))),
    };
    let text = match client.schema_by_id(id).await {
        Ok(text) => text,
        Err(e) if not_found(&e) => {
            return Ok(Position::Poison(PoisonReason::UnknownSchemaId { id }))
        }
        Err(e) => return Err(e.to_string()),
    };
    let schema = match shared::names::parse_schema(&text) {
        Ok(schema) => schema,
        Err(e) => {
            return Ok(undecodable(
                id,
                format!("the registry's schema is not Avro: {e}"),
            ))
        }
    };
    let mut writers = Writers::new();
    writers.insert(id, &schema);
    let mut row = Row::new();
    Ok(match writers.decode(value, &mut row) {
        Ok(framed) => Position::Click(framed.schema_id),
        Err(reason) => Position::Poison(reason),
    })
}

fn undecodable(id: SchemaId, detail: String) -> Position {
    Position::Poison(PoisonReason::Undecodable { id, detail })
}

fn not_found(error: &RegistryError) -> bool {
    matches!(error, RegistryError::Api { status: 404, .. })
}
