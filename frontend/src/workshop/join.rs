//! Joining a workshop: the form (the name checked as typed by the same rules as the bridge's,
//! the bridge's refusal shown as it said it), the name remembered in the browser for next time,
//! joining again by itself after a reconnection, and the attendee's header once joined.

use super::rules;
use super::seat::{Membership, Seat};
use crate::ws::{Bridge, CallError};
use leptos::prelude::*;
use shared::protocol::{Request, Response};
use shared::workshop::{AttendeeName, MAX_ATTENDEE_NAME_LEN};

/// Where the browser keeps the last name joined with.
const REMEMBERED: &str = "kafka-demo.attendee";

/// Sends `Join` for `name` on the socket of `session`; on success fills the seat, remembers the
/// name and lets the playground through. Resolves with the bridge's refusal, if any.
async fn join(bridge: Bridge, seat: Seat, session: u32, name: String) -> Result<(), CallError> {
    let reply = bridge.call(Request::Join { name }, |reply| match reply {
        Response::Joined {
            name,
            prefix,
            limits,
            progress,
        } => Some((
            Membership {
                name,
                prefix,
                limits,
            },
            progress,
        )),
        _ => None,
    });
    let (membership, progress) = reply.await?;
    remember(membership.name.as_str());
    seat.progress.set(progress);
    seat.joined.set(Some(membership));
    bridge.admit(session);
    Ok(())
}

/// After a reconnection the bridge has a new session that knows no name: join again under the
/// same one. If that is refused, the form comes back with the bridge's reason.
pub fn rejoin_on_reconnect(bridge: Bridge, seat: Seat, refused: RwSignal<Option<String>>) {
    let rejoin = Action::new_local(move |(session, name): &(u32, String)| {
        let joined = join(bridge, seat, *session, name.clone());
        async move {
            if let Err(why) = joined.await {
                seat.joined.set(None);
                refused.set(Some(why.to_string()));
            }
        }
    });
    Effect::new(move |_| {
        let Some(welcome) = bridge.welcome().get() else {
            return;
        };
        let Some(name) = seat
            .joined
            .with_untracked(|j| j.as_ref().map(|m| m.name.to_string()))
        else {
            return;
        };
        if welcome.workshop {
            rejoin.dispatch_local((welcome.session, name));
        }
    });
}

/// The refusal the join form shows, shared so a failed re-join can fill it too.
#[derive(Clone, Copy)]
struct JoinError(RwSignal<Option<String>>);

/// The join form.
#[component]
pub fn JoinForm() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let seat = expect_context::<Seat>();
    let name = RwSignal::new(remembered().unwrap_or_default());
    let refused = use_context::<JoinError>().map_or_else(|| RwSignal::new(None), |e| e.0);
    let joining = Action::new_local(move |(session, name): &(u32, String)| {
        let joined = join(bridge, seat, *session, name.clone());
        async move {
            if let Err(why) = joined.await {
                refused.set(Some(why.to_string()));
            }
        }
    });
    let busy = joining.pending();
    // The rules, applied as the name is typed; nothing is said about an empty field.
    let invalid = Memo::new(move |_| {
        name.with(|n| {
            let n = n.trim();
            (!n.is_empty())
                .then(|| AttendeeName::new(n).err().map(|e| e.to_string()))
                .flatten()
        })
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = name.get_untracked().trim().to_owned();
        if let Err(e) = AttendeeName::new(typed.as_str()) {
            return refused.set(Some(e.to_string()));
        }
        let Some(session) = bridge.welcome().get_untracked().map(|w| w.session) else {
            return refused.set(Some(crate::ws::book::not_connected().message));
        };
        refused.set(None);
        joining.dispatch_local((session, typed));
    };
    view! {
        <section class="step join" data-testid="join-form">
            <h2>"Join the workshop"</h2>
            <p class="lede">
                "This playground is shared by everyone in the room. Pick a name: your topics and "
                "schemas are kept apart from everyone else's under it, and the instructor sees your "
                "progress by it."
            </p>
            <form on:submit=submit>
                <label class="field">
                    <span>"Your name"</span>
                    <input
                        data-testid="join-name"
                        autocomplete="nickname"
                        spellcheck="false"
                        maxlength=MAX_ATTENDEE_NAME_LEN * 2
                        placeholder="e.g. ada or team-7"
                        prop:value=move || name.get()
                        on:input:target=move |ev| {
                            name.set(ev.target().value());
                            refused.set(None);
                        }
                    />
                </label>
                <p class="hint">
                    {format!(
                        "Lowercase letters, digits and '-', starting with a letter; at most {MAX_ATTENDEE_NAME_LEN} characters."
                    )}
                </p>
                {move || invalid.get().map(|e| view! {
                    <p class="error" data-testid="join-invalid">{e}</p>
                })}
                <button
                    type="submit"
                    class="primary"
                    data-testid="join-submit"
                    disabled=move || busy.get() || invalid.with(Option::is_some) || name.with(|n| n.trim().is_empty())
                >{move || if busy.get() { "Joining…" } else { "Join" }}</button>
            </form>
            {move || refused.get().map(|e| view! {
                <p class="error" role="alert" data-testid="join-error">{e}</p>
            })}
        </section>
    }
}

/// Provides the join form's refusal to the gate's components (called before they mount).
pub fn provide_join_error() -> RwSignal<Option<String>> {
    let refused = RwSignal::new(None);
    provide_context(JoinError(refused));
    refused
}

/// The attendee's header: name, prefix and what that means, and the limits.
#[component]
pub fn AttendeeBar() -> impl IntoView {
    let seat = expect_context::<Seat>();
    move || {
        seat.joined.get().map(|m| {
            let example = format!("{}clicks-avro", m.prefix);
            view! {
                <div class="attendee-bar" data-testid="attendee-bar">
                    <span>"Joined as " <strong data-testid="attendee-name">{m.name.to_string()}</strong></span>
                    <span>
                        "prefix " <code data-testid="attendee-prefix">{m.prefix.clone()}</code>
                        " — topics and subjects you type without a prefix land under it ("
                        <code>"clicks-avro"</code> " is " <code>{example}</code> ")"
                    </span>
                    <span class="limits" data-testid="attendee-limits">{rules::limits_line(&m.limits)}</span>
                </div>
            }
        })
    }
}

/// The name joined with last time in this browser.
fn remembered() -> Option<String> {
    storage()?.get_item(REMEMBERED).ok().flatten()
}

fn remember(name: &str) {
    if let Some(storage) = storage() {
        // A browser that refuses to store only loses the suggestion next time.
        let _ = storage.set_item(REMEMBERED, name);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
