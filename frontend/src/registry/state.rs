//! What the registry panel's components share: the topic (and so the subject) worked on, the
//! registry's subjects as last listed, and how a failure the bridge reports is shown.

use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::{Request, Response, SubjectInfo};
use shared::{IdError, Subject, Topic};

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
    listing: Action<(), ()>,
}

impl RegistryState {
    pub(super) fn new(bridge: Bridge) -> Self {
        let topic = RwSignal::new(DEFAULT_TOPIC.to_owned());
        let subjects = RwSignal::new(Vec::new());
        let subjects_error = RwSignal::new(None);
        let listing = Action::new_local(move |_: &()| {
            let listed = bridge.call(Request::ListSubjects, |reply| match reply {
                Response::Subjects(all) => Some(all),
                _ => None,
            });
            async move {
                match listed.await {
                    Ok(all) => {
                        subjects.set(all);
                        subjects_error.set(None);
                    }
                    Err(e) => subjects_error.set(Some(e.to_string())),
                }
            }
        });
        Self {
            topic,
            parsed: Memo::new(move |_| topic.with(|t| Topic::new(t.trim()))),
            subjects,
            subjects_error,
            listing,
        }
    }

    /// The value subject of the topic, when the topic is valid (tracked).
    pub fn subject(self) -> Option<Subject> {
        self.parsed
            .with(|p| p.as_ref().ok().map(Topic::value_subject))
    }

    /// Lists the subjects again.
    pub fn refresh(self) {
        self.listing.dispatch_local(());
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
