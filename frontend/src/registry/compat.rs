//! The compatibility level of the topic's subject: the level in force (the subject's own, else
//! the registry's global one) and a menu to set the subject's.

use super::state::{RegistryError, RegistryState};
use crate::ws::book::unexpected;
use crate::ws::Bridge;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{CompatLevel, ErrorCode, Request, Response};
use shared::Subject;

/// The level in force and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InForce {
    level: String,
    /// The subject has no versions yet, so the registry's global level applies.
    global: bool,
}

/// Level in force, a menu of levels and a button to set one.
#[component]
pub fn CompatControl() -> impl IntoView {
    let registry = expect_context::<RegistryState>();
    let bridge = expect_context::<Bridge>();
    let in_force = RwSignal::new(None::<InForce>);
    let choice = RwSignal::new(CompatLevel::Backward);
    let error = RwSignal::new(None::<String>);
    let subject = Memo::new(move |_| registry.subject());

    // Read the level whenever the subject changes, the subjects are listed again (a registration
    // may have created it) or the bridge comes back; an answer for a subject that is no longer
    // the current one is dropped.
    Effect::new(move |_| {
        registry.subjects.track();
        let (Some(asked), true) = (subject.get(), bridge.online().get()) else {
            in_force.set(None);
            return;
        };
        spawn_local(async move {
            let reply = level_in_force(bridge, asked.clone()).await;
            if subject.get_untracked().as_ref() != Some(&asked) {
                return;
            }
            match reply {
                Ok(found) => {
                    if let Some(parsed) = CompatLevel::parse(&found.level) {
                        choice.set(parsed);
                    }
                    in_force.set(Some(found));
                    error.set(None);
                }
                Err(message) => error.set(Some(message)),
            }
        });
    });

    let set = move |_| {
        let Some(asked) = subject.get_untracked() else {
            return;
        };
        let level = choice.get_untracked();
        error.set(None);
        spawn_local(async move {
            let request = Request::SetCompatibility {
                subject: Some(asked),
                level,
            };
            match bridge.request(request).await {
                Ok(Response::Level { level, .. }) => in_force.set(Some(InForce {
                    level,
                    global: false,
                })),
                Ok(_) => error.set(Some(unexpected())),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };

    view! {
        <div class="block">
            <div class="row">
                <label>
                    "Compatibility "
                    <select
                        data-testid="compat-level"
                        on:change:target=move |ev| {
                            if let Some(level) = CompatLevel::parse(&ev.target().value()) {
                                choice.set(level);
                            }
                        }
                    >
                        {CompatLevel::ALL
                            .into_iter()
                            .map(|level| {
                                view! {
                                    <option
                                        value=level.as_str()
                                        prop:selected=move || choice.get() == level
                                    >
                                        {level.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button
                    data-testid="set-compat"
                    disabled=move || subject.with(Option::is_none)
                    on:click=set
                >
                    "Set"
                </button>
                <span class="in-force">
                    "in force: "
                    <code data-testid="compat-current">
                        {move || in_force.get().map_or_else(|| "—".into(), |f| f.level)}
                    </code>
                    {move || {
                        in_force
                            .get()
                            .is_some_and(|f| f.global)
                            .then_some(" (the registry's default, until the subject has a version)")
                    }}
                </span>
            </div>
            <RegistryError error/>
        </div>
    }
}

/// The level in force for `subject`: its own, or — while it has no versions, which some
/// registries answer with "not found" — the global one.
async fn level_in_force(bridge: Bridge, subject: Subject) -> Result<InForce, String> {
    let own = bridge
        .request(Request::GetCompatibility {
            subject: Some(subject),
        })
        .await;
    let (reply, global) = match own {
        Err(e) if e.code == ErrorCode::NotFound => (
            bridge
                .request(Request::GetCompatibility { subject: None })
                .await,
            true,
        ),
        other => (other, false),
    };
    match reply {
        Ok(Response::Level { level, .. }) => Ok(InForce { level, global }),
        Ok(_) => Err(unexpected()),
        Err(e) => Err(e.message),
    }
}
