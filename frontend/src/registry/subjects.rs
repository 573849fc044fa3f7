//! The registry's subjects, each with its versions, and a button to list them again.

use super::state::{RegistryError, RegistryState};
use leptos::prelude::*;

/// The subjects list.
#[component]
pub fn Subjects() -> impl IntoView {
    let registry = expect_context::<RegistryState>();
    view! {
        <div class="block">
            <div class="row">
                <h4>"Subjects"</h4>
                <button data-testid="refresh-subjects" on:click=move |_| registry.refresh()>"Refresh"</button>
            </div>
            <ul class="subjects" data-testid="subjects">
                {move || {
                    registry.subjects.get().into_iter().map(|s| {
                        let versions = s.versions.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                        view! {
                            <li data-subject=s.subject.to_string()>
                                <code>{s.subject.to_string()}</code>
                                <span class="versions">{format!(" versions {versions}")}</span>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
            {move || registry.subjects.with(Vec::is_empty).then(|| view! { <p class="hint">"No subjects registered yet."</p> })}
            <RegistryError error=registry.subjects_error/>
        </div>
    }
}
