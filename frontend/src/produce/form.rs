//! The Produce section's settings: what a person types, and the checked request made of it.
//! The parsing is plain functions, tested natively; the bridge checks everything again.

use crate::widgets::TextField;
use crate::ws::Bridge;
use leptos::prelude::*;
use shared::protocol::{Example, ProduceSpec, Request, Response};
use shared::Topic;

/// Which writer schema a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterChoice {
    /// `schemas/click_v1.avsc`.
    V1,
    /// `schemas/click_v2.avsc`.
    V2,
    /// Whatever the schema editor holds.
    Editor,
}

impl WriterChoice {
    /// The choice an `<option value>` names.
    pub fn from_value(value: &str) -> Self {
        match value {
            "v2" => Self::V2,
            "editor" => Self::Editor,
            _ => Self::V1,
        }
    }
}

/// The writer schema's text for the choice made.
pub async fn writer_text(
    bridge: Bridge,
    choice: WriterChoice,
    editor: String,
) -> Result<String, String> {
    let example = match choice {
        WriterChoice::Editor if editor.trim().is_empty() => {
            return Err(
                "The schema editor is empty: write a schema in step 1 or pick a shipped one."
                    .into(),
            )
        }
        WriterChoice::Editor => return Ok(editor),
        WriterChoice::V1 => Example::ClickV1,
        WriterChoice::V2 => Example::ClickV2,
    };
    bridge
        .call(Request::Example { example }, |reply| match reply {
            Response::Example { text, .. } => Some(text),
            _ => None,
        })
        .await
        .map_err(|e| e.to_string())
}

/// The settings as typed.
#[derive(Clone, Copy)]
pub struct Form {
    /// Topic name.
    pub topic: RwSignal<String>,
    /// Writer schema.
    pub writer: RwSignal<WriterChoice>,
    /// Record count; empty means until stopped.
    pub count: RwSignal<String>,
    /// Records per second; empty means unthrottled.
    pub rate: RwSignal<String>,
    /// Generator seed.
    pub seed: RwSignal<String>,
    /// Poison pills, percent of events.
    pub poison: RwSignal<String>,
    /// Duplicates, percent of events.
    pub duplicates: RwSignal<String>,
    /// Late clicks, percent.
    pub late: RwSignal<String>,
    /// Partitions of a topic created now.
    pub partitions: RwSignal<String>,
}

impl Form {
    /// The defaults: 10,000 v1 clicks into `clicks-avro`, 1% poison pills.
    pub fn new() -> Self {
        Self {
            topic: RwSignal::new("clicks-avro".into()),
            writer: RwSignal::new(WriterChoice::V1),
            count: RwSignal::new("10000".into()),
            rate: RwSignal::new(String::new()),
            seed: RwSignal::new("42".into()),
            poison: RwSignal::new("1".into()),
            duplicates: RwSignal::new("0".into()),
            late: RwSignal::new("0".into()),
            partitions: RwSignal::new("3".into()),
        }
    }

    /// The request for the settings as they are, with `schema` as the writer schema.
    pub fn spec(self, schema: String) -> Result<ProduceSpec, String> {
        Ok(ProduceSpec {
            topic: Topic::new(self.topic.get_untracked().trim())
                .map_err(|e| format!("Topic: {e}"))?,
            schema,
            count: optional(&self.count.get_untracked(), "Count")?,
            rate: optional(&self.rate.get_untracked(), "Rate")?,
            seed: number(&self.seed.get_untracked(), "Seed")?,
            poison: percent(&self.poison.get_untracked(), "Poison pills")?,
            duplicates: percent(&self.duplicates.get_untracked(), "Duplicates")?,
            late: percent(&self.late.get_untracked(), "Late clicks")?,
            partitions: number(&self.partitions.get_untracked(), "Partitions")?,
        })
    }
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim().parse().map_err(|_| {
        format!(
            "{what}: {:?} is not a number of the right kind",
            text.trim()
        )
    })
}

fn optional<T: std::str::FromStr>(text: &str, what: &str) -> Result<Option<T>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        number(text, what).map(Some)
    }
}

fn percent(text: &str, what: &str) -> Result<f64, String> {
    let value: f64 = number(text, what)?;
    if (0.0..=100.0).contains(&value) {
        Ok(value / 100.0)
    } else {
        Err(format!("{what}: a percentage from 0 to 100"))
    }
}

/// The inputs.
#[component]
pub fn FormView(
    /// The settings the inputs edit.
    form: Form,
) -> impl IntoView {
    view! {
        <div class="panel produce-form">
            <h3>"Settings"</h3>
            <div class="grid">
                <TextField label="topic" testid="produce-topic" value=form.topic hint="clicks-avro"/>
                <label class="field">
                    <span>"writer schema"</span>
                    <select
                        data-testid="produce-writer"
                        on:change:target=move |ev| form.writer.set(WriterChoice::from_value(&ev.target().value()))
                    >
                        <option value="v1" selected=true>"click v1 (shipped)"</option>
                        <option value="v2">"click v2 (adds country)"</option>
                        <option value="editor">"the schema in the editor"</option>
                    </select>
                </label>
                <TextField label="records" testid="produce-count" value=form.count hint="until stopped"/>
                <TextField label="records per second" testid="produce-rate" value=form.rate hint="unthrottled"/>
                <TextField label="seed" testid="produce-seed" value=form.seed hint="42"/>
                <TextField label="partitions (new topic)" testid="produce-partitions" value=form.partitions hint="3"/>
                <TextField label="poison pills %" testid="produce-poison" value=form.poison hint="0"/>
                <TextField label="duplicates %" testid="produce-duplicates" value=form.duplicates hint="0"/>
                <TextField label="late clicks %" testid="produce-late" value=form.late hint="0"/>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_percentages_and_blanks_are_read() {
        assert_eq!(number::<u64>(" 42 ", "Seed"), Ok(42));
        assert!(number::<u64>("-1", "Seed").is_err_and(|e| e.starts_with("Seed:")));
        assert_eq!(optional::<u64>("  ", "Count"), Ok(None));
        assert_eq!(optional::<f64>("2.5", "Rate"), Ok(Some(2.5)));
        assert_eq!(percent("1", "Poison"), Ok(0.01));
        assert!(percent("101", "Poison").is_err());
        assert!(percent("x", "Poison").is_err());
    }

    #[test]
    fn writer_choices_read_from_option_values() {
        assert_eq!(WriterChoice::from_value("v2"), WriterChoice::V2);
        assert_eq!(WriterChoice::from_value("editor"), WriterChoice::Editor);
        assert_eq!(WriterChoice::from_value("v1"), WriterChoice::V1);
    }
}
