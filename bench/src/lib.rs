//! `kafka-demo-bench`: kafka-demo's measurements, each printing its ratios from one run so
//! numbers taken on different days or machines are never mixed. They live outside the product
//! crates and use them as any client would.
//!
//! - `encode`: the planned [`ClickEncoder`] against `apache-avro`'s `Value` + `to_avro_datum`.
//! - `produce`: producing clicks encoded on the fly against producing the same bytes encoded
//!   beforehand, with the producer settings of `kafka-demo produce`, to fresh topics.
//! - `decode`: the planned decoder of `shared::decode` against `from_avro_datum` over the same
//!   framed records, optionally written to a corpus file for the browser to decode the same bytes.
//! - `batch`: the Spark batch job against a plain Spark `count()` ([`batch`]).
//! - `stream`: the streaming job's end-to-end latency ([`stream`]).
//! - `workshop`: the bridge under a room of attendees ([`room`]).

pub mod batch;
mod decode;
mod encode;
mod produce;
pub mod room;
pub mod stream;

use anyhow::Context as _;
use apache_avro::Schema;
use clap::{Args, Parser, Subcommand};
use kafka_demo::flags::{Compression, GlobalArgs};
use pipeline::produce::{ClickEncoder, DEFAULT_SCHEMA};
use shared::generator::{Event, Generator, GeneratorConfig, GeneratorOptions};
use shared::Click;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// kafka-demo-bench: encode, produce and decode throughput of the click pipeline.
#[derive(Debug, Parser)]
#[command(name = "kafka-demo-bench", version, about)]
pub struct BenchCli {
    /// Where Kafka is (the same flags and environment as `kafka-demo`).
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Which measurement.
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// The measurements.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Records/s of the planned click encoder and of apache-avro's Value path
    Encode(Workload),
    /// Produce throughput with on-the-fly encoding vs pre-encoded bytes (needs a broker)
    Produce(ProduceArgs),
    /// Records/s of the planned decoder and of apache-avro's from_avro_datum
    Decode(DecodeArgs),
    /// Time the batch job against a plain Spark count over the same Kafka records
    Batch(batch::BenchBatchArgs),
    /// End-to-end latency of the streaming job (produce → window result read back) at a rate
    Stream(stream::BenchStreamArgs),
    /// The bridge in workshop mode under N attendees producing and tailing: request latency, memory
    Workshop(room::BenchWorkshopArgs),
}

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

/// `produce` flags.
#[derive(Debug, Clone, Args)]
pub struct ProduceArgs {
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

/// `decode` flags.
#[derive(Debug, Clone, Args)]
pub struct DecodeArgs {
    /// Records, rounds, seed, schema.
    #[command(flatten)]
    pub workload: Workload,
    /// Also write the framed records, with their schema, to this corpus file
    #[arg(long, value_name = "FILE")]
    pub write_corpus: Option<PathBuf>,
}

/// The ratio the produce and browser-decode measurements aim for.
pub const PRODUCE_TARGET: f64 = 0.85;

/// Runs one measurement and prints its result.
pub async fn run(cli: BenchCli) -> anyhow::Result<ExitCode> {
    match cli.command {
        BenchCommand::Encode(workload) => {
            let input = Input::load(&workload)?;
            let report = tokio::task::spawn_blocking(move || encode::run(&input)).await??;
            print(&workload, &report.to_string(), &report.json());
        }
        BenchCommand::Produce(args) => {
            let config = cli.global.config_from_env()?;
            let input = Input::load(&args.workload)?;
            let report = produce::run(&config, &args, &input).await?;
            print(&args.workload, &report.to_string(), &report.json());
        }
        BenchCommand::Decode(args) => {
            let input = Input::load(&args.workload)?;
            let report = tokio::task::spawn_blocking(move || decode::run(&input, &args)).await??;
            print(&report.workload, &report.to_string(), &report.json());
        }
        BenchCommand::Batch(args) => {
            return batch::bench_batch(&args, &cli.global.config_from_env()?).await
        }
        BenchCommand::Stream(args) => {
            return stream::bench(&args, &cli.global.config_from_env()?).await
        }
        BenchCommand::Workshop(args) => {
            return room::bench(&args, &cli.global.config_from_env()?).await
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print(workload: &Workload, text: &str, json: &serde_json::Value) {
    if workload.json {
        println!("{json}");
    } else {
        println!("{text}");
    }
}

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

    fn load(workload: &Workload) -> anyhow::Result<Self> {
        let schema_text = match &workload.schema {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
            None => DEFAULT_SCHEMA.to_owned(),
        };
        let schema = Schema::parse_str(&schema_text).context("the schema is not valid Avro")?;
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
