//! Seed step 5 from the command line against the real stack: `kafka-demo stream` reads what
//! `kafka-demo produce` wrote — v1 and v2 records and poison pills together — and its final
//! event-time windows equal the batch job's counts and the producer's manifests exactly; a run
//! resumed from its checkpoint counts nothing twice and drops (and counts) clicks behind the
//! watermark; bad input fails with a clear message.

mod common;

use common::{assert_ok, copy_records, path_arg, stderr, stdout, unique, SHARED};
use serde_json::Value;
use shared::generator::Manifest;
use std::collections::BTreeMap;
use std::path::Path;

const MINUTE_MS: i64 = 60_000;

fn produce(topic: &str, manifest: &Path, extra: &[&str]) -> Manifest {
    let path = path_arg(manifest);
    let mut args = vec!["produce", "--topic", topic, "--manifest", &path];
    args.extend_from_slice(extra);
    assert_ok(&SHARED.run(&args), "produce");
    let text = std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("manifest: {e}"))
}

/// Runs `stream --trigger available-now --format json` with its checkpoints in the folder
/// `state` and returns its events and summary.
fn stream(topic: &str, state: &Path, extra: &[&str]) -> (Vec<Value>, Value) {
    stream_at(topic, &path_arg(state), extra)
}

/// [`stream`] with its checkpoints at `location`, a path or a URI.
fn stream_at(topic: &str, location: &str, extra: &[&str]) -> (Vec<Value>, Value) {
    #[rustfmt::skip]
    let mut args = vec!["stream", "--topic", topic, "--trigger", "available-now", "--format",
                        "json", "--checkpoint-location", location, "--interval", "100ms"];
    args.extend_from_slice(extra);
    let out = SHARED.run(&args);
    assert_ok(&out, "stream");
    let mut events: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summary = events
        .pop()
        .filter(|s| s["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary last in {}\n{}", stdout(&out), stderr(&out)));
    (events, summary["data"].clone())
}

/// (clicks, cost in cents) keyed by `key` over the summary's windows.
fn windows_by<K: Ord>(summary: &Value, key: impl Fn(&Value) -> K) -> BTreeMap<K, (u64, u64)> {
    let mut map = BTreeMap::new();
    for w in summary["windows"].as_array().into_iter().flatten() {
        let entry = map.entry(key(w)).or_insert((0, 0));
        entry.0 += w["clicks"].as_u64().unwrap_or(0);
        entry.1 += w["cost_cents"].as_u64().unwrap_or(0);
    }
    map
}

fn minute_of(w: &Value) -> i64 {
    let start = w["window_start_ms"].as_i64().unwrap_or(-1);
    start.div_euclid(MINUTE_MS) * MINUTE_MS
}

fn creative_of(w: &Value) -> String {
    w["creative_id"].as_str().unwrap_or_default().to_owned()
}

/// Records on the topic per minute and per creative, from the manifests of the runs that
/// filled it: first deliveries and duplicates, with their cost.
type Tallies<K> = BTreeMap<K, (u64, u64)>;

fn expected(manifests: &[&Manifest]) -> (Tallies<i64>, Tallies<String>) {
    let (mut minutes, mut creatives) = (BTreeMap::new(), BTreeMap::new());
    for m in manifests {
        for (minute, t) in &m.per_minute {
            let e = minutes.entry(*minute).or_insert((0, 0));
            e.0 += t.clicks + t.duplicates;
            e.1 += t.cost_cents + t.duplicate_cost_cents;
        }
        for (creative, t) in &m.per_creative {
            let e = creatives.entry(creative.clone()).or_insert((0, 0));
            e.0 += t.clicks + t.duplicates;
            e.1 += t.cost_cents + t.duplicate_cost_cents;
        }
    }
    (minutes, creatives)
}

/// The summary's record counts by outcome, over all schema ids.
fn outcomes(summary: &Value) -> BTreeMap<String, u64> {
    let mut map = BTreeMap::new();
    for r in summary["records"].as_array().into_iter().flatten() {
        let outcome = r["outcome"].as_str().unwrap_or_default().to_owned();
        *map.entry(outcome).or_insert(0) += r["records"].as_u64().unwrap_or(0);
    }
    map
}

/// The batch job's per-minute and per-creative tables over the same topic.
fn batch_tables(topic: &str) -> (Tallies<i64>, Tallies<String>, Value) {
    let out = SHARED.run(&["batch", "--topic", topic, "--no-write", "--format", "json"]);
    assert_ok(&out, "batch");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    let report = doc["report"].clone();
    let pair = |v: &Value| {
        (
            v["clicks"].as_u64().unwrap_or(0),
            v["cost_cents"].as_u64().unwrap_or(0),
        )
    };
    let minutes = report["per_minute"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| (m["minute_ms"].as_i64().unwrap_or(-1), pair(m)))
        .collect();
    let creatives = report["per_creative"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (c["key"].as_str().unwrap_or_default().to_owned(), pair(c)))
        .collect();
    (minutes, creatives, report)
}

/// A three-partition topic filled by a v1 run with every kind of poison pill and duplicates,
/// then a v2 run, streamed with `available-now`: the final windows equal the batch job's
/// per-minute and per-creative tables and the manifests, and the pills are counted, not fatal.
#[tokio::test]
async fn drained_windows_equal_the_batch_job_and_the_manifests() {
    SHARED.ensure_up().await;
    let topic = unique("stream-mixed");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    #[rustfmt::skip]
    let m1 = produce(&topic, &dir.path().join("v1.json"), &[
        "--count", "6000", "--seed", "41", "--partitions", "3", "--duplicates", "0.02",
        "--wrong-magic", "0.005", "--unknown-schema-id", "0.005", "--truncated", "0.005",
    ]);
    #[rustfmt::skip]
    let m2 = produce(&topic, &dir.path().join("v2.json"), &[
        "--count", "2000", "--seed", "42", "--schema", "schemas/click_v2.avsc",
    ]);
    let (events, summary) = stream(&topic, &dir.path().join("state"), &["--window", "1m"]);

    let started = events.iter().find(|e| e["type"] == "started");
    let started = started.unwrap_or_else(|| panic!("no started event in {events:?}"));
    assert_eq!(started["data"]["resumed"], false, "{started}");
    assert_eq!(
        started["data"]["schema_ids"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(events.iter().any(|e| e["type"] == "progress"), "{events:?}");

    let (minutes, creatives) = expected(&[&m1, &m2]);
    assert_eq!(windows_by(&summary, minute_of), minutes);
    assert_eq!(windows_by(&summary, creative_of), creatives);
    let (batch_minutes, batch_creatives, report) = batch_tables(&topic);
    assert_eq!(windows_by(&summary, minute_of), batch_minutes);
    assert_eq!(windows_by(&summary, creative_of), batch_creatives);

    let counts = outcomes(&summary);
    assert_eq!(
        counts.get("decoded").copied(),
        report["totals"]["clicks"].as_u64(),
        "{counts:?}"
    );
    for (reason, n) in report["poison_counts"].as_object().into_iter().flatten() {
        assert_eq!(
            counts.get(reason).copied(),
            n.as_u64(),
            "{reason}: {counts:?}"
        );
    }
    assert_eq!(
        counts.get("wrong_magic").copied(),
        Some(m1.poison.wrong_magic.len() as u64)
    );
    assert_eq!(summary["dropped_by_watermark"], 0, "{summary}");
    assert_eq!(summary["late_clicks"], 0, "{summary}");
    assert_eq!(summary["stopped"], "drained");
}

/// A run resumed from its checkpoint reads only what came after it and counts nothing twice;
/// clicks whose windows the watermark has closed are dropped and counted.
#[tokio::test]
async fn a_resumed_run_counts_nothing_twice_and_drops_clicks_behind_the_watermark() {
    SHARED.ensure_up().await;
    let topic = unique("stream-resume");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = dir.path().join("state");
    // 6000 clicks at 100/s of event time span a minute: the watermark ends 30 s in.
    #[rustfmt::skip]
    let first = produce(&topic, &dir.path().join("a.json"), &[
        "--count", "6000", "--seed", "51", "--partitions", "1",
    ]);
    let window = ["--window", "10s"];
    let (_, before) = stream(&topic, &state, &window);
    let (minutes, creatives) = expected(&[&first]);
    assert_eq!(windows_by(&before, minute_of), minutes);
    assert_eq!(windows_by(&before, creative_of), creatives);
    assert_eq!(before["late_clicks"], 0, "{before}");

    // A second run starts its event time where the first did, in windows that closed, and
    // some of its clicks are later still.
    #[rustfmt::skip]
    let late = produce(&topic, &dir.path().join("b.json"), &[
        "--count", "300", "--seed", "52", "--late", "0.2", "--late-by-ms", "600000",
    ]);
    let late_records = late.totals.clicks + late.totals.duplicates;
    let (events, after) = stream(&topic, &state, &window);
    let started = events.iter().find(|e| e["type"] == "started");
    let started = started.unwrap_or_else(|| panic!("no started event in {events:?}"));
    assert_eq!(started["data"]["resumed"], true, "{started}");
    assert_eq!(windows_by(&after, minute_of), minutes, "{after}");
    assert_eq!(windows_by(&after, creative_of), creatives);
    assert_eq!(
        outcomes(&after).get("decoded").copied(),
        Some(6000 + late_records)
    );
    assert_eq!(after["late_clicks"].as_u64(), Some(late_records), "{after}");
    // Spark counts the rows that reach its state store, after the partial aggregation before
    // the shuffle: groups of late clicks, not clicks.
    let dropped = after["dropped_by_watermark"].as_u64().unwrap_or(0);
    assert!(dropped > 0 && dropped <= late_records, "{after}");
}

/// Checkpoints at a `file:` URI: the first run begins a checkpoint there (listed by Spark under
/// `starts/`), the second resumes it and still ends with every window — the results offset is
/// read back from the location, not from this machine — and `--fresh` begins another beside
/// it that counts everything again. Each time the totals equal the batch job's.
#[tokio::test]
async fn a_checkpoint_at_a_file_uri_resumes_with_the_batch_totals() {
    SHARED.ensure_up().await;
    let topic = unique("stream-uri");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cp = dir.path().join("spark-side").join("cp");
    let uri = format!("file://{}", cp.display());
    #[rustfmt::skip]
    let first = produce(&topic, &dir.path().join("a.json"), &[
        "--count", "1200", "--seed", "81", "--partitions", "2", "--truncated", "0.01",
    ]);
    let started = |events: &[Value]| {
        events
            .iter()
            .find(|e| e["type"] == "started")
            .map(|e| e["data"].clone())
            .unwrap_or_else(|| panic!("no started event in {events:?}"))
    };
    let (events, before) = stream_at(&topic, &uri, &[]);
    let begun = started(&events);
    assert_eq!(begun["resumed"], false, "{begun}");
    let checkpoint = begun["checkpoint"].as_str().unwrap_or_default().to_owned();
    assert!(checkpoint.starts_with(&format!("{uri}/cp-")), "{begun}");
    assert!(
        cp.join("starts").join("_SUCCESS").is_file(),
        "no starts/ under {uri}"
    );
    let (minutes, creatives) = expected(&[&first]);
    assert_eq!(windows_by(&before, minute_of), minutes);
    assert_eq!(windows_by(&before, creative_of), creatives);

    #[rustfmt::skip]
    let second = produce(&topic, &dir.path().join("b.json"), &["--count", "300", "--seed", "82"]);
    let (events, after) = stream_at(&topic, &uri, &[]);
    let again = started(&events);
    assert_eq!(again["resumed"], true, "{again}");
    assert_eq!(again["checkpoint"].as_str(), Some(checkpoint.as_str()));
    let (batch_minutes, batch_creatives, report) = batch_tables(&topic);
    assert_eq!(windows_by(&after, minute_of), batch_minutes);
    assert_eq!(windows_by(&after, creative_of), batch_creatives);
    assert_eq!(
        outcomes(&after).get("decoded").copied(),
        report["totals"]["clicks"].as_u64()
    );
    assert_eq!(expected(&[&first, &second]).1, batch_creatives);

    let (events, fresh) = stream_at(&topic, &uri, &["--fresh"]);
    let anew = started(&events);
    assert_eq!(anew["resumed"], false, "{anew}");
    assert_ne!(anew["checkpoint"].as_str(), Some(checkpoint.as_str()));
    assert_eq!(windows_by(&fresh, creative_of), batch_creatives);
}

/// A checkpoint location the Spark server cannot use ends the run before the queries start,
/// with Spark's reason, the location and the flag.
#[tokio::test]
async fn an_unusable_checkpoint_location_fails_fast_naming_it() {
    SHARED.ensure_up().await;
    let topic = unique("stream-badcp");
    assert_ok(&SHARED.run(&["topic", "create", &topic]), "topic create");
    #[rustfmt::skip]
    let out = SHARED.run(&["stream", "--topic", &topic, "--trigger", "available-now",
                           "--checkpoint-location", "foo://x/y", "--step-timeout", "1m"]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains(
            "Spark cannot keep the checkpoints at foo://x/y: No FileSystem for scheme \"foo\""
        ) && last.contains("give --checkpoint-location a location"),
        "{err}"
    );
    assert!(!err.contains("streaming queries"), "{err}");
}

#[tokio::test]
async fn an_unknown_topic_is_a_clear_error() {
    SHARED.ensure_up().await;
    let topic = unique("stream-missing");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    #[rustfmt::skip]
    let out = SHARED.run(&["stream", "--topic", &topic, "--trigger", "available-now",
                           "--checkpoint-location", &path_arg(dir.path())]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("topic {topic} does not exist")),
        "{err}"
    );
}

#[tokio::test]
async fn spark_connect_down_is_one_clear_line() {
    SHARED.ensure_up().await;
    let topic = unique("stream-nospark");
    assert_ok(&SHARED.run(&["topic", "create", &topic]), "topic create");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    // The listener is dropped: nothing answers on the port now.
    let url = format!("sc://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    #[rustfmt::skip]
    let out = SHARED.run(&["stream", "--topic", &topic, "--spark-url", &url,
                           "--checkpoint-location", &path_arg(dir.path())]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!("cannot reach Spark Connect at {url}"))
            && last.contains("--spark-url"),
        "{err}"
    );
}

/// A running `kafka-demo stream --format json`, its events read as they come.
struct Running {
    child: tokio::process::Child,
    events: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    errors: tokio::task::JoinHandle<String>,
    seen: Vec<Value>,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
        let mut cmd = tokio::process::Command::from(common::command(&SHARED.flags(), args));
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
        let (Some(out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
            panic!("no pipes")
        };
        let errors = tokio::spawn(async move {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text).await;
            text
        });
        Self {
            child,
            events: BufReader::new(out).lines(),
            errors,
            seen: Vec::new(),
        }
    }

    /// The first event from now on that `matches`, within `secs` seconds.
    async fn until(&mut self, what: &str, secs: u64, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Duration::from_secs(secs);
        let found = tokio::time::timeout(deadline, async {
            while let Ok(Some(line)) = self.events.next_line().await {
                let event: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
                self.seen.push(event.clone());
                if matches(&event) {
                    return Some(event);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(event)) => event,
            _ => panic!("no {what} within {secs} s; events so far: {:?}", self.seen),
        }
    }

    /// An event seen already or coming within `secs` seconds that `matches`.
    async fn seen_or_until(
        &mut self,
        what: &str,
        secs: u64,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        match self.seen.iter().find(|e| matches(e)) {
            Some(event) => event.clone(),
            None => self.until(what, secs, matches).await,
        }
    }

    fn interrupt(&self) {
        let pid = self.child.id().and_then(|id| i32::try_from(id).ok());
        let pid = pid.unwrap_or_else(|| panic!("stream already exited"));
        let signal = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        );
        assert!(signal.is_ok(), "{signal:?}");
    }

    /// Waits for the exit; its code and everything it wrote to stderr.
    async fn finish(mut self, secs: u64) -> (Option<i32>, String, Vec<Value>) {
        let deadline = std::time::Duration::from_secs(secs);
        let status = tokio::time::timeout(deadline, async {
            while let Ok(Some(line)) = self.events.next_line().await {
                if let Ok(event) = serde_json::from_str(&line) {
                    self.seen.push(event);
                }
            }
            self.child.wait().await
        })
        .await;
        let Ok(Ok(status)) = status else {
            panic!("stream did not exit within {secs} s: {:?}", self.seen)
        };
        let errors = self.errors.await.unwrap_or_default();
        (status.code(), errors, self.seen)
    }
}

fn is(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |e| e["type"] == kind
}

/// A processing-time run: results and progress flow while it runs; a writer schema registered
/// meanwhile restarts the queries from their checkpoint to decode it; Ctrl-C stops them
/// cleanly; and a later run resumes with nothing lost or counted twice.
#[tokio::test]
async fn a_live_run_picks_up_a_new_schema_stops_on_ctrl_c_and_resumes() {
    SHARED.ensure_up().await;
    let topic = unique("stream-live");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = path_arg(&dir.path().join("state"));
    #[rustfmt::skip]
    let m1 = produce(&topic, &dir.path().join("v1.json"), &[
        "--count", "2000", "--seed", "61", "--partitions", "1", "--wrong-magic", "0.01",
    ]);
    #[rustfmt::skip]
    let mut run = Running::start(&["stream", "--topic", &topic, "--trigger", "processing",
        "--interval", "500ms", "--format", "json", "--checkpoint-location", &state]);
    let started = run.until("start", 180, is("started")).await;
    assert_eq!(
        started["data"]["schema_ids"].as_array().map(Vec::len),
        Some(1)
    );
    run.seen_or_until("window result", 180, is("window")).await;
    run.seen_or_until("progress", 60, is("progress")).await;

    #[rustfmt::skip]
    let out = SHARED.run(&["schema", "register", "schemas/click_v2.avsc", "--topic", &topic]);
    assert_ok(&out, "schema register");
    let (_, _, v2) = common::registered(&out);
    run.until("restart", 60, is("restarting")).await;
    let again = run.until("restarted", 120, is("started")).await;
    assert_eq!(again["data"]["resumed"], true, "{again}");
    let ids = again["data"]["schema_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(ids.contains(&Value::from(v2)), "{again}");

    #[rustfmt::skip]
    let m2 = produce(&topic, &dir.path().join("v2.json"), &[
        "--count", "1000", "--seed", "62", "--schema", "schemas/click_v2.avsc",
    ]);
    run.until("v2 records decoded", 120, |e| {
        e["type"] == "records"
            && e["data"]["outcome"] == "decoded"
            && e["data"]["schema_id"] == v2
            && e["data"]["records"] == 1000
    })
    .await;
    run.interrupt();
    let (code, errors, events) = run.finish(120).await;
    assert_eq!(code, Some(0), "{errors}");
    let summary = events
        .last()
        .filter(|e| e["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {events:?}\n{errors}"));
    assert_eq!(summary["data"]["stopped"], "cancelled", "{summary}");
    assert_eq!(summary["data"]["restarts"], 1, "{summary}");

    // Resumed and drained: exactly the manifests, nothing lost, nothing twice.
    let (events, after) = stream(&topic, &dir.path().join("state"), &[]);
    assert!(events
        .iter()
        .any(|e| e["type"] == "started" && e["data"]["resumed"] == true));
    let (minutes, creatives) = expected(&[&m1, &m2]);
    assert_eq!(windows_by(&after, minute_of), minutes);
    assert_eq!(windows_by(&after, creative_of), creatives);
    let counts = outcomes(&after);
    assert_eq!(
        counts.get("wrong_magic").copied(),
        Some(m1.poison.wrong_magic.len() as u64)
    );
    assert_eq!(after["late_clicks"], 0, "{after}");
}

/// Text output for people: window lines as they update, then the final windows and counts.
#[tokio::test]
async fn text_output_ends_with_the_final_windows() {
    SHARED.ensure_up().await;
    let topic = unique("stream-text");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    #[rustfmt::skip]
    produce(&topic, &dir.path().join("m.json"), &[
        "--count", "500", "--seed", "71", "--partitions", "1", "--truncated", "0.02",
    ]);
    #[rustfmt::skip]
    let out = SHARED.run(&["stream", "--topic", &topic, "--trigger", "available-now",
                           "--checkpoint-location", &path_arg(&dir.path().join("state"))]);
    assert_ok(&out, "stream");
    let text = stdout(&out);
    assert!(text.contains("window 2024-01-01T00:00:00.000Z"), "{text}");
    assert!(text.contains("final windows ("), "{text}");
    assert!(text.contains("undecodable"), "{text}");
    assert!(text.contains("dropped by watermark 0"), "{text}");
    let err = stderr(&out);
    assert!(
        err.contains("started streaming queries") && err.contains("batch"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// A topic with no subject of its own streams with the writers its records name.
#[tokio::test]
async fn a_topic_without_a_subject_streams_with_the_ids_its_records_name() {
    let config = SHARED.ensure_up().await;
    let (topic, source) = (unique("stream-bare"), unique("stream-source"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    #[rustfmt::skip]
    let manifest = produce(&source, &dir.path().join("m.json"), &[
        "--count", "600", "--seed", "91", "--partitions", "1", "--wrong-magic", "0.02",
    ]);
    #[rustfmt::skip]
    assert_ok(&SHARED.run(&["topic", "create", &topic, "--partitions", "1"]), "topic create");
    copy_records(&config.kafka, &source, &topic, 600).await;
    let (_, summary) = stream(&topic, &dir.path().join("state"), &[]);
    let (minutes, creatives) = expected(&[&manifest]);
    assert_eq!(windows_by(&summary, minute_of), minutes);
    assert_eq!(windows_by(&summary, creative_of), creatives);
    let wrong = manifest.poison.wrong_magic.len() as u64;
    assert_eq!(outcomes(&summary).get("wrong_magic").copied(), Some(wrong));
}

/// `--duration` ends a processing-time run by itself, with its results.
#[tokio::test]
async fn a_processing_run_ends_after_its_duration() {
    SHARED.ensure_up().await;
    let topic = unique("stream-duration");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    #[rustfmt::skip]
    let manifest = produce(&topic, &dir.path().join("m.json"), &[
        "--count", "300", "--seed", "95", "--partitions", "1",
    ]);
    let state = path_arg(&dir.path().join("state"));
    #[rustfmt::skip]
    let mut run = Running::start(&["stream", "--topic", &topic, "--duration", "20s",
        "--interval", "500ms", "--format", "json", "--checkpoint-location", &state]);
    // Results arrive while it runs; then it stops by itself.
    run.until("all 300 clicks in windows", 120, |e| {
        e["type"] == "records" && e["data"]["outcome"] == "decoded" && e["data"]["records"] == 300
    })
    .await;
    let (code, errors, events) = run.finish(120).await;
    assert_eq!(code, Some(0), "{errors}");
    let summary = events
        .last()
        .filter(|e| e["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {events:?}\n{errors}"));
    assert_eq!(summary["data"]["stopped"], "duration", "{summary}");
    let (minutes, _) = expected(&[&manifest]);
    assert_eq!(windows_by(&summary["data"], minute_of), minutes);
}
