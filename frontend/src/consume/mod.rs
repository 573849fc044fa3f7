//! Seed step 3 in the page: a live tail of the topic. The bridge forwards raw records; the page
//! decodes each one here, in WebAssembly, with the writer schema its header names (fetched once
//! per id), and shows them in a table that only draws the rows in view. Poison pills are shown,
//! counted and inspected; the tail goes on.

pub mod book;
pub mod inspector;
pub mod table;

use crate::widgets::Step;
use crate::ws::Bridge;
use book::{Outcome, Row, TailBook, Writer};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{ErrorCode, JobId, Request, Response, TailFrom, TailSpec};
use shared::{SchemaId, Topic};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// How often the view catches up with the records that arrived.
const REFRESH: Duration = Duration::from_millis(100);

/// What the section's components share.
#[derive(Clone, Copy)]
pub struct TailState {
    book: StoredValue<TailBook, LocalStorage>,
    /// Bumped when the book changed and the view should catch up.
    tick: RwSignal<u64>,
    refresh_due: StoredValue<bool, LocalStorage>,
    /// The running tail.
    tail: RwSignal<Option<JobId>>,
    /// The topic it reads.
    topic: RwSignal<Option<Topic>>,
    /// Frames that arrived while the bridge's answer to `StartTail` was on its way (the tail
    /// may send before its answer is read); `None` when no start is pending.
    early: StoredValue<Option<Vec<shared::tail::TailFrame>>, LocalStorage>,
    paused: RwSignal<bool>,
    /// The record being inspected.
    selected: RwSignal<Option<Row>>,
    /// Field the filter looks at (`""` for any).
    filter_field: RwSignal<String>,
    /// Text the field must contain.
    filter_text: RwSignal<String>,
    /// Show poison pills only.
    poison_only: RwSignal<bool>,
    /// Records per second, as last measured.
    rate: RwSignal<f64>,
    last_count: StoredValue<(f64, u64), LocalStorage>,
}

impl TailState {
    fn new() -> Self {
        Self {
            book: StoredValue::new_local(TailBook::new()),
            tick: RwSignal::new(0),
            refresh_due: StoredValue::new_local(false),
            tail: RwSignal::new(None),
            topic: RwSignal::new(None),
            early: StoredValue::new_local(None),
            paused: RwSignal::new(false),
            selected: RwSignal::new(None),
            filter_field: RwSignal::new(String::new()),
            filter_text: RwSignal::new(String::new()),
            poison_only: RwSignal::new(false),
            rate: RwSignal::new(0.0),
            last_count: StoredValue::new_local((now_ms(), 0)),
        }
    }

    /// Reads the book (tracks the tick, so views catch up with it).
    pub fn with_book<T>(self, f: impl FnOnce(&TailBook) -> T) -> Option<T> {
        self.tick.track();
        self.book.try_with_value(f)
    }

    /// Asks the view to catch up soon (at most every [`REFRESH`]).
    fn refresh(self) {
        if self.refresh_due.get_value() {
            return;
        }
        self.refresh_due.set_value(true);
        set_timeout(
            move || {
                self.refresh_due.set_value(false);
                self.measure_rate();
                self.tick.update(|t| *t += 1);
            },
            REFRESH,
        );
    }

    fn measure_rate(self) {
        let now = now_ms();
        let (then, before) = self.last_count.get_value();
        if now - then >= 1000.0 {
            let received = self.book.with_value(|b| b.counts().received);
            self.rate
                .set((received - before) as f64 * 1000.0 / (now - then));
            self.last_count.set_value((now, received));
        }
    }

    /// Takes a binary tail frame from the bridge.
    fn take_frame(self, bridge: Bridge, bytes: &[u8]) {
        let Ok(frame) = shared::tail::read(bytes) else {
            leptos::logging::warn!("ignored a tail frame that does not read");
            return;
        };
        if self.tail.get_untracked() != Some(frame.tail) {
            self.early.update_value(|early| {
                if let Some(early) = early {
                    early.push(frame);
                }
            });
            return;
        }
        self.feed(bridge, frame);
    }

    fn feed(self, bridge: Bridge, frame: shared::tail::TailFrame) {
        let fetch = self
            .book
            .try_update_value(|b| b.feed(frame.records))
            .unwrap_or_default();
        for id in fetch {
            self.fetch_schema(bridge, id);
        }
        self.refresh();
    }

    fn fetch_schema(self, bridge: Bridge, id: SchemaId) {
        spawn_local(async move {
            let writer = match bridge.request(Request::GetSchemaById { id }).await {
                Ok(Response::SchemaText {
                    schema, versions, ..
                }) => match apache_avro::Schema::parse_str(&schema) {
                    Ok(parsed) => Writer::Known {
                        schema: Arc::new(parsed),
                        text: schema,
                        versions,
                    },
                    Err(e) => Writer::Failed(format!("the registered schema does not parse: {e}")),
                },
                Ok(_) => Writer::Failed(crate::registry::unexpected()),
                Err(e) if e.code == ErrorCode::NotFound => Writer::Missing,
                Err(e) => Writer::Failed(e.message),
            };
            self.book.update_value(|b| b.schema_arrived(id, writer));
            self.refresh();
        });
    }

    /// The tail `tail` started: takes the frames that came before the answer.
    fn started(self, bridge: Bridge, tail: JobId) {
        self.paused.set(false);
        self.tail.set(Some(tail));
        let early = self
            .early
            .try_update_value(Option::take)
            .flatten()
            .unwrap_or_default();
        for frame in early.into_iter().filter(|f| f.tail == tail) {
            self.feed(bridge, frame);
        }
    }

    /// Forgets everything shown (a new tail starts clean).
    fn reset(self) {
        self.book.set_value(TailBook::new());
        self.selected.set(None);
        self.rate.set(0.0);
        self.last_count.set_value((now_ms(), 0));
        self.tick.update(|t| *t += 1);
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

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
                Ok(_) => error.set(Some(crate::registry::unexpected())),
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

/// Positions in `book.rows()` of the rows that pass the filter, newest first. A field with no
/// text keeps the rows that have that field (v2's new field picks out v2 records).
fn filtered(book: &TailBook, field: &str, text: &str, poison_only: bool) -> Vec<usize> {
    let text = text.trim();
    let rows = book.rows();
    (0..rows.len())
        .rev()
        .filter(|i| {
            rows.get(*i).is_some_and(|row| {
                (!poison_only || matches!(row.outcome, Outcome::Poison(_)))
                    && (text.is_empty() && field.is_empty() || matches(book, row, field, text))
            })
        })
        .collect()
}

fn matches(book: &TailBook, row: &Row, field: &str, text: &str) -> bool {
    match &row.outcome {
        Outcome::Decoded { .. } if field.is_empty() => book
            .fields(row)
            .iter()
            .any(|(_, value)| value.contains(text)),
        Outcome::Decoded { .. } => book
            .cell(row, field)
            .is_some_and(|value| value.contains(text)),
        Outcome::Poison(p) => field.is_empty() && p.describe().contains(text),
    }
}

#[cfg(test)]
mod tests {
    use super::book::Writer;
    use super::*;
    use shared::tail::RawRecord;
    use shared::wire::Frame;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");

    fn framed(text: &str, id: u32) -> Option<Vec<u8>> {
        let schema = apache_avro::Schema::parse_str(text).ok()?;
        let value = crate::wire::sample::sample(&schema).ok()?;
        let body = apache_avro::to_avro_datum(&schema, value).ok()?;
        let mut out = Vec::new();
        Frame {
            schema_id: SchemaId(id),
            body: &body,
        }
        .write_to(&mut out);
        Some(out)
    }

    fn book() -> TailBook {
        let mut book = TailBook::new();
        for (id, text) in [(1, V1), (2, V2)] {
            let schema = apache_avro::Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"));
            book.schema_arrived(
                SchemaId(id),
                Writer::Known {
                    schema: Arc::new(schema),
                    text: text.into(),
                    versions: Vec::new(),
                },
            );
        }
        let record = |offset, value| RawRecord {
            partition: 0,
            offset,
            timestamp_ms: 0,
            key: None,
            value,
        };
        book.feed([
            record(0, framed(V1, 1)),
            record(1, framed(V2, 2)),
            record(2, Some(vec![1; 8])),
        ]);
        book
    }

    #[test]
    fn filters_pick_fields_texts_and_poison() {
        let book = book();
        let id = book
            .rows()
            .front()
            .and_then(|r| book.cell(r, "id"))
            .unwrap_or_default();
        // Both sample records carry the same id; the poison pill has no fields.
        assert_eq!(filtered(&book, "id", &id, false), vec![1, 0]);
        assert_eq!(filtered(&book, "", "", false), vec![2, 1, 0]);
        assert_eq!(
            filtered(&book, "country", "", false),
            vec![1],
            "only v2 has country"
        );
        assert_eq!(filtered(&book, "", "", true), vec![2]);
        assert_eq!(filtered(&book, "", "magic", false), vec![2]);
        assert_eq!(
            filtered(&book, "id", "no such id", false),
            Vec::<usize>::new()
        );
    }
}
