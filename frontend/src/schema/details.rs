//! What a valid schema is: its field table, its Parsing Canonical Form and its Rabin
//! fingerprint. Shown only while the editor holds a valid schema.

use super::fields::{rows, FieldRow};
use super::state::SchemaState;
use leptos::prelude::*;

/// Field table, canonical form and fingerprint of the current schema.
#[component]
pub fn Details() -> impl IntoView {
    let state = expect_context::<SchemaState>();
    move || {
        state.described().map(|d| {
            view! {
                <div class="details">
                    <h3>"Fields"</h3>
                    <FieldTable rows=rows(&d.schema)/>
                    <h3>"Parsing Canonical Form"</h3>
                    <pre class="code canonical" data-testid="canonical">{d.canonical.clone()}</pre>
                    <p class="fingerprint">
                        "Rabin fingerprint (CRC-64-AVRO): "
                        <code data-testid="fingerprint">{d.fingerprint.clone()}</code>
                    </p>
                </div>
            }
        })
    }
}

/// One row per field: name, type, logical type, nullable, default.
#[component]
fn FieldTable(
    /// The rows to show.
    rows: Vec<FieldRow>,
) -> impl IntoView {
    let empty = rows.is_empty();
    view! {
        <table class="fields" data-testid="field-table">
            <thead>
                <tr><th>"name"</th><th>"type"</th><th>"logical type"</th><th>"nullable"</th><th>"default"</th></tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|r| {
                        view! {
                            <tr data-testid="field-row">
                                <td><code>{r.name}</code></td>
                                <td><code>{r.type_name}</code></td>
                                <td>{r.logical.unwrap_or_default()}</td>
                                <td>{if r.nullable { "yes" } else { "no" }}</td>
                                <td>{r.default.map(|d| view! { <code>{d}</code> })}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {empty.then(|| view! { <p class="hint">"This schema is not a record, so it has no fields."</p> })}
    }
}
