//! The local cluster: what people meet beyond one broker, on this machine. Three Kafka nodes
//! (brokers and KRaft controllers) that clients reach over SASL_SSL with SCRAM-SHA-512 and a
//! generated CA, topics replicated three times with two in sync; an Apicurio registry; a Spark
//! standalone master with two workers, and a Spark Connect server running its jobs there and
//! requiring a token. Every process is its own JVM on 127.0.0.1, fetched like the single-node
//! stack (the same cache) and kept under its own folder.
//!
//! `up` also writes the cluster's connection profile (`profile.toml`, secrets as file
//! references), which `--cluster local-cluster` reads.

mod nodes;
mod secrets;

pub use nodes::{Node, KAFKA_NODES, SPARK_WORKERS};

use super::artifacts;
use super::error::StackError;
use super::unit::{Progress, Unit};
use crate::settings::{
    ClusterConfig, KafkaConfig, RegistryConfig, SparkConfig, SparkToken, SparkUrl,
};
use nodes::ClusterPorts;
use secrets::{Certs, Secrets};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The name `stack up --cluster` gives the local cluster's profile.
pub const PROFILE_NAME: &str = "local-cluster";

const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What `up` did for one node.
#[derive(Debug, Clone)]
pub struct NodeStarted {
    /// Which node.
    pub node: Node,
    /// `false` when it was already running and was left alone.
    pub started: bool,
    /// From the nodes being started (after any download) to this one answering.
    pub ready_after: Duration,
}

/// Where one node stands.
#[derive(Debug, Clone)]
pub struct NodeStatus {
    /// Which node.
    pub node: Node,
    /// How it is reached.
    pub address: String,
    /// Its process, when one of ours runs.
    pub pid: Option<u32>,
    /// Whether it answered its readiness probe.
    pub ready: bool,
    /// Why not, when it did not.
    pub problem: Option<String>,
}

/// The local cluster described by a [`ClusterConfig`].
#[derive(Debug, Clone)]
pub struct Cluster {
    config: ClusterConfig,
    ports: ClusterPorts,
}

impl Cluster {
    /// A handle on the cluster; nothing is started or read yet.
    pub fn new(config: ClusterConfig) -> Self {
        let ports = ClusterPorts {
            base: config.base_port,
        };
        Self { config, ports }
    }

    /// The cluster's folder.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.config.data_dir
    }

    /// The connection profile `up` writes.
    pub fn profile_file(&self) -> PathBuf {
        self.config.data_dir.join("profile.toml")
    }

    fn unit(&self, node: Node) -> Unit {
        Unit {
            name: node.name(),
            dir: self.config.data_dir.join(node.name()),
            ports: self.ports.of(node),
        }
    }

    /// One node's log file.
    pub fn log_file(&self, node: Node) -> PathBuf {
        self.unit(node).log_file()
    }

    /// The pid of the node's process, if one of ours is running.
    pub fn running_pid(&self, node: Node) -> Option<u32> {
        self.unit(node).running_pid()
    }

    /// How clients (or, for the workers, the master) reach `node`.
    pub fn address(&self, node: Node) -> String {
        let p = self.ports;
        match node {
            Node::Kafka(i) => format!("127.0.0.1:{} (SASL_SSL)", p.kafka_client(i)),
            Node::Registry => self.registry_url(),
            Node::SparkMaster => format!(
                "{} (web UI http://127.0.0.1:{})",
                p.master_url(),
                p.spark_master_ui()
            ),
            Node::SparkWorker(i) => format!(
                "127.0.0.1:{} (web UI http://127.0.0.1:{})",
                p.spark_worker(i),
                p.spark_worker_ui(i)
            ),
            Node::SparkConnect => format!("sc://127.0.0.1:{}", p.spark_connect()),
        }
    }

    fn registry_url(&self) -> String {
        format!("http://127.0.0.1:{}/apis/ccompat/v7", self.ports.registry())
    }

    /// The settings clients reach the cluster with, its secrets read from its folder (they
    /// exist once the cluster has been started).
    pub fn clients(&self) -> Result<(KafkaConfig, RegistryConfig, SparkConfig), StackError> {
        let secrets = self.existing_secrets()?;
        self.clients_with(&secrets)
    }

    fn clients_with(
        &self,
        secrets: &Secrets,
    ) -> Result<(KafkaConfig, RegistryConfig, SparkConfig), StackError> {
        let ca = self.config.data_dir.join("certs").join("ca.pem");
        let option = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let kafka = KafkaConfig {
            bootstrap_servers: self.ports.bootstrap(),
            options: vec![
                option("security.protocol", "SASL_SSL"),
                option("sasl.mechanism", "SCRAM-SHA-512"),
                option("sasl.username", secrets::KAFKA_USER),
                option("sasl.password", &secrets.kafka_password),
                option("ssl.ca.location", &ca.display().to_string()),
            ],
        };
        let url = self.registry_url();
        let registry = RegistryConfig {
            url: url::Url::parse(&url).map_err(|e| StackError::Address {
                address: url,
                reason: e.to_string(),
            })?,
            auth: None,
        };
        let spark = SparkConfig {
            url: SparkUrl {
                host: "127.0.0.1".into(),
                port: self.ports.spark_connect(),
                token: SparkToken::new(&secrets.spark_token),
            },
        };
        Ok((kafka, registry, spark))
    }

    fn existing_secrets(&self) -> Result<Secrets, StackError> {
        let folder = self.config.data_dir.join("secrets");
        if !folder.is_dir() {
            return Err(StackError::NotCreated {
                what: "the local cluster".into(),
                hint: "kafka-demo stack up --cluster".into(),
            });
        }
        secrets::ensure_secrets(&self.config.data_dir)
    }

    /// Fetches what is missing, makes the certificates and secrets on the first start, starts
    /// every node that is not running and waits until each answers (or `timeout` passes once
    /// the downloads are done). Kafka, the registry and the Spark master start first, the
    /// workers and the Connect server once the master answers. Running nodes are left alone.
    pub async fn up(
        &self,
        timeout: Duration,
        progress: Progress<'_>,
    ) -> Result<Vec<NodeStarted>, StackError> {
        let mut fresh = Vec::new();
        for node in Node::all() {
            let unit = self.unit(node);
            if unit.running_pid().is_none() {
                unit.clear_stale_pid(progress).await;
                unit.check_ports()?;
                fresh.push(node);
            }
        }
        let art =
            artifacts::ensure(&self.config.cache_dir, &self.config.versions, progress).await?;
        let dir = &self.config.data_dir;
        std::fs::create_dir_all(dir).map_err(|e| StackError::io("create", dir, e))?;
        // Key stores and node configurations hold secrets: the folder is its owner's alone.
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| StackError::io("restrict", dir, e))?;
        let secrets = secrets::ensure_secrets(dir)?;
        let certs = secrets::ensure_certs(dir, &secrets).await?;
        let cluster_id = self.cluster_id()?;
        self.write_profile()?;
        let begun = Instant::now();
        let deadline = begun + timeout;
        let context = Context {
            art: &art,
            certs: &certs,
            secrets: &secrets,
            cluster_id: &cluster_id,
            progress,
            begun,
            deadline,
        };
        let up = |node: Node| self.bring_up(node, fresh.contains(&node), &context);
        let (kafka_and_registry, spark): (Vec<Node>, Vec<Node>) = Node::all()
            .into_iter()
            .partition(|n| matches!(n, Node::Kafka(_) | Node::Registry));
        // The workers and the Connect server register with the master, so they start once it
        // answers (a Connect server that finds no master gives up after a minute).
        let spark = async {
            let mut done = vec![up(Node::SparkMaster).await?];
            let rest = spark.into_iter().filter(|n| *n != Node::SparkMaster);
            for started in futures_util::future::join_all(rest.map(up)).await {
                done.push(started?);
            }
            Ok::<_, StackError>(done)
        };
        let (first, spark) = tokio::join!(
            futures_util::future::join_all(kafka_and_registry.into_iter().map(up)),
            spark
        );
        let mut report = first.into_iter().collect::<Result<Vec<_>, _>>()?;
        report.extend(spark?);
        Ok(report)
    }

    /// Starts `node` if it is `fresh`, then waits for it; one found running that dies before it
    /// answers (killed a moment before `up` looked) is started again, as after any crash.
    async fn bring_up(
        &self,
        node: Node,
        fresh: bool,
        cx: &Context<'_>,
    ) -> Result<NodeStarted, StackError> {
        let unit = self.unit(node);
        let mut started = fresh;
        let pid = match fresh {
            true => Some(self.start(node, &unit, cx).await?),
            false => unit.running_pid(),
        };
        let probe = || self.probe(node);
        match unit.wait_ready(pid, probe, cx.begun, cx.deadline).await {
            Err(StackError::Exited { .. }) if !started => {
                unit.clear_stale_pid(cx.progress).await;
                unit.check_ports()?;
                let pid = self.start(node, &unit, cx).await?;
                started = true;
                unit.wait_ready(Some(pid), probe, cx.begun, cx.deadline)
                    .await?;
            }
            other => other?,
        }
        Ok(NodeStarted {
            node,
            started,
            ready_after: cx.begun.elapsed(),
        })
    }

    async fn start(&self, node: Node, unit: &Unit, cx: &Context<'_>) -> Result<u32, StackError> {
        unit.create_dirs()?;
        let (dir, ports, art) = (&unit.dir, self.ports, cx.art);
        let mut cmd = match node {
            Node::Kafka(i) => {
                let keys = (cx.certs, cx.secrets, cx.cluster_id);
                nodes::kafka_command(i, dir, ports, keys, art).await?
            }
            Node::Registry => super::services::registry_command(
                dir,
                (ports.registry(), ports.registry_management()),
                art,
            ),
            Node::SparkMaster => nodes::master_command(dir, ports, art),
            Node::SparkWorker(i) => nodes::worker_command(i, dir, ports, art),
            Node::SparkConnect => {
                let token = SparkToken::new(&cx.secrets.spark_token).ok_or_else(|| {
                    StackError::NotCreated {
                        what: "the Spark Connect token".into(),
                        hint: "kafka-demo stack reset --cluster".into(),
                    }
                })?;
                nodes::connect_command(dir, ports, art, &token)
            }
        };
        unit.spawn(&mut cmd, cx.progress)
    }

    /// The id every Kafka node's storage is formatted with, made on the first start.
    fn cluster_id(&self) -> Result<String, StackError> {
        let path = self.config.data_dir.join("kafka-cluster.id");
        match std::fs::read_to_string(&path) {
            Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
            _ => {
                let id = super::services::cluster_id();
                std::fs::write(&path, format!("{id}\n"))
                    .map_err(|e| StackError::io("write", &path, e))?;
                Ok(id)
            }
        }
    }

    /// Writes the connection profile: addresses, the Kafka client settings, and the secrets as
    /// references to their files (never the secrets themselves).
    fn write_profile(&self) -> Result<(), StackError> {
        let dir = &self.config.data_dir;
        let quoted = |path: PathBuf| toml_string(&path.display().to_string());
        let text = format!(
            "# The local cluster's connection profile, written by `kafka-demo stack up --cluster`\n\
             # at every start; `kafka-demo --cluster {PROFILE_NAME} …` reads it.\n\
             bootstrap_servers = {bootstrap}\n\
             registry_url = {registry}\n\
             spark_url = {spark}\n\
             spark_token = {{ file = {token} }}\n\
             \n\
             [kafka]\n\
             \"security.protocol\" = \"SASL_SSL\"\n\
             \"sasl.mechanism\" = \"SCRAM-SHA-512\"\n\
             \"sasl.username\" = {user}\n\
             \"sasl.password\" = {{ file = {password} }}\n\
             \"ssl.ca.location\" = {ca}\n",
            bootstrap = toml_string(&self.ports.bootstrap()),
            registry = toml_string(&self.registry_url()),
            spark = toml_string(&format!("sc://127.0.0.1:{}", self.ports.spark_connect())),
            token = quoted(secrets::secret_file(dir, "spark-token")),
            user = toml_string(secrets::KAFKA_USER),
            password = quoted(secrets::secret_file(dir, "kafka-password")),
            ca = quoted(dir.join("certs").join("ca.pem")),
        );
        super::services::write(&self.profile_file(), &text)
    }

    /// One readiness check of `node`.
    pub async fn probe(&self, node: Node) -> Result<(), String> {
        match node {
            Node::Kafka(i) => self.probe_kafka(i).await,
            Node::Registry => {
                let (_, registry, _) = self.clients().map_err(|e| e.to_string())?;
                crate::health::registry(&registry).await
            }
            Node::SparkMaster => match self.master_state().await?.status.as_str() {
                "ALIVE" => Ok(()),
                other => Err(format!("the master is {other}")),
            },
            Node::SparkWorker(i) => {
                let port = self.ports.spark_worker(i);
                let state = self.master_state().await?;
                let alive = state
                    .workers
                    .iter()
                    .any(|w| w.port == port && w.state == "ALIVE");
                match alive {
                    true => Ok(()),
                    false => Err("not registered with the master".into()),
                }
            }
            Node::SparkConnect => {
                let (_, _, spark) = self.clients().map_err(|e| e.to_string())?;
                crate::health::spark(&spark).await
            }
        }
    }

    /// Node `i` takes connections on its client listener and is a broker of the cluster.
    async fn probe_kafka(&self, i: u8) -> Result<(), String> {
        let port = self.ports.kafka_client(i);
        let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
        match tokio::time::timeout(PROBE_TIMEOUT, connect).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err(format!("no answer within {PROBE_TIMEOUT:?}")),
        }
        let (mut kafka, _, _) = self.clients().map_err(|e| e.to_string())?;
        kafka.bootstrap_servers = format!("127.0.0.1:{port}");
        let ids = crate::kafka::broker_ids(&kafka, PROBE_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        match ids.contains(&i32::from(i)) {
            true => Ok(()),
            false => Err(format!("not yet among the brokers {ids:?}")),
        }
    }

    async fn master_state(&self) -> Result<MasterState, String> {
        let url = format!("http://127.0.0.1:{}/json/", self.ports.spark_master_ui());
        let client = reqwest::Client::builder()
            .timeout(PROBE_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        let answer = client.get(&url).send().await.map_err(|e| e.to_string())?;
        answer.json().await.map_err(|e| e.to_string())
    }

    /// Each node's address, process and readiness.
    pub async fn status(&self) -> Vec<NodeStatus> {
        let checks = Node::all().into_iter().map(|node| async move {
            let pid = self.running_pid(node);
            let probe = match pid {
                Some(_) => self.probe(node).await,
                None => Err("not running".into()),
            };
            NodeStatus {
                node,
                address: self.address(node),
                pid,
                ready: probe.is_ok(),
                problem: probe.err(),
            }
        });
        futures_util::future::join_all(checks).await
    }

    /// Stops every running node: Spark first, then the registry, then the three Kafka nodes
    /// together (one stopped after the others would wait in vain for a controller quorum to
    /// shut down cleanly). Returns the ones that had to be killed because they did not stop
    /// within the grace period.
    pub async fn down(&self, progress: Progress<'_>) -> Vec<Node> {
        let (kafka, rest): (Vec<Node>, Vec<Node>) = Node::all()
            .into_iter()
            .partition(|n| matches!(n, Node::Kafka(_)));
        let mut killed = Vec::new();
        for node in rest.into_iter().rev() {
            if !self.unit(node).stop(progress).await {
                killed.push(node);
            }
        }
        let units: Vec<(Node, Unit)> = kafka.into_iter().map(|n| (n, self.unit(n))).collect();
        let stops = units
            .iter()
            .map(|(node, unit)| async move { (!unit.stop(progress).await).then_some(*node) });
        killed.extend(
            futures_util::future::join_all(stops)
                .await
                .into_iter()
                .flatten(),
        );
        killed
    }

    /// Stops the cluster and deletes its folder: state, certificates, secrets and profile.
    /// Downloads stay.
    pub async fn reset(&self, progress: Progress<'_>) -> Result<(), StackError> {
        self.down(progress).await;
        let dir = &self.config.data_dir;
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| StackError::io("delete", dir, e))?;
            progress(&format!("deleted {}", dir.display()));
        }
        Ok(())
    }
}

/// What starting a node needs besides the node.
struct Context<'a> {
    art: &'a artifacts::Artifacts,
    certs: &'a Certs,
    secrets: &'a Secrets,
    cluster_id: &'a str,
    progress: Progress<'a>,
    begun: Instant,
    deadline: Instant,
}

/// The part of the master's `/json/` page the readiness checks read.
#[derive(Debug, serde::Deserialize)]
struct MasterState {
    status: String,
    #[serde(default)]
    workers: Vec<WorkerState>,
}

#[derive(Debug, serde::Deserialize)]
struct WorkerState {
    port: u16,
    state: String,
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_escape_what_toml_would_misread() {
        assert_eq!(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(toml_string("x\ny"), "\"x\\u000Ay\"");
    }

    #[test]
    fn clients_need_a_started_cluster() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cluster = Cluster::new(ClusterConfig {
            data_dir: dir.path().join("cluster"),
            cache_dir: dir.path().join("cache"),
            base_port: 25000,
            versions: crate::settings::Versions {
                kafka: String::new(),
                apicurio: String::new(),
                spark: String::new(),
            },
        });
        let error = cluster
            .clients()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("stack up --cluster"), "{error}");
    }
}
