//! The topic of the registry panel and what is done under it: the topic input and its subject,
//! checking the editor's schema for compatibility and registering it, with their results.

use super::state::{RegistryError, RegistryState};
use crate::schema::state::SchemaState;
use crate::workshop::seat::{scoped, Seat};
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::{CompatibilityReport, RegisteredSchema, Request, Response};

/// Topic input, subject, and the check and register buttons with their results.
#[component]
pub fn TopicActions() -> impl IntoView {
    let registry = expect_context::<RegistryState>();
    let schema = expect_context::<SchemaState>();
    let bridge = expect_context::<Bridge>();
    let seat = use_context::<Seat>();
    let checked = RwSignal::new(None::<CompatibilityReport>);
    let registered = RwSignal::new(None::<RegisteredSchema>);
    let error = RwSignal::new(None::<String>);
    // Checking: the report, or why there is none.
    let check = Action::new_local(move |request: &Request| {
        error.set(None);
        let reply = bridge.call(request.clone(), |reply| match reply {
            Response::Compatibility(report) => Some(report),
            _ => None,
        });
        async move {
            match reply.await {
                Ok(report) => checked.set(Some(report)),
                Err(e) => {
                    checked.set(None);
                    error.set(Some(e.to_string()));
                }
            }
        }
    });
    // Registering the text with the given fingerprint: remembered, and the subjects listed again.
    let register = Action::new_local(move |(fingerprint, request): &(String, Request)| {
        error.set(None);
        let fingerprint = fingerprint.clone();
        let reply = bridge.call(request.clone(), |reply| match reply {
            Response::Schema(done) => Some(done),
            _ => None,
        });
        async move {
            match reply.await {
                Ok(done) => {
                    schema.remember(fingerprint, done.clone());
                    registered.set(Some(done));
                    registry.refresh();
                }
                Err(e) => {
                    registered.set(None);
                    error.set(Some(e.to_string()));
                }
            }
        }
    });
    let busy = move || check.pending().get() || register.pending().get();
    let blocked = move || busy() || !schema.valid() || registry.parsed.with(Result::is_err);
    // A reset (see `RegistryPanel`) forgets what this page registered.
    Effect::new(move |_| {
        if schema.registered.with(Vec::is_empty) {
            registered.set(None);
        }
    });
    // A check, or a failure, answers for one text under one topic: editing either makes it stale.
    Effect::new(move |_| {
        schema.text.track();
        registry.topic.track();
        checked.set(None);
        error.set(None);
    });

    let check_now = move |_| {
        let Ok(topic) = registry.parsed.get_untracked() else {
            return;
        };
        check.dispatch_local(Request::CheckCompatibility {
            topic,
            schema: schema.text.get_untracked(),
        });
    };
    let register_now = move |_| {
        let Ok(topic) = registry.parsed.get_untracked() else {
            return;
        };
        let Some(fingerprint) = schema
            .checked
            .with_untracked(|c| c.as_ref().ok().map(|d| d.fingerprint.clone()))
        else {
            return;
        };
        let request = Request::Register {
            topic,
            schema: schema.text.get_untracked(),
        };
        register.dispatch_local((fingerprint, request));
    };

    view! {
        <div class="row">
            <label>
                "Topic "
                <input
                    data-testid="topic"
                    type="text"
                    spellcheck="false"
                    prop:value=move || registry.topic.get()
                    on:input:target=move |ev| registry.topic.set(ev.target().value())
                />
            </label>
            <span class="subject">
                "subject "
                <code data-testid="subject">
                    {move || registry.subject().map(|s| scoped(seat, &s).to_string()).unwrap_or_default()}
                </code>
            </span>
        </div>
        {move || registry.parsed.get().err().map(|e| view! { <p class="error">{e.to_string()}</p> })}
        <div class="row">
            <button data-testid="check" disabled=blocked on:click=check_now>"Check compatibility"</button>
            <button data-testid="register" class="primary" disabled=blocked on:click=register_now>"Register"</button>
            {move || busy().then(|| view! { <span class="busy">"asking the registry…"</span> })}
        </div>
        <RegistryError error/>
        {move || checked.get().map(|report| view! { <CheckResult report/> })}
        {move || {
            registered.get().map(|r| view! {
                <p class="result ok" data-testid="register-result">
                    {format!("registered {} version {}, id {}", r.subject, r.version, r.id)}
                </p>
            })
        }}
    }
}

/// The outcome of a compatibility check, with each reason as a list item.
#[component]
fn CheckResult(
    /// The registry's answer.
    report: CompatibilityReport,
) -> impl IntoView {
    let summary = check_summary(&report);
    view! {
        <div
            class="result"
            class:ok=report.compatible
            class:bad=!report.compatible
            data-testid="check-result"
            data-compatible=report.compatible.to_string()
        >
            <p>{summary}</p>
            {(!report.reasons.is_empty()).then(|| view! {
                <ul class="reasons">
                    {report.reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// One sentence: compatible or not, with what, under which level.
fn check_summary(report: &CompatibilityReport) -> String {
    match (report.compatible, report.against_version) {
        (_, None) => format!(
            "Nothing is registered under {} yet, so any valid schema may be registered (level {}).",
            report.subject, report.level
        ),
        (true, Some(v)) => format!(
            "Compatible with version {v} of {} under {}.",
            report.subject, report.level
        ),
        (false, Some(v)) => format!(
            "Not compatible with version {v} of {} under {}.",
            report.subject, report.level
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Subject;

    fn report(compatible: bool, against: Option<u32>) -> CompatibilityReport {
        CompatibilityReport {
            subject: Subject::new("clicks-avro-value").unwrap_or_else(|e| panic!("{e}")),
            compatible,
            against_version: against,
            level: "BACKWARD".into(),
            reasons: vec![],
        }
    }

    #[test]
    fn the_summary_names_version_subject_and_level() {
        assert_eq!(
            check_summary(&report(false, Some(1))),
            "Not compatible with version 1 of clicks-avro-value under BACKWARD."
        );
        assert_eq!(
            check_summary(&report(true, Some(2))),
            "Compatible with version 2 of clicks-avro-value under BACKWARD."
        );
        assert!(check_summary(&report(true, None))
            .starts_with("Nothing is registered under clicks-avro-value"));
    }
}
