//! How each service of the local stack is configured and started: its config files, its
//! command line, and the one-time preparation (Kafka's storage format).

use super::artifacts::Artifacts;
use super::error::StackError;
use super::unit::PortUse;
use crate::settings::Ports;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The three services, in start order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Apache Kafka, single KRaft node.
    Kafka,
    /// Apicurio Registry with its Confluent-compatible API.
    Registry,
    /// Spark Connect server.
    Spark,
}

impl Service {
    /// All services in start order.
    pub const ALL: [Service; 3] = [Service::Kafka, Service::Registry, Service::Spark];

    /// Short name used in folders, logs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Kafka => "kafka",
            Self::Registry => "registry",
            Self::Spark => "spark",
        }
    }

    /// Ports the service binds, with a label and the flag that moves each.
    pub(crate) fn ports(self, ports: &Ports) -> Vec<PortUse> {
        let named = ports.named();
        let wanted: &[usize] = match self {
            Self::Kafka => &[0, 1],
            Self::Registry => &[2, 3],
            Self::Spark => &[4],
        };
        wanted
            .iter()
            .map(|i| {
                let (port, label, flag) = named[*i];
                PortUse {
                    port,
                    label: label.into(),
                    flag,
                }
            })
            .collect()
    }
}

/// Writes Kafka's configuration and formats its storage the first time.
pub(crate) async fn prepare_kafka(
    dir: &Path,
    ports: &Ports,
    art: &Artifacts,
) -> Result<Command, StackError> {
    let properties = kafka_properties(&dir.join("data"), ports);
    let storage = Storage {
        cluster_id: cluster_id(),
        scram_user: None,
    };
    kafka_command(dir, &properties, "1g", &storage, art).await
}

/// What a Kafka node's storage is formatted with, the first time it starts.
pub(crate) struct Storage {
    /// The cluster's id, the same on every node of a cluster.
    pub(crate) cluster_id: String,
    /// A SCRAM credential to create, in the storage tool's form
    /// `SCRAM-SHA-512=[name=…,password=…]`.
    pub(crate) scram_user: Option<String>,
}

/// A Kafka node whose folder is `dir`, configured by `properties` (logs under `dir/data`),
/// its storage formatted first when it never was.
pub(crate) async fn kafka_command(
    dir: &Path,
    properties: &str,
    heap: &str,
    storage: &Storage,
    art: &Artifacts,
) -> Result<Command, StackError> {
    let props = dir.join("server.properties");
    // A cluster node's properties hold its key stores' password.
    write_private(&props, properties)?;
    let log4j = dir.join("log4j2.properties");
    write(&log4j, LOG4J2_PROPERTIES)?;
    let classpath = format!("{}/*", art.kafka_libs.display());
    if !dir.join("data").join("meta.properties").is_file() {
        format_kafka_storage(dir, &classpath, &props, storage).await?;
    }
    let mut cmd = Command::new("java");
    cmd.args(["-Xms256m", "-XX:+UseG1GC", "-Djava.awt.headless=true"])
        .arg(format!("-Xmx{heap}"))
        .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
        .arg(format!("-Dkafka.logs.dir={}", dir.display()))
        .arg("-cp")
        .arg(&classpath)
        .arg("kafka.Kafka")
        .arg(&props)
        .current_dir(dir);
    Ok(cmd)
}

/// A single node that is both broker and controller, everything on 127.0.0.1.
fn kafka_properties(data: &Path, ports: &Ports) -> String {
    let (port, ctrl) = (ports.kafka, ports.kafka_controller);
    format!(
        "# Written by kafka-demo at every start; edit the flags, not this file.\n\
         process.roles=broker,controller\n\
         node.id=1\n\
         controller.quorum.voters=1@127.0.0.1:{ctrl}\n\
         listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{ctrl}\n\
         advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
         controller.listener.names=CONTROLLER\n\
         inter.broker.listener.name=PLAINTEXT\n\
         listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n\
         {topics}",
        topics = topic_properties(data, 1, 1)
    )
}

/// Where a node keeps its logs, and how many replicas its topics have (internal ones included)
/// and how many must be in sync for a write.
pub(crate) fn topic_properties(data: &Path, replicas: u8, in_sync: u8) -> String {
    format!(
        "log.dirs={data}\n\
         num.partitions=3\n\
         default.replication.factor={replicas}\n\
         min.insync.replicas={in_sync}\n\
         auto.create.topics.enable=false\n\
         offsets.topic.replication.factor={replicas}\n\
         transaction.state.log.replication.factor={replicas}\n\
         transaction.state.log.min.isr={in_sync}\n\
         share.coordinator.state.topic.replication.factor={replicas}\n\
         share.coordinator.state.topic.min.isr={in_sync}\n\
         group.initial.rebalance.delay.ms=0\n",
        data = data.display()
    )
}

pub(crate) const LOG4J2_PROPERTIES: &str = "\
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
";

async fn format_kafka_storage(
    dir: &Path,
    classpath: &str,
    props: &Path,
    storage: &Storage,
) -> Result<(), StackError> {
    let log = dir.join("format.log");
    let out = std::fs::File::create(&log).map_err(|e| StackError::io("create", &log, e))?;
    let err = out
        .try_clone()
        .map_err(|e| StackError::io("create", &log, e))?;
    let mut format = tokio::process::Command::new("java");
    format
        .arg("-cp")
        .arg(classpath)
        .args([
            "kafka.tools.StorageTool",
            "format",
            "-t",
            &storage.cluster_id,
        ])
        .arg("-c")
        .arg(props);
    if let Some(user) = &storage.scram_user {
        format.args(["--add-scram", user]);
    }
    let status = format
        .stdout(out)
        .stderr(err)
        .status()
        .await
        .map_err(|e| StackError::io("run Kafka's storage tool in", dir, e))?;
    if status.success() {
        return Ok(());
    }
    Err(StackError::Exited {
        service: "kafka (storage format)".into(),
        status: status.to_string(),
        log: log.clone(),
        tail: super::process::tail(&log, 20),
    })
}

/// 16 random bytes, URL-safe base64 without padding: the form KRaft wants. Like Kafka's own
/// `random-uuid`, never one starting with `-`, which the storage tool would read as a flag (one
/// fresh stack in 64 failed to format before).
pub(crate) fn cluster_id() -> String {
    use base64::Engine as _;
    loop {
        let bytes: [u8; 16] = rand::random();
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        if !id.starts_with('-') {
            return id;
        }
    }
}

/// The registry, persisting to an H2 file in its folder, BACKWARD by default like Confluent's;
/// its API on `port`, its health endpoints on `management_port`.
pub(crate) fn registry_command(
    dir: &Path,
    (port, management_port): (u16, u16),
    art: &Artifacts,
) -> Command {
    let db = dir.join("db").join("registry");
    let mut cmd = Command::new("java");
    cmd.args(["-Xms128m", "-Xmx512m", "-Djava.awt.headless=true"])
        .arg("-Dquarkus.http.host=127.0.0.1")
        .arg(format!("-Dquarkus.http.port={port}"))
        .arg("-Dquarkus.management.host=127.0.0.1")
        .arg(format!("-Dquarkus.management.port={management_port}"))
        .arg(format!(
            "-Dapicurio.datasource.url=jdbc:h2:file:{}",
            db.display()
        ))
        .arg("-Dapicurio.rules.global.compatibility=BACKWARD")
        .arg(format!("-Djava.io.tmpdir={}", tmp(dir).display()))
        .arg("-jar")
        .arg(&art.registry_jar)
        .current_dir(dir);
    cmd
}

/// Where a Spark Connect server runs its jobs.
pub(crate) enum SparkMaster<'a> {
    /// In its own JVM, on every core.
    Local,
    /// On a standalone cluster's executors (`spark://…`), at most this many cores in all.
    Standalone { url: &'a str, cores: u32 },
}

/// The Spark Connect server from the `pyspark` package, with the connectors on its classpath
/// (shipped to executors too) and every listener on loopback.
pub(crate) fn spark_command(
    dir: &Path,
    port: u16,
    master: SparkMaster<'_>,
    art: &Artifacts,
    token: Option<&crate::settings::SparkToken>,
) -> Command {
    let jars: Vec<String> = art
        .spark_jars
        .iter()
        .map(|j| j.display().to_string())
        .collect();
    let conf = [
        ("spark.connect.grpc.binding.address", "127.0.0.1".to_owned()),
        ("spark.connect.grpc.binding.port", port.to_string()),
        ("spark.driver.host", "127.0.0.1".to_owned()),
        ("spark.driver.bindAddress", "127.0.0.1".to_owned()),
        ("spark.ui.enabled", "false".to_owned()),
        ("spark.jars", jars.join(",")),
        // Spark's default of 200 shuffle partitions makes every small aggregation slow on 2 cores.
        ("spark.sql.shuffle.partitions", "4".to_owned()),
        ("spark.local.dir", tmp(dir).display().to_string()),
        (
            "spark.sql.warehouse.dir",
            dir.join("warehouse").display().to_string(),
        ),
        (
            "spark.driver.extraJavaOptions",
            format!("-Dderby.system.home={}", dir.display()),
        ),
    ];
    let mut cmd = Command::new("bash");
    cmd.arg(art.spark_home.join("bin").join("spark-submit"))
        .args([
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
        ])
        .args([
            "--name",
            "kafka-demo-spark-connect",
            "--driver-memory",
            "1g",
        ]);
    if let SparkMaster::Standalone { url, cores } = master {
        cmd.args(["--master", url, "--executor-memory", "1g"]);
        cmd.arg("--conf").arg(format!("spark.cores.max={cores}"));
        cmd.args(["--conf", "spark.executor.cores=1"]);
    }
    for (key, value) in conf {
        cmd.arg("--conf").arg(format!("{key}={value}"));
    }
    cmd.arg("spark-internal")
        .env("SPARK_HOME", &art.spark_home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("SPARK_LOG_DIR", dir)
        .current_dir(dir);
    // Spark Connect's pre-shared token, through the environment rather than the command line,
    // where every local user could read it: clients must then send it as a bearer token.
    match token {
        Some(token) => cmd.env("SPARK_CONNECT_AUTHENTICATE_TOKEN", token.reveal()),
        None => cmd.env_remove("SPARK_CONNECT_AUTHENTICATE_TOKEN"),
    };
    cmd
}

pub(crate) fn tmp(dir: &Path) -> PathBuf {
    dir.join("tmp")
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), StackError> {
    std::fs::write(path, text).map_err(|e| StackError::io("write", path, e))
}

/// Writes `text` to a file only its owner may read.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), StackError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StackError::io("create", path, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| StackError::io("write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::default_port;

    fn ports() -> Ports {
        Ports {
            kafka: default_port::KAFKA,
            kafka_controller: default_port::KAFKA_CONTROLLER,
            registry: default_port::REGISTRY,
            registry_management: default_port::REGISTRY_MANAGEMENT,
            spark: default_port::SPARK,
        }
    }

    #[test]
    fn cluster_id_is_16_bytes_of_url_safe_base64() {
        let id = cluster_id();
        assert_eq!(id.len(), 22);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(id, cluster_id());
        // One id in 64 would start with `-` if it were allowed to.
        assert!((0..2000).all(|_| !cluster_id().starts_with('-')));
    }

    #[test]
    fn kafka_listens_on_loopback_only() {
        let props = kafka_properties(Path::new("/d"), &ports());
        let listeners = props
            .lines()
            .find(|l| l.starts_with("listeners="))
            .unwrap_or_default();
        assert_eq!(
            listeners,
            "listeners=PLAINTEXT://127.0.0.1:23092,CONTROLLER://127.0.0.1:23093"
        );
        assert!(props.contains("controller.quorum.voters=1@127.0.0.1:23093"));
        assert!(props.contains("log.dirs=/d\n"));
    }

    #[test]
    fn every_service_port_is_claimed_once() {
        let p = ports();
        let mut all: Vec<u16> = Service::ALL
            .iter()
            .flat_map(|s| s.ports(&p))
            .map(|used| used.port)
            .collect();
        all.sort_unstable();
        let mut expected: Vec<u16> = p.named().iter().map(|(port, _, _)| *port).collect();
        expected.sort_unstable();
        assert_eq!(all, expected);
    }
}
