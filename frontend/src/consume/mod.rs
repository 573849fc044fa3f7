//! Seed step 3 in the page: a live tail of the topic. The bridge forwards raw records; the page
//! decodes each one here, in WebAssembly, with the writer schema its header names (fetched once
//! per id), and shows them in a table that only draws the rows in view. Poison pills are shown,
//! counted and inspected; the tail goes on.
//!
//! A tail lives in the bridge's session. When the bridge goes away or restarts, the page starts
//! the tail again by itself on the same topic once a new session is there; the book skips the
//! records it already holds, so none is shown twice.

pub mod book;
pub mod export;
pub mod filter;
pub mod groups;
pub mod inspector;
pub mod store;
pub mod table;
pub mod tail;

use crate::text::count::{signed, thousands};
use crate::widgets::Step;
use crate::ws::book::not_connected;
use crate::ws::session::SessionJob;
use crate::ws::{call, Bridge, CallError};
use leptos::prelude::*;
use shared::protocol::{ErrorCode, JobId, Push, Request, Response, TailFrom, TailSpec};
use shared::{SchemaId, Topic};
use std::rc::Rc;
use tail::{writer_of, TailState};

/// What a tail cut off by the bridge going away resumes with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resume {
    topic: Topic,
    from: TailFrom,
}

/// The Consume section.
#[component]
pub fn ConsumeSection() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let state = TailState::new();
    provide_context(state);
    // Each writer schema id is fetched once, the first time a record names it; a fetch the
    // bridge's going away cut short is tried again once it is back (its records wait).
    let refetch = RwSignal::new(Vec::<SchemaId>::new());
    let writers = Action::new_local(move |id: &SchemaId| {
        let id = *id;
        let found = bridge.call(Request::GetSchemaById { id }, |reply| match reply {
            Response::SchemaText {
                schema, versions, ..
            } => Some((schema, versions)),
            _ => None,
        });
        async move {
            match found.await {
                Err(e) if e.code() == Some(ErrorCode::NotConnected) => {
                    refetch.update(|ids| ids.push(id));
                }
                found => state.schema_arrived(id, writer_of(found)),
            }
        }
    });
    Effect::new(move |_| {
        if bridge.online().get() && refetch.with(|ids| !ids.is_empty()) {
            for id in refetch.try_update(std::mem::take).unwrap_or_default() {
                writers.dispatch_local(id);
            }
        }
    });
    let fetch = move |ids: Vec<SchemaId>| {
        for id in ids {
            writers.dispatch_local(id);
        }
    };
    bridge.on_records(Rc::new(move |bytes: &[u8]| {
        fetch(state.take_frame(bridge.session_now(), bytes));
    }));
    let topic = RwSignal::new("clicks-avro".to_owned());
    let from = RwSignal::new(TailFrom::Beginning);
    let error = RwSignal::new(None::<String>);
    // What happened to the tail on the bridge's side: cut off, resumed.
    let notice = RwSignal::new(None::<String>);
    // The tail to start again once the bridge is back, and where the running one started.
    let resume = RwSignal::new(None::<Resume>);
    let tailing_from = StoredValue::new(TailFrom::Beginning);
    bridge.on_push(Rc::new(move |push: &Push| match push {
        Push::TailLag(lag) => {
            let tail = SessionJob::new(bridge.session_now(), lag.tail);
            state.lag.update(|last| {
                let merged = match last.take() {
                    Some((of, before)) if of == tail => tail::merge_lag(&before, lag.clone()),
                    _ => lag.clone(),
                };
                *last = Some((tail, merged));
            });
        }
        Push::TailEnded { tail, error: why } => {
            let session = bridge.session_now();
            if state
                .tail
                .get_untracked()
                .is_some_and(|t| t.owns(session, *tail))
            {
                state.tail.set(None);
                error.set(Some(why.message.clone()));
            }
        }
        _ => {}
    }));
    // A tail lives in the bridge session: when the session ends, so does the tail. It is
    // started again (see below) once a new session is there.
    Effect::new(move |_| {
        let now = bridge.session().get();
        let Some(cut) = state.tail.get_untracked().and_then(|t| t.cut_off(now)) else {
            return;
        };
        state.tail.set(None);
        if let Some(topic) = state.topic.get_untracked() {
            resume.set(Some(Resume {
                topic,
                from: tailing_from.get_value(),
            }));
        }
        notice.set(Some(format!(
            "Tail {}. It resumes by itself once the bridge is back, showing no record twice.",
            cut.reason()
        )));
    });

    let starting = Action::new_local(move |(spec, resumed): &(TailSpec, bool)| {
        let (spec, resumed) = (spec.clone(), *resumed);
        let session = bridge.session().get_untracked();
        let reply = bridge.call(Request::StartTail(spec.clone()), |reply| match reply {
            Response::TailStarted { tail, .. } => Some(tail),
            _ => None,
        });
        async move {
            let started = reply.await.and_then(|tail| {
                session
                    .map(|session| SessionJob::new(session, tail))
                    .ok_or(CallError::Failed(not_connected()))
            });
            match started {
                Ok(tail) => {
                    fetch(state.started(tail));
                    if resumed {
                        notice.set(Some(resumed_notice(&spec)));
                    }
                }
                // The bridge went away again before answering: try once more when it is back.
                Err(e) if resumed && e.code() == Some(ErrorCode::NotConnected) => {
                    resume.set(Some(Resume {
                        topic: spec.topic,
                        from: spec.from,
                    }));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            state.early.set_value(None);
        }
    });
    let busy = starting.pending();
    Effect::new(move |_| {
        if !bridge.online().get() || busy.get() || state.tail.with(Option::is_some) {
            return;
        }
        let Some(again) = resume.get() else {
            return;
        };
        resume.set(None);
        state.early.set_value(Some(Vec::new()));
        state.topic.set(Some(again.topic.clone()));
        starting.dispatch_local((
            TailSpec {
                topic: again.topic,
                from: again.from,
            },
            true,
        ));
    });
    // Already gone is as good as stopped.
    let stopping = Action::new_local(move |tail: &JobId| {
        bridge.call(Request::StopTail { tail: *tail }, call::done)
    });
    let pausing = Action::new_local(move |(tail, paused): &(JobId, bool)| {
        let paused = *paused;
        let reply = bridge.call(
            Request::PauseTail {
                tail: *tail,
                paused,
            },
            call::done,
        );
        async move {
            match reply.await {
                Ok(()) => state.paused.set(paused),
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let start = move |_| {
        let topic = match Topic::new(topic.get_untracked().trim()) {
            Ok(t) => t,
            Err(e) => return error.set(Some(format!("Topic: {e}"))),
        };
        error.set(None);
        notice.set(None);
        resume.set(None);
        state.reset();
        state.early.set_value(Some(Vec::new()));
        state.topic.set(Some(topic.clone()));
        tailing_from.set_value(from.get_untracked());
        starting.dispatch_local((
            TailSpec {
                topic,
                from: from.get_untracked(),
            },
            false,
        ));
    };
    let stop = move |_| {
        resume.set(None);
        if let Some(tail) = state.tail.get_untracked() {
            state.tail.set(None);
            state.rate.set(0.0);
            stopping.dispatch_local(tail.job);
        }
    };
    let pause = move |_| {
        if let Some(tail) = state.tail.get_untracked() {
            pausing.dispatch_local((tail.job, !state.paused.get_untracked()));
        }
    };
    let running = move || state.tail.with(Option::is_some);
    let resuming = move || resume.with(Option::is_some);

    view! {
        <Step id="consume" step=3 title="Consume">
            <p class="lede">
                "Tail the topic. The bridge forwards the raw bytes; this page decodes every record "
                "with the writer schema its header names, fetched from the registry once per id. "
                "Records that are not framed or do not decode are poison pills: shown, counted, never fatal. "
                "Click a row to inspect it on the wire. The tail reads outside any consumer group and commits nothing."
            </p>
            <div class="row controls">
                <label class="field">
                    <span>"topic"</span>
                    <input
                        data-testid="consume-topic"
                        prop:value=move || topic.get()
                        on:input:target=move |ev| topic.set(ev.target().value())
                    />
                </label>
                <label class="field">
                    <span>"from"</span>
                    <select
                        data-testid="consume-from"
                        on:change:target=move |ev| from.set(if ev.target().value() == "end" { TailFrom::End } else { TailFrom::Beginning })
                    >
                        <option value="beginning" selected=true>"the beginning"</option>
                        <option value="end">"now on"</option>
                    </select>
                </label>
                <button
                    data-testid="consume-start"
                    disabled=move || busy.get() || running() || resuming() || !bridge.online().get()
                    on:click=start
                >"Start tail"</button>
                <button data-testid="consume-pause" disabled=move || !running() on:click=pause>
                    {move || if state.paused.get() { "Resume" } else { "Pause" }}
                </button>
                <button data-testid="consume-stop" disabled=move || !running() && !resuming() on:click=stop>"Stop"</button>
                <span class="tail-state" data-testid="consume-state">
                    {move || match (running(), state.paused.get(), resuming()) {
                        (false, _, true) => "resuming",
                        (false, _, false) => "stopped",
                        (true, true, _) => "paused",
                        (true, false, _) => "live",
                    }}
                </span>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="consume-error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="notice" role="status" data-testid="consume-notice">{n}</p> })}
            <Counters/>
            <Partitions/>
            <div class="columns wide-left">
                <div class="column">
                    <table::Filter/>
                    <table::VirtualTable/>
                </div>
                <div class="column">
                    <inspector::Inspector/>
                </div>
            </div>
            <groups::Groups/>
        </Step>
    }
}

/// Totals and rate (the rate only while the tail runs).
#[component]
fn Counters() -> impl IntoView {
    let state = expect_context::<TailState>();
    let counts = move || {
        state
            .with_book(|b| (b.counts().clone(), b.waiting()))
            .unwrap_or_default()
    };
    let rate = move || match (state.tail.with(Option::is_some), state.paused.get()) {
        (false, _) => "— (stopped)".to_owned(),
        (true, true) => "— (paused)".to_owned(),
        (true, false) => format!(
            "{} records/s",
            thousands(state.rate.get().max(0.0).round() as u64)
        ),
    };
    view! {
        <dl class="stats counters">
            <dt>"received"</dt><dd data-testid="consume-received">{move || thousands(counts().0.received)}</dd>
            <dt>"decoded"</dt><dd data-testid="consume-decoded">{move || thousands(counts().0.decoded)}</dd>
            <dt>"poison pills"</dt>
            <dd data-testid="consume-poison" title=move || {
                counts().0.poison.iter().map(|(k, n)| format!("{k}: {}", thousands(*n))).collect::<Vec<_>>().join(", ")
            }>{move || thousands(counts().0.poison_total())}</dd>
            <dt>"rate"</dt><dd data-testid="consume-rate">{rate}</dd>
            <dt>"waiting for a schema"</dt><dd data-testid="consume-waiting">{move || thousands(counts().1 as u64)}</dd>
            <dt>"skipped, already shown"</dt><dd data-testid="consume-skipped">{move || thousands(counts().0.skipped)}</dd>
        </dl>
    }
}

/// Per-partition position, end and lag, as the bridge last reported; after the tail stops, the
/// last report stays, marked as such.
#[component]
fn Partitions() -> impl IntoView {
    let state = expect_context::<TailState>();
    let stopped = move || state.tail.with(Option::is_none);
    let lag = move || {
        let (of, lag) = state.lag.get()?;
        match state.tail.get() {
            Some(tail) => (of == tail).then_some(lag),
            None => Some(lag),
        }
    };
    let show = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), signed);
    view! {
        <table class="partitions" class:stopped=stopped data-testid="consume-partitions" data-stopped=move || stopped().to_string()>
            {move || (stopped() && lag().is_some()).then(|| view! {
                <caption data-testid="consume-partitions-stopped">"as last reported — the tail is stopped"</caption>
            })}
            <thead><tr><th>"partition"</th><th>"next offset"</th><th>"end"</th><th>"lag"</th></tr></thead>
            <tbody>
                {move || lag().map(|l| l.partitions.into_iter().map(|p| view! {
                    <tr data-partition=p.partition data-lag=p.lag().map_or_else(|| "—".to_owned(), |v| v.to_string())>
                        <td>{p.partition}</td>
                        <td>{show(p.next_offset)}</td>
                        <td>{show(p.high_watermark)}</td>
                        <td>{show(p.lag())}</td>
                    </tr>
                }).collect_view())}
            </tbody>
        </table>
    }
}

/// What the section says once a cut-off tail runs again.
fn resumed_notice(spec: &TailSpec) -> String {
    match spec.from {
        TailFrom::Beginning => format!(
            "The bridge restarted; the tail on {} resumed from the beginning, skipping the records already shown.",
            spec.topic
        ),
        TailFrom::End => format!(
            "The bridge restarted; the tail on {} resumed from now on: records written while the bridge was away are not shown.",
            spec.topic
        ),
    }
}
