//! The room's roster: who has joined under which name, their progress and evidence for the
//! bridge's lifetime, the instructor's key, broadcasts, and the names tabs hold.

use crate::jobs::registry::Jobs;
use crate::outbox::Outgoing;
use pipeline::workshop::seen::Seen;
use shared::protocol::{ErrorCode, ErrorInfo, ServerMessage};
use shared::workshop::{AttendeeName, AttendeeView, Progress, Step, StepCheck};
use shared::Topic;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// How long after an event that may change a step the bridge checks again; events within it
/// share one check, so a stream's flood of pushes does not flood the registry.
pub(crate) const RECHECK_AFTER: Duration = Duration::from_millis(1500);

/// Broadcasts a slow tab may fall behind by before it misses some.
const NEWS_BACKLOG: usize = 16;

/// Every attendee who joined, the instructor key, and the channels that carry their news.
pub(crate) struct Attendees {
    pub(crate) key: String,
    people: Mutex<BTreeMap<AttendeeName, Person>>,
    pub(crate) roster: watch::Sender<Vec<AttendeeView>>,
    pub(crate) news: broadcast::Sender<String>,
    /// What each attendee may use, told to them when they join.
    pub(crate) limits: shared::workshop::Limits,
    /// Bumped by every change worth saving (see [`super::store`]).
    pub(crate) changes: watch::Sender<u64>,
}

/// The room as it is saved: each attendee's progress and evidence. Names come back free (no tab
/// holds them after a restart) and the running jobs are gone.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedRoom {
    /// The format, for a later change of it.
    pub(crate) version: u32,
    /// Everyone who joined.
    pub(crate) attendees: Vec<SavedAttendee>,
}

/// One attendee as saved.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedAttendee {
    pub(crate) name: AttendeeName,
    pub(crate) progress: Progress,
    pub(crate) seen: Seen,
    #[serde(default)]
    pub(crate) joined_at_ms: i64,
}

/// The [`SavedRoom::version`] this bridge writes and reads.
pub(crate) const SAVED_ROOM_VERSION: u32 = 1;

/// One attendee, connected or not.
struct Person {
    progress: watch::Sender<Progress>,
    seen: Seen,
    tab: Option<TabLink>,
    /// The jobs of the last session that held the name, while they wind down after it ended
    /// (each running job holds the set; once none does, they have all ended).
    leftover: Weak<Jobs>,
    /// Bumped by every reset, so a check that started before it cannot write into it.
    generation: u64,
    /// When the name first joined (or was last reset), ms since the epoch.
    joined_at_ms: i64,
}

/// How the bridge reaches the session that holds a name.
#[derive(Clone)]
pub(crate) struct TabLink {
    /// Requests to the session's loop.
    pub(crate) control: mpsc::Sender<Control>,
    /// The session's outgoing messages.
    pub(crate) outbox: mpsc::Sender<Outgoing>,
}

/// What the bridge asks of a session's loop.
pub(crate) enum Control {
    /// Stop every job of the tab. The answer: how many ran, and a count of those that write
    /// (produce runs, batch jobs, streams) that reaches zero once they have ended.
    StopJobs(oneshot::Sender<(u32, watch::Receiver<usize>)>),
}

/// A snapshot of an attendee for a check: their evidence and the reset generation.
pub(crate) struct Snapshot {
    pub(crate) seen: Seen,
    pub(crate) progress: Progress,
    pub(crate) generation: u64,
}

impl Attendees {
    /// Nobody yet; the instructor's seat opens with `key`.
    pub(crate) fn new(key: String, limits: shared::workshop::Limits) -> Self {
        Self {
            key,
            limits,
            people: Mutex::default(),
            roster: watch::channel(Vec::new()).0,
            news: broadcast::channel(NEWS_BACKLOG).0,
            changes: watch::channel(0).0,
        }
    }

    /// Takes back the attendees of a saved room: their progress and evidence, no tab.
    pub(crate) fn restore(&self, room: SavedRoom) {
        let mut people = self.lock();
        for saved in room.attendees {
            let mut progress = Progress::default();
            for check in saved.progress.steps {
                if let Some(slot) = progress.steps.iter_mut().find(|s| s.step == check.step) {
                    *slot = check;
                }
            }
            people.insert(
                saved.name,
                Person {
                    progress: watch::channel(progress).0,
                    seen: saved.seen,
                    tab: None,
                    leftover: Weak::new(),
                    generation: 0,
                    joined_at_ms: saved.joined_at_ms,
                },
            );
        }
        self.publish(&people);
    }

    /// The room as it stands, to be saved.
    pub(crate) fn saved(&self) -> SavedRoom {
        let people = self.lock();
        SavedRoom {
            version: SAVED_ROOM_VERSION,
            attendees: people
                .iter()
                .map(|(name, person)| SavedAttendee {
                    name: name.clone(),
                    progress: person.progress.borrow().clone(),
                    seen: person.seen.clone(),
                    joined_at_ms: person.joined_at_ms,
                })
                .collect(),
        }
    }

    /// Takes `name` for a session, unless another connected tab holds it.
    pub(crate) fn claim(
        self: &Arc<Self>,
        name: AttendeeName,
        link: TabLink,
    ) -> Result<Claim, ErrorInfo> {
        let mut people = self.lock();
        let person = people.entry(name.clone()).or_insert_with(|| Person {
            progress: watch::channel(Progress::default()).0,
            seen: Seen::default(),
            tab: None,
            leftover: Weak::new(),
            generation: 0,
            joined_at_ms: crate::clock::now_ms(),
        });
        if person.tab.is_some() {
            return Err(ErrorInfo {
                code: ErrorCode::NameTaken,
                message: format!(
                    "\"{name}\" is already taken by a connected tab; pick another name (or close the other tab)"
                ),
            });
        }
        person.tab = Some(link);
        person.seen.new_session();
        let progress = person.progress.subscribe();
        self.publish(&people);
        Ok(Claim {
            topic: pipeline::workshop::step_topic(&name),
            name,
            attendees: Arc::clone(self),
            progress,
            jobs: Weak::new(),
        })
    }

    /// Every name that ever joined.
    pub(crate) fn names(&self) -> Vec<AttendeeName> {
        self.lock().keys().cloned().collect()
    }

    /// The session holding `name`, when one does.
    pub(crate) fn link(&self, name: &AttendeeName) -> Option<TabLink> {
        self.lock().get(name).and_then(|p| p.tab.clone())
    }

    /// What a check of `name` needs to know.
    pub(crate) fn snapshot(&self, name: &AttendeeName) -> Option<Snapshot> {
        self.lock().get(name).map(|p| Snapshot {
            seen: p.seen.clone(),
            progress: p.progress.borrow().clone(),
            generation: p.generation,
        })
    }

    /// Stores a check's outcome, unless the attendee was reset since it started, and returns it
    /// as stored (with when the step was first begun and first passed). A recheck the bridge ran
    /// by itself (`quiet`) is stored only when its verdict changed, so the pages are not told
    /// about a new time alone.
    pub(crate) fn record(
        &self,
        name: &AttendeeName,
        generation: u64,
        check: &StepCheck,
        quiet: bool,
    ) -> StepCheck {
        let people = self.lock();
        let Some(person) = people.get(name).filter(|p| p.generation == generation) else {
            return check.clone();
        };
        let mut stored = check.clone();
        let changed = person.progress.send_if_modified(|progress| {
            let Some(at) = progress.steps.iter().position(|s| s.step == check.step) else {
                return false;
            };
            let earlier = &progress.steps[at];
            stored = check.clone().after(earlier, check.checked_at_ms);
            if earlier.started_at_ms == 0
                && stored.passed_at_ms != 0
                && stored.started_at_ms == stored.passed_at_ms
            {
                // Found passed at its first sight: the attendee has been at it since they last
                // finished something (or joined), not for no time at all.
                stored.started_at_ms = since_last_pass(progress, person.joined_at_ms, &stored);
            }
            let earlier = &progress.steps[at];
            let same = (earlier.state, &earlier.summary, &earlier.missing)
                == (stored.state, &stored.summary, &stored.missing);
            if quiet && same {
                return false;
            }
            progress.steps[at] = stored.clone();
            true
        });
        if changed {
            self.publish(&people);
        }
        stored
    }

    /// Forgets `name`'s evidence and progress (they stay on the roster).
    pub(crate) fn clear(&self, name: &AttendeeName) {
        let mut people = self.lock();
        if let Some(person) = people.get_mut(name) {
            person.generation += 1;
            person.joined_at_ms = crate::clock::now_ms();
            person.seen = Seen::default();
            person.progress.send_replace(Progress::default());
        }
        self.publish(&people);
    }

    /// Sends `message` to every connected tab.
    pub(crate) fn broadcast(&self, message: String) {
        // No receiver only means no tab is connected.
        let _ = self.news.send(message);
    }

    /// Takes note of a message leaving `name`'s session; `true` when the steps are worth
    /// checking again.
    pub(crate) fn hear(&self, name: &AttendeeName, topic: &Topic, message: &ServerMessage) -> bool {
        let mut people = self.lock();
        let changed = people
            .get_mut(name)
            .is_some_and(|person| person.seen.hear(topic, message));
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
        changed
    }

    /// The jobs a session that ended left winding down, if any still runs.
    pub(crate) fn leftover(&self, name: &AttendeeName) -> Weak<Jobs> {
        self.lock()
            .get(name)
            .map_or_else(Weak::new, |p| p.leftover.clone())
    }

    fn release(&self, name: &AttendeeName, jobs: Weak<Jobs>) {
        let mut people = self.lock();
        if let Some(person) = people.get_mut(name) {
            person.tab = None;
            person.leftover = jobs;
        }
        self.publish(&people);
    }

    /// Sends the roster to instructors (called with the lock held, so updates stay in order).
    fn publish(&self, people: &BTreeMap<AttendeeName, Person>) {
        let roster = people
            .iter()
            .map(|(name, person)| AttendeeView {
                name: name.clone(),
                connected: person.tab.is_some(),
                progress: person.progress.borrow().clone(),
            })
            .collect();
        self.roster.send_replace(roster);
        self.changes.send_modify(|n| *n += 1);
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<AttendeeName, Person>> {
        // Every update is a few assignments: take the map even after a panic elsewhere.
        self.people.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `key` is the instructor key, comparing every byte whatever the first mismatch.
    pub(crate) fn opens_seat(&self, key: &str) -> bool {
        crate::secret::constant_time_eq(key.as_bytes(), self.key.as_bytes())
    }
}

/// A name held by one session; dropping it frees the name.
pub(crate) struct Claim {
    pub(crate) name: AttendeeName,
    pub(crate) topic: Option<Topic>,
    pub(crate) attendees: Arc<Attendees>,
    pub(crate) progress: watch::Receiver<Progress>,
    /// The session's jobs, handed to the roster when the session ends.
    pub(crate) jobs: Weak<Jobs>,
}

impl Claim {
    /// The name held.
    pub(crate) fn name(&self) -> &AttendeeName {
        &self.name
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.attendees
            .release(&self.name, std::mem::take(&mut self.jobs));
    }
}

/// When `passed`, found passed at its first check, can be said to have begun: the latest pass
/// of another step before it, or when the attendee joined.
fn since_last_pass(progress: &Progress, joined_at_ms: i64, passed: &StepCheck) -> i64 {
    progress
        .steps
        .iter()
        .filter(|s| s.step != passed.step && s.passed_at_ms != 0)
        .map(|s| s.passed_at_ms)
        .filter(|at| *at <= passed.passed_at_ms)
        .chain([joined_at_ms])
        .filter(|at| *at > 0 && *at <= passed.passed_at_ms)
        .max()
        .unwrap_or(passed.started_at_ms)
}

/// Which steps the bridge checks again by itself: those that need no answer and are not done,
/// and the Produce step even when done, whose summary counts the topic's records.
pub(crate) fn steps_to_recheck(progress: &Progress) -> Vec<Step> {
    progress
        .steps
        .iter()
        .filter(|s| (!s.done || s.step == Step::Produce) && s.step.asks().is_none())
        .map(|s| s.step)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::workshop::{StepCheck, StepState};

    #[test]
    fn a_step_passed_at_first_sight_counts_from_the_last_pass_before_it() {
        let mut progress = Progress::default();
        progress.steps[0] =
            StepCheck::verdict(Step::Schema, StepState::Passed, "ok".into(), vec![])
                .after(&StepCheck::unchecked(Step::Schema), 1_000);
        let produce = StepCheck::verdict(Step::Produce, StepState::Passed, "ok".into(), vec![])
            .after(&StepCheck::unchecked(Step::Produce), 61_000);
        assert_eq!(since_last_pass(&progress, 500, &produce), 1_000);
        assert_eq!(
            since_last_pass(&Progress::default(), 500, &produce),
            500,
            "else from joining"
        );
        assert_eq!(
            since_last_pass(&Progress::default(), 0, &produce),
            61_000,
            "no better idea: when it was found"
        );
    }

    #[test]
    fn done_steps_are_left_alone_except_the_record_count() {
        let mut progress = Progress::default();
        for slot in &mut progress.steps {
            *slot = StepCheck::verdict(slot.step, StepState::Passed, "done".into(), vec![]);
        }
        assert_eq!(steps_to_recheck(&progress), vec![Step::Produce]);
        let fresh = steps_to_recheck(&Progress::default());
        assert_eq!(
            fresh,
            vec![Step::Schema, Step::Produce, Step::Stream, Step::Evolve],
            "steps that wait for an answer are checked when it comes"
        );
    }
}
