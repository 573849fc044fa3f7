//! The chaos suite: services of the local stack killed with SIGKILL while they work, then brought
//! back with `stack up`, each scenario on a private stack of its own. What survived is counted by
//! a second reader (a consumer of the topic, Spark), never by the producer's own report, and each
//! scenario prints its figures on a `chaos:` line.
//!
//! Only the cheap scenario runs in `cargo test`; `make chaos` runs them all, one at a time.

mod common;

use common::faults::*;
use common::{assert_ok, path_arg, stderr, stdout, unique, TestStack};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// Each service killed in turn, then all three: `stack up` right after brings their state back.
const RESTART: TestStack = TestStack {
    name: "chaos-restart",
    base: 28000,
};
/// Kafka killed in the middle of a produce run.
const KAFKA: TestStack = TestStack {
    name: "chaos-kafka",
    base: 28200,
};
/// The registry killed in the middle of a produce run.
const REGISTRY: TestStack = TestStack {
    name: "chaos-registry",
    base: 28400,
};
/// Spark Connect killed in the middle of a batch job.
const BATCH: TestStack = TestStack {
    name: "chaos-batch",
    base: 28600,
};
/// Spark Connect killed in the middle of a streaming query.
const STREAM: TestStack = TestStack {
    name: "chaos-stream",
    base: 28800,
};

/// How long a killed service stays down before `stack up`: the outage the issue asks for, kept
/// well inside the producer's 120 s delivery timeout. It is the fault being injected, not a
/// wait for anything.
const OUTAGE: Duration = Duration::from_secs(5);

/// A stack started from nothing for one scenario, stopped when the scenario ends, pass or fail.
struct Private {
    stack: &'static TestStack,
}

impl Private {
    fn start(stack: &'static TestStack) -> Self {
        let _ = std::fs::remove_dir_all(stack.data_dir());
        let private = Self { stack };
        let up = stack.run(&["stack", "up"]);
        assert_ok(&up, "stack up");
        private
    }

    /// The pid in the service's pid file, checked against what `stack status` prints.
    fn pid(&self, service: &str) -> u32 {
        let file = self.stack.data_dir().join(service).join("service.pid");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        let pid: u32 = text
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let status = stdout(&self.stack.run(&["stack", "status"]));
        let line = status.lines().find(|l| l.starts_with(service));
        assert!(
            line.is_some_and(|l| l.contains(&format!("pid {pid}"))),
            "{status}"
        );
        pid
    }

    /// `kill -9` of the service's process, as a crash or the OOM killer would.
    fn kill9(&self, service: &str) -> Instant {
        self.kill9_pid(service, self.pid(service))
    }

    fn kill9_pid(&self, service: &str, pid: u32) -> Instant {
        let raw = i32::try_from(pid).unwrap_or_else(|e| panic!("{e}"));
        let sent = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(raw),
            nix::sys::signal::Signal::SIGKILL,
        );
        assert!(sent.is_ok(), "kill -9 {service} (pid {pid}): {sent:?}");
        eprintln!("[{}] kill -9 {service} (pid {pid})", self.stack.name);
        Instant::now()
    }

    /// `stack up`, which must succeed; its output.
    fn up(&self) -> Output {
        let up = self.stack.run(&["stack", "up"]);
        assert_ok(&up, "stack up after kill -9");
        up
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = self.stack.run(&["stack", "down"]);
    }
}

/// The service's line of `stack up` output says it was started (not found running).
fn started(up: &Output, service: &str) -> bool {
    stdout(up)
        .lines()
        .any(|l| l.starts_with(service) && l.contains("started"))
}

/// The `id=` of the subject's latest version, as `schema list` prints it.
fn latest_id(stack: &TestStack, subject: &str) -> u64 {
    let list = stack.run(&["schema", "list"]);
    assert_ok(&list, "schema list");
    let text = stdout(&list);
    let line = text.lines().find(|l| l.starts_with(&format!("{subject} ")));
    line.and_then(|l| l.rsplit_once("id="))
        .and_then(|(_, id)| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {subject} in {text}"))
}

/// Every service killed with SIGKILL, one at a time and then all together; `stack up` right
/// after each kill starts what died (stale pid files and a process still exiting are handled)
/// and the state is back: the topic, its records, a group's committed offsets, the schema's id.
#[tokio::test]
async fn stack_up_right_after_kill_9_brings_each_service_back_with_its_state() {
    let begun = Instant::now();
    let chaos = Private::start(&RESTART);
    let topic = unique("restart");
    let group = unique("group");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("manifest.json");
    #[rustfmt::skip]
    let produced = RESTART.run(&["produce", "--topic", &topic, "--count", "1000", "--seed", "3",
                                "--manifest", &path_arg(&manifest)]);
    assert_ok(&produced, "produce");
    let subject = format!("{topic}-value");
    let id = latest_id(&RESTART, &subject);
    #[rustfmt::skip]
    let first = RESTART.run(&["consume", "--topic", &topic, "--group", &group,
                              "--from-beginning", "--max", "400", "--timeout", "30"]);
    assert_ok(&first, "consume (first 400)");

    let mut recovered = Vec::new();
    for victim in ["kafka", "registry", "spark"] {
        let killed = chaos.kill9(victim);
        let up = chaos.up();
        recovered.push((victim, killed.elapsed()));
        for service in ["kafka", "registry", "spark"] {
            assert_eq!(started(&up, service), service == victim, "{}", stdout(&up));
        }
        assert_eq!(latest_id(&RESTART, &subject), id, "after kill -9 {victim}");
    }
    let pids = ["kafka", "registry", "spark"].map(|s| (s, chaos.pid(s)));
    let killed = pids.map(|(s, pid)| chaos.kill9_pid(s, pid))[0];
    let up = chaos.up();
    recovered.push(("all", killed.elapsed()));
    for service in ["kafka", "registry", "spark"] {
        assert!(started(&up, service), "{}", stdout(&up));
    }

    assert_eq!(latest_id(&RESTART, &subject), id, "the schema keeps its id");
    #[rustfmt::skip]
    let rest = RESTART.run(&["consume", "--topic", &topic, "--group", &group,
                             "--from-beginning", "--max", "600", "--timeout", "30"]);
    // `--from-beginning` only covers a partition the first run never reached; the others go on
    // from the group's committed offsets, so a lost commit would show as duplicates.
    assert_ok(&rest, "consume (the other 600, from the group's offsets)");
    let mut all = seen(&first);
    all.extend(seen(&rest));
    let expected = expected_ids(3, 1000);
    let (lost, duplicated) = lost_and_duplicated(&expected, &all);
    assert_eq!(read_manifest(&manifest).total_events, 1000);
    let mut line: Vec<(&str, String)> = recovered
        .iter()
        .map(|(victim, took)| (*victim, format!("{}s", secs(*took))))
        .collect();
    line.extend([
        ("counted", all.len().to_string()),
        ("lost", lost.to_string()),
        ("duplicated", duplicated.to_string()),
        ("total_s", secs(begun.elapsed())),
    ]);
    figures("kill -9 each service, then all; stack up", &line);
    assert_eq!((lost, duplicated), (0, 0));
}

/// Kafka killed with SIGKILL while 300,000 records are being produced, and `stack up` 5 s later:
/// the idempotent producer delivers every record once; a consumer finds each click id of the
/// run exactly as often as the generator made it.
#[tokio::test]
#[ignore = "chaos suite: make chaos"]
async fn kafka_killed_mid_produce_loses_and_duplicates_nothing() {
    let begun = Instant::now();
    let chaos = Private::start(&KAFKA);
    let topic = unique("kafka-kill");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("manifest.json");
    let manifest_arg = path_arg(&manifest);
    #[rustfmt::skip]
    let mut produce = Running::start(&KAFKA, &["produce", "--topic", &topic, "--count", "300000",
        "--seed", "17", "--rate", "20000", "--manifest", &manifest_arg]);
    produce
        .until("60,000 acknowledged", Duration::from_secs(120), |l| {
            acknowledged(l) >= 60_000
        })
        .await;
    let killed = chaos.kill9("kafka");
    tokio::time::sleep(OUTAGE).await;
    chaos.up();
    let down = killed.elapsed();
    let (code, summary, said) = produce.finish(Duration::from_secs(300)).await;
    let recovered = killed.elapsed();

    let records = read_topic(&KAFKA, &topic).await;
    let (lost, duplicated) = lost_and_duplicated(&expected_ids(17, 300_000), &records);
    let field = |key: &str| {
        summary
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{key}=")))
            .unwrap_or("?")
            .to_owned()
    };
    #[rustfmt::skip]
    figures("kill -9 kafka mid-produce", &[
        ("produced", field("sent")), ("acknowledged", field("acknowledged")),
        ("counted", records.len().to_string()), ("lost", lost.to_string()),
        ("duplicated", duplicated.to_string()), ("down_s", secs(down)),
        ("recover_s", secs(recovered)), ("total_s", secs(begun.elapsed())),
    ]);
    assert_eq!(code, Some(0), "{summary}\n{said}");
    assert_eq!(read_manifest(&manifest).total_events, 300_000);
    assert_eq!((lost, duplicated), (0, 0), "{summary}");
}

/// The registry killed with SIGKILL while a run produces: the run carries on with the id it was
/// given, a run started meanwhile stops with one clear line, and after `stack up` every record's
/// Confluent header names the id the registry gives for the subject.
#[tokio::test]
#[ignore = "chaos suite: make chaos"]
async fn registry_killed_mid_produce_gives_no_record_a_wrong_schema_id() {
    let begun = Instant::now();
    let chaos = Private::start(&REGISTRY);
    let topic = unique("registry-kill");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = path_arg(&dir.path().join("manifest.json"));
    #[rustfmt::skip]
    let mut produce = Running::start(&REGISTRY, &["produce", "--topic", &topic, "--count",
        "200000", "--seed", "23", "--rate", "20000", "--manifest", &manifest]);
    produce
        .until("20,000 acknowledged", Duration::from_secs(120), |l| {
            acknowledged(l) >= 20_000
        })
        .await;
    let killed = chaos.kill9("registry");
    let other = unique("registry-down");
    let refused = REGISTRY.run(&["produce", "--topic", &other, "--count", "10"]);
    let error = one_clear_line(refused.status.code(), &stderr(&refused));
    assert!(
        error.contains("cannot reach the schema registry"),
        "{error}"
    );
    tokio::time::sleep(OUTAGE.saturating_sub(killed.elapsed())).await;
    chaos.up();
    let down = killed.elapsed();
    let (code, summary, said) = produce.finish(Duration::from_secs(300)).await;

    let id = latest_id(&REGISTRY, &format!("{topic}-value"));
    let records = read_topic(&REGISTRY, &topic).await;
    let wrong = records.iter().filter(|r| r.schema_id != id).count();
    let (lost, duplicated) = lost_and_duplicated(&expected_ids(23, 200_000), &records);
    #[rustfmt::skip]
    let again = REGISTRY.run(&["produce", "--topic", &topic, "--count", "10", "--seed", "24"]);
    assert_ok(&again, "produce after the restart");
    #[rustfmt::skip]
    figures("kill -9 registry mid-produce", &[
        ("produced", summary_field(&summary, "sent")),
        ("acknowledged", summary_field(&summary, "acknowledged")),
        ("counted", records.len().to_string()), ("wrong_schema_id", wrong.to_string()),
        ("lost", lost.to_string()), ("duplicated", duplicated.to_string()),
        ("down_s", secs(down)), ("total_s", secs(begun.elapsed())),
    ]);
    assert_eq!(code, Some(0), "{summary}\n{said}");
    assert_eq!(
        summary_field(&summary, "schema_id"),
        id.to_string(),
        "{summary}"
    );
    assert_eq!(wrong, 0, "every header names schema id {id}");
    assert_eq!((lost, duplicated), (0, 0));
    let after = stdout(&again);
    assert_eq!(
        summary_field(&after, "schema_id"),
        id.to_string(),
        "{after}"
    );
}

/// Spark Connect killed with SIGKILL while a batch job reads 300,000 records: the job stops with
/// one clear line and exit code 1; after `stack up` the rerun reconciles with the manifest.
#[tokio::test]
#[ignore = "chaos suite: make chaos"]
async fn spark_killed_mid_batch_is_one_clear_error_and_the_rerun_reconciles() {
    let begun = Instant::now();
    let chaos = Private::start(&BATCH);
    let topic = unique("batch-kill");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = path_arg(&dir.path().join("manifest.json"));
    #[rustfmt::skip]
    let produced = BATCH.run(&["produce", "--topic", &topic, "--count", "300000", "--seed",
                               "29", "--manifest", &manifest]);
    assert_ok(&produced, "produce");
    #[rustfmt::skip]
    let args = ["batch", "--topic", &topic, "--verify", &manifest, "--no-write",
                "--format", "json"];
    let mut batch = Running::start(&BATCH, &args);
    batch
        .until("the decoding stage", Duration::from_secs(300), |l| {
            l.contains("reading 300000 records")
        })
        .await;
    let killed = chaos.kill9("spark");
    let (code, _, said) = batch.finish(Duration::from_secs(180)).await;
    let failed_after = killed.elapsed();
    let error = one_clear_line(code, &said);
    chaos.up();
    let down = killed.elapsed();
    let rerun_begun = Instant::now();
    let rerun = BATCH.run(&args);
    let rerun_took = rerun_begun.elapsed();
    assert_ok(&rerun, "batch --verify after stack up");
    let failed = failed_checks(&rerun);
    #[rustfmt::skip]
    figures("kill -9 spark mid-batch", &[
        ("produced", summary_field(&stdout(&produced), "acknowledged")),
        ("exit", format!("{code:?}")), ("failed_after_s", secs(failed_after)),
        ("down_s", secs(down)), ("rerun_s", secs(rerun_took)),
        ("failed_checks", failed.len().to_string()), ("total_s", secs(begun.elapsed())),
    ]);
    println!("chaos: kill -9 spark mid-batch: the job said: {error}");
    assert!(failed.is_empty(), "{failed:?}");
}

/// Spark Connect killed with SIGKILL while a streaming query reads a topic a producer is still
/// filling: the stream stops with one clear line; after `stack up` the query resumes from its
/// checkpoint under the state folder, and its windows equal the batch job's and the manifest's.
#[tokio::test]
#[ignore = "chaos suite: make chaos"]
async fn spark_killed_mid_stream_resumes_from_its_checkpoint_with_the_batch_totals() {
    let begun = Instant::now();
    let chaos = Private::start(&STREAM);
    let topic = unique("stream-kill");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("manifest.json");
    let state = path_arg(&STREAM.data_dir().join("stream").join(&topic));
    assert_ok(&STREAM.run(&["topic", "create", &topic]), "topic create");
    #[rustfmt::skip]
    let mut produce = Running::start(&STREAM, &["produce", "--topic", &topic, "--count", "60000",
        "--seed", "31", "--rate", "2000", "--manifest", &path_arg(&manifest)]);
    produce
        .until("a first acknowledgement", Duration::from_secs(120), |l| {
            acknowledged(l) > 0
        })
        .await;
    #[rustfmt::skip]
    let stream_args = ["stream", "--topic", &topic, "--format", "json", "--checkpoint-location", &state,
                       "--window", "1m"];
    let stream = Running::start(&STREAM, &stream_args);
    // The JSON events go to stdout; stderr says nothing until the end, so the checkpoint is
    // watched instead: a committed micro-batch leaves a file in `commits/`.
    let commits = std::path::PathBuf::from(&state);
    wait_for_commit(&commits, Duration::from_secs(300)).await;
    let killed = chaos.kill9("spark");
    let (code, _, said) = stream.finish(Duration::from_secs(180)).await;
    let failed_after = killed.elapsed();
    let error = one_clear_line(code, &said);
    chaos.up();
    let down = killed.elapsed();
    let (pcode, summary, psaid) = produce.finish(Duration::from_secs(300)).await;
    assert_eq!(pcode, Some(0), "{summary}\n{psaid}");

    let resumed_begun = Instant::now();
    let mut args = stream_args.to_vec();
    args.extend(["--trigger", "available-now"]);
    let resumed = STREAM.run(&args);
    let resume_took = resumed_begun.elapsed();
    assert_ok(&resumed, "stream resumed after stack up");
    let events: Vec<Value> = stdout(&resumed)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let started = events.iter().find(|e| e["type"] == "started");
    let was_resumed = started.is_some_and(|e| e["data"]["resumed"] == true);
    let last = events.last().filter(|e| e["type"] == "summary");
    let last = last.unwrap_or_else(|| panic!("no summary: {}", stdout(&resumed)));
    let streamed = by_minute(&last["data"]["windows"], "window_start_ms");

    let batch = STREAM.run(&["batch", "--topic", &topic, "--no-write", "--format", "json"]);
    assert_ok(&batch, "batch");
    let doc: Value = serde_json::from_str(&stdout(&batch)).unwrap_or_else(|e| panic!("{e}"));
    let batched = by_minute(&doc["report"]["per_minute"], "minute_ms");
    let m = read_manifest(&manifest);
    let expected: BTreeMap<i64, (u64, u64)> = m
        .per_minute
        .iter()
        .map(|(minute, t)| {
            let cost = t.cost_cents + t.duplicate_cost_cents;
            (*minute, (t.clicks + t.duplicates, cost))
        })
        .collect();
    let clicks = |t: &BTreeMap<i64, (u64, u64)>| t.values().map(|v| v.0).sum::<u64>();
    #[rustfmt::skip]
    figures("kill -9 spark mid-stream", &[
        ("produced", summary_field(&summary, "acknowledged")),
        ("streamed_clicks", clicks(&streamed).to_string()),
        ("batch_clicks", clicks(&batched).to_string()),
        ("manifest_clicks", clicks(&expected).to_string()),
        ("exit", format!("{code:?}")), ("failed_after_s", secs(failed_after)),
        ("down_s", secs(down)), ("resume_s", secs(resume_took)),
        ("total_s", secs(begun.elapsed())),
    ]);
    println!("chaos: kill -9 spark mid-stream: the stream said: {error}");
    assert!(was_resumed, "resumed from the checkpoint: {started:?}");
    assert_eq!(streamed, batched, "stream and batch agree");
    assert_eq!(streamed, expected, "and both equal the manifest");
}

/// Waits until the checkpoint under `state` has a committed micro-batch, within `limit`.
async fn wait_for_commit(state: &Path, limit: Duration) {
    let committed = || {
        walk(state)
            .iter()
            .any(|p| p.parent().is_some_and(|d| d.ends_with("commits")))
    };
    let found = tokio::time::timeout(limit, async {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        while !committed() {
            tick.tick().await;
        }
    })
    .await;
    assert!(found.is_ok(), "no committed micro-batch under {state:?}");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
