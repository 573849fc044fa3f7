//! The schema being authored, shared by context: the editor's text, its validation as a memo of
//! a `Result` (recomputed as it is typed), and the registrations made from this page.

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
