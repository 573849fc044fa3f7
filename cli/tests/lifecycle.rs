//! The stack's lifecycle on a stack of its own: state survives `down` and `up`, `reset` wipes it,
//! and a busy port is reported with its owner.

mod common;

use common::{registered, stderr, stdout, TestStack};
use std::net::TcpListener;

const LIFECYCLE: TestStack = TestStack {
    name: "lifecycle",
    base: 25000,
};

/// Stops the stack even when an assertion fails half-way.
struct StopOnDrop;

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = LIFECYCLE.run(&["stack", "down"]);
    }
}

#[test]
fn state_survives_down_and_up_and_reset_wipes_it() {
    let _guard = StopOnDrop;
    let _ = std::fs::remove_dir_all(LIFECYCLE.data_dir());

    let up = LIFECYCLE.run(&["stack", "up"]);
    assert!(up.status.success(), "{}", stderr(&up));
    assert_eq!(
        stdout(&up)
            .lines()
            .filter(|l| l.contains(" up ") && l.contains("started"))
            .count(),
        3,
        "{}",
        stdout(&up)
    );

    let reg = LIFECYCLE.run(&[
        "schema",
        "register",
        "schemas/click_v1.avsc",
        "--topic",
        "clicks-avro",
    ]);
    assert!(reg.status.success(), "{}", stderr(&reg));
    let (_, version, id) = registered(&reg);
    let topic = LIFECYCLE.run(&["topic", "create", "clicks-avro"]);
    assert!(topic.status.success(), "{}", stderr(&topic));

    let again = LIFECYCLE.run(&["stack", "up"]);
    assert_eq!(
        stdout(&again).matches("already running").count(),
        3,
        "{}",
        stdout(&again)
    );

    let down = LIFECYCLE.run(&["stack", "down"]);
    assert!(down.status.success(), "{}", stderr(&down));
    assert!(
        !stderr(&down).contains("killed"),
        "every service stops on SIGTERM: {}",
        stderr(&down)
    );
    let status = LIFECYCLE.run(&["stack", "status"]);
    assert_eq!(status.status.code(), Some(3));
    assert_eq!(
        stdout(&status).matches(" down ").count(),
        3,
        "{}",
        stdout(&status)
    );

    let up = LIFECYCLE.run(&["stack", "up"]);
    assert!(up.status.success(), "{}", stderr(&up));
    let list = LIFECYCLE.run(&["schema", "list"]);
    assert!(
        stdout(&list).contains(&format!(
            "clicks-avro-value  versions={version}  latest: version={version} id={id}"
        )),
        "{}",
        stdout(&list)
    );
    let topics = LIFECYCLE.run(&["topic", "list"]);
    assert!(
        stdout(&topics)
            .lines()
            .any(|l| l.starts_with("clicks-avro ")),
        "{}",
        stdout(&topics)
    );

    let refused = LIFECYCLE.run(&["stack", "reset"]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "no terminal, no --yes: nothing is deleted"
    );
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    assert!(LIFECYCLE.data_dir().join("kafka").is_dir());

    let reset = LIFECYCLE.run(&["stack", "reset", "--yes"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    for service in ["kafka", "registry", "spark"] {
        assert!(
            !LIFECYCLE.data_dir().join(service).exists(),
            "{service} state is gone"
        );
    }
    assert!(LIFECYCLE.cache_dir().is_dir(), "downloads are kept");
}

#[test]
fn a_busy_port_is_named_with_its_holder() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = holder
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let flags: Vec<String> = [
        "--data-dir".to_owned(),
        dir.path().display().to_string(),
        "--cache-dir".to_owned(),
        LIFECYCLE.cache_dir().display().to_string(),
        "--kafka-port".to_owned(),
        port.to_string(),
    ]
    .into();
    let out = common::run_binary(&flags, &["stack", "up"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let expected = format!(
        "port {port} for Kafka on 127.0.0.1 is already in use by pid {} ",
        std::process::id()
    );
    assert!(err.contains(&expected), "{err}");
    assert!(err.contains("--kafka-port"), "{err}");
}
