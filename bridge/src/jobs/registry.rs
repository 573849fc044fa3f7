//! A tab's running jobs: admitted against the tab's limits, steered by id, stopped together.

use crate::outbox::Outgoing;
use shared::protocol::{ErrorCode, ErrorInfo, JobId, Push, Response, ServerMessage};
use shared::workshop::Limits;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Jobs one tab may run at once.
const MAX_JOBS: usize = 8;

/// A session's running jobs.
pub(crate) struct Jobs {
    pub(crate) next: AtomicU64,
    pub(crate) running: Mutex<HashMap<JobId, Control>>,
    /// Cancelled when the session ends; every job's stop token is a child.
    pub(crate) session: CancellationToken,
    pub(crate) outbox: mpsc::Sender<Outgoing>,
    /// The attendee's limits in workshop mode; `None` leaves jobs unlimited.
    pub(crate) limits: Option<Limits>,
}

/// How a job is steered.
pub(crate) struct Control {
    pub(crate) stop: CancellationToken,
    pub(crate) kind: Kind,
}

pub(crate) enum Kind {
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
    pub(crate) fn new(
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
    pub(crate) fn stop_all(&self) {
        self.session.cancel();
    }

    /// Reserves an id and a stop token, or refuses when the tab runs too many jobs.
    pub(crate) fn admit(&self, kind: Kind) -> Result<(JobId, CancellationToken), ErrorInfo> {
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

    pub(crate) fn forget(&self, id: JobId) {
        self.lock().remove(&id);
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Control>> {
        // A panic while holding this lock cannot leave the map half-changed: take it anyway.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stops job `id` if it is of the kind `matches` accepts.
    pub(crate) fn stop(
        &self,
        id: JobId,
        matches: fn(&Kind) -> bool,
    ) -> Result<Response, ErrorInfo> {
        let running = self.lock();
        match running.get(&id) {
            Some(control) if matches(&control.kind) => {
                control.stop.cancel();
                Ok(Response::Done)
            }
            _ => Err(no_such_job(id)),
        }
    }

    pub(crate) async fn push(&self, push: Push) {
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

pub(crate) fn no_such_job(id: JobId) -> ErrorInfo {
    ErrorInfo {
        code: ErrorCode::NoSuchJob,
        message: format!("job {} is not running in this tab", id.0),
    }
}

/// Runs a job's work, turning a panic inside it (a library's, say) into a plain failure, so the
/// job still frees its slot and the page still hears that it ended.
pub(crate) async fn unpanicked<T>(work: impl std::future::Future<Output = T>) -> Result<T, String> {
    use futures_util::FutureExt as _;
    std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            tracing::error!(%why, "a job panicked");
            format!(
                "the job stopped unexpectedly inside the bridge ({why}); the next one can start"
            )
        })
}

/// Whole milliseconds of `d`, for the page.
pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn a_panicking_job_is_a_plain_failure() {
        let ended = unpanicked(async { panic!("unwrap on an empty list") }).await;
        assert_eq!(
            ended.map_err(|e| e.contains("unwrap on an empty list")),
            Err(true)
        );
        assert_eq!(unpanicked(async { 7 }).await, Ok(7));
    }

    #[test]
    fn outside_workshop_mode_nothing_is_limited() {
        let jobs = jobs(None);
        for kind in [Kind::Batch, Kind::Stream, Kind::Batch, Kind::Stream] {
            assert!(jobs.admit(kind).is_ok());
        }
    }
}
