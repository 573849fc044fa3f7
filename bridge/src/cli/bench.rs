//! `kafka-demo bench batch`: the batch job's throughput on the running stack, against a plain
//! Spark `count()` over the same Kafka records; and the dispatch of the other `bench` commands.

use super::batch::batch_error;
use super::say;
use crate::batch::{self, BatchError, BatchRequest, Bound};
use crate::config::{BenchBatchArgs, BenchCommand, Config};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub(super) async fn bench(cmd: BenchCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Batch(args) => bench_batch(&args, config).await,
        BenchCommand::Stream(args) => super::stream::bench(&args, config).await,
        BenchCommand::Workshop(args) => bench_workshop(&args, config).await,
    }
}

/// Starts a workshop bridge from this very binary and loads it with simulated attendees.
async fn bench_workshop(
    args: &crate::bench::workshop::BenchWorkshopArgs,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let bin = std::env::current_exe()
        .context("cannot find the kafka-demo binary to start the bridge from")?;
    say(&format!(
        "starting `kafka-demo serve --workshop` and {} attendees for {:?}…",
        args.attendees, args.duration
    ));
    let report = crate::bench::workshop::run(&bin, config, args).await?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// Longest a single Spark call of the bench may take.
const TIMEOUT: Duration = Duration::from_secs(1800);

/// Fills the topic once, then times the batch job and a plain count over the same records.
async fn bench_batch(args: &BenchBatchArgs, config: &Config) -> anyhow::Result<ExitCode> {
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
    let out = config.stack.data_dir.join("batch").join("bench");
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
        out.display()
    );
    println!(
        "ratio              {:.2} (decode+aggregate throughput / count() throughput; target 0.5)",
        count.as_secs_f64() / job.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// A plain Spark `count()` over the topic, earliest to latest.
async fn timed_count(config: &Config, args: &BenchBatchArgs) -> anyhow::Result<Duration> {
    let started = Instant::now();
    crate::spark::kafka_record_count(&config.spark, &config.kafka, &args.topic, TIMEOUT)
        .await
        .map_err(|e| batch_error(BatchError::spark("counting", e)))?;
    Ok(started.elapsed())
}

/// The whole batch job over the topic; Parquet only when `out` is given.
async fn timed_job(
    config: &Config,
    args: &BenchBatchArgs,
    out: Option<PathBuf>,
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
    super::produce::quietly(config, argv).await?;
    Ok(())
}
