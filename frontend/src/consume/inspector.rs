//! The wire-format inspector of a tailed record: where it sits, its bytes annotated (magic byte,
//! schema id, body), the schema id resolved to subject and version, and its decoded fields — or,
//! for a poison pill, why it is one.

use super::book::{Outcome, Row, Writer};
use super::tail::TailState;
use crate::wire::hex::annotate;
use crate::wire::AnnotatedHex;
use crate::workshop::answer::UseAsAnswer;
use leptos::prelude::*;
use shared::protocol::SubjectVersion;
use shared::workshop::Step;
use shared::{SchemaId, Subject};

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
        Outcome::Decoded { id, .. } => {
            let fields = state
                .book
                .with_value(|b| b.json(&row))
                .unwrap_or_else(|| "(the writer schema is no longer known)".into());
            let readable = state.book.with_value(|b| b.readable(&row));
            view! {
                <p data-testid="inspector-schema">
                    "schema id " <code data-testid="inspector-schema-id">{id.to_string()}</code>
                    " → " <span data-testid="inspector-subject">{subject_of(state, *id)}</span>
                </p>
                <h4>"Decoded fields"</h4>
                <table class="fields readable" data-testid="inspector-readable">
                    {readable.into_iter().map(|(name, text, stored)| view! {
                        <tr data-field=name.clone()>
                            <th>{name.clone()}</th>
                            <td class="value">{text}</td>
                            <td class="stored">{stored.map(|n| format!("stored {n}"))}</td>
                        </tr>
                    }).collect_view()}
                </table>
                <details>
                    <summary>"As Avro JSON (stored values)"</summary>
                    <pre class="code" data-testid="inspector-fields">{fields}</pre>
                </details>
            }
            .into_any()
        }
        Outcome::Poison(p) => view! {
            <p class="error" data-testid="inspector-reason" data-kind=p.kind()>"☠ poison pill: " {p.describe()}</p>
            <UseAsAnswer
                step=Step::Consume
                value=format!("{}:{}", record.partition, record.offset)
                testid="inspector-use-answer"
            />
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

/// "subject vN" for a known schema id: the tailed topic's value subject when the schema is
/// registered there, otherwise the first few subjects that have it.
fn subject_of(state: TailState, id: SchemaId) -> String {
    let own = state.topic.get_untracked().map(|t| {
        let seat = use_context::<crate::workshop::seat::Seat>();
        crate::workshop::seat::scoped(seat, &t.value_subject())
    });
    state.book.with_value(|b| match b.writer(id) {
        Some(Writer::Known { versions, .. }) => describe_versions(versions, own.as_ref()),
        _ => "no subject version listed".to_owned(),
    })
}

/// How many other subjects are named when the topic's own is not among them.
const OTHERS_SHOWN: usize = 3;

fn describe_versions(versions: &[SubjectVersion], own: Option<&Subject>) -> String {
    let name = |v: &SubjectVersion| format!("{} v{}", v.subject, v.version);
    if let Some(mine) = versions.iter().find(|v| Some(&v.subject) == own) {
        let others = versions.len() - 1;
        return match others {
            0 => name(mine),
            n => format!(
                "{} (and {n} other subject{})",
                name(mine),
                if n == 1 { "" } else { "s" }
            ),
        };
    }
    if versions.is_empty() {
        return "no subject version listed".to_owned();
    }
    let shown: Vec<String> = versions.iter().take(OTHERS_SHOWN).map(name).collect();
    match versions.len().saturating_sub(OTHERS_SHOWN) {
        0 => shown.join(", "),
        n => format!("{} and {n} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(subject: &str, version: u32) -> SubjectVersion {
        SubjectVersion {
            subject: Subject::new(subject).unwrap_or_else(|e| panic!("{e}")),
            version,
        }
    }

    #[test]
    fn the_topics_own_subject_comes_first_and_others_are_counted() {
        let own = Subject::new("t-value").unwrap_or_else(|e| panic!("{e}"));
        let all = [v("a-value", 1), v("t-value", 2), v("b-value", 1)];
        assert_eq!(
            describe_versions(&all, Some(&own)),
            "t-value v2 (and 2 other subjects)"
        );
        assert_eq!(describe_versions(&all[1..2], Some(&own)), "t-value v2");
        let many: Vec<_> = (0..5).map(|i| v(&format!("s{i}-value"), 1)).collect();
        assert_eq!(
            describe_versions(&many, Some(&own)),
            "s0-value v1, s1-value v1, s2-value v1 and 2 more"
        );
        assert_eq!(describe_versions(&[], None), "no subject version listed");
    }
}
