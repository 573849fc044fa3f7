//! Seed steps 2 and 3 from the command line against the real stack: what `produce` writes,
//! `consume` reads back exactly as the manifest says, poison pills included.

mod common;

use common::{assert_ok, path_arg, stderr, stdout, unique, SHARED};
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::{Headers as _, Message as _, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use shared::generator::{Event, Generator, GeneratorConfig, Manifest};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// A consumed record, as `consume --format jsonl` prints it.
#[derive(Debug)]
struct Record {
    partition: i64,
    offset: i64,
    schema_id: u64,
    value: serde_json::Map<String, Value>,
}

impl Record {
    fn text(&self, field: &str) -> String {
        self.value
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no text field {field} in {:?}", self.value))
            .to_owned()
    }

    fn cents(&self) -> u64 {
        let cost = self
            .value
            .get("cost")
            .and_then(Value::as_f64)
            .unwrap_or(-1.0);
        (cost * 100.0).round() as u64
    }
}

fn records(out: &Output) -> Vec<Record> {
    stdout(out)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            let number = |k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(-1);
            Record {
                partition: number("partition"),
                offset: number("offset"),
                schema_id: v.get("schema_id").and_then(Value::as_u64).unwrap_or(0),
                value: v
                    .get("value")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_else(|| panic!("no value in {line}")),
            }
        })
        .collect()
}

/// `poison pill: partition=P offset=O reason=K: …` lines, as (partition, offset) → kind.
fn poison_lines(out: &Output) -> BTreeMap<(i64, i64), String> {
    stderr(out)
        .lines()
        .filter_map(|l| l.strip_prefix("poison pill: "))
        .map(|rest| {
            let field = |key: &str| {
                rest.split_whitespace()
                    .find_map(|w| w.strip_prefix(key))
                    .map(|v| v.trim_end_matches(':').to_owned())
                    .unwrap_or_else(|| panic!("no {key} in {rest}"))
            };
            let number = |key: &str| field(key).parse::<i64>().unwrap_or(-1);
            ((number("partition="), number("offset=")), field("reason="))
        })
        .collect()
}

fn counts<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeMap<T, u64> {
    let mut map = BTreeMap::new();
    for item in items {
        *map.entry(item).or_insert(0) += 1;
    }
    map
}

fn read_manifest(path: &Path) -> Manifest {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("manifest: {e}"))
}

/// The events a manifest's run produced, generated again from its options.
fn replay(manifest: &Manifest) -> Vec<Event> {
    let config = GeneratorConfig::new(manifest.options.clone()).unwrap_or_else(|e| panic!("{e}"));
    Generator::new(config)
        .take(manifest.total_events as usize)
        .collect()
}

/// How often each click id occurs in `events`.
fn expected_ids(events: &[Event]) -> BTreeMap<String, u64> {
    counts(events.iter().filter_map(|e| match e {
        Event::Click { click, .. } | Event::Duplicate(click) => Some(click.id.clone()),
        Event::Poison(_) => None,
    }))
}

fn produce(topic: &str, manifest: &Path, extra: &[&str]) -> Output {
    let manifest = path_arg(manifest);
    let mut args = vec!["produce", "--topic", topic, "--manifest", &manifest];
    args.extend_from_slice(extra);
    let out = SHARED.run(&args);
    assert_ok(&out, "produce");
    out
}

fn consume(topic: &str, extra: &[&str]) -> Output {
    let mut args = vec!["consume", "--topic", topic, "--timeout", "30"];
    args.extend_from_slice(extra);
    let out = SHARED.run(&args);
    assert_ok(&out, "consume");
    out
}

#[tokio::test]
async fn every_produced_record_comes_back_as_the_manifest_says() {
    SHARED.ensure_up().await;
    let topic = unique("roundtrip");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest_path = dir.path().join("manifest.json");
    #[rustfmt::skip]
    let produced = produce(&topic, &manifest_path, &[
        "--count", "20000", "--seed", "42", "--duplicates", "0.02", "--late", "0.01",
        "--out-of-order", "0.02", "--compression", "lz4", "--partitions", "3",
    ]);
    assert!(
        stdout(&produced).contains("sent=20000 acknowledged=20000 failed=0 not_delivered=0"),
        "{}",
        stdout(&produced)
    );
    let manifest = read_manifest(&manifest_path);
    assert_eq!(manifest.total_events, 20_000);
    let expected = expected_ids(&replay(&manifest));
    assert_eq!(expected.len() as u64, manifest.totals.clicks);
    assert!(
        manifest.totals.duplicates > 0,
        "the run has duplicates to find"
    );

    let consumed = consume(&topic, &["--from-beginning", "--max", "20000"]);
    let records = records(&consumed);
    assert_eq!(records.len(), 20_000, "{}", stderr(&consumed));
    assert_eq!(counts(records.iter().map(|r| r.text("id"))), expected);

    let mut per_creative: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &records {
        let entry = per_creative.entry(r.text("creative_id")).or_default();
        entry.0 += 1;
        entry.1 += r.cents();
    }
    let want: BTreeMap<String, (u64, u64)> = manifest
        .per_creative
        .iter()
        .map(|(c, t)| {
            let n = t.clicks + t.duplicates;
            (c.clone(), (n, t.cost_cents + t.duplicate_cost_cents))
        })
        .collect();
    assert_eq!(per_creative, want);
    assert!(
        stderr(&consumed).contains("records=20000 poison_pills=0"),
        "{}",
        stderr(&consumed)
    );
}

#[tokio::test]
async fn poison_pills_are_reported_exactly_and_dead_lettered() {
    let config = SHARED.ensure_up().await;
    let topic = unique("poison");
    let dlq = format!("{topic}-dlq");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest_path = dir.path().join("manifest.json");
    #[rustfmt::skip]
    produce(&topic, &manifest_path, &[
        "--count", "3000", "--seed", "5", "--wrong-magic", "0.01",
        "--unknown-schema-id", "0.01", "--truncated", "0.01", "--duplicates", "0.01",
    ]);
    let manifest = read_manifest(&manifest_path);
    let pills = &manifest.poison;
    assert!(
        !pills.wrong_magic.is_empty()
            && !pills.unknown_schema_id.is_empty()
            && !pills.truncated.is_empty(),
        "{pills:?}"
    );
    // Two pills the generator does not make: an empty value and one too short for a header.
    let producer: FutureProducer = pipeline::kafka::client_config(&config.kafka)
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    for value in [&b""[..], &[0u8, 0, 1][..]] {
        let record = FutureRecord::<[u8], [u8]>::to(&topic).payload(value);
        let sent = producer.send(record, Duration::from_secs(30)).await;
        assert!(sent.is_ok(), "{sent:?}");
    }

    let total = manifest.total_events + 2;
    let consumed = consume(
        &topic,
        &[
            "--from-beginning",
            "--max",
            &total.to_string(),
            "--dlq",
            &dlq,
        ],
    );
    let reported = poison_lines(&consumed);
    let by_kind = counts(reported.values().cloned());
    let want = BTreeMap::from([
        ("too_short".to_owned(), 2),
        ("undecodable".to_owned(), pills.truncated.len() as u64),
        (
            "unknown_schema_id".to_owned(),
            pills.unknown_schema_id.len() as u64,
        ),
        ("wrong_magic".to_owned(), pills.wrong_magic.len() as u64),
    ]);
    assert_eq!(by_kind, want, "{}", stderr(&consumed));
    let records = records(&consumed);
    assert_eq!(
        counts(records.iter().map(|r| r.text("id"))),
        expected_ids(&replay(&manifest)),
        "every other record is delivered"
    );
    let summary = stderr(&consumed);
    assert!(
        summary.contains(&format!("dead_lettered={}", reported.len())),
        "{summary}"
    );

    let dead = read_topic(&config.kafka, &dlq, reported.len()).await;
    let mut seen = BTreeMap::new();
    for message in &dead {
        let headers = headers(message);
        let header = |k: &str| {
            headers
                .get(k)
                .cloned()
                .unwrap_or_else(|| panic!("no {k} in {headers:?}"))
        };
        assert_eq!(header("dlq.source.topic"), topic);
        let at = (
            header("dlq.source.partition").parse::<i64>().unwrap_or(-1),
            header("dlq.source.offset").parse::<i64>().unwrap_or(-1),
        );
        let reason = header("dlq.reason");
        let value = message.payload().unwrap_or_default();
        match reason.as_str() {
            "too_short" => assert!(value.len() < 5),
            "wrong_magic" => assert_eq!(value.first(), Some(&b'{')),
            _ => assert_eq!(value.first(), Some(&0)),
        }
        assert!(!header("dlq.detail").is_empty());
        seen.insert(at, reason);
    }
    assert_eq!(seen, reported, "the DLQ holds exactly the reported pills");
}

#[tokio::test]
async fn records_of_v1_and_v2_in_one_topic_both_decode() {
    SHARED.ensure_up().await;
    let topic = unique("mixed");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (m1, m2) = (dir.path().join("v1.json"), dir.path().join("v2.json"));
    let v1 = produce(&topic, &m1, &["--count", "500", "--seed", "1"]);
    #[rustfmt::skip]
    let v2 = produce(&topic, &m2, &[
        "--count", "500", "--seed", "2", "--schema", "schemas/click_v2.avsc",
    ]);
    let id_of = |out: &Output| {
        stdout(out)
            .split_whitespace()
            .find_map(|w| w.strip_prefix("schema_id="))
            .and_then(|id| id.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no schema id in {}", stdout(out)))
    };
    let (v1_id, v2_id) = (id_of(&v1), id_of(&v2));
    assert_ne!(v1_id, v2_id);
    assert!(stdout(&v2).contains("version=2"), "{}", stdout(&v2));

    let consumed = consume(&topic, &["--from-beginning", "--max", "1000"]);
    let records = records(&consumed);
    assert_eq!(
        counts(records.iter().map(|r| r.schema_id)),
        BTreeMap::from([(v1_id, 500), (v2_id, 500)])
    );
    for r in &records {
        let country = r.value.get("country");
        if r.schema_id == v2_id {
            assert_eq!(country, Some(&Value::Null), "{:?}", r.value);
        } else {
            assert_eq!(country, None, "{:?}", r.value);
        }
    }
    let mut expected = expected_ids(&replay(&read_manifest(&m1)));
    expected.extend(expected_ids(&replay(&read_manifest(&m2))));
    assert_eq!(counts(records.iter().map(|r| r.text("id"))), expected);
    assert!(
        stderr(&consumed).contains("schemas=2"),
        "{}",
        stderr(&consumed)
    );
}

#[tokio::test]
async fn a_group_restarted_mid_topic_skips_nothing() {
    SHARED.ensure_up().await;
    let topic = unique("restart");
    let group = unique("group");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest_path = dir.path().join("manifest.json");
    produce(&topic, &manifest_path, &["--count", "3000", "--seed", "9"]);
    let expected = expected_ids(&replay(&read_manifest(&manifest_path)));

    #[rustfmt::skip]
    let first = consume(&topic, &["--group", &group, "--from-beginning", "--max", "1000"]);
    #[rustfmt::skip]
    let second = consume(&topic, &["--group", &group, "--from-beginning", "--max", "2000"]);
    let (first, second) = (records(&first), records(&second));
    assert_eq!((first.len(), second.len()), (1000, 2000));
    let positions = |rs: &[Record]| -> BTreeSet<(i64, i64)> {
        rs.iter().map(|r| (r.partition, r.offset)).collect()
    };
    assert!(
        positions(&first).is_disjoint(&positions(&second)),
        "the second run starts after what the first committed"
    );
    let all = counts(first.iter().chain(&second).map(|r| r.text("id")));
    assert_eq!(all, expected, "together they saw every record");
}

#[tokio::test]
async fn ctrl_c_flushes_what_was_sent_and_writes_its_manifest() {
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
    SHARED.ensure_up().await;
    let topic = unique("interrupt");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest_path = dir.path().join("manifest.json");
    let manifest_arg = path_arg(&manifest_path);
    #[rustfmt::skip]
    let args = ["produce", "--topic", &topic, "--count", "1000000", "--rate", "2000",
                "--manifest", &manifest_arg];
    let mut cmd = tokio::process::Command::from(common::command(&SHARED.flags(), &args));
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    let (Some(mut out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        panic!("no pipes")
    };
    let mut err = BufReader::new(err).lines();
    let mut seen = String::new();
    let progress = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = err.next_line().await {
            seen.push_str(&line);
            seen.push('\n');
            if line.starts_with('[') && line.contains("sent") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(progress, Ok(true), "no progress line: {seen}");

    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .unwrap_or(0);
    let signal = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGINT,
    );
    assert!(signal.is_ok(), "{signal:?}");
    let finished = tokio::time::timeout(Duration::from_secs(60), async {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text).await;
        while let Ok(Some(line)) = err.next_line().await {
            seen.push_str(&line);
            seen.push('\n');
        }
        (text, child.wait().await)
    })
    .await;
    let Ok((summary, Ok(status))) = finished else {
        panic!("produce did not stop after Ctrl-C: {seen}")
    };
    assert_eq!(status.code(), Some(130), "{summary}\n{seen}");
    let sent: u64 = summary
        .split_whitespace()
        .find_map(|w| w.strip_prefix("sent="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(sent > 0 && sent < 1_000_000, "{summary}");
    assert!(
        summary.contains(&format!("sent={sent} acknowledged={sent} failed=0")),
        "{summary}"
    );
    let manifest = read_manifest(&manifest_path);
    assert_eq!(
        manifest.total_events, sent,
        "the manifest describes what was sent"
    );

    let consumed = consume(&topic, &["--from-beginning", "--max", &sent.to_string()]);
    let records = records(&consumed);
    assert_eq!(
        counts(records.iter().map(|r| r.text("id"))),
        expected_ids(&replay(&manifest))
    );
}

/// Reads `count` records of partition 0 of `topic` from the start, within a deadline.
async fn read_topic(
    kafka: &pipeline::settings::KafkaConfig,
    topic: &str,
    count: usize,
) -> Vec<OwnedMessage> {
    let consumer: StreamConsumer = pipeline::kafka::client_config(kafka)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap_or_else(|e| panic!("{e}"));
    consumer.assign(&list).unwrap_or_else(|e| panic!("{e}"));
    let mut messages = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while messages.len() < count {
            match consumer.recv().await {
                Ok(m) => messages.push(m.detach()),
                Err(e) => panic!("reading {topic}: {e}"),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "{} of {count} records in {topic}",
        messages.len()
    );
    messages
}

fn headers(message: &OwnedMessage) -> HashMap<String, String> {
    message
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    let value = String::from_utf8_lossy(h.value.unwrap_or_default());
                    (h.key.to_owned(), value.into_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn undelivered_records_fail_the_run_and_the_manifest_marks_them() {
    SHARED.ensure_up().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest_path = dir.path().join("manifest.json");
    let manifest = path_arg(&manifest_path);
    let topic = unique("undelivered");
    // A millisecond is too short for librdkafka to deliver anything: every record times out.
    #[rustfmt::skip]
    let out = SHARED.run(&[
        "produce", "--topic", &topic, "--count", "2000", "--manifest", &manifest,
        "-X", "message.timeout.ms=1", "-X", "linger.ms=0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ")
            && last.contains("of 2000 records were not delivered")
            && last.contains("timed out")
            && last.contains("lost: sequence numbers 0")
            && last.ends_with("marks them"),
        "{err}"
    );
    assert!(
        !stdout(&out).contains("not_delivered=0"),
        "{}",
        stdout(&out)
    );
    // The manifest names the lost records, and the topic (read by a second reader) lacks them.
    let written = read_manifest(&manifest_path);
    let lost: u64 = written.lost.iter().map(|r| r.last - r.first + 1).sum();
    assert!(lost > 0 && written.lost[0].first == 0, "{:?}", written.lost);
    let topic_name = shared::Topic::new(&topic).unwrap_or_else(|e| panic!("{e}"));
    let marks =
        pipeline::kafka::watermarks(&SHARED.config().kafka, &topic_name, Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
    let on_topic: u64 = marks.iter().map(|(_, low, high)| (high - low) as u64).sum();
    assert_eq!(on_topic + lost, written.total_events, "{:?}", written.lost);
    // Verifying a batch against it is refused before any Spark work.
    let verify = SHARED.run(&["batch", "--topic", &topic, "--verify", &manifest]);
    assert_eq!(verify.status.code(), Some(1), "{}", stdout(&verify));
    assert!(
        stderr(&verify).contains("comes from a run that lost records"),
        "{}",
        stderr(&verify)
    );
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1)
}

/// The run failed with exit code 1, one line on stderr containing `needle`, and left `dir`
/// empty.
fn refused(out: &Output, needle: &str, dir: &Path) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{}\n{err}", stdout(out));
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    let left: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing is written: {left:?}");
}

#[tokio::test]
async fn missing_topics_and_a_down_registry_are_clear_errors() {
    SHARED.ensure_up().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = path_arg(&dir.path().join("manifest.json"));
    let topic = unique("never-created");
    let out = SHARED.run(&["consume", "--topic", &topic, "--timeout", "5"]);
    refused(&out, &format!("topic {topic} does not exist"), dir.path());

    let down = format!("http://127.0.0.1:{}/apis/ccompat/v7", closed_port());
    let mut flags = SHARED.flags();
    flags.extend(["--registry-url".to_owned(), down]);
    #[rustfmt::skip]
    let out = common::run_binary(&flags, &[
        "produce", "--topic", &topic, "--count", "10", "--manifest", &manifest,
    ]);
    refused(&out, "cannot reach the schema registry", dir.path());

    // The produce stopped at the registry, before creating the topic: create it so the
    // consumer gets as far as the registry.
    let created = SHARED.run(&["topic", "create", &topic]);
    assert_ok(&created, "topic create");
    let out = common::run_binary(&flags, &["consume", "--topic", &topic, "--timeout", "5"]);
    refused(&out, "cannot reach the schema registry", dir.path());
}

#[tokio::test]
async fn a_schema_the_generator_cannot_fill_is_refused_before_anything_is_registered() {
    let config = SHARED.ensure_up().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = path_arg(&dir.path().join("manifest.json"));
    let topic = unique("unfillable");
    #[rustfmt::skip]
    let out = SHARED.run(&[
        "produce", "--topic", &topic, "--count", "10", "--manifest", &manifest,
        "--schema", "schemas/examples/click_incompatible.avsc",
    ]);
    refused(&out, "campaign_id", dir.path());
    let registry =
        pipeline::registry::Client::new(&config.registry).unwrap_or_else(|e| panic!("{e}"));
    let subject = shared::Topic::new(topic.as_str())
        .unwrap_or_else(|e| panic!("{e}"))
        .value_subject();
    let versions = registry.versions(&subject).await;
    assert!(
        versions
            .as_ref()
            .is_err_and(|e| e.code() == Some(pipeline::registry::SUBJECT_NOT_FOUND)),
        "{versions:?}"
    );
}

#[test]
fn a_down_broker_is_a_bounded_wait_and_a_clear_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = path_arg(&dir.path().join("manifest.json"));
    let flags = vec![
        "--bootstrap-servers".to_owned(),
        format!("127.0.0.1:{}", closed_port()),
    ];
    for args in [
        &["produce", "--count", "10", "--manifest", &manifest][..],
        &["consume", "--timeout", "5"][..],
    ] {
        let started = std::time::Instant::now();
        let out = common::run_binary(&flags, args);
        // The commands give up on a silent broker after about ten seconds; librdkafka alone
        // would keep trying for minutes. The bound leaves room for a busy machine.
        assert!(started.elapsed() < Duration::from_secs(120), "{args:?}");
        refused(&out, "no answer from Kafka", dir.path());
    }
}

#[test]
fn bad_flag_values_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = path_arg(&dir.path().join("manifest.json"));
    // Nothing listens here, so getting past the flags would fail differently.
    let flags = vec!["--bootstrap-servers".to_owned(), "127.0.0.1:1".to_owned()];
    let usage = |args: &[&str], needle: &str| {
        let mut all = vec!["produce", "--manifest", &manifest];
        all.extend_from_slice(args);
        if args.first() == Some(&"consume") {
            all = args.to_vec();
        }
        let out = common::run_binary(&flags, &all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{all:?}: {}", stderr(&out));
    };
    usage(&["--count", "0"], "must be at least 1");
    usage(&["--count", "many"], "not a whole number");
    usage(&["--rate", "0"], "must be more than 0");
    usage(&["--rate", "-5"], "unexpected argument");
    usage(&["--duration", "soon"], "not a duration");
    usage(&["--duration", "5 fortnights"], "unknown unit");
    usage(&["--compression", "brotli"], "possible values");
    usage(&["--late", "1.5"], "fraction between 0 and 1");
    usage(&["--key-field", "cost"], "possible values");
    usage(&["--partitions", "0"], "0 is not in 1..");
    usage(&["--topic", "no spaces"], "only letters, digits");
    usage(&["consume", "--max", "0"], "must be at least 1");
    usage(&["consume", "--format", "xml"], "possible values");
    usage(&["consume", "--timeout", "0"], "more than zero");

    #[rustfmt::skip]
    let too_many = common::run_binary(&flags, &[
        "produce", "--manifest", &manifest, "--late", "0.6", "--duplicates", "0.6",
    ]);
    refused(&too_many, "add up to", dir.path());
    let same = common::run_binary(&flags, &["consume", "--topic", "t", "--dlq", "t"]);
    refused(&same, "dead-letter topic must differ", dir.path());
    let missing = common::run_binary(&flags, &["produce", "--schema", "no/such.avsc"]);
    refused(&missing, "cannot read no/such.avsc", dir.path());
    #[rustfmt::skip]
    let nowhere = common::run_binary(&flags, &[
        "produce", "--manifest", "no/such/folder/m.json",
    ]);
    refused(&nowhere, "folder no/such/folder does not exist", dir.path());
}
