//! `kafka-demo batch`: seed step 4 for people — progress with the
//! elapsed time on stderr, the result as tables or one JSON document on stdout, and, with
//! `--verify`, the comparison with the producer's manifests.

use super::terminal::{registry_error, say, wait_for_signal, INTERRUPTED, NO};
use crate::flags::{BatchArgs, BatchFormat};
use anyhow::Context as _;
use pipeline::batch::result::{Group, Minute};
use pipeline::batch::verify::{self, Verification};
use pipeline::batch::{self, BatchError, BatchReport, BatchRequest, Bound, Stage};
use pipeline::settings::Config;
use shared::generator::Manifest;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

pub(super) async fn batch(args: &BatchArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let request = args.validate(&config.spark_state);
    let manifests = read_manifests(&args.verify).await?;
    let started = Instant::now();
    let progress = |stage: &Stage| say(&format!("[{:>6.1}s] {stage}", secs(started)));
    let report = match run_until_signal(config, &request, &progress).await {
        Err(BatchError::Interrupted) => {
            say("interrupted; the Spark operations of this run were cancelled");
            return Ok(ExitCode::from(INTERRUPTED));
        }
        other => other.map_err(batch_error)?,
    };
    say(&format!(
        "[{:>6.1}s] done: {} records, {} decoded, {} poison pills",
        secs(started),
        report.records_read,
        report.totals.clicks,
        report.poison_total()
    ));
    let verification = (!manifests.is_empty()).then(|| verify::verify(&report, &manifests));
    print_result(args.format, &report, &request, verification.as_ref())?;
    Ok(match verification {
        Some(v) if !v.passed() => ExitCode::from(NO),
        _ => ExitCode::SUCCESS,
    })
}

fn secs(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

/// Runs the job; Ctrl-C or SIGTERM interrupts it.
async fn run_until_signal(
    config: &Config,
    request: &BatchRequest,
    progress: &(dyn Fn(&Stage) + Sync),
) -> Result<BatchReport, BatchError> {
    let cancel = CancellationToken::new();
    let signals = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            cancel.cancel();
        })
    };
    let outcome = batch::run(config, request, progress, &cancel).await;
    signals.abort();
    let _ = signals.await; // cancelled: nothing to report
    outcome
}

fn print_result(
    format: BatchFormat,
    report: &BatchReport,
    request: &BatchRequest,
    verification: Option<&Verification>,
) -> anyhow::Result<()> {
    match format {
        BatchFormat::Json => {
            let doc = Document {
                report,
                verification,
            };
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        BatchFormat::Table => {
            print!("{}", tables(report, request));
            if let Some(v) = verification {
                print!("{}", verification_table(v));
            }
        }
    }
    Ok(())
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
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a manifest written by produce", path.display()))?;
        if let Some(first) = manifest.lost.first() {
            anyhow::bail!(
                "{} comes from a run that lost records (sequence numbers {}–{} and {} more ranges): \
                 the topic cannot reconcile with it; produce the run again",
                path.display(),
                first.first,
                first.last,
                manifest.lost.len() - 1
            );
        }
        manifests.push(manifest);
    }
    Ok(manifests)
}

/// A batch failure as the terminal tells it.
pub fn batch_error(error: BatchError) -> anyhow::Error {
    match error {
        BatchError::Registry(e) => registry_error(e),
        BatchError::Range(
            batch::RangeError::Kafka { .. }
            | batch::RangeError::Reach(pipeline::kafka::KafkaOpError::Unreachable { .. }),
        ) => anyhow::anyhow!(
            "{error} (is the stack up? start it with `kafka-demo stack up`, or point --bootstrap-servers at your brokers)"
        ),
        BatchError::Output { .. } => anyhow::anyhow!(
            "{error}; give --out a location the Spark server can write: a path on its machine, \
             or a URI such as hdfs://namenode/path or s3a://bucket/path"
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

/// Milliseconds since the epoch as a UTC time.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// Cents as an amount with two decimals.
pub fn money(cents: u64) -> String {
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
    if let Some(location) = &r.output {
        out += &format!("\nParquet tables in {location}\n");
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
