//! What the encode, produce and decode measurements share: their flags, the clicks and schema
//! they run on (made before any clock starts), and how a rate and a verdict are told.

use anyhow::Context as _;
use apache_avro::Schema;
use clap::Args;
use kafka_demo::flags::Compression;
use pipeline::produce::{ClickEncoder, DEFAULT_SCHEMA};
use shared::generator::{Event, Generator, GeneratorConfig, GeneratorOptions};
use shared::Click;
use std::path::PathBuf;
use std::time::Duration;

/// What every measurement works on.
#[derive(Debug, Clone, Args)]
pub struct Workload {
    /// Records per round
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,
    /// Rounds; the median round is reported
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
    /// Seed of the click generator
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Writer schema [default: schemas/click_v1.avsc, built in]
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// `kafka-demo-bench produce` flags.
#[derive(Debug, Clone, Args)]
pub struct ProduceBenchArgs {
    /// Records, rounds, seed, schema.
    #[command(flatten)]
    pub workload: Workload,
    /// Compression of the produced batches
    #[arg(long, value_enum, default_value_t = Compression::None)]
    pub compression: Compression,
    /// Partitions of each fresh topic
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: i32,
    /// Keep the bench topics instead of deleting them afterwards
    #[arg(long)]
    pub keep_topics: bool,
}

/// `kafka-demo-bench decode` flags.
#[derive(Debug, Clone, Args)]
pub struct DecodeBenchArgs {
    /// Records, rounds, seed, schema.
    #[command(flatten)]
    pub workload: Workload,
    /// Also write the framed records, with their schema, to this corpus file
    #[arg(long, value_name = "FILE")]
    pub write_corpus: Option<PathBuf>,
}

/// The ratio the produce and browser-decode measurements aim for.
pub const PRODUCE_TARGET: f64 = 0.85;

/// The clicks and schema a measurement runs on, made before any clock starts.
#[derive(Debug)]
pub(crate) struct Input {
    pub(crate) schema_text: String,
    pub(crate) schema: Schema,
    pub(crate) encoder: ClickEncoder,
    pub(crate) clicks: Vec<Click>,
    pub(crate) rounds: u32,
}

impl Input {
    /// Every click encoded and framed under the corpus schema id, each in its own buffer.
    pub(crate) fn framed(&self) -> Vec<Vec<u8>> {
        self.clicks
            .iter()
            .map(|click| {
                let mut out = Vec::new();
                self.encoder.write_framed(
                    shared::decode::corpus::CORPUS_SCHEMA_ID,
                    click,
                    &mut out,
                );
                out
            })
            .collect()
    }

    pub(crate) fn load(workload: &Workload) -> anyhow::Result<Self> {
        let schema_text = match &workload.schema {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
            None => DEFAULT_SCHEMA.to_owned(),
        };
        let schema = shared::names::parse_schema(&schema_text)
            .map_err(|e| anyhow::anyhow!("the schema is not valid Avro: {e}"))?;
        let encoder = ClickEncoder::new(&schema)?;
        let options = GeneratorOptions {
            seed: workload.seed,
            ..GeneratorOptions::default()
        };
        let clicks = Generator::new(GeneratorConfig::new(options)?)
            .filter_map(|event| match event {
                Event::Click { click, .. } | Event::Duplicate(click) => Some(click),
                Event::Poison(_) => None,
            })
            .take(usize::try_from(workload.count)?)
            .collect();
        Ok(Self {
            schema_text,
            schema,
            encoder,
            clicks,
            rounds: workload.rounds,
        })
    }
}

/// Records per second of `records` handled in `elapsed`.
pub(crate) fn rate(records: usize, elapsed: Duration) -> f64 {
    records as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// A verdict line for a ratio and its target.
pub(crate) fn verdict(ratio: f64, target: f64) -> &'static str {
    if ratio >= target {
        "PASS"
    } else {
        "BELOW TARGET"
    }
}
