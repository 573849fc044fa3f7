//! The one place a request from the page is routed: every variant of [`Request`] is matched here,
//! without a catch-all arm, so a new request does not compile until it is answered.
//!
//! The session's gate has already refused what a tab may not ask and rewritten an attendee's
//! names into their namespace (see [`crate::room`]); `Join` and `Instruct`, which change the
//! tab's own standing, are answered by the gate itself and never reach this module.

use crate::jobs::{self, Jobs};
use crate::state::AppState;
use crate::{groups, guide, records, schemas};
use shared::protocol::{
    ClientMessage, ErrorCode, ErrorInfo, Request, RequestId, Response, ServerMessage,
    PROTOCOL_VERSION,
};
use shared::workshop::AttendeeName;
use std::sync::Arc;
use tracing::Instrument as _;

/// Answers one request, within a span naming its kind and id.
pub(crate) async fn answer(
    message: ClientMessage,
    attendee: Option<&AttendeeName>,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> ServerMessage {
    let id = message.id;
    let span = tracing::info_span!("request", kind = message.request.kind(), id = id.0);
    let result = respond(message.request, attendee, state, jobs)
        .instrument(span.clone())
        .await;
    span.in_scope(|| reply(id, result))
}

/// The frame answering request `id` with `result`; a failure is logged once here.
pub(crate) fn reply(id: RequestId, result: Result<Response, ErrorInfo>) -> ServerMessage {
    match result {
        Ok(response) => ServerMessage::Reply { id, response },
        Err(error) => {
            tracing::info!(code = ?error.code, message = %error.message, "request failed");
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
        Request::Hello { protocol, .. } => hello(protocol, state),
        Request::StackStatus => Ok(Response::Stack(state.cluster.status.borrow().clone())),
        Request::Example { example } => Ok(schemas::example(example)),
        Request::Join { .. } | Request::Instruct { .. } => Err(ErrorInfo {
            code: ErrorCode::Internal,
            message: "joining and the instructor's seat are answered by the session".into(),
        }),
        Request::CheckStep { step, answer } => {
            guide::check_step(step, answer.as_deref(), attendee, state).await
        }
        Request::RestartSchemaStep => guide::restart_schema_step(attendee, state).await,
        Request::ResetAttendees { attendee } => guide::reset_attendees(attendee, state).await,
        Request::Broadcast { message } => guide::broadcast(message, state),
        Request::ListSubjects => schemas::list_subjects(state, attendee).await,
        Request::GetSchema { subject, version } => {
            schemas::get_schema(schemas::client(state)?, &subject, version).await
        }
        Request::GetSchemaById { id } => {
            schemas::get_schema_by_id(schemas::client(state)?, id).await
        }
        Request::Register { topic, schema } => {
            schemas::register(schemas::client(state)?, &topic, &schema).await
        }
        Request::CheckCompatibility { topic, schema } => {
            schemas::check_compatibility(schemas::client(state)?, &topic, &schema).await
        }
        Request::GetCompatibility { subject } => {
            schemas::get_compatibility(schemas::client(state)?, subject).await
        }
        Request::SetCompatibility { subject, level } => {
            schemas::set_compatibility(schemas::client(state)?, subject, level).await
        }
        Request::StartProduce(spec) => jobs::start_produce(spec, state, jobs).await,
        Request::StopProduce { job } => jobs::stop_produce(job, jobs),
        Request::StartTail(spec) => jobs::start_tail(spec, state, jobs).await,
        Request::PauseTail { tail, paused } => jobs::pause_tail(tail, paused, jobs),
        Request::StopTail { tail } => jobs::stop_tail(tail, jobs),
        Request::RunBatch(spec) => jobs::start_batch(spec, state, jobs),
        Request::StartStream(spec) => jobs::start_stream(spec, state, jobs),
        Request::StopStream { job } => jobs::stop_stream(job, jobs),
        Request::SendRecords(spec) => records::send(spec, state).await,
        Request::SampleClick { seed } => records::sample(seed),
        Request::ListGroups => groups::list(state).await,
        Request::DescribeGroup { group } => groups::describe(&group, state).await,
        Request::ResetGroup {
            group,
            topic,
            to,
            execute,
        } => groups::reset(&group, &topic, to, execute, state).await,
    }
}

/// The page's greeting: the same protocol is welcome, another is told to reload. The cluster it
/// names has been picked by the session already (see [`crate::session`]).
fn hello(protocol: u32, state: &AppState) -> Result<Response, ErrorInfo> {
    if protocol == PROTOCOL_VERSION {
        Ok(Response::Welcome {
            protocol: PROTOCOL_VERSION,
            bridge_version: env!("CARGO_PKG_VERSION").into(),
            workshop: state.inner.workshop,
            clusters: state.cluster_names(),
            cluster: state.cluster.name.clone(),
            can_switch: state.can_switch(),
        })
    } else {
        Err(ErrorInfo {
            code: ErrorCode::ProtocolMismatch,
            message: format!("this page speaks protocol {protocol} but the bridge speaks {PROTOCOL_VERSION}: reload the page"),
        })
    }
}
