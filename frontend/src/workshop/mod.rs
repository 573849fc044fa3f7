//! Workshop mode in the page: who this tab is (an attendee, or the instructor when the address
//! ends in `#instructor=<key>`), the join form that stands before the playground when the bridge
//! runs with `--workshop`, the attendee's header (name, prefix, limits), the instructor's
//! broadcasts and resets as notices, and the guided steps.
//!
//! [`seat::Seat`] holds an attendee's standing for every component (the guide, the inspector's
//! "use as answer"). Outside workshop mode the bridge's greeting lets the playground through at once and
//! none of this shows.

pub mod answer;
pub mod guide;
pub mod instructor;
pub mod join;
pub mod news;
pub mod rules;
pub mod seat;

use crate::ws::Bridge;
use leptos::prelude::*;
use rules::Role;
use seat::Seat;

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
        {move || (workshop.get().is_none() && bridge.connection().with(|c| !c.gave_up())).then(|| view! {
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
