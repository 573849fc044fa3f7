//! Cluster profiles as a user runs them: a config file naming the shared test stack, chosen with
//! `--cluster`, and no connection flags on the command line.

mod common;

use common::{command, registered, stderr, stdout, unique, SHARED, SPARK_TOKEN};
use std::path::Path;
use std::process::Output;

/// Writes a config file whose profile `t` points at the shared stack, its Spark token read from
/// the variable `PROFILE_TEST_SPARK_TOKEN`.
fn write_config(dir: &Path) -> String {
    let config = SHARED.config();
    let text = format!(
        r#"
[clusters.t]
bootstrap_servers = "{}"
registry_url = "{}"
spark_url = "{}"
spark_token = {{ env = "PROFILE_TEST_SPARK_TOKEN" }}

[clusters.t.kafka]
"client.id" = "kafka-demo-profile-test"

[clusters.elsewhere]
bootstrap_servers = "127.0.0.1:9"
"#,
        config.kafka.bootstrap_servers, config.registry.url, config.spark.url
    );
    let file = dir.join("config.toml");
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    file.display().to_string()
}

/// Runs `kafka-demo --data-dir DIR/data --config FILE ARGS` with the profile's variable set.
fn run(dir: &Path, file: &str, args: &[&str]) -> Output {
    let data = dir.join("data").display().to_string();
    let flags = [
        "--data-dir".to_owned(),
        data,
        "--config".to_owned(),
        file.to_owned(),
    ];
    command(&flags, args)
        .env("PROFILE_TEST_SPARK_TOKEN", SPARK_TOKEN)
        .output()
        .unwrap_or_else(|e| panic!("could not run kafka-demo: {e}"))
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        stdout(out),
        stderr(out)
    );
}

#[tokio::test]
async fn a_profile_reaches_the_stack_it_names() {
    SHARED.ensure_up().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write_config(dir.path());
    let topic = unique("profile");

    let created = run(
        dir.path(),
        &file,
        &["--cluster", "t", "topic", "create", &topic],
    );
    assert_ok(&created, "topic create");
    let listed = run(dir.path(), &file, &["--cluster", "t", "topic", "list"]);
    assert_ok(&listed, "topic list");
    assert!(stdout(&listed).contains(&topic), "{}", stdout(&listed));
    // The topic is on the shared stack, reached here through its flags.
    let by_flags = SHARED.run(&["topic", "list"]);
    assert!(stdout(&by_flags).contains(&topic), "{}", stdout(&by_flags));

    let register = [
        "--cluster",
        "t",
        "schema",
        "register",
        "schemas/click_v1.avsc",
        "--topic",
        &topic,
    ];
    let registered_out = run(dir.path(), &file, &register);
    assert_ok(&registered_out, "schema register");
    let (subject, _, _) = registered(&registered_out);
    let schemas = run(dir.path(), &file, &["--cluster", "t", "schema", "list"]);
    assert_ok(&schemas, "schema list");
    assert!(stdout(&schemas).contains(&subject), "{}", stdout(&schemas));

    // `stack … --cluster` manages the local cluster; a file's default names the profile in use
    // to the single-node stack's status.
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let defaulted = dir.path().join("defaulted.toml");
    std::fs::write(&defaulted, format!("default = \"t\"\n{text}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut status_flags = SHARED.flags();
    status_flags.extend(["--config".to_owned(), defaulted.display().to_string()]);
    let status = command(&status_flags, &["stack", "status"])
        .env("PROFILE_TEST_SPARK_TOKEN", SPARK_TOKEN)
        .output()
        .unwrap_or_else(|e| panic!("could not run kafka-demo: {e}"));
    assert_ok(&status, "stack status");
    let line = format!(
        "cluster profile t: Kafka {}",
        SHARED.config().kafka.bootstrap_servers
    );
    assert!(stderr(&status).contains(&line), "{}", stderr(&status));
    assert!(
        !stderr(&status).contains(SPARK_TOKEN),
        "{}",
        stderr(&status)
    );
}

#[test]
fn a_wrong_cluster_name_is_one_line_naming_the_profiles() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write_config(dir.path());
    let out = run(
        dir.path(),
        &file,
        &["--cluster", "staging", "topic", "list"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: no cluster profile is named \"staging\" (--cluster")
            && err.contains("the profiles are: elsewhere, t"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
