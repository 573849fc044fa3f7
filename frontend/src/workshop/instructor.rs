//! The instructor's desk, shown instead of the playground when the address ends in
//! `#instructor=<key>`: the seat is taken with `Instruct` after every greeting, then a live
//! roster of attendees (connected or not; per step a mark for not started / in progress / failed
//! / passed with the check as a tooltip and the time spent on it, live while in progress; steps
//! done), resets with a confirmation and a dismissable note of what they removed, and a
//! broadcast to every attendee.
//! A refused key shows the bridge's words and a field to try another.

use super::news::removed_lines;
use super::rules::{self, Status};
use crate::ws::{call, Bridge};
use leptos::prelude::*;
use shared::protocol::{Push, Request, Response};
use shared::workshop::{AttendeeName, AttendeeView, ResetReport, Step, StepCheck};
use std::rc::Rc;

/// What the desk's components share.
#[derive(Clone, Copy)]
struct DeskState {
    key: RwSignal<String>,
    seated: RwSignal<bool>,
    refused: RwSignal<Option<String>>,
    roster: RwSignal<Vec<AttendeeView>>,
    /// Asks for the seat with the current key on the socket of a session.
    seating: Action<u32, ()>,
}

impl DeskState {
    fn new(bridge: Bridge, key: String) -> Self {
        let key = RwSignal::new(key);
        let seated = RwSignal::new(false);
        let refused = RwSignal::new(None);
        let roster = RwSignal::new(Vec::new());
        let seating = Action::new_local(move |session: &u32| {
            let session = *session;
            let request = Request::Instruct {
                key: key.get_untracked(),
            };
            let reply = bridge.call(request, |reply| match reply {
                Response::Instructing { roster } => Some(roster),
                _ => None,
            });
            async move {
                match reply.await {
                    Ok(all) => {
                        roster.set(all);
                        refused.set(None);
                        seated.set(true);
                        bridge.admit(session);
                    }
                    Err(e) => {
                        seated.set(false);
                        refused.set(Some(e.to_string()));
                    }
                }
            }
        });
        Self {
            key,
            seated,
            refused,
            roster,
            seating,
        }
    }

    /// Asks for the seat with the current key on the socket of `session`.
    fn take_seat(self, session: u32) {
        self.seating.dispatch_local(session);
    }
}

/// The desk.
#[component]
pub fn Desk(
    /// The key from the address.
    key: String,
) -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let desk = DeskState::new(bridge, key);
    provide_context(desk);
    bridge.on_push(Rc::new(move |push: &Push| {
        if let Push::Roster(roster) = push {
            desk.roster.set(roster.clone());
        }
    }));
    // Every new socket is a new session: take the seat again.
    Effect::new(move |_| match bridge.welcome().get() {
        Some(welcome) => desk.take_seat(welcome.session),
        None => desk.seated.set(false),
    });
    view! {
        <main class="desk" data-testid="instructor">
            <section class="step">
                <h2>"Instructor"</h2>
                {move || desk.refused.get().map(|why| view! { <KeyRetry why/> })}
                <Show when=move || desk.seated.get()>
                    <Roster/>
                    <BroadcastForm/>
                </Show>
            </section>
        </main>
    }
}

/// The bridge's refusal and a field for another key.
#[component]
fn KeyRetry(why: String) -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let desk = expect_context::<DeskState>();
    let typed = RwSignal::new(String::new());
    let retry = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(session) = bridge.welcome().get_untracked().map(|w| w.session) else {
            return desk
                .refused
                .set(Some(crate::ws::book::not_connected().message));
        };
        desk.key.set(typed.get_untracked().trim().to_owned());
        desk.take_seat(session);
    };
    view! {
        <p class="error" role="alert" data-testid="instructor-error">{why}</p>
        <form class="row" on:submit=retry>
            <label class="field">
                <span>"Instructor key (printed by kafka-demo serve)"</span>
                <input
                    data-testid="instructor-key"
                    type="password"
                    autocomplete="off"
                    prop:value=move || typed.get()
                    on:input:target=move |ev| typed.set(ev.target().value())
                />
            </label>
            <button type="submit" data-testid="instructor-retry" disabled=move || typed.with(|t| t.trim().is_empty())>
                "Try this key"
            </button>
        </form>
    }
}

/// Whom a reset is for: one attendee, or everyone.
type Target = Option<AttendeeName>;

/// The desk's clock, ms since the epoch, ticking while the roster is shown: the time spent on
/// steps in progress grows with it.
#[derive(Clone, Copy)]
struct Now(ReadSignal<i64>);

/// How often the time spent on steps in progress is brought up to date.
const TICK: std::time::Duration = std::time::Duration::from_secs(10);

/// A clock that ticks every [`TICK`] until the component using it goes away.
fn ticking_clock() -> Now {
    let (now, set_now) = signal(js_sys::Date::now() as i64);
    if let Ok(handle) =
        set_interval_with_handle(move || set_now.set(js_sys::Date::now() as i64), TICK)
    {
        on_cleanup(move || handle.clear());
    }
    Now(now)
}

/// The roster table, resets and their outcome.
#[component]
fn Roster() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let desk = expect_context::<DeskState>();
    let confirming = RwSignal::new(None::<Target>);
    let outcome = RwSignal::new(None::<Vec<ResetReport>>);
    let error = RwSignal::new(None::<String>);
    let resetting = Action::new_local(move |target: &Target| {
        error.set(None);
        let request = Request::ResetAttendees {
            attendee: target.clone(),
        };
        let reply = bridge.call(request, |reply| match reply {
            Response::Reset(reports) => Some(reports),
            _ => None,
        });
        async move {
            match reply.await {
                Ok(reports) => outcome.set(Some(reports)),
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let busy = resetting.pending();
    let reset = move |target: Target| {
        confirming.set(None);
        outcome.set(None);
        resetting.dispatch_local(target);
    };
    provide_context(confirming);
    provide_context(outcome);
    provide_context(ticking_clock());
    view! {
        <div class="roster-bar row">
            <h3>{move || format!("Attendees ({})", desk.roster.with(Vec::len))}</h3>
            <button
                data-testid="instructor-reset-all"
                disabled=move || busy.get() || desk.roster.with(Vec::is_empty)
                on:click=move |_| confirming.set(Some(None))
            >"Reset all…"</button>
        </div>
        {move || confirming.get().map(|target| view! { <Confirm target on_yes=reset/> })}
        {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="instructor-reset-error">{e}</p> })}
        {move || outcome.get().map(|reports| view! { <ResetOutcome reports/> })}
        <table class="roster" data-testid="instructor-roster">
            <thead>
                <tr>
                    <th>"name"</th>
                    <th>"connected"</th>
                    {Step::ALL.into_iter().map(|s| view! {
                        <th class="mark step-head" data-testid=format!("instructor-head-{}", rules::slug(s))>
                            <span class="no">{rules::number(s)}</span>" "{s.title()}
                        </th>
                    }).collect_view()}
                    <th>"done"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {move || desk.roster.get().into_iter().map(|a| view! { <RosterRow attendee=a/> }).collect_view()}
            </tbody>
        </table>
        {move || desk.roster.with(Vec::is_empty).then(|| view! {
            <p class="hint" data-testid="instructor-empty">"Nobody has joined yet."</p>
        })}
    }
}

#[component]
fn RosterRow(attendee: AttendeeView) -> impl IntoView {
    let confirming = expect_context::<RwSignal<Option<Target>>>();
    let name = attendee.name.to_string();
    let done = attendee.progress.done();
    let cells = Step::ALL
        .into_iter()
        .map(|step| view! { <StepCell name=name.clone() check=rules::check_of(&attendee.progress, step)/> })
        .collect_view();
    let who = attendee.name.clone();
    view! {
        <tr data-testid=format!("instructor-row-{name}") data-connected=attendee.connected.to_string() data-done=done>
            <td class="name">{name.clone()}</td>
            <td data-testid=format!("instructor-connected-{name}")>{if attendee.connected { "● yes" } else { "○ no" }}</td>
            {cells}
            <td data-testid=format!("instructor-done-{name}")>{format!("{done} / {}", Step::ALL.len())}</td>
            <td>
                <button
                    data-testid=format!("instructor-reset-{name}")
                    on:click=move |_| confirming.set(Some(Some(who.clone())))
                >"Reset…"</button>
            </td>
        </tr>
    }
}

/// One step of one attendee: its mark and word, the check as a tooltip, and the time spent.
#[component]
fn StepCell(name: String, check: StepCheck) -> impl IntoView {
    let Now(now) = expect_context::<Now>();
    let (symbol, word, state) = rules::state_mark(check.state);
    let title = format!("{word} — {}", rules::tooltip(&check));
    let status = Status::of(&check).name();
    let testid = format!("instructor-step-{name}-{}", rules::slug(check.step));
    let spent = move || check.spent_ms(now.get()).map(rules::spent_words);
    view! {
        <td class="mark" data-testid=testid data-status=status data-state=state title=title>
            <span class="sym" aria-hidden="true">{symbol}</span>
            <span class="word">{word}</span>
            <span class="spent" data-testid="instructor-spent">{spent}</span>
        </td>
    }
}

/// "Really?" before a reset.
#[component]
fn Confirm(target: Target, on_yes: impl Fn(Target) + Copy + 'static) -> impl IntoView {
    let confirming = expect_context::<RwSignal<Option<Target>>>();
    let whom = target
        .as_ref()
        .map_or_else(|| "every attendee".to_owned(), |n| n.to_string());
    view! {
        <div class="confirm" role="alertdialog" data-testid="instructor-confirm">
            <p>
                {format!("Reset {whom}? This stops their jobs and deletes their topics, subjects, checkpoints and batch output; their progress starts over.")}
            </p>
            <button class="danger" data-testid="instructor-confirm-yes" on:click=move |_| on_yes(target.clone())>"Reset"</button>
            <button data-testid="instructor-confirm-no" on:click=move |_| confirming.set(None)>"Cancel"</button>
        </div>
    }
}

/// What a reset removed, per attendee, until the instructor closes it (or resets again).
#[component]
fn ResetOutcome(reports: Vec<ResetReport>) -> impl IntoView {
    let outcome = expect_context::<RwSignal<Option<Vec<ResetReport>>>>();
    view! {
        <div class="result ok reset-result" data-testid="instructor-reset-result">
            <button
                class="dismiss"
                data-testid="instructor-reset-dismiss"
                title="close"
                aria-label="close"
                on:click=move |_| outcome.set(None)
            >"×"</button>
            {if reports.is_empty() { Some(view! { <p>"Nobody to reset."</p> }) } else { None }}
            {reports.into_iter().map(|r| view! {
                <p><strong>{format!("Reset {}:", r.name)}</strong></p>
                <ul>{removed_lines(&r).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            }).collect_view()}
        </div>
    }
}

/// A message for every attendee's page.
#[component]
fn BroadcastForm() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let message = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Result<String, String>>);
    let sending = Action::new_local(move |text: &String| {
        status.set(None);
        let text = text.clone();
        let reply = bridge.call(
            Request::Broadcast {
                message: text.clone(),
            },
            call::done,
        );
        async move {
            match reply.await {
                Ok(()) => {
                    status.set(Some(Ok(format!("sent: {text}"))));
                    message.set(String::new());
                }
                Err(e) => status.set(Some(Err(e.to_string()))),
            }
        }
    });
    let busy = sending.pending();
    let counted = Memo::new(move |_| message.with(|m| rules::broadcast_count(m)));
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sending.dispatch_local(message.get_untracked().trim().to_owned());
    };
    view! {
        <form class="broadcast-form" on:submit=send>
            <h3>"Broadcast"</h3>
            <textarea
                data-testid="broadcast-input"
                rows="2"
                placeholder="e.g. Ten minutes left for step 4"
                prop:value=move || message.get()
                on:input:target=move |ev| message.set(ev.target().value())
            ></textarea>
            <div class="row">
                <span class="counter" class:over=move || message.with(|m| m.chars().count() > rules::MAX_BROADCAST) data-testid="broadcast-count">
                    {move || counted.with(|c| c.0.clone())}
                </span>
                <button
                    type="submit"
                    class="primary"
                    data-testid="broadcast-send"
                    disabled=move || busy.get() || !counted.with(|c| c.1) || !bridge.online().get()
                >"Send to everyone"</button>
            </div>
            {move || status.get().map(|s| match s {
                Ok(text) => view! { <p class="result ok" data-testid="broadcast-status">{text}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert" data-testid="broadcast-error">{e}</p> }.into_any(),
            })}
        </form>
    }
}
