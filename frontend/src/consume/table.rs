//! The tail's table: only the rows in view are drawn, so it stays smooth however fast records
//! arrive; newest first; filtered by a field's value.

use super::book::{Outcome, Row, TailBook};
use super::export;
use super::filter::filtered;
use super::tail::TailState;
use crate::export::{download, file_part};
use crate::text::count::thousands;
use leptos::prelude::*;

/// Height of a row in pixels (the stylesheet gives rows the same).
const ROW_HEIGHT: f64 = 26.0;
/// Height of the scrolling area in pixels.
const VIEW_HEIGHT: f64 = 390.0;
/// Rows drawn beyond the visible ones, so fast scrolling shows no gaps.
const OVERSCAN: usize = 6;
/// Field columns shown in the table (the inspector shows every field).
const MAX_FIELDS: usize = 8;

/// Which field to filter on, and the text it must contain.
#[component]
pub fn Filter() -> impl IntoView {
    let state = expect_context::<TailState>();
    let columns = Memo::new(move |_| {
        state
            .with_book(|b| b.columns().to_vec())
            .unwrap_or_default()
    });
    // The rows the filter keeps, newest first, as a file named after the topic.
    let save = move |csv: bool| {
        let (field, text) = (
            state.filter_field.get_untracked(),
            state.filter_text.get_untracked(),
        );
        let poison_only = state.poison_only.get_untracked();
        let topic = state
            .topic
            .get_untracked()
            .map_or_else(|| "tail".to_owned(), |t| file_part(t.as_str()));
        let file = state.with_book(|b| {
            let rows = filtered(b, &field, &text, poison_only);
            if csv {
                export::csv(b, &rows)
            } else {
                export::jsonl(b, &rows)
            }
        });
        if let Some(file) = file {
            let (name, mime) = if csv {
                (format!("{topic}.csv"), "text/csv")
            } else {
                (format!("{topic}.jsonl"), "application/x-ndjson")
            };
            download(&name, mime, &file);
        }
    };
    view! {
        <div class="row filter">
            <label class="field">
                <span>"filter"</span>
                <select
                    data-testid="consume-filter-field"
                    on:change:target=move |ev| state.filter_field.set(ev.target().value())
                >
                    <option value="">"any field"</option>
                    {move || columns.get().into_iter().map(|c| {
                        let selected = state.filter_field.get_untracked() == c;
                        view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <input
                data-testid="consume-filter-text"
                placeholder="contains…"
                prop:value=move || state.filter_text.get()
                on:input:target=move |ev| state.filter_text.set(ev.target().value())
            />
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="consume-poison-only"
                    prop:checked=move || state.poison_only.get()
                    on:change:target=move |ev| state.poison_only.set(ev.target().checked())
                />
                " poison pills only"
            </label>
            <span class="export">
                "download "
                <button class="small" data-testid="consume-export-jsonl" on:click=move |_| save(false)>"JSONL"</button>
                <button class="small" data-testid="consume-export-csv" on:click=move |_| save(true)>"CSV"</button>
            </span>
        </div>
    }
}

/// The rows in view of the filtered, newest-first list.
#[component]
pub fn VirtualTable() -> impl IntoView {
    let state = expect_context::<TailState>();
    let scroll_top = RwSignal::new(0.0f64);
    let columns = Memo::new(move |_| {
        state
            .with_book(|b| {
                b.columns()
                    .iter()
                    .take(MAX_FIELDS)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    // How many rows match: brought up to date when the view catches up with the records that
    // arrived (only those are filtered) or the filter changes (every kept row is).
    let matching = Memo::new(move |_| {
        let (field, text) = (state.filter_field.get(), state.filter_text.get());
        let poison_only = state.poison_only.get();
        state
            .with_book(|b| {
                state.matching.try_update_value(|m| {
                    m.update(b, &field, &text, poison_only);
                    m.len()
                })
            })
            .flatten()
            .unwrap_or_default()
    });
    let first = move || ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
    // The rows in view with their cells as text, one per column.
    let visible = move || {
        let first = first();
        let count = (VIEW_HEIGHT / ROW_HEIGHT) as usize + 2 * OVERSCAN;
        // Reading the count brings the matching rows up to date first.
        let count = count.min(matching.get().saturating_sub(first));
        let columns = columns.get();
        state
            .with_book(|b| {
                let positions = state.matching.with_value(|m| m.newest(b, first, count));
                positions
                    .iter()
                    .filter_map(|i| b.row(*i))
                    .map(|row| {
                        let cells = columns
                            .iter()
                            .map(|c| b.cell(&row, c).unwrap_or_default())
                            .collect();
                        (row, cells)
                    })
                    .collect::<Vec<(Row, Vec<String>)>>()
            })
            .unwrap_or_default()
    };
    view! {
        <div class="vt" data-testid="consume-table">
            <div class="vt-head">
                <span class="c-meta">"#"</span>
                <span class="c-meta">"p/offset"</span>
                <span class="c-meta">"key"</span>
                {move || columns.get().into_iter().map(|c| view! { <span class="c-field">{c}</span> }).collect_view()}
            </div>
            <div
                class="vt-body"
                style=format!("height: {VIEW_HEIGHT}px")
                on:scroll:target=move |ev| scroll_top.set(f64::from(ev.target().scroll_top()))
            >
                <div class="vt-space" style=move || format!("height: {}px", matching.get() as f64 * ROW_HEIGHT)>
                    <div class="vt-rows" style=move || format!("top: {}px", first() as f64 * ROW_HEIGHT)>
                        {move || visible().into_iter().map(|(row, cells)| view! { <RowView row=row cells=cells/> }).collect_view()}
                    </div>
                </div>
            </div>
            <p
                class="hint"
                data-testid="consume-shown"
                data-kept=move || state.with_book(TailBook::len).unwrap_or_default()
                data-kept-bytes=move || state.with_book(TailBook::footprint).unwrap_or_default()
            >
                {move || {
                    let (kept, bytes) = state
                        .with_book(|b| (b.len(), b.footprint()))
                        .unwrap_or_default();
                    format!(
                        "{} rows match; the newest {} records are kept ({} now, {:.1} MB)",
                        thousands(matching.get() as u64),
                        thousands(super::book::KEEP as u64),
                        thousands(kept as u64),
                        bytes as f64 / 1e6
                    )
                }}
            </p>
        </div>
    }
}

/// One row: its place, its key, then its fields or why it is a poison pill.
#[component]
fn RowView(row: Row, cells: Vec<String>) -> impl IntoView {
    let state = expect_context::<TailState>();
    let key = row
        .record
        .key
        .as_deref()
        .map_or_else(String::new, |k| String::from_utf8_lossy(k).into_owned());
    let schema_id = match &row.outcome {
        Outcome::Decoded { id, .. } => Some(id.to_string()),
        Outcome::Poison(_) => None,
    };
    let (kind, cells) = match &row.outcome {
        Outcome::Decoded { .. } => (
            "decoded",
            cells
                .into_iter()
                .map(|text| {
                    let title = text.clone();
                    view! { <span class="c-field" title=title>{text}</span> }.into_any()
                })
                .collect::<Vec<_>>(),
        ),
        Outcome::Poison(p) => (
            "poison",
            vec![view! { <span class="c-poison" data-testid="row-reason">"☠ " {p.describe()}</span> }.into_any()],
        ),
    };
    let selected = {
        let seq = row.seq;
        move || {
            state
                .selected
                .with(|s| s.as_ref().is_some_and(|s| s.seq == seq))
        }
    };
    let key_title = key.clone();
    let (partition, offset) = (row.record.partition, row.record.offset);
    let seq = row.seq;
    view! {
        <div
            class=move || format!("vt-row {kind}{}", if selected() { " selected" } else { "" })
            data-testid="consume-row"
            data-kind=kind
            data-schema-id=schema_id
            data-partition=partition
            data-offset=offset
            on:click=move |_| state.selected.set(Some(row.clone()))
        >
            <span class="c-meta">{seq}</span>
            <span class="c-meta">{format!("{partition}/{offset}")}</span>
            <span class="c-meta" title=key_title>{key}</span>
            {cells}
        </div>
    }
}
