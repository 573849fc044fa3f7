//! A tail started from the page: raw records of every partition in binary frames, paused,
//! resumed and stopped by the tab.

use super::registry::{no_such_job, Control, Jobs, Kind};
use crate::outbox::Outgoing;
use crate::state::AppState;
use pipeline::tail::{self, TailError, TailOutput};
use shared::protocol::{ErrorCode, ErrorInfo, JobId, Push, Response, ServerMessage, TailSpec};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tracing::Instrument as _;

/// Starts a tail; answers once the consumer is assigned.
pub(crate) async fn start_tail(
    spec: TailSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    let (pause, paused) = watch::channel(false);
    let (id, stop) = jobs.admit(Kind::Tail(pause))?;
    let limit = jobs.limits.map(|l| l.tail_rate);
    let opened = tail::open(
        &state.cluster.config.kafka,
        id,
        &spec.topic,
        spec.from,
        limit,
    )
    .await;
    let tail = match opened {
        Ok(tail) => tail,
        Err(e) => {
            jobs.forget(id);
            return Err(tail_error(&e));
        }
    };
    let partitions = tail.partitions().to_vec();
    let jobs = Arc::clone(jobs);
    let span = tracing::info_span!("job", kind = "tail", id = id.0, topic = %spec.topic);
    state.inner.sessions.spawn(
        async move {
            let (tx, mut rx) = mpsc::channel::<TailOutput>(2);
            let forward = async {
                while let Some(output) = rx.recv().await {
                    let outgoing = match output {
                        TailOutput::Frame(bytes) => Outgoing::Binary(bytes),
                        TailOutput::Lag(lag) => {
                            Outgoing::Message(ServerMessage::Push(Push::TailLag(lag)))
                        }
                    };
                    if jobs.outbox.send(outgoing).await.is_err() {
                        break;
                    }
                }
            };
            let (ended, ()) = tokio::join!(tail.run(paused, stop, tx), forward);
            if let Err(e) = ended {
                jobs.push(Push::TailEnded {
                    tail: id,
                    error: tail_error(&e),
                })
                .await;
            }
            jobs.forget(id);
        }
        .instrument(span),
    );
    Ok(Response::TailStarted {
        tail: id,
        partitions,
    })
}

/// Pauses or resumes a tail of this tab.
pub(crate) fn pause_tail(id: JobId, paused: bool, jobs: &Jobs) -> Result<Response, ErrorInfo> {
    match jobs.lock().get(&id) {
        Some(Control {
            kind: Kind::Tail(pause),
            ..
        }) => {
            pause.send_replace(paused);
            Ok(Response::Done)
        }
        _ => Err(no_such_job(id)),
    }
}

/// Stops a tail of this tab.
pub(crate) fn stop_tail(id: JobId, jobs: &Jobs) -> Result<Response, ErrorInfo> {
    jobs.stop(id, |k| matches!(k, Kind::Tail(_)))
}

fn tail_error(e: &TailError) -> ErrorInfo {
    let code = match e {
        TailError::UnknownTopic(_) => ErrorCode::NotFound,
        TailError::Kafka(_) | TailError::Read { .. } => ErrorCode::KafkaError,
    };
    ErrorInfo {
        code,
        message: e.to_string(),
    }
}
