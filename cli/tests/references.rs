//! Schema references against the real registry (Apicurio's Confluent API): a click schema whose
//! `geo` field has a type registered under another subject is registered with a reference,
//! records written with it are produced, consumed and read by the Spark batch job.

mod common;

use common::{assert_ok, path_arg, stderr, stdout, unique, SHARED};
use serde_json::{json, Value};

const CLICK_V1: &str = include_str!("../../schemas/click_v1.avsc");

fn geo_schema() -> Value {
    json!({"type": "record", "name": "Geo", "namespace": "com.example.geo", "fields": [
        {"name": "country", "type": "string"},
        {"name": "city", "type": ["null", "string"], "default": null}
    ]})
}

/// Click v1 with a `geo` field of the referenced type.
fn click_with_geo() -> Value {
    let mut schema: Value = serde_json::from_str(CLICK_V1).unwrap_or_else(|e| panic!("{e}"));
    if let Some(fields) = schema["fields"].as_array_mut() {
        fields.push(json!({"name": "geo", "type": "com.example.geo.Geo"}));
    }
    schema
}

fn record(i: u32) -> Value {
    json!({
        "id": format!("clk-ref-{i}"), "impression_id": format!("imp-{i}"), "creative_id": "cr-ref",
        "placement_id": "pl-ref", "timestamp": 1_704_067_200_000_i64 + i64::from(i) * 1000,
        "user_agent": null, "ip": null, "referrer": null, "cost": 0.25,
        "geo": {"country": "NL", "city": {"string": "Delft"}}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schema_using_another_subjects_type_is_registered_produced_consumed_and_batched() {
    SHARED.ensure_up().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path_arg(&path)
    };
    let geo_file = write("geo.avsc", geo_schema().to_string());
    let main_file = write("click-geo.avsc", click_with_geo().to_string());
    let geo_topic = unique("geo");
    let topic = unique("clicks-geo");

    let out = SHARED.run(&["schema", "register", &geo_file, "--topic", &geo_topic]);
    assert_ok(&out, "register geo");
    let reference = format!("com.example.geo.Geo={geo_topic}-value:1");

    // Without the reference the type is unknown, and the registry is never asked.
    let out = SHARED.run(&["schema", "register", &main_file, "--topic", &topic]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("Geo"), "{}", stderr(&out));

    let out = SHARED.run(&[
        "schema",
        "register",
        &main_file,
        "--topic",
        &topic,
        "--reference",
        &reference,
    ]);
    assert_ok(&out, "register with a reference");
    assert!(
        stdout(&out).contains(&format!("subject={topic}-value version=1")),
        "{}",
        stdout(&out)
    );

    let lines: String = (0..3).map(|i| format!("{}\n", record(i))).collect();
    let records = write("records.jsonl", lines);
    let out = SHARED.run(&[
        "produce",
        "--topic",
        &topic,
        "--schema",
        &main_file,
        "--reference",
        &reference,
        "--value-json",
        &records,
    ]);
    assert_ok(&out, "produce with a reference");
    assert!(stdout(&out).contains("sent 3 records"), "{}", stdout(&out));

    let read = SHARED.consumed(&topic, 3);
    assert_eq!(read.len(), 3);
    for r in &read {
        assert_eq!(r["value"]["geo"]["country"], "NL", "{r}");
        assert_eq!(r["value"]["geo"]["city"], "Delft", "{r}");
    }

    let out = SHARED.run(&["batch", "--topic", &topic, "--no-write", "--format", "json"]);
    assert_ok(&out, "batch");
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["report"]["records_read"], 3, "{doc}");
    assert_eq!(doc["report"]["totals"]["clicks"], 3, "{doc}");
}
