//! A step of the pipeline the playground does not drive yet: its number, title, what it will do
//! and a "coming soon" note.

use leptos::prelude::*;

/// A placeholder section for seed step `step`.
#[component]
pub fn Upcoming(
    /// The section's name; the element is `section-{id}` (id and test id).
    id: &'static str,
    /// Its number among the seed's five steps.
    step: u8,
    /// Its heading.
    title: &'static str,
    /// What the step will do.
    children: Children,
) -> impl IntoView {
    let anchor = format!("section-{id}");
    view! {
        <section id=anchor.clone() data-testid=anchor class="step upcoming">
            <h2><span class="step-no">{step}</span>{title}</h2>
            <p class="lede">{children()}</p>
            <p class="soon">"coming soon"</p>
        </section>
    }
}
