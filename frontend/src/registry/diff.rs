//! Two versions of a subject side by side: both fetched from the registry, laid out the same
//! way (so formatting does not show as change) and aligned line by line.

use super::state::{RegistryError, RegistryState};
use crate::text::diff::{diff_lines, Row};
use crate::text::json::reformat;
use crate::ws::{Bridge, CallError};
use leptos::prelude::*;
use shared::protocol::{RegisteredSchema, Request, Response, VersionRef};
use shared::Subject;

/// A computed diff and what its sides are.
#[derive(Debug, Clone, PartialEq)]
struct Compared {
    left: String,
    right: String,
    rows: Vec<Row>,
}

/// Subject and version menus, a compare button and the side-by-side table.
#[component]
pub fn VersionDiff() -> impl IntoView {
    let registry = expect_context::<RegistryState>();
    let bridge = expect_context::<Bridge>();
    let subject = RwSignal::new(String::new());
    let left = RwSignal::new(0u32);
    let right = RwSignal::new(0u32);
    let compared = RwSignal::new(None::<Compared>);
    let error = RwSignal::new(None::<String>);
    let versions = Memo::new(move |_| {
        let chosen = subject.get();
        registry.subjects.with(|all| {
            all.iter()
                .find(|s| s.subject.as_str() == chosen)
                .map(|s| s.versions.clone())
                .unwrap_or_default()
        })
    });

    // Keep the choice on a listed subject, preferring the topic's; default to the last two versions.
    Effect::new(move |_| {
        let preferred = registry.subject();
        registry.subjects.with(|all| {
            let listed = |name: &str| all.iter().any(|s| s.subject.as_str() == name);
            if !listed(&subject.get_untracked()) {
                let pick = preferred
                    .filter(|p| listed(p.as_str()))
                    .map(|p| p.to_string())
                    .or_else(|| all.first().map(|s| s.subject.to_string()))
                    .unwrap_or_default();
                subject.set(pick);
            }
        });
    });
    Effect::new(move |_| {
        versions.with(|v| {
            let last = v.last().copied().unwrap_or(0);
            right.set(last);
            left.set(v.iter().rev().nth(1).copied().unwrap_or(last));
        });
    });

    let fetch = Action::new_local(move |(name, a, b): &(Subject, u32, u32)| {
        error.set(None);
        let pair = fetch_pair(bridge, name.clone(), *a, *b);
        async move {
            match pair.await {
                Ok((a, b)) => compared.set(Some(Compared {
                    left: side_label(&a),
                    right: side_label(&b),
                    rows: diff_lines(&reformat(&a.schema), &reformat(&b.schema)),
                })),
                Err(e) => {
                    compared.set(None);
                    error.set(Some(e.to_string()));
                }
            }
        }
    });
    let compare = move |_| {
        if let Ok(name) = Subject::new(subject.get_untracked()) {
            fetch.dispatch_local((name, left.get_untracked(), right.get_untracked()));
        }
    };

    view! {
        <div class="block">
            <h4>"Compare versions"</h4>
            <div class="row">
                <select
                    data-testid="diff-subject"
                    aria-label="subject"
                    on:change:target=move |ev| subject.set(ev.target().value())
                >
                    {move || registry.subjects.get().into_iter().map(|s| {
                        let name = s.subject.to_string();
                        let (value, mine) = (name.clone(), name.clone());
                        view! { <option value=value prop:selected=move || subject.get() == mine>{name}</option> }
                    }).collect_view()}
                </select>
                <VersionMenu testid="diff-left" label="left version" versions chosen=left/>
                " ↔ "
                <VersionMenu testid="diff-right" label="right version" versions chosen=right/>
                <button
                    data-testid="diff-compare"
                    disabled=move || versions.with(Vec::is_empty)
                    on:click=compare
                >"Compare"</button>
            </div>
            <RegistryError error/>
            {move || compared.get().map(|c| view! { <DiffTable compared=c/> })}
        </div>
    }
}

/// A menu of a subject's versions.
#[component]
fn VersionMenu(
    /// The menu's test id.
    testid: &'static str,
    /// What it chooses, for screen readers.
    label: &'static str,
    /// The versions to offer.
    versions: Memo<Vec<u32>>,
    /// The chosen version.
    chosen: RwSignal<u32>,
) -> impl IntoView {
    view! {
        <select
            data-testid=testid
            aria-label=label
            on:change:target=move |ev| {
                if let Ok(v) = ev.target().value().parse() {
                    chosen.set(v);
                }
            }
        >
            {move || versions.get().into_iter().map(|v| view! {
                <option value=v.to_string() prop:selected=move || chosen.get() == v>{format!("v{v}")}</option>
            }).collect_view()}
        </select>
    }
}

/// Both versions of `subject`, or why not.
async fn fetch_pair(
    bridge: Bridge,
    subject: Subject,
    a: u32,
    b: u32,
) -> Result<(RegisteredSchema, RegisteredSchema), CallError> {
    let left = fetch(bridge, subject.clone(), a).await?;
    let right = fetch(bridge, subject, b).await?;
    Ok((left, right))
}

async fn fetch(
    bridge: Bridge,
    subject: Subject,
    version: u32,
) -> Result<RegisteredSchema, CallError> {
    let request = Request::GetSchema {
        subject,
        version: VersionRef::Number(version),
    };
    bridge
        .call(request, |reply| match reply {
            Response::Schema(found) => Some(found),
            _ => None,
        })
        .await
}

fn side_label(s: &RegisteredSchema) -> String {
    format!("{} version {} (id {})", s.subject, s.version, s.id)
}

/// The aligned table: line numbers and text of each side, rows coloured by kind.
#[component]
fn DiffTable(
    /// What to show.
    compared: Compared,
) -> impl IntoView {
    let cell = |line: Option<crate::text::diff::Line>| {
        let (number, text) = line.map_or((String::new(), String::new()), |l| {
            (l.number.to_string(), l.text)
        });
        view! { <td class="ln">{number}</td><td class="code">{text}</td> }
    };
    view! {
        <table class="diff" data-testid="diff">
            <colgroup><col class="ln"/><col/><col class="ln"/><col/></colgroup>
            <thead>
                <tr><th colspan="2">{compared.left}</th><th colspan="2">{compared.right}</th></tr>
            </thead>
            <tbody>
                {compared.rows.into_iter().map(|row| view! {
                    <tr class=row.kind.as_str() data-kind=row.kind.as_str()>
                        {cell(row.left)}
                        {cell(row.right)}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
