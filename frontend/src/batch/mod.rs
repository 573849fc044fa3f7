//! Seed step 4 in the page: a Spark batch job over the topic, run by the bridge on Spark Connect
//! (the same job as `kafka-demo batch`): its stages as they start, then the aggregates — clicks
//! per minute as a time series, top creatives as bars, tables, null rates, schemas and the
//! poison pills found by position.
//!
//! A job belongs to the bridge session that started it: when the bridge goes away or restarts,
//! the job shows as cut off and can be run again; its pushes are taken only from that session.

pub mod chart;
pub mod export;
pub mod report;

use crate::text::place::hide_paths;
use crate::widgets::{Step, TextField};
use crate::ws::session::SessionJob;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::{BatchOutcome, BatchSpec, JobId, Push, Request, Response};
use shared::Topic;
use std::rc::Rc;

/// The Batch section.
#[component]
pub fn BatchSection() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let topic = RwSignal::new("clicks-avro".to_owned());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let top = RwSignal::new("10".to_owned());
    let job = RwSignal::new(None::<SessionJob>);
    // Pushes are kept by job: a job's first ones may arrive before the answer naming it.
    let stages = RwSignal::new(Vec::<(SessionJob, String, u64)>::new());
    let outcomes = RwSignal::new(Vec::<(SessionJob, BatchOutcome)>::new());
    let shown = RwSignal::new(None::<SessionJob>);
    let outcome = Memo::new(move |_| {
        let shown = shown.get()?;
        outcomes.with(|all| {
            all.iter()
                .find(|(j, _)| *j == shown)
                .map(|(_, o)| o.clone())
        })
    });
    let error = RwSignal::new(None::<String>);
    bridge.on_push(Rc::new(move |push: &Push| {
        let heard = |of: &JobId| SessionJob::new(bridge.session_now(), *of);
        match push {
            Push::BatchStage {
                job: of,
                stage,
                elapsed_ms,
            } => stages.update(|all| all.push((heard(of), stage.clone(), *elapsed_ms))),
            Push::BatchDone {
                job: of,
                outcome: result,
            } => {
                let of = heard(of);
                outcomes.update(|all| all.push((of, result.clone())));
                if job.get_untracked() == Some(of) {
                    job.set(None);
                }
            }
            _ => {}
        }
    }));
    // A job lives in the bridge session: when the session ends, the job and its result are
    // gone.
    let cut_off = Memo::new(move |_| job.get()?.cut_off(bridge.session().get()));
    let running = move || job.with(Option::is_some) && cut_off.with(Option::is_none);

    let starting = Action::new_local(move |spec: &BatchSpec| {
        let session = bridge.session().get_untracked().unwrap_or_default();
        let reply = bridge.call(Request::RunBatch(spec.clone()), |reply| match reply {
            Response::BatchStarted { job } => Some(job),
            _ => None,
        });
        async move {
            match reply.await {
                Ok(started) => {
                    let started = SessionJob::new(session, started);
                    shown.set(Some(started));
                    let done =
                        outcomes.with_untracked(|all| all.iter().any(|(j, _)| *j == started));
                    job.set((!done).then_some(started));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let run = move |_| {
        let spec = match spec(
            &topic.get_untracked(),
            &from.get_untracked(),
            &to.get_untracked(),
            &top.get_untracked(),
        ) {
            Ok(spec) => spec,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        job.set(None);
        stages.set(Vec::new());
        outcomes.set(Vec::new());
        shown.set(None);
        starting.dispatch_local(spec);
    };
    view! {
        <Step id="batch" step=4 title="Batch">
            <p class="lede">
                "Read the topic as a Spark batch job over Spark Connect. Spark strips the five-byte header, "
                "decodes each writer schema id's records with from_avro and that schema from the registry, "
                "maps them to the latest version's fields and aggregates. Records that are not valid "
                "Confluent Avro are counted and listed, never turned into silent nulls."
            </p>
            <div class="row controls">
                <TextField label="topic" testid="batch-topic" value=topic hint="clicks-avro"/>
                <TextField label="from" testid="batch-from" value=from hint="oldest (offset, time or RFC 3339)"/>
                <TextField label="to" testid="batch-to" value=to hint="newest"/>
                <TextField label="top N" testid="batch-top" value=top hint="10"/>
                <button
                    data-testid="batch-run"
                    class="primary"
                    disabled=move || running() || !bridge.online().get()
                    on:click=run
                >{move || if running() { "Running…" } else { "Run batch" }}</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="batch-error">{e}</p> })}
            {move || cut_off.get().map(|cut| view! {
                <p class="error" role="alert" data-testid="batch-cut-off">{format!("{}; run the job again.", cut.sentence())}</p>
            })}
            <ol class="stages" data-testid="batch-stages">
                {move || stages.get().into_iter().filter(|(j, _, _)| Some(*j) == shown.get()).map(|(_, stage, ms)| view! {
                    <li>{hide_paths(&stage)}<span class="elapsed">{format!(" {:.1} s", ms as f64 / 1000.0)}</span></li>
                }).collect_view()}
            </ol>
            {move || outcome.get().map(|o| match o {
                BatchOutcome::Finished(r) => view! { <report::Report report=*r/> }.into_any(),
                BatchOutcome::Failed(e) => view! {
                    <p class="error" role="alert" data-testid="batch-error">{e.message}</p>
                }.into_any(),
            })}
        </Step>
    }
}

/// The request for the settings as typed.
fn spec(topic: &str, from: &str, to: &str, top: &str) -> Result<BatchSpec, String> {
    let bound = |text: &str| {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    Ok(BatchSpec {
        topic: Topic::new(topic.trim()).map_err(|e| format!("Topic: {e}"))?,
        from: bound(from),
        to: bound(to),
        top: match top.trim().parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err("Top N: a whole number from 1 to 1000".into()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_a_request() {
        let s = spec(" clicks-avro ", "", " 2024-01-01T00:00:00Z ", "5")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.topic.as_str(), "clicks-avro");
        assert_eq!(
            (s.from, s.to.as_deref(), s.top),
            (None, Some("2024-01-01T00:00:00Z"), 5)
        );
        assert!(spec("bad topic!", "", "", "5").is_err_and(|e| e.starts_with("Topic")));
        assert!(spec("t", "", "", "0").is_err());
    }
}
