//! Helpers for the integration tests: a real local stack on its own ports and data folder,
//! started once and reused (`Stack::up` leaves running services alone), and a way to run the
//! `kafka-demo` binary against it.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod faults;
pub mod ws;

use clap::Parser as _;
use kafka_demo::flags::Cli;
use pipeline::settings::Config;
use pipeline::stack::Stack;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

/// A stack for tests: where it lives and on which ports.
#[derive(Debug, Clone)]
pub struct TestStack {
    pub name: &'static str,
    pub base: u16,
}

/// The stack most tests share. `make test` stops it at the end.
pub const SHARED: TestStack = TestStack {
    name: "shared",
    base: 24000,
};

impl TestStack {
    /// `base`, moved by `KAFKA_DEMO_TEST_PORT_OFFSET` so two checkouts can test side by side.
    pub fn port_base(&self) -> u16 {
        let offset = std::env::var("KAFKA_DEMO_TEST_PORT_OFFSET")
            .ok()
            .and_then(|o| o.parse::<u16>().ok());
        let base = self.base + offset.unwrap_or(0);
        // Every port of the stack (base + 2 … base + 93) stays out of the kernel's source ports.
        let ephemeral = pipeline::settings::ephemeral_ports();
        assert!(
            !ephemeral.contains(&base) && !ephemeral.contains(&(base + 100)),
            "test stack ports from {base} reach into the ephemeral range {ephemeral:?}"
        );
        base
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("kafka-demo-test-stack-{}", self.name))
    }

    /// Downloads are shared with `make run` so they happen once per machine.
    pub fn cache_dir(&self) -> PathBuf {
        match std::env::var_os("KAFKA_DEMO_CACHE_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into()))
                .join(".kafka-demo/cache"),
        }
    }

    /// Global flags selecting this stack, for the binary and for building a `Config`.
    pub fn flags(&self) -> Vec<String> {
        stack_flags(&self.data_dir(), &self.cache_dir(), self.port_base())
    }

    pub fn config(&self) -> Config {
        let argv = std::iter::once("kafka-demo".to_owned())
            .chain(self.flags())
            .chain(["stack".to_owned(), "status".to_owned()]);
        let cli =
            Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("test flags do not parse: {e}"));
        cli.global
            .config(None)
            .unwrap_or_else(|e| panic!("test config is invalid: {e}"))
    }

    pub fn stack(&self) -> Stack {
        Stack::new(self.config().stack)
    }

    /// Brings the stack up (a no-op when it runs), failing the test with the reason otherwise.
    /// Tests of one binary run in parallel; they take turns so only the first one starts it.
    pub async fn ensure_up(&self) -> Config {
        static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _turn = TURN.lock().await;
        let stack = self.stack();
        if let Err(e) = stack
            .up(Duration::from_secs(300), &|line| {
                eprintln!("[{}] {line}", self.name)
            })
            .await
        {
            panic!("the {} test stack did not come up: {e}", self.name);
        }
        self.config()
    }

    /// Runs `kafka-demo <flags> <args>` against this stack.
    pub fn run(&self, args: &[&str]) -> Output {
        run_binary(&self.flags(), args)
    }

    /// Runs `kafka-demo-bench <flags> <args>` against this stack (from the benchmarks' tests).
    pub fn run_bench(&self, args: &[&str]) -> Output {
        let bench = kafka_demo_bin().with_file_name("kafka-demo-bench");
        command_of(&bench, &self.flags(), args)
            .output()
            .unwrap_or_else(|e| panic!("could not run kafka-demo-bench: {e}"))
    }
}

/// The local cluster the cluster suite (`make test-cluster`) runs on: `stack up --cluster`
/// with a data folder and ports of its own, its clients configured by the profile it writes.
#[derive(Debug, Clone)]
pub struct TestCluster {
    pub base: u16,
}

/// The one test cluster; `make test-cluster` stops it at the end.
pub const CLUSTER: TestCluster = TestCluster { base: 26000 };

impl TestCluster {
    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kafka-demo-test-cluster")
    }

    /// The cluster's own folder (the data folder's `cluster/`).
    pub fn dir(&self) -> PathBuf {
        self.data_dir().join("cluster")
    }
}

impl Target for TestCluster {
    fn flags(&self) -> Vec<String> {
        let base = self.base + SHARED.port_base() - SHARED.base;
        [
            ("--data-dir", self.data_dir().display().to_string()),
            ("--cache-dir", SHARED.cache_dir().display().to_string()),
            ("--cluster-base-port", base.to_string()),
            ("--cluster", "local-cluster".to_owned()),
        ]
        .into_iter()
        .flat_map(|(k, v)| [k.to_owned(), v])
        .collect()
    }

    fn config(&self) -> Config {
        let argv = std::iter::once("kafka-demo".to_owned())
            .chain(self.flags())
            .chain(["topic".to_owned(), "list".to_owned()]);
        let cli =
            Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("test flags do not parse: {e}"));
        cli.global
            .config(None)
            .unwrap_or_else(|e| panic!("the test cluster's profile does not resolve: {e}"))
    }
}

/// Something the binary can be pointed at: a test stack or the test cluster.
pub trait Target {
    /// Global flags selecting it.
    fn flags(&self) -> Vec<String>;
    /// The settings those flags give.
    fn config(&self) -> Config;
    /// Runs `kafka-demo <flags> <args>` against it.
    fn run(&self, args: &[&str]) -> Output {
        run_binary(&self.flags(), args)
    }
}

impl Target for TestStack {
    fn flags(&self) -> Vec<String> {
        TestStack::flags(self)
    }
    fn config(&self) -> Config {
        TestStack::config(self)
    }
}

/// The token every test stack's Spark Connect server requires (`--spark-token`): each Spark
/// step of the tests sends it, and `batch.rs` checks a client without it is refused.
pub const SPARK_TOKEN: &str = "kafka-demo-test-token";

/// Flags for a stack in `data` with downloads in `cache` and ports `port_base` + 2/81/82/92/93.
pub fn stack_flags(data: &std::path::Path, cache: &std::path::Path, port_base: u16) -> Vec<String> {
    let b = port_base;
    let pairs = [
        ("--spark-token", SPARK_TOKEN.to_owned()),
        ("--data-dir", data.display().to_string()),
        ("--cache-dir", cache.display().to_string()),
        ("--kafka-port", (b + 92).to_string()),
        ("--kafka-controller-port", (b + 93).to_string()),
        ("--registry-port", (b + 81).to_string()),
        ("--registry-management-port", (b + 82).to_string()),
        ("--spark-port", (b + 2).to_string()),
    ];
    pairs
        .into_iter()
        .flat_map(|(k, v)| [k.to_owned(), v])
        .collect()
}

/// Runs the binary with `flags` then `args`; nothing is inherited from the environment's
/// KAFKA_DEMO_* settings, so the test decides everything.
pub fn run_binary(flags: &[String], args: &[&str]) -> Output {
    command(flags, args)
        .output()
        .unwrap_or_else(|e| panic!("could not run kafka-demo: {e}"))
}

/// The command `run_binary` runs, for tests that need to watch or signal it while it runs.
pub fn command(flags: &[String], args: &[&str]) -> std::process::Command {
    command_of(&kafka_demo_bin(), flags, args)
}

/// `bin` with `flags` then `args`, run from the workspace root without the caller's KAFKA_DEMO_*.
pub fn command_of(bin: &std::path::Path, flags: &[String], args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KAFKA_DEMO_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(flags).args(args).current_dir(workspace_root());
    cmd
}

/// The `kafka-demo` binary: cargo names it to the CLI's own tests; tests of other packages (the
/// benchmarks') find it beside their own folder, where `cargo test --workspace` built it.
pub fn kafka_demo_bin() -> PathBuf {
    if let Some(bin) = option_env!("CARGO_BIN_EXE_kafka-demo") {
        return PathBuf::from(bin);
    }
    let beside = match option_env!("CARGO_BIN_EXE_kafka-demo-bench") {
        Some(bench) => Some(PathBuf::from(bench).with_file_name("kafka-demo")),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("kafka-demo"))),
    };
    match beside {
        Some(bin) if bin.exists() => bin,
        _ => panic!(
            "no kafka-demo binary beside the tests: build it first (cargo build -p kafka-demo)"
        ),
    }
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A name no earlier run used, so tests never see each other's topics or subjects.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos:x}", std::process::id())
}

/// Parses `subject=S version=V id=I` as `schema register` prints it.
pub fn registered(out: &Output) -> (String, u32, u32) {
    let text = stdout(out);
    let field = |key: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{key}=")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {key}= in {text:?} (stderr: {})", stderr(out)))
    };
    let number = |key: &str| {
        field(key)
            .parse::<u32>()
            .unwrap_or_else(|e| panic!("{key}: {e}"))
    };
    (field("subject"), number("version"), number("id"))
}

/// Copies the first `count` records of partition 0 of `from` to `to`, bytes unchanged.
pub async fn copy_records(
    kafka: &pipeline::settings::KafkaConfig,
    from: &str,
    to: &str,
    count: usize,
) {
    use rdkafka::consumer::{Consumer as _, StreamConsumer};
    use rdkafka::message::Message as _;
    use rdkafka::producer::{FutureProducer, FutureRecord};
    use rdkafka::{Offset, TopicPartitionList};
    use std::time::Duration;

    let consumer: StreamConsumer = pipeline::kafka::client_config(kafka)
        .set("group.id", unique("copier"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(from, 0, Offset::Beginning)
        .unwrap_or_else(|e| panic!("{e}"));
    consumer.assign(&list).unwrap_or_else(|e| panic!("{e}"));
    let producer: FutureProducer = pipeline::kafka::client_config(kafka)
        .set("enable.idempotence", "true")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let copied = tokio::time::timeout(Duration::from_secs(60), async {
        for _ in 0..count {
            let message = consumer.recv().await.unwrap_or_else(|e| panic!("{e}"));
            let value = message.payload().unwrap_or_default().to_vec();
            let record = FutureRecord::<[u8], [u8]>::to(to).payload(&value);
            let sent = producer.send(record, Duration::from_secs(30)).await;
            assert!(sent.is_ok(), "{sent:?}");
        }
    })
    .await;
    assert!(copied.is_ok(), "copying {from} to {to} did not finish");
}

impl TestStack {
    /// The first `count` records of `topic` as `kafka-demo consume` prints them, one JSON object
    /// each (a reader of the topic other than whatever wrote it).
    pub fn consumed(&self, topic: &str, count: usize) -> Vec<serde_json::Value> {
        let count = count.to_string();
        let out = self.run(&[
            "consume",
            "--topic",
            topic,
            "--from-beginning",
            "--max",
            &count,
            "--timeout",
            "30s",
        ]);
        assert_ok(&out, "consume");
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// A path as a command-line argument.
pub fn path_arg(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// Fails the test with both output streams when a command did not succeed.
pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        out.status,
        stdout(out),
        stderr(out)
    );
}
