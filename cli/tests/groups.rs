//! `kafka-demo group list/describe/reset` against the real broker. The test writes the records
//! and commits the group's offsets with its own clients, and reads the offsets a reset commits
//! back with its own consumer: the command is never its own witness.

mod common;

use common::{assert_ok, stderr, stdout, unique, SHARED};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Records written to each partition of the test topic.
const PER_PARTITION: [i64; 3] = [100, 200, 300];
/// Kafka timestamp of record `i` of a partition: `BASE_MS + i` seconds.
const BASE_MS: i64 = 1_704_067_200_000;

/// Writes `PER_PARTITION` records to `topic`, record `i` of a partition stamped `BASE_MS + i s`.
async fn fill(kafka: &pipeline::settings::KafkaConfig, topic: &str) {
    let producer: FutureProducer = pipeline::kafka::client_config(kafka)
        .set("linger.ms", "5")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    for (partition, count) in PER_PARTITION.iter().enumerate() {
        let partition = i32::try_from(partition).unwrap_or(0);
        for i in 0..*count {
            let value = format!("{partition}-{i}");
            let record = FutureRecord::<(), str>::to(topic)
                .partition(partition)
                .timestamp(BASE_MS + i * 1_000)
                .payload(&value);
            let sent = producer.send(record, Duration::from_secs(30)).await;
            assert!(sent.is_ok(), "{sent:?}");
        }
    }
}

/// A client of `group` that commits and reads offsets itself, without joining.
fn witness(kafka: &pipeline::settings::KafkaConfig, group: &str) -> BaseConsumer {
    pipeline::kafka::client_config(kafka)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn commit(consumer: &BaseConsumer, topic: &str, offsets: &[(i32, i64)]) {
    let mut list = TopicPartitionList::new();
    for (p, o) in offsets {
        list.add_partition_offset(topic, *p, Offset::Offset(*o))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    consumer
        .commit(&list, CommitMode::Sync)
        .unwrap_or_else(|e| panic!("commit: {e}"));
}

/// The group's committed offsets on `topic` as the coordinator answers the witness.
fn committed(consumer: &BaseConsumer, topic: &str) -> BTreeMap<i32, Option<i64>> {
    let mut list = TopicPartitionList::new();
    for p in 0..3 {
        list.add_partition(topic, p);
    }
    let list = consumer
        .committed_offsets(list, Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("committed: {e}"));
    list.elements()
        .iter()
        .map(|e| {
            let offset = match e.offset() {
                Offset::Offset(n) => Some(n),
                _ => None,
            };
            (e.partition(), offset)
        })
        .collect()
}

fn json(out: &std::process::Output, what: &str) -> Value {
    assert_ok(out, what);
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{what}: {e}: {}", stdout(out)))
}

/// `(partition, committed, end, lag)` of each row of `group describe --format json`.
fn rows(doc: &Value, topic: &str) -> Vec<(i64, Option<i64>, i64, Option<i64>)> {
    doc.as_array()
        .unwrap_or_else(|| panic!("not a list: {doc}"))
        .iter()
        .filter(|r| r["topic"] == topic)
        .map(|r| {
            (
                r["partition"].as_i64().unwrap_or(-1),
                r["committed"].as_i64(),
                r["end"].as_i64().unwrap_or(-1),
                r["lag"].as_i64(),
            )
        })
        .collect()
}

/// The plan `group reset --format json` prints for `group` on `topic` to `to`, executed or not.
fn reset_plan(group: &str, topic: &str, to: &str, execute: bool) -> Value {
    let mut args = vec![
        "group", "reset", group, "--topic", topic, "--to", to, "--format", "json",
    ];
    if execute {
        args.push("--execute");
    }
    json(&SHARED.run(&args), &format!("group reset --to {to}"))
}

fn targets(plan: &Value) -> Vec<i64> {
    plan["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows: {plan}"))
        .iter()
        .map(|r| r["target"].as_i64().unwrap_or(-1))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_are_described_and_reset_as_a_second_reader_sees_them() {
    let config = SHARED.ensure_up().await;
    let topic = unique("groups");
    let group = unique("group");
    let out = SHARED.run(&["topic", "create", &topic, "--partitions", "3"]);
    assert_ok(&out, "topic create");
    fill(&config.kafka, &topic).await;
    let witness = witness(&config.kafka, &group);
    commit(&witness, &topic, &[(0, 40), (1, 200)]);

    // Describe: committed offsets, ends and lag per partition; partition 2 has neither a
    // commit nor a member, so it is not the group's.
    let doc = json(
        &SHARED.run(&["group", "describe", &group, "--format", "json"]),
        "group describe",
    );
    assert_eq!(
        rows(&doc, &topic),
        vec![(0, Some(40), 100, Some(60)), (1, Some(200), 200, Some(0))]
    );
    let text = SHARED.run(&["group", "describe", &group]);
    assert_ok(&text, "group describe (text)");
    assert!(stdout(&text).contains("total lag 60"), "{}", stdout(&text));

    let list = json(
        &SHARED.run(&["group", "list", "--format", "json"]),
        "group list",
    );
    let listed = list
        .as_array()
        .and_then(|l| l.iter().find(|g| g["group"] == group.as_str()))
        .unwrap_or_else(|| panic!("{group} not listed: {list}"));
    assert_eq!(listed["state"], "Empty");
    assert_eq!(listed["members"], 0);
    assert_eq!(listed["topics"], serde_json::json!([topic]));

    // A dry run plans and commits nothing.
    let plan = reset_plan(&group, &topic, "earliest", false);
    assert_eq!(targets(&plan), vec![0, 0, 0]);
    assert_eq!(plan["executed"], false);
    assert_eq!(
        committed(&witness, &topic),
        BTreeMap::from([(0, Some(40)), (1, Some(200)), (2, None)])
    );

    // An offset is held within each partition; the witness reads what was committed.
    let plan = reset_plan(&group, &topic, "150", true);
    assert_eq!(plan["executed"], true);
    assert_eq!(targets(&plan), vec![100, 150, 150]);
    assert!(plan["rows"][0]["note"].is_string(), "{plan}");
    assert_eq!(
        committed(&witness, &topic),
        BTreeMap::from([(0, Some(100)), (1, Some(150)), (2, Some(150))])
    );

    // A time: the first record stamped at or after it (record i is stamped BASE + i s);
    // partition 0 has no record that late and moves to its end.
    let plan = reset_plan(&group, &topic, "2024-01-01T00:02:30Z", true);
    assert_eq!(targets(&plan), vec![100, 150, 150]);
    let plan = reset_plan(&group, &topic, "2024-01-01T00:00:30.5Z", true);
    assert_eq!(targets(&plan), vec![31, 31, 31]);
    assert_eq!(
        committed(&witness, &topic),
        BTreeMap::from([(0, Some(31)), (1, Some(31)), (2, Some(31))])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_with_members_is_shown_with_them_and_not_reset() {
    let config = SHARED.ensure_up().await;
    let topic = unique("groups-active");
    let group = unique("group-active");
    assert_ok(
        &SHARED.run(&["topic", "create", &topic, "--partitions", "3"]),
        "topic create",
    );
    fill(&config.kafka, &topic).await;
    let member: StreamConsumer = pipeline::kafka::client_config(&config.kafka)
        .set("group.id", &group)
        .set("client.id", "groups-test-member")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    member
        .subscribe(&[topic.as_str()])
        .unwrap_or_else(|e| panic!("{e}"));
    // The member joins once it polls; wait for its assignment with a deadline.
    let deadline = Instant::now() + Duration::from_secs(60);
    while member.assignment().map(|a| a.count()).unwrap_or(0) < 3 {
        assert!(Instant::now() < deadline, "the member got no assignment");
        let _ = tokio::time::timeout(Duration::from_millis(200), member.recv()).await;
    }
    let doc = SHARED.run(&["group", "describe", &group]);
    assert_ok(&doc, "describe");
    let text = stdout(&doc);
    assert!(text.contains("1 member(s)"), "{text}");
    assert!(text.contains("groups-test-member"), "{text}");
    assert!(text.contains(&format!("{topic}[0,1,2]")), "{text}");

    let out = SHARED.run(&[
        "group",
        "reset",
        &group,
        "--topic",
        &topic,
        "--to",
        "latest",
        "--execute",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("active member"), "{}", stderr(&out));
    drop(member);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_groups_and_topics_are_named() {
    SHARED.ensure_up().await;
    let out = SHARED.run(&["group", "describe", &unique("never-used")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    let out = SHARED.run(&[
        "group",
        "reset",
        &unique("g"),
        "--topic",
        &unique("no-topic"),
        "--to",
        "latest",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    let out = SHARED.run(&["group", "reset", "g", "--topic", "t", "--to", "soon"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("RFC 3339"), "{}", stderr(&out));
}
