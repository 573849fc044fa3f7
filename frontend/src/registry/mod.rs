//! The schema registry panel of the Schema section: the topic (and so the subject) to work on,
//! compatibility checks and registration of the editor's schema, the registry's subjects, the
//! subject's compatibility level and a diff of two versions.
//!
//! Every failure the bridge reports is shown in words (its `ErrorInfo.message`) next to the
//! control that caused it.

pub mod compat;
pub mod diff;
pub mod subjects;

use crate::schema::SchemaState;
use crate::workshop::Seat;
use crate::ws::Bridge;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{
    CompatibilityReport, Push, RegisteredSchema, Request, Response, SubjectInfo,
};
use shared::{IdError, Subject, Topic};
use std::rc::Rc;

/// The topic of the seed.
const DEFAULT_TOPIC: &str = "clicks-avro";

/// What the registry panel's components share.
#[derive(Clone, Copy)]
pub struct RegistryState {
    /// The topic as typed.
    pub topic: RwSignal<String>,
    /// The topic, checked against Kafka's naming rules.
    pub parsed: Memo<Result<Topic, IdError>>,
    /// The registry's subjects with their versions, as last listed.
    pub subjects: RwSignal<Vec<SubjectInfo>>,
    /// Why the last listing failed.
    pub subjects_error: RwSignal<Option<String>>,
}

impl RegistryState {
    fn new() -> Self {
        let topic = RwSignal::new(DEFAULT_TOPIC.to_owned());
        Self {
            topic,
            parsed: Memo::new(move |_| topic.with(|t| Topic::new(t.trim()))),
            subjects: RwSignal::new(Vec::new()),
            subjects_error: RwSignal::new(None),
        }
    }

    /// The value subject of the topic, when the topic is valid (tracked).
    pub fn subject(self) -> Option<Subject> {
        self.parsed
            .with(|p| p.as_ref().ok().map(Topic::value_subject))
    }

    /// Lists the subjects again.
    pub fn refresh(self, bridge: Bridge) {
        spawn_local(async move {
            match bridge.request(Request::ListSubjects).await {
                Ok(Response::Subjects(all)) => {
                    self.subjects.set(all);
                    self.subjects_error.set(None);
                }
                Ok(_) => self.subjects_error.set(Some(unexpected())),
                Err(e) => self.subjects_error.set(Some(e.message)),
            }
        });
    }
}

/// The sentence for a reply of the wrong kind.
pub(crate) fn unexpected() -> String {
    "The bridge gave an answer the page did not expect; reload the page.".into()
}

/// The registry panel.
#[component]
pub fn RegistryPanel() -> impl IntoView {
    let registry = RegistryState::new();
    provide_context(registry);
    let bridge = expect_context::<Bridge>();
    let schema = expect_context::<SchemaState>();
    Effect::new(move |_| {
        if bridge.online().get() {
            registry.refresh(bridge);
        }
    });
    // An instructor's reset deleted the attendee's subjects: forget them here too.
    bridge.on_push(Rc::new(move |push: &Push| {
        if let Push::WasReset(_) = push {
            schema.registered.set(Vec::new());
            registry.refresh(bridge);
        }
    }));
    view! {
        <div class="panel registry">
            <h3>"Schema registry"</h3>
            <TopicActions/>
            <subjects::Subjects/>
            <compat::CompatControl/>
            <diff::VersionDiff/>
        </div>
    }
}

/// A failure reported by the bridge, shown beside the control that caused it.
#[component]
pub fn RegistryError(
    /// The message, when there is one.
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="error" role="alert" data-testid="registry-error">{e}</p> })
    }
}

/// Sends `request` with `busy` raised and the last error cleared; `settle` takes the reply and
/// returns the sentence to show when it is a failure.
fn ask(
    bridge: Bridge,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    request: Request,
    settle: impl FnOnce(crate::ws::book::Reply) -> Result<(), String> + 'static,
) {
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        if let Err(e) = settle(bridge.request(request).await) {
            error.set(Some(e));
        }
        busy.set(false);
    });
}

/// Topic input, subject, and the check and register buttons with their results.
#[component]
fn TopicActions() -> impl IntoView {
    let registry = expect_context::<RegistryState>();
    let schema = expect_context::<SchemaState>();
    let bridge = expect_context::<Bridge>();
    let seat = use_context::<Seat>();
    let busy = RwSignal::new(false);
    let checked = RwSignal::new(None::<CompatibilityReport>);
    let registered = RwSignal::new(None::<RegisteredSchema>);
    let error = RwSignal::new(None::<String>);
    let blocked = move || busy.get() || !schema.valid() || registry.parsed.with(Result::is_err);
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

    let check = move |_| {
        let Ok(topic) = registry.parsed.get_untracked() else {
            return;
        };
        let request = Request::CheckCompatibility {
            topic,
            schema: schema.text.get_untracked(),
        };
        ask(bridge, busy, error, request, move |reply| match reply {
            Ok(Response::Compatibility(report)) => {
                checked.set(Some(report));
                Ok(())
            }
            Ok(_) => Err(unexpected()),
            Err(e) => {
                checked.set(None);
                Err(e.message)
            }
        });
    };
    let register = move |_| {
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
        ask(bridge, busy, error, request, move |reply| match reply {
            Ok(Response::Schema(done)) => {
                schema.remember(fingerprint, done.clone());
                registered.set(Some(done));
                registry.refresh(bridge);
                Ok(())
            }
            Ok(_) => Err(unexpected()),
            Err(e) => {
                registered.set(None);
                Err(e.message)
            }
        });
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
            <button data-testid="check" disabled=blocked on:click=check>"Check compatibility"</button>
            <button data-testid="register" class="primary" disabled=blocked on:click=register>"Register"</button>
            {move || busy.get().then(|| view! { <span class="busy">"asking the registry…"</span> })}
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

/// The subject as the bridge names it: in a workshop, under the attendee's prefix (tracked).
pub(crate) fn scoped(seat: Option<Seat>, subject: &Subject) -> Subject {
    seat.map_or_else(|| subject.clone(), |seat| seat.scope_subject(subject))
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
