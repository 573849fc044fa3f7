//! The compatibility level of the topic's subject: the level in force (the subject's own, else
//! the registry's global one) and a menu to set the subject's.

use super::state::{RegistryError, RegistryState};
use crate::ws::{Bridge, CallError};
use leptos::prelude::*;
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

    // The level, read again whenever the subject changes, the subjects are listed again (a
    // registration may have created it) or the bridge comes back; an answer for a subject that
    // is no longer the current one is dropped by the resource. `None`: nothing to ask about.
    let found = LocalResource::new(move || {
        registry.subjects.track();
        let asked = subject.get().filter(|_| bridge.online().get());
        async move {
            match asked {
                Some(asked) => Some(level_in_force(bridge, asked).await),
                None => None,
            }
        }
    });
    Effect::new(move |_| match found.get() {
        Some(None) => in_force.set(None),
        Some(Some(Ok(level))) => {
            if let Some(parsed) = CompatLevel::parse(&level.level) {
                choice.set(parsed);
            }
            in_force.set(Some(level));
            error.set(None);
        }
        Some(Some(Err(e))) => error.set(Some(e.to_string())),
        None => {}
    });
    let set_level = Action::new_local(move |request: &Request| {
        error.set(None);
        let reply = bridge.call(request.clone(), |reply| match reply {
            Response::Level { level, .. } => Some(level),
            _ => None,
        });
        async move {
            match reply.await {
                Ok(level) => in_force.set(Some(InForce {
                    level,
                    global: false,
                })),
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let set = move |_| {
        if let Some(asked) = subject.get_untracked() {
            set_level.dispatch_local(Request::SetCompatibility {
                subject: Some(asked),
                level: choice.get_untracked(),
            });
        }
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
async fn level_in_force(bridge: Bridge, subject: Subject) -> Result<InForce, CallError> {
    let ask = |subject| {
        bridge.call(Request::GetCompatibility { subject }, |reply| match reply {
            Response::Level { level, .. } => Some(level),
            _ => None,
        })
    };
    match ask(Some(subject)).await {
        Err(e) if e.code() == Some(ErrorCode::NotFound) => {
            let level = ask(None).await?;
            Ok(InForce {
                level,
                global: true,
            })
        }
        own => Ok(InForce {
            level: own?,
            global: false,
        }),
    }
}
