//! Answers to the page's consumer-group requests: the list, one group described, and offset
//! resets (a plan, or the plan committed and read back).

use crate::state::AppState;
use pipeline::groups::{self, GroupError};
use pipeline::kafka::KafkaOpError;
use shared::groups::ResetTo;
use shared::protocol::{ErrorCode, ErrorInfo, Response};
use shared::Topic;
use std::time::Duration;

/// How long Kafka may take to answer one group request.
const TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) async fn list(state: &AppState) -> Result<Response, ErrorInfo> {
    let list = groups::list(&state.cluster.config.kafka, TIMEOUT)
        .await
        .map_err(failure)?;
    Ok(Response::Groups(list))
}

pub(crate) async fn describe(group: &str, state: &AppState) -> Result<Response, ErrorInfo> {
    let described = groups::describe(&state.cluster.config.kafka, group, TIMEOUT)
        .await
        .map_err(failure)?;
    Ok(Response::Group(described))
}

pub(crate) async fn reset(
    group: &str,
    topic: &Topic,
    to: ResetTo,
    execute: bool,
    state: &AppState,
) -> Result<Response, ErrorInfo> {
    let plan = groups::reset(
        &state.cluster.config.kafka,
        group,
        topic.as_str(),
        to,
        execute,
        TIMEOUT,
    )
    .await
    .map_err(failure)?;
    Ok(Response::GroupReset(plan))
}

fn failure(error: GroupError) -> ErrorInfo {
    tracing::info!(error = %pipeline::error::describe(&error), "consumer group request failed");
    let code = match &error {
        GroupError::BadName(_) | GroupError::BadTarget(_) => ErrorCode::BadRequest,
        GroupError::NotFound { .. } | GroupError::UnknownTopic { .. } => ErrorCode::NotFound,
        GroupError::Kafka(_)
        | GroupError::Active { .. }
        | GroupError::Commit { .. }
        | GroupError::NotApplied { .. }
        | GroupError::Call { .. } => ErrorCode::KafkaError,
    };
    let message = match &error {
        GroupError::Kafka(KafkaOpError::Unreachable { bootstrap, .. }) => {
            format!("Kafka at {bootstrap} does not answer")
        }
        other => other.to_string(),
    };
    ErrorInfo { code, message }
}
