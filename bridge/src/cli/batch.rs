//! `kafka-demo batch` and `kafka-demo bench batch`: seed step 4 for people — progress with the
//! elapsed time on stderr, the result as tables or one JSON document on stdout, and, with
//! `--verify`, the comparison with the producer's manifests.

use super::{registry_error, say, NO};
use crate::batch::result::{Group, Minute};
use crate::batch::verify::{self, Verification};
use crate::batch::{self, BatchError, BatchReport, BatchRequest, Bound, Stage};
use crate::config::{BatchArgs, BatchFormat, BenchBatchArgs, BenchCommand, Cli, Config};
use anyhow::Context as _;
use clap::Parser as _;
use shared::generator::Manifest;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub(super) async fn batch(args: &BatchArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let request = args.validate(&config.stack.data_dir);
    let manifests = read_manifests(&args.verify).await?;
    let started = Instant::now();
    let progress = |stage: &Stage| {
        say(&format!(
            "[{:>6.1}s] {stage}",
            started.elapsed().as_secs_f64()
        ))
    };
    let report = batch::run(config, &request, &progress)
        .await
        .map_err(batch_error)?;
    say(&format!(
        "[{:>6.1}s] done: {} records, {} decoded, {} poison pills",
        started.elapsed().as_secs_f64(),
        report.records_read,
        report.totals.clicks,
        report.poison_total()
    ));
    let verification = (!manifests.is_empty()).then(|| verify::verify(&report, &manifests));
    match args.format {
        BatchFormat::Json => {
            let doc = Document {
                report: &report,
                verification: verification.as_ref(),
            };
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        BatchFormat::Table => {
            print!("{}", tables(&report, &request));
            if let Some(v) = &verification {
                print!("{}", verification_table(v));
            }
        }
    }
    Ok(match verification {
        Some(v) if !v.passed() => ExitCode::from(NO),
        _ => ExitCode::SUCCESS,
    })
}

/// What `--format json` prints.
#[derive(serde::Serialize)]
struct Document<'a> {
    report: &'a BatchReport,
    verification: Option<&'a Verification>,
}

async fn read_manifests(paths: &[PathBuf]) -> anyhow::Result<Vec<Manifest>> {
    let mut manifests = Vec::with_capacity(paths.len());
    for path in paths {
        let text = tokio::fs::read_to_string(path)
            .await
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a manifest written by produce", path.display()))?;
        manifests.push(manifest);
    }
    Ok(manifests)
}

pub(super) fn batch_error(error: BatchError) -> anyhow::Error {
    match error {
        BatchError::Registry(e) => registry_error(e),
        BatchError::Range(batch::RangeError::Kafka { .. }) => anyhow::anyhow!(
            "{error} (is the stack up? start it with `kafka-demo stack up`, or point --bootstrap-servers at your brokers)"
        ),
        other => other.into(),
    }
}

fn describe_range(request: &BatchRequest) -> String {
    let bound = |b: Bound, edge: &str| match b {
        Bound::Edge => edge.to_owned(),
        Bound::Offset(o) => format!("offset {o}"),
        Bound::Timestamp(ms) => time(ms),
    };
    format!(
        "{} to {}",
        bound(request.from, "the oldest record"),
        bound(request.to, "the newest")
    )
}

pub(super) fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| format!("{ms} ms"))
}

pub(super) fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The report as aligned sections.
fn tables(r: &BatchReport, request: &BatchRequest) -> String {
    let mut out = String::new();
    let ranges: Vec<String> = r
        .ranges
        .iter()
        .map(|p| format!("{}:{}..{}", p.partition, p.start, p.end))
        .collect();
    out += &format!("topic {}  ({})\n", r.topic, describe_range(request));
    out += &format!("offsets  {}\n", ranges.join("  "));
    if r.records_read == 0 {
        out += "no records in this range\n";
        return out;
    }
    let t = &r.totals;
    out += &format!(
        "records  {} read, {} decoded, {} poison pills, in {:.1} s\n",
        r.records_read,
        t.clicks,
        r.poison_total(),
        r.elapsed_secs
    );
    for s in &r.schemas {
        out += &format!(
            "schema id {:<10} {:>10} records  {}\n",
            s.schema_id, s.records, s.status
        );
    }
    out += &format!(
        "totals   clicks {}  cost {}  approx users {}",
        t.clicks,
        money(t.cost_cents),
        t.approx_users
    );
    if let (Some(a), Some(b)) = (t.first_event_ms, t.last_event_ms) {
        out += &format!("  events {} .. {}", time(a), time(b));
    }
    out += "\n";
    out += &group_table("per creative", "creative", &r.per_creative);
    out += &group_table("per placement", "placement", &r.per_placement);
    out += &minute_table(&r.per_minute);
    out += &group_table("top creatives by clicks", "creative", &r.top_by_clicks);
    out += &group_table("top creatives by cost", "creative", &r.top_by_cost);
    out += "\nnull rate per field\n";
    for n in &r.null_rates {
        out += &format!(
            "  {:<16} {:>10} {:>7.2}%\n",
            n.field,
            n.nulls,
            n.rate * 100.0
        );
    }
    out += &poison_table(r);
    if let Some(path) = &r.output {
        out += &format!("\nParquet tables in {}\n", path.display());
    }
    out
}

fn group_table(title: &str, key: &str, groups: &[Group]) -> String {
    let width = groups
        .iter()
        .map(|g| g.key.len())
        .max()
        .unwrap_or(0)
        .max(key.len());
    let mut out = format!(
        "\n{title}\n  {key:<width$} {:>10} {:>14}\n",
        "clicks", "cost"
    );
    for g in groups {
        out += &format!(
            "  {:<width$} {:>10} {:>14}\n",
            g.key,
            g.clicks,
            money(g.cost_cents)
        );
    }
    out
}

fn minute_table(minutes: &[Minute]) -> String {
    let mut out = format!(
        "\nper minute (event time)\n  {:<24} {:>10} {:>14}\n",
        "minute", "clicks", "cost"
    );
    for m in minutes {
        out += &format!(
            "  {:<24} {:>10} {:>14}\n",
            time(m.minute_ms),
            m.clicks,
            money(m.cost_cents)
        );
    }
    out
}

fn poison_table(r: &BatchReport) -> String {
    if r.poison_counts.is_empty() {
        return "\npoison pills: none\n".into();
    }
    let counts: Vec<String> = r
        .poison_counts
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    let mut out = format!("\npoison pills: {}\n", counts.join(" "));
    const SHOWN: usize = 50;
    for p in r.poison.iter().take(SHOWN) {
        out += &format!(
            "  partition={} offset={} reason={}: {}\n",
            p.partition, p.offset, p.reason, p.detail
        );
    }
    if r.poison.len() > SHOWN {
        out += &format!(
            "  … {} more (all in --format json and the Parquet table)\n",
            r.poison.len() - SHOWN
        );
    }
    out
}

fn verification_table(v: &Verification) -> String {
    let mut out = String::from("\nverification against the manifest\n");
    for c in &v.checks {
        out += &format!(
            "  {:<4} {:<26} expected {:<22} got {}\n",
            if c.ok { "ok" } else { "DIFF" },
            c.name,
            c.expected,
            c.actual
        );
    }
    for note in &v.notes {
        out += &format!("  note: {note}\n");
    }
    out += if v.passed() {
        "  result: everything matches\n"
    } else {
        "  result: DIFFERENCES FOUND\n"
    };
    out
}

pub(super) async fn bench(cmd: BenchCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Batch(args) => bench_batch(&args, config).await,
        BenchCommand::Stream(args) => super::stream::bench(&args, config).await,
    }
}

/// Fills the topic once, then times the batch job and a plain count over the same records.
async fn bench_batch(args: &BenchBatchArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let held = held(config, args).await?;
    if held < args.records {
        fill(config, args, args.records - held).await?;
    }
    let records = held.max(args.records);
    let timeout = Duration::from_secs(1800);
    let request = |out: Option<PathBuf>| BatchRequest {
        topic: args.topic.clone(),
        from: Bound::Edge,
        to: Bound::Edge,
        top: 10,
        out,
        step_timeout: timeout,
        poison_limit: 1000,
    };
    let (mut counts, mut jobs) = (Vec::new(), Vec::new());
    for run in 1..=args.runs {
        let started = Instant::now();
        let n =
            crate::spark::kafka_record_count(&config.spark, &config.kafka, &args.topic, timeout)
                .await
                .map_err(|e| {
                    batch_error(BatchError::Spark {
                        step: "counting",
                        message: e.to_string(),
                    })
                })?;
        let count = started.elapsed();
        let started = Instant::now();
        let report = batch::run(config, &request(None), &|_| {})
            .await
            .map_err(batch_error)?;
        let job = started.elapsed();
        say(&format!(
            "run {run}: count() {n} records in {:.2} s; decode+aggregate {} records ({} decoded) in {:.2} s",
            count.as_secs_f64(),
            report.records_read,
            report.totals.clicks,
            job.as_secs_f64()
        ));
        counts.push(count);
        jobs.push(job);
    }
    let out = config.stack.data_dir.join("batch").join("bench");
    let started = Instant::now();
    batch::run(config, &request(Some(out.clone())), &|_| {})
        .await
        .map_err(batch_error)?;
    let with_parquet = started.elapsed();
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
    let cli = Cli::try_parse_from(argv)?;
    let crate::config::Command::Produce(produce) = cli.command else {
        anyhow::bail!("the produce flags did not parse as produce");
    };
    let request = produce.validate()?;
    let prepared = crate::produce::prepare(config, &request, crate::produce::DEFAULT_SCHEMA)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = prepared
        .run(&crate::produce::Shutdown::default(), |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if report.not_delivered() > 0 {
        anyhow::bail!("{} records were not delivered", report.not_delivered());
    }
    Ok(())
}
