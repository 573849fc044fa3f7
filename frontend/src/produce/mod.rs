//! Seed step 2 in the page: generated clicks produced by the bridge (the same generator and
//! producer as `kafka-demo produce`), with live progress — sent, acknowledged, failed, rate and
//! delivery latency — and how the run ended.
//!
//! A run belongs to the bridge session that started it: when the bridge goes away or restarts,
//! the run is shown as cut off (with what was acknowledged before) and a new one can start;
//! progress is taken only from the run's own session.

pub mod form;
pub mod record;

use crate::schema::state::SchemaState;
use crate::widgets::Step;
use crate::ws::session::{CutOff, Latest, SessionJob};
use crate::ws::{call, Bridge};
use form::{writer_text, Form, WriterChoice};
use leptos::prelude::*;
use shared::protocol::{
    JobId, ProduceSpec, ProduceUpdate, Push, RegisteredSchema, Request, Response,
};
use std::rc::Rc;

/// Runs whose latest progress is kept (the one shown, and one starting).
const KEEP: usize = 4;

/// A run started from this section.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    job: SessionJob,
    count: Option<u64>,
    schema: RegisteredSchema,
    topic_created: bool,
    event_start_ms: i64,
}

/// The Produce section.
#[component]
pub fn ProduceSection() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let schema = expect_context::<SchemaState>();
    let form = Form::new();
    let run = RwSignal::new(None::<Run>);
    let error = RwSignal::new(None::<String>);
    // Progress by run, kept from the push handler: a run's first updates may arrive before the
    // answer naming it.
    let heard = RwSignal::new(Latest::<ProduceUpdate>::new(KEEP));
    bridge.on_push(Rc::new(move |push: &Push| {
        if let Push::Produce(update) = push {
            let job = SessionJob::new(bridge.session_now(), update.job);
            heard.update(|all| all.hear(job, update.clone()));
        }
    }));
    let update = Memo::new(move |_| {
        let job = run.with(|r| r.as_ref().map(|r| r.job))?;
        heard.with(|all| all.get(job).cloned())
    });
    let finished = move || update.with(|u| u.as_ref().is_some_and(|u| u.finished.is_some()));
    // Why the run stopped without finishing: its session is gone.
    let cut_off = Memo::new(move |_| {
        let job = run.with(|r| r.as_ref().map(|r| r.job))?;
        job.cut_off(bridge.session().get()).filter(|_| !finished())
    });
    let running = move || run.with(Option::is_some) && !finished() && cut_off.get().is_none();

    // Starts a run of `spec` with the writer schema chosen (its text is filled in here).
    let starting = Action::new_local(
        move |(spec, choice, editor): &(ProduceSpec, WriterChoice, String)| {
            let (mut spec, choice, editor) = (spec.clone(), *choice, editor.clone());
            async move {
                spec.schema = match writer_text(bridge, choice, editor).await {
                    Ok(text) => text,
                    Err(e) => return error.set(Some(e)),
                };
                let count = spec.count;
                let Some(session) = bridge.session().get_untracked() else {
                    return error.set(Some(crate::ws::book::not_connected().message));
                };
                let reply = bridge.call(Request::StartProduce(spec), |reply| match reply {
                    Response::ProduceStarted {
                        job,
                        schema,
                        topic_created,
                        event_start_ms,
                    } => Some((job, schema, topic_created, event_start_ms)),
                    _ => None,
                });
                match reply.await {
                    Ok((job, schema, topic_created, event_start_ms)) => run.set(Some(Run {
                        job: SessionJob::new(session, job),
                        count,
                        schema,
                        topic_created,
                        event_start_ms,
                    })),
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
        },
    );
    let stopping = Action::new_local(move |job: &JobId| {
        let reply = bridge.call(Request::StopProduce { job: *job }, call::done);
        async move {
            if let Err(e) = reply.await {
                error.set(Some(e.to_string()));
            }
        }
    });
    let start = move |_| match form.spec(String::new()) {
        Ok(spec) => {
            error.set(None);
            starting.dispatch_local((
                spec,
                form.writer.get_untracked(),
                schema.text.get_untracked(),
            ));
        }
        Err(e) => error.set(Some(e)),
    };
    let stop = move |_| {
        if let Some(job) = run.with_untracked(|r| r.as_ref().map(|r| r.job.job)) {
            stopping.dispatch_local(job);
        }
    };
    let starting = starting.pending();

    view! {
        <Step id="produce" step=2 title="Produce">
            <p class="lede">
                "Generate realistic clicks — seeded, so the same settings give the same records — and "
                "produce them in the Confluent wire format with an idempotent producer (acks=all). "
                "Add poison pills to see how the consumer copes."
            </p>
            <div class="columns">
                <div class="column">
                    <form::FormView form=form/>
                    <div class="row">
                        <button
                            data-testid="produce-start"
                            disabled=move || starting.get() || running() || !bridge.online().get()
                            on:click=start
                        >{move || if starting.get() { "Starting…" } else { "Produce" }}</button>
                        <button data-testid="produce-stop" disabled=move || !running() on:click=stop>
                            "Stop"
                        </button>
                    </div>
                    {move || error.get().map(|e| view! {
                        <p class="error" role="alert" data-testid="produce-error">{e}</p>
                    })}
                    <record::RecordEditor form=form/>
                </div>
                <div class="column">
                    {move || run.get().map(|r| view! { <RunView run=r update=update cut_off=cut_off/> })}
                </div>
            </div>
        </Step>
    }
}

/// Progress and outcome of one run.
#[component]
fn RunView(
    /// The run.
    run: Run,
    /// Its latest progress.
    update: Memo<Option<ProduceUpdate>>,
    /// Why it stopped without finishing, if its session is gone.
    cut_off: Memo<Option<CutOff>>,
) -> impl IntoView {
    let of = move |f: fn(&ProduceUpdate) -> String| {
        move || update.with(|u| u.as_ref().map_or_else(|| "—".to_owned(), f))
    };
    let count = run.count;
    let percent = move || {
        let sent = update.with(|u| u.as_ref().map_or(0, |u| u.acknowledged + u.failed));
        count.map(|c| (sent as f64 / c.max(1) as f64 * 100.0).min(100.0))
    };
    let state = move || match (
        update.with(|u| u.as_ref().and_then(|u| u.finished.as_ref()).is_some()),
        cut_off.get(),
    ) {
        (true, _) => "finished",
        (false, Some(_)) => "cut-off",
        (false, None) => "running",
    };
    view! {
        <div class="panel produce-run" data-testid="produce-run" data-state=state>
            <h3>"Run " {run.job.job.0}</h3>
            <p class="hint">
                "writer schema id " <code data-testid="produce-schema-id">{run.schema.id.to_string()}</code>
                " — " {run.schema.subject.to_string()} " v" {run.schema.version}
                {run.topic_created.then_some(" — topic created")}
            </p>
            <p class="hint" data-testid="produce-event-time">
                "Event time from " {crate::batch::report::clock(run.event_start_ms, true)}
                ", " {shared::generator::PAGE_EVENTS_PER_SECOND} " clicks per second of it: each run "
                "continues where the topic's last clicks ended, so more clicks always move a stream's watermark on."
            </p>
            {move || percent().map(|p| view! {
                <progress max="100" value=p data-testid="produce-progress"></progress>
            })}
            <dl class="stats">
                <dt>"sent"</dt><dd data-testid="produce-sent">{of(|u| u.sent.to_string())}</dd>
                <dt>"acknowledged"</dt><dd data-testid="produce-acked">{of(|u| u.acknowledged.to_string())}</dd>
                <dt>"failed"</dt><dd data-testid="produce-failed">{of(|u| u.failed.to_string())}</dd>
                <dt>"rate"</dt><dd data-testid="produce-rate">{of(|u| format!("{:.0} records/s", u.rate))}</dd>
                <dt>"delivery p50 / p99"</dt>
                <dd data-testid="produce-latency">{of(|u| format!("{:.1} / {:.1} ms", u.p50_ms, u.p99_ms))}</dd>
            </dl>
            {move || update.get().and_then(|u| u.finished).map(|f| {
                let ok = f.not_delivered == 0 && f.first_error.is_none();
                view! {
                    <p class=if ok { "ok" } else { "error" } data-testid="produce-summary">
                        {format!(
                            "Finished ({}): {} clicks, {} duplicates, {} poison pills; {} not delivered.",
                            f.stopped, f.records, f.duplicates, f.poison, f.not_delivered
                        )}
                        {f.first_error.map(|e| format!(" First error: {e}"))}
                    </p>
                }
            })}
            {move || cut_off.get().map(|cut| {
                let acknowledged = update.with(|u| u.as_ref().map_or(0, |u| u.acknowledged));
                view! {
                    <p class="error" role="alert" data-testid="produce-cut-off">{cut_off_summary(cut, acknowledged)}</p>
                }
            })}
        </div>
    }
}

/// What a run cut off by the bridge going away says, with the records acknowledged before.
fn cut_off_summary(cut: CutOff, acknowledged: u64) -> String {
    match cut {
        CutOff::Gone => format!(
            "Cut off: the bridge went away; {acknowledged} acknowledged before. A new run can start once it is back."
        ),
        CutOff::Restarted => format!(
            "Cut off by a bridge restart: {acknowledged} acknowledged before. A new run can start."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_off_run_says_why_and_what_was_acknowledged() {
        assert_eq!(
            cut_off_summary(CutOff::Restarted, 1234),
            "Cut off by a bridge restart: 1234 acknowledged before. A new run can start."
        );
        assert!(cut_off_summary(CutOff::Gone, 0).starts_with("Cut off: the bridge went away; 0"));
    }
}
