//! The bridge under load: `kafka-demo serve --workshop` started as a child process on a free
//! loopback port against the bench's stack, so the memory read from `/proc` is the bridge's
//! alone and not the load generator's.

use super::error::LoadError;
use pipeline::settings::{Config, RegistryAuth};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// How long the bridge may take to print its URL.
const ANNOUNCE_WITHIN: Duration = Duration::from_secs(30);
/// How long the bridge may take to stop after SIGTERM before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(15);
/// What `kafka-demo serve` prints before the URL.
const ANNOUNCED: &str = "kafka-demo playground: ";

/// A running bridge; killed if dropped without [`Bridge::stop`].
#[derive(Debug)]
pub(crate) struct Bridge {
    child: Child,
    pid: u32,
    url: String,
    /// The child's output, held open (not read further) so a late line cannot fail on a
    /// closed pipe; `serve` prints nothing after its URL but to stderr.
    _stdout: Lines<BufReader<ChildStdout>>,
}

/// A process's resident memory now and at its highest, in KiB (`VmRSS`, `VmHWM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Memory {
    /// Resident now.
    pub rss_kib: u64,
    /// The most it has been resident so far.
    pub peak_kib: u64,
}

impl Bridge {
    /// Starts `bin serve --workshop` on 127.0.0.1 with the services of `config`, and waits
    /// until it prints its URL.
    pub(crate) async fn start(bin: &Path, config: &Config) -> Result<Self, LoadError> {
        let spawn_error = |source| LoadError::Spawn {
            bin: bin.to_owned(),
            source,
        };
        let mut command = Command::new(bin);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("KAFKA_DEMO_") {
                command.env_remove(key);
            }
        }
        command
            .envs(child_env(config))
            .args(kafka_option_args(config))
            .args([
                "serve",
                "--workshop",
                "--new-room",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ])
            .args(["--dist", "/nonexistent/kafka-demo-bench-dist"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Its "press Ctrl-C" and warnings would interleave with the report.
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(spawn_error)?;
        let pid = child.id().ok_or(LoadError::NotAnnounced)?;
        let stdout = child.stdout.take().ok_or(LoadError::NotAnnounced)?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(ANNOUNCE_WITHIN, announced_url(&mut lines))
            .await
            .map_err(|_| LoadError::NotAnnounced)??;
        Ok(Self {
            child,
            pid,
            url,
            _stdout: lines,
        })
    }

    /// The bridge's base URL, `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The bridge's resident memory, from `/proc/<pid>/status`.
    pub(crate) async fn memory(&self) -> Result<Memory, LoadError> {
        let path = format!("/proc/{}/status", self.pid);
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| LoadError::Memory {
                pid: self.pid,
                reason: e.to_string(),
            })?;
        parse_status(&text).ok_or_else(|| LoadError::Memory {
            pid: self.pid,
            reason: "no VmRSS or VmHWM line".into(),
        })
    }

    /// Asks the bridge to stop (SIGTERM, as Ctrl-C would) and kills it if it does not in time.
    pub(crate) async fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.pid).unwrap_or(i32::MAX));
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        if tokio::time::timeout(STOP_WITHIN, self.child.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                pid = self.pid,
                "the bench's bridge did not stop; killing it"
            );
            let _ = self.child.kill().await;
        }
    }
}

/// Reads the child's output until `serve` prints its URL.
async fn announced_url(lines: &mut Lines<BufReader<ChildStdout>>) -> Result<String, LoadError> {
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(url) = line.strip_prefix(ANNOUNCED) {
            return Ok(url.trim().trim_end_matches('/').to_owned());
        }
    }
    Err(LoadError::NotAnnounced)
}

/// The environment telling a child `kafka-demo` to use the same services and folders as
/// `config` (the environment, not flags, so a registry password stays out of `ps`).
fn child_env(config: &Config) -> Vec<(&'static str, String)> {
    let ports = &config.stack.ports;
    let mut env = vec![
        (
            "KAFKA_DEMO_DATA_DIR",
            config.stack.data_dir.display().to_string(),
        ),
        (
            "KAFKA_DEMO_CACHE_DIR",
            config.stack.cache_dir.display().to_string(),
        ),
        (
            "KAFKA_DEMO_BOOTSTRAP_SERVERS",
            config.kafka.bootstrap_servers.clone(),
        ),
        ("KAFKA_DEMO_REGISTRY_URL", config.registry.url.to_string()),
        ("KAFKA_DEMO_SPARK_URL", config.spark.url.to_string()),
        ("KAFKA_DEMO_KAFKA_PORT", ports.kafka.to_string()),
        (
            "KAFKA_DEMO_KAFKA_CONTROLLER_PORT",
            ports.kafka_controller.to_string(),
        ),
        ("KAFKA_DEMO_REGISTRY_PORT", ports.registry.to_string()),
        (
            "KAFKA_DEMO_REGISTRY_MANAGEMENT_PORT",
            ports.registry_management.to_string(),
        ),
        ("KAFKA_DEMO_SPARK_PORT", ports.spark.to_string()),
    ];
    if let Some(token) = &config.spark.url.token {
        env.push(("KAFKA_DEMO_SPARK_TOKEN", token.reveal().to_owned()));
    }
    match &config.registry.auth {
        Some(RegistryAuth::Basic { user, password }) => {
            env.push(("KAFKA_DEMO_REGISTRY_USER", user.clone()));
            if let Some(password) = password {
                env.push(("KAFKA_DEMO_REGISTRY_PASSWORD", password.reveal().to_owned()));
            }
        }
        Some(RegistryAuth::Bearer(token)) => {
            env.push(("KAFKA_DEMO_REGISTRY_TOKEN", token.reveal().to_owned()));
        }
        None => {}
    }
    env
}

/// `-X key=value` for each librdkafka setting of `config`.
fn kafka_option_args(config: &Config) -> Vec<String> {
    config
        .kafka
        .options
        .iter()
        .flat_map(|(key, value)| ["-X".to_owned(), format!("{key}={value}")])
        .collect()
}

/// `VmRSS` and `VmHWM` from the text of `/proc/<pid>/status`.
fn parse_status(text: &str) -> Option<Memory> {
    let kib = |field: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
    };
    Some(Memory {
        rss_kib: kib("VmRSS:")?,
        peak_kib: kib("VmHWM:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_read_from_proc_status() {
        let text =
            "Name:\tkafka-demo\nVmPeak:\t  900000 kB\nVmHWM:\t   61234 kB\nVmRSS:\t   52000 kB\n";
        assert_eq!(
            parse_status(text),
            Some(Memory {
                rss_kib: 52_000,
                peak_kib: 61_234
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[tokio::test]
    async fn this_process_has_a_memory_figure() {
        let text = tokio::fs::read_to_string(format!("/proc/{}/status", std::process::id()))
            .await
            .unwrap_or_default();
        let memory = parse_status(&text).unwrap_or_default();
        assert!(
            memory.rss_kib > 0 && memory.peak_kib >= memory.rss_kib,
            "{memory:?}"
        );
    }

    #[test]
    fn the_child_is_pointed_at_the_same_services() {
        let cli = <kafka_demo::flags::Cli as clap::Parser>::try_parse_from([
            "kafka-demo",
            "--kafka-port",
            "27092",
            "--registry-user",
            "u",
            "--registry-password",
            "p",
            "-X",
            "security.protocol=PLAINTEXT",
            "stack",
            "status",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let config = cli
            .global
            .config(Some("/tmp".into()))
            .unwrap_or_else(|e| panic!("{e}"));
        let env = child_env(&config);
        let get = |key: &str| env.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
        assert_eq!(get("KAFKA_DEMO_BOOTSTRAP_SERVERS"), Some("127.0.0.1:27092"));
        assert_eq!(get("KAFKA_DEMO_REGISTRY_PASSWORD"), Some("p"));
        assert_eq!(
            kafka_option_args(&config),
            ["-X", "security.protocol=PLAINTEXT"]
        );
    }
}
