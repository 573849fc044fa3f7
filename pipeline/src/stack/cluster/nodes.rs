//! The local cluster's processes: which there are, the ports each binds, and the command line
//! and configuration each starts with.

use super::secrets::{Certs, Secrets, KAFKA_USER};
use crate::stack::artifacts::Artifacts;
use crate::stack::error::StackError;
use crate::stack::services::{self, SparkMaster, Storage};
use crate::stack::unit::PortUse;
use std::path::Path;
use std::process::Command;

/// How many Kafka nodes the cluster has: three, so that with replication factor 3 and
/// `min.insync.replicas=2` one node can die without a write failing or the controller quorum
/// (two of three voters) being lost.
pub const KAFKA_NODES: u8 = 3;
/// How many Spark workers the cluster has: two, so a job survives losing one.
pub const SPARK_WORKERS: u8 = 2;

/// One process of the local cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    /// Kafka node 1, 2 or 3: broker and KRaft controller in one process (three JVMs rather than
    /// six on a two-core machine; the quorum and the replicas are the same).
    Kafka(u8),
    /// Apicurio Registry.
    Registry,
    /// The Spark standalone master.
    SparkMaster,
    /// Spark standalone worker 1 or 2 (each runs one executor of the Connect server's jobs).
    SparkWorker(u8),
    /// The Spark Connect server, running its jobs on the workers.
    SparkConnect,
}

impl Node {
    /// Every node, in start order.
    pub fn all() -> Vec<Node> {
        let mut nodes: Vec<Node> = (1..=KAFKA_NODES).map(Node::Kafka).collect();
        nodes.extend([Node::Registry, Node::SparkMaster]);
        nodes.extend((1..=SPARK_WORKERS).map(Node::SparkWorker));
        nodes.push(Node::SparkConnect);
        nodes
    }

    /// The node's name in folders, logs and messages.
    pub fn name(self) -> String {
        match self {
            Self::Kafka(i) => format!("kafka-{i}"),
            Self::Registry => "registry".into(),
            Self::SparkMaster => "spark-master".into(),
            Self::SparkWorker(i) => format!("spark-worker-{i}"),
            Self::SparkConnect => "spark-connect".into(),
        }
    }

    /// The node named `name`, if there is one.
    pub fn named(name: &str) -> Option<Node> {
        Self::all().into_iter().find(|n| n.name() == name)
    }
}

/// The cluster's ports, at fixed offsets from its base port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClusterPorts {
    pub(crate) base: u16,
}

impl ClusterPorts {
    /// Kafka node `i`'s SASL_SSL listener for clients.
    pub(crate) fn kafka_client(self, i: u8) -> u16 {
        self.base + 90 + u16::from(i)
    }
    /// Kafka node `i`'s SSL listener for the other brokers.
    pub(crate) fn kafka_internal(self, i: u8) -> u16 {
        self.base + 190 + u16::from(i)
    }
    /// Kafka node `i`'s KRaft controller listener.
    pub(crate) fn kafka_controller(self, i: u8) -> u16 {
        self.base + 290 + u16::from(i)
    }
    pub(crate) fn registry(self) -> u16 {
        self.base + 81
    }
    pub(crate) fn registry_management(self) -> u16 {
        self.base + 82
    }
    pub(crate) fn spark_master(self) -> u16 {
        self.base + 77
    }
    pub(crate) fn spark_master_ui(self) -> u16 {
        self.base + 78
    }
    pub(crate) fn spark_worker(self, i: u8) -> u16 {
        self.base + 73 + u16::from(i)
    }
    pub(crate) fn spark_worker_ui(self, i: u8) -> u16 {
        self.base + 83 + u16::from(i)
    }
    pub(crate) fn spark_connect(self) -> u16 {
        self.base + 2
    }

    /// The ports `node` binds.
    pub(crate) fn of(self, node: Node) -> Vec<PortUse> {
        let used = |port: u16, what: &str| PortUse {
            port,
            label: format!("the local cluster's {} ({what})", node.name()),
            flag: "--cluster-base-port",
        };
        match node {
            Node::Kafka(i) => vec![
                used(self.kafka_client(i), "clients"),
                used(self.kafka_internal(i), "brokers"),
                used(self.kafka_controller(i), "controllers"),
            ],
            Node::Registry => vec![
                used(self.registry(), "API"),
                used(self.registry_management(), "management"),
            ],
            Node::SparkMaster => vec![
                used(self.spark_master(), "workers"),
                used(self.spark_master_ui(), "web UI"),
            ],
            Node::SparkWorker(i) => vec![
                used(self.spark_worker(i), "master"),
                used(self.spark_worker_ui(i), "web UI"),
            ],
            Node::SparkConnect => vec![used(self.spark_connect(), "clients")],
        }
    }

    /// `host:port` of every node's client listener.
    pub(crate) fn bootstrap(self) -> String {
        (1..=KAFKA_NODES)
            .map(|i| format!("127.0.0.1:{}", self.kafka_client(i)))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) fn master_url(self) -> String {
        format!("spark://127.0.0.1:{}", self.spark_master())
    }
}

/// Kafka node `i`: broker and controller, clients on SASL_SSL with SCRAM-SHA-512, brokers and
/// controllers among themselves on TLS listeners of their own, everything replicated three
/// times and acknowledged by two.
pub(crate) fn kafka_properties(
    i: u8,
    ports: ClusterPorts,
    data: &Path,
    certs: &Certs,
    secrets: &Secrets,
) -> String {
    let voters = (1..=KAFKA_NODES)
        .map(|n| format!("{n}@127.0.0.1:{}", ports.kafka_controller(n)))
        .collect::<Vec<_>>()
        .join(",");
    let (client, internal, controller) = (
        ports.kafka_client(i),
        ports.kafka_internal(i),
        ports.kafka_controller(i),
    );
    let pass = &secrets.store_password;
    format!(
        "# Written by kafka-demo at every start; edit the flags, not this file.\n\
         process.roles=broker,controller\n\
         node.id={i}\n\
         controller.quorum.voters={voters}\n\
         listeners=CLIENT://127.0.0.1:{client},INTERNAL://127.0.0.1:{internal},CONTROLLER://127.0.0.1:{controller}\n\
         advertised.listeners=CLIENT://127.0.0.1:{client},INTERNAL://127.0.0.1:{internal}\n\
         listener.security.protocol.map=CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL\n\
         inter.broker.listener.name=INTERNAL\n\
         controller.listener.names=CONTROLLER\n\
         sasl.enabled.mechanisms=SCRAM-SHA-512\n\
         listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n\
         ssl.keystore.type=PKCS12\n\
         ssl.keystore.location={keystore}\n\
         ssl.keystore.password={pass}\n\
         ssl.truststore.type=PKCS12\n\
         ssl.truststore.location={truststore}\n\
         ssl.truststore.password={pass}\n\
         {topics}",
        keystore = certs.keystore.display(),
        truststore = certs.truststore.display(),
        topics = services::topic_properties(data, 3, 2),
    )
}

/// Kafka node `i`'s command, its storage formatted with the cluster's id and SCRAM user first.
pub(crate) async fn kafka_command(
    i: u8,
    dir: &Path,
    ports: ClusterPorts,
    (certs, secrets, cluster_id): (&Certs, &Secrets, &str),
    art: &Artifacts,
) -> Result<Command, StackError> {
    let properties = kafka_properties(i, ports, &dir.join("data"), certs, secrets);
    let storage = Storage {
        cluster_id: cluster_id.to_owned(),
        scram_user: Some(format!(
            "SCRAM-SHA-512=[name={KAFKA_USER},password={}]",
            secrets.kafka_password
        )),
    };
    services::kafka_command(dir, &properties, "512m", &storage, art).await
}

/// A Spark standalone daemon (`org.apache.spark.deploy.…`) from the `pyspark` package's jars.
fn spark_daemon(dir: &Path, art: &Artifacts, class: &str) -> Command {
    let mut cmd = Command::new("java");
    cmd.args(["-Xms128m", "-Xmx256m", "-Djava.awt.headless=true"])
        .arg(format!("-Djava.io.tmpdir={}", services::tmp(dir).display()))
        // Submitting over REST is not offered; clients come through Spark Connect.
        .arg("-Dspark.master.rest.enabled=false")
        .arg("-cp")
        .arg(art.spark_home.join("jars").join("*"))
        .arg(class)
        .env("SPARK_HOME", &art.spark_home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        // Read by the launcher a worker starts executors with; the pyspark package has no build
        // folders to tell it from.
        .env("SPARK_SCALA_VERSION", "2.13")
        .current_dir(dir);
    cmd
}

/// The standalone master, its web UI (and the JSON the readiness checks read) on loopback.
pub(crate) fn master_command(dir: &Path, ports: ClusterPorts, art: &Artifacts) -> Command {
    let mut cmd = spark_daemon(dir, art, "org.apache.spark.deploy.master.Master");
    cmd.args(["--host", "127.0.0.1"])
        .arg("--port")
        .arg(ports.spark_master().to_string())
        .arg("--webui-port")
        .arg(ports.spark_master_ui().to_string());
    cmd
}

/// Worker `i`: one core and 1 GiB for executors, its executors' folders under its own.
pub(crate) fn worker_command(i: u8, dir: &Path, ports: ClusterPorts, art: &Artifacts) -> Command {
    let mut cmd = spark_daemon(dir, art, "org.apache.spark.deploy.worker.Worker");
    cmd.args(["--host", "127.0.0.1", "--cores", "1", "--memory", "1g"])
        .arg("--port")
        .arg(ports.spark_worker(i).to_string())
        .arg("--webui-port")
        .arg(ports.spark_worker_ui(i).to_string())
        .arg("--work-dir")
        .arg(dir.join("work"))
        .arg(ports.master_url());
    cmd
}

/// The Spark Connect server, running its jobs on the workers' executors and requiring the
/// cluster's token.
pub(crate) fn connect_command(
    dir: &Path,
    ports: ClusterPorts,
    art: &Artifacts,
    token: &crate::settings::SparkToken,
) -> Command {
    let master = ports.master_url();
    services::spark_command(
        dir,
        ports.spark_connect(),
        SparkMaster::Standalone {
            url: &master,
            cores: u32::from(SPARK_WORKERS),
        },
        art,
        Some(token),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_nodes_share_a_port_and_all_lie_within_the_span() {
        let ports = ClusterPorts { base: 25000 };
        let mut all: Vec<u16> = Node::all()
            .into_iter()
            .flat_map(|n| ports.of(n))
            .map(|p| p.port)
            .collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "{all:?}");
        let span = crate::settings::ClusterConfig::PORT_SPAN;
        assert!(all.iter().all(|p| (25000..=25000 + span).contains(p)));
        assert_eq!(
            ports.bootstrap(),
            "127.0.0.1:25091,127.0.0.1:25092,127.0.0.1:25093"
        );
    }

    #[test]
    fn names_are_unique_and_found_again() {
        let nodes = Node::all();
        assert_eq!(nodes.len(), 8);
        for node in nodes {
            assert_eq!(Node::named(&node.name()), Some(node));
        }
        assert_eq!(Node::named("kafka-4"), None);
    }

    #[test]
    fn kafka_nodes_replicate_three_times_over_their_own_listeners() {
        let certs = Certs {
            ca_pem: "/c/ca.pem".into(),
            keystore: "/c/node.p12".into(),
            truststore: "/c/trust.p12".into(),
        };
        let secrets = Secrets {
            kafka_password: "k".into(),
            store_password: "s".into(),
            spark_token: "t".into(),
        };
        let props = kafka_properties(
            2,
            ClusterPorts { base: 25000 },
            Path::new("/d"),
            &certs,
            &secrets,
        );
        for line in [
            "node.id=2",
            "controller.quorum.voters=1@127.0.0.1:25291,2@127.0.0.1:25292,3@127.0.0.1:25293",
            "listeners=CLIENT://127.0.0.1:25092,INTERNAL://127.0.0.1:25192,CONTROLLER://127.0.0.1:25292",
            "listener.security.protocol.map=CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL",
            "inter.broker.listener.name=INTERNAL",
            "default.replication.factor=3",
            "min.insync.replicas=2",
            "ssl.keystore.location=/c/node.p12",
        ] {
            assert!(props.lines().any(|l| l == line), "{line} missing:\n{props}");
        }
    }
}
