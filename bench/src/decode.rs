//! `decode`: the planned decoder of `shared::decode` against `apache-avro`'s `from_avro_datum`,
//! both over the same corpus of framed clicks and through the loops in
//! `shared::decode::corpus`, the very loops the browser runs.

use super::workload::{rate, DecodeBenchArgs, Input, Workload};
use anyhow::Context as _;
use shared::decode::corpus::{median, write_corpus, Corpus};
use shared::decode::Row;
use std::fmt;
use std::time::Instant;

/// Medians of the two decoders.
#[derive(Debug, Clone)]
pub(crate) struct DecodeReport {
    pub(crate) workload: Workload,
    records: usize,
    bytes: usize,
    planned: f64,
    apache: f64,
    planned_best: f64,
    apache_best: f64,
    corpus: Option<String>,
}

pub(crate) fn run(input: &Input, args: &DecodeBenchArgs) -> anyhow::Result<DecodeReport> {
    let framed = input.framed();
    let mut bytes = Vec::new();
    write_corpus(
        &input.schema_text,
        framed.iter().map(Vec::as_slice),
        &mut bytes,
    );
    if let Some(path) = &args.write_corpus {
        std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let corpus = Corpus::parse(&bytes)?;
    let writers = corpus.writers();
    let mut row = Row::new();
    let n = corpus.records.len();
    let (mut planned, mut apache) = (Vec::new(), Vec::new());
    for _ in 0..input.rounds {
        let start = Instant::now();
        let tally = corpus.decode_planned(&writers, &mut row);
        planned.push(rate(n, start.elapsed()));
        anyhow::ensure!(tally.decoded == n, "planned decoder: {tally:?}");
        let start = Instant::now();
        let tally = corpus.decode_apache();
        apache.push(rate(n, start.elapsed()));
        anyhow::ensure!(tally.decoded == n, "apache-avro: {tally:?}");
    }
    Ok(DecodeReport {
        workload: args.workload.clone(),
        records: n,
        bytes: bytes.len(),
        planned: median(&planned),
        apache: median(&apache),
        planned_best: best(&planned),
        apache_best: best(&apache),
        corpus: args.write_corpus.as_ref().map(|p| p.display().to_string()),
    })
}

fn best(rates: &[f64]) -> f64 {
    rates.iter().copied().fold(0.0, f64::max)
}

impl DecodeReport {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "bench": "decode",
            "records": self.records,
            "rounds": self.workload.rounds,
            "corpus_bytes": self.bytes,
            "corpus": self.corpus,
            "planned_records_per_s": self.planned,
            "apache_avro_records_per_s": self.apache,
            "planned_best_records_per_s": self.planned_best,
            "apache_avro_best_records_per_s": self.apache_best,
            "speedup": self.planned / self.apache.max(f64::MIN_POSITIVE),
        })
    }
}

impl fmt::Display for DecodeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "decode (native): {} framed clicks, {} bytes, median of {} rounds",
            self.records, self.bytes, self.workload.rounds
        )?;
        writeln!(
            f,
            "  planned decoder (shared)  {:>12.0} records/s",
            self.planned
        )?;
        writeln!(
            f,
            "  apache-avro from_avro_datum {:>10.0} records/s",
            self.apache
        )?;
        write!(
            f,
            "  speed-up                  {:>12.2}x",
            self.planned / self.apache.max(f64::MIN_POSITIVE)
        )?;
        if let Some(path) = &self.corpus {
            write!(f, "\n  corpus written to {path}")?;
        }
        Ok(())
    }
}
