//! Which bridge session a job belongs to. The bridge numbers a tab's jobs per session, and a
//! session ends with its socket: when the bridge goes away (or restarts), every job it ran for
//! the page ends with it, and the next session numbers its jobs afresh — an old job id may name
//! a new job. So the page keys each job by its session ([`SessionJob`]), takes pushes about it
//! only while that session is current, and shows it as cut off ([`CutOff`]) once it is not.
//! Pure; tested natively.

use shared::protocol::JobId;

/// A job and the bridge session (a [`super::Welcome`]'s `session`) that started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionJob {
    /// The session the job was started in.
    pub session: u32,
    /// The job's id in that session.
    pub job: JobId,
}

impl SessionJob {
    /// `job` of `session`.
    pub fn new(session: u32, job: JobId) -> Self {
        Self { session, job }
    }

    /// Whether a push about `job`, heard on the socket of `session`, is about this job.
    pub fn owns(self, session: u32, job: JobId) -> bool {
        self == Self::new(session, job)
    }

    /// Why this job can no longer be running while `current` is the session (`None` while the
    /// page has no greeted socket), or `None` when its session is still the current one.
    pub fn cut_off(self, current: Option<u32>) -> Option<CutOff> {
        match current {
            Some(now) if now == self.session => None,
            Some(_) => Some(CutOff::Restarted),
            None => Some(CutOff::Gone),
        }
    }
}

/// Why a job ended without the page hearing its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutOff {
    /// The bridge went away (its socket closed) and has not come back yet.
    Gone,
    /// The bridge came back with a new session: the job's session, and the job, are gone.
    Restarted,
}

impl CutOff {
    /// The plain reason the views show.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Gone => "cut off: the bridge went away",
            Self::Restarted => "cut off: the bridge restarted",
        }
    }

    /// The reason, opening a sentence.
    pub fn sentence(self) -> String {
        let reason = self.reason();
        let mut chars = reason.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect::<String>()
        })
    }
}

/// The latest value heard per job, for the few jobs a view keeps (pushes may arrive before the
/// answer naming their job, and a view keeps showing a job after it ended).
#[derive(Debug, Clone, PartialEq)]
pub struct Latest<T> {
    keep: usize,
    all: Vec<(SessionJob, T)>,
}

impl<T> Latest<T> {
    /// Keeps the values of the last `keep` jobs heard of.
    pub fn new(keep: usize) -> Self {
        Self {
            keep: keep.max(1),
            all: Vec::new(),
        }
    }

    /// Records `value` as the latest of `job`.
    pub fn hear(&mut self, job: SessionJob, value: T) {
        self.all.retain(|(j, _)| *j != job);
        if self.all.len() >= self.keep {
            self.all.remove(0);
        }
        self.all.push((job, value));
    }

    /// The latest value of `job`.
    pub fn get(&self, job: SessionJob) -> Option<&T> {
        self.all.iter().find(|(j, _)| *j == job).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_runs_only_while_its_session_is_current() {
        let job = SessionJob::new(3, JobId(1));
        assert_eq!(job.cut_off(Some(3)), None);
        assert_eq!(job.cut_off(None), Some(CutOff::Gone));
        assert_eq!(job.cut_off(Some(4)), Some(CutOff::Restarted));
        assert_eq!(
            CutOff::Gone.sentence(),
            "Cut off: the bridge went away".to_owned()
        );
        assert!(CutOff::Restarted.reason().contains("restarted"));
    }

    #[test]
    fn an_old_job_id_in_a_new_session_is_another_job() {
        let old = SessionJob::new(1, JobId(1));
        assert!(old.owns(1, JobId(1)));
        assert!(!old.owns(2, JobId(1)), "a new session numbers jobs afresh");
        assert!(!old.owns(1, JobId(2)));
    }

    #[test]
    fn latest_values_are_kept_per_job_and_bounded() {
        let (a, b, c) = (
            SessionJob::new(1, JobId(1)),
            SessionJob::new(2, JobId(1)),
            SessionJob::new(2, JobId(2)),
        );
        let mut latest = Latest::new(2);
        latest.hear(a, 10);
        latest.hear(b, 20);
        latest.hear(a, 11);
        assert_eq!((latest.get(a), latest.get(b)), (Some(&11), Some(&20)));
        latest.hear(c, 30);
        assert_eq!(latest.get(b), None, "the oldest job heard of makes room");
        assert_eq!((latest.get(a), latest.get(c)), (Some(&11), Some(&30)));
    }
}
