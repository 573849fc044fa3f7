//! `kafka-demo schema validate` as a user runs it: no services needed.

mod common;

use common::{run_binary, stderr, stdout};

#[test]
fn the_seed_schema_is_rejected_with_line_and_column() {
    let out = run_binary(
        &[],
        &["schema", "validate", "schemas/examples/click_seed.avsc"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    // The seed's trailing comma is noticed at the `]` closing the field list and reported at
    // the comma itself: line 17, column 43.
    assert!(
        err.contains("click_seed.avsc:17:43: invalid JSON: trailing comma after the last field"),
        "{err}"
    );
    assert!(
        err.contains("\"float\" },\n                                          ^"),
        "the line and a caret are shown: {err}"
    );
}

#[test]
fn the_click_schemas_validate() {
    for file in ["schemas/click_v1.avsc", "schemas/click_v2.avsc"] {
        let out = run_binary(&[], &["schema", "validate", file]);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("valid Avro schema com.example.click"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn an_avro_error_names_the_field() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("bad.avsc");
    let v1 = std::fs::read_to_string(common::workspace_root().join("schemas/click_v1.avsc"))
        .unwrap_or_default();
    let broken = v1.replace(
        r#"{ "name": "id", "type": "string" }"#,
        r#"{ "name": "id", "type": "strnig" }"#,
    );
    assert_ne!(broken, v1);
    std::fs::write(&file, broken).unwrap_or_else(|e| panic!("{e}"));
    let out = run_binary(&[], &["schema", "validate", &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("field `click.id`") && err.contains("strnig"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_one_clear_line() {
    let out = run_binary(&[], &["schema", "validate", "no/such.avsc"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: cannot read no/such.avsc: No such file"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn an_unreachable_registry_says_so_and_how_to_fix_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1);
    let url = format!("http://127.0.0.1:{port}/apis/ccompat/v7");
    let out = run_binary(
        &["--registry-url".into(), url],
        &["schema", "register", "schemas/click_v1.avsc"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot reach the schema registry") && err.contains("kafka-demo stack up"),
        "{err}"
    );
}
