//! The long-running work a tab starts — produce runs and tails — and the requests that steer
//! them. Jobs belong to their session: they report through its outbox and stop when it ends
//! (a produce run still flushes what it sent, so every record's fate is known).

use super::session::Outgoing;
use super::AppState;
use crate::batch;
use crate::config::ProduceConfig;
use crate::produce::{self, ProduceError, ProduceReport, Progress, Stopped};
use crate::tail::{self, TailError, TailOutput};
use shared::protocol::{
    BatchOutcome, BatchSpec, ErrorCode, ErrorInfo, JobId, ProduceFinished, ProduceSpec,
    ProduceUpdate, Push, Response, ServerMessage, TailSpec,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Jobs one tab may run at once.
const MAX_JOBS: usize = 8;

/// A session's running jobs.
pub(super) struct Jobs {
    next: AtomicU64,
    running: Mutex<HashMap<JobId, Control>>,
    /// Cancelled when the session ends; every job's stop token is a child.
    session: CancellationToken,
    outbox: mpsc::Sender<Outgoing>,
}

/// How a job is steered.
struct Control {
    stop: CancellationToken,
    kind: Kind,
}

enum Kind {
    Produce,
    Tail(watch::Sender<bool>),
    Batch,
}

impl Jobs {
    /// No jobs yet; they report into `outbox` and stop with `session`.
    pub(super) fn new(session: CancellationToken, outbox: mpsc::Sender<Outgoing>) -> Arc<Self> {
        Arc::new(Self {
            next: AtomicU64::new(1),
            running: Mutex::new(HashMap::new()),
            session,
            outbox,
        })
    }

    /// Stops every job (the session is ending).
    pub(super) fn stop_all(&self) {
        self.session.cancel();
    }

    /// Reserves an id and a stop token, or refuses when the tab runs too many jobs.
    fn admit(&self, kind: Kind) -> Result<(JobId, CancellationToken), ErrorInfo> {
        let mut running = self.lock();
        if running.len() >= MAX_JOBS {
            return Err(ErrorInfo {
                code: ErrorCode::BadRequest,
                message: format!(
                    "this tab already runs {MAX_JOBS} jobs; stop one before starting another"
                ),
            });
        }
        let id = JobId(self.next.fetch_add(1, Ordering::Relaxed));
        let stop = self.session.child_token();
        running.insert(
            id,
            Control {
                stop: stop.clone(),
                kind,
            },
        );
        Ok((id, stop))
    }

    fn forget(&self, id: JobId) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Control>> {
        // A panic while holding this lock cannot leave the map half-changed: take it anyway.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stops job `id` if it is of the kind `matches` accepts.
    fn stop(&self, id: JobId, matches: fn(&Kind) -> bool) -> Result<Response, ErrorInfo> {
        let running = self.lock();
        match running.get(&id) {
            Some(control) if matches(&control.kind) => {
                control.stop.cancel();
                Ok(Response::Done)
            }
            _ => Err(no_such_job(id)),
        }
    }

    async fn push(&self, push: Push) {
        let _ = self
            .outbox
            .send(Outgoing::Message(ServerMessage::Push(push)))
            .await;
    }
}

fn no_such_job(id: JobId) -> ErrorInfo {
    ErrorInfo {
        code: ErrorCode::NoSuchJob,
        message: format!("job {} is not running in this tab", id.0),
    }
}

/// Checks and starts a produce run; answers once the first record can be sent.
pub(super) async fn start_produce(
    spec: ProduceSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    let request = ProduceConfig::from_page(&spec).map_err(|e| ErrorInfo {
        code: ErrorCode::BadRequest,
        message: e.to_string(),
    })?;
    let prepared = produce::prepare(&state.inner.config, &request, &spec.schema)
        .await
        .map_err(produce_error)?;
    let (job, stop) = jobs.admit(Kind::Produce)?;
    let started = Response::ProduceStarted {
        job,
        schema: super::handlers::registered(prepared.schema().clone()),
        topic_created: prepared.topic_created(),
    };
    let jobs = Arc::clone(jobs);
    state.inner.sessions.spawn(async move {
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
        jobs.push(Push::Produce(final_update(job, report))).await;
        jobs.forget(job);
    });
    Ok(started)
}

/// Stops a produce run of this tab.
pub(super) fn stop_produce(job: JobId, jobs: &Jobs) -> Result<Response, ErrorInfo> {
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

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
    let message = crate::cli::describe(&anyhow::Error::from(e));
    ErrorInfo { code, message }
}

/// Starts a tail; answers once the consumer is assigned.
pub(super) async fn start_tail(
    spec: TailSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    let (pause, paused) = watch::channel(false);
    let (id, stop) = jobs.admit(Kind::Tail(pause))?;
    let opened = tail::open(&state.inner.config.kafka, id, &spec.topic, spec.from).await;
    let tail = match opened {
        Ok(tail) => tail,
        Err(e) => {
            jobs.forget(id);
            return Err(tail_error(&e));
        }
    };
    let partitions = tail.partitions().to_vec();
    let jobs = Arc::clone(jobs);
    state.inner.sessions.spawn(async move {
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
    });
    Ok(Response::TailStarted {
        tail: id,
        partitions,
    })
}

/// Pauses or resumes a tail of this tab.
pub(super) fn pause_tail(id: JobId, paused: bool, jobs: &Jobs) -> Result<Response, ErrorInfo> {
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
pub(super) fn stop_tail(id: JobId, jobs: &Jobs) -> Result<Response, ErrorInfo> {
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

/// Starts a Spark batch job; answers at once, stages and the result arrive as pushes.
pub(super) fn start_batch(
    spec: BatchSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    let request = crate::config::batch::from_page(&spec, &state.inner.config.stack.data_dir)
        .map_err(|message| ErrorInfo {
            code: ErrorCode::BadRequest,
            message,
        })?;
    let (job, stop) = jobs.admit(Kind::Batch)?;
    let (state, jobs) = (state.clone(), Arc::clone(jobs));
    state.inner.sessions.clone().spawn(async move {
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
        let outcome = match batch::run(&state.inner.config, &request, &progress, &stop).await {
            Ok(report) => BatchOutcome::Finished(Box::new(report)),
            Err(e) => BatchOutcome::Failed(batch_error(e)),
        };
        jobs.push(Push::BatchDone { job, outcome }).await;
        jobs.forget(job);
    });
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
        message: crate::cli::describe(&anyhow::Error::from(e)),
    }
}
