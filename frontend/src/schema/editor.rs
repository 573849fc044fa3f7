//! The schema editor: a text area over its own highlighted copy (JSON and Avro names in colour,
//! the JSON error marked at its line and column), a line-number gutter that marks the error's
//! line, Tab indentation, a Format button, buttons that load the shipped examples, and the
//! validity of the text as typed.
//!
//! The text area's own text is transparent: what is seen is a `<pre>` laid exactly under it, in
//! the same font, padding and scroll position, so the browser keeps its caret, selection, undo
//! and input methods while the colours come from [`syntax`].

use super::keys::{self, Edit};
use super::state::SchemaState;
use super::syntax::{self, Changes, Mark};
use crate::text::json;
use crate::ws::Bridge;
use leptos::html;
use leptos::prelude::*;
use shared::protocol::{Example, Request, Response};
use shared::schema::SchemaProblem;
use wasm_bindgen::JsCast as _;
use web_sys::{Element, HtmlDocument, HtmlTextAreaElement, KeyboardEvent, Node};

/// The examples a button loads: test id, label, which.
const EXAMPLES: [(&str, &str, Example); 4] = [
    ("load-v1", "v1", Example::ClickV1),
    ("load-v2", "v2", Example::ClickV2),
    (
        "load-incompatible",
        "incompatible candidate",
        Example::ClickIncompatible,
    ),
    ("load-seed", "seed's original", Example::ClickSeed),
];

/// How the editor's keys work, for the text area's title and its description.
const KEYS_HINT: &str = "Tab indents by two spaces, Shift+Tab outdents. To leave the editor \
                         with the keyboard, press Escape, then Tab.";

/// Example buttons, Format, the text area with its gutter and highlighting, and the validation
/// status.
#[component]
pub fn Editor() -> impl IntoView {
    let state = expect_context::<SchemaState>();
    let source = RwSignal::new(None::<String>);
    let load_error = RwSignal::new(None::<String>);
    let load = example_loader(source, load_error);
    let area = NodeRef::<html::Textarea>::new();
    let note = RwSignal::new(None::<(String, String)>);
    view! {
        <div class="editor-bar">
            <span class="label">"Load:"</span>
            {EXAMPLES
                .into_iter()
                .map(|(testid, label, example)| {
                    view! { <button data-testid=testid on:click=move |_| load(example)>{label}</button> }
                })
                .collect_view()}
            <span class="source">{move || source.get().unwrap_or_default()}</span>
            <button
                data-testid="format-schema"
                title="Lay the JSON out with two-space indentation, keeping the order of its keys"
                on:click=move |_| format_text(state, area, note)
            >
                "Format"
            </button>
        </div>
        {move || load_error.get().map(|e| view! { <p class="error">{e}</p> })}
        {move || {
            note.get()
                .filter(|(text, _)| state.text.with(|t| t == text))
                .map(|(_, why)| view! { <p class="note" data-testid="format-note">{why}</p> })
        }}
        <div class="editor">
            <Gutter/>
            <Code area/>
        </div>
        <p class="hint" id="schema-editor-keys">{KEYS_HINT}</p>
        <Status/>
    }
}

/// Loads an example into the editor: `source` names its file, `load_error` says why it could
/// not be loaded. Version 1 is loaded as soon as the bridge can be asked for it.
fn example_loader(
    source: RwSignal<Option<String>>,
    load_error: RwSignal<Option<String>>,
) -> impl Fn(Example) + Copy {
    let state = expect_context::<SchemaState>();
    let bridge = expect_context::<Bridge>();
    let loaded = StoredValue::new(false);
    let load = Action::new_local(move |example: &Example| {
        let reply = bridge.call(
            Request::Example { example: *example },
            |reply| match reply {
                Response::Example { file, text, .. } => Some((file, text)),
                _ => None,
            },
        );
        async move {
            match reply.await {
                Ok((file, text)) => {
                    state.text.set(text);
                    source.set(Some(file));
                    load_error.set(None);
                    loaded.set_value(true);
                }
                Err(e) => load_error.set(Some(e.to_string())),
            }
        }
    });
    let load = move |example: Example| {
        load.dispatch_local(example);
    };
    Effect::new(move |_| {
        if bridge.online().get()
            && !loaded.get_value()
            && state.text.with_untracked(String::is_empty)
        {
            load(Example::ClickV1);
        }
    });
    load
}

/// The text area over its highlighted copy.
#[component]
fn Code(area: NodeRef<html::Textarea>) -> impl IntoView {
    let state = expect_context::<SchemaState>();
    let overlay = NodeRef::<html::Pre>::new();
    let html = Memo::new(move |_| {
        let mark = error_mark(state);
        state.text.with(|t| syntax::highlighted(t, mark))
    });
    // The highlighted lines, redone only where they changed: laying out a few hundred lines of
    // spans on every keystroke is what would make typing slow.
    let shown = StoredValue::new(Vec::<String>::new());
    Effect::new(move |_| {
        let Some(overlay) = overlay.get() else {
            return;
        };
        html.with(|html| {
            let lines: Vec<&str> = html
                .as_deref()
                .map_or_else(Vec::new, |h| h.split('\n').collect());
            shown.update_value(|old| show_lines(&overlay, old, &lines));
        });
    });
    // Escape, then Tab: the Tab leaves the editor instead of indenting.
    let escaped = StoredValue::new(false);
    let on_key = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Escape" => escaped.set_value(true),
        "Shift" | "Control" | "Alt" | "Meta" => {}
        "Tab" if escaped.get_value() || ev.ctrl_key() || ev.alt_key() || ev.meta_key() => {
            escaped.set_value(false)
        }
        "Tab" => {
            ev.prevent_default();
            tab(state, area, ev.shift_key());
        }
        _ => escaped.set_value(false),
    };
    let follow_scroll = move |_| {
        if let (Some(area), Some(overlay)) = (area.get(), overlay.get()) {
            overlay.set_scroll_left(area.scroll_left());
            overlay.set_scroll_top(area.scroll_top());
        }
    };
    view! {
        <div class="code">
            <pre
                class="highlight"
                aria-hidden="true"
                data-testid="schema-highlight"
                node_ref=overlay
            ></pre>
            <textarea
                data-testid="schema-editor"
                aria-label="Avro schema"
                aria-describedby="schema-editor-keys"
                title=KEYS_HINT
                class:plain=move || html.with(Option::is_none)
                spellcheck="false"
                autocomplete="off"
                wrap="off"
                node_ref=area
                rows=move || line_count(&state.text.read()) + 1
                cols=move || widest_line(&state.text.read()) + 2
                prop:value=move || state.text.get()
                on:input:target=move |ev| state.text.set(ev.target().value())
                on:keydown=on_key
                on:scroll=follow_scroll
            ></textarea>
        </div>
    }
}

/// Brings the overlay's lines (one `<div>` each) from `old` to `new`, touching only the lines
/// that changed.
fn show_lines(overlay: &Element, old: &mut Vec<String>, new: &[&str]) {
    let lines = overlay.children();
    match syntax::changes(old, new) {
        Changes::Lines(changed) => {
            for i in changed {
                if let Some(line) = lines.item(i as u32) {
                    line.set_inner_html(new[i]);
                }
            }
        }
        Changes::Splice { at, remove, insert } => {
            for _ in 0..remove {
                if let Some(line) = lines.item(at as u32) {
                    line.remove();
                }
            }
            let before: Option<Node> = lines.item(at as u32).map(Into::into);
            let Some(document) = overlay.owner_document() else {
                return;
            };
            for text in &new[at..at + insert] {
                let Ok(line) = document.create_element("div") else {
                    continue;
                };
                line.set_inner_html(text);
                let _ = overlay.insert_before(&line, before.as_ref());
            }
        }
    }
    *old = new.iter().map(|l| (*l).to_owned()).collect();
}

/// Where the JSON error is, when the text has one (tracked).
fn error_mark(state: SchemaState) -> Option<Mark> {
    if state.text.with(String::is_empty) {
        return None;
    }
    state.checked.with(|c| match c {
        Err(SchemaProblem::Json { line, column, .. }) => Some(Mark {
            line: *line,
            column: *column,
        }),
        _ => None,
    })
}

/// Tab or Shift-Tab in the text area.
fn tab(state: SchemaState, area: NodeRef<html::Textarea>, outdent: bool) {
    let Some(area) = area.get_untracked() else {
        return;
    };
    let start = area.selection_start().ok().flatten().unwrap_or(0);
    let end = area.selection_end().ok().flatten().unwrap_or(start);
    let text = area.value();
    let edit = if outdent {
        keys::outdent(&text, start, end)
    } else {
        Some(keys::indent(&text, start, end))
    };
    if let Some(edit) = edit {
        apply(state, &area, &edit);
    }
}

/// The Format button: the text laid out by [`json::pretty`] (keys in their order, short
/// containers on one line, as the shipped `.avsc` files are), or a note saying why not.
fn format_text(
    state: SchemaState,
    area: NodeRef<html::Textarea>,
    note: RwSignal<Option<(String, String)>>,
) {
    let text = state.text.get_untracked();
    let Ok(node) = json::parse(&text) else {
        let why = state.checked.with_untracked(|c| match c {
            Err(problem @ SchemaProblem::Json { .. }) => {
                format!("Format needs valid JSON: {}", problem_text(problem))
            }
            _ => "Format needs valid JSON".to_owned(),
        });
        return note.set(Some((text, why)));
    };
    let pretty = format!("{}\n", json::pretty(&node));
    if pretty == text {
        return note.set(Some((text, "already formatted".to_owned())));
    }
    note.set(None);
    if let Some(area) = area.get_untracked() {
        let edit = Edit {
            start: 0,
            end: text.encode_utf16().count() as u32,
            insert: pretty,
            select: (0, 0),
        };
        apply(state, &area, &edit);
    }
}

/// Makes `edit` in the text area as typing would, so the browser's undo can take it back; where
/// the browser cannot, the text is set directly.
fn apply(state: SchemaState, area: &HtmlTextAreaElement, edit: &Edit) {
    let _ = area.focus();
    let _ = area.set_selection_range(edit.start, edit.end);
    let command = if edit.insert.is_empty() {
        "delete"
    } else {
        "insertText"
    };
    let typed = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<HtmlDocument>().ok())
        .and_then(|d| {
            d.exec_command_with_show_ui_and_value(command, false, &edit.insert)
                .ok()
        })
        .unwrap_or(false);
    if !typed {
        let replaced = area.set_range_text_with_start_and_end(&edit.insert, edit.start, edit.end);
        if replaced.is_err() {
            return;
        }
        // The browser sent no input event: the text is taken from the text area here.
        state.text.set(area.value());
    }
    let _ = area.set_selection_range(edit.select.0, edit.select.1);
}

/// Line numbers beside the text area; the line of a JSON error is marked.
#[component]
fn Gutter() -> impl IntoView {
    let state = expect_context::<SchemaState>();
    let error_line = Memo::new(move |_| error_mark(state).map(|m| m.line));
    let lines = Memo::new(move |_| line_count(&state.text.read()));
    view! {
        <div class="gutter" aria-hidden="true">
            {move || {
                let bad = error_line.get();
                (1..=lines.get())
                    .map(|n| {
                        let here = bad == Some(n);
                        view! {
                            <div class="line-no" class:error-line=here data-testid=here.then_some("error-line")>
                                {n}
                            </div>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}

/// Valid or not, and what is wrong.
#[component]
fn Status() -> impl IntoView {
    let state = expect_context::<SchemaState>();
    move || {
        if state.text.with(String::is_empty) {
            return view! {
                <p class="status" data-testid="schema-status" data-valid="false">"empty: load an example or type a schema"</p>
            }
            .into_any();
        }
        match state.checked.get() {
            Ok(d) => view! {
                <p class="status ok" data-testid="schema-status" data-valid="true">
                    "✓ valid Avro: " <code>{d.name.clone()}</code> {fields_note(d.fields)}
                </p>
            }
            .into_any(),
            Err(problem) => view! {
                <p class="status bad" data-testid="schema-status" data-valid="false">"✗ not a valid schema"</p>
                <p class="error" data-testid="schema-error">{problem_text(&problem)}</p>
            }
            .into_any(),
        }
    }
}

fn fields_note(fields: usize) -> String {
    match fields {
        0 => String::new(),
        1 => ", 1 field".into(),
        n => format!(", {n} fields"),
    }
}

/// How many lines the text area shows for `text` (a trailing newline opens one more).
fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// The widest the text area grows, in characters; longer lines scroll. A pasted text of one
/// multi-megabyte line would otherwise ask the browser to lay out millions of columns.
const MAX_COLUMNS: usize = 240;

/// The width of the longest line in characters, so the text area grows instead of clipping (up
/// to [`MAX_COLUMNS`]).
fn widest_line(text: &str) -> usize {
    text.split('\n')
        .map(|l| l.chars().take(MAX_COLUMNS).count())
        .max()
        .unwrap_or(0)
        .clamp(60, MAX_COLUMNS)
}

/// A validation problem in words: where, for JSON; which field, for Avro.
pub fn problem_text(problem: &SchemaProblem) -> String {
    match problem {
        SchemaProblem::Json {
            line,
            column,
            message,
        } => format!("line {line}, column {column}: {message}"),
        SchemaProblem::Avro {
            field: Some(field),
            message,
        } => format!("field {field}: {message}"),
        SchemaProblem::Avro {
            field: None,
            message,
        } => message.clone(),
        too_large @ SchemaProblem::TooLarge { .. } => too_large.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::schema::validate;

    #[test]
    fn the_seed_error_names_its_line_and_column() {
        let seed = include_str!("../../../schemas/examples/click_seed.avsc");
        let text = validate(seed).err().map(|p| problem_text(&p));
        assert_eq!(
            text.as_deref().map(|t| t.split(':').next()),
            Some(Some("line 17, column 43"))
        );
        assert!(text.is_some_and(|t| t.ends_with("trailing comma after the last field")));
    }

    #[test]
    fn an_avro_error_names_the_field() {
        let v1 = include_str!("../../../schemas/click_v1.avsc").replace(r#""float""#, r#""flaot""#);
        let text = validate(&v1)
            .err()
            .map(|p| problem_text(&p))
            .unwrap_or_default();
        assert!(text.starts_with("field click.cost: "), "{text}");
    }

    #[test]
    fn lines_are_counted_like_a_text_area() {
        assert_eq!(line_count(""), 1);
        assert_eq!(line_count("a"), 1);
        assert_eq!(line_count("a\n"), 2);
        assert_eq!(line_count("a\nb"), 2);
        assert_eq!(widest_line("short"), 60);
        assert_eq!(widest_line(&format!("a\n{}\nb", "é".repeat(70))), 70);
    }
}
