//! Workshop mode's guided steps and the instructor's requests, as the server answers them:
//! checking a step for the attendee who asks, checking again by itself after events that may
//! have changed a step, resetting attendees and broadcasting.
//!
//! The gate ([`crate::room::Standing::gate`]) has already refused what the tab may not ask,
//! so these answers only do the work. Verdicts come from [`pipeline::workshop::checks`].

use crate::jobs::Jobs;
use crate::outbox::Outgoing;
use crate::room::{steps_to_recheck, Attendees, Control};
use crate::state::AppState;
use pipeline::workshop::checks::{self, Position};
use pipeline::workshop::seen::Seen;
use pipeline::workshop::{probe, reset, step_topic};
use shared::protocol::{ErrorCode, ErrorInfo, Push, Response, ServerMessage};
use shared::workshop::{AttendeeName, ResetReport, Step, StepCheck};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::oneshot;

/// The longest broadcast, in characters.
pub(crate) const MAX_BROADCAST: usize = 500;

/// How long a session may take to stop its jobs, and the writing ones to end.
const STOP_WAIT: Duration = Duration::from_secs(5);
const WRITERS_WAIT: Duration = Duration::from_secs(90);

/// The workshop's attendees, or the refusal of a bridge outside workshop mode.
fn attendees(state: &AppState) -> Result<&Arc<Attendees>, ErrorInfo> {
    state.inner.attendees.as_ref().ok_or_else(|| {
        bad_request("this request belongs to workshop mode; start the bridge with `kafka-demo serve --workshop`".into())
    })
}

/// The name of the attendee who asks, or the refusal of a tab that has not joined.
fn joined(attendee: Option<&AttendeeName>) -> Result<&AttendeeName, ErrorInfo> {
    attendee.ok_or_else(|| {
        crate::scope::forbidden("join the workshop with your name first (Join)".into())
    })
}

/// Checks `step` for the attendee who asks, and stores the verdict in their progress.
pub(crate) async fn check_step(
    step: Step,
    answer: Option<&str>,
    attendee: Option<&AttendeeName>,
    state: &AppState,
) -> Result<Response, ErrorInfo> {
    let attendees = attendees(state)?;
    let who = joined(attendee)?;
    Ok(Response::StepChecked(
        check_and_record(step, answer, who, attendees, state, false).await,
    ))
}

/// Starts step 1 again for the attendee who asks: deletes their own value subject of the step
/// topic (soft, then for good, so the name can start over at version 1), then checks the step.
pub(crate) async fn restart_schema_step(
    attendee: Option<&AttendeeName>,
    state: &AppState,
) -> Result<Response, ErrorInfo> {
    let attendees = attendees(state)?;
    let who = joined(attendee)?;
    let (Some(topic), Some(client)) = (step_topic(who), state.cluster.registry.as_ref()) else {
        return Err(ErrorInfo {
            code: ErrorCode::Internal,
            message: "the bridge could not set up its registry client".into(),
        });
    };
    reset::remove_subject(client, &topic.value_subject())
        .await
        .map_err(|e| ErrorInfo {
            code: ErrorCode::RegistryError,
            message: e.to_string(),
        })?;
    Ok(Response::StepChecked(
        check_and_record(Step::Schema, None, who, attendees, state, false).await,
    ))
}

/// Resets one attendee, or all of them (the instructor's request).
pub(crate) async fn reset_attendees(
    attendee: Option<AttendeeName>,
    state: &AppState,
) -> Result<Response, ErrorInfo> {
    let attendees = attendees(state)?;
    let names = attendee.map_or_else(|| attendees.names(), |n| vec![n]);
    let mut reports = Vec::new();
    for name in names {
        reports.push(reset_one(&name, attendees, state).await?);
    }
    Ok(Response::Reset(reports))
}

/// Sends the instructor's message to every tab.
pub(crate) fn broadcast(message: String, state: &AppState) -> Result<Response, ErrorInfo> {
    broadcast_to(message, attendees(state)?)
}

/// Checks again, by itself, the steps of `name` that need no answer and are not done yet.
pub(crate) async fn recheck(name: AttendeeName, state: AppState) {
    let Some(attendees) = &state.inner.attendees else {
        return;
    };
    let Some(snapshot) = attendees.snapshot(&name) else {
        return;
    };
    for step in steps_to_recheck(&snapshot.progress) {
        check_and_record(step, None, &name, attendees, &state, true).await;
    }
}

/// Runs one check and stores it in the attendee's progress.
async fn check_and_record(
    step: Step,
    answer: Option<&str>,
    name: &AttendeeName,
    attendees: &Attendees,
    state: &AppState,
    quiet: bool,
) -> StepCheck {
    let snapshot = attendees.snapshot(name);
    let seen = snapshot
        .as_ref()
        .map(|s| s.seen.clone())
        .unwrap_or_default();
    let mut check = run_check(step, answer, name, &seen, state).await;
    check.checked_at_ms = crate::clock::now_ms();
    match snapshot {
        Some(snapshot) => attendees.record(name, snapshot.generation, &check, quiet),
        None => check,
    }
}

/// One step's check against the services and the attendee's evidence.
async fn run_check(
    step: Step,
    answer: Option<&str>,
    name: &AttendeeName,
    seen: &Seen,
    state: &AppState,
) -> StepCheck {
    let (Some(topic), Some(client)) = (step_topic(name), state.cluster.registry.as_ref()) else {
        return checks::unreachable(step, "the bridge could not set up its registry client");
    };
    let subject = topic.value_subject();
    let kafka = &state.cluster.config.kafka;
    let outcome = match step {
        Step::Schema => probe::subject(client, &subject)
            .await
            .map(|s| checks::schema(&s, subject.as_str())),
        Step::Produce => probe::records(kafka, &topic)
            .await
            .map(|n| checks::produce(n, topic.as_str())),
        Step::Consume => match answer.and_then(checks::parse_position) {
            None => Ok(checks::malformed_position(answer)),
            Some((partition, offset)) => probe::position(kafka, client, &topic, partition, offset)
                .await
                .map(|found: Position| checks::consume(partition, offset, &found)),
        },
        Step::Batch => Ok(checks::batch(answer, seen)),
        Step::Stream => Ok(checks::stream(seen.closed.as_ref(), seen.stream_standing())),
        Step::Evolve => probe::subject(client, &subject)
            .await
            .map(|s| checks::evolve(&s, seen)),
    };
    outcome.unwrap_or_else(|problem| checks::unreachable(step, &problem))
}

/// Stops `name`'s jobs, removes their topics, subjects and folders, and starts their progress
/// over; their tab is told.
async fn reset_one(
    name: &AttendeeName,
    attendees: &Attendees,
    state: &AppState,
) -> Result<ResetReport, ErrorInfo> {
    let link = attendees.link(name);
    let jobs_stopped = match &link {
        Some(link) => stop_jobs(&link.control).await,
        None => {
            wind_down(attendees.leftover(name)).await;
            0
        }
    };
    let client = state.cluster.registry.as_ref().ok_or_else(|| ErrorInfo {
        code: ErrorCode::Internal,
        message: "the bridge could not set up its registry client".into(),
    })?;
    let removed = reset::remove(&state.cluster.config, client, name)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "reset failed");
            ErrorInfo {
                code: ErrorCode::Internal,
                message: e.to_string(),
            }
        })?;
    attendees.clear(name);
    let report = ResetReport {
        name: name.clone(),
        topics: removed.topics,
        subjects: removed.subjects,
        folders: removed.folders,
        jobs_stopped,
    };
    if let Some(link) = link {
        let push = ServerMessage::Push(Push::WasReset(report.clone()));
        // A tab that does not read is not waited for long: the reset is done either way.
        let _ = tokio::time::timeout(STOP_WAIT, link.outbox.send(Outgoing::Message(push))).await;
    }
    Ok(report)
}

/// Asks a session to stop its jobs and waits (bounded) until those that write have ended, so
/// none recreates a topic or folder after it is deleted.
async fn stop_jobs(control: &tokio::sync::mpsc::Sender<Control>) -> u32 {
    let (tx, rx) = oneshot::channel();
    if control.send(Control::StopJobs(tx)).await.is_err() {
        return 0;
    }
    let Ok(Ok((count, mut writers))) = tokio::time::timeout(STOP_WAIT, rx).await else {
        return 0;
    };
    let ended = tokio::time::timeout(WRITERS_WAIT, writers.wait_for(|n| *n == 0)).await;
    if ended.is_err() {
        tracing::warn!("jobs of a reset attendee did not end in time; resetting anyway");
    }
    count
}

/// Waits (bounded) until the jobs of a session that already ended have all ended: each running
/// job holds its set, so the set is gone once the last one ends. Jobs say nothing when they end
/// after their session, so this looks a few times a second.
async fn wind_down(jobs: Weak<Jobs>) {
    let deadline = tokio::time::Instant::now() + WRITERS_WAIT;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    while jobs.strong_count() > 0 {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!("jobs of a reset attendee did not end in time; resetting anyway");
            return;
        }
        tick.tick().await;
    }
}

fn broadcast_to(message: String, attendees: &Attendees) -> Result<Response, ErrorInfo> {
    let len = message.chars().count();
    if len > MAX_BROADCAST {
        return Err(bad_request(format!(
            "a broadcast holds at most {MAX_BROADCAST} characters; this one has {len}"
        )));
    }
    if message.trim().is_empty() {
        return Err(bad_request("a broadcast needs some text".into()));
    }
    attendees.broadcast(message);
    Ok(Response::Done)
}

fn bad_request(message: String) -> ErrorInfo {
    ErrorInfo {
        code: ErrorCode::BadRequest,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_are_bounded_and_not_empty() {
        let attendees = Attendees::new("k".into(), shared::workshop::Limits::default());
        let long = "x".repeat(MAX_BROADCAST + 1);
        let refused = broadcast_to(long, &attendees).map_err(|e| (e.code, e.message));
        assert!(
            matches!(&refused, Err((ErrorCode::BadRequest, m)) if m.contains("500")),
            "{refused:?}"
        );
        assert!(broadcast_to(" ".into(), &attendees).is_err());
        let exact = "é".repeat(MAX_BROADCAST);
        assert_eq!(broadcast_to(exact, &attendees), Ok(Response::Done));
    }
}
