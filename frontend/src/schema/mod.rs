//! Seed step 1 in the page: the schema being authored, validated as it is typed (apache-avro
//! compiled to WASM), described, checked and registered, and previewed on the wire.
//!
//! [`state::SchemaState`] holds the text and its validation — a memo of a `Result` — for every
//! component of the section.

pub mod details;
pub mod editor;
pub mod fields;
pub mod keys;
pub mod state;
pub mod syntax;

use crate::registry::RegistryPanel;
use crate::widgets::Step;
use crate::wire::WirePreview;
use leptos::prelude::*;

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
