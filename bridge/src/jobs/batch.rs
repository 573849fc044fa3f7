//! A Spark batch job started from the page: its stages and its report arrive as pushes.

use super::registry::{millis, unpanicked, Jobs, Kind};
use crate::outbox::Outgoing;
use crate::state::AppState;
use pipeline::batch;
use shared::protocol::{
    BatchOutcome, BatchSpec, ErrorCode, ErrorInfo, Push, Response, ServerMessage,
};
use std::sync::Arc;
use tracing::Instrument as _;

/// Starts a Spark batch job; answers at once, stages and the result arrive as pushes.
pub(crate) fn start_batch(
    spec: BatchSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    let request =
        crate::translate::batch(&spec, &state.cluster.config.spark_state).map_err(|message| {
            ErrorInfo {
                code: ErrorCode::BadRequest,
                message,
            }
        })?;
    let (job, stop) = jobs.admit(Kind::Batch)?;
    let (state, jobs) = (state.clone(), Arc::clone(jobs));
    let span = tracing::info_span!("job", kind = "batch", id = job.0, topic = %spec.topic);
    state.inner.sessions.clone().spawn(
        async move {
            let started = std::time::Instant::now();
            let outbox = jobs.outbox.clone();
            let progress = move |stage: &batch::Stage| {
                let push = Push::BatchStage {
                    job,
                    stage: stage.to_string(),
                    elapsed_ms: millis(started.elapsed()),
                };
                // Stages are news: when the tab is slow to read, one may be skipped.
                let _ = outbox.try_send(Outgoing::Message(ServerMessage::Push(push)));
            };
            // Stopping (the tab went) interrupts the job's Spark operations too.
            let run = batch::run(&state.cluster.config, &request, &progress, &stop);
            let outcome = match unpanicked(run).await {
                Ok(Ok(report)) => BatchOutcome::Finished(Box::new(report)),
                Ok(Err(e)) => BatchOutcome::Failed(batch_error(e)),
                Err(why) => BatchOutcome::Failed(ErrorInfo {
                    code: ErrorCode::SparkError,
                    message: why,
                }),
            };
            // The slot is free before the page hears of the end, so it can start the next job at once.
            jobs.forget(job);
            jobs.push(Push::BatchDone { job, outcome }).await;
        }
        .instrument(span),
    );
    Ok(Response::BatchStarted { job })
}

fn batch_error(e: batch::BatchError) -> ErrorInfo {
    use batch::BatchError as E;
    let code = match &e {
        E::SparkUnreachable { .. } | E::Spark { .. } | E::Shape { .. } => ErrorCode::SparkError,
        E::Range(_) => ErrorCode::KafkaError,
        E::Registry(_) => ErrorCode::RegistryError,
        _ => ErrorCode::Internal,
    };
    ErrorInfo {
        code,
        message: pipeline::error::describe(&e),
    }
}
