//! Command-line flags and environment variables, read once here and turned into the pipeline's
//! and the bridge's typed settings (flags > environment > defaults). Nothing else in kafka-demo
//! reads the environment.

use bridge::{InstructorKey, ServeConfig};
use clap::{Args, Parser, Subcommand, ValueEnum};
use pipeline::registry::Reference;
use pipeline::settings::{
    self, default_port, default_version, Config, ConfigError, ConsumeConfig, Locations, Ports,
    ProduceConfig, Versions,
};
use shared::generator::{FaultOptions, GeneratorConfig, GeneratorOptions};
use shared::protocol::CompatLevel;
use shared::workshop::Limits;
use shared::Topic;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub mod batch;
pub use batch::{BatchArgs, BatchFormat};
pub mod group;
pub use group::{GroupCommand, GroupFormat};
mod parse;
pub use parse::{misplaced_cluster, parse_duration, MAX_RATE};
pub mod profile;
use parse::{
    parse_cluster, parse_fraction, parse_level, parse_positive, parse_rate, parse_reference,
    positive_rate,
};
pub use profile::{ProfileError, Profiles};
pub mod stream;
pub use stream::{StreamArgs, StreamFormat};

/// Help heading of the flags that say where Kafka, the registry and Spark are.
pub const CONNECTION: &str = "Connection (every command)";
/// Help heading of the local stack's folders, ports and versions.
pub const LOCAL_STACK: &str = "Local stack (every command)";

/// kafka-demo: a playground for the Avro → Schema Registry → Kafka → Spark pipeline.
#[derive(Debug, Parser)]
#[command(name = "kafka-demo", version, about, propagate_version = true)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file of named cluster profiles (TOML) [default: DATA_DIR/config.toml]
    #[arg(
        long = "config",
        env = "KAFKA_DEMO_CONFIG",
        global = true,
        help_heading = CONNECTION,
        value_name = "FILE"
    )]
    pub config_file: Option<PathBuf>,
    /// Cluster profile to connect to: a `[clusters.NAME]` of the config file, or `local-cluster`
    /// (what `--cluster` alone means) [default: the file's `default`, else the local stack]; the
    /// flags below override it. `stack … --cluster` manages the local cluster
    #[arg(long, env = "KAFKA_DEMO_CLUSTER", global = true, help_heading = CONNECTION,
          value_name = "NAME", num_args = 0..=1, value_parser = parse_cluster,
          default_missing_value = pipeline::stack::cluster::PROFILE_NAME)]
    pub cluster: Option<String>,
    /// Kafka bootstrap servers [default: the local stack's broker]
    #[arg(long, env = "KAFKA_DEMO_BOOTSTRAP_SERVERS", global = true, help_heading = CONNECTION)]
    pub bootstrap_servers: Option<String>,
    /// Extra librdkafka setting KEY=VALUE (SASL/SSL for remote clusters); repeatable
    #[arg(
        short = 'X',
        long = "kafka-option",
        env = "KAFKA_DEMO_KAFKA_OPTIONS",
        value_delimiter = ',',
        global = true, help_heading = CONNECTION,
        value_name = "KEY=VALUE"
    )]
    pub kafka_options: Vec<String>,

    /// Confluent-compatible schema registry URL [default: the local stack's registry]
    #[arg(long, env = "KAFKA_DEMO_REGISTRY_URL", global = true, help_heading = CONNECTION)]
    pub registry_url: Option<String>,
    /// User name for the registry's HTTP basic authentication
    #[arg(long, env = "KAFKA_DEMO_REGISTRY_USER", global = true, help_heading = CONNECTION)]
    pub registry_user: Option<String>,
    /// Password for the registry's HTTP basic authentication
    #[arg(
        long,
        env = "KAFKA_DEMO_REGISTRY_PASSWORD",
        global = true, help_heading = CONNECTION,
        hide_env_values = true
    )]
    pub registry_password: Option<String>,
    /// Bearer token for the registry (`Authorization: Bearer …`), instead of basic authentication
    #[arg(
        long,
        env = "KAFKA_DEMO_REGISTRY_TOKEN",
        global = true, help_heading = CONNECTION,
        hide_env_values = true
    )]
    pub registry_token: Option<String>,

    /// Spark Connect URL, sc://host:port[/;token=TOKEN] [default: the local stack's server]
    #[arg(
        long,
        env = "KAFKA_DEMO_SPARK_URL",
        global = true,
        help_heading = CONNECTION,
        hide_env_values = true
    )]
    pub spark_url: Option<String>,
    /// Spark Connect token: `stack up` has the local server require it, and it is sent to a
    /// --spark-url that names none
    #[arg(
        long,
        env = "KAFKA_DEMO_SPARK_TOKEN",
        global = true,
        help_heading = CONNECTION,
        hide_env_values = true
    )]
    pub spark_token: Option<String>,

    /// Folder holding the local stack's state (topics, schemas, logs) [default: ~/.kafka-demo]
    #[arg(long, env = "KAFKA_DEMO_DATA_DIR", global = true, help_heading = LOCAL_STACK)]
    pub data_dir: Option<PathBuf>,
    /// Folder caching downloaded jars and the Python venv [default: DATA_DIR/cache]
    #[arg(long, env = "KAFKA_DEMO_CACHE_DIR", global = true, help_heading = LOCAL_STACK)]
    pub cache_dir: Option<PathBuf>,

    /// Local stack: Kafka client port
    #[arg(long, env = "KAFKA_DEMO_KAFKA_PORT", global = true, help_heading = LOCAL_STACK, default_value_t = default_port::KAFKA)]
    pub kafka_port: u16,
    /// Local stack: Kafka controller (KRaft) port
    #[arg(long, env = "KAFKA_DEMO_KAFKA_CONTROLLER_PORT", global = true, help_heading = LOCAL_STACK,
          default_value_t = default_port::KAFKA_CONTROLLER)]
    pub kafka_controller_port: u16,
    /// Local stack: schema registry HTTP port
    #[arg(long, env = "KAFKA_DEMO_REGISTRY_PORT", global = true, help_heading = LOCAL_STACK, default_value_t = default_port::REGISTRY)]
    pub registry_port: u16,
    /// Local stack: schema registry management port
    #[arg(long, env = "KAFKA_DEMO_REGISTRY_MANAGEMENT_PORT", global = true, help_heading = LOCAL_STACK,
          default_value_t = default_port::REGISTRY_MANAGEMENT)]
    pub registry_management_port: u16,
    /// Local stack: Spark Connect port
    #[arg(long, env = "KAFKA_DEMO_SPARK_PORT", global = true, help_heading = LOCAL_STACK, default_value_t = default_port::SPARK)]
    pub spark_port: u16,

    /// Local cluster (`stack … --cluster`): its first port; it uses this one to this + 300
    #[arg(long, env = "KAFKA_DEMO_CLUSTER_BASE_PORT", global = true, help_heading = LOCAL_STACK,
          default_value_t = default_port::CLUSTER_BASE)]
    pub cluster_base_port: u16,

    /// Local stack: Apache Kafka version to fetch from Maven Central
    #[arg(long, env = "KAFKA_DEMO_KAFKA_VERSION", global = true, help_heading = LOCAL_STACK, hide = true,
          default_value = default_version::KAFKA)]
    pub kafka_version: String,
    /// Local stack: Apicurio Registry version to fetch from Maven Central
    #[arg(long, env = "KAFKA_DEMO_APICURIO_VERSION", global = true, help_heading = LOCAL_STACK, hide = true,
          default_value = default_version::APICURIO)]
    pub apicurio_version: String,
    /// Local stack: Spark version (pyspark from PyPI, connectors from Maven Central)
    #[arg(long, env = "KAFKA_DEMO_SPARK_VERSION", global = true, help_heading = LOCAL_STACK, hide = true,
          default_value = default_version::SPARK)]
    pub spark_version: String,

    /// Log more (repeat for more detail); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local Kafka, schema registry and Spark Connect services
    #[command(subcommand)]
    Stack(StackCommand),
    /// Validate, register and check Avro schemas (seed step 1)
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Create and list Kafka topics
    #[command(subcommand)]
    Topic(TopicCommand),
    /// List and describe consumer groups, and reset their offsets
    #[command(subcommand)]
    Group(GroupCommand),
    /// Serve the browser playground and its WebSocket API
    Serve(ServeArgs),
    /// Generate clicks and produce them in the Confluent wire format (seed step 2)
    Produce(Box<ProduceArgs>),
    /// Consume records, decode them with their writer schemas and print them (seed step 3)
    Consume(ConsumeArgs),
    /// Read a topic as a Spark batch job: decode, aggregate, write Parquet (seed step 4)
    Batch(Box<BatchArgs>),
    /// Read a topic with Spark Structured Streaming: event-time windows per creative (seed step 5)
    Stream(Box<StreamArgs>),
}

/// The playground's default port, beside the stack's (below the ephemeral range too).
pub const DEFAULT_SERVE_PORT: u16 = 23080;

/// `kafka-demo serve …`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback requires --token
    #[arg(long, env = "KAFKA_DEMO_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one)
    #[arg(long, env = "KAFKA_DEMO_PORT", default_value_t = DEFAULT_SERVE_PORT)]
    pub port: u16,
    /// Secret the page must present (it is passed on in the printed URL)
    #[arg(long, env = "KAFKA_DEMO_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Folder of the trunk-built page
    #[arg(long, env = "KAFKA_DEMO_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Another host name to serve the playground under (a proxy's or a machine's name);
    /// repeatable. 127.0.0.1, localhost, [::1] and the bound address are always served, and
    /// nothing else: a page under a foreign name could be a DNS-rebinding attack
    #[arg(
        long = "allowed-host",
        env = "KAFKA_DEMO_ALLOWED_HOSTS",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub allowed_hosts: Vec<String>,
    /// Workshop mode: each tab joins with a name and works only under topics `<name>.…`
    #[arg(long, env = "KAFKA_DEMO_WORKSHOP", value_parser = clap::builder::FalseyValueParser::new())]
    pub workshop: bool,
    /// Workshop mode: the key of the instructor's view [default: a random key, printed at start]
    #[arg(long, env = "KAFKA_DEMO_INSTRUCTOR_KEY", hide_env_values = true)]
    pub instructor_key: Option<String>,
    /// Workshop mode: records/s one attendee's produce run may send (faster asks are held to it)
    #[arg(long, env = "KAFKA_DEMO_PRODUCE_RATE_LIMIT", value_name = "RECORDS_PER_S",
          default_value_t = Limits::default().produce_rate, value_parser = positive_rate)]
    pub produce_rate_limit: f64,
    /// Workshop mode: records/s one attendee's tail may deliver
    #[arg(long, env = "KAFKA_DEMO_TAIL_RATE_LIMIT", value_name = "RECORDS_PER_S",
          default_value_t = Limits::default().tail_rate, value_parser = clap::value_parser!(u64).range(1..))]
    pub tail_rate_limit: u64,
    /// Workshop mode: Spark jobs (batch or stream) one attendee may run at once
    #[arg(long, env = "KAFKA_DEMO_SPARK_JOBS_LIMIT", value_name = "JOBS",
          default_value_t = Limits::default().spark_jobs, value_parser = clap::value_parser!(u32).range(1..))]
    pub spark_jobs_limit: u32,
    /// Workshop mode: the file the room (attendees, their steps and the evidence for them) is
    /// kept in, so a restarted bridge finds it [default: <data-dir>/workshop/room.json]
    #[arg(long, env = "KAFKA_DEMO_ROOM_FILE", value_name = "FILE")]
    pub room_file: Option<PathBuf>,
    /// Workshop mode: start with an empty room instead of the one kept in the room file
    #[arg(long, env = "KAFKA_DEMO_NEW_ROOM", value_parser = clap::builder::FalseyValueParser::new())]
    pub new_room: bool,
}

impl ServeArgs {
    /// The typed settings of the server; the room file lies under `data_dir` unless given.
    pub fn into_config(self, data_dir: &std::path::Path) -> ServeConfig {
        ServeConfig {
            host: self.host,
            port: self.port,
            token: self.token,
            allowed_hosts: self.allowed_hosts,
            dist: self.dist,
            workshop: self.workshop,
            instructor_key: self
                .workshop
                .then(|| InstructorKey::given_or_made(self.instructor_key)),
            limits: Limits {
                produce_rate: self.produce_rate_limit,
                tail_rate: self.tail_rate_limit,
                spark_jobs: self.spark_jobs_limit,
            },
            room_file: self.workshop.then(|| {
                self.room_file
                    .unwrap_or_else(|| data_dir.join("workshop").join("room.json"))
            }),
            new_room: self.new_room,
        }
    }
}

/// `kafka-demo stack …`
#[derive(Debug, Clone, Subcommand)]
pub enum StackCommand {
    /// Fetch what is missing, start every service and wait until each answers
    Up {
        /// Give up waiting for the services after this many seconds
        #[arg(long, default_value_t = 240)]
        timeout: u64,
    },
    /// Stop every service (SIGTERM, then wait)
    Down,
    /// Print each service's address and whether it answers
    Status,
    /// Print the end of a service's log
    Logs {
        /// Which service; all when omitted
        service: Option<ServiceName>,
        /// How many lines from the end
        #[arg(short = 'n', long, default_value_t = 40)]
        lines: usize,
    },
    /// Stop the stack and delete its state (topics, schemas, checkpoints, logs); keeps downloads
    Reset {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

/// A service of the local stack, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServiceName {
    /// Apache Kafka.
    Kafka,
    /// Apicurio Registry.
    Registry,
    /// Spark Connect.
    Spark,
}

/// `kafka-demo schema …`
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Check that a file is a valid Avro schema
    Validate {
        /// The .avsc file
        file: PathBuf,
    },
    /// Register a schema as the value schema of a topic (subject TOPIC-value)
    Register {
        /// The .avsc file
        file: PathBuf,
        /// Topic whose records the schema describes
        #[arg(long, default_value = "clicks-avro")]
        topic: String,
        /// A type the schema uses that a version of another subject defines; repeatable
        #[arg(long = "reference", value_name = "NAME=SUBJECT:VERSION", value_parser = parse_reference)]
        references: Vec<Reference>,
    },
    /// Check a candidate schema against the latest version registered for a topic
    Check {
        /// The .avsc file
        file: PathBuf,
        /// Topic whose records the schema describes
        #[arg(long, default_value = "clicks-avro")]
        topic: String,
    },
    /// Show or set the compatibility level, globally or for one topic's subject
    Compat {
        /// New level: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE
        #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
        set: Option<CompatLevel>,
        /// Topic whose value subject to configure; global when omitted
        #[arg(long)]
        topic: Option<String>,
    },
    /// List subjects with their versions
    List,
}

/// `kafka-demo topic …`
#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic (nothing happens if it exists)
    Create {
        /// Topic name
        name: String,
        /// Number of partitions
        #[arg(long, default_value_t = 3)]
        partitions: i32,
        /// Replication factor [default: the brokers' default.replication.factor: 1 on the
        /// single-node stack, 3 on the local cluster]
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
        replication_factor: Option<i32>,
    },
    /// List topics with their partition counts
    List,
}

/// `kafka-demo produce …`
#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// Topic to produce to (created when missing)
    #[arg(long, default_value = "clicks-avro")]
    pub topic: Topic,
    /// Send records written by hand instead of generated clicks: one record per line in Avro's
    /// JSON encoding for the writer schema (--schema), read from FILE or stdin (-); every line is
    /// checked before anything is sent
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["count", "duration", "rate", "manifest"])]
    pub value_json: Option<PathBuf>,
    /// With --value-json: a type the writer schema uses that a version of another subject
    /// defines; repeatable
    #[arg(long = "reference", value_name = "NAME=SUBJECT:VERSION", value_parser = parse_reference, requires = "value_json")]
    pub references: Vec<Reference>,
    /// Stop after this many records (poison pills and duplicates included)
    #[arg(long, value_parser = parse_positive)]
    pub count: Option<u64>,
    /// Stop after this long, e.g. 30s, 5m, 1.5h (plain numbers are seconds)
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Records per second, held by a token bucket [default: as fast as the broker takes them]
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Seed of the generator: the same seed and options give the same records
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Avro schema to write with [default: schemas/click_v1.avsc, or the built-in copy of it]
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Write the ground truth of what was produced to this JSON file (only when every record
    /// was delivered)
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// Field whose value becomes the record key
    #[arg(long, value_enum, default_value_t = KeyField::ImpressionId)]
    pub key_field: KeyField,
    /// Compression of the produced batches
    #[arg(long, value_enum, default_value_t = Compression::None)]
    pub compression: Compression,
    /// Partitions of the topic when it has to be created
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: i32,
    /// Replication factor of the topic when it has to be created [default: the brokers'
    /// default.replication.factor: 1 on the single-node stack, 3 on the local cluster]
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    pub replication_factor: Option<i32>,
    /// How long a record may wait for the brokers, retries included, before it counts as not
    /// delivered; a broker back within it loses nothing (librdkafka's message.timeout.ms)
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub delivery_timeout: Duration,
    /// How long the producer waits for more records before sending a batch that is not full
    /// (librdkafka's linger.ms): longer sends fewer, larger requests at a low rate
    #[arg(long, default_value = "5ms", value_parser = parse_duration)]
    pub linger: Duration,
    /// Faults to inject.
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// Fault injection flags, each a fraction of all records.
#[derive(Debug, Args)]
pub struct FaultArgs {
    /// Fraction of clicks whose timestamp is moved back by --late-by-ms
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction, help_heading = "Faults")]
    pub late: f64,
    /// How far back a late click goes, in milliseconds
    #[arg(long, default_value_t = 300_000, value_parser = clap::value_parser!(u32).range(1..),
          help_heading = "Faults")]
    pub late_by_ms: u32,
    /// Fraction of clicks moved back by up to --out-of-order-max-ms
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction, help_heading = "Faults")]
    pub out_of_order: f64,
    /// Largest backwards jitter of an out-of-order click, in milliseconds
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..),
          help_heading = "Faults")]
    pub out_of_order_max_ms: u32,
    /// Fraction of records that re-deliver a recent click (same id)
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction, help_heading = "Faults")]
    pub duplicates: f64,
    /// Fraction of poison pills whose magic byte is wrong
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction, help_heading = "Faults")]
    pub wrong_magic: f64,
    /// Fraction of poison pills naming a schema id the registry does not know
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction, help_heading = "Faults")]
    pub unknown_schema_id: f64,
    /// Fraction of poison pills whose Avro body is cut short
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction, help_heading = "Faults")]
    pub truncated: f64,
}

/// The click field a produced record is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyField {
    /// The click's own id.
    #[value(name = "id")]
    Id,
    /// The impression the click belongs to (clicks of one impression share a partition).
    #[value(name = "impression_id")]
    ImpressionId,
    /// The creative.
    #[value(name = "creative_id")]
    CreativeId,
    /// The placement.
    #[value(name = "placement_id")]
    PlacementId,
    /// No key: records spread over the partitions.
    #[value(name = "none")]
    None,
}

/// Compression codecs librdkafka offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
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

impl From<Compression> for settings::Compression {
    fn from(flag: Compression) -> Self {
        match flag {
            Compression::None => Self::None,
            Compression::Gzip => Self::Gzip,
            Compression::Snappy => Self::Snappy,
            Compression::Lz4 => Self::Lz4,
            Compression::Zstd => Self::Zstd,
        }
    }
}

impl From<KeyField> for settings::KeyField {
    fn from(flag: KeyField) -> Self {
        match flag {
            KeyField::Id => Self::Id,
            KeyField::ImpressionId => Self::ImpressionId,
            KeyField::CreativeId => Self::CreativeId,
            KeyField::PlacementId => Self::PlacementId,
            KeyField::None => Self::None,
        }
    }
}

/// `kafka-demo consume …`
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topic to read
    #[arg(long, default_value = "clicks-avro")]
    pub topic: Topic,
    /// Consumer group: offsets are committed after each record is handled, and a later run of the
    /// same group carries on where this one stopped [default: no group, nothing committed]
    #[arg(long)]
    pub group: Option<String>,
    /// Start at the oldest record (for a group: only when it has no committed offset yet)
    #[arg(long)]
    pub from_beginning: bool,
    /// Stop after this many records (poison pills included)
    #[arg(long, value_parser = parse_positive)]
    pub max: Option<u64>,
    /// How to print records: one JSON object per line, or an aligned table
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    pub format: OutputFormat,
    /// JSON lines with dates and times as ISO-8601 text instead of Avro's stored numbers (the
    /// table always shows them so)
    #[arg(long)]
    pub render: bool,
    /// Copy poison pills to this dead-letter topic, with headers giving the reason and the source
    /// partition and offset (created when missing)
    #[arg(long, value_name = "TOPIC")]
    pub dlq: Option<Topic>,
    /// Stop when nothing arrives for this long, e.g. 10 or 10s [default: wait forever]
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

/// How `consume` prints records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per record and line.
    Jsonl,
    /// Aligned columns for reading in a terminal.
    Table,
}

impl From<OutputFormat> for settings::OutputFormat {
    fn from(flag: OutputFormat) -> Self {
        match flag {
            OutputFormat::Jsonl => Self::Jsonl,
            OutputFormat::Table => Self::Table,
        }
    }
}

impl ProduceArgs {
    /// Checks the flags together (the generator's options, the fault fractions' sum).
    pub fn validate(&self) -> Result<ProduceConfig, ConfigError> {
        let f = &self.faults;
        let options = GeneratorOptions {
            seed: self.seed,
            faults: FaultOptions {
                late: f.late,
                late_by_ms: f.late_by_ms,
                out_of_order: f.out_of_order,
                out_of_order_max_ms: f.out_of_order_max_ms,
                duplicate: f.duplicates,
                wrong_magic: f.wrong_magic,
                unknown_schema_id: f.unknown_schema_id,
                truncated: f.truncated,
            },
            ..GeneratorOptions::default()
        };
        Ok(ProduceConfig {
            topic: self.topic.clone(),
            count: self.count,
            duration: self.duration,
            rate: self.rate,
            generator: GeneratorConfig::new(options)?,
            schema: self.schema.clone(),
            manifest: self.manifest.clone(),
            key_field: self.key_field.into(),
            compression: self.compression.into(),
            partitions: self.partitions,
            replication_factor: self
                .replication_factor
                .unwrap_or(pipeline::kafka::BROKER_DEFAULT),
            delivery_timeout: self.delivery_timeout,
            linger: self.linger,
        })
    }
}

impl ConsumeArgs {
    /// Checks the flags together.
    pub fn validate(&self) -> Result<ConsumeConfig, ConfigError> {
        if self.dlq.as_ref() == Some(&self.topic) {
            return Err(ConfigError::DlqIsSource(self.topic.to_string()));
        }
        let group = match &self.group {
            Some(g) if g.trim().is_empty() => return Err(ConfigError::EmptyGroup),
            other => other.clone(),
        };
        Ok(ConsumeConfig {
            topic: self.topic.clone(),
            group,
            from_beginning: self.from_beginning,
            max: self.max,
            format: self.format.into(),
            render: self.render,
            dlq: self.dlq.clone(),
            idle_timeout: self.timeout,
        })
    }
}

/// A flag or variable whose value cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    /// No data folder was given and `$HOME` is not set.
    #[error("no data folder: set --data-dir or KAFKA_DEMO_DATA_DIR (HOME is not set)")]
    NoDataDir,
    /// The settings the flags name cannot be used.
    #[error(transparent)]
    Settings(#[from] ConfigError),
    /// The config file or the cluster profile cannot be used.
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

impl GlobalArgs {
    /// The pipeline's settings these flags describe, over the cluster profile in use if any;
    /// `home` is where the default data folder goes.
    pub fn config(&self, home: Option<PathBuf>) -> Result<Config, FlagError> {
        Ok(self.profiles(home)?.active_config()?)
    }

    /// The settings of this process's flags and environment.
    pub fn config_from_env(&self) -> Result<Config, FlagError> {
        Ok(self.profiles_from_env()?.active_config()?)
    }

    /// The cluster profiles of the config file (and `local-cluster` when its file exists), the
    /// one `--cluster` or the file's default picks, and these flags over it; profiles refer to
    /// variables of the process's environment.
    pub fn profiles(&self, home: Option<PathBuf>) -> Result<Profiles, FlagError> {
        self.profiles_with(home, Arc::new(|var: &str| std::env::var(var).ok()))
    }

    /// [`GlobalArgs::profiles`] of this process's flags and environment.
    pub fn profiles_from_env(&self) -> Result<Profiles, FlagError> {
        self.profiles(std::env::var_os("HOME").map(PathBuf::from))
    }

    /// [`GlobalArgs::profiles`] with the profiles' `{ env = "VAR" }` looked up in `env`.
    pub fn profiles_with(
        &self,
        home: Option<PathBuf>,
        env: profile::EnvLookup,
    ) -> Result<Profiles, FlagError> {
        let flags = self.locations(home)?;
        Ok(Profiles::read(
            self.config_file.as_deref(),
            self.cluster.as_deref(),
            flags,
            env,
        )?)
    }

    /// What the flags alone say.
    fn locations(&self, home: Option<PathBuf>) -> Result<Locations, FlagError> {
        let data_dir = match (&self.data_dir, home) {
            (Some(dir), _) => dir.clone(),
            (None, Some(home)) => home.join(".kafka-demo"),
            (None, None) => return Err(FlagError::NoDataDir),
        };
        Ok(Locations {
            data_dir,
            cache_dir: self.cache_dir.clone(),
            ports: Ports {
                kafka: self.kafka_port,
                kafka_controller: self.kafka_controller_port,
                registry: self.registry_port,
                registry_management: self.registry_management_port,
                spark: self.spark_port,
            },
            versions: Versions {
                kafka: self.kafka_version.clone(),
                apicurio: self.apicurio_version.clone(),
                spark: self.spark_version.clone(),
            },
            bootstrap_servers: self.bootstrap_servers.clone(),
            kafka_options: self.kafka_options.clone(),
            registry_url: self.registry_url.clone(),
            registry_user: self.registry_user.clone(),
            registry_password: self.registry_password.clone(),
            registry_token: self.registry_token.clone(),
            spark_url: self.spark_url.clone(),
            spark_token: self.spark_token.clone(),
            cluster_base_port: self.cluster_base_port,
        })
    }

    /// The settings of the flags alone, whatever profile `--cluster` names: what the `stack`
    /// commands manage is given by the data folder, ports and versions, and the local cluster's
    /// profile may not exist before `stack up --cluster`.
    pub fn local_config(&self, home: Option<PathBuf>) -> Result<Config, FlagError> {
        Ok(Config::resolve(self.locations(home)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let argv = std::iter::once("kafka-demo")
            .chain(args.iter().copied())
            .chain(["stack", "status"]);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        cli.global
            .config(Some(PathBuf::from("/home/u")))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn no_default_port_is_one_the_kernel_hands_out_as_a_source_port() {
        let ephemeral = settings::ephemeral_ports();
        for port in [
            default_port::KAFKA,
            default_port::KAFKA_CONTROLLER,
            default_port::REGISTRY,
            default_port::REGISTRY_MANAGEMENT,
            default_port::SPARK,
            DEFAULT_SERVE_PORT,
        ] {
            assert!(!ephemeral.contains(&port), "{port} lies in {ephemeral:?}");
        }
        let cluster = default_port::CLUSTER_BASE
            ..=default_port::CLUSTER_BASE + settings::ClusterConfig::PORT_SPAN;
        assert!(
            !ephemeral.contains(cluster.end()),
            "{cluster:?} reaches {ephemeral:?}"
        );
        // The single-node stack, the playground and the cluster can all run at once.
        for port in [default_port::KAFKA, default_port::SPARK, DEFAULT_SERVE_PORT] {
            assert!(
                !cluster.contains(&port),
                "{port} lies in the cluster's {cluster:?}"
            );
        }
    }

    #[test]
    fn defaults_point_at_the_local_stack() -> Result<(), String> {
        let config = parse(&[])?;
        assert_eq!(config.stack.data_dir, PathBuf::from("/home/u/.kafka-demo"));
        assert_eq!(
            config.stack.cache_dir,
            PathBuf::from("/home/u/.kafka-demo/cache")
        );
        assert_eq!(config.kafka.bootstrap_servers, "127.0.0.1:23092");
        assert_eq!(
            config.registry.url.as_str(),
            "http://127.0.0.1:23081/apis/ccompat/v7"
        );
        assert_eq!(config.spark.url.to_string(), "sc://127.0.0.1:23002");
        Ok(())
    }

    #[test]
    fn the_spark_token_goes_to_the_local_server_and_to_urls_without_one() -> Result<(), String> {
        let reveal = |c: &Config| c.spark.url.token.as_ref().map(|t| t.reveal().to_owned());
        let local = parse(&["--spark-token", "t1"])?;
        assert_eq!(reveal(&local).as_deref(), Some("t1"));
        assert_eq!(
            local
                .stack
                .spark_token
                .as_ref()
                .map(settings::SparkToken::reveal),
            Some("t1")
        );
        let remote = parse(&["--spark-token", "t1", "--spark-url", "sc://s:15002"])?;
        assert_eq!(reveal(&remote).as_deref(), Some("t1"));
        let own = parse(&[
            "--spark-token",
            "t1",
            "--spark-url",
            "sc://s:15002/;token=t2",
        ])?;
        assert_eq!(reveal(&own).as_deref(), Some("t2"));
        let empty = parse(&["--spark-token", ""]).err().unwrap_or_default();
        assert!(
            empty.contains("token") && empty.contains("--spark-token") && empty.contains("empty"),
            "{empty}"
        );
        Ok(())
    }

    #[test]
    fn ports_move_the_default_addresses() -> Result<(), String> {
        let config = parse(&[
            "--kafka-port",
            "1234",
            "--registry-port",
            "2345",
            "--spark-port",
            "3456",
        ])?;
        assert_eq!(config.kafka.bootstrap_servers, "127.0.0.1:1234");
        assert_eq!(
            config.registry.url.as_str(),
            "http://127.0.0.1:2345/apis/ccompat/v7"
        );
        assert_eq!(config.spark.url.to_string(), "sc://127.0.0.1:3456");
        Ok(())
    }

    #[test]
    fn explicit_addresses_win_over_ports() -> Result<(), String> {
        let config = parse(&[
            "--bootstrap-servers",
            "b1:9092,b2:9092",
            "--registry-url",
            "https://reg.example/api/",
            "--spark-url",
            "sc://spark.example:15002/;user_id=me",
            "--kafka-port",
            "1",
        ])?;
        assert_eq!(config.kafka.bootstrap_servers, "b1:9092,b2:9092");
        assert_eq!(config.registry.url.as_str(), "https://reg.example/api");
        assert_eq!(
            config.spark.url,
            settings::SparkUrl {
                host: "spark.example".into(),
                port: 15002,
                token: None,
            }
        );
        Ok(())
    }

    #[test]
    fn kafka_options_pass_through() -> Result<(), String> {
        let config = parse(&[
            "-X",
            "security.protocol=SASL_SSL",
            "-X",
            "sasl.password=a=b",
        ])?;
        assert_eq!(
            config.kafka.options,
            vec![
                ("security.protocol".to_owned(), "SASL_SSL".to_owned()),
                ("sasl.password".to_owned(), "a=b".to_owned())
            ]
        );
        Ok(())
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let refused = |args: &[&str], needle: &str| match parse(args) {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(e) => assert!(e.contains(needle), "{args:?}: {e}"),
        };
        refused(&["-X", "novalue"], "KEY=VALUE");
        refused(&["--registry-url", "ftp://x"], "not http or https");
        refused(&["--registry-url", "not a url"], "not a usable");
        refused(&["--spark-url", "http://x:1"], "sc://");
        refused(&["--spark-url", "sc://x"], "port is missing");
        refused(&["--spark-url", "sc://x:99999"], "port is not a number");
        refused(&["--kafka-port", "70000"], "70000");
        refused(&["--kafka-port", "23081"], "port 23081 is given to both");
        let level = Cli::try_parse_from(["kafka-demo", "schema", "compat", "--set", "SIDEWAYS"]);
        assert!(level.is_err_and(|e| e.to_string().contains("FULL_TRANSITIVE")));
    }

    #[test]
    fn durations_read_with_or_without_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 2h "), Ok(Duration::from_secs(7200)));
        for bad in ["", "soon", "5 fortnights", "0", "0s", "-1s", "1..2s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn produce_and_consume_flags_become_typed_settings() -> Result<(), String> {
        let cli = Cli::try_parse_from([
            "kafka-demo",
            "produce",
            "--count",
            "5",
            "--rate",
            "100",
            "--late",
            "0.1",
            "--duplicates",
            "0.2",
            "--key-field",
            "creative_id",
            "--compression",
            "zstd",
        ])
        .map_err(|e| e.to_string())?;
        let Command::Produce(args) = cli.command else {
            return Err("not produce".into());
        };
        let p = args.validate().map_err(|e| e.to_string())?;
        assert_eq!((p.count, p.rate), (Some(5), Some(100.0)));
        assert_eq!(p.topic.as_str(), "clicks-avro");
        assert_eq!(
            (p.key_field, p.compression),
            (settings::KeyField::CreativeId, settings::Compression::Zstd)
        );
        let faults = &p.generator.options().faults;
        assert_eq!((faults.late, faults.duplicate), (0.1, 0.2));

        let too_much = Cli::try_parse_from([
            "kafka-demo",
            "produce",
            "--late",
            "0.6",
            "--truncated",
            "0.6",
        ])
        .map_err(|e| e.to_string())?;
        let Command::Produce(args) = too_much.command else {
            return Err("not produce".into());
        };
        assert!(matches!(args.validate(), Err(ConfigError::Generator(_))));

        let cli = Cli::try_parse_from(["kafka-demo", "consume", "--dlq", "x", "--timeout", "10"])
            .map_err(|e| e.to_string())?;
        let Command::Consume(args) = cli.command else {
            return Err("not consume".into());
        };
        let c = args.validate().map_err(|e| e.to_string())?;
        assert_eq!(c.idle_timeout, Some(Duration::from_secs(10)));
        assert_eq!(c.dlq.as_ref().map(Topic::as_str), Some("x"));
        assert_eq!(c.format, settings::OutputFormat::Jsonl);
        Ok(())
    }

    #[test]
    fn workshop_mode_is_off_unless_asked_for() -> Result<(), String> {
        let serve = |extra: &[&str]| -> Result<ServeConfig, String> {
            let argv = ["kafka-demo", "serve"].iter().chain(extra);
            let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
            match cli.command {
                Command::Serve(args) => Ok(args.into_config(std::path::Path::new("/data"))),
                _ => Err("not serve".into()),
            }
        };
        assert!(!serve(&[])?.workshop || std::env::var_os("KAFKA_DEMO_WORKSHOP").is_some());
        assert!(serve(&["--workshop"])?.workshop);
        let given = serve(&["--workshop", "--instructor-key", "k1"])?.instructor_key;
        assert_eq!(given, Some(InstructorKey::Given("k1".into())));
        if std::env::var_os("KAFKA_DEMO_ROOM_FILE").is_none() {
            let kept = serve(&["--workshop"])?.room_file;
            assert_eq!(kept, Some(PathBuf::from("/data/workshop/room.json")));
        }
        let given = serve(&["--workshop", "--room-file", "/r.json", "--new-room"])?;
        assert_eq!(given.room_file, Some(PathBuf::from("/r.json")));
        assert!(given.new_room);
        if std::env::var_os("KAFKA_DEMO_WORKSHOP").is_none() {
            let outside = serve(&["--room-file", "/r.json"])?.room_file;
            assert_eq!(outside, None, "no room outside a workshop");
        }
        let made = serve(&["--workshop"])?.instructor_key;
        assert!(
            matches!(made, Some(InstructorKey::Made(ref k)) if k.len() == 32)
                || std::env::var_os("KAFKA_DEMO_INSTRUCTOR_KEY").is_some(),
            "{made:?}"
        );
        Ok(())
    }

    #[test]
    fn workshop_limits_come_from_flags_and_must_be_positive() -> Result<(), String> {
        let serve = |extra: &[&str]| -> Result<ServeConfig, String> {
            let argv = ["kafka-demo", "serve"].iter().chain(extra);
            match Cli::try_parse_from(argv)
                .map_err(|e| e.to_string())?
                .command
            {
                Command::Serve(args) => Ok(args.into_config(std::path::Path::new("/data"))),
                _ => Err("not serve".into()),
            }
        };
        let limits = serve(&[
            "--produce-rate-limit",
            "250.5",
            "--tail-rate-limit",
            "900",
            "--spark-jobs-limit",
            "2",
        ])?
        .limits;
        assert_eq!(
            limits,
            Limits {
                produce_rate: 250.5,
                tail_rate: 900,
                spark_jobs: 2
            }
        );
        for bad in [
            ["--produce-rate-limit", "0"],
            ["--produce-rate-limit", "inf"],
            ["--produce-rate-limit", "NaN"],
            ["--produce-rate-limit", "-3"],
            ["--tail-rate-limit", "0"],
            ["--spark-jobs-limit", "0"],
        ] {
            assert!(serve(&bad).is_err(), "{bad:?} was accepted");
        }
        Ok(())
    }

    #[test]
    fn relative_folders_become_absolute() -> Result<(), String> {
        let config = parse(&["--data-dir", "rel/data", "--cache-dir", "rel/cache"])?;
        assert!(config.stack.data_dir.is_absolute() && config.stack.data_dir.ends_with("rel/data"));
        assert!(
            config.stack.cache_dir.is_absolute() && config.stack.cache_dir.ends_with("rel/cache")
        );
        Ok(())
    }

    #[test]
    fn levels_parse_in_any_case() {
        assert_eq!(
            parse_level("full_transitive"),
            Ok(CompatLevel::FullTransitive)
        );
        assert_eq!(parse_level("BACKWARD"), Ok(CompatLevel::Backward));
    }

    #[test]
    fn cluster_alone_means_the_local_cluster_and_never_takes_a_command() {
        let cluster = |args: &[&str]| {
            let argv = std::iter::once("kafka-demo").chain(args.iter().copied());
            Cli::try_parse_from(argv).map(|cli| cli.global.cluster)
        };
        let local = Some("local-cluster".to_owned());
        assert_eq!(
            cluster(&["stack", "up", "--cluster"]).ok(),
            Some(local.clone())
        );
        assert_eq!(cluster(&["topic", "list", "--cluster"]).ok(), Some(local));
        assert_eq!(
            cluster(&["--cluster", "prod", "topic", "list"]).ok(),
            Some(Some("prod".to_owned()))
        );
        let error = misplaced_cluster(&["kafka-demo", "--cluster", "topic", "list"]);
        assert!(
            error.is_some_and(|e| e.contains("topic is a command")),
            "the command is not taken for a profile"
        );
        assert_eq!(
            misplaced_cluster(&["kafka-demo", "--cluster", "prod", "topic"]),
            None
        );
        assert_eq!(
            misplaced_cluster(&["kafka-demo", "topic", "list", "--cluster"]),
            None
        );
    }

    #[test]
    fn no_home_and_no_data_dir_is_an_error() -> Result<(), String> {
        let cli =
            Cli::try_parse_from(["kafka-demo", "stack", "status"]).map_err(|e| e.to_string())?;
        assert!(matches!(cli.global.config(None), Err(FlagError::NoDataDir)));
        Ok(())
    }
}
