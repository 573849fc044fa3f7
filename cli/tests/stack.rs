//! The schema step, Kafka and Spark Connect against the real local stack (started once per run
//! and shared by these tests; `make test` stops it afterwards).

mod common;

use common::{registered, stderr, stdout, unique, SHARED};
use pipeline::stack::Service;
use rdkafka::producer::{FutureProducer, FutureRecord};
use shared::Topic;
use std::time::Duration;

#[tokio::test]
async fn register_is_idempotent_and_evolution_is_checked() {
    SHARED.ensure_up().await;
    let topic = unique("clicks-avro");
    let first = SHARED.run(&[
        "schema",
        "register",
        "schemas/click_v1.avsc",
        "--topic",
        &topic,
    ]);
    assert!(first.status.success(), "{}", stderr(&first));
    let (subject, version, id) = registered(&first);
    assert_eq!(
        (subject.as_str(), version),
        (format!("{topic}-value").as_str(), 1)
    );

    let again = SHARED.run(&[
        "schema",
        "register",
        "schemas/click_v1.avsc",
        "--topic",
        &topic,
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        registered(&again),
        (subject.clone(), 1, id),
        "same schema, same version and id"
    );

    let v2 = SHARED.run(&[
        "schema",
        "check",
        "schemas/click_v2.avsc",
        "--topic",
        &topic,
    ]);
    assert_eq!(v2.status.code(), Some(0), "{}{}", stdout(&v2), stderr(&v2));
    assert!(stdout(&v2).starts_with("compatible:"), "{}", stdout(&v2));
    assert!(stdout(&v2).contains("(level BACKWARD)"), "{}", stdout(&v2));

    let bad = SHARED.run(&[
        "schema",
        "check",
        "schemas/examples/click_incompatible.avsc",
        "--topic",
        &topic,
    ]);
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}{}",
        stdout(&bad),
        stderr(&bad)
    );
    let text = stdout(&bad);
    assert!(text.starts_with("incompatible:"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("- ") && l.contains("campaign_id")),
        "a reason naming the field: {text}"
    );

    let refused = SHARED.run(&[
        "schema",
        "register",
        "schemas/examples/click_incompatible.avsc",
        "--topic",
        &topic,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("campaign_id"),
        "{}",
        stderr(&refused)
    );

    let v2_registered = SHARED.run(&[
        "schema",
        "register",
        "schemas/click_v2.avsc",
        "--topic",
        &topic,
    ]);
    let (_, v2_version, v2_id) = registered(&v2_registered);
    assert_eq!(v2_version, 2);
    assert_ne!(v2_id, id);

    let list = SHARED.run(&["schema", "list"]);
    let line = stdout(&list)
        .lines()
        .find(|l| l.starts_with(&subject))
        .map(str::to_owned);
    assert_eq!(
        line,
        Some(format!(
            "{subject}  versions=1,2  latest: version=2 id={v2_id}"
        ))
    );
}

#[tokio::test]
async fn compatibility_level_can_be_set_per_subject() {
    SHARED.ensure_up().await;
    let topic = unique("compat");
    let reg = SHARED.run(&[
        "schema",
        "register",
        "schemas/click_v1.avsc",
        "--topic",
        &topic,
    ]);
    assert!(reg.status.success(), "{}", stderr(&reg));
    let subject = format!("{topic}-value");
    let before = SHARED.run(&["schema", "compat", "--topic", &topic]);
    assert_eq!(stdout(&before).trim(), format!("{subject}: BACKWARD"));
    let set = SHARED.run(&["schema", "compat", "--topic", &topic, "--set", "FULL"]);
    assert_eq!(
        stdout(&set).trim(),
        format!("{subject}: FULL"),
        "{}",
        stderr(&set)
    );
    let after = SHARED.run(&["schema", "compat", "--topic", &topic]);
    assert_eq!(stdout(&after).trim(), format!("{subject}: FULL"));
    let global = SHARED.run(&["schema", "compat"]);
    assert_eq!(stdout(&global).trim(), "global: BACKWARD");
}

#[tokio::test]
async fn spark_connect_answers_select_one() {
    let config = SHARED.ensure_up().await;
    let result = pipeline::spark::ping(&config.spark, Duration::from_secs(60)).await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn spark_reads_a_kafka_topic_through_the_connector() {
    let config = SHARED.ensure_up().await;
    let topic = Topic::new(unique("spark-read")).unwrap_or_else(|e| panic!("{e}"));
    let created =
        pipeline::kafka::ensure_topic(&config.kafka, &topic, 2, 1, Duration::from_secs(30)).await;
    assert!(matches!(created, Ok(true)), "{created:?}");

    let empty = pipeline::spark::kafka_record_count(
        &config.spark,
        &config.kafka,
        &topic,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(
        empty.map_err(|e| e.to_string()),
        Ok(0),
        "an empty topic reads as zero records"
    );

    let producer: FutureProducer = pipeline::kafka::client_config(&config.kafka)
        .create()
        .unwrap_or_else(|e| panic!("producer: {e}"));
    for i in 0..7 {
        let payload = format!("record {i}");
        let sent = producer
            .send(
                FutureRecord::<str, str>::to(topic.as_str()).payload(&payload),
                Duration::from_secs(10),
            )
            .await;
        assert!(sent.is_ok(), "{sent:?}");
    }
    let seven = pipeline::spark::kafka_record_count(
        &config.spark,
        &config.kafka,
        &topic,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(seven.map_err(|e| e.to_string()), Ok(7));
}

#[tokio::test]
async fn a_missing_topic_is_a_spark_error_not_a_panic() {
    let config = SHARED.ensure_up().await;
    let topic = Topic::new(unique("never-created")).unwrap_or_else(|e| panic!("{e}"));
    let result = pipeline::spark::kafka_record_count(
        &config.spark,
        &config.kafka,
        &topic,
        Duration::from_secs(120),
    )
    .await;
    match result {
        Err(pipeline::spark::SparkOpError::Spark(message)) => assert!(!message.is_empty()),
        other => panic!("expected Spark's error, got {other:?}"),
    }
}

#[tokio::test]
async fn topics_are_created_once() {
    SHARED.ensure_up().await;
    let topic = unique("topic-cli");
    let first = SHARED.run(&["topic", "create", &topic, "--partitions", "2"]);
    assert_eq!(
        stdout(&first).trim(),
        format!("{topic}: created"),
        "{}",
        stderr(&first)
    );
    let second = SHARED.run(&["topic", "create", &topic]);
    assert_eq!(stdout(&second).trim(), format!("{topic}: already exists"));
    let list = SHARED.run(&["topic", "list"]);
    assert!(
        stdout(&list)
            .lines()
            .any(|l| l == format!("{topic}  partitions=2 replicas=1")),
        "{}",
        stdout(&list)
    );
}

#[tokio::test]
async fn status_names_every_address_and_a_second_up_changes_nothing() {
    SHARED.ensure_up().await;
    let stack = SHARED.stack();
    let pids: Vec<Option<u32>> = Service::ALL.iter().map(|s| stack.running_pid(*s)).collect();
    assert!(pids.iter().all(Option::is_some), "{pids:?}");

    let again = stack
        .up(Duration::from_secs(60), &|_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        again.iter().all(|s| !s.started),
        "nothing is restarted: {again:?}"
    );
    let after: Vec<Option<u32>> = Service::ALL.iter().map(|s| stack.running_pid(*s)).collect();
    assert_eq!(pids, after);

    let status = SHARED.run(&["stack", "status"]);
    assert_eq!(status.status.code(), Some(0), "{}", stdout(&status));
    let text = stdout(&status);
    let b = SHARED.port_base();
    for expected in [
        format!("127.0.0.1:{}", b + 92),
        format!("http://127.0.0.1:{}/apis/ccompat/v7", b + 81),
        format!("sc://127.0.0.1:{}", b + 2),
    ] {
        let line = text.lines().find(|l| l.contains(&expected));
        assert!(
            line.is_some_and(|l| l.split_whitespace().nth(1) == Some("up")),
            "{expected} up in:\n{text}"
        );
    }
}
