//! Benchmark hooks for headless Chromium: `bench_decode` decodes a corpus written by
//! `kafka-demo-bench decode --write-corpus` with the same loops the native bench times, and
//! returns records per second. The page never calls it; `e2e/bench/decode.mjs` does, through the
//! bindings trunk exposes as `window.wasmBindings`. `wasm_memory_bytes` tells `e2e/bench/tail.mjs`
//! how much memory the page holds.

use shared::decode::corpus::Corpus;
use shared::decode::Row;
use wasm_bindgen::prelude::*;

/// Decodes every record of `corpus` `rounds` times with the planned decoder (`path` =
/// `"planned"`) or `apache-avro`'s `from_avro_datum` (`"apache"`), and returns the records per
/// second of each round. Fails when the corpus does not parse or a record does not decode.
#[wasm_bindgen]
pub fn bench_decode(corpus: &[u8], rounds: u32, path: &str) -> Result<Vec<f64>, JsError> {
    let corpus = Corpus::parse(corpus)?;
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .ok_or_else(|| JsError::new("no performance clock"))?;
    let writers = corpus.writers();
    let mut row = Row::new();
    let n = corpus.records.len();
    let mut rates = Vec::new();
    for _ in 0..rounds.max(1) {
        let start = performance.now();
        let tally = match path {
            "planned" => corpus.decode_planned(&writers, &mut row),
            "apache" => corpus.decode_apache(),
            other => return Err(JsError::new(&format!("unknown path {other}"))),
        };
        let ms = performance.now() - start;
        if tally.decoded != n {
            return Err(JsError::new(&format!(
                "{} of {n} records did not decode",
                n - tally.decoded
            )));
        }
        rates.push(n as f64 / (ms.max(1e-3) / 1000.0));
    }
    Ok(rates)
}

/// Bytes of the page's WebAssembly memory (which only grows), for the tail bench's memory per
/// kept row.
#[wasm_bindgen]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map_or(0.0, |memory| {
            f64::from(
                memory
                    .buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length(),
            )
        })
}
