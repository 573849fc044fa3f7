//! Seed step 1 against a registry, shared by the CLI and the browser: register a schema under a
//! topic's value subject and check a candidate, explaining an incompatibility even when the
//! registry gives no reason.

use crate::registry::{self, Client, RegistryError};
use shared::protocol::CompatibilityReport;
use shared::schema::{self, SchemaProblem};
use shared::Topic;

/// What can stop the schema step.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The text is not a valid schema; nothing was sent.
    #[error(transparent)]
    Invalid(#[from] SchemaProblem),
    /// The registry failed or refused.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// Parses `text` off the async runtime: a schema may be megabytes of JSON.
async fn validate(text: &str) -> Result<schema::Described, StepError> {
    let owned = text.to_owned();
    match tokio::task::spawn_blocking(move || schema::validate(&owned)).await {
        Ok(parsed) => Ok(parsed?),
        // The parse cannot panic on any input; were the task lost, parse where we are.
        Err(_) => Ok(schema::validate(text)?),
    }
}

/// Validates `text` locally, then registers it as the value schema of `topic`.
pub async fn register(
    client: &Client,
    topic: &Topic,
    text: &str,
) -> Result<registry::Registered, StepError> {
    validate(text).await?;
    Ok(client.register(&topic.value_subject(), text).await?)
}

/// Validates `text` locally, then checks it against the latest version under `topic`'s value
/// subject.
pub async fn check(
    client: &Client,
    topic: &Topic,
    text: &str,
) -> Result<CompatibilityReport, StepError> {
    let candidate = validate(text).await?;
    let subject = topic.value_subject();
    // A subject with no versions has no level of its own yet: the global one applies.
    let level = match client.compatibility(Some(&subject)).await {
        Ok(level) => level,
        Err(_) => client
            .compatibility(None)
            .await
            .unwrap_or_else(|_| "unknown".into()),
    };
    let latest = match client.version(&subject, "latest").await {
        Err(e) if e.code() == Some(registry::SUBJECT_NOT_FOUND) => {
            return Ok(CompatibilityReport {
                subject,
                compatible: true,
                against_version: None,
                level,
                reasons: vec![],
            });
        }
        other => other?,
    };
    let answer = client.check(&subject, text).await?;
    let mut reasons = answer.messages;
    if !answer.compatible && reasons.is_empty() {
        if let Ok(registered) = schema::validate(&latest.schema) {
            reasons = explain(&level, &registered.schema, &candidate.schema);
        }
    }
    Ok(CompatibilityReport {
        subject,
        compatible: answer.compatible,
        against_version: Some(latest.version),
        level,
        reasons,
    })
}

/// Why `candidate` may not follow `latest` under `level`, worked out with `apache-avro`:
/// BACKWARD needs the candidate to read old data, FORWARD old readers to read new data, FULL both.
fn explain(
    level: &str,
    latest: &apache_avro::Schema,
    candidate: &apache_avro::Schema,
) -> Vec<String> {
    let note = "(explained by kafka-demo; the registry gave no reason)";
    let mut reasons = Vec::new();
    if level.starts_with("BACKWARD") || level.starts_with("FULL") || level == "unknown" {
        if let Some(r) = schema::read_incompatibility(latest, candidate) {
            reasons.push(format!(
                "the new schema cannot read data written with the latest version: {r} {note}"
            ));
        }
    }
    if level.starts_with("FORWARD") || level.starts_with("FULL") {
        if let Some(r) = schema::read_incompatibility(candidate, latest) {
            reasons.push(format!("readers of the latest version cannot read data written with the new schema: {r} {note}"));
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> apache_avro::Schema {
        match schema::validate(text) {
            Ok(d) => d.schema,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn reasons_follow_the_level() {
        let v1 = parse(include_str!("../../schemas/click_v1.avsc"));
        let bad = parse(include_str!(
            "../../schemas/examples/click_incompatible.avsc"
        ));
        let backward = explain("BACKWARD", &v1, &bad);
        assert_eq!(backward.len(), 1);
        assert!(backward[0].contains("campaign_id"), "{backward:?}");
        // Old readers ignore the extra field: forward compatible.
        assert!(explain("FORWARD", &v1, &bad).is_empty());
        assert_eq!(explain("FULL_TRANSITIVE", &v1, &bad).len(), 1);
        // Removing a field without a default breaks forward compatibility the other way round.
        assert_eq!(explain("FORWARD", &bad, &v1).len(), 1);
    }
}
