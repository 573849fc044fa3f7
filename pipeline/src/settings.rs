//! The pipeline's settings: plain, validated structs saying where Kafka, the registry and Spark
//! Connect are, how the local stack is laid out, and what each step was asked to do. The command
//! line and the bridge fill them (each from its own input); nothing here reads flags or the
//! environment.

use shared::generator::{GeneratorConfig, OptionsError};
use shared::Topic;
use std::path::PathBuf;
use std::time::Duration;

/// Default ports of the local stack. They sit away from the usual 9092/8081/15002 so that
/// another Kafka, registry or Spark on the machine does not stop the playground from starting,
/// and below Linux's ephemeral range (32768–60999 by default): a client retrying a dead port in
/// that range can be handed the very port as its own source port, connect to itself and hold the
/// port, so the service could not start again.
pub mod default_port {
    /// Kafka's client listener.
    pub const KAFKA: u16 = 23092;
    /// Kafka's KRaft controller listener.
    pub const KAFKA_CONTROLLER: u16 = 23093;
    /// The schema registry's HTTP API.
    pub const REGISTRY: u16 = 23081;
    /// The registry's management (health) interface.
    pub const REGISTRY_MANAGEMENT: u16 = 23082;
    /// The Spark Connect gRPC server.
    pub const SPARK: u16 = 23002;
    /// The first of the local cluster's ports (it uses this one to this + 300; see
    /// [`ClusterConfig`](super::ClusterConfig)).
    pub const CLUSTER_BASE: u16 = 27000;
}

/// Default versions of the services the local stack fetches.
pub mod default_version {
    /// Apache Kafka (`org.apache.kafka:kafka_2.13`).
    pub const KAFKA: &str = "4.1.1";
    /// Apicurio Registry; 3.0.x is the newest line that runs on Java 17.
    pub const APICURIO: &str = "3.0.9";
    /// Spark (the `pyspark` wheel and the matching connector jars).
    pub const SPARK: &str = "4.2.0";
}

/// The click field a produced record is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyField {
    /// The click's own id.
    Id,
    /// The impression the click belongs to (clicks of one impression share a partition).
    ImpressionId,
    /// The creative.
    CreativeId,
    /// The placement.
    PlacementId,
    /// No key: records spread over the partitions.
    None,
}

/// Compression codecs librdkafka offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Uncompressed.
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The value of librdkafka's `compression.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }
}

/// How `consume` prints records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One JSON object per record and line.
    Jsonl,
    /// Aligned columns for reading in a terminal.
    Table,
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A folder path that cannot be made absolute.
    #[error("folder {path:?} cannot be used: {reason}")]
    Folder {
        /// The path as given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A `-X` option without `=`.
    #[error("Kafka option {0:?} is not KEY=VALUE")]
    KafkaOption(String),
    /// The registry URL does not parse or is not http(s).
    #[error("registry URL {url:?} is not a usable http(s) URL: {reason}")]
    RegistryUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The Spark Connect URL is not `sc://host:port`.
    #[error("Spark Connect URL {url:?} is not of the form sc://host:port ({reason})")]
    SparkUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The local cluster's ports would reach privileged or ephemeral ports.
    #[error(
        "the local cluster's ports {base}–{top} (--cluster-base-port) must lie between 1024 and \
         the kernel's ephemeral ports, which start at {ephemeral}"
    )]
    ClusterPorts {
        /// The base port given.
        base: u16,
        /// The highest port it would use.
        top: u32,
        /// The first ephemeral port.
        ephemeral: u16,
    },
    /// `--spark-token` (KAFKA_DEMO_SPARK_TOKEN) was given empty.
    #[error("the Spark Connect token (--spark-token, KAFKA_DEMO_SPARK_TOKEN) is empty")]
    EmptySparkToken,
    /// The registry's bearer token was given empty.
    #[error(
        "the registry's bearer token (--registry-token, KAFKA_DEMO_REGISTRY_TOKEN or a profile's \
         registry_bearer_token) is empty"
    )]
    EmptyRegistryToken,
    /// The registry was given a basic-auth user and a bearer token: only one can be sent.
    #[error(
        "the schema registry is given both a user for basic authentication (--registry-user, \
         KAFKA_DEMO_REGISTRY_USER or a profile's registry_user) and a bearer token \
         (--registry-token, KAFKA_DEMO_REGISTRY_TOKEN or a profile's registry_bearer_token); \
         give one of them"
    )]
    RegistryAuthClash,
    /// Two services were given the same port.
    #[error("port {port} is given to both {first} and {second}; each service needs its own")]
    PortClash {
        /// The shared port.
        port: u16,
        /// One service.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// The generator refused its options (fault fractions out of range or adding up past 1).
    #[error("generator options: {0}")]
    Generator(#[from] OptionsError),
    /// The dead-letter topic is the topic being consumed.
    #[error("the dead-letter topic must differ from the topic being consumed ({0})")]
    DlqIsSource(String),
    /// `--group ""`.
    #[error("a consumer group name cannot be empty")]
    EmptyGroup,
}

/// What `produce` was asked for, validated.
#[derive(Debug, Clone)]
pub struct ProduceConfig {
    /// Where the records go.
    pub topic: Topic,
    /// Stop after this many records.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Records per second; unthrottled when `None`.
    pub rate: Option<f64>,
    /// The generator's checked options.
    pub generator: GeneratorConfig,
    /// The writer schema's file; the default schema when `None`.
    pub schema: Option<PathBuf>,
    /// Where to write the manifest.
    pub manifest: Option<PathBuf>,
    /// Which field keys the records.
    pub key_field: KeyField,
    /// Batch compression.
    pub compression: Compression,
    /// Partitions of a topic created now.
    pub partitions: i32,
    /// Replication factor of a topic created now ([`crate::kafka::BROKER_DEFAULT`]: the brokers' default).
    pub replication_factor: i32,
    /// How long a record may wait for the brokers' acknowledgement, retries included, before it
    /// counts as failed.
    pub delivery_timeout: Duration,
    /// How long the producer waits for more records before sending a batch that is not full
    /// (librdkafka's linger.ms).
    pub linger: Duration,
}

/// How long a producer waits to fill a batch unless told otherwise: a few milliseconds, which
/// costs little latency and lets a fast run send full batches.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(5);

/// The producer's delivery timeout unless told otherwise: like the Java client's
/// `delivery.timeout.ms`, long enough for a broker to restart without a record being lost.
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);

/// What `consume` was asked for, validated.
#[derive(Debug, Clone)]
pub struct ConsumeConfig {
    /// The topic to read.
    pub topic: Topic,
    /// The consumer group, when offsets are to be committed.
    pub group: Option<String>,
    /// Start at the oldest record when there is no committed offset.
    pub from_beginning: bool,
    /// Stop after this many records.
    pub max: Option<u64>,
    /// How records are printed.
    pub format: OutputFormat,
    /// JSON lines show dates and times as ISO-8601 text instead of their stored numbers.
    pub render: bool,
    /// Where poison pills are copied.
    pub dlq: Option<Topic>,
    /// Stop when nothing arrives for this long.
    pub idle_timeout: Option<Duration>,
}

/// Everything the bridge needs to know, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The local stack.
    pub stack: StackConfig,
    /// Where Kafka is and how to talk to it.
    pub kafka: KafkaConfig,
    /// Where the schema registry is.
    pub registry: RegistryConfig,
    /// Where Spark Connect is.
    pub spark: SparkConfig,
    /// The local cluster, when `stack … --cluster` manages it.
    pub cluster: ClusterConfig,
    /// Where the Spark steps keep their default batch output and stream checkpoints: the data
    /// folder, or a folder of its own per cluster profile (see [`Config::for_profile`]), so the
    /// same topic name on two clusters never shares a checkpoint.
    pub spark_state: PathBuf,
}

/// The local cluster: three Kafka nodes behind SASL_SSL, a registry, a Spark master with two
/// workers and a Spark Connect server, each its own process on 127.0.0.1, with ports at fixed
/// offsets from one base port.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Its state: every node's folder, the certificates and the generated secrets.
    pub data_dir: PathBuf,
    /// Downloads, shared with the single-node stack.
    pub cache_dir: PathBuf,
    /// The first port; the cluster binds ports from here to here + [`ClusterConfig::PORT_SPAN`].
    pub base_port: u16,
    /// What to fetch (the single-node stack's versions).
    pub versions: Versions,
}

impl ClusterConfig {
    /// How far above the base port the cluster's ports reach.
    pub const PORT_SPAN: u16 = 300;
}

/// Ports of the local stack's services, all bound on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// Kafka's client listener.
    pub kafka: u16,
    /// Kafka's controller listener.
    pub kafka_controller: u16,
    /// The registry's HTTP API.
    pub registry: u16,
    /// The registry's management interface.
    pub registry_management: u16,
    /// Spark Connect.
    pub spark: u16,
}

impl Ports {
    /// Every port with the service it belongs to and the flag that sets it.
    pub fn named(&self) -> [(u16, &'static str, &'static str); 5] {
        [
            (self.kafka, "Kafka", "--kafka-port"),
            (
                self.kafka_controller,
                "the Kafka controller",
                "--kafka-controller-port",
            ),
            (self.registry, "the schema registry", "--registry-port"),
            (
                self.registry_management,
                "the registry's management interface",
                "--registry-management-port",
            ),
            (self.spark, "Spark Connect", "--spark-port"),
        ]
    }

    fn check_distinct(&self) -> Result<(), ConfigError> {
        let named = self.named();
        for (i, (port, first, _)) in named.iter().enumerate() {
            if let Some((_, second, _)) = named[i + 1..].iter().find(|(p, _, _)| p == port) {
                return Err(ConfigError::PortClash {
                    port: *port,
                    first,
                    second,
                });
            }
        }
        Ok(())
    }
}

/// Versions of the services to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// Apache Kafka.
    pub kafka: String,
    /// Apicurio Registry.
    pub apicurio: String,
    /// Spark.
    pub spark: String,
}

/// The local stack: where its state and downloads live, its ports and versions.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// State: Kafka logs, registry database, Spark folders, service logs and pid files.
    pub data_dir: PathBuf,
    /// Downloads: jars and the Python venv. Survives `stack reset`.
    pub cache_dir: PathBuf,
    /// Ports on 127.0.0.1.
    pub ports: Ports,
    /// What to fetch.
    pub versions: Versions,
    /// The token the local Spark Connect server requires of its clients, when one is set.
    pub spark_token: Option<SparkToken>,
}

impl StackConfig {
    /// Kafka bootstrap address of the local broker.
    pub fn kafka_bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.ports.kafka)
    }

    /// Confluent-compatible API of the local registry.
    pub fn registry_url(&self) -> String {
        format!("http://127.0.0.1:{}/apis/ccompat/v7", self.ports.registry)
    }

    /// The local Spark Connect server.
    pub fn spark_url(&self) -> SparkUrl {
        SparkUrl {
            host: "127.0.0.1".into(),
            port: self.ports.spark,
            token: self.spark_token.clone(),
        }
    }
}

/// How to reach Kafka.
#[derive(Clone)]
pub struct KafkaConfig {
    /// `host:port[,host:port…]`.
    pub bootstrap_servers: String,
    /// librdkafka settings passed through as given (security settings for remote clusters).
    pub options: Vec<(String, String)>,
}

/// The options' values can be passwords and keys: debug output names the options only.
impl std::fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.options.iter().map(|(key, _)| key.as_str()).collect();
        f.debug_struct("KafkaConfig")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("options", &keys)
            .finish()
    }
}

/// How to reach the schema registry.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Base URL of the Confluent-compatible API, without a trailing slash.
    pub url: url::Url,
    /// What each request authenticates with, if anything.
    pub auth: Option<RegistryAuth>,
}

/// How requests to the registry authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAuth {
    /// HTTP basic authentication.
    Basic {
        /// The user.
        user: String,
        /// The password, if the registry wants one.
        password: Option<Secret>,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
}

/// A password or token: never printed, in errors or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the request that sends it only.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A Spark Connect endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkUrl {
    /// Host name or address.
    pub host: String,
    /// gRPC port.
    pub port: u16,
    /// The server's pre-shared token (`;token=…`), sent as a bearer token.
    pub token: Option<SparkToken>,
}

/// A Spark Connect token: never printed, in errors or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct SparkToken(String);

impl SparkToken {
    /// A token, unless `text` is empty.
    pub fn new(text: &str) -> Option<Self> {
        (!text.is_empty()).then(|| Self(text.to_owned()))
    }

    /// The token itself, for the connection only.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SparkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SparkToken(…)")
    }
}

impl SparkUrl {
    /// Parses `sc://host:port[/][;key=value…]`: `token` is kept, `use_ssl=true` is refused
    /// (this build speaks plaintext gRPC only), other parameters are ignored.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        // The URL may hold the token: errors show it without its parameters.
        let shown = text.split(';').next().unwrap_or_default().to_owned();
        let fail = |reason: &str| ConfigError::SparkUrl {
            url: shown.clone(),
            reason: reason.into(),
        };
        let rest = text
            .strip_prefix("sc://")
            .ok_or_else(|| fail("it must start with sc://"))?;
        let authority = rest.split([';', '/']).next().unwrap_or_default();
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| fail("the port is missing"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(fail("the host is missing"));
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| fail("the port is not a number from 1 to 65535"))?;
        if port == 0 {
            return Err(fail("the port is not a number from 1 to 65535"));
        }
        let mut token = None;
        for parameter in rest.split(';').skip(1) {
            match parameter.split_once('=') {
                Some(("token", value)) if !value.is_empty() => {
                    token = Some(SparkToken(value.to_owned()));
                }
                Some(("token", _)) => return Err(fail("the token is empty")),
                Some(("use_ssl", value)) if value.eq_ignore_ascii_case("true") => {
                    return Err(fail(
                        "use_ssl=true: this build reaches Spark Connect over plaintext gRPC \
                         only; use a TLS tunnel to the server",
                    ))
                }
                _ => {}
            }
        }
        Ok(Self {
            host: host.into(),
            port,
            token,
        })
    }
}

impl std::fmt::Display for SparkUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "sc://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "sc://{}:{}", self.host, self.port)
        }
    }
}

/// How to reach Spark Connect.
#[derive(Debug, Clone)]
pub struct SparkConfig {
    /// The server.
    pub url: SparkUrl,
}

/// Where the services are, as a front end was told: anything left `None` is the local stack's.
#[derive(Clone)]
pub struct Locations {
    /// The local stack's state folder (absolute or relative to the working folder).
    pub data_dir: PathBuf,
    /// The download cache [default: `data_dir/cache`].
    pub cache_dir: Option<PathBuf>,
    /// The local stack's ports.
    pub ports: Ports,
    /// The local stack's versions.
    pub versions: Versions,
    /// Kafka bootstrap servers [default: the local broker].
    pub bootstrap_servers: Option<String>,
    /// librdkafka settings as `KEY=VALUE`.
    pub kafka_options: Vec<String>,
    /// The registry's Confluent-compatible API [default: the local registry].
    pub registry_url: Option<String>,
    /// Registry basic-auth user.
    pub registry_user: Option<String>,
    /// Registry basic-auth password.
    pub registry_password: Option<String>,
    /// Registry bearer token (instead of basic auth).
    pub registry_token: Option<String>,
    /// Spark Connect, `sc://host:port` [default: the local server].
    pub spark_url: Option<String>,
    /// Spark Connect's token: the local server requires it, and it is sent to a `spark_url`
    /// that names none.
    pub spark_token: Option<String>,
    /// The local cluster's first port.
    pub cluster_base_port: u16,
}

/// Passwords, tokens and the Kafka options' values (which can be either) are left out.
impl std::fmt::Debug for Locations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = (self.kafka_options.iter())
            .map(|o| o.split('=').next().unwrap_or_default())
            .collect();
        f.debug_struct("Locations")
            .field("data_dir", &self.data_dir)
            .field("cache_dir", &self.cache_dir)
            .field("ports", &self.ports)
            .field("versions", &self.versions)
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("kafka_options", &keys)
            .field("registry_url", &self.registry_url)
            .field("registry_user", &self.registry_user)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Checks `given` and fills in what it leaves to the local stack.
    pub fn resolve(given: Locations) -> Result<Self, ConfigError> {
        // Services run with their own working folders, so every path handed to them is absolute.
        let data_dir = absolute(&given.data_dir)?;
        given.ports.check_distinct()?;
        let cluster = ClusterConfig {
            data_dir: data_dir.join("cluster"),
            cache_dir: match &given.cache_dir {
                Some(dir) => absolute(dir)?,
                None => data_dir.join("cache"),
            },
            base_port: check_cluster_base(given.cluster_base_port)?,
            versions: given.versions.clone(),
        };
        let stack = StackConfig {
            cache_dir: match &given.cache_dir {
                Some(dir) => absolute(dir)?,
                None => data_dir.join("cache"),
            },
            data_dir,
            ports: given.ports,
            versions: given.versions,
            spark_token: match given.spark_token {
                Some(t) if t.is_empty() => return Err(ConfigError::EmptySparkToken),
                t => t.map(SparkToken),
            },
        };
        let kafka = KafkaConfig {
            bootstrap_servers: given
                .bootstrap_servers
                .unwrap_or_else(|| stack.kafka_bootstrap()),
            options: given
                .kafka_options
                .iter()
                .map(|o| parse_kafka_option(o))
                .collect::<Result<_, _>>()?,
        };
        let registry = RegistryConfig {
            url: parse_registry_url(
                given
                    .registry_url
                    .as_deref()
                    .unwrap_or(&stack.registry_url()),
            )?,
            auth: registry_auth(
                given.registry_user,
                given.registry_password,
                given.registry_token,
            )?,
        };
        let spark = SparkConfig {
            url: match &given.spark_url {
                Some(url) => {
                    let mut url = SparkUrl::parse(url)?;
                    url.token = url.token.or_else(|| stack.spark_token.clone());
                    url
                }
                None => stack.spark_url(),
            },
        };
        Ok(Self {
            spark_state: stack.data_dir.clone(),
            stack,
            kafka,
            registry,
            spark,
            cluster,
        })
    }
}

/// The cluster's ports must lie above the privileged ones and below the ephemeral range.
fn check_cluster_base(base: u16) -> Result<u16, ConfigError> {
    let top = u32::from(base) + u32::from(ClusterConfig::PORT_SPAN);
    let ephemeral = ephemeral_ports();
    if base < 1024 || top >= u32::from(*ephemeral.start()) {
        return Err(ConfigError::ClusterPorts {
            base,
            top,
            ephemeral: *ephemeral.start(),
        });
    }
    Ok(base)
}

/// Basic auth when a user is given, a bearer token when one is; both cannot be sent.
fn registry_auth(
    user: Option<String>,
    password: Option<String>,
    token: Option<String>,
) -> Result<Option<RegistryAuth>, ConfigError> {
    match (user, token) {
        (Some(_), Some(_)) => Err(ConfigError::RegistryAuthClash),
        (Some(user), None) => Ok(Some(RegistryAuth::Basic {
            user,
            password: password.map(Secret),
        })),
        (None, Some(token)) if token.is_empty() => Err(ConfigError::EmptyRegistryToken),
        (None, Some(token)) => Ok(Some(RegistryAuth::Bearer(Secret(token)))),
        (None, None) => Ok(None),
    }
}

impl Config {
    /// These settings as profile `name`'s: its Spark state under `DATA_DIR/clusters/NAME`.
    pub fn for_profile(mut self, name: &str) -> Self {
        self.spark_state = self.stack.data_dir.join("clusters").join(name);
        self
    }
}

fn absolute(path: &std::path::Path) -> Result<PathBuf, ConfigError> {
    std::path::absolute(path).map_err(|e| ConfigError::Folder {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn parse_kafka_option(text: &str) -> Result<(String, String), ConfigError> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().into(), value.into())),
        _ => Err(ConfigError::KafkaOption(text.into())),
    }
}

fn parse_registry_url(text: &str) -> Result<url::Url, ConfigError> {
    let fail = |reason: String| ConfigError::RegistryUrl {
        url: text.into(),
        reason,
    };
    let url = url::Url::parse(text.trim_end_matches('/')).map_err(|e| fail(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fail(format!(
            "scheme {:?} is not http or https",
            url.scheme()
        )));
    }
    if url.cannot_be_a_base() {
        return Err(fail("it cannot hold a path".into()));
    }
    Ok(url)
}

/// The range the kernel hands out as ephemeral source ports (Linux's default when unreadable).
pub fn ephemeral_ports() -> std::ops::RangeInclusive<u16> {
    let read = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok();
    let bounds: Vec<u16> = read
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match bounds[..] {
        [low, high] if low <= high => low..=high,
        _ => 32768..=60999,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_urls_keep_their_token_out_of_sight() {
        let url = SparkUrl::parse("sc://spark.example:15002/;user_id=me;token=s3cret")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((url.host.as_str(), url.port), ("spark.example", 15002));
        assert_eq!(url.token.as_ref().map(SparkToken::reveal), Some("s3cret"));
        assert_eq!(url.to_string(), "sc://spark.example:15002");
        assert!(!format!("{url:?}").contains("s3cret"), "{url:?}");
        let plain = SparkUrl::parse("sc://[::1]:15002").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((plain.host.as_str(), plain.token), ("::1", None));
    }

    #[test]
    fn bad_spark_urls_are_refused_without_showing_the_token() {
        for (text, reason) in [
            ("sc://h:1/;token=", "the token is empty"),
            ("sc://h:1/;use_ssl=true;token=s3cret", "plaintext gRPC"),
            ("http://h:1/;token=s3cret", "must start with sc://"),
            ("sc://h/;token=s3cret", "port"),
        ] {
            match SparkUrl::parse(text) {
                Ok(url) => panic!("{text} was accepted as {url:?}"),
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.contains(reason), "{text}: {e}");
                    assert!(!e.contains("s3cret"), "{text}: {e}");
                }
            }
        }
    }
}
