//! Seed step 3 in the page: a live tail of the topic. The bridge forwards raw records; the page
//! decodes each one here, in WebAssembly, with the writer schema its header names (fetched once
//! per id), and shows them in a table that only draws the rows in view. Poison pills are shown,
//! counted and inspected; the tail goes on.

pub mod book;
pub mod filter;
pub mod inspector;
pub mod table;
pub mod tail;

use crate::widgets::Step;
use crate::ws::book::unexpected;
use crate::ws::Bridge;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{Request, Response, TailFrom, TailSpec};
use shared::Topic;
use std::rc::Rc;
use tail::TailState;

/// The Consume section.
#[component]
pub fn ConsumeSection() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let state = TailState::new();
    provide_context(state);
    bridge.on_records(Rc::new(move |bytes: &[u8]| state.take_frame(bridge, bytes)));
    let topic = RwSignal::new("clicks-avro".to_owned());
    let from = RwSignal::new(TailFrom::Beginning);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // A tail lives in the bridge session: when the connection drops, so does the tail.
    Effect::new(move |_| {
        if !bridge.online().get() {
            state.tail.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some((tail, e)) = bridge.tail_ended().get() {
            if state.tail.get_untracked() == Some(tail) {
                state.tail.set(None);
                error.set(Some(e.message));
            }
        }
    });

    let start = move |_| {
        let parsed = Topic::new(topic.get_untracked().trim());
        let topic = match parsed {
            Ok(t) => t,
            Err(e) => return error.set(Some(format!("Topic: {e}"))),
        };
        error.set(None);
        busy.set(true);
        state.reset();
        state.early.set_value(Some(Vec::new()));
        state.topic.set(Some(topic.clone()));
        let spec = TailSpec {
            topic,
            from: from.get_untracked(),
        };
        spawn_local(async move {
            match bridge.request(Request::StartTail(spec)).await {
                Ok(Response::TailStarted { tail, .. }) => state.started(bridge, tail),
                Ok(_) => error.set(Some(unexpected())),
                Err(e) => error.set(Some(e.message)),
            }
            state.early.set_value(None);
            busy.set(false);
        });
    };
    let stop = move |_| {
        let Some(tail) = state.tail.get_untracked() else {
            return;
        };
        state.tail.set(None);
        spawn_local(async move {
            // Already gone is as good as stopped.
            let _ = bridge.request(Request::StopTail { tail }).await;
        });
    };
    let pause = move |_| {
        let Some(tail) = state.tail.get_untracked() else {
            return;
        };
        let paused = !state.paused.get_untracked();
        spawn_local(async move {
            match bridge.request(Request::PauseTail { tail, paused }).await {
                Ok(_) => state.paused.set(paused),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let running = move || state.tail.with(Option::is_some);

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
                    disabled=move || busy.get() || running() || !bridge.online().get()
                    on:click=start
                >"Start tail"</button>
                <button data-testid="consume-pause" disabled=move || !running() on:click=pause>
                    {move || if state.paused.get() { "Resume" } else { "Pause" }}
                </button>
                <button data-testid="consume-stop" disabled=move || !running() on:click=stop>"Stop"</button>
                <span class="tail-state" data-testid="consume-state">
                    {move || match (running(), state.paused.get()) {
                        (false, _) => "stopped",
                        (true, true) => "paused",
                        (true, false) => "live",
                    }}
                </span>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="consume-error">{e}</p> })}
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
        </Step>
    }
}

/// Totals and rate.
#[component]
fn Counters() -> impl IntoView {
    let state = expect_context::<TailState>();
    let counts = move || {
        state
            .with_book(|b| (b.counts().clone(), b.waiting()))
            .unwrap_or_default()
    };
    view! {
        <dl class="stats counters">
            <dt>"received"</dt><dd data-testid="consume-received">{move || counts().0.received}</dd>
            <dt>"decoded"</dt><dd data-testid="consume-decoded">{move || counts().0.decoded}</dd>
            <dt>"poison pills"</dt>
            <dd data-testid="consume-poison" title=move || {
                counts().0.poison.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ")
            }>{move || counts().0.poison_total()}</dd>
            <dt>"rate"</dt><dd data-testid="consume-rate">{move || format!("{:.0} records/s", state.rate.get())}</dd>
            <dt>"waiting for a schema"</dt><dd data-testid="consume-waiting">{move || counts().1}</dd>
        </dl>
    }
}

/// Per-partition position, end and lag, as the bridge last reported.
#[component]
fn Partitions() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let state = expect_context::<TailState>();
    let lag = move || {
        let tail = state.tail.get()?;
        bridge.tail_lag().get().filter(|l| l.tail == tail)
    };
    let show = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), |v| v.to_string());
    view! {
        <table class="partitions" data-testid="consume-partitions">
            <thead><tr><th>"partition"</th><th>"next offset"</th><th>"end"</th><th>"lag"</th></tr></thead>
            <tbody>
                {move || lag().map(|l| l.partitions.into_iter().map(|p| view! {
                    <tr data-partition=p.partition data-lag=show(p.lag())>
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
