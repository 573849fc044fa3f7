//! A streaming query started from the page: its windows, progress and end arrive as pushes.

use super::registry::{unpanicked, Jobs, Kind};
use crate::state::AppState;
use pipeline::stream::{self, StreamEvent};
use shared::protocol::{
    ErrorCode, ErrorInfo, JobId, Push, Response, StreamProgress, StreamSpec, WindowCount,
};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::Instrument as _;

/// Starts a streaming query; answers at once, its windows, progress and end arrive as pushes.
pub(crate) fn start_stream(
    spec: StreamSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    let request = crate::translate::stream(&spec, &state.cluster.config.spark_state);
    let checkpoint = request.checkpoint.to_string();
    let (job, stop) = jobs.admit(Kind::Stream)?;
    let (state, jobs) = (state.clone(), Arc::clone(jobs));
    let span = tracing::info_span!("job", kind = "stream", id = job.0, topic = %spec.topic);
    state.inner.sessions.clone().spawn(
        async move {
            let (events, mut heard) = mpsc::channel::<StreamEvent>(256);
            let forward = async {
                let mut watch = StreamWatch::default();
                while let Some(first) = heard.recv().await {
                    // Window rows come in bursts: one push carries every row already waiting.
                    let mut batch = vec![first];
                    while let Ok(more) = heard.try_recv() {
                        batch.push(more);
                    }
                    for push in watch.hear(job, batch) {
                        jobs.push(push).await;
                    }
                }
            };
            let (ended, ()) = tokio::join!(
                unpanicked(stream::run(&state.cluster.config, &request, stop, events)),
                forward
            );
            let error = match ended {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(pipeline::error::describe(&e)),
                Err(why) => Some(why),
            }
            .map(|message| ErrorInfo {
                code: ErrorCode::SparkError,
                message,
            });
            jobs.forget(job);
            jobs.push(Push::StreamEnded { job, error }).await;
        }
        .instrument(span),
    );
    Ok(Response::StreamStarted { job, checkpoint })
}

/// Stops a streaming query of this tab (its checkpoint stays).
pub(crate) fn stop_stream(job: JobId, jobs: &Jobs) -> Result<Response, ErrorInfo> {
    jobs.stop(job, |k| matches!(k, Kind::Stream))
}

/// What the page is told of a running query, built from the job's events.
#[derive(Debug, Default)]
struct StreamWatch {
    /// Rows dropped by the watermark so far, summed over micro-batches.
    dropped: u64,
    /// Latest record counts by (outcome, schema id).
    outcomes: HashMap<(String, Option<u32>), u64>,
}

impl StreamWatch {
    fn hear(&mut self, job: JobId, events: Vec<StreamEvent>) -> Vec<Push> {
        let mut pushes = Vec::new();
        let mut windows = Vec::new();
        for event in events {
            match event {
                StreamEvent::Window(w) => windows.push(WindowCount {
                    start_ms: w.window_start_ms,
                    end_ms: w.window_end_ms,
                    creative_id: w.creative_id,
                    clicks: w.clicks,
                    cost_cents: w.cost_cents,
                }),
                StreamEvent::Records(r) => {
                    self.outcomes.insert((r.outcome, r.schema_id), r.records);
                }
                StreamEvent::Progress(p) => {
                    self.dropped += p.dropped_by_watermark;
                    if p.query == stream::QueryKind::Windows {
                        pushes.push(Push::StreamProgress(StreamProgress {
                            job,
                            batch_id: p.batch_id,
                            input_rows: p.input_rows,
                            input_rows_per_sec: p.input_rows_per_second,
                            processed_rows_per_sec: p.processed_rows_per_second,
                            batch_duration_ms: p.batch_duration_ms,
                            watermark: p.watermark,
                            dropped_late: self.dropped,
                            poison: self.poison(),
                        }));
                    }
                }
                StreamEvent::Restarting { reason } => pushes.push(Push::StreamNotice {
                    job,
                    message: format!("restarting from the checkpoint: {reason}"),
                }),
                StreamEvent::Started { resumed: true, .. } => pushes.push(Push::StreamNotice {
                    job,
                    message: "resumed from its checkpoint".into(),
                }),
                StreamEvent::Started { .. } | StreamEvent::Stopped { .. } => {}
            }
        }
        if !windows.is_empty() {
            pushes.insert(0, Push::StreamWindows { job, windows });
        }
        pushes
    }

    fn poison(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|((outcome, _), _)| outcome != "decoded")
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::stream::{Progress, QueryKind, RecordCount, WindowResult};

    fn progress(query: QueryKind, dropped: u64) -> StreamEvent {
        StreamEvent::Progress(Progress {
            query,
            batch_id: 4,
            timestamp: String::new(),
            input_rows: 10,
            input_rows_per_second: 5.0,
            processed_rows_per_second: 9.0,
            batch_duration_ms: 300,
            watermark: Some("w".into()),
            dropped_by_watermark: dropped,
            state_rows: 0,
        })
    }

    #[test]
    fn events_become_pushes_with_running_totals() {
        let mut watch = StreamWatch::default();
        let window = |clicks| {
            StreamEvent::Window(WindowResult {
                window_start_ms: 0,
                window_end_ms: 60_000,
                creative_id: "cr-1".into(),
                clicks,
                cost_cents: 5,
            })
        };
        let records = |outcome: &str, records| {
            StreamEvent::Records(RecordCount {
                outcome: outcome.into(),
                schema_id: None,
                records,
            })
        };
        let pushes = watch.hear(
            JobId(3),
            vec![
                window(1),
                window(2),
                records("decoded", 10),
                records("wrong_magic", 2),
                records("wrong_magic", 3),
                progress(QueryKind::Records, 1),
                progress(QueryKind::Windows, 2),
            ],
        );
        assert!(matches!(&pushes[0], Push::StreamWindows { windows, .. } if windows.len() == 2));
        match &pushes[1] {
            Push::StreamProgress(p) => assert_eq!((p.dropped_late, p.poison), (3, 3)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            pushes.len(),
            2,
            "a records-query progress is folded in, not pushed"
        );
    }
}
