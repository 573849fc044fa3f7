//! What a user sees when the machine lacks a tool or a download fails: one line saying what is
//! missing and what to do, no stack trace, and nothing half-fetched left behind as if complete.

mod common;

use common::{run_binary, stack_flags as flags, stderr};

/// The `error:` line and everything after it.
fn error_part(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.starts_with("error:"))
        .collect()
}

#[test]
fn missing_java_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty_path = dir.path().join("bin");
    std::fs::create_dir_all(&empty_path).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kafka-demo"));
    cmd.args(flags(
        &dir.path().join("data"),
        &dir.path().join("cache"),
        26000,
    ))
    .args(["stack", "up"])
    .env("PATH", &empty_path);
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(
        error_part(&err),
        ["error: `java` was not found: install a Java 17+ runtime (Debian: apt-get install openjdk-17-jdk-headless)"],
        "{err}"
    );
}

#[test]
fn a_failed_download_is_one_line_and_leaves_nothing_half_done() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache = dir.path().join("cache");
    let mut args = flags(&dir.path().join("data"), &cache, 26100);
    args.extend(["--kafka-version".to_owned(), "0.0.404".to_owned()]);
    let out = run_binary(&args, &["stack", "up"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines = error_part(&err);
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0]
            .starts_with("error: could not fetch Apache Kafka 0.0.404 jars from Maven Central: "),
        "{err}"
    );
    assert!(
        lines[0].contains("0.0.404") && lines[0].contains("(full log: "),
        "{err}"
    );
    assert!(
        !cache.join("kafka-0.0.404").join("libs").exists(),
        "no half download is taken for a complete one"
    );
}
