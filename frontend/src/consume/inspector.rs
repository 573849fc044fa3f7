//! The wire-format inspector of a tailed record: where it sits, its bytes annotated (magic byte,
//! schema id, body), the schema id resolved to subject and version, and its decoded fields — or,
//! for a poison pill, why it is one.

use super::book::{Outcome, Row, Writer};
use super::TailState;
use crate::text::json;
use crate::wire::hex::annotate;
use crate::wire::AnnotatedHex;
use leptos::prelude::*;
use shared::SchemaId;

/// The selected record, or a hint to select one.
#[component]
pub fn Inspector() -> impl IntoView {
    let state = expect_context::<TailState>();
    view! {
        <div class="panel inspector" data-testid="inspector">
            <h3>"Inspector"</h3>
            {move || match state.selected.get() {
                None => view! { <p class="hint">"Click a record in the table to see it on the wire."</p> }.into_any(),
                Some(row) => view! { <Record row=row/> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Record(row: Row) -> impl IntoView {
    let state = expect_context::<TailState>();
    let record = row.record.clone();
    let value = record.value.clone().unwrap_or_default();
    let key = record.key.as_deref().map_or_else(
        || "null".to_owned(),
        |k| String::from_utf8_lossy(k).into_owned(),
    );
    let time = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(record.timestamp_ms as f64))
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let body = match &row.outcome {
        Outcome::Decoded { id, fields } => {
            let object = apache_avro::types::Value::Record(fields.as_ref().clone());
            view! {
                <p data-testid="inspector-schema">
                    "schema id " <code data-testid="inspector-schema-id">{id.to_string()}</code>
                    " → " <span data-testid="inspector-subject">{subject_of(state, *id)}</span>
                </p>
                <h4>"Decoded fields"</h4>
                <pre class="code" data-testid="inspector-fields">{json::pretty(&json::from_avro(&object))}</pre>
            }
            .into_any()
        }
        Outcome::Poison(p) => view! {
            <p class="error" data-testid="inspector-reason" data-kind=p.kind()>"☠ poison pill: " {p.describe()}</p>
        }
        .into_any(),
    };
    view! {
        <dl class="stats">
            <dt>"partition / offset"</dt><dd data-testid="inspector-place">{format!("{} / {}", record.partition, record.offset)}</dd>
            <dt>"timestamp"</dt><dd>{time}</dd>
            <dt>"key"</dt><dd><code>{key}</code></dd>
        </dl>
        {body}
        <h4>"On the wire"</h4>
        <AnnotatedHex annotated=annotate(&value) total=value.len() testid="inspector-hex"/>
    }
}

/// "subject vN" for a known schema id, as the registry listed it.
fn subject_of(state: TailState, id: SchemaId) -> String {
    state.book.with_value(|b| match b.writer(id) {
        Some(Writer::Known { versions, .. }) if !versions.is_empty() => versions
            .iter()
            .map(|v| format!("{} v{}", v.subject, v.version))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "no subject version listed".to_owned(),
    })
}
