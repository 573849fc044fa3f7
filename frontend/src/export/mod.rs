//! What the page lets people take away: the tail's kept rows as JSON lines or CSV, batch
//! results as CSV, charts as SVG or PNG. The files are built here ([`csv`], pure and tested
//! natively); the browser's side of a download is a small JavaScript module.

pub mod csv;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(module = "/js/export.js")]
extern "C" {
    #[wasm_bindgen(js_name = downloadText)]
    fn download_text(name: &str, mime: &str, text: &str);
    #[wasm_bindgen(js_name = downloadChart)]
    fn download_chart(selector: &str, name: &str, png: bool) -> String;
}

/// Starts the download of `text` as file `name`.
pub fn download(name: &str, mime: &str, text: &str) {
    download_text(name, mime, text);
}

/// SVG and PNG buttons for the chart `selector` finds; files are named `name`.svg/.png.
#[component]
pub fn ChartExport(
    /// A CSS selector of the chart's `<svg>`.
    selector: &'static str,
    /// The file name without extension.
    name: Signal<String>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let save = move |png: bool| {
        let why = download_chart(selector, &name.get_untracked(), png);
        error.set((!why.is_empty()).then_some(why));
    };
    view! {
        <span class="export">
            <button class="small" on:click=move |_| save(false)>"SVG"</button>
            <button class="small" on:click=move |_| save(true)>"PNG"</button>
            {move || error.get().map(|e| view! { <span class="error">{e}</span> })}
        </span>
    }
}

/// A file name part made of `text`: letters, digits, `-` and `_`; anything else becomes `_`.
pub fn file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
