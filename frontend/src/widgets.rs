//! Small pieces the sections share: a step's frame, a labelled text field, a chart's grid.

use leptos::prelude::*;

/// A step of the pipeline: its number and title, then what the caller puts in it.
#[component]
pub fn Step(
    /// The section's name; the element is `section-{id}` (id and test id).
    id: &'static str,
    /// Its number among the seed's five steps.
    step: u8,
    /// Its heading.
    title: &'static str,
    /// The lede and the step's components.
    children: Children,
) -> impl IntoView {
    let anchor = format!("section-{id}");
    view! {
        <section id=anchor.clone() data-testid=anchor class="step">
            <h2><span class="step-no">{step}</span>{title}</h2>
            {children()}
        </section>
    }
}

/// A text input under its label, bound to `value`.
#[component]
pub fn TextField(
    /// What the field is.
    label: &'static str,
    /// The input's test id.
    testid: &'static str,
    /// The text, read and written.
    value: RwSignal<String>,
    /// Shown while the field is empty.
    #[prop(default = "")]
    hint: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input
                data-testid=testid
                placeholder=hint
                prop:value=move || value.get()
                on:input:target=move |ev| value.set(ev.target().value())
            />
        </label>
    }
}

/// Horizontal grid lines with their values, for a plot `width` wide and `height` high that
/// starts `left` units from the edge and whose scale tops out at `top`.
#[component]
pub fn GridLines(
    /// The values to mark.
    marks: Vec<u64>,
    /// The value at the top of the plot.
    top: u64,
    /// Where the plot starts.
    left: f64,
    /// The plot's width.
    width: f64,
    /// The plot's height.
    height: f64,
) -> impl IntoView {
    let top = top.max(1) as f64;
    marks
        .into_iter()
        .map(|m| {
            let y = height - m as f64 * height / top;
            view! {
                <line class="grid" x1=left x2=width + left y1=y y2=y/>
                <text class="tick" x=left - 6.0 y=y + 4.0 text-anchor="end">{m}</text>
            }
        })
        .collect_view()
}
