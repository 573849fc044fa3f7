//! The long-running work a tab starts — produce runs and tails — and the requests that steer
//! them. Jobs belong to their session: they report through its outbox and stop when it ends
//! (a produce run still flushes what it sent, so every record's fate is known).
//!
//! In workshop mode a tab is one attendee, and its jobs are held to the attendee's [`Limits`]:
//! produce runs go no faster than the produce limit, tails deliver no faster than the tail limit,
//! and only so many Spark jobs (batch and stream together) run at once, so one attendee cannot
//! starve the others of the broker, the bridge or Spark's cores. Outside workshop mode nothing is
//! limited but the number of jobs per tab.

use super::session::Outgoing;
use super::AppState;
use crate::batch;
use crate::config::ProduceConfig;
use crate::produce::{self, ProduceError, ProduceReport, Progress, Stopped};
use crate::stream::{self, StreamEvent};
use crate::tail::{self, TailError, TailOutput};
use shared::protocol::{
    BatchOutcome, BatchSpec, ErrorCode, ErrorInfo, JobId, ProduceFinished, ProduceSpec,
    ProduceUpdate, Push, Response, ServerMessage, StreamProgress, StreamSpec, StreamTrigger,
    TailSpec, WindowCount,
};
use shared::workshop::Limits;
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
    /// The attendee's limits in workshop mode; `None` leaves jobs unlimited.
    limits: Option<Limits>,
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
    Stream,
}

impl Kind {
    fn is_spark(&self) -> bool {
        matches!(self, Self::Batch | Self::Stream)
    }
}

impl Jobs {
    /// No jobs yet; they report into `outbox`, stop with `session` and are held to `limits`.
    pub(super) fn new(
        session: CancellationToken,
        outbox: mpsc::Sender<Outgoing>,
        limits: Option<Limits>,
    ) -> Arc<Self> {
        Arc::new(Self {
            next: AtomicU64::new(1),
            running: Mutex::new(HashMap::new()),
            session,
            outbox,
            limits,
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
        if kind.is_spark() {
            self.spark_slot(&running)?;
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

    /// Refuses one more Spark job when the attendee's limit is reached. A slot frees when a job
    /// ends for any reason, since every job is forgotten when its task ends.
    fn spark_slot(&self, running: &HashMap<JobId, Control>) -> Result<(), ErrorInfo> {
        let Some(limit) = self.limits.map(|l| l.spark_jobs) else {
            return Ok(());
        };
        let count = |kind: fn(&Kind) -> bool| running.values().filter(|c| kind(&c.kind)).count();
        let batches = count(|k| matches!(k, Kind::Batch));
        let streams = count(|k| matches!(k, Kind::Stream));
        let allowed = usize::try_from(limit).unwrap_or(usize::MAX);
        if batches + streams < allowed {
            return Ok(());
        }
        Err(spark_limit_reached(allowed, batches, streams))
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

/// The refusal of one Spark job too many: the limit, what runs, and how to free a slot.
fn spark_limit_reached(limit: usize, batches: usize, streams: usize) -> ErrorInfo {
    let batch_jobs = format!("{batches} batch job{}", plural(batches, "", "s"));
    let queries = format!("{streams} streaming quer{}", plural(streams, "y", "ies"));
    let (running, free) = match (batches, streams) {
        (0, _) => (queries, "stop your streaming query"),
        (_, 0) => (batch_jobs, "wait for your batch job to finish"),
        _ => (
            format!("{batch_jobs} and {queries}"),
            "stop your streaming query or wait for your batch job to finish",
        ),
    };
    ErrorInfo {
        code: ErrorCode::LimitReached,
        message: format!(
            "the workshop allows {limit} Spark job{} at once per attendee and you already run {running}: {free}, then try again",
            plural(limit, "", "s"),
        ),
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
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
    let mut request = ProduceConfig::from_page(&spec).map_err(|e| ErrorInfo {
        code: ErrorCode::BadRequest,
        message: e.to_string(),
    })?;
    let held = held_rate(spec.rate, jobs.limits.map(|l| l.produce_rate));
    if let Some(limit) = held {
        tracing::info!(asked = ?spec.rate, limit, topic = %spec.topic, "produce run held to the workshop limit");
        request.rate = Some(limit);
    }
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
        let mut last = final_update(job, report);
        if let (Some(limit), Some(finished)) = (held, last.finished.as_mut()) {
            finished.stopped = format!(
                "{}; held to the workshop limit of {limit} records/s",
                finished.stopped
            );
        }
        jobs.push(Push::Produce(last)).await;
        jobs.forget(job);
    });
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
    let limit = jobs.limits.map(|l| l.tail_rate);
    let opened = tail::open(&state.inner.config.kafka, id, &spec.topic, spec.from, limit).await;
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
        // The slot is free before the page hears of the end, so it can start the next job at once.
        jobs.forget(job);
        jobs.push(Push::BatchDone { job, outcome }).await;
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

/// Starts a streaming query; answers at once, its windows, progress and end arrive as pushes.
pub(super) fn start_stream(
    spec: StreamSpec,
    state: &AppState,
    jobs: &Arc<Jobs>,
) -> Result<Response, ErrorInfo> {
    let request = stream_request(&spec, &state.inner.config.stack.data_dir);
    let checkpoint = request.state_dir.display().to_string();
    let (job, stop) = jobs.admit(Kind::Stream)?;
    let (state, jobs) = (state.clone(), Arc::clone(jobs));
    state.inner.sessions.clone().spawn(async move {
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
            stream::run(&state.inner.config, &request, stop, events),
            forward
        );
        let error = ended.err().map(|e| ErrorInfo {
            code: ErrorCode::SparkError,
            message: crate::cli::describe(&anyhow::Error::from(e)),
        });
        jobs.forget(job);
        jobs.push(Push::StreamEnded { job, error }).await;
    });
    Ok(Response::StreamStarted { job, checkpoint })
}

/// Stops a streaming query of this tab (its checkpoint stays).
pub(super) fn stop_stream(job: JobId, jobs: &Jobs) -> Result<Response, ErrorInfo> {
    jobs.stop(job, |k| matches!(k, Kind::Stream))
}

/// The page's settings as a run of the streaming job, from the oldest record, checkpointed per
/// topic under the data folder.
fn stream_request(spec: &StreamSpec, data_dir: &std::path::Path) -> stream::StreamRequest {
    let mut request = stream::StreamRequest::with_defaults(spec.topic.clone(), data_dir);
    request.window = Duration::from_secs(u64::from(spec.window_secs.max(1)));
    request.watermark = Duration::from_secs(u64::from(spec.watermark_secs));
    match spec.trigger {
        StreamTrigger::ProcessingTime(ms) => {
            request.trigger = stream::Trigger::Processing;
            request.interval = Duration::from_millis(ms.clamp(100, 60_000));
        }
        StreamTrigger::AvailableNow => request.trigger = stream::Trigger::AvailableNow,
    }
    request
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
    use crate::stream::{Progress, QueryKind, RecordCount, WindowResult};

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

    fn jobs(limits: Option<Limits>) -> Arc<Jobs> {
        let (outbox, _) = mpsc::channel(1);
        Jobs::new(CancellationToken::new(), outbox, limits)
    }

    fn workshop(spark_jobs: u32) -> Option<Limits> {
        Some(Limits {
            spark_jobs,
            ..Limits::default()
        })
    }

    #[test]
    fn spark_jobs_beyond_the_limit_are_refused_until_one_ends() {
        let jobs = jobs(workshop(1));
        let (batch, _) = jobs.admit(Kind::Batch).unwrap_or_else(|e| panic!("{e:?}"));
        let refused = jobs.admit(Kind::Stream).err();
        assert_eq!(
            refused.as_ref().map(|e| e.code),
            Some(ErrorCode::LimitReached)
        );
        let message = refused.map(|e| e.message).unwrap_or_default();
        assert!(
            message.contains("1 Spark job at once") && message.contains("wait for your batch"),
            "{message}"
        );
        assert!(
            jobs.admit(Kind::Produce).is_ok(),
            "other jobs are not Spark's"
        );
        jobs.forget(batch);
        assert!(jobs.admit(Kind::Stream).is_ok(), "the slot is free again");
        assert_eq!(
            jobs.admit(Kind::Batch).err().map(|e| e.code),
            Some(ErrorCode::LimitReached)
        );
    }

    #[test]
    fn the_refusal_says_how_to_free_a_slot() {
        let message = |b, s| spark_limit_reached(2, b, s).message;
        assert_eq!(
            message(0, 2),
            "the workshop allows 2 Spark jobs at once per attendee and you already run 2 streaming queries: stop your streaming query, then try again"
        );
        assert!(message(1, 1).contains("1 batch job and 1 streaming query: stop your streaming query or wait for your batch job"));
    }

    #[test]
    fn the_spark_limit_counts_batches_and_streams_together() {
        let jobs = jobs(workshop(2));
        assert!(jobs.admit(Kind::Stream).is_ok());
        assert!(jobs.admit(Kind::Batch).is_ok());
        assert_eq!(
            jobs.admit(Kind::Stream).err().map(|e| e.code),
            Some(ErrorCode::LimitReached)
        );
    }

    #[test]
    fn outside_workshop_mode_nothing_is_limited() {
        let jobs = jobs(None);
        for kind in [Kind::Batch, Kind::Stream, Kind::Batch, Kind::Stream] {
            assert!(jobs.admit(kind).is_ok());
        }
        assert_eq!(held_rate(None, None), None, "unthrottled stays unthrottled");
        assert_eq!(held_rate(Some(50_000.0), None), None);
    }

    #[test]
    fn produce_runs_are_held_to_the_limit_only_when_they_ask_for_more() {
        assert_eq!(held_rate(Some(50_000.0), Some(2_000.0)), Some(2_000.0));
        assert_eq!(held_rate(None, Some(2_000.0)), Some(2_000.0));
        assert_eq!(held_rate(Some(2_000.0), Some(2_000.0)), None);
        assert_eq!(held_rate(Some(10.0), Some(2_000.0)), None);
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
