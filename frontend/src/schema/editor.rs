//! The schema editor: a monospace text area with a line-number gutter that marks the line of a
//! JSON error, buttons that load the shipped examples, and the validity of the text as typed.

use super::state::SchemaState;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::{Example, Request, Response};
use shared::schema::SchemaProblem;

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

/// Example buttons, the text area with its gutter, and the validation status.
#[component]
pub fn Editor() -> impl IntoView {
    let state = expect_context::<SchemaState>();
    let bridge = expect_context::<Bridge>();
    let source = RwSignal::new(None::<String>);
    let load_error = RwSignal::new(None::<String>);
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
    // Version 1 fills the editor as soon as the bridge can be asked for it.
    Effect::new(move |_| {
        if bridge.online().get()
            && !loaded.get_value()
            && state.text.with_untracked(String::is_empty)
        {
            load(Example::ClickV1);
        }
    });
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
        </div>
        {move || load_error.get().map(|e| view! { <p class="error">{e}</p> })}
        <div class="editor">
            <Gutter/>
            <textarea
                data-testid="schema-editor"
                aria-label="Avro schema"
                spellcheck="false"
                autocomplete="off"
                wrap="off"
                rows=move || line_count(&state.text.read()) + 1
                cols=move || widest_line(&state.text.read()) + 2
                prop:value=move || state.text.get()
                on:input:target=move |ev| state.text.set(ev.target().value())
            ></textarea>
        </div>
        <Status/>
    }
}

/// Line numbers beside the text area; the line of a JSON error is marked.
#[component]
fn Gutter() -> impl IntoView {
    let state = expect_context::<SchemaState>();
    let error_line = Memo::new(move |_| {
        if state.text.with(String::is_empty) {
            return None;
        }
        state.checked.with(|c| match c {
            Err(SchemaProblem::Json { line, .. }) => Some(*line),
            _ => None,
        })
    });
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
