//! Seed step 1 in the page: the schema being authored, validated as it is typed (apache-avro
//! compiled to WASM), described, checked and registered, and previewed on the wire.
//!
//! [`SchemaState`] holds the text and its validation — a memo of a `Result` — for every
//! component of the section.

pub mod details;
pub mod editor;
pub mod fields;

use crate::registry::RegistryPanel;
use crate::widgets::Step;
use crate::wire::WirePreview;
use leptos::prelude::*;
use shared::protocol::RegisteredSchema;
use shared::schema::{validate, Described, SchemaProblem};
use shared::SchemaId;
use std::sync::Arc;

/// The editor's text, parsed.
pub type Checked = Result<Arc<Described>, SchemaProblem>;

/// The schema being authored, shared by the section's components.
#[derive(Clone, Copy)]
pub struct SchemaState {
    /// The editor's text.
    pub text: RwSignal<String>,
    /// The text validated, recomputed whenever it changes.
    pub checked: Memo<Checked>,
    /// Schemas registered from this page, with the fingerprint of the text that was sent.
    pub registered: RwSignal<Vec<(String, RegisteredSchema)>>,
}

impl SchemaState {
    /// An empty editor.
    pub fn new() -> Self {
        let text = RwSignal::new(String::new());
        Self {
            text,
            checked: Memo::new_with_compare(
                move |_| text.with(|t| validate(t).map(Arc::new)),
                changed,
            ),
            registered: RwSignal::new(Vec::new()),
        }
    }

    /// The valid schema, if the text is one (tracked).
    pub fn described(self) -> Option<Arc<Described>> {
        self.checked.with(|c| c.as_ref().ok().cloned())
    }

    /// Whether the text is a valid schema (tracked).
    pub fn valid(self) -> bool {
        self.checked.with(Result::is_ok)
    }

    /// The registration of the current schema, when this page registered it (tracked).
    pub fn registration(self) -> Option<RegisteredSchema> {
        let fingerprint = self.described()?.fingerprint.clone();
        self.registered.with(|all| {
            all.iter()
                .rev()
                .find(|(f, _)| *f == fingerprint)
                .map(|(_, r)| r.clone())
        })
    }

    /// Remembers that the schema with `fingerprint` was registered as `registered`.
    pub fn remember(self, fingerprint: String, registered: RegisteredSchema) {
        self.registered
            .update(|all| all.push((fingerprint, registered)));
    }

    /// The id the registry gave the current schema, when this page registered it (tracked).
    pub fn registered_id(self) -> Option<SchemaId> {
        self.registration().map(|r| r.id)
    }
}

impl Default for SchemaState {
    fn default() -> Self {
        Self::new()
    }
}

/// A new parse is news unless it is the same error again (typing inside a broken region).
fn changed(old: Option<&Checked>, new: Option<&Checked>) -> bool {
    match (old, new) {
        (Some(Err(a)), Some(Err(b))) => a != b,
        _ => true,
    }
}

/// The Schema section: editor and description on the left, registry and wire preview on the right.
#[component]
pub fn SchemaSection() -> impl IntoView {
    view! {
        <Step id="schema" step=1 title="Schema">
            <p class="lede">
                "Author the click schema. It is validated as you type, in the page, by apache-avro "
                "compiled to WebAssembly. Register it as the value schema of a topic (subject "
                <code>"{topic}-value"</code>"), check how it may evolve, and see its records on the wire."
            </p>
            <div class="columns">
                <div class="column">
                    <editor::Editor/>
                    <details::Details/>
                </div>
                <div class="column">
                    <RegistryPanel/>
                    <WirePreview/>
                </div>
            </div>
        </Step>
    }
}
