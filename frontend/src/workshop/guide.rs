//! The guided steps: the seed's five steps and the schema-evolution drill, in order, each with
//! what to do in the page, where it stands (✓ / ✗ / not checked), what the bridge's check found
//! and what is missing, an answer field for the steps that ask, and a Check button. Checks the
//! bridge runs by itself arrive as progress pushes and show the same way.

use super::rules::{self, Status};
use super::seat::Seat;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::{Request, Response};
use shared::workshop::Step;

/// What to do in the page for `step`, for people following along.
pub fn instruction(step: Step) -> &'static str {
    match step {
        Step::Schema => {
            "In Schema, press “seed's original” to load the seed's example. It does not parse as \
             written: the editor marks the line with the error — a trailing comma after the last \
             field. Delete that comma, wait for the editor to say the schema is valid, keep the \
             topic clicks-avro and press Register."
        }
        Step::Produce => {
            "In Produce, send at least 1,000 clicks to clicks-avro with some poison pills (set \
             “poison pills %” above 0, e.g. 1). Wait until the run says Finished."
        }
        Step::Consume => {
            "In Consume, tail clicks-avro from the beginning. Tick “poison pills only”, click a \
             row and read its partition / offset in the inspector (or press “use as answer” \
             there). Enter it below as partition:offset, e.g. 0:17."
        }
        Step::Batch => {
            "In Batch, run the job on clicks-avro. When the report is drawn, find the creative \
             with the most clicks (the top bar of the top creatives) and enter its id below."
        }
        Step::Stream => {
            "In Stream, start the query on clicks-avro (60 s windows, 30 s watermark). Watch the \
             windows fill; a window closes once the watermark — the newest event time less 30 s \
             — passes its end. Step 2's 1,000 clicks span 50 s of event time (20 clicks a \
             second of it); each produce run continues where the last ended, so produce 1,000 \
             more while the stream runs and the first window closes. The check below says how \
             many more it needs."
        }
        Step::Evolve => {
            "The drill. Load v2 (it adds a field with a default) and register it on clicks-avro. \
             Load the incompatible candidate and press Check compatibility: the registry refuses \
             it and says why. Then produce some clicks into clicks-avro with writer “click v2” \
             and run the batch again: its report lists both writer schemas."
        }
    }
}

/// The panel of steps.
#[component]
pub fn Guide() -> impl IntoView {
    let seat = expect_context::<Seat>();
    let done = move || seat.progress.with(|p| p.done());
    view! {
        <details class="guide" open=true data-testid="guide">
            <summary>
                <h2>"Steps"</h2>
                <span class="guide-count" data-testid="guide-done">
                    {move || format!("{} of {} done", done(), Step::ALL.len())}
                </span>
            </summary>
            <ol class="guide-steps">
                {Step::ALL.into_iter().map(|step| view! { <StepCard step/> }).collect_view()}
            </ol>
        </details>
    }
}

/// Sends `request`, answered with a step's check, and records the check in the seat (or shows
/// why there is none in `error`).
fn ask_for_check(
    request: Request,
    bridge: Bridge,
    seat: Seat,
    error: RwSignal<Option<String>>,
) -> impl std::future::Future<Output = ()> {
    error.set(None);
    let reply = bridge.call(request, |reply| match reply {
        Response::StepChecked(found) => Some(found),
        _ => None,
    });
    async move {
        match reply.await {
            Ok(found) => seat.record(found),
            Err(e) => error.set(Some(e.to_string())),
        }
    }
}

/// One step: title, instruction, status, the check's findings, answer and Check button.
#[component]
fn StepCard(step: Step) -> impl IntoView {
    let seat = expect_context::<Seat>();
    let bridge = expect_context::<Bridge>();
    let slug = rules::slug(step);
    let check = Memo::new(move |_| seat.progress.with(|p| rules::check_of(p, step)));
    let status = Memo::new(move |_| check.with(Status::of));
    let answer = seat.answer(step);
    let error = RwSignal::new(None::<String>);
    let checking = Action::new_local(move |answer: &Option<String>| {
        let request = Request::CheckStep {
            step,
            answer: answer.clone(),
        };
        ask_for_check(request, bridge, seat, error)
    });
    let busy = checking.pending();
    let restarting = Action::new_local(move |_: &()| {
        ask_for_check(Request::RestartSchemaStep, bridge, seat, error)
    });
    let restart = move |_| {
        let sure = window()
            .confirm_with_message(
                "Start step 1 again? This deletes every version of your clicks-avro-value \
                 subject (nothing else), so the full click schema can register as version 1.",
            )
            .unwrap_or(false);
        if sure {
            restarting.dispatch_local(());
        }
    };
    let stuck = move || {
        step == Step::Schema && check.with(|c| c.state == shared::workshop::StepState::Failed)
    };
    let run_check = move |_| {
        let answer = step
            .asks()
            .map(|_| answer.get_untracked().trim().to_owned())
            .filter(|a| !a.is_empty());
        checking.dispatch_local(answer);
    };
    view! {
        <li class="guide-step" data-testid=format!("step-{slug}") data-status=move || status.get().name()>
            <h3>
                <span class="step-no">{rules::number(step)}</span>
                {step.title()}
                <span class="step-status" data-testid=format!("step-{slug}-status") data-status=move || status.get().name()>
                    {move || status.get().label()}
                </span>
            </h3>
            <p class="instruction">{instruction(step)}</p>
            {step.asks().map(|question| view! {
                <label class="field">
                    <span>{question}</span>
                    <input
                        data-testid=format!("step-{slug}-answer")
                        spellcheck="false"
                        prop:value=move || answer.get()
                        on:input:target=move |ev| answer.set(ev.target().value())
                    />
                </label>
            })}
            <div class="row">
                <button
                    data-testid=format!("step-check-{slug}")
                    disabled=move || busy.get() || !bridge.online().get()
                    on:click=run_check
                >{move || if busy.get() { "Checking…" } else { "Check" }}</button>
                <span class="summary" data-testid=format!("step-{slug}-summary")>
                    {move || check.with(|c| (c.checked_at_ms != 0).then(|| c.summary.clone()))}
                </span>
            </div>
            <ul class="missing" data-testid=format!("step-{slug}-missing")>
                {move || check.with(|c| c.missing.clone()).into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
            {move || stuck().then(|| view! {
                <div class="row">
                    <button
                        data-testid="step-schema-restart"
                        disabled=move || restarting.pending().get() || !bridge.online().get()
                        on:click=restart
                    >"Start step 1 again"</button>
                </div>
            })}
            {move || error.get().map(|e| view! {
                <p class="error" role="alert" data-testid=format!("step-{slug}-error")>{e}</p>
            })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_says_where_in_the_page_and_on_which_topic() {
        for step in Step::ALL {
            let text = instruction(step);
            assert!(text.contains("clicks-avro"), "{step:?}: {text}");
        }
        assert!(instruction(Step::Schema).contains("trailing comma"));
        assert!(instruction(Step::Consume).contains("partition:offset"));
    }
}
