//! Workshop mode's sessions: who has joined under which name, their progress for the bridge's
//! lifetime, the instructor's seat, and the gate every request of a tab passes before it is
//! answered (join first, then stay in your namespace).
//!
//! A name is held by one connected tab at a time; it is free again when that tab's session ends,
//! but the attendee stays on the roster with their progress, so a tab that comes back under the
//! name finds it. Changes reach tabs through channels the sessions watch: each attendee's
//! progress is a `watch` their tab follows, the roster a `watch` instructor tabs follow, and
//! broadcasts a `broadcast` every tab follows. Locks here are std mutexes held only for short,
//! synchronous updates, never across an `.await`.

use super::jobs::Jobs;
use super::session::Outgoing;
use super::{scope, InstructorKey};
use crate::workshop::seen::Seen;
use shared::protocol::{
    ClientMessage, ErrorCode, ErrorInfo, JobId, Push, Request, Response, ServerMessage,
};
use shared::workshop::{AttendeeName, AttendeeView, Progress, Step, StepCheck};
use shared::Topic;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;

/// How long after an event that may change a step the bridge checks again; events within it
/// share one check, so a stream's flood of pushes does not flood the registry.
const RECHECK_AFTER: Duration = Duration::from_millis(1500);

/// Broadcasts a slow tab may fall behind by before it misses some.
const NEWS_BACKLOG: usize = 16;

/// Every attendee who joined, the instructor key, and the channels that carry their news.
pub(super) struct Attendees {
    key: String,
    people: Mutex<BTreeMap<AttendeeName, Person>>,
    roster: watch::Sender<Vec<AttendeeView>>,
    news: broadcast::Sender<String>,
    /// What each attendee may use, told to them when they join.
    limits: shared::workshop::Limits,
}

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
}

/// How the bridge reaches the session that holds a name.
#[derive(Clone)]
pub(super) struct TabLink {
    /// Requests to the session's loop.
    pub(super) control: mpsc::Sender<Control>,
    /// The session's outgoing messages.
    pub(super) outbox: mpsc::Sender<Outgoing>,
}

/// What the bridge asks of a session's loop.
pub(super) enum Control {
    /// Stop every job of the tab. The answer: how many ran, and a count of those that write
    /// (produce runs, batch jobs, streams) that reaches zero once they have ended.
    StopJobs(oneshot::Sender<(u32, watch::Receiver<usize>)>),
}

/// A snapshot of an attendee for a check: their evidence and the reset generation.
pub(super) struct Snapshot {
    pub(super) seen: Seen,
    pub(super) progress: Progress,
    pub(super) generation: u64,
}

impl Attendees {
    /// Nobody yet; the instructor's seat opens with `key`.
    pub(super) fn new(key: String, limits: shared::workshop::Limits) -> Self {
        Self {
            key,
            limits,
            people: Mutex::default(),
            roster: watch::channel(Vec::new()).0,
            news: broadcast::channel(NEWS_BACKLOG).0,
        }
    }

    /// Takes `name` for a session, unless another connected tab holds it.
    pub(super) fn claim(
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
            topic: crate::workshop::step_topic(&name),
            name,
            attendees: Arc::clone(self),
            progress,
            jobs: Weak::new(),
        })
    }

    /// Every name that ever joined.
    pub(super) fn names(&self) -> Vec<AttendeeName> {
        self.lock().keys().cloned().collect()
    }

    /// The session holding `name`, when one does.
    pub(super) fn link(&self, name: &AttendeeName) -> Option<TabLink> {
        self.lock().get(name).and_then(|p| p.tab.clone())
    }

    /// What a check of `name` needs to know.
    pub(super) fn snapshot(&self, name: &AttendeeName) -> Option<Snapshot> {
        self.lock().get(name).map(|p| Snapshot {
            seen: p.seen.clone(),
            progress: p.progress.borrow().clone(),
            generation: p.generation,
        })
    }

    /// Stores a check's outcome, unless the attendee was reset since it started. A recheck the
    /// bridge ran by itself (`quiet`) is stored only when its verdict changed, so the pages are
    /// not told about a new time alone.
    pub(super) fn record(
        &self,
        name: &AttendeeName,
        generation: u64,
        check: &StepCheck,
        quiet: bool,
    ) {
        let people = self.lock();
        let Some(person) = people.get(name).filter(|p| p.generation == generation) else {
            return;
        };
        let changed = person.progress.send_if_modified(|progress| {
            let Some(slot) = progress.steps.iter_mut().find(|s| s.step == check.step) else {
                return false;
            };
            let same = (slot.done, &slot.summary, &slot.missing)
                == (check.done, &check.summary, &check.missing);
            if quiet && same {
                return false;
            }
            *slot = check.clone();
            true
        });
        if changed {
            self.publish(&people);
        }
    }

    /// Forgets `name`'s evidence and progress (they stay on the roster).
    pub(super) fn clear(&self, name: &AttendeeName) {
        let mut people = self.lock();
        if let Some(person) = people.get_mut(name) {
            person.generation += 1;
            person.seen = Seen::default();
            person.progress.send_replace(Progress::default());
        }
        self.publish(&people);
    }

    /// Sends `message` to every connected tab.
    pub(super) fn broadcast(&self, message: String) {
        // No receiver only means no tab is connected.
        let _ = self.news.send(message);
    }

    /// Takes note of a message leaving `name`'s session; `true` when the steps are worth
    /// checking again.
    fn hear(&self, name: &AttendeeName, topic: &Topic, message: &ServerMessage) -> bool {
        let mut people = self.lock();
        people
            .get_mut(name)
            .is_some_and(|person| person.seen.hear(topic, message))
    }

    /// The jobs a session that ended left winding down, if any still runs.
    pub(super) fn leftover(&self, name: &AttendeeName) -> Weak<Jobs> {
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
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<AttendeeName, Person>> {
        // Every update is a few assignments: take the map even after a panic elsewhere.
        self.people.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `key` is the instructor key, comparing every byte whatever the first mismatch.
    fn opens_seat(&self, key: &str) -> bool {
        super::constant_time_eq(key.as_bytes(), self.key.as_bytes())
    }
}

/// A name held by one session; dropping it frees the name.
pub(super) struct Claim {
    name: AttendeeName,
    topic: Option<Topic>,
    attendees: Arc<Attendees>,
    progress: watch::Receiver<Progress>,
    /// The session's jobs, handed to the roster when the session ends.
    jobs: Weak<Jobs>,
}

impl Claim {
    /// The name held.
    pub(super) fn name(&self) -> &AttendeeName {
        &self.name
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.attendees
            .release(&self.name, std::mem::take(&mut self.jobs));
    }
}

/// A tab in workshop mode: its name once it joined, its seat, and what it listens to.
pub(super) struct Tab {
    claim: Option<Claim>,
    roster: Option<watch::Receiver<Vec<AttendeeView>>>,
    news: broadcast::Receiver<String>,
    link: TabLink,
    control: mpsc::Receiver<Control>,
    /// When the steps are to be checked again.
    recheck_at: Option<Instant>,
    /// Jobs of the tab, by whether they write.
    running: HashMap<JobId, bool>,
    writers: watch::Sender<usize>,
}

/// What a tab's channels brought.
pub(super) enum TabEvent {
    /// News to pass on to the page.
    Push(Push),
    /// A request to the session loop.
    Control(Control),
    /// Time to check the attendee's steps again.
    Recheck(AttendeeName),
}

/// A tab's standing in the workshop: off (not workshop mode), or a workshop tab.
pub(super) enum Standing {
    /// The bridge is not in workshop mode: requests pass as they are.
    Off,
    /// Workshop mode.
    Workshop(Box<Tab>),
}

impl Standing {
    /// The standing of a new tab; in workshop mode it reports through `outbox`.
    pub(super) fn new(attendees: Option<&Arc<Attendees>>, outbox: mpsc::Sender<Outgoing>) -> Self {
        let Some(attendees) = attendees else {
            return Self::Off;
        };
        let (control, control_rx) = mpsc::channel(4);
        Self::Workshop(Box::new(Tab {
            claim: None,
            roster: None,
            news: attendees.news.subscribe(),
            link: TabLink { control, outbox },
            control: control_rx,
            recheck_at: None,
            running: HashMap::new(),
            writers: watch::channel(0).0,
        }))
    }

    /// The name requests are scoped to, when there is one.
    pub(super) fn attendee(&self) -> Option<&AttendeeName> {
        match self {
            Self::Workshop(tab) => tab.claim.as_ref().map(Claim::name),
            Self::Off => None,
        }
    }

    /// Lets `message` through (rewritten for the attendee), or answers it at once: `Join`,
    /// `Instruct`, and every refusal.
    pub(super) fn gate(
        &mut self,
        message: ClientMessage,
        attendees: Option<&Arc<Attendees>>,
    ) -> Result<ClientMessage, Box<ServerMessage>> {
        let id = message.id;
        let answer = |result: Result<Response, ErrorInfo>| {
            Box::new(match result {
                Ok(response) => ServerMessage::Reply { id, response },
                Err(error) => ServerMessage::Failed { id, error },
            })
        };
        let (Self::Workshop(tab), Some(attendees)) = (self, attendees) else {
            return match message.request {
                request if is_workshop_request(&request) => Err(answer(Err(off_mode()))),
                request => Ok(ClientMessage { id, request }),
            };
        };
        match message.request {
            Request::Join { name } => Err(answer(tab.join(&name, attendees))),
            Request::Instruct { key } => Err(answer(tab.instruct(&key, attendees))),
            // The instructor need not join: the seat is what these ask for.
            request @ (Request::ResetAttendees { .. } | Request::Broadcast { .. }) => {
                match tab.roster {
                    Some(_) => Ok(ClientMessage { id, request }),
                    None => Err(answer(Err(scope::forbidden(
                        "only the instructor may reset attendees or broadcast; open the instructor link the bridge printed at start".into(),
                    )))),
                }
            }
            request => match scope::scope_request(request, tab.claim.as_ref().map(Claim::name)) {
                Ok(request) => Ok(ClientMessage { id, request }),
                Err(error) => Err(answer(Err(error))),
            },
        }
    }

    /// The next news, control request or recheck for this tab; never ready outside workshop
    /// mode. Cancel-safe.
    pub(super) async fn next_event(&mut self) -> TabEvent {
        match self {
            Self::Workshop(tab) => tab.next_event().await,
            Self::Off => std::future::pending().await,
        }
    }

    /// Takes note of a message leaving the session: the attendee's evidence, their jobs, and
    /// whether to check their steps again soon.
    pub(super) fn hear(&mut self, message: &ServerMessage, attendees: Option<&Arc<Attendees>>) {
        let (Self::Workshop(tab), Some(attendees)) = (self, attendees) else {
            return;
        };
        tab.track_jobs(message);
        let Some(claim) = &tab.claim else { return };
        let Some(topic) = &claim.topic else { return };
        if attendees.hear(claim.name(), topic, message) && tab.recheck_at.is_none() {
            tab.recheck_at = Some(Instant::now() + RECHECK_AFTER);
        }
    }

    /// The session ends with `jobs` still winding down: the roster keeps track of them, so a
    /// reset of the attendee can wait for them.
    pub(super) fn leave(self, jobs: &Arc<Jobs>) {
        if let Self::Workshop(mut tab) = self {
            if let Some(claim) = &mut tab.claim {
                claim.jobs = Arc::downgrade(jobs);
            }
        }
    }

    /// A job ended without a push saying so (a tail stopped on request).
    pub(super) fn job_ended(&mut self, job: JobId) {
        if let Self::Workshop(tab) = self {
            tab.running.remove(&job);
            tab.count_writers();
        }
    }

    /// Jobs are being stopped for a reset: how many ran, and a way to wait for the writers.
    /// Tails end without a word, so they are forgotten now.
    pub(super) fn jobs_stopped(&mut self) -> (u32, watch::Receiver<usize>) {
        match self {
            Self::Workshop(tab) => {
                let count = u32::try_from(tab.running.len()).unwrap_or(u32::MAX);
                tab.running.retain(|_, writes| *writes);
                (count, tab.writers.subscribe())
            }
            Self::Off => (0, watch::channel(0).1),
        }
    }
}

impl Tab {
    /// Joins under `name`, once per tab.
    fn join(&mut self, name: &str, attendees: &Arc<Attendees>) -> Result<Response, ErrorInfo> {
        let name = AttendeeName::new(name).map_err(|e| ErrorInfo {
            code: ErrorCode::BadRequest,
            message: format!("that name cannot be used: {e}"),
        })?;
        match &self.claim {
            Some(held) if *held.name() == name => {}
            Some(held) => {
                return Err(ErrorInfo {
                    code: ErrorCode::BadRequest,
                    message: format!(
                    "this tab already joined as {:?}; open a new tab to join under another name",
                    held.name().as_str()
                ),
                })
            }
            None => self.claim = Some(attendees.claim(name.clone(), self.link.clone())?),
        }
        let progress = self
            .claim
            .as_ref()
            .map(|c| c.progress.borrow().clone())
            .unwrap_or_default();
        Ok(Response::Joined {
            prefix: name.prefix(),
            name,
            limits: attendees.limits,
            progress,
        })
    }

    /// Takes the instructor's seat with `key`.
    fn instruct(&mut self, key: &str, attendees: &Arc<Attendees>) -> Result<Response, ErrorInfo> {
        if !attendees.opens_seat(key) {
            return Err(scope::forbidden(
                "that is not the instructor key; use the instructor link the bridge printed at start".into(),
            ));
        }
        let mut roster = attendees.roster.subscribe();
        let current = roster.borrow_and_update().clone();
        self.roster = Some(roster);
        Ok(Response::Instructing { roster: current })
    }

    async fn next_event(&mut self) -> TabEvent {
        let due = self
            .recheck_at
            .zip(self.claim.as_ref().map(|c| c.name().clone()));
        let recheck = async move {
            match due {
                Some((at, name)) => {
                    tokio::time::sleep_until(at).await;
                    name
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            message = next_news(&mut self.news) => TabEvent::Push(Push::Broadcast { message }),
            progress = changed(self.claim.as_mut().map(|c| &mut c.progress)) => TabEvent::Push(Push::Progress(progress)),
            roster = changed(self.roster.as_mut()) => TabEvent::Push(Push::Roster(roster)),
            Some(control) = self.control.recv() => TabEvent::Control(control),
            name = recheck => {
                self.recheck_at = None;
                TabEvent::Recheck(name)
            }
        }
    }

    /// Follows the tab's jobs from the replies that start them and the pushes that end them.
    fn track_jobs(&mut self, message: &ServerMessage) {
        let (job, writes, started) = match message {
            ServerMessage::Reply { response, .. } => match response {
                Response::ProduceStarted { job, .. }
                | Response::BatchStarted { job }
                | Response::StreamStarted { job, .. } => (*job, true, true),
                Response::TailStarted { tail, .. } => (*tail, false, true),
                _ => return,
            },
            ServerMessage::Push(push) => match push {
                Push::Produce(u) if u.finished.is_some() => (u.job, true, false),
                Push::BatchDone { job, .. } | Push::StreamEnded { job, .. } => (*job, true, false),
                Push::TailEnded { tail, .. } => (*tail, false, false),
                _ => return,
            },
            ServerMessage::Failed { .. } => return,
        };
        if started {
            self.running.insert(job, writes);
        } else {
            self.running.remove(&job);
        }
        self.count_writers();
    }

    fn count_writers(&self) {
        let writers = self.running.values().filter(|w| **w).count();
        self.writers
            .send_if_modified(|n| std::mem::replace(n, writers) != writers);
    }
}

/// The next broadcast; lagging skips what was missed, and a closed channel never answers.
async fn next_news(news: &mut broadcast::Receiver<String>) -> String {
    loop {
        match news.recv().await {
            Ok(message) => return message,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// The next value of a watched channel; never ready without one, or once its sender is gone.
async fn changed<T: Clone>(watched: Option<&mut watch::Receiver<T>>) -> T {
    let Some(rx) = watched else {
        return std::future::pending().await;
    };
    if rx.changed().await.is_err() {
        return std::future::pending().await;
    }
    rx.borrow_and_update().clone()
}

/// The requests only workshop mode answers.
pub(super) fn is_workshop_request(request: &Request) -> bool {
    matches!(
        request,
        Request::Join { .. }
            | Request::Instruct { .. }
            | Request::CheckStep { .. }
            | Request::ResetAttendees { .. }
            | Request::Broadcast { .. }
    )
}

fn off_mode() -> ErrorInfo {
    ErrorInfo {
        code: ErrorCode::BadRequest,
        message: "this bridge is not in workshop mode, so there is no workshop to join, check or instruct; start it with `kafka-demo serve --workshop`".into(),
    }
}

/// A random instructor key: 16 bytes, in hex.
pub(super) fn random_key() -> String {
    rand::random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl InstructorKey {
    /// The key given, or a random one made now.
    pub fn given_or_made(given: Option<String>) -> Self {
        match given.filter(|k| !k.is_empty()) {
            Some(key) => Self::Given(key),
            None => Self::Made(random_key()),
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Given(key) | Self::Made(key) => key,
        }
    }
}

/// Which steps the bridge checks again by itself: those that need no answer and are not done.
pub(super) fn steps_to_recheck(progress: &Progress) -> Vec<Step> {
    progress
        .steps
        .iter()
        .filter(|s| !s.done && s.step.asks().is_none())
        .map(|s| s.step)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::RequestId;

    fn message(request: Request) -> ClientMessage {
        ClientMessage {
            id: RequestId(1),
            request,
        }
    }

    fn hub() -> Arc<Attendees> {
        Arc::new(Attendees::new(
            "s3cret".into(),
            shared::workshop::Limits::default(),
        ))
    }

    fn tab(attendees: &Arc<Attendees>) -> Standing {
        Standing::new(Some(attendees), mpsc::channel(1).0)
    }

    fn ask(standing: &mut Standing, request: Request, attendees: &Arc<Attendees>) -> ServerMessage {
        match standing.gate(message(request), Some(attendees)) {
            Err(answer) => *answer,
            Ok(passed) => panic!("answered by the gate, yet passed on: {passed:?}"),
        }
    }

    fn join_as(standing: &mut Standing, name: &str, attendees: &Arc<Attendees>) -> ServerMessage {
        ask(standing, Request::Join { name: name.into() }, attendees)
    }

    fn code(answer: &ServerMessage) -> Option<ErrorCode> {
        match answer {
            ServerMessage::Failed { error, .. } => Some(error.code),
            _ => None,
        }
    }

    #[test]
    fn a_name_is_held_by_one_tab_at_a_time() {
        let attendees = hub();
        let mut first = tab(&attendees);
        let joined = join_as(&mut first, "ada", &attendees);
        assert!(
            matches!(&joined, ServerMessage::Reply { response: Response::Joined { prefix, .. }, .. } if prefix == "ada."),
            "{joined:?}"
        );
        let mut second = tab(&attendees);
        assert_eq!(
            code(&join_as(&mut second, "ada", &attendees)),
            Some(ErrorCode::NameTaken)
        );
        drop(first);
        assert_eq!(code(&join_as(&mut second, "ada", &attendees)), None);
    }

    #[test]
    fn bad_names_and_second_names_are_refused() {
        let attendees = hub();
        let mut tab = tab(&attendees);
        let refused = join_as(&mut tab, "Ada.x", &attendees);
        assert_eq!(code(&refused), Some(ErrorCode::BadRequest));
        assert_eq!(code(&join_as(&mut tab, "ada", &attendees)), None);
        assert_eq!(
            code(&join_as(&mut tab, "ada", &attendees)),
            None,
            "joining again under the same name is harmless"
        );
        assert_eq!(
            code(&join_as(&mut tab, "bob", &attendees)),
            Some(ErrorCode::BadRequest)
        );
    }

    #[test]
    fn workshop_requests_are_refused_outside_workshop_mode_and_nothing_is_scoped() {
        let mut off = Standing::Off;
        for request in [
            Request::Join { name: "ada".into() },
            Request::Instruct { key: "k".into() },
            Request::Broadcast {
                message: "hi".into(),
            },
        ] {
            match off.gate(message(request), None) {
                Err(answer) => match *answer {
                    ServerMessage::Failed { error, .. } => {
                        assert_eq!(error.code, ErrorCode::BadRequest);
                        assert!(error.message.contains("--workshop"), "{}", error.message);
                    }
                    other => panic!("{other:?}"),
                },
                Ok(passed) => panic!("{passed:?}"),
            }
        }
        let list = message(Request::ListSubjects);
        assert_eq!(off.gate(list.clone(), None).ok(), Some(list));
    }

    #[test]
    fn requests_are_scoped_after_joining() {
        let attendees = hub();
        let mut tab = tab(&attendees);
        let get = |s: &str| {
            message(Request::GetCompatibility {
                subject: Some(shared::Subject::new(s).unwrap_or_else(|e| panic!("{e}"))),
            })
        };
        assert_eq!(
            tab.gate(get("x-value"), Some(&attendees))
                .map_err(|m| code(&m)),
            Err(Some(ErrorCode::Forbidden))
        );
        join_as(&mut tab, "ada", &attendees);
        assert_eq!(
            tab.gate(get("x-value"), Some(&attendees)).ok(),
            Some(get("ada.x-value"))
        );
    }

    #[test]
    fn the_seat_needs_the_key_and_guards_resets_and_broadcasts() {
        let attendees = hub();
        let mut tab = tab(&attendees);
        let reset = Request::ResetAttendees { attendee: None };
        assert_eq!(
            code(&ask(&mut tab, reset.clone(), &attendees)),
            Some(ErrorCode::Forbidden)
        );
        let wrong = ask(
            &mut tab,
            Request::Instruct {
                key: "s3creT".into(),
            },
            &attendees,
        );
        assert_eq!(code(&wrong), Some(ErrorCode::Forbidden));
        let right = ask(
            &mut tab,
            Request::Instruct {
                key: "s3cret".into(),
            },
            &attendees,
        );
        assert!(
            matches!(&right, ServerMessage::Reply { response: Response::Instructing { roster }, .. } if roster.is_empty()),
            "{right:?}"
        );
        assert!(tab.gate(message(reset), Some(&attendees)).is_ok());
    }

    #[test]
    fn the_roster_keeps_names_and_progress_across_tabs() {
        let attendees = hub();
        let mut first = tab(&attendees);
        join_as(&mut first, "ada", &attendees);
        let name = AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}"));
        let check = StepCheck {
            step: Step::Produce,
            done: true,
            summary: "ok".into(),
            missing: vec![],
            checked_at_ms: 5,
        };
        attendees.record(&name, 0, &check, false);
        drop(first);
        let roster = attendees.roster.borrow().clone();
        assert_eq!(roster.len(), 1);
        assert!(!roster[0].connected);
        assert_eq!(roster[0].progress.done(), 1);
        let mut again = tab(&attendees);
        match join_as(&mut again, "ada", &attendees) {
            ServerMessage::Reply {
                response: Response::Joined { progress, .. },
                ..
            } => assert_eq!(progress.done(), 1),
            other => panic!("{other:?}"),
        }
        assert!(attendees.roster.borrow().clone()[0].connected);
        attendees.clear(&name);
        attendees.record(&name, 0, &check, false);
        assert_eq!(
            attendees.roster.borrow().clone()[0].progress.done(),
            0,
            "a check from before the reset is dropped"
        );
    }

    #[test]
    fn keys_are_random_and_long() {
        let (a, b) = (random_key(), random_key());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(matches!(
            InstructorKey::given_or_made(Some(String::new())),
            InstructorKey::Made(_)
        ));
    }
}
