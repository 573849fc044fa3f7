//! What the fault-injection suites (chaos, cluster) share: commands watched while they run,
//! records read back by a second reader and counted against what the generator made, and the
//! figures each scenario prints.

use super::{assert_ok, stderr, stdout, Target};
use serde_json::Value;
use shared::generator::{Event, Generator, GeneratorConfig, GeneratorOptions, Manifest};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStderr};

/// Prints a scenario's figures on one line that `make chaos` output shows.
pub fn figures(scenario: &str, figures: &[(&str, String)]) {
    let line: Vec<String> = figures.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("chaos: {scenario}: {}", line.join(" "));
}

pub fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

/// One record as `kafka-demo consume --format jsonl` prints it: click id and header schema id.
#[derive(Debug)]
pub struct Seen {
    pub id: String,
    pub schema_id: u64,
}

pub fn seen(out: &Output) -> Vec<Seen> {
    stdout(out)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            Seen {
                id: v["value"]["id"].as_str().unwrap_or_default().to_owned(),
                schema_id: v["schema_id"].as_u64().unwrap_or(0),
            }
        })
        .collect()
}

/// How many records `topic` holds, from its watermarks.
pub async fn records_on(target: &impl Target, topic: &str) -> u64 {
    let topic = shared::Topic::new(topic).unwrap_or_else(|e| panic!("{e}"));
    let marks =
        pipeline::kafka::watermarks(&target.config().kafka, &topic, Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("{topic} does not exist"));
    marks.iter().map(|(_, low, high)| (high - low) as u64).sum()
}

/// Every record of `topic`, read from the start by a consumer of its own.
pub async fn read_topic(target: &impl Target, topic: &str) -> Vec<Seen> {
    let total = records_on(target, topic).await;
    #[rustfmt::skip]
    let out = target.run(&["consume", "--topic", topic, "--from-beginning", "--max",
                          &total.max(1).to_string(), "--timeout", "30"]);
    assert_ok(&out, "consume");
    let records = seen(&out);
    assert_eq!(records.len() as u64, total, "{}", stderr(&out));
    records
}

/// The click ids a run of `count` records from `seed` sends, each as often as it is sent
/// (generated again, so a run that wrote no manifest can be checked too).
pub fn expected_ids(seed: u64, count: u64) -> BTreeMap<String, u64> {
    let options = GeneratorOptions {
        seed,
        ..GeneratorOptions::default()
    };
    let config = GeneratorConfig::new(options).unwrap_or_else(|e| panic!("{e}"));
    let mut ids = BTreeMap::new();
    for event in Generator::new(config).take(count as usize) {
        if let Event::Click { click, .. } | Event::Duplicate(click) = event {
            *ids.entry(click.id).or_insert(0) += 1;
        }
    }
    ids
}

/// (lost, duplicated): ids expected but missing, and occurrences beyond the expected ones.
pub fn lost_and_duplicated(expected: &BTreeMap<String, u64>, records: &[Seen]) -> (u64, u64) {
    let mut counted: BTreeMap<&str, u64> = BTreeMap::new();
    for r in records {
        *counted.entry(r.id.as_str()).or_insert(0) += 1;
    }
    let lost = expected
        .iter()
        .map(|(id, n)| n.saturating_sub(counted.get(id.as_str()).copied().unwrap_or(0)))
        .sum();
    let duplicated = counted
        .iter()
        .map(|(id, n)| n.saturating_sub(expected.get(*id).copied().unwrap_or(0)))
        .sum();
    (lost, duplicated)
}

pub fn read_manifest(path: &Path) -> Manifest {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("manifest: {e}"))
}

/// A `kafka-demo` command running in the background, its stderr read line by line.
pub struct Running {
    child: Child,
    err: Lines<BufReader<ChildStderr>>,
    said: String,
}

impl Running {
    pub fn start(target: &impl Target, args: &[&str]) -> Self {
        let mut cmd = tokio::process::Command::from(super::command(&target.flags(), args));
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
        let err = child
            .stderr
            .take()
            .unwrap_or_else(|| panic!("no stderr pipe"));
        Self {
            child,
            err: BufReader::new(err).lines(),
            said: String::new(),
        }
    }

    /// Reads stderr until a line `matches`, within `limit`.
    pub async fn until(&mut self, what: &str, limit: Duration, matches: impl Fn(&str) -> bool) {
        let found = tokio::time::timeout(limit, async {
            while let Ok(Some(line)) = self.err.next_line().await {
                self.said.push_str(&line);
                self.said.push('\n');
                if matches(&line) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "no {what} within {limit:?}: {}", self.said);
    }

    /// Waits for the exit, within `limit`: exit code, stdout, all of stderr.
    pub async fn finish(mut self, limit: Duration) -> (Option<i32>, String, String) {
        let mut out = self
            .child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("no stdout pipe"));
        let ended = tokio::time::timeout(limit, async {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text).await;
            while let Ok(Some(line)) = self.err.next_line().await {
                self.said.push_str(&line);
                self.said.push('\n');
            }
            (text, self.child.wait().await)
        })
        .await;
        let Ok((text, Ok(status))) = ended else {
            panic!("did not exit within {limit:?}: {}", self.said)
        };
        (status.code(), text, self.said)
    }
}

/// The acknowledged count of a produce progress line (`[  3s] sent N  acknowledged M …`).
pub fn acknowledged(line: &str) -> u64 {
    let mut words = line.split_whitespace();
    words
        .by_ref()
        .find(|w| *w == "acknowledged")
        .and_then(|_| words.next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The `key=` value of a produce summary, `?` when it is missing.
pub fn summary_field(summary: &str, key: &str) -> String {
    summary
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or("?")
        .to_owned()
}

/// The run failed with exit code 1 and said why in one plain `error: ` line after its progress
/// lines (`[  1.2s] …`); that line.
pub fn one_clear_line(code: Option<i32>, said: &str) -> String {
    assert_eq!(code, Some(1), "{said}");
    let plain: Vec<&str> = said.lines().filter(|l| !l.starts_with('[')).collect();
    assert!(
        plain.len() == 1 && plain[0].starts_with("error: "),
        "one plain error line: {said}"
    );
    plain[0].to_owned()
}

/// The checks of `batch --verify … --format json` that failed, by name.
pub fn failed_checks(out: &Output) -> Vec<String> {
    let doc: Value = serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)));
    let checks = doc["verification"]["checks"].as_array().cloned();
    let checks = checks.unwrap_or_else(|| panic!("no checks in {doc}"));
    assert!(!checks.is_empty(), "{doc}");
    checks
        .iter()
        .filter(|c| c["ok"] != true)
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// (clicks, cost in cents) by minute from a summary of `stream --format json` or a batch report.
pub fn by_minute(rows: &Value, minute_key: &str) -> BTreeMap<i64, (u64, u64)> {
    let mut map = BTreeMap::new();
    for row in rows.as_array().into_iter().flatten() {
        let minute = row[minute_key].as_i64().unwrap_or(-1).div_euclid(60_000) * 60_000;
        let entry = map.entry(minute).or_insert((0, 0));
        entry.0 += row["clicks"].as_u64().unwrap_or(0);
        entry.1 += row["cost_cents"].as_u64().unwrap_or(0);
    }
    map
}
