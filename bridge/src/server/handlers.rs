//! Answers to each request of the WebSocket protocol. Failures become an [`ErrorInfo`] whose
//! message a person can act on; the full cause goes to the log.

use super::jobs::{self, Jobs};
use super::AppState;
use crate::registry::{self, RegistryError};
use crate::schema_step::{self, StepError};
use futures_util::StreamExt as _;
use shared::protocol::{
    ClientMessage, ErrorCode, ErrorInfo, Example, Request, RequestId, Response, ServerMessage,
    SubjectInfo, SubjectVersion, PROTOCOL_VERSION,
};
use shared::workshop::AttendeeName;
use std::sync::Arc;

/// Version lists asked of the registry at once when listing subjects.
const VERSION_LOOKUPS: usize = 8;

/// Answers one request.
pub(super) async fn answer(
    message: ClientMessage,
    attendee: Option<&AttendeeName>,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> ServerMessage {
    let id = message.id;
    reply(id, respond(message.request, attendee, state, jobs).await)
}

/// The frame answering request `id` with `result`; a failure is logged once here.
pub(super) fn reply(id: RequestId, result: Result<Response, ErrorInfo>) -> ServerMessage {
    match result {
        Ok(response) => ServerMessage::Reply { id, response },
        Err(error) => {
            tracing::info!(request = id.0, code = ?error.code, message = %error.message, "request failed");
            ServerMessage::Failed { id, error }
        }
    }
}

async fn respond(
    request: Request,
    attendee: Option<&AttendeeName>,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    match request {
        Request::Hello { protocol } if protocol == PROTOCOL_VERSION => Ok(Response::Welcome {
            protocol: PROTOCOL_VERSION,
            bridge_version: env!("CARGO_PKG_VERSION").into(),
            workshop: state.inner.workshop,
        }),
        Request::Hello { protocol } => Err(ErrorInfo {
            code: ErrorCode::ProtocolMismatch,
            message: format!("this page speaks protocol {protocol} but the bridge speaks {PROTOCOL_VERSION}: reload the page"),
        }),
        Request::StackStatus => Ok(Response::Stack(state.inner.status.borrow().clone())),
        Request::Example { example } => {
            let (file, text) = example_text(example);
            Ok(Response::Example { example, file: file.into(), text: text.into() })
        }
        // The session answers the workshop's requests itself: it owns the tab's name and seat
        // (see `workshop`).
        Request::Join { .. }
        | Request::Instruct { .. }
        | Request::CheckStep { .. }
        | Request::ResetAttendees { .. }
        | Request::Broadcast { .. } => Err(ErrorInfo {
            code: ErrorCode::BadRequest,
            message: "this request belongs to workshop mode; start the bridge with `kafka-demo serve --workshop`".into(),
        }),
        Request::StartProduce(spec) => jobs::start_produce(spec, state, jobs).await,
        Request::StopProduce { job } => jobs::stop_produce(job, jobs),
        Request::StartTail(spec) => jobs::start_tail(spec, state, jobs).await,
        Request::PauseTail { tail, paused } => jobs::pause_tail(tail, paused, jobs),
        Request::StopTail { tail } => jobs::stop_tail(tail, jobs),
        Request::RunBatch(spec) => jobs::start_batch(spec, state, jobs),
        Request::StartStream(spec) => jobs::start_stream(spec, state, jobs),
        Request::StopStream { job } => jobs::stop_stream(job, jobs),
        other => registry_request(other, attendee, state).await,
    }
}

async fn registry_request(
    request: Request,
    attendee: Option<&AttendeeName>,
    state: &AppState,
) -> Result<Response, ErrorInfo> {
    let client = state.inner.registry.as_ref().ok_or_else(|| ErrorInfo {
        code: ErrorCode::Internal,
        message: "the bridge could not set up its registry client".into(),
    })?;
    let registry_failure = |e: RegistryError| registry_error(e, client);
    match request {
        Request::ListSubjects => {
            let mut subjects = client.subjects().await.map_err(registry_failure)?;
            // An attendee sees only their own subjects: leave the others out before asking for
            // their versions, so a list costs the same however many attendees there are.
            if let Some(who) = attendee {
                subjects.retain(|s| who.owns_subject(s));
            }
            let all = futures_util::stream::iter(subjects)
                .map(|subject| async move {
                    let versions = client.versions(&subject).await?;
                    Ok(SubjectInfo { subject, versions })
                })
                .buffered(VERSION_LOOKUPS)
                .collect::<Vec<Result<SubjectInfo, RegistryError>>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
                .map_err(registry_failure)?;
            Ok(Response::Subjects(all))
        }
        Request::GetSchema { subject, version } => {
            let version = match version {
                shared::protocol::VersionRef::Latest => "latest".to_owned(),
                shared::protocol::VersionRef::Number(n) => n.to_string(),
            };
            let found = client
                .version(&subject, &version)
                .await
                .map_err(registry_failure)?;
            Ok(Response::Schema(registered(found)))
        }
        Request::GetSchemaById { id } => {
            let schema = client.schema_by_id(id).await.map_err(registry_failure)?;
            // Which subjects use it is a nicety: a registry without the endpoint still answers.
            let versions = client
                .versions_of_id(id)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(subject, version)| SubjectVersion { subject, version })
                .collect();
            Ok(Response::SchemaText {
                id,
                schema,
                versions,
            })
        }
        Request::Register { topic, schema } => {
            let done = schema_step::register(client, &topic, &schema)
                .await
                .map_err(|e| step_error(e, client))?;
            Ok(Response::Schema(registered(done)))
        }
        Request::CheckCompatibility { topic, schema } => {
            let report = schema_step::check(client, &topic, &schema)
                .await
                .map_err(|e| step_error(e, client))?;
            Ok(Response::Compatibility(report))
        }
        Request::GetCompatibility { subject } => {
            let level = client
                .compatibility(subject.as_ref())
                .await
                .map_err(registry_failure)?;
            Ok(Response::Level { subject, level })
        }
        Request::SetCompatibility { subject, level } => {
            let level = client
                .set_compatibility(subject.as_ref(), level.as_str())
                .await
                .map_err(registry_failure)?;
            Ok(Response::Level { subject, level })
        }
        _ => Err(ErrorInfo {
            code: ErrorCode::Internal,
            message: "request routed to the wrong handler".into(),
        }),
    }
}

pub(super) fn registered(r: registry::Registered) -> shared::protocol::RegisteredSchema {
    shared::protocol::RegisteredSchema {
        subject: r.subject,
        version: r.version,
        id: r.id,
        schema: r.schema,
    }
}

fn step_error(error: StepError, client: &registry::Client) -> ErrorInfo {
    match error {
        StepError::Invalid(problem) => ErrorInfo {
            code: ErrorCode::InvalidSchema,
            message: format!("The schema is not valid: {problem}"),
        },
        StepError::Registry(e) => registry_error(e, client),
    }
}

/// A registry failure in words for the page.
fn registry_error(error: RegistryError, client: &registry::Client) -> ErrorInfo {
    tracing::debug!(error = ?error, "registry request failed");
    let (code, message) = match &error {
        RegistryError::Unreachable { reason, .. } => (
            ErrorCode::RegistryUnreachable,
            format!("The schema registry at {} is not answering ({reason}). Is the stack up? Run `kafka-demo stack up`.", client.url()),
        ),
        RegistryError::Api { code: Some(registry::SUBJECT_NOT_FOUND), .. } => (ErrorCode::NotFound, "That subject has no versions registered.".into()),
        RegistryError::Api { code: Some(registry::VERSION_NOT_FOUND), .. } => (ErrorCode::NotFound, "That version does not exist.".into()),
        RegistryError::Api { code: Some(registry::SCHEMA_NOT_FOUND), .. } => (ErrorCode::NotFound, "No schema has that id.".into()),
        RegistryError::Api { status: 409, message, .. } => (ErrorCode::Incompatible, format!("The registry refused the schema as incompatible: {}", registry_words(message))),
        RegistryError::Api { status: 422, message, .. } => (ErrorCode::InvalidSchema, format!("The registry refused the schema: {}", registry_words(message))),
        RegistryError::Api { message, status, .. } => (ErrorCode::RegistryError, format!("The registry answered with an error (HTTP {status}): {}", registry_words(message))),
        RegistryError::Decode { .. } | RegistryError::Client(_) => (ErrorCode::RegistryError, error.to_string()),
    };
    ErrorInfo { code, message }
}

/// Registry messages sometimes lead with a Java exception class; people do not need it.
fn registry_words(message: &str) -> &str {
    match message.split_once("Exception: ") {
        Some((_, rest)) => rest,
        None => message,
    }
}

/// The schema files kafka-demo ships, built into the binary.
pub(crate) fn example_text(example: Example) -> (&'static str, &'static str) {
    match example {
        Example::ClickV1 => (
            "click_v1.avsc",
            include_str!("../../../schemas/click_v1.avsc"),
        ),
        Example::ClickV2 => (
            "click_v2.avsc",
            include_str!("../../../schemas/click_v2.avsc"),
        ),
        Example::ClickIncompatible => (
            "click_incompatible.avsc",
            include_str!("../../tests/data/click_incompatible.avsc"),
        ),
        Example::ClickSeed => (
            "click_seed.avsc",
            include_str!("../../tests/data/click_seed.avsc"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_class_names_are_dropped_from_registry_messages() {
        assert_eq!(
            registry_words(
                "io.apicurio.registry.rules.RuleViolationException: Incompatible artifact: x"
            ),
            "Incompatible artifact: x"
        );
        assert_eq!(registry_words("plain"), "plain");
    }

    #[test]
    fn examples_are_the_shipped_files() {
        assert!(example_text(Example::ClickV1)
            .1
            .contains("\"name\": \"click\""));
        assert!(example_text(Example::ClickV2).1.contains("country"));
        assert!(example_text(Example::ClickIncompatible)
            .1
            .contains("campaign_id"));
        assert!(example_text(Example::ClickSeed)
            .1
            .contains("\"float\" },\n"));
    }
}
