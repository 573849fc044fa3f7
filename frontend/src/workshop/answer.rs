//! The "use as answer" button that sections show next to a finding (a poison pill's position,
//! the top creative) to fill in a guided step's answer; nothing outside workshop mode.

use super::rules;
use super::seat::Seat;
use leptos::prelude::*;
use shared::workshop::Step;

/// In a workshop, a button that fills in the answer to a guided step with `value` (a poison
/// pill's position, the top creative); nothing outside workshop mode.
#[component]
pub fn UseAsAnswer(
    /// The step answered.
    step: Step,
    /// The answer.
    value: String,
    /// The button's test id.
    testid: &'static str,
) -> impl IntoView {
    let seat = use_context::<Seat>();
    move || {
        let seat = seat.filter(|s| s.is_joined())?;
        let answer = seat.answer(step);
        let label = format!("use {value} as the answer to step {}", rules::number(step));
        let value = value.clone();
        Some(view! {
            <button
                class="use-answer"
                data-testid=testid
                title="fill in the answer in the Steps panel"
                on:click=move |_| answer.set(value.clone())
            >{label}</button>
        })
    }
}
