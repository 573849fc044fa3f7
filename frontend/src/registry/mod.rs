//! The schema registry panel of the Schema section: the topic (and so the subject) to work on,
//! compatibility checks and registration of the editor's schema, the registry's subjects, the
//! subject's compatibility level and a diff of two versions.
//!
//! Every failure the bridge reports is shown in words (its `ErrorInfo.message`) next to the
//! control that caused it.

pub mod compat;
pub mod diff;
pub mod state;
pub mod subjects;
pub mod topic;

use crate::schema::state::SchemaState;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::Push;
use state::RegistryState;
use std::rc::Rc;

/// The registry panel.
#[component]
pub fn RegistryPanel() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let registry = RegistryState::new(bridge);
    provide_context(registry);
    let schema = expect_context::<SchemaState>();
    Effect::new(move |_| {
        if bridge.online().get() {
            registry.refresh();
        }
    });
    // An instructor's reset deleted the attendee's subjects: forget them here too.
    bridge.on_push(Rc::new(move |push: &Push| {
        if let Push::WasReset(_) = push {
            schema.registered.set(Vec::new());
            registry.refresh();
        }
    }));
    view! {
        <div class="panel registry">
            <h3>"Schema registry"</h3>
            <topic::TopicActions/>
            <subjects::Subjects/>
            <compat::CompatControl/>
            <diff::VersionDiff/>
        </div>
    }
}
