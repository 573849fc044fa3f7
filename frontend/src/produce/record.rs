//! A record of your own, beside the generator: written in Avro's JSON encoding, checked and
//! encoded here in WebAssembly against a writer schema (shipped, the editor's, or a registered
//! subject version), framed, and sent as bytes with a key and headers — once or N times. The
//! same panel sends poison pills on purpose (wrong magic byte, unknown schema id, truncated
//! body). The bridge only forwards the bytes.

use super::form::{writer_text, Form, WriterChoice};
use crate::schema::state::SchemaState;
use crate::text::count::thousands;
use crate::widgets::TextField;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::{RegisteredSchema, Request, Response, SendSpec, VersionRef, MAX_COPIES};
use shared::record::{fill, parse_schema, Pill, RecordReader};
use shared::{Click, Subject, Topic};

/// Where the writer schema comes from: one the generator's settings offer too, or a
/// registered subject version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Choice(WriterChoice),
    Registered,
}

impl Source {
    fn from_value(value: &str) -> Self {
        match value {
            "registered" => Self::Registered,
            other => Self::Choice(WriterChoice::from_value(other)),
        }
    }
}

/// What is sent: the record, or a poison pill made from it.
fn pill_from_value(value: &str) -> Option<Pill> {
    match value {
        "wrong_magic" => Some(Pill::WrongMagic),
        "unknown_id" => Some(Pill::UnknownId),
        "truncated" => Some(Pill::Truncated),
        _ => None,
    }
}

/// Everything the panel edits.
#[derive(Clone, Copy)]
struct Draft {
    source: RwSignal<Source>,
    subject: RwSignal<String>,
    version: RwSignal<String>,
    json: RwSignal<String>,
    key: RwSignal<String>,
    headers: RwSignal<String>,
    copies: RwSignal<String>,
    pill: RwSignal<Option<Pill>>,
}

/// The record editor.
#[component]
pub fn RecordEditor(
    /// The generator's settings: their topic is the record's.
    form: Form,
) -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let schema_state = expect_context::<SchemaState>();
    let draft = Draft {
        source: RwSignal::new(Source::Choice(WriterChoice::V1)),
        subject: RwSignal::new(String::new()),
        version: RwSignal::new("latest".to_owned()),
        json: RwSignal::new(String::new()),
        key: RwSignal::new(String::new()),
        headers: RwSignal::new(String::new()),
        copies: RwSignal::new("1".to_owned()),
        pill: RwSignal::new(None),
    };
    let error = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<String>);
    let topic = move || form.topic.get_untracked().trim().to_owned();

    // The writer schema, registered: asked of the registry, or registered under the topic.
    let writer = move || {
        let source = draft.source.get_untracked();
        let topic = topic();
        let subject = draft.subject.get_untracked();
        let version = draft.version.get_untracked();
        let editor = schema_state.text.get_untracked();
        async move { resolve(bridge, source, &topic, &subject, &version, editor).await }
    };
    let filling = Action::new_local(move |(): &()| {
        let writer = writer();
        let seed = js_sys::Date::now() as u64;
        let click = bridge.call(Request::SampleClick { seed }, |reply| match reply {
            Response::Click(click) => Some(click),
            _ => None,
        });
        async move {
            let filled = match (writer.await, click.await) {
                (Ok(w), Ok(click)) => generated(&w.schema, &click),
                (Err(e), _) => Err(e),
                (_, Err(e)) => Err(e.to_string()),
            };
            match filled {
                Ok(text) => {
                    draft.json.set(text);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });
    let sending = Action::new_local(move |(): &()| {
        let writer = writer();
        let topic = topic();
        async move {
            result.set(None);
            let spec = match writer.await.and_then(|w| spec(draft, &topic, &w)) {
                Ok(spec) => spec,
                Err(e) => return error.set(Some(e)),
            };
            let copies = spec.copies;
            let reply = bridge.call(Request::SendRecords(spec), |reply| match reply {
                Response::RecordsSent { count, places, .. } => Some((count, places)),
                _ => None,
            });
            match reply.await {
                Ok((count, places)) => {
                    error.set(None);
                    result.set(Some(sent_words(count, copies, &places)));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let busy = move || filling.pending().get() || sending.pending().get();

    view! {
        <details class="panel record-editor" data-testid="record-editor">
            <summary>"A record of your own"</summary>
            <p class="hint">
                "Avro's JSON encoding: a union's value is null or {\"type\": value}, bytes are strings "
                "of code points 0–255, a timestamp-millis is a number of milliseconds. Checked and "
                "encoded in this page; the bridge only forwards the bytes."
            </p>
            <div class="grid">
                <label class="field">
                    <span>"writer schema"</span>
                    <select data-testid="record-writer" on:change:target=move |ev| draft.source.set(Source::from_value(&ev.target().value()))>
                        <option value="v1" selected=true>"click v1 (shipped)"</option>
                        <option value="v2">"click v2 (adds country)"</option>
                        <option value="editor">"the schema in the editor"</option>
                        <option value="registered">"a registered subject version"</option>
                    </select>
                </label>
                {move || (draft.source.get() == Source::Registered).then(|| view! {
                    <TextField label="subject" testid="record-subject" value=draft.subject hint="clicks-avro-value"/>
                    <TextField label="version" testid="record-version" value=draft.version/>
                })}
                <TextField label="key" testid="record-key" value=draft.key hint="none"/>
                <TextField label="copies" testid="record-copies" value=draft.copies/>
                <label class="field">
                    <span>"send"</span>
                    <select data-testid="record-kind" on:change:target=move |ev| draft.pill.set(pill_from_value(&ev.target().value()))>
                        <option value="record" selected=true>"the record"</option>
                        <option value="wrong_magic">"poison pill: wrong magic byte"</option>
                        <option value="unknown_id">"poison pill: unknown schema id"</option>
                        <option value="truncated">"poison pill: truncated body"</option>
                    </select>
                </label>
            </div>
            <label class="field wide"><span>"record (JSON)"</span>
                <textarea class="code" rows="12" spellcheck="false" data-testid="record-json"
                    prop:value=move || draft.json.get()
                    on:input:target=move |ev| draft.json.set(ev.target().value())></textarea>
            </label>
            <label class="field wide"><span>"headers (one name: value per line)"</span>
                <textarea class="code" rows="2" spellcheck="false" data-testid="record-headers"
                    prop:value=move || draft.headers.get()
                    on:input:target=move |ev| draft.headers.set(ev.target().value())></textarea>
            </label>
            <div class="row">
                <button data-testid="record-fill" disabled=move || busy() || !bridge.online().get() on:click=move |_| { filling.dispatch_local(()); }>"Fill from the generator"</button>
                <button data-testid="record-send" disabled=move || busy() || !bridge.online().get() on:click=move |_| { sending.dispatch_local(()); }>"Send"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="record-error">{e}</p> })}
            {move || result.get().map(|r| view! { <p class="notice" role="status" data-testid="record-result">{r}</p> })}
        </details>
    }
}

async fn resolve(
    bridge: Bridge,
    source: Source,
    topic: &str,
    subject: &str,
    version: &str,
    editor: String,
) -> Result<RegisteredSchema, String> {
    let registered = |reply| match reply {
        Response::Schema(s) => Some(s),
        _ => None,
    };
    let text = match source {
        Source::Registered => {
            let subject = Subject::new(subject.trim()).map_err(|e| format!("Subject: {e}"))?;
            let version = match version.trim() {
                "" | "latest" => VersionRef::Latest,
                n => VersionRef::Number(
                    n.parse()
                        .map_err(|_| format!("Version: {n:?} is not a version number"))?,
                ),
            };
            return bridge
                .call(Request::GetSchema { subject, version }, registered)
                .await
                .map_err(|e| e.to_string());
        }
        Source::Choice(choice) => writer_text(bridge, choice, editor).await?,
    };
    let topic = Topic::new(topic).map_err(|e| format!("Topic: {e}"))?;
    bridge
        .call(
            Request::Register {
                topic,
                schema: text,
            },
            registered,
        )
        .await
        .map_err(|e| e.to_string())
}

/// `click` in Avro's JSON encoding for `schema`, pretty-printed.
fn generated(schema: &str, click: &Click) -> Result<String, String> {
    let schema = parse_schema(schema)?;
    let plain = serde_json::to_value(click).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&fill(&schema, &plain)).map_err(|e| e.to_string())
}

/// The request sending the draft with `writer`, or the first mistake.
fn spec(draft: Draft, topic: &str, writer: &RegisteredSchema) -> Result<SendSpec, String> {
    let schema = parse_schema(&writer.schema)?;
    let json: serde_json::Value = serde_json::from_str(&draft.json.get_untracked())
        .map_err(|e| format!("The record is not JSON: {e}"))?;
    let value = RecordReader::new(&schema)
        .framed(&json, writer.id, draft.pill.get_untracked())
        .map_err(|e| e.to_string())?;
    let copies = draft.copies.get_untracked();
    let copies = copies
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_COPIES).contains(n))
        .ok_or_else(|| format!("Copies: a number from 1 to {MAX_COPIES}"))?;
    let key = draft.key.get_untracked();
    Ok(SendSpec {
        topic: Topic::new(topic).map_err(|e| format!("Topic: {e}"))?,
        key: (!key.is_empty()).then_some(key),
        headers: headers(&draft.headers.get_untracked())?,
        value,
        copies,
    })
}

/// `name: value` lines as headers; blank lines are skipped.
fn headers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(format!("Headers: {l:?} is not name: value")),
        })
        .collect()
}

fn sent_words(count: u64, copies: u32, places: &[(i32, i64)]) -> String {
    let place = |(p, o): &(i32, i64)| format!("partition {p} offset {o}");
    match places {
        [one] if count == 1 => format!("Sent 1 record: {}.", place(one)),
        [first, ..] => format!(
            "Sent {} records ({} cop{} each); the first at {}.",
            thousands(count),
            thousands(u64::from(copies)),
            if copies == 1 { "y" } else { "ies" },
            place(first)
        ),
        [] => format!("Sent {} records.", thousands(count)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_as_name_value_lines() {
        assert_eq!(
            headers("source: page\n\ntrace-id: a:b\n"),
            Ok(vec![
                ("source".to_owned(), "page".to_owned()),
                ("trace-id".to_owned(), "a:b".to_owned())
            ])
        );
        assert!(headers("no colon").is_err());
        assert!(headers(": empty name").is_err());
    }

    #[test]
    fn choices_read_from_option_values() {
        assert_eq!(Source::from_value("registered"), Source::Registered);
        assert_eq!(Source::from_value("v2"), Source::Choice(WriterChoice::V2));
        assert_eq!(pill_from_value("truncated"), Some(Pill::Truncated));
        assert_eq!(pill_from_value("record"), None);
    }

    #[test]
    fn the_outcome_says_where_records_landed() {
        assert_eq!(
            sent_words(1, 1, &[(2, 17)]),
            "Sent 1 record: partition 2 offset 17."
        );
        assert_eq!(
            sent_words(3000, 3000, &[(0, 5)]),
            "Sent 3,000 records (3,000 copies each); the first at partition 0 offset 5."
        );
    }
}
