//! Workshop mode in the page: who this tab is (an attendee, or the instructor when the address
//! ends in `#instructor=<key>`), the join form that stands before the playground when the bridge
//! runs with `--workshop`, the attendee's header (name, prefix, limits), the instructor's
//! broadcasts and resets as notices, and the guided steps.
//!
//! [`Seat`] holds an attendee's standing for every component (the guide, the inspector's "use as
//! answer"). Outside workshop mode the bridge's greeting lets the playground through at once and
//! none of this shows.

pub mod guide;
pub mod instructor;
pub mod join;
pub mod news;
pub mod rules;

use crate::ws::Bridge;
use leptos::prelude::*;
use rules::Role;
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

/// In a workshop, a button that fills in the answer to a guided step with `value` (a poison
/// pill's position, the top creative); nothing outside workshop mode.
#[component]
pub fn UseAsAnswer(
    /// The step answered.
    step: Step,
    /// The answer.
    value: String,
    /// The button's test id.
    testid: &'static str,
) -> impl IntoView {
    let seat = use_context::<Seat>();
    move || {
        let seat = seat.filter(|s| s.is_joined())?;
        let answer = seat.answer(step);
        let label = format!("use {value} as the answer to step {}", rules::number(step));
        let value = value.clone();
        Some(view! {
            <button
                class="use-answer"
                data-testid=testid
                title="fill in the answer in the Steps panel"
                on:click=move |_| answer.set(value.clone())
            >{label}</button>
        })
    }
}

/// The page's body for its role: the instructor's desk, or the playground behind the attendee's
/// gate.
#[component]
pub fn ByRole(
    /// The playground, shown to attendees (and to everyone outside workshop mode).
    children: ChildrenFn,
) -> impl IntoView {
    match rules::role(&page_hash()) {
        Role::Instructor(key) => view! { <instructor::Desk key/> }.into_any(),
        Role::Attendee => view! { <AttendeeGate children/> }.into_any(),
    }
}

/// Before the bridge has greeted the page, a hint; in workshop mode the join form until the tab
/// has joined, then the attendee's header, notices and guide above the playground. Once shown,
/// the playground stays mounted (hidden while a re-join is asked for), so nothing typed is lost.
#[component]
fn AttendeeGate(children: ChildrenFn) -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let seat = Seat::new(bridge);
    provide_context(seat);
    // The mode outlives the socket: a reconnection does not blank the page.
    let workshop = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        if let Some(w) = bridge.welcome().get() {
            workshop.set(Some(w.workshop));
        }
    });
    let asking = move || workshop.get() == Some(true) && !seat.is_joined();
    let unlocked = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || workshop.get() == Some(false) || seat.is_joined()
    });
    let refused = join::provide_join_error();
    join::rejoin_on_reconnect(bridge, seat, refused);
    view! {
        {move || workshop.get().is_none().then(|| view! {
            <p class="hint waiting" data-testid="waiting">"Waiting for the bridge to answer…"</p>
        })}
        {move || asking().then(|| view! { <join::JoinForm/> })}
        <Show when=move || unlocked.get()>
            <div class="playground" hidden=asking>
                {move || seat.is_joined().then(|| view! {
                    <div class="workshop-top">
                        <join::AttendeeBar/>
                        <news::Notices/>
                        <guide::Guide/>
                    </div>
                })}
                {children()}
            </div>
        </Show>
    }
}

/// The page address's `#…` part, decoded by the browser's rules later.
fn page_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}
