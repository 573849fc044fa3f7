//! Which of the page's jobs run in the bridge's current session, from the replies that start
//! them and the pushes and replies that end them: what the page would cut off by leaving (a
//! switch of cluster reloads it). Pure; tested natively.

use shared::protocol::{JobId, Push, Request, Response};
use std::collections::BTreeSet;

/// The jobs running in the current session (the bridge numbers a session's jobs in one series).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Running {
    jobs: BTreeSet<JobId>,
}

/// The job a request stops, if it stops one: a tail ends with the reply to its stop, without a
/// push; the others end with a push, and their stop's reply ends them too.
pub fn stops(request: &Request) -> Option<JobId> {
    match request {
        Request::StopTail { tail } => Some(*tail),
        Request::StopProduce { job } | Request::StopStream { job } => Some(*job),
        _ => None,
    }
}

impl Running {
    /// Whether any job runs.
    pub fn any(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// Takes a reply: one that starts a job adds it, `Done` to a stop (`stopped`) ends it.
    pub fn replied(&mut self, stopped: Option<JobId>, response: &Response) {
        match response {
            Response::ProduceStarted { job, .. }
            | Response::BatchStarted { job }
            | Response::StreamStarted { job, .. }
            | Response::TailStarted { tail: job, .. } => {
                self.jobs.insert(*job);
            }
            Response::Done => {
                if let Some(job) = stopped {
                    self.jobs.remove(&job);
                }
            }
            _ => {}
        }
    }

    /// Takes a push: the end of a produce run, a batch job, a query or a tail ends it.
    pub fn pushed(&mut self, push: &Push) {
        let ended = match push {
            Push::Produce(update) if update.finished.is_some() => Some(update.job),
            Push::BatchDone { job, .. } | Push::StreamEnded { job, .. } => Some(*job),
            Push::TailEnded { tail, .. } => Some(*tail),
            _ => None,
        };
        if let Some(job) = ended {
            self.jobs.remove(&job);
        }
    }

    /// The session ended: its jobs with it.
    pub fn clear(&mut self) {
        self.jobs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::{BatchOutcome, ErrorCode, ErrorInfo};

    fn error() -> ErrorInfo {
        ErrorInfo {
            code: ErrorCode::KafkaError,
            message: "gone".into(),
        }
    }

    #[test]
    fn jobs_run_from_their_start_to_their_end() {
        let mut running = Running::default();
        assert!(!running.any());
        running.replied(None, &Response::BatchStarted { job: JobId(1) });
        let tail = Response::TailStarted {
            tail: JobId(2),
            partitions: vec![0],
        };
        running.replied(None, &tail);
        assert!(running.any());
        running.pushed(&Push::BatchDone {
            job: JobId(1),
            outcome: BatchOutcome::Failed(error()),
        });
        assert!(running.any(), "the tail still runs");
        // A `Done` that stops nothing (a pause) ends nothing.
        running.replied(None, &Response::Done);
        assert!(running.any());
        let stop = Request::StopTail { tail: JobId(2) };
        running.replied(stops(&stop), &Response::Done);
        assert!(!running.any());
    }

    #[test]
    fn a_tail_that_ends_by_itself_and_a_new_session_end_jobs() {
        let mut running = Running::default();
        let tail = Response::TailStarted {
            tail: JobId(3),
            partitions: vec![],
        };
        running.replied(None, &tail);
        running.pushed(&Push::TailEnded {
            tail: JobId(3),
            error: error(),
        });
        assert!(!running.any());
        running.replied(None, &tail);
        running.clear();
        assert!(!running.any());
        assert_eq!(stops(&Request::ListSubjects), None);
    }
}
