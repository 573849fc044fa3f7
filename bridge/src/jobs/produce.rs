//! A produce run started from the page: checked, held to the workshop's limit, reported once a
//! second and summed up at the end.

use super::registry::{millis, Jobs, Kind};
use crate::outbox::Outgoing;
use crate::state::AppState;
use pipeline::produce::{self, ProduceError, ProduceReport, Progress, Stopped};
use shared::generator::PAGE_EVENTS_PER_SECOND;
use shared::protocol::{
    ErrorCode, ErrorInfo, JobId, ProduceFinished, ProduceSpec, ProduceUpdate, Push, Response,
    ServerMessage,
};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

/// How long an attendee's producer waits to fill a batch. A room's producers each send at most
/// their limit (1,000 records/s by default): at the usual 5 ms, fifty of them make ten thousand
/// small requests a second, which on a small machine leaves no time to answer anyone; at 50 ms
/// they make a tenth of that (docs/benchmarks.md, workshop load).
const ROOM_LINGER: Duration = Duration::from_millis(50);

/// Checks and starts a produce run; answers once the first record can be sent.
pub(crate) async fn start_produce(
    spec: ProduceSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    // Each run continues the topic's event time, so more clicks always move the watermark on.
    let last = match &state.cluster.registry {
        Some(registry) => {
            let kafka = &state.cluster.config.kafka;
            pipeline::produce::resume::latest_event_time(kafka, registry.clone(), &spec.topic).await
        }
        None => None,
    };
    let start_ms = last.map(|ms| ms + (1000.0 / PAGE_EVENTS_PER_SECOND).ceil() as i64);
    let mut request = crate::translate::produce(&spec, start_ms).map_err(|message| ErrorInfo {
        code: ErrorCode::BadRequest,
        message,
    })?;
    let held = held_rate(spec.rate, jobs.limits.map(|l| l.produce_rate));
    if let Some(limit) = held {
        tracing::info!(asked = ?spec.rate, limit, topic = %spec.topic, "produce run held to the workshop limit");
        request.rate = Some(limit);
    }
    if jobs.limits.is_some() {
        request.linger = ROOM_LINGER;
    }
    let prepared = produce::prepare(&state.cluster.config, &request, &spec.schema)
        .await
        .map_err(produce_error)?;
    let (job, stop) = jobs.admit(Kind::Produce)?;
    let started = Response::ProduceStarted {
        job,
        schema: crate::schemas::registered(prepared.schema().clone()),
        topic_created: prepared.topic_created(),
        event_start_ms: request.generator.options().start_ms,
    };
    let jobs = Arc::clone(jobs);
    let span = tracing::info_span!("job", kind = "produce", id = job.0, topic = %spec.topic);
    state.inner.sessions.spawn(
        async move {
            let shutdown = produce::Shutdown {
                stop,
                give_up: CancellationToken::new(),
            };
            let outbox = jobs.outbox.clone();
            let report = prepared
                .run(&shutdown, move |p| {
                    // Progress is news, not state: when the tab is slow to read, skip a beat.
                    let _ = outbox.try_send(Outgoing::Message(ServerMessage::Push(Push::Produce(
                        update(job, p),
                    ))));
                })
                .await;
            let mut last = final_update(job, report);
            if let (Some(limit), Some(finished)) = (held, last.finished.as_mut()) {
                finished.stopped = format!(
                    "{}; held to the workshop limit of {limit} records/s",
                    finished.stopped
                );
            }
            jobs.push(Push::Produce(last)).await;
            jobs.forget(job);
        }
        .instrument(span),
    );
    Ok(started)
}

/// The limit a produce run is held to, when it must be: it asked for more than the limit, or
/// for no rate at all (as fast as possible). `None` when the run may go as asked.
fn held_rate(asked: Option<f64>, limit: Option<f64>) -> Option<f64> {
    let limit = limit?;
    match asked {
        Some(rate) if rate <= limit => None,
        _ => Some(limit),
    }
}

/// Stops a produce run of this tab.
pub(crate) fn stop_produce(job: JobId, jobs: &Jobs) -> Result<Response, ErrorInfo> {
    jobs.stop(job, |k| matches!(k, Kind::Produce))
}

fn update(job: JobId, p: &Progress) -> ProduceUpdate {
    ProduceUpdate {
        job,
        elapsed_ms: millis(p.elapsed),
        sent: p.sent,
        acknowledged: p.acknowledged,
        failed: p.failed,
        rate: p.rate,
        p50_ms: ms(p.latency.p50),
        p99_ms: ms(p.latency.p99),
        finished: None,
    }
}

fn final_update(job: JobId, report: Result<ProduceReport, ProduceError>) -> ProduceUpdate {
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            let why = produce_error(e).message;
            tracing::warn!(job = job.0, error = %why, "produce run failed");
            return failed_run(job, why);
        }
    };
    let seconds = report.elapsed.as_secs_f64();
    let m = &report.manifest;
    let poison =
        m.poison.wrong_magic.len() + m.poison.unknown_schema_id.len() + m.poison.truncated.len();
    ProduceUpdate {
        job,
        elapsed_ms: millis(report.elapsed),
        sent: report.sent,
        acknowledged: report.acknowledged,
        failed: report.failed,
        rate: if seconds > 0.0 {
            report.sent as f64 / seconds
        } else {
            0.0
        },
        p50_ms: ms(report.latency.p50),
        p99_ms: ms(report.latency.p99),
        finished: Some(ProduceFinished {
            stopped: stopped_words(&report.stopped),
            not_delivered: report.not_delivered(),
            first_error: report.first_error.clone(),
            records: m.totals.clicks,
            poison: poison as u64,
            duplicates: m.duplicate_ids.len() as u64,
        }),
    }
}

fn failed_run(job: JobId, why: String) -> ProduceUpdate {
    ProduceUpdate {
        job,
        elapsed_ms: 0,
        sent: 0,
        acknowledged: 0,
        failed: 0,
        rate: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        finished: Some(ProduceFinished {
            stopped: "failed".into(),
            not_delivered: 0,
            first_error: Some(why),
            records: 0,
            poison: 0,
            duplicates: 0,
        }),
    }
}

fn stopped_words(stopped: &Stopped) -> String {
    match stopped {
        Stopped::Count => "all records sent".into(),
        Stopped::Duration => "the duration passed".into(),
        Stopped::Interrupted => "stopped".into(),
        Stopped::Refused(why) => format!("Kafka refused a record: {why}"),
    }
}

fn ms(d: Option<Duration>) -> f64 {
    d.map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn produce_error(e: ProduceError) -> ErrorInfo {
    let code = match &e {
        ProduceError::Schema(_) | ProduceError::Encoder(_) => ErrorCode::InvalidSchema,
        ProduceError::Kafka(_) | ProduceError::Producer(_) => ErrorCode::KafkaError,
        ProduceError::Registry(_) => ErrorCode::RegistryError,
        _ => ErrorCode::Internal,
    };
    let message = pipeline::error::describe(&e);
    ErrorInfo { code, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produce_runs_are_held_to_the_limit_only_when_they_ask_for_more() {
        assert_eq!(held_rate(Some(50_000.0), Some(2_000.0)), Some(2_000.0));
        assert_eq!(held_rate(None, Some(2_000.0)), Some(2_000.0));
        assert_eq!(held_rate(Some(2_000.0), Some(2_000.0)), None);
        assert_eq!(held_rate(Some(10.0), Some(2_000.0)), None);
        assert_eq!(held_rate(None, None), None, "unthrottled stays unthrottled");
        assert_eq!(held_rate(Some(50_000.0), None), None);
    }
}
