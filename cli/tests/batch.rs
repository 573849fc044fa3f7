//! Seed step 4 from the command line against the real stack: `kafka-demo batch` reads what
//! `kafka-demo produce` wrote — v1 and v2 records and poison pills together — and reconciles
//! exactly with the producer's manifests; bad input fails with a clear message.

mod common;

use common::{assert_ok, copy_records, path_arg, stderr, stdout, unique, SHARED, SPARK_TOKEN};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn produce(topic: &str, manifest: &Path, extra: &[&str]) {
    let manifest = path_arg(manifest);
    let mut args = vec!["produce", "--topic", topic, "--manifest", &manifest];
    args.extend_from_slice(extra);
    let out = SHARED.run(&args);
    assert_ok(&out, "produce");
}

fn batch(topic: &str, extra: &[&str]) -> Output {
    let mut args = vec!["batch", "--topic", topic];
    args.extend_from_slice(extra);
    SHARED.run(&args)
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

fn checks(doc: &Value) -> Vec<(String, bool)> {
    doc["verification"]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {doc}"))
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap_or_default().to_owned();
            (name, c["ok"].as_bool().unwrap_or(false))
        })
        .collect()
}

/// The sum of a column of a Parquet folder, read back through Spark.
async fn parquet_sum(config: &pipeline::settings::Config, folder: &str, column: &str) -> i64 {
    use arrow::array::{Array as _, Int64Array};
    let session = pipeline::spark::connect(&config.spark, std::time::Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let path = folder.replace('`', "");
    let query = format!("SELECT sum({column}) AS n FROM parquet.`{path}`");
    let batch = session
        .sql(&query)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sums = batch
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap_or_else(|| panic!("not a BIGINT sum: {batch:?}"));
    assert_eq!(sums.len(), 1);
    sums.value(0)
}

/// A one-partition topic filled by a v1 run with every kind of poison pill and duplicates, then
/// a v2 run: the batch job decodes both versions and finds every pill where the manifest put it.
#[tokio::test]
async fn v1_v2_and_poison_pills_reconcile_exactly_with_the_manifests() {
    let config = SHARED.ensure_up().await;
    let topic = unique("batch-mixed");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (m1, m2) = (dir.path().join("v1.json"), dir.path().join("v2.json"));
    #[rustfmt::skip]
    produce(&topic, &m1, &[
        "--count", "4000", "--seed", "11", "--partitions", "1", "--duplicates", "0.02",
        "--late", "0.01", "--wrong-magic", "0.005", "--unknown-schema-id", "0.005",
        "--truncated", "0.005",
    ]);
    #[rustfmt::skip]
    produce(&topic, &m2, &[
        "--count", "2000", "--seed", "12", "--schema", "schemas/click_v2.avsc",
    ]);
    let out_dir = dir.path().join("out");
    #[rustfmt::skip]
    let out = batch(&topic, &[
        "--verify", &path_arg(&m1), "--verify", &path_arg(&m2), "--format", "json",
        "--out", &path_arg(&out_dir), "--top", "3",
    ]);
    assert_ok(&out, "batch --verify");
    let doc = json(&out);
    let checks = checks(&doc);
    assert!(checks.iter().all(|(_, ok)| *ok), "{checks:?}");
    for name in [
        "clicks",
        "cost (cents)",
        "per creative",
        "per minute",
        "poison positions",
    ] {
        assert!(
            checks.iter().any(|(n, _)| n == name),
            "no {name} check in {checks:?}"
        );
    }
    let report = &doc["report"];
    assert_eq!(report["records_read"], 6000);
    let statuses: Vec<&str> = report["schemas"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        statuses,
        ["decoded", "decoded", "unknown to the registry"],
        "{report}"
    );
    let country = report["null_rates"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["field"] == "country"))
        .unwrap_or_else(|| panic!("no country null rate in {report}"));
    assert!(country["nulls"].as_u64().unwrap_or(0) >= 3900, "{country}");
    assert_eq!(report["top_by_clicks"].as_array().map(Vec::len), Some(3));
    for table in [
        "totals",
        "per_creative",
        "per_minute",
        "poison",
        "null_rates",
        "schema_ids",
    ] {
        let parquet = std::fs::read_dir(out_dir.join(table))
            .unwrap_or_else(|e| panic!("{table}: {e}"))
            .filter_map(Result::ok)
            .any(|f| f.file_name().to_string_lossy().ends_with(".parquet"));
        assert!(parquet, "no Parquet file for {table}");
    }
    // The Parquet copy holds what the report says.
    let table = out_dir.join("per_creative").display().to_string();
    let written = parquet_sum(&config, &table, "clicks").await;
    assert_eq!(Some(written), report["totals"]["clicks"].as_i64());

    // The same records checked against the first run only: every difference is reported and
    // the exit code says so.
    let partial = batch(&topic, &["--verify", &path_arg(&m1), "--no-write"]);
    assert_eq!(partial.status.code(), Some(1), "{}", stdout(&partial));
    let text = stdout(&partial);
    assert!(
        text.contains("DIFF") && text.contains("DIFFERENCES FOUND"),
        "{text}"
    );
    assert!(text.contains("poison pills: undecodable="), "{text}");
}

/// `--out` as a `file:` URI: the Spark server writes every table there (each folder ends with
/// Spark's `_SUCCESS`), the report names the URI, the Parquet read back through Spark holds
/// what the report says, and the run reconciles with its manifest.
#[tokio::test]
async fn parquet_goes_to_a_file_uri_and_reconciles() {
    let config = SHARED.ensure_up().await;
    let topic = unique("batch-uri");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("m.json");
    #[rustfmt::skip]
    produce(&topic, &manifest, &[
        "--count", "1500", "--seed", "14", "--partitions", "1", "--wrong-magic", "0.01",
    ]);
    let out_dir = dir.path().join("spark-side").join("x");
    let uri = format!("file://{}", out_dir.display());
    #[rustfmt::skip]
    let out = batch(&topic, &["--out", &uri, "--verify", &path_arg(&manifest), "--format", "json"]);
    assert_ok(&out, "batch --out file:// --verify");
    let doc = json(&out);
    let checks = checks(&doc);
    assert!(checks.iter().all(|(_, ok)| *ok), "{checks:?}");
    let report = &doc["report"];
    assert_eq!(report["output"].as_str(), Some(uri.as_str()), "{report}");
    assert!(
        stderr(&out).contains(&format!("writing Parquet to {uri}")),
        "{}",
        stderr(&out)
    );
    for table in [
        "totals",
        "per_creative",
        "per_minute",
        "poison",
        "schema_ids",
    ] {
        assert!(
            out_dir.join(table).join("_SUCCESS").is_file(),
            "no _SUCCESS in {table} under {uri}"
        );
    }
    let clicks = parquet_sum(&config, &format!("{uri}/per_creative"), "clicks").await;
    assert_eq!(Some(clicks), report["totals"]["clicks"].as_i64());
    let read = parquet_sum(&config, &format!("{uri}/totals"), "records_read").await;
    assert_eq!(read, 1500);
}

/// A location the Spark server has no filesystem for, or whose host does not resolve, ends the
/// run before Kafka is read, with Spark's reason, the location and the flag.
#[tokio::test]
async fn an_unusable_output_location_fails_fast_naming_it() {
    SHARED.ensure_up().await;
    let topic = unique("batch-badout");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    #[rustfmt::skip]
    produce(&topic, &dir.path().join("m.json"), &["--count", "100", "--partitions", "1"]);
    for (location, reason) in [
        ("foo://x/y", "No FileSystem for scheme \"foo\""),
        ("hdfs://nowhere.invalid:1/x", "unknown host nowhere.invalid"),
    ] {
        let out = batch(&topic, &["--out", location, "--step-timeout", "1m"]);
        assert_eq!(out.status.code(), Some(1), "{location}: {}", stdout(&out));
        let err = stderr(&out);
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.contains(&format!(
                "Spark cannot write the Parquet tables to {location}: {reason}"
            )) && last.contains("give --out a location"),
            "{location}: {err}"
        );
        assert!(!err.contains("reading offsets"), "{location}: {err}");
    }
}

/// Keyed records over three partitions: counts and cost reconcile; positions cannot be
/// derived from the manifest there, and the run says so instead of failing.
#[tokio::test]
async fn a_three_partition_topic_reconciles_by_counts() {
    SHARED.ensure_up().await;
    let topic = unique("batch-parts");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("m.json");
    #[rustfmt::skip]
    produce(&topic, &manifest, &[
        "--count", "3000", "--seed", "21", "--partitions", "3", "--wrong-magic", "0.01",
        "--out-of-order", "0.05",
    ]);
    #[rustfmt::skip]
    let out = batch(&topic, &["--verify", &path_arg(&manifest), "--no-write", "--format", "json"]);
    assert_ok(&out, "batch --verify");
    let doc = json(&out);
    assert!(checks(&doc).iter().all(|(_, ok)| *ok), "{doc}");
    assert_eq!(doc["report"]["ranges"].as_array().map(Vec::len), Some(3));
    let notes = doc["verification"]["notes"].to_string();
    assert!(notes.contains("positions not compared"), "{notes}");
}

#[tokio::test]
async fn an_empty_topic_gives_no_records() {
    SHARED.ensure_up().await;
    let topic = unique("batch-empty");
    assert_ok(&SHARED.run(&["topic", "create", &topic]), "topic create");
    let out = batch(&topic, &[]);
    assert_ok(&out, "batch on an empty topic");
    assert!(
        stdout(&out).contains("no records in this range"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn an_unknown_topic_is_a_clear_error() {
    SHARED.ensure_up().await;
    let topic = unique("batch-missing");
    let out = batch(&topic, &[]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("topic {topic} does not exist")),
        "{err}"
    );
}

#[tokio::test]
async fn spark_connect_down_is_one_clear_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    // The listener is dropped: nothing answers on the port now.
    let url = format!("sc://127.0.0.1:{port}");
    let out = batch("clicks-avro", &["--spark-url", &url]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!("cannot reach Spark Connect at {url}"))
            && last.contains("--spark-url")
            && last.contains("KAFKA_DEMO_SPARK_URL"),
        "{err}"
    );
}

#[tokio::test]
async fn offset_ranges_are_checked_against_the_topic() {
    SHARED.ensure_up().await;
    let topic = unique("batch-range");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("m.json");
    #[rustfmt::skip]
    produce(&topic, &manifest, &["--count", "100", "--seed", "31", "--partitions", "1"]);

    let outside = batch(&topic, &["--start-offset", "50", "--end-offset", "500"]);
    assert!(!outside.status.success(), "{}", stdout(&outside));
    let err = stderr(&outside);
    assert!(
        err.contains("offset range 50..500 is outside partition 0") && err.contains("0..100"),
        "{err}"
    );

    #[rustfmt::skip]
    let inside = batch(&topic, &["--start-offset", "10", "--end-offset", "60", "--no-write",
                                 "--format", "json"]);
    assert_ok(&inside, "batch over offsets 10..60");
    let report = &json(&inside)["report"];
    assert_eq!(report["records_read"], 50);
    assert_eq!(report["totals"]["clicks"], 50);

    let future = batch(&topic, &["--from", "2999-01-01T00:00:00Z"]);
    assert_ok(&future, "batch from a future time");
    assert!(
        stdout(&future).contains("no records in this range"),
        "{}",
        stdout(&future)
    );
}

fn statuses(doc: &Value) -> Vec<String> {
    doc["report"]["schemas"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["status"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Records whose writer schema is registered under another subject: the topic's own subject
/// does not list it, the pass finds the id in the records, asks the registry for it and reads
/// the topic again with it.
#[tokio::test]
async fn a_writer_registered_under_another_subject_still_decodes() {
    let config = SHARED.ensure_up().await;
    let (topic, other) = (unique("batch-home"), unique("batch-other"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (m1, m2) = (dir.path().join("home.json"), dir.path().join("other.json"));
    #[rustfmt::skip]
    produce(&topic, &m1, &["--count", "300", "--seed", "41", "--partitions", "1"]);
    #[rustfmt::skip]
    produce(&other, &m2, &[
        "--count", "200", "--seed", "42", "--partitions", "1", "--schema", "schemas/click_v2.avsc",
        "--truncated", "0.02",
    ]);
    copy_records(&config.kafka, &other, &topic, 200).await;

    #[rustfmt::skip]
    let out = batch(&topic, &[
        "--verify", &path_arg(&m1), "--verify", &path_arg(&m2), "--no-write", "--format", "json",
    ]);
    assert_ok(&out, "batch --verify");
    let doc = json(&out);
    assert!(checks(&doc).iter().all(|(_, ok)| *ok), "{doc}");
    assert_eq!(statuses(&doc), ["decoded", "decoded"], "{doc}");
    assert!(
        stderr(&out).contains("decoding 2 schema ids"),
        "the second pass uses both writers: {}",
        stderr(&out)
    );
}

/// A topic with no subject of its own: the ids its records name are the writers.
#[tokio::test]
async fn a_topic_without_a_subject_reads_with_the_ids_its_records_name() {
    let config = SHARED.ensure_up().await;
    let (topic, source) = (unique("batch-bare"), unique("batch-source"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("source.json");
    #[rustfmt::skip]
    produce(&source, &manifest, &[
        "--count", "250", "--seed", "51", "--partitions", "1", "--wrong-magic", "0.02",
    ]);
    #[rustfmt::skip]
    assert_ok(&SHARED.run(&["topic", "create", &topic, "--partitions", "1"]), "topic create");
    copy_records(&config.kafka, &source, &topic, 250).await;

    #[rustfmt::skip]
    let out = batch(&topic, &["--verify", &path_arg(&manifest), "--no-write", "--format", "json"]);
    assert_ok(&out, "batch --verify");
    let doc = json(&out);
    assert!(checks(&doc).iter().all(|(_, ok)| *ok), "{doc}");
    assert_eq!(statuses(&doc), ["decoded"], "{doc}");
}

/// Values too short for the Confluent header — empty, three bytes, a tombstone with no value
/// at all — are pills of their own kind, at their offsets.
#[tokio::test]
async fn short_and_missing_values_are_too_short_pills() {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    use std::time::Duration;

    let config = SHARED.ensure_up().await;
    let topic = unique("batch-short");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("m.json");
    #[rustfmt::skip]
    produce(&topic, &manifest, &["--count", "100", "--seed", "61", "--partitions", "1"]);
    let producer: FutureProducer = pipeline::kafka::client_config(&config.kafka)
        .set("enable.idempotence", "true")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    for value in [Some(&b""[..]), Some(&[0u8, 0, 1][..]), None] {
        let mut record = FutureRecord::<[u8], [u8]>::to(&topic).key(&b"k"[..]);
        if let Some(value) = value {
            record = record.payload(value);
        }
        let sent = producer.send(record, Duration::from_secs(30)).await;
        assert!(sent.is_ok(), "{sent:?}");
    }

    let out = batch(&topic, &["--no-write", "--format", "json"]);
    assert_ok(&out, "batch");
    let report = &json(&out)["report"];
    assert_eq!(report["records_read"], 103, "{report}");
    assert_eq!(report["totals"]["clicks"], 100, "{report}");
    assert_eq!(report["poison_counts"]["too_short"], 3, "{report}");
    let pills: Vec<(i64, String)> = report["poison"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    let offset = p["offset"].as_i64().unwrap_or(-1);
                    (offset, p["detail"].as_str().unwrap_or_default().to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let offsets: Vec<i64> = pills.iter().map(|(o, _)| *o).collect();
    assert_eq!(offsets, [100, 101, 102], "{report}");
    assert!(pills[1].1.starts_with("3 bytes long"), "{pills:?}");
}

/// `-X` options go to Spark's Kafka source as the Java client names them: a run with options
/// translated (renamed, re-cased) and options only librdkafka reads still reconciles, and an
/// option without a Java equivalent stops the job with its name before Spark is asked.
#[tokio::test]
async fn kafka_options_reach_spark_or_are_refused_by_name() {
    SHARED.ensure_up().await;
    let topic = unique("batch-options");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = dir.path().join("m.json");
    produce(&topic, &manifest, &["--count", "500", "--seed", "23"]);
    #[rustfmt::skip]
    let out = SHARED.run(&[
        "-X", "security.protocol=plaintext", "-X", "fetch.wait.max.ms=100",
        "-X", "client.id=kafka-demo-batch-test", "-X", "socket.nagle.disable=true",
        "batch", "--topic", &topic, "--verify", &path_arg(&manifest), "--no-write",
        "--format", "json",
    ]);
    assert_ok(&out, "batch with translated options");
    let doc = json(&out);
    assert!(checks(&doc).iter().all(|(_, ok)| *ok), "{doc}");
    #[rustfmt::skip]
    let out = SHARED.run(&[
        "-X", "enable.ssl.certificate.verification=false", "batch", "--topic", &topic,
        "--no-write",
    ]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("enable.ssl.certificate.verification")
            && err.contains("cannot be given to Spark's Kafka client"),
        "{err}"
    );
}

/// The test stack's Spark Connect server requires its token: a client that sends none, or the
/// wrong one, is refused within seconds with a line naming the setting; the right one reads.
#[tokio::test]
async fn spark_connect_refuses_a_missing_or_wrong_token() {
    SHARED.ensure_up().await;
    let topic = unique("batch-token");
    assert_ok(&SHARED.run(&["topic", "create", &topic]), "topic create");
    let flags: Vec<String> = SHARED.flags();
    let mut without = Vec::new();
    let mut given = flags.iter();
    while let Some(flag) = given.next() {
        if flag == "--spark-token" {
            given.next();
        } else {
            without.push(flag.clone());
        }
    }
    let port = SHARED.port_base() + 2;
    for (flags, url, why) in [
        (
            &without,
            format!("sc://127.0.0.1:{port}"),
            "no token was sent",
        ),
        (
            &flags,
            format!("sc://127.0.0.1:{port}/;token=wrong"),
            "the token is wrong",
        ),
        (
            &flags,
            format!("sc://127.0.0.1:{port}/;token={SPARK_TOKEN}"),
            "",
        ),
    ] {
        let started = std::time::Instant::now();
        let out = common::run_binary(flags, &["--spark-url", &url, "batch", "--topic", &topic]);
        let err = stderr(&out);
        if why.is_empty() {
            assert_ok(&out, "batch with the token");
            continue;
        }
        assert!(!out.status.success(), "{}", stdout(&out));
        assert!(
            err.contains("Spark Connect refused this client")
                && err.contains(why)
                && err.contains(";token="),
            "{err}"
        );
        assert!(
            !err.contains("token=wrong") && !err.contains(SPARK_TOKEN),
            "{err}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "refused after {:?}",
            started.elapsed()
        );
    }
}
