//! `produce-vs-java`: `kafka-demo produce` (generate, Avro-encode, send) against Apache Kafka's
//! own `org.apache.kafka.tools.ProducerPerformance`, on the same broker, with the same value size
//! and producer settings (`acks=all`, idempotent, `linger.ms=5`, no compression), in alternating
//! rounds to fresh topics: once with the Java client's defaults, once with its `batch.size`
//! raised to 1 MiB. Both sides report their own delivery latency the same way: from the moment a
//! record is offered to the producer (a wait for room in a full buffer included) to its
//! acknowledgement.

use super::produce::delete_topic;
use super::workload::{Input, ProduceBenchArgs};
use anyhow::Context as _;
use pipeline::kafka;
use pipeline::settings::{Config, DEFAULT_LINGER};
use shared::decode::corpus::median;
use shared::Topic;
use std::fmt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// The throughput kafka-demo aims for, as a multiple of the tuned Java tool's.
pub(crate) const VS_TUNED_TARGET: f64 = 1.5;
const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest one Java round may take (a JVM start included).
const JAVA_LIMIT: Duration = Duration::from_secs(600);
/// The Java producer's `batch.size` when tuned.
const TUNED_BATCH: &str = "1048576";

/// One producer's median round.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    records_per_s: f64,
    p99_ms: f64,
}

/// Medians of the three producers.
#[derive(Debug, Clone)]
pub(crate) struct VsJavaReport {
    records: usize,
    rounds: u32,
    value_bytes: usize,
    bootstrap: String,
    kafka_demo: Side,
    java_default: Side,
    java_tuned: Side,
}

/// Which producer a round runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    KafkaDemo,
    JavaDefault,
    JavaTuned,
}

pub(crate) async fn run(
    config: &Config,
    args: &ProduceBenchArgs,
    input: &Input,
) -> anyhow::Result<VsJavaReport> {
    kafka::broker_count(&config.kafka, TIMEOUT)
        .await
        .context("no broker answered")?;
    let libs = pipeline::stack::kafka_tools(&config.stack, &|line| eprintln!("{line}"))
        .await
        .context("Kafka's tools (for ProducerPerformance) could not be fetched")?;
    let framed = input.framed();
    let value_bytes = framed.iter().map(Vec::len).sum::<usize>() / framed.len().max(1);
    let count = input.clicks.len();
    let mut rounds: [Vec<Side>; 3] = Default::default();
    let mut topics = Vec::new();
    // An untimed round of each first: the JVM's and the broker's warm-up count against nobody.
    let order = [Who::KafkaDemo, Who::JavaDefault, Who::JavaTuned];
    let mut outcome = Ok(());
    'rounds: for round in 0..=input.rounds {
        for k in 0..order.len() {
            // Rotate who goes first, so none always meets the broker right after the same one.
            let who = order[(k + round as usize) % order.len()];
            let topic = fresh_topic(who, round)?;
            topics.push(topic.clone());
            let side = match round_of(config, args, &libs, who, &topic, count, value_bytes).await {
                Ok(side) => side,
                Err(e) => {
                    outcome = Err(e);
                    break 'rounds;
                }
            };
            eprintln!(
                "round {round}{}: {who:?} {:.0} records/s, p99 {:.0} ms",
                if round == 0 { " (warm-up)" } else { "" },
                side.records_per_s,
                side.p99_ms
            );
            if round > 0 {
                rounds[who as usize].push(side);
            }
        }
    }
    if !args.keep_topics {
        for topic in &topics {
            delete_topic(&config.kafka, topic).await;
        }
    }
    outcome?;
    let medians = |sides: &[Side]| Side {
        records_per_s: median(&sides.iter().map(|s| s.records_per_s).collect::<Vec<_>>()),
        p99_ms: median(&sides.iter().map(|s| s.p99_ms).collect::<Vec<_>>()),
    };
    Ok(VsJavaReport {
        records: count,
        rounds: input.rounds,
        value_bytes,
        bootstrap: config.kafka.bootstrap_servers.clone(),
        kafka_demo: medians(&rounds[Who::KafkaDemo as usize]),
        java_default: medians(&rounds[Who::JavaDefault as usize]),
        java_tuned: medians(&rounds[Who::JavaTuned as usize]),
    })
}

async fn round_of(
    config: &Config,
    args: &ProduceBenchArgs,
    libs: &Path,
    who: Who,
    topic: &Topic,
    count: usize,
    value_bytes: usize,
) -> anyhow::Result<Side> {
    kafka::ensure_topic(&config.kafka, topic, args.partitions, 1, TIMEOUT).await?;
    match who {
        Who::KafkaDemo => {
            let (count, partitions) = (count.to_string(), args.partitions.to_string());
            let argv = [
                "kafka-demo",
                "produce",
                "--topic",
                topic.as_str(),
                "--count",
                &count,
                "--partitions",
                &partitions,
            ];
            let report = kafka_demo::commands::produce::quietly(config, argv).await?;
            Ok(Side {
                records_per_s: report.acknowledged as f64 / report.elapsed.as_secs_f64().max(1e-9),
                p99_ms: report
                    .latency
                    .p99
                    .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
            })
        }
        Who::JavaDefault | Who::JavaTuned => {
            java_round(config, libs, who, topic, count, value_bytes).await
        }
    }
}

async fn java_round(
    config: &Config,
    libs: &Path,
    who: Who,
    topic: &Topic,
    count: usize,
    value_bytes: usize,
) -> anyhow::Result<Side> {
    let mut props = vec![
        format!("bootstrap.servers={}", config.kafka.bootstrap_servers),
        "acks=all".to_owned(),
        "enable.idempotence=true".to_owned(),
        // The linger `kafka-demo produce` uses unless told otherwise.
        format!("linger.ms={}", DEFAULT_LINGER.as_millis()),
        "compression.type=none".to_owned(),
    ];
    if who == Who::JavaTuned {
        props.push(format!("batch.size={TUNED_BATCH}"));
    }
    let mut java = Command::new("java");
    java.arg("-cp")
        .arg(libs.join("*"))
        .arg("org.apache.kafka.tools.ProducerPerformance")
        .args(["--topic", topic.as_str()])
        .args(["--num-records", &count.to_string()])
        .args(["--record-size", &value_bytes.to_string()])
        .args(["--throughput", "-1"])
        .arg("--producer-props")
        .args(&props)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(JAVA_LIMIT, java.output())
        .await
        .context("ProducerPerformance took longer than 10 minutes")?
        .context("could not run java")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "ProducerPerformance failed ({}): {}{}",
        out.status,
        stdout.lines().last().unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = summary_line(&stdout, count).with_context(|| {
        format!("ProducerPerformance printed no summary for {count} records:\n{stdout}")
    })?;
    Ok(summary)
}

/// Reads ProducerPerformance's last line: `N records sent, R records/sec (… MB/sec), A ms avg
/// latency, M ms max latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.`
fn summary_line(stdout: &str, count: usize) -> Option<Side> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{count} records sent,")))?;
    let number_before = |marker: &str| -> Option<f64> {
        let end = line.find(marker)?;
        line.get(..end)?
            .trim_end()
            .rsplit([' ', ','])
            .next()?
            .parse()
            .ok()
    };
    Some(Side {
        records_per_s: number_before(" records/sec")?,
        p99_ms: number_before(" ms 99th")?,
    })
}

fn fresh_topic(who: Who, round: u32) -> anyhow::Result<Topic> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let who = match who {
        Who::KafkaDemo => "kafka-demo",
        Who::JavaDefault => "java",
        Who::JavaTuned => "java-tuned",
    };
    let name = format!(
        "kafka-demo-bench-{}-{nanos:x}-{round}-{who}",
        std::process::id()
    );
    Topic::new(&name).map_err(|e| anyhow::anyhow!("bench topic name {name}: {e}"))
}

impl VsJavaReport {
    fn vs_tuned(&self) -> f64 {
        self.kafka_demo.records_per_s / self.java_tuned.records_per_s.max(f64::MIN_POSITIVE)
    }

    fn vs_default(&self) -> f64 {
        self.kafka_demo.records_per_s / self.java_default.records_per_s.max(f64::MIN_POSITIVE)
    }

    /// Faster than the tuned Java tool by the target.
    fn fast_enough(&self) -> bool {
        self.vs_tuned() >= VS_TUNED_TARGET
    }

    /// No later than the tuned Java tool at the 99th percentile.
    fn prompt_enough(&self) -> bool {
        self.kafka_demo.p99_ms <= self.java_tuned.p99_ms
    }

    /// Both targets met.
    fn passes(&self) -> bool {
        self.fast_enough() && self.prompt_enough()
    }

    /// The figures issue 17 sets targets for.
    pub(crate) fn figures(&self) -> Vec<String> {
        use crate::figure::{line, Verdict};
        vec![
            line(
                "produce vs tuned ProducerPerformance",
                &format!(
                    "{:.2}x ({:.0} vs {:.0} records/s)",
                    self.vs_tuned(),
                    self.kafka_demo.records_per_s,
                    self.java_tuned.records_per_s
                ),
                &format!(">= {VS_TUNED_TARGET}x"),
                Verdict::of(self.fast_enough()),
            ),
            line(
                "produce delivery p99 vs tuned Java",
                &format!(
                    "{:.1} vs {:.1} ms",
                    self.kafka_demo.p99_ms, self.java_tuned.p99_ms
                ),
                "no higher",
                Verdict::of(self.prompt_enough()),
            ),
            line(
                "produce vs default ProducerPerformance",
                &format!(
                    "{:.2}x ({:.0} records/s)",
                    self.vs_default(),
                    self.java_default.records_per_s
                ),
                "-",
                Verdict::Reported,
            ),
        ]
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        let side =
            |s: &Side| serde_json::json!({"records_per_s": s.records_per_s, "p99_ms": s.p99_ms});
        serde_json::json!({
            "bench": "produce-vs-java",
            "records": self.records,
            "rounds": self.rounds,
            "value_bytes": self.value_bytes,
            "bootstrap": self.bootstrap,
            "kafka_demo": side(&self.kafka_demo),
            "java_default": side(&self.java_default),
            "java_tuned": side(&self.java_tuned),
            "ratio_vs_default": self.vs_default(),
            "ratio_vs_tuned": self.vs_tuned(),
            "target_vs_tuned": VS_TUNED_TARGET,
            "verdict": if self.passes() { "PASS" } else { "BELOW TARGET" },
        })
    }
}

impl fmt::Display for VsJavaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "produce to {}: {} records of {} bytes per round, median of {} rounds",
            self.bootstrap, self.records, self.value_bytes, self.rounds
        )?;
        let line = |f: &mut fmt::Formatter<'_>, name: &str, s: &Side| {
            writeln!(
                f,
                "  {name:<34} {:>10.0} records/s   delivery p99 {:>7.1} ms",
                s.records_per_s, s.p99_ms
            )
        };
        line(f, "kafka-demo produce", &self.kafka_demo)?;
        line(f, "ProducerPerformance, defaults", &self.java_default)?;
        line(f, "ProducerPerformance, batch.size 1 MiB", &self.java_tuned)?;
        writeln!(f, "  ratio vs Java defaults {:.2}", self.vs_default())?;
        write!(
            f,
            "  ratio vs tuned Java {:.2} (target >= {VS_TUNED_TARGET}), p99 {:.1} vs {:.1} ms (target: no higher): {}",
            self.vs_tuned(),
            self.kafka_demo.p99_ms,
            self.java_tuned.p99_ms,
            if self.passes() { "PASS" } else { "BELOW TARGET" }
        )?;
        for figure in self.figures() {
            write!(f, "\n{figure}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_gives_rate_and_p99() {
        let out = "499 records sent, 99.8 records/sec (0.02 MB/sec), 3.1 ms avg latency, 40.0 ms max latency.\n\
                   1000000 records sent, 207986.7 records/sec (46.02 MB/sec), 133.74 ms avg latency, 612.00 ms max latency, 125 ms 50th, 252 ms 95th, 301 ms 99th, 328 ms 99.9th.\n";
        let side = summary_line(out, 1_000_000).unwrap_or_default();
        assert_eq!((side.records_per_s, side.p99_ms), (207_986.7, 301.0));
        assert!(summary_line(out, 5).is_none());
    }
}
