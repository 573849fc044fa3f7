//! The wire-format preview of the Schema section, computed in the page with nothing sent: a
//! sample record of the editor's schema, Avro-encoded and framed the Confluent way, shown as
//! annotated hex and decoded back from those bytes.

pub mod hex;
pub mod preview;
pub mod sample;

use crate::schema::state::SchemaState;
use hex::hex;
use leptos::prelude::*;
use preview::{preview, Preview};
use shared::SchemaId;

/// Schema id, a generate button, then the hex with its legend and the decoded record.
#[component]
pub fn WirePreview() -> impl IntoView {
    let state = expect_context::<SchemaState>();
    let typed_id = RwSignal::new("1".to_owned());
    let registered = Memo::new(move |_| state.registered_id());
    let outcome = RwSignal::new(None::<Result<Preview, String>>);

    let generate = move |_| {
        let Some(described) = state.checked.with_untracked(|c| c.as_ref().ok().cloned()) else {
            return;
        };
        let id = match registered.get_untracked() {
            Some(id) => Ok(id),
            None => parse_id(&typed_id.get_untracked()),
        };
        outcome.set(Some(id.and_then(|id| {
            preview(&described.schema, id).map_err(|e| e.to_string())
        })));
    };

    view! {
        <div class="panel wire">
            <h3>"Wire format preview"</h3>
            <p class="hint">
                "A sample record of this schema, encoded by apache-avro and framed the Confluent "
                "way, all in the page: nothing is sent."
            </p>
            <div class="row">
                {move || match registered.get() {
                    Some(id) => view! {
                        <span>"schema id " <code data-testid="wire-registered-id">{id.to_string()}</code> " (as registered)"</span>
                    }.into_any(),
                    None => view! {
                        <label>
                            "schema id "
                            <input
                                data-testid="wire-schema-id"
                                type="number"
                                min="0"
                                max=u32::MAX.to_string()
                                prop:value=move || typed_id.get()
                                on:input:target=move |ev| typed_id.set(ev.target().value())
                            />
                        </label>
                    }.into_any(),
                }}
                <button data-testid="wire-generate" disabled=move || !state.valid() on:click=generate>
                    "Generate sample"
                </button>
            </div>
            {move || outcome.get().map(|o| match o {
                Ok(p) => view! { <PreviewView preview=p/> }.into_any(),
                Err(e) => view! { <p class="error" data-testid="wire-error">{e}</p> }.into_any(),
            })}
        </div>
    }
}

/// Reads the typed schema id.
fn parse_id(text: &str) -> Result<SchemaId, String> {
    text.trim().parse::<u32>().map(SchemaId).map_err(|_| {
        format!(
            "The schema id must be a whole number from 0 to {}.",
            u32::MAX
        )
    })
}

/// The annotated hex, its legend and the decoded record.
#[component]
fn PreviewView(
    /// The computed preview.
    preview: Preview,
) -> impl IntoView {
    view! {
        <AnnotatedHex annotated=preview.annotated total=preview.bytes.len() testid="wire-hex"/>
        <h4>"Decoded back from these bytes"</h4>
        <pre class="code" data-testid="wire-decoded">{preview.decoded}</pre>
    }
}

/// Bytes as hex, coloured by segment, with a legend giving each segment's meaning and offsets.
#[component]
pub fn AnnotatedHex(
    /// The segmented bytes.
    annotated: hex::Annotated,
    /// Their number.
    total: usize,
    /// The hex block's test id.
    testid: &'static str,
) -> impl IntoView {
    let segments = annotated.segments;
    let legend = segments.clone();
    view! {
        <div class="hex" data-testid=testid>
            {segments.into_iter().map(|s| view! {
                <span
                    class=format!("seg seg-{}", s.kind.as_str())
                    data-segment=s.kind.as_str()
                    title=s.label
                >{hex(&s.bytes)}</span>
                " "
            }).collect_view()}
        </div>
        <ul class="legend">
            {legend.into_iter().map(|s| view! {
                <li>
                    <span class=format!("swatch seg-{}", s.kind.as_str()) aria-hidden="true"></span>
                    {legend_text(s.offset, s.bytes.len(), &s.label)}
                </li>
            }).collect_view()}
            <li class="total">{format!("{total} bytes in all")}</li>
        </ul>
    }
}

/// A legend line: what the segment is and which offsets it spans.
fn legend_text(offset: usize, len: usize, label: &str) -> String {
    let span = match len {
        0 => format!("offset {offset}, empty"),
        1 => format!("offset {offset}"),
        n => format!("offsets {offset}–{}", offset + n - 1),
    };
    format!("{label} — {span}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_ids_are_whole_u32s() {
        assert_eq!(parse_id(" 7 "), Ok(SchemaId(7)));
        assert_eq!(parse_id("4294967295"), Ok(SchemaId(u32::MAX)));
        assert!(parse_id("-1").is_err());
        assert!(parse_id("4294967296").is_err());
        assert!(parse_id("one").is_err());
    }

    #[test]
    fn legend_lines_give_offsets() {
        assert_eq!(
            legend_text(0, 1, "magic byte 0x00"),
            "magic byte 0x00 — offset 0"
        );
        assert_eq!(
            legend_text(1, 4, "schema id 1 (big-endian u32)"),
            "schema id 1 (big-endian u32) — offsets 1–4"
        );
        assert_eq!(
            legend_text(5, 0, "Avro body, 0 bytes"),
            "Avro body, 0 bytes — offset 5, empty"
        );
    }
}
