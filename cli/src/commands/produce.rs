//! `kafka-demo produce`: seed step 2 for people — progress on stderr about once a second, a
//! summary on stdout, the manifest written only when every record was delivered.

use super::terminal::{kafka_error, registry_error, say, wait_for_signal, INTERRUPTED};
use crate::flags::ProduceArgs;
use anyhow::{bail, Context as _};
use pipeline::produce::{
    self, Percentiles, ProduceError, ProduceReport, Progress, Shutdown, Stopped,
};
use pipeline::settings::{Config, ProduceConfig};
use shared::generator::SequenceRange;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Where the default writer schema is looked for, relative to the working folder.
const DEFAULT_SCHEMA_FILE: &str = "schemas/click_v1.avsc";

pub(super) async fn produce(args: &ProduceArgs, config: &Config) -> anyhow::Result<ExitCode> {
    if let Some(source) = &args.value_json {
        return hand_written(args, source, config).await;
    }
    let request = args.validate()?;
    let (schema_file, schema_text) = schema_text(request.schema.as_deref()).await?;
    if let Some(path) = &request.manifest {
        check_writable(path).await?;
    }
    let prepared = produce::prepare(config, &request, &schema_text)
        .await
        .map_err(produce_error)?;
    let schema = prepared.schema();
    say(&format!(
        "producing to {}{} with {schema_file} (subject {} version {}, schema id {}): {}",
        request.topic,
        if prepared.topic_created() {
            " (created)"
        } else {
            ""
        },
        schema.subject,
        schema.version,
        schema.id,
        bounds(&request)
    ));
    let shutdown = Shutdown::default();
    let signals = watch_signals(shutdown.clone());
    let outcome = prepared.run(&shutdown, |p| say(&progress_line(p))).await;
    signals.abort();
    let _ = signals.await; // cancelled: nothing to report
    let report = outcome.map_err(produce_error)?;
    print_summary(&request, &report);
    finish(&request, &report).await
}

/// Mistakes listed before giving up on a file of records.
const MISTAKES_SHOWN: usize = 20;

/// `produce --value-json`: every line read and checked against the writer schema, the schema
/// registered, then the records sent as they are. Nothing is sent when any line is wrong.
async fn hand_written(
    args: &ProduceArgs,
    source: &Path,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    use pipeline::produce::records::{self, Outgoing};
    use shared::record::{frame, parse_schema, RecordReader};

    let (schema_file, schema_text) = schema_text(args.schema.as_deref()).await?;
    let registry = pipeline::registry::Client::new(&config.registry)?;
    // A schema using types of other subjects is encoded with them written out.
    let writer_text = if args.references.is_empty() {
        schema_text.clone()
    } else {
        let used = registry
            .referenced_texts(&args.references)
            .await
            .map_err(registry_error)?;
        shared::references::inline(&schema_text, &used)
            .map_err(|e| anyhow::anyhow!("{schema_file} with its references: {e}"))?
    };
    let schema = parse_schema(&writer_text)
        .map_err(|e| anyhow::anyhow!("{schema_file} is not a valid Avro schema: {e}"))?;
    let input = if source == Path::new("-") {
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut tokio::io::stdin(), &mut text)
            .await
            .context("cannot read records from stdin")?;
        text
    } else {
        tokio::fs::read_to_string(source)
            .await
            .with_context(|| format!("cannot read {}", source.display()))?
    };
    let reader = RecordReader::new(&schema);
    let mut bodies = Vec::new();
    let mut mistakes = Vec::new();
    for (n, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let checked = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|json| reader.body(&json).map_err(|e| e.to_string()));
        match checked {
            Ok(body) => bodies.push(body),
            Err(why) => mistakes.push(format!("line {}: {why}", n + 1)),
        }
    }
    if !mistakes.is_empty() {
        for m in mistakes.iter().take(MISTAKES_SHOWN) {
            say(m);
        }
        if mistakes.len() > MISTAKES_SHOWN {
            say(&format!("… and {} more", mistakes.len() - MISTAKES_SHOWN));
        }
        say(&format!(
            "kafka-demo: {} of {} records do not fit {schema_file}; nothing was sent",
            mistakes.len(),
            mistakes.len() + bodies.len()
        ));
        return Ok(ExitCode::from(super::terminal::NO));
    }
    if bodies.is_empty() {
        bail!("{} holds no records", source.display());
    }
    let registered = registry
        .register_with(&args.topic.value_subject(), &schema_text, &args.references)
        .await
        .map_err(registry_error)?;
    let outgoing: Vec<Outgoing> = bodies
        .iter()
        .map(|body| Outgoing {
            key: None,
            headers: Vec::new(),
            value: frame(body, registered.id, None),
        })
        .collect();
    let delivered = records::send(
        &config.kafka,
        &args.topic,
        &outgoing,
        1,
        (
            args.partitions,
            args.replication_factor
                .unwrap_or(pipeline::kafka::BROKER_DEFAULT),
        ),
    )
    .await
    .map_err(produce_error)?;
    println!(
        "sent {} records to {}{} with {schema_file} (subject {} version {}, schema id {})",
        delivered.count,
        args.topic,
        if delivered.topic_created {
            " (created)"
        } else {
            ""
        },
        registered.subject,
        registered.version,
        registered.id
    );
    Ok(ExitCode::SUCCESS)
}

/// The schema text and where it came from: the file given, else the default file, else the
/// built-in copy of it.
async fn schema_text(file: Option<&Path>) -> anyhow::Result<(String, String)> {
    let path = match file {
        Some(path) => path,
        None if is_dir(Path::new(DEFAULT_SCHEMA_FILE)).await == Some(false) => {
            Path::new(DEFAULT_SCHEMA_FILE)
        }
        None => {
            let name = "the built-in click v1 schema".to_owned();
            return Ok((name, produce::DEFAULT_SCHEMA.to_owned()));
        }
    };
    let text = tokio::fs::read_to_string(path)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((path.display().to_string(), text))
}

/// Whether `path` is a folder; `None` when there is nothing there.
async fn is_dir(path: &Path) -> Option<bool> {
    tokio::fs::metadata(path).await.ok().map(|m| m.is_dir())
}

/// Fails early when the manifest could not be written later.
async fn check_writable(path: &Path) -> anyhow::Result<()> {
    if is_dir(path).await == Some(true) {
        bail!(
            "cannot write the manifest to {}: it is a folder",
            path.display()
        );
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if is_dir(&folder).await != Some(true) {
        bail!(
            "cannot write the manifest to {}: folder {} does not exist",
            path.display(),
            folder.display()
        );
    }
    Ok(())
}

/// Ctrl-C (or SIGTERM) once stops producing and flushes; twice gives up on the flush.
fn watch_signals(shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        wait_for_signal().await;
        say("stopping: waiting for the brokers to acknowledge what was sent (Ctrl-C again to give up)");
        shutdown.stop.cancel();
        wait_for_signal().await;
        say("giving up on the unacknowledged records");
        shutdown.give_up.cancel();
    })
}

fn bounds(request: &ProduceConfig) -> String {
    let mut parts = Vec::new();
    if let Some(count) = request.count {
        parts.push(format!("{count} records"));
    }
    if let Some(d) = request.duration {
        parts.push(format!("for {d:?}"));
    }
    if parts.is_empty() {
        parts.push("until Ctrl-C".into());
    }
    match request.rate {
        Some(rate) => parts.push(format!("at {rate} records/s")),
        None => parts.push("unthrottled".into()),
    }
    parts.join(", ")
}

fn progress_line(p: &Progress) -> String {
    format!(
        "[{:>4}s] sent {}  acknowledged {}  failed {}  {}/s  latency {}",
        p.elapsed.as_secs(),
        p.sent,
        p.acknowledged,
        p.failed,
        p.rate.round(),
        latency(&p.latency)
    )
}

fn latency(p: &Percentiles) -> String {
    match (p.p50, p.p99) {
        (Some(p50), Some(p99)) => format!("p50 {} p99 {}", ms(p50), ms(p99)),
        _ => "-".into(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn print_summary(request: &ProduceConfig, r: &ProduceReport) {
    let m = &r.manifest;
    println!(
        "topic={} subject={} schema_id={} version={} topic_created={}",
        request.topic,
        r.schema.subject,
        r.schema.id,
        r.schema.version,
        if r.topic_created { "yes" } else { "no" }
    );
    println!(
        "sent={} acknowledged={} failed={} not_delivered={} clicks={} duplicates={} poison_pills={}",
        r.sent,
        r.acknowledged,
        r.failed,
        r.not_delivered(),
        m.totals.clicks,
        m.totals.duplicates,
        m.poison.total()
    );
    let secs = r.elapsed.as_secs_f64().max(1e-3);
    println!(
        "{} records in {secs:.2} s ({:.0} records/s); delivery latency {}, max {}",
        r.acknowledged,
        r.acknowledged as f64 / secs,
        latency(&r.latency),
        r.latency.max.map_or_else(|| "-".into(), ms)
    );
}

async fn finish(request: &ProduceConfig, report: &ProduceReport) -> anyhow::Result<ExitCode> {
    let not_written = if request.manifest.is_some() {
        "; manifest not written"
    } else {
        ""
    };
    if let Stopped::Refused(reason) = &report.stopped {
        bail!(
            "Kafka refused a record ({reason}); stopped after {} records{not_written}",
            report.sent
        );
    }
    let missing = report.not_delivered();
    if missing > 0 {
        let why = report
            .first_error
            .as_deref()
            .map(|e| format!(" (first error: {e})"))
            .unwrap_or_default();
        let which = match sequence_ranges(&report.lost) {
            ranges if ranges.is_empty() => String::new(),
            ranges => format!("; lost: sequence numbers {ranges}"),
        };
        // The manifest is still the truth of what was sent; it names the records that never
        // arrived, and `batch --verify` refuses it rather than reconcile a short topic.
        let manifest = match &request.manifest {
            Some(path) => {
                let mut marked = report.manifest.clone();
                marked.lost = report
                    .lost
                    .iter()
                    .map(|r| SequenceRange {
                        first: *r.start(),
                        last: *r.end(),
                    })
                    .collect();
                write_manifest(path, &marked).await?;
                format!("; manifest {} marks them", path.display())
            }
            None => String::new(),
        };
        bail!(
            "{missing} of {} records were not delivered{why}{which}{manifest}",
            report.sent
        );
    }
    if let Some(path) = &request.manifest {
        write_manifest(path, &report.manifest).await?;
        say(&format!(
            "manifest: {} ({} records)",
            path.display(),
            report.manifest.total_events
        ));
    }
    let bounded = request.count.is_some() || request.duration.is_some();
    if report.stopped == Stopped::Interrupted && bounded {
        say(&format!(
            "interrupted after {} records; everything sent was delivered",
            report.sent
        ));
        return Ok(ExitCode::from(INTERRUPTED));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ranges of sequence numbers as people read them: `0–99, 150, 200–249` (the first ten, then
/// how many more).
fn sequence_ranges(ranges: &[std::ops::RangeInclusive<u64>]) -> String {
    const SHOWN: usize = 10;
    let mut text: Vec<String> = ranges
        .iter()
        .take(SHOWN)
        .map(|r| match r.start() == r.end() {
            true => r.start().to_string(),
            false => format!("{}–{}", r.start(), r.end()),
        })
        .collect();
    if ranges.len() > SHOWN {
        text.push(format!("and {} more ranges", ranges.len() - SHOWN));
    }
    text.join(", ")
}

/// Writes the manifest whole or not at all: into a temporary file beside it, then renamed.
async fn write_manifest(path: &Path, manifest: &shared::generator::Manifest) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(manifest).context("cannot serialize the manifest")?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = PathBuf::from(partial);
    let result = async {
        tokio::fs::write(&partial, &json).await?;
        tokio::fs::rename(&partial, path).await
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    result.with_context(|| format!("cannot write the manifest to {}", path.display()))
}

fn produce_error(error: ProduceError) -> anyhow::Error {
    match error {
        ProduceError::Registry(e) => registry_error(e),
        ProduceError::Kafka(e) => kafka_error(e),
        other => other.into(),
    }
}

/// Runs `kafka-demo produce` with the flags in `argv` (program name first) and the default
/// schema, printing nothing: for benchmarks that need a topic filled. Fails when the flags do
/// not parse, a check fails, or any record was not delivered.
pub async fn quietly<I, T>(config: &Config, argv: I) -> anyhow::Result<ProduceReport>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser as _;
    let cli = crate::flags::Cli::try_parse_from(argv)?;
    let crate::flags::Command::Produce(flags) = cli.command else {
        bail!("the produce flags did not parse as produce");
    };
    let request = flags.validate()?;
    let prepared = produce::prepare(config, &request, produce::DEFAULT_SCHEMA)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = prepared
        .run(&Shutdown::default(), |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if report.not_delivered() > 0 {
        bail!("{} records were not delivered", report.not_delivered());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_sequence_ranges_read_plainly() {
        assert_eq!(
            sequence_ranges(&[0..=99, 150..=150, 200..=249]),
            "0–99, 150, 200–249"
        );
        let many: Vec<_> = (0..12u64).map(|i| i * 10..=i * 10).collect();
        assert!(sequence_ranges(&many).ends_with("90, and 2 more ranges"));
        assert_eq!(sequence_ranges(&[]), "");
    }
}
