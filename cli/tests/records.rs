//! `kafka-demo produce --value-json`: records written by hand in Avro's JSON encoding are
//! checked line by line, sent only when every line fits the writer schema, and read back by a
//! consumer of the topic as they were written.

mod common;

use common::{assert_ok, path_arg, stderr, stdout, unique, SHARED};
use serde_json::{json, Value};

fn click(id: &str, cost: Value) -> Value {
    json!({
        "id": id, "impression_id": format!("imp-{id}"), "creative_id": "cr-7", "placement_id": "pl-1",
        "timestamp": 1_704_067_200_123_i64, "user_agent": {"string": "curl/8"}, "ip": null,
        "referrer": null, "cost": cost
    })
}

fn write_lines(lines: &[Value]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("records.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    (dir, path)
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_written_records_are_sent_and_read_back_as_written() {
    SHARED.ensure_up().await;
    let topic = unique("hand");
    let records = [
        click("a", json!(0.72)),
        click("b", json!(1.5)),
        click("c", json!(0)),
    ];
    let (_dir, path) = write_lines(&records);
    let out = SHARED.run(&[
        "produce",
        "--topic",
        &topic,
        "--value-json",
        &path_arg(&path),
    ]);
    assert_ok(&out, "produce --value-json");
    assert!(
        stdout(&out).starts_with("sent 3 records"),
        "{}",
        stdout(&out)
    );

    let mut seen: Vec<Value> = SHARED
        .consumed(&topic, 3)
        .into_iter()
        .map(|record| record["value"].clone())
        .collect();
    seen.sort_by_key(|v| v["id"].as_str().unwrap_or_default().to_owned());
    assert_eq!(seen.len(), 3);
    for (written, read) in records.iter().zip(&seen) {
        assert_eq!(read["id"], written["id"]);
        assert_eq!(read["timestamp"], written["timestamp"]);
        assert_eq!(read["user_agent"], "curl/8", "the union's value, unwrapped");
        assert_eq!(read["cost"].as_f64(), written["cost"].as_f64());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_wrong_line_sends_nothing_and_names_the_field() {
    SHARED.ensure_up().await;
    let topic = unique("hand-bad");
    let (_dir, path) = write_lines(&[click("a", json!(0.5)), click("b", json!("abc"))]);
    let out = SHARED.run(&[
        "produce",
        "--topic",
        &topic,
        "--value-json",
        &path_arg(&path),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 2: $.cost: expected float, got \"abc\""),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("nothing was sent"),
        "{}",
        stderr(&out)
    );
    // Nothing was sent: the topic was never even created.
    let topics = SHARED.run(&["topic", "list"]);
    assert_ok(&topics, "topic list");
    assert!(!stdout(&topics).contains(&topic), "{}", stdout(&topics));
}
