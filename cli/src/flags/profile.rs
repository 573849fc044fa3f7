//! Named connection profiles: the config file's `[clusters.NAME]` tables and the local cluster's
//! own profile file, read once; the secrets a profile refers to are read only when that profile
//! is used, and its settings are laid under the flags (a flag or its variable > the profile > the
//! local stack).
//!
//! ```toml
//! default = "staging"
//!
//! [clusters.staging]
//! bootstrap_servers = "b1:9093,b2:9093"
//! registry_url = "https://registry.example/apis/ccompat/v7"
//! registry_user = "svc"
//! registry_password = { env = "STAGING_REGISTRY_PASSWORD" }
//! spark_url = "sc://spark.example:15002"
//! spark_token = { file = "secrets/spark-token" }
//!
//! [clusters.staging.kafka]
//! "security.protocol" = "SASL_SSL"
//! "sasl.password" = { env = "STAGING_KAFKA_PASSWORD" }
//! ```

use pipeline::settings::{Config, ConfigError, Locations};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The profile of the cluster `kafka-demo stack up --cluster` starts. A config file may define a
/// profile of this name itself; otherwise it is read from [`local_cluster_file`].
pub const LOCAL_CLUSTER: &str = "local-cluster";

/// The config file read when `--config` names none: `<data-dir>/config.toml`.
pub fn default_config_file(data_dir: &Path) -> PathBuf {
    data_dir.join("config.toml")
}

/// Where `stack up --cluster` writes the profile of the cluster it starts:
/// `<data-dir>/cluster/profile.toml`, one table in the form of a `[clusters.NAME]` body (top-level
/// `bootstrap_servers`, `registry_url`, `spark_url`, `spark_token`, a `[kafka]` table; secrets as
/// `{ file = "PATH" }`, relative paths relative to that folder).
pub fn local_cluster_file(data_dir: &Path) -> PathBuf {
    data_dir.join("cluster").join("profile.toml")
}

/// Looks an environment variable up: the process's environment, or a test's stand-in.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A config file or profile that cannot be used. No variant holds a secret's value.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The config file cannot be read.
    #[error("cannot read the config file {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file is not TOML of the expected shape (an unknown key, a value of the wrong type).
    #[error("config file {}, line {line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where in it.
        line: usize,
        /// What is wrong, without the line's text (it may hold a secret).
        message: String,
    },
    /// `--cluster` or the file's `default` names a profile that does not exist.
    #[error("no cluster profile is named {name:?} ({chosen_by}); {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// Which setting asked for it.
        chosen_by: String,
        /// The names that exist, as a sentence.
        known: String,
    },
    /// `local-cluster` was asked for, but no local cluster has written its profile.
    #[error(
        "no cluster profile is named \"{LOCAL_CLUSTER}\": the config file defines none and {} \
         does not exist; run `kafka-demo stack up --cluster` first",
        path.display()
    )]
    NoLocalCluster {
        /// Where the local cluster's profile would be.
        path: PathBuf,
    },
    /// A `{ env = "VAR" }` reference to a variable that is not set.
    #[error("cluster profile {profile:?}, {key}: the environment variable {var} is not set")]
    UnsetVariable {
        /// The profile.
        profile: String,
        /// The setting that refers to the variable.
        key: String,
        /// The variable.
        var: String,
    },
    /// A `{ file = "PATH" }` reference to a file that cannot be read.
    #[error("cluster profile {profile:?}, {key}: cannot read {}: {reason}", path.display())]
    SecretFile {
        /// The profile.
        profile: String,
        /// The setting that refers to the file.
        key: String,
        /// The file, relative paths resolved.
        path: PathBuf,
        /// Why (the operating system's reason).
        reason: String,
    },
    /// A key of a profile's `[kafka]` table that cannot be a librdkafka property.
    #[error("cluster profile {profile:?}: {key:?} in [kafka] is not a librdkafka property name")]
    KafkaKey {
        /// The profile.
        profile: String,
        /// The key.
        key: String,
    },
    /// The settings the profile and the flags give together cannot be used.
    #[error("{}{source}", profile.as_ref().map(|p| format!("cluster profile {p:?}: ")).unwrap_or_default())]
    Settings {
        /// The profile, when one is used.
        profile: Option<String>,
        /// What is wrong.
        source: ConfigError,
    },
}

/// The cluster profiles there are, the one in use, and the flags' settings: each profile resolves
/// to the pipeline's [`Config`]. Only the profile in use is overridden by the connection flags;
/// every profile shares the flags' local stack (data folder, ports, versions).
#[derive(Clone)]
pub struct Profiles {
    clusters: BTreeMap<String, Source>,
    active: Option<String>,
    file: PathBuf,
    flags: Locations,
    env: EnvLookup,
}

/// Where a profile's table is.
#[derive(Clone)]
enum Source {
    /// A `[clusters.NAME]` table of the config file in `folder`.
    Table { table: Arc<Table>, folder: PathBuf },
    /// The local cluster's profile file, read when the profile is used.
    File(PathBuf),
}

/// The config file as written.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default: Option<String>,
    #[serde(default)]
    clusters: BTreeMap<String, Table>,
}

/// One profile as written, secrets not yet read.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    bootstrap_servers: Option<Text>,
    registry_url: Option<Text>,
    registry_user: Option<Text>,
    registry_password: Option<Text>,
    registry_bearer_token: Option<Text>,
    spark_url: Option<Text>,
    spark_token: Option<Text>,
    #[serde(default)]
    kafka: BTreeMap<String, Text>,
}

/// A value as written: the text itself or where to find it.
#[derive(Clone)]
enum Text {
    Plain(String),
    Env(String),
    File(PathBuf),
}

/// A profile's settings, secrets read.
#[derive(Default)]
struct Settings {
    bootstrap_servers: Option<String>,
    registry_url: Option<String>,
    registry_user: Option<String>,
    registry_password: Option<String>,
    registry_token: Option<String>,
    spark_url: Option<String>,
    spark_token: Option<String>,
    kafka: Vec<(String, String)>,
}

impl Profiles {
    /// Reads the config file — `explicit` (`--config`), which must exist, or the data folder's
    /// `config.toml`, which may not — and picks the profile `chosen` (`--cluster`) names, else
    /// the file's `default`, else none (the flags alone: the local stack).
    pub fn read(
        explicit: Option<&Path>,
        chosen: Option<&str>,
        flags: Locations,
        env: EnvLookup,
    ) -> Result<Self, ProfileError> {
        let path = explicit.map_or_else(|| default_config_file(&flags.data_dir), Path::to_owned);
        // Secret files are named relative to the file's folder; errors show where they looked.
        let path = std::path::absolute(&path).unwrap_or(path);
        let file = read_config_file(&path, explicit.is_some())?;
        let folder = path.parent().map(Path::to_owned).unwrap_or_default();
        let mut clusters: BTreeMap<String, Source> = (file.clusters.into_iter())
            .map(|(name, table)| {
                let folder = folder.clone();
                let table = Arc::new(table);
                (name, Source::Table { table, folder })
            })
            .collect();
        let local = local_cluster_file(&flags.data_dir);
        if !clusters.contains_key(LOCAL_CLUSTER) && local.is_file() {
            clusters.insert(LOCAL_CLUSTER.into(), Source::File(local.clone()));
        }
        let (active, chosen_by) = match (chosen, file.default) {
            (Some(name), _) => (
                Some(name.to_owned()),
                "--cluster, KAFKA_DEMO_CLUSTER".to_owned(),
            ),
            (None, Some(name)) => (Some(name), format!("the default of {}", path.display())),
            (None, None) => (None, String::new()),
        };
        match active {
            Some(name) if name == LOCAL_CLUSTER && !clusters.contains_key(&name) => {
                Err(ProfileError::NoLocalCluster { path: local })
            }
            Some(name) if !clusters.contains_key(&name) => Err(ProfileError::Unknown {
                known: known(&clusters, &path),
                name,
                chosen_by,
            }),
            active => Ok(Self {
                clusters,
                active,
                file: path,
                flags,
                env,
            }),
        }
    }

    /// The names of the profiles there are, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.clusters.keys().map(String::as_str)
    }

    /// The profile in use, if any.
    pub fn active(&self) -> Option<&str> {
        self.active.as_deref()
    }

    /// The settings of the profile in use, or of the flags alone when none is.
    pub fn active_config(&self) -> Result<Config, ProfileError> {
        match &self.active {
            Some(name) => self.config(name),
            None => Config::resolve(self.flags.clone()).map_err(|source| ProfileError::Settings {
                profile: None,
                source,
            }),
        }
    }

    /// The settings of profile `name`, its secrets read now; the connection flags override it
    /// only if it is the profile in use.
    pub fn config(&self, name: &str) -> Result<Config, ProfileError> {
        let settings = self.settings(name)?;
        let given = if self.active.as_deref() == Some(name) {
            layered(self.flags.clone(), settings)
        } else {
            layered(local_stack_only(self.flags.clone()), settings)
        };
        Config::resolve(given)
            .map(|config| config.for_profile(name))
            .map_err(|source| ProfileError::Settings {
                profile: Some(name.to_owned()),
                source,
            })
    }

    /// Profile `name`'s table with its secrets read.
    fn settings(&self, name: &str) -> Result<Settings, ProfileError> {
        let (table, folder) = match self.clusters.get(name) {
            Some(Source::Table { table, folder }) => (Table::clone(table), folder.clone()),
            Some(Source::File(path)) => {
                let table = parse::<Table>(path, &read_file(path)?)?;
                let folder = path.parent().map(Path::to_owned).unwrap_or_default();
                (table, folder)
            }
            None => {
                return Err(ProfileError::Unknown {
                    name: name.to_owned(),
                    chosen_by: "asked for by name".into(),
                    known: known(&self.clusters, &self.file),
                })
            }
        };
        let reader = Reader {
            profile: name,
            folder: &folder,
            env: &self.env,
        };
        reader.settings(table)
    }
}

/// Names the profiles without their settings.
impl std::fmt::Debug for Profiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiles")
            .field("names", &self.clusters.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// Follows one profile's secret references.
struct Reader<'a> {
    profile: &'a str,
    folder: &'a Path,
    env: &'a EnvLookup,
}

impl Reader<'_> {
    fn settings(&self, table: Table) -> Result<Settings, ProfileError> {
        let kafka = (table.kafka.into_iter())
            .map(|(key, text)| {
                if key.trim().is_empty() || key.contains('=') {
                    return Err(ProfileError::KafkaKey {
                        profile: self.profile.to_owned(),
                        key,
                    });
                }
                let value = self.read(&format!("[kafka] {key}"), text)?;
                Ok((key.trim().to_owned(), value))
            })
            .collect::<Result<_, _>>()?;
        Ok(Settings {
            bootstrap_servers: self.optional("bootstrap_servers", table.bootstrap_servers)?,
            registry_url: self.optional("registry_url", table.registry_url)?,
            registry_user: self.optional("registry_user", table.registry_user)?,
            registry_password: self.optional("registry_password", table.registry_password)?,
            registry_token: self.optional("registry_bearer_token", table.registry_bearer_token)?,
            spark_url: self.optional("spark_url", table.spark_url)?,
            spark_token: self.optional("spark_token", table.spark_token)?,
            kafka,
        })
    }

    fn optional(&self, key: &str, text: Option<Text>) -> Result<Option<String>, ProfileError> {
        text.map(|text| self.read(key, text)).transpose()
    }

    /// The value `text` stands for; a file's one trailing newline is not part of it.
    fn read(&self, key: &str, text: Text) -> Result<String, ProfileError> {
        match text {
            Text::Plain(value) => Ok(value),
            Text::Env(var) => (self.env)(&var).ok_or_else(|| ProfileError::UnsetVariable {
                profile: self.profile.to_owned(),
                key: key.to_owned(),
                var,
            }),
            Text::File(path) => {
                let path = self.folder.join(path);
                match std::fs::read_to_string(&path) {
                    Ok(mut value) => {
                        if value.ends_with('\n') {
                            value.pop();
                            if value.ends_with('\r') {
                                value.pop();
                            }
                        }
                        Ok(value)
                    }
                    Err(e) => Err(ProfileError::SecretFile {
                        profile: self.profile.to_owned(),
                        key: key.to_owned(),
                        path,
                        reason: e.to_string(),
                    }),
                }
            }
        }
    }
}

/// The flags' local stack, without their connection settings (for a profile not in use).
fn local_stack_only(flags: Locations) -> Locations {
    Locations {
        bootstrap_servers: None,
        kafka_options: Vec::new(),
        registry_url: None,
        registry_user: None,
        registry_password: None,
        registry_token: None,
        spark_url: None,
        spark_token: None,
        ..flags
    }
}

/// `flags` over `profile`, setting by setting. `-X` options are added to the profile's Kafka
/// properties, a key of both taking the flag's value. The registry's authentication is one
/// setting: a user or a token among the flags replaces all the profile gives (a password alone
/// goes with the profile's user).
fn layered(flags: Locations, profile: Settings) -> Locations {
    let flag_keys: Vec<&str> = (flags.kafka_options.iter())
        .filter_map(|o| o.split_once('=').map(|(key, _)| key.trim()))
        .collect();
    let kafka_options = (profile.kafka.iter())
        .filter(|(key, _)| !flag_keys.contains(&key.as_str()))
        .map(|(key, value)| format!("{key}={value}"))
        .chain(flags.kafka_options.iter().cloned())
        .collect();
    let (user, password, token) = if flags.registry_user.is_some() || flags.registry_token.is_some()
    {
        (None, None, None)
    } else {
        (
            profile.registry_user,
            profile.registry_password,
            profile.registry_token,
        )
    };
    Locations {
        bootstrap_servers: flags.bootstrap_servers.or(profile.bootstrap_servers),
        kafka_options,
        registry_url: flags.registry_url.or(profile.registry_url),
        registry_user: flags.registry_user.or(user),
        registry_password: flags.registry_password.or(password),
        registry_token: flags.registry_token.or(token),
        spark_url: flags.spark_url.or(profile.spark_url),
        spark_token: flags.spark_token.or(profile.spark_token),
        ..flags
    }
}

/// The config file at `path`; a missing file is an empty one unless it was named explicitly.
fn read_config_file(path: &Path, explicit: bool) -> Result<ConfigFile, ProfileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok(ConfigFile::default())
        }
        Err(e) => Err(ProfileError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

fn read_file(path: &Path) -> Result<String, ProfileError> {
    std::fs::read_to_string(path).map_err(|e| ProfileError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// `text` as TOML of shape `T`. The error names the line but does not show it: it may hold a
/// secret.
fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, ProfileError> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let start = e.span().map_or(0, |span| span.start);
        let before = text.get(..start).unwrap_or(text);
        ProfileError::Parse {
            path: path.to_owned(),
            line: before.matches('\n').count() + 1,
            message: e.message().trim_end().to_owned(),
        }
    })
}

/// The profiles there are, as the end of an error message.
fn known(clusters: &BTreeMap<String, Source>, path: &Path) -> String {
    if clusters.is_empty() {
        let why = if path.is_file() {
            "defines none"
        } else {
            "does not exist"
        };
        format!("there are no profiles ({} {why})", path.display())
    } else {
        let names: Vec<&str> = clusters.keys().map(String::as_str).collect();
        format!("the profiles are: {}", names.join(", "))
    }
}

/// What a value may be, for error messages that show no value.
const TEXT_EXPECTED: &str = "a string, { env = \"VARIABLE\" } or { file = \"PATH\" }";

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Reads a [`Text`]; numbers and booleans become their text (`"linger.ms" = 5`). Errors never
/// show the value.
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(TEXT_EXPECTED)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Text, E> {
        Ok(Text::Plain(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Text, E> {
        Ok(Text::Plain(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Text, E> {
        Ok(Text::Plain(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Text, E> {
        Ok(Text::Plain(value.to_string()))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Text, E> {
        Ok(Text::Plain(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
        Err(E::custom(format!(
            "a number with a fraction: expected {TEXT_EXPECTED}"
        )))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Text, A::Error> {
        Err(de::Error::custom(format!(
            "a list: expected {TEXT_EXPECTED}"
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        let Some(kind) = map.next_key::<String>()? else {
            return Err(de::Error::custom(format!(
                "an empty table: expected {TEXT_EXPECTED}"
            )));
        };
        let text = match kind.as_str() {
            "env" => Text::Env(map.next_value()?),
            "file" => Text::File(map.next_value::<String>()?.into()),
            _ => return Err(de::Error::unknown_field(&kind, &["env", "file"])),
        };
        match map.next_key::<String>()? {
            Some(_) => Err(de::Error::custom(
                "a secret reference names one thing: { env = \"VARIABLE\" } or { file = \"PATH\" }",
            )),
            None => Ok(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::Cli;
    use clap::Parser as _;
    use pipeline::settings::{RegistryAuth, Secret, SparkToken};

    /// A home folder with a data folder `.kafka-demo` in it, gone after the test.
    struct Home(tempfile::TempDir);

    impl Home {
        fn new() -> Self {
            Self(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")))
        }

        /// Writes `text` to `name` under the home folder, making its folders.
        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.path().join(name);
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
            path
        }

        /// Writes the default config file.
        fn config_file(&self, text: &str) -> PathBuf {
            self.write(".kafka-demo/config.toml", text)
        }

        /// The profiles of `kafka-demo ARGS stack status` with the variables `env`.
        fn profiles(&self, args: &[&str], env: &[(&str, &str)]) -> Result<Profiles, String> {
            let argv = std::iter::once("kafka-demo")
                .chain(args.iter().copied())
                .chain(["stack", "status"]);
            let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
            let env: BTreeMap<String, String> = (env.iter())
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            let lookup: EnvLookup = Arc::new(move |var: &str| env.get(var).cloned());
            (cli.global)
                .profiles_with(Some(self.0.path().to_owned()), lookup)
                .map_err(|e| e.to_string())
        }

        /// The settings of the profile in use.
        fn config(&self, args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
            (self.profiles(args, env)?)
                .active_config()
                .map_err(|e| e.to_string())
        }

        /// The error `config` ends in.
        fn refused(&self, args: &[&str], env: &[(&str, &str)]) -> String {
            match self.config(args, env) {
                Ok(config) => panic!("{args:?} was accepted: {config:?}"),
                Err(e) => e,
            }
        }
    }

    const TWO: &str = r#"
default = "staging"

[clusters.staging]
bootstrap_servers = "s1:9093,s2:9093"
registry_url = "https://registry.staging.example/apis/ccompat/v7"
spark_url = "sc://spark.staging.example:15002"

[clusters.staging.kafka]
"security.protocol" = "SASL_SSL"
"sasl.username" = "demo"
"linger.ms" = 5

[clusters.prod]
bootstrap_servers = "p1:9093"
"#;

    fn option<'a>(config: &'a Config, key: &str) -> Vec<&'a str> {
        (config.kafka.options.iter())
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn the_files_default_profile_is_used_without_cluster() -> Result<(), String> {
        let home = Home::new();
        home.config_file(TWO);
        let profiles = home.profiles(&[], &[])?;
        assert_eq!(profiles.active(), Some("staging"));
        assert_eq!(profiles.names().collect::<Vec<_>>(), ["prod", "staging"]);
        let config = profiles.active_config().map_err(|e| e.to_string())?;
        assert_eq!(config.kafka.bootstrap_servers, "s1:9093,s2:9093");
        assert_eq!(
            config.registry.url.as_str(),
            "https://registry.staging.example/apis/ccompat/v7"
        );
        assert_eq!(
            config.spark.url.to_string(),
            "sc://spark.staging.example:15002"
        );
        assert_eq!(option(&config, "security.protocol"), ["SASL_SSL"]);
        assert_eq!(option(&config, "linger.ms"), ["5"]);
        Ok(())
    }

    #[test]
    fn cluster_picks_a_profile_and_the_rest_stays_local() -> Result<(), String> {
        let home = Home::new();
        home.config_file(TWO);
        let prod = home.config(&["--cluster", "prod"], &[])?;
        assert_eq!(prod.kafka.bootstrap_servers, "p1:9093");
        assert_eq!(
            prod.registry.url.as_str(),
            "http://127.0.0.1:23081/apis/ccompat/v7",
            "what the profile leaves out is the local stack's"
        );
        assert!(prod.kafka.options.is_empty());
        // Spark's default output and checkpoints are the cluster's own.
        assert_eq!(
            prod.spark_state,
            prod.stack.data_dir.join("clusters").join("prod")
        );
        Ok(())
    }

    #[test]
    fn without_a_profile_the_local_stack_stays() -> Result<(), String> {
        let home = Home::new();
        let none = home.profiles(&[], &[])?;
        assert_eq!((none.active(), none.names().count()), (None, 0));
        let config = none.active_config().map_err(|e| e.to_string())?;
        assert_eq!(config.kafka.bootstrap_servers, "127.0.0.1:23092");
        assert_eq!(config.spark_state, config.stack.data_dir);
        home.config_file("[clusters.prod]\nbootstrap_servers = \"p1:9093\"\n");
        let undefaulted = home.profiles(&[], &[])?;
        assert_eq!(undefaulted.active(), None);
        let config = undefaulted.active_config().map_err(|e| e.to_string())?;
        assert_eq!(config.kafka.bootstrap_servers, "127.0.0.1:23092");
        Ok(())
    }

    #[test]
    fn a_flag_overrides_the_profiles_value_and_only_that() -> Result<(), String> {
        let home = Home::new();
        home.config_file(TWO);
        let config = home.config(&["--bootstrap-servers", "mine:9092"], &[])?;
        assert_eq!(config.kafka.bootstrap_servers, "mine:9092");
        assert_eq!(
            config.registry.url.as_str(),
            "https://registry.staging.example/apis/ccompat/v7"
        );
        assert_eq!(option(&config, "security.protocol"), ["SASL_SSL"]);
        Ok(())
    }

    #[test]
    fn kafka_options_of_the_flags_go_on_top_of_the_profiles() -> Result<(), String> {
        let home = Home::new();
        home.config_file(TWO);
        let config = home.config(&["-X", "sasl.username=other", "-X", "client.id=me"], &[])?;
        assert_eq!(option(&config, "sasl.username"), ["other"]);
        assert_eq!(option(&config, "client.id"), ["me"]);
        assert_eq!(option(&config, "security.protocol"), ["SASL_SSL"]);
        assert_eq!(config.kafka.options.len(), 4, "{:?}", config.kafka.options);
        Ok(())
    }

    #[test]
    fn secrets_come_from_variables_and_files() -> Result<(), String> {
        let home = Home::new();
        home.write(".kafka-demo/secrets/spark", "sp4rk\n");
        home.write(".kafka-demo/secrets/kafka", "k4fka\n\n");
        home.config_file(
            r#"
[clusters.s]
registry_user = "svc"
registry_password = { env = "PROFILE_TEST_REGISTRY_PASSWORD" }
spark_url = "sc://spark.example:15002"
spark_token = { file = "secrets/spark" }

[clusters.s.kafka]
"sasl.username" = { env = "PROFILE_TEST_KAFKA_USER" }
"sasl.password" = { file = "secrets/kafka" }
"#,
        );
        let env = [
            ("PROFILE_TEST_REGISTRY_PASSWORD", "r3gistry"),
            ("PROFILE_TEST_KAFKA_USER", "demo"),
        ];
        let config = home.config(&["--cluster", "s"], &env)?;
        assert_eq!(
            config.registry.auth,
            Some(RegistryAuth::Basic {
                user: "svc".into(),
                password: Some(Secret::new("r3gistry"))
            })
        );
        let token = config.spark.url.token.as_ref().map(SparkToken::reveal);
        assert_eq!(token, Some("sp4rk"), "one trailing newline is trimmed");
        assert_eq!(option(&config, "sasl.username"), ["demo"]);
        assert_eq!(option(&config, "sasl.password"), ["k4fka\n"]);
        Ok(())
    }

    #[test]
    fn a_missing_secret_is_named_and_no_secret_is_shown() {
        let home = Home::new();
        home.write(".kafka-demo/kafka-password", "k4fka");
        home.config_file(
            r#"
[clusters.s]
registry_user = "svc"
registry_password = "r3gistry"
[clusters.s.kafka]
"sasl.password" = { file = "kafka-password" }
"sasl.username" = { env = "PROFILE_TEST_UNSET_USER" }
"ssl.key.pem" = { file = "no-such-key.pem" }
"#,
        );
        let unset = home.refused(&["--cluster", "s"], &[]);
        for part in [
            "\"s\"",
            "sasl.username",
            "PROFILE_TEST_UNSET_USER",
            "not set",
        ] {
            assert!(unset.contains(part), "{part}: {unset}");
        }
        let unreadable = home.refused(&["--cluster", "s"], &[("PROFILE_TEST_UNSET_USER", "u")]);
        for part in ["\"s\"", "ssl.key.pem", "no-such-key.pem"] {
            assert!(unreadable.contains(part), "{part}: {unreadable}");
        }
        for error in [unset, unreadable] {
            assert!(
                !error.contains("k4fka") && !error.contains("r3gistry"),
                "{error}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() -> Result<(), String> {
        let home = Home::new();
        home.config_file(
            r#"
default = "s"
[clusters.s]
registry_user = "svc"
registry_password = "r3gistry"
spark_token = "sp4rk"
[clusters.s.kafka]
"sasl.password" = "k4fka"
[clusters.t]
registry_bearer_token = { env = "PROFILE_TEST_TOKEN" }
"#,
        );
        let profiles = home.profiles(&[], &[("PROFILE_TEST_TOKEN", "b3arer")])?;
        let s = profiles.config("s").map_err(|e| e.to_string())?;
        let t = profiles.config("t").map_err(|e| e.to_string())?;
        let shown = format!("{profiles:?} {s:?} {t:?}");
        for secret in ["r3gistry", "sp4rk", "k4fka", "b3arer"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("sasl.password"), "{shown}");
        Ok(())
    }

    #[test]
    fn unknown_keys_are_refused_by_name_without_their_values() {
        let home = Home::new();
        let cases = [
            (
                "[clusters.s]\nregistry_pasword = \"hunter2\"\n",
                "registry_pasword",
                2,
            ),
            ("defualt = \"s\"\n", "defualt", 1),
            ("[cluster.s]\nbootstrap_servers = \"b:1\"\n", "cluster", 1),
            (
                "[clusters.s]\n\nspark_token = { envv = \"hunter2\" }\n",
                "envv",
                3,
            ),
            ("[clusters.s]\nspark_token = [\"hunter2\"]\n", "a list", 2),
        ];
        for (text, needle, line) in cases {
            home.config_file(text);
            let e = home.refused(&[], &[]);
            assert!(e.contains(needle), "{text}: {e}");
            assert!(e.contains(&format!("line {line}:")), "{text}: {e}");
            assert!(!e.contains("hunter2"), "{text}: {e}");
        }
    }

    #[test]
    fn an_unknown_profile_is_refused_with_the_names_there_are() {
        let home = Home::new();
        let nothing = home.refused(&["--cluster", "staging"], &[]);
        assert!(
            nothing.contains("\"staging\"") && nothing.contains("does not exist"),
            "{nothing}"
        );
        home.config_file(TWO);
        let e = home.refused(&["--cluster", "stagin"], &[]);
        for part in ["\"stagin\"", "--cluster", "prod, staging"] {
            assert!(e.contains(part), "{part}: {e}");
        }
        home.config_file("default = \"gone\"\n[clusters.prod]\n");
        let e = home.refused(&[], &[]);
        assert!(
            e.contains("\"gone\"") && e.contains("default") && e.contains("prod"),
            "{e}"
        );
    }

    #[test]
    fn a_config_file_given_must_exist_the_default_one_need_not() -> Result<(), String> {
        let home = Home::new();
        let missing = home.0.path().join("nowhere.toml");
        let shown = missing.display().to_string();
        let e = home.refused(&["--config", &shown], &[]);
        assert!(e.contains(&shown), "{e}");
        home.config(&[], &[])?;
        let elsewhere = home.write("elsewhere/c.toml", TWO);
        let config = home.config(&["--config", &elsewhere.display().to_string()], &[])?;
        assert_eq!(config.kafka.bootstrap_servers, "s1:9093,s2:9093");
        Ok(())
    }

    #[test]
    fn local_cluster_is_read_from_the_file_stack_up_writes() -> Result<(), String> {
        let home = Home::new();
        let e = home.refused(&["--cluster", LOCAL_CLUSTER], &[]);
        assert!(e.contains("kafka-demo stack up --cluster"), "{e}");
        home.write(".kafka-demo/cluster/spark-token", "sp4rk\n");
        let written = home.write(
            ".kafka-demo/cluster/profile.toml",
            r#"
bootstrap_servers = "127.0.0.1:26092,127.0.0.1:26192"
registry_url = "http://127.0.0.1:26081/apis/ccompat/v7"
spark_url = "sc://127.0.0.1:26002"
spark_token = { file = "spark-token" }

[kafka]
"client.id" = "local"
"#,
        );
        assert_eq!(
            written,
            local_cluster_file(&home.0.path().join(".kafka-demo"))
        );
        let profiles = home.profiles(&["--cluster", LOCAL_CLUSTER], &[])?;
        assert_eq!(profiles.names().collect::<Vec<_>>(), [LOCAL_CLUSTER]);
        let config = profiles.active_config().map_err(|e| e.to_string())?;
        assert_eq!(
            config.kafka.bootstrap_servers,
            "127.0.0.1:26092,127.0.0.1:26192"
        );
        assert_eq!(option(&config, "client.id"), ["local"]);
        let token = config.spark.url.token.as_ref().map(SparkToken::reveal);
        assert_eq!(token, Some("sp4rk"));
        home.config_file("[clusters.local-cluster]\nbootstrap_servers = \"own:1\"\n");
        let own = home.config(&["--cluster", LOCAL_CLUSTER], &[])?;
        assert_eq!(
            own.kafka.bootstrap_servers, "own:1",
            "the config file's own wins"
        );
        Ok(())
    }

    #[test]
    fn basic_auth_and_a_bearer_token_together_are_refused() -> Result<(), String> {
        let home = Home::new();
        home.config_file(
            r#"
[clusters.both]
registry_user = "svc"
registry_bearer_token = "b3arer"
[clusters.basic]
registry_user = "svc"
registry_password = "r3gistry"
"#,
        );
        let e = home.refused(&["--cluster", "both"], &[]);
        assert!(
            e.contains("\"both\"") && e.contains("bearer") && e.contains("user"),
            "{e}"
        );
        assert!(!e.contains("b3arer"), "{e}");
        let e = home.refused(&["--registry-user", "u", "--registry-token", "t"], &[]);
        assert!(
            e.contains("--registry-token") && e.contains("--registry-user"),
            "{e}"
        );
        let bearer = home.config(&["--cluster", "basic", "--registry-token", "t"], &[])?;
        assert_eq!(
            bearer.registry.auth,
            Some(RegistryAuth::Bearer(Secret::new("t")))
        );
        Ok(())
    }

    #[test]
    fn other_profiles_resolve_without_the_connection_flags() -> Result<(), String> {
        let home = Home::new();
        home.config_file(
            r#"
default = "staging"
[clusters.staging]
bootstrap_servers = "s1:9093"
[clusters.broken]
spark_token = { env = "PROFILE_TEST_NEVER_SET" }
[clusters.prod]
bootstrap_servers = "p1:9093"
"#,
        );
        let profiles = home.profiles(&["--bootstrap-servers", "mine:1", "-X", "a=b"], &[])?;
        let active = profiles.active_config().map_err(|e| e.to_string())?;
        assert_eq!(active.kafka.bootstrap_servers, "mine:1");
        let prod = profiles.config("prod").map_err(|e| e.to_string())?;
        assert_eq!(prod.kafka.bootstrap_servers, "p1:9093");
        assert!(prod.kafka.options.is_empty());
        assert!(profiles.config("broken").is_err());
        let unknown = profiles.config("nope").err().map(|e| e.to_string());
        assert!(unknown.is_some_and(|e| e.contains("broken, prod, staging")));
        Ok(())
    }
}
