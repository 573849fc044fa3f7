//! `kafka-demo-bench batch`: the batch job's throughput on the running stack, against a plain
//! Spark `count()` over the same Kafka records.

use clap::Args;
use kafka_demo::commands::batch::batch_error;
use kafka_demo::commands::say;
use pipeline::batch::{self, BatchError, BatchRequest, Bound};
use pipeline::settings::Config;
use pipeline::spark::SparkLocation;
use shared::Topic;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The batch job's throughput aimed for, as a share of a plain count's.
pub const BATCH_TARGET: f64 = 0.7;

/// Longest a single Spark call of the bench may take.
const TIMEOUT: Duration = Duration::from_secs(1800);

/// Fills the topic once, then times the batch job and a plain count over the same records.
pub async fn bench_batch(args: &BenchBatchArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let held = held(config, args).await?;
    if held < args.records {
        fill(config, args, args.records - held).await?;
    }
    let records = held.max(args.records);
    let (mut counts, mut jobs) = (Vec::new(), Vec::new());
    for run in 1..=args.runs {
        let (count, job) = (
            timed_count(config, args).await?,
            timed_job(config, args, None).await?,
        );
        say(&format!(
            "run {run}: count() {:.2} s, decode+aggregate {:.2} s",
            count.as_secs_f64(),
            job.as_secs_f64()
        ));
        counts.push(count);
        jobs.push(job);
    }
    let out = SparkLocation::local(&config.stack.data_dir.join("batch").join("bench"));
    let with_parquet = timed_job(config, args, Some(out.clone())).await?;
    let (count, job) = (median(&mut counts), median(&mut jobs));
    let rate = |d: Duration| records as f64 / d.as_secs_f64().max(1e-9);
    println!("records            {records} in {}", args.topic);
    println!(
        "plain count()      median {:>6.2} s  {:>10.0} records/s",
        count.as_secs_f64(),
        rate(count)
    );
    println!(
        "decode+aggregate   median {:>6.2} s  {:>10.0} records/s",
        job.as_secs_f64(),
        rate(job)
    );
    println!(
        "  with Parquet     once   {:>6.2} s  {:>10.0} records/s (tables in {})",
        with_parquet.as_secs_f64(),
        rate(with_parquet),
        out
    );
    let ratio = count.as_secs_f64() / job.as_secs_f64().max(1e-9);
    println!(
        "ratio              {ratio:.2} (decode+aggregate throughput / count() throughput; target {BATCH_TARGET})"
    );
    crate::figure::print(
        "Spark batch vs a plain count",
        &format!("{ratio:.2}"),
        &format!(">= {BATCH_TARGET}"),
        crate::figure::Verdict::of(ratio >= BATCH_TARGET),
    );
    Ok(ExitCode::SUCCESS)
}

/// A plain Spark `count()` over the topic, earliest to latest.
async fn timed_count(config: &Config, args: &BenchBatchArgs) -> anyhow::Result<Duration> {
    let started = Instant::now();
    pipeline::spark::kafka_record_count(&config.spark, &config.kafka, &args.topic, TIMEOUT)
        .await
        .map_err(|e| batch_error(BatchError::spark("counting", e)))?;
    Ok(started.elapsed())
}

/// The whole batch job over the topic; Parquet only when `out` is given.
async fn timed_job(
    config: &Config,
    args: &BenchBatchArgs,
    out: Option<SparkLocation>,
) -> anyhow::Result<Duration> {
    let request = BatchRequest {
        topic: args.topic.clone(),
        from: Bound::Edge,
        to: Bound::Edge,
        top: 10,
        out,
        step_timeout: TIMEOUT,
        poison_limit: 1000,
    };
    let started = Instant::now();
    batch::run(config, &request, &|_| {}, &CancellationToken::new())
        .await
        .map_err(batch_error)?;
    Ok(started.elapsed())
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Records the bench topic holds now (none when it does not exist yet).
async fn held(config: &Config, args: &BenchBatchArgs) -> anyhow::Result<u64> {
    let ranges = batch::range::resolve(
        &config.kafka,
        &args.topic,
        Bound::Edge,
        Bound::Edge,
        Duration::from_secs(30),
    )
    .await;
    match ranges {
        Ok(ranges) => Ok(ranges.iter().map(|r| r.len() as u64).sum()),
        Err(batch::RangeError::UnknownTopic(_)) => Ok(0),
        Err(e) => Err(batch_error(e.into())),
    }
}

/// Produces `count` generated clicks to the bench topic, as `kafka-demo produce` would.
async fn fill(config: &Config, args: &BenchBatchArgs, count: u64) -> anyhow::Result<()> {
    say(&format!(
        "producing {count} records to {} (once; later runs reuse them)…",
        args.topic
    ));
    let argv = [
        "kafka-demo".to_owned(),
        "produce".into(),
        "--topic".into(),
        args.topic.to_string(),
        "--count".into(),
        count.to_string(),
        "--seed".into(),
        args.seed.to_string(),
        "--compression".into(),
        "lz4".into(),
    ];
    kafka_demo::commands::produce::quietly(config, argv).await?;
    Ok(())
}

/// `kafka-demo-bench batch …`
#[derive(Debug, Args)]
pub struct BenchBatchArgs {
    /// Topic to read; produced to first until it holds --records records
    #[arg(long, default_value = "bench-batch-clicks")]
    pub topic: Topic,
    /// Records the topic should hold
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: u64,
    /// Timed runs of each; the medians are reported
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
    /// Seed of the generated records
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}
