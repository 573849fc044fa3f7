//! An attendee's standing in a workshop: the membership the bridge granted, the progress on the
//! guided steps, the instructor's broadcasts and resets as they are pushed, and the answers typed
//! for each step. Shared by context as a [`Seat`] (the guide, the notices, the inspector's "use as
//! answer", the subject names the registry panel shows).

use super::rules;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::Push;
use shared::workshop::{AttendeeName, Limits, Progress, ResetReport, Step, StepCheck};
use shared::Subject;
use std::rc::Rc;

/// What the bridge granted when the tab joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The name taken.
    pub name: AttendeeName,
    /// What the attendee's topics and subjects start with.
    pub prefix: String,
    /// What the attendee may use at once.
    pub limits: Limits,
}

/// A message from the instructor, numbered so each banner can be dismissed on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broadcast {
    /// Its number on this page.
    pub id: u64,
    /// The instructor's words.
    pub message: String,
}

/// An attendee's standing, shared by the workshop components by context.
#[derive(Clone, Copy)]
pub struct Seat {
    /// The membership, once joined; `None` before and after a failed re-join.
    pub joined: RwSignal<Option<Membership>>,
    /// The steps as last checked.
    pub progress: RwSignal<Progress>,
    /// The instructor's messages, newest first.
    pub broadcasts: RwSignal<Vec<Broadcast>>,
    /// What the instructor's last reset removed, until dismissed.
    pub was_reset: RwSignal<Option<ResetReport>>,
    answers: [RwSignal<String>; Step::ALL.len()],
    next_broadcast: StoredValue<u64>,
}

impl Seat {
    /// An empty seat that hears the bridge's workshop pushes.
    pub fn new(bridge: Bridge) -> Self {
        let seat = Self {
            joined: RwSignal::new(None),
            progress: RwSignal::new(Progress::default()),
            broadcasts: RwSignal::new(Vec::new()),
            was_reset: RwSignal::new(None),
            answers: std::array::from_fn(|_| RwSignal::new(String::new())),
            next_broadcast: StoredValue::new(0),
        };
        bridge.on_push(Rc::new(move |push: &Push| seat.hear(push)));
        seat
    }

    /// The answer typed (or picked) for `step`.
    pub fn answer(self, step: Step) -> RwSignal<String> {
        let index = Step::ALL.iter().position(|s| *s == step).unwrap_or(0);
        self.answers[index]
    }

    /// Whether the tab has joined (tracked).
    pub fn is_joined(self) -> bool {
        self.joined.with(Option::is_some)
    }

    /// The subject as the bridge will name it: under the prefix once joined (tracked).
    pub fn scope_subject(self, subject: &Subject) -> Subject {
        self.joined
            .with(|j| j.as_ref().and_then(|m| m.name.scope_subject(subject).ok()))
            .unwrap_or_else(|| subject.clone())
    }

    /// Takes the outcome of one check into the progress.
    pub fn record(self, check: StepCheck) {
        self.progress.update(|p| rules::put_check(p, check));
    }

    fn hear(self, push: &Push) {
        match push {
            Push::Progress(progress) => self.progress.set(progress.clone()),
            Push::Broadcast { message } => {
                let id = self.next_broadcast.get_value();
                self.next_broadcast.set_value(id + 1);
                self.broadcasts.update(|all| {
                    all.insert(
                        0,
                        Broadcast {
                            id,
                            message: message.clone(),
                        },
                    );
                });
            }
            Push::WasReset(report) => {
                self.was_reset.set(Some(report.clone()));
                self.progress.set(Progress::default());
            }
            _ => {}
        }
    }
}

/// The subject as the bridge names it: in a workshop, under the attendee's prefix (tracked).
pub fn scoped(seat: Option<Seat>, subject: &Subject) -> Subject {
    seat.map_or_else(|| subject.clone(), |seat| seat.scope_subject(subject))
}
