//! `kafka-demo-bench`: kafka-demo's measurements, each printing its ratios from one run so
//! numbers taken on different days or machines are never mixed. They live outside the product
//! crates and use them as any client would.
//!
//! - `encode`: the planned [`ClickEncoder`] against `apache-avro`'s `Value` + `to_avro_datum`.
//! - `produce`: producing clicks encoded on the fly against producing the same bytes encoded
//!   beforehand, with the producer settings of `kafka-demo produce`, to fresh topics.
//! - `produce-vs-java`: `kafka-demo produce` against Apache Kafka's own `ProducerPerformance`
//!   tool, default and tuned, on the same broker ([`java`]).
//! - `decode`: the planned decoder of `shared::decode` against `from_avro_datum` over the same
//!   framed records, optionally written to a corpus file for the browser to decode the same bytes.
//! - `batch`: the Spark batch job against a plain Spark `count()` ([`batch`]).
//! - `stream`: the streaming job's end-to-end latency ([`stream`]).
//! - `workshop`: the bridge under a room of attendees ([`room`]).

pub mod batch;
mod decode;
mod encode;
pub mod figure;
mod java;
mod produce;
pub mod room;
pub mod stream;
mod workload;

use workload::Input;
pub use workload::{DecodeBenchArgs, ProduceBenchArgs, Workload, PRODUCE_TARGET};

use clap::{Parser, Subcommand};
use kafka_demo::flags::GlobalArgs;
use std::process::ExitCode;

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
    Produce(ProduceBenchArgs),
    /// kafka-demo produce against Kafka's ProducerPerformance (default and tuned): rates, p99s
    ProduceVsJava(ProduceBenchArgs),
    /// Records/s of the planned decoder and of apache-avro's from_avro_datum
    Decode(DecodeBenchArgs),
    /// Time the batch job against a plain Spark count over the same Kafka records
    Batch(batch::BenchBatchArgs),
    /// End-to-end latency of the streaming job (produce → window result read back) at a rate
    Stream(stream::BenchStreamArgs),
    /// The bridge in workshop mode under N attendees producing and tailing: request latency, memory
    Workshop(room::BenchWorkshopArgs),
}

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
        BenchCommand::ProduceVsJava(args) => {
            let config = cli.global.config_from_env()?;
            let input = Input::load(&args.workload)?;
            let report = java::run(&config, &args, &input).await?;
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
