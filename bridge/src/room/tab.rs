//! One tab in workshop mode: its name once it joined, its seat, what it listens to, and the gate
//! every request of the tab passes before it is answered (join first, then stay in your
//! namespace).

use super::roster::{Attendees, Claim, Control, TabLink, RECHECK_AFTER};
use crate::jobs::registry::Jobs;
use crate::outbox::Outgoing;
use crate::scope;
use shared::protocol::{
    ClientMessage, ErrorCode, ErrorInfo, JobId, Push, Request, Response, ServerMessage,
};
use shared::workshop::{AttendeeName, AttendeeView};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

/// A tab in workshop mode: its name once it joined, its seat, and what it listens to.
pub(crate) struct Tab {
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
pub(crate) enum TabEvent {
    /// News to pass on to the page.
    Push(Push),
    /// A request to the session loop.
    Control(Control),
    /// Time to check the attendee's steps again.
    Recheck(AttendeeName),
}

/// A tab's standing in the workshop: off (not workshop mode), or a workshop tab.
pub(crate) enum Standing {
    /// The bridge is not in workshop mode: requests pass as they are.
    Off,
    /// Workshop mode.
    Workshop(Box<Tab>),
}

impl Standing {
    /// The standing of a new tab; in workshop mode it reports through `outbox`.
    pub(crate) fn new(attendees: Option<&Arc<Attendees>>, outbox: mpsc::Sender<Outgoing>) -> Self {
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
    pub(crate) fn attendee(&self) -> Option<&AttendeeName> {
        match self {
            Self::Workshop(tab) => tab.claim.as_ref().map(Claim::name),
            Self::Off => None,
        }
    }

    /// Lets `message` through (rewritten for the attendee), or answers it at once: `Join`,
    /// `Instruct`, and every refusal.
    pub(crate) fn gate(
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
    pub(crate) async fn next_event(&mut self) -> TabEvent {
        match self {
            Self::Workshop(tab) => tab.next_event().await,
            Self::Off => std::future::pending().await,
        }
    }

    /// Takes note of a message leaving the session: the attendee's evidence, their jobs, and
    /// whether to check their steps again soon.
    pub(crate) fn hear(&mut self, message: &ServerMessage, attendees: Option<&Arc<Attendees>>) {
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
    pub(crate) fn leave(self, jobs: &Arc<Jobs>) {
        if let Self::Workshop(mut tab) = self {
            if let Some(claim) = &mut tab.claim {
                claim.jobs = Arc::downgrade(jobs);
            }
        }
    }

    /// A job ended without a push saying so (a tail stopped on request).
    pub(crate) fn job_ended(&mut self, job: JobId) {
        if let Self::Workshop(tab) = self {
            tab.running.remove(&job);
            tab.count_writers();
        }
    }

    /// Jobs are being stopped for a reset: how many ran, and a way to wait for the writers.
    /// Tails end without a word, so they are forgotten now.
    pub(crate) fn jobs_stopped(&mut self) -> (u32, watch::Receiver<usize>) {
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
pub(crate) fn is_workshop_request(request: &Request) -> bool {
    matches!(
        request,
        Request::Join { .. }
            | Request::Instruct { .. }
            | Request::CheckStep { .. }
            | Request::RestartSchemaStep
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

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::RequestId;
    use shared::workshop::{Step, StepCheck};

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
            checked_at_ms: 5,
            ..StepCheck::verdict(
                Step::Produce,
                shared::workshop::StepState::Passed,
                "ok".into(),
                vec![],
            )
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
}
