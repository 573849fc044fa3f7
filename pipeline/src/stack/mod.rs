//! The local stack: Kafka, Apicurio Registry and a Spark Connect server, fetched on first use,
//! run as plain processes bound to 127.0.0.1, with their state under one data folder.
//!
//! Layout of the data folder: `cache/` holds downloads (kept by `reset`); `kafka/`, `registry/`
//! and `spark/` each hold a service's state, its `service.log` and its `service.pid`.

mod artifacts;
pub mod cluster;
mod error;
pub mod process;
mod services;
mod unit;

pub use error::StackError;
pub use services::Service;

use crate::settings::{KafkaConfig, RegistryConfig, SparkConfig, StackConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use unit::Unit;

/// Where one service stands.
#[derive(Debug, Clone)]
pub struct ServiceStatus {
    /// Which service.
    pub service: Service,
    /// How clients reach it.
    pub address: String,
    /// Its process, when one of ours runs.
    pub pid: Option<u32>,
    /// Whether it answered its readiness probe.
    pub ready: bool,
    /// Why not, when it did not.
    pub problem: Option<String>,
}

/// What `up` did for one service.
#[derive(Debug, Clone)]
pub struct Started {
    /// Which service.
    pub service: Service,
    /// `false` when it was already running and was left alone.
    pub started: bool,
    /// From the services being started (after any download) to this one answering.
    pub ready_after: Duration,
}

pub use unit::Progress;

/// The folder of Kafka's own tools' jars (`kafka-tools` at the stack's Kafka version and its
/// dependencies), fetched into the cache on first use.
pub async fn kafka_tools(
    config: &StackConfig,
    progress: Progress<'_>,
) -> Result<PathBuf, StackError> {
    artifacts::kafka_tools_jars(config, progress).await
}

/// The local stack described by a [`StackConfig`].
#[derive(Debug, Clone)]
pub struct Stack {
    config: StackConfig,
}

impl Stack {
    /// A handle on the stack; nothing is started or read yet.
    pub fn new(config: StackConfig) -> Self {
        Self { config }
    }

    /// The stack's configuration.
    pub fn config(&self) -> &StackConfig {
        &self.config
    }

    /// Folder of one service's state.
    pub fn service_dir(&self, service: Service) -> PathBuf {
        self.config.data_dir.join(service.name())
    }

    /// One service's log file.
    pub fn log_file(&self, service: Service) -> PathBuf {
        self.unit(service).log_file()
    }

    fn unit(&self, service: Service) -> Unit {
        Unit {
            name: service.name().into(),
            dir: self.service_dir(service),
            ports: service.ports(&self.config.ports),
        }
    }

    /// Address clients use, as `status` prints it.
    pub fn address(&self, service: Service) -> String {
        match service {
            Service::Kafka => self.config.kafka_bootstrap(),
            Service::Registry => self.config.registry_url(),
            Service::Spark => self.config.spark_url().to_string(),
        }
    }

    /// The pid of the service's process, if one of ours is running.
    pub fn running_pid(&self, service: Service) -> Option<u32> {
        self.unit(service).running_pid()
    }

    /// Fetches what is missing, starts every service that is not running, and waits until each
    /// answers (or `timeout` passes once the downloads are done). Running services are left alone, so `up` can be repeated.
    pub async fn up(
        &self,
        timeout: Duration,
        progress: Progress<'_>,
    ) -> Result<Vec<Started>, StackError> {
        // Busy ports are reported before any download, so a clash does not cost minutes.
        let mut fresh = Vec::new();
        for service in Service::ALL {
            let unit = self.unit(service);
            if unit.running_pid().is_none() {
                unit.clear_stale_pid(progress).await;
                unit.check_ports()?;
                fresh.push(service);
            }
        }
        let art =
            artifacts::ensure(&self.config.cache_dir, &self.config.versions, progress).await?;
        // The deadline covers starting and readiness; a first download may take far longer.
        let begun = Instant::now();
        let mut pids: Vec<(Service, Option<u32>)> = Service::ALL
            .iter()
            .map(|s| (*s, self.running_pid(*s)))
            .collect();
        for service in &fresh {
            let pid = self.start(*service, &art, progress).await?;
            if let Some(entry) = pids.iter_mut().find(|(s, _)| s == service) {
                entry.1 = Some(pid);
            }
        }
        let deadline = begun + timeout;
        let (fresh, pids, art) = (&fresh, &pids, &art);
        let waits = Service::ALL.map(|service| async move {
            let pid = pids
                .iter()
                .find(|(s, _)| *s == service)
                .and_then(|(_, pid)| *pid);
            let mut started = fresh.contains(&service);
            match self.wait_ready(service, pid, begun, deadline).await {
                // Found running but gone before it answered: it was killed a moment before `up`
                // looked (a JVM takes a while to die). Start it again, as after any crash.
                Err(StackError::Exited { .. }) if !started => {
                    let unit = self.unit(service);
                    unit.clear_stale_pid(progress).await;
                    unit.check_ports()?;
                    let pid = self.start(service, art, progress).await?;
                    started = true;
                    self.wait_ready(service, Some(pid), begun, deadline).await?;
                }
                other => other?,
            }
            Ok::<_, StackError>(Started {
                service,
                started,
                ready_after: begun.elapsed(),
            })
        });
        let [kafka, registry, spark] = waits;
        let (kafka, registry, spark) = tokio::try_join!(kafka, registry, spark)?;
        if registry.started {
            self.default_compatibility().await;
        }
        Ok(vec![kafka, registry, spark])
    }

    /// Starts `service` in the background.
    async fn start(
        &self,
        service: Service,
        art: &artifacts::Artifacts,
        progress: Progress<'_>,
    ) -> Result<u32, StackError> {
        let unit = self.unit(service);
        unit.create_dirs()?;
        let (dir, ports) = (&unit.dir, &self.config.ports);
        let mut cmd = match service {
            Service::Kafka => services::prepare_kafka(dir, ports, art).await?,
            Service::Registry => {
                services::registry_command(dir, (ports.registry, ports.registry_management), art)
            }
            Service::Spark => services::spark_command(
                dir,
                ports.spark,
                services::SparkMaster::Local,
                art,
                self.config.spark_token.as_ref(),
            ),
        };
        unit.spawn(&mut cmd, progress)
    }

    /// Polls the service's readiness probe until it answers, its process dies, or `deadline`.
    async fn wait_ready(
        &self,
        service: Service,
        pid: Option<u32>,
        begun: Instant,
        deadline: Instant,
    ) -> Result<(), StackError> {
        self.unit(service)
            .wait_ready(pid, || self.probe(service), begun, deadline)
            .await
    }

    /// One readiness check: Kafka metadata, registry `GET /subjects`, Spark Connect `SELECT 1`.
    pub async fn probe(&self, service: Service) -> Result<(), String> {
        match service {
            Service::Kafka => {
                crate::health::kafka(&KafkaConfig {
                    bootstrap_servers: self.config.kafka_bootstrap(),
                    options: Vec::new(),
                })
                .await
            }
            Service::Registry => {
                let registry = self.registry_config().map_err(|e| e.to_string())?;
                crate::health::registry(&registry).await
            }
            Service::Spark => {
                crate::health::spark(&SparkConfig {
                    url: self.config.spark_url(),
                })
                .await
            }
        }
    }

    fn registry_config(&self) -> Result<RegistryConfig, url::ParseError> {
        Ok(RegistryConfig {
            url: url::Url::parse(&self.config.registry_url())?,
            auth: None,
        })
    }

    /// The ccompat API reports NONE until a level is set, although the registry enforces its
    /// global rule; setting BACKWARD once makes what it reports match what it does.
    async fn default_compatibility(&self) {
        let marker = self
            .service_dir(Service::Registry)
            .join("compatibility.set");
        if marker.exists() {
            return;
        }
        let Ok(config) = self.registry_config() else {
            return;
        };
        let Ok(client) = crate::registry::Client::new(&config) else {
            return;
        };
        match client.set_compatibility(None, "BACKWARD").await {
            Ok(_) => {
                let _ = std::fs::write(&marker, "BACKWARD\n");
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not set the registry's default compatibility")
            }
        }
    }

    /// Each service's address, process and readiness.
    pub async fn status(&self) -> Vec<ServiceStatus> {
        let checks = Service::ALL.map(|service| async move {
            let pid = self.running_pid(service);
            let probe = self.probe(service).await;
            ServiceStatus {
                service,
                address: self.address(service),
                pid,
                ready: probe.is_ok(),
                problem: probe.err(),
            }
        });
        let [a, b, c] = checks;
        let (a, b, c) = tokio::join!(a, b, c);
        vec![a, b, c]
    }

    /// Stops every running service, Spark first and Kafka last. Returns the ones that had to be
    /// killed because they did not stop within the grace period.
    pub async fn down(&self, progress: Progress<'_>) -> Vec<Service> {
        let mut killed = Vec::new();
        for service in Service::ALL.into_iter().rev() {
            if !self.unit(service).stop(progress).await {
                killed.push(service);
            }
        }
        killed
    }

    /// Stops the stack and deletes every service's state. Downloads stay.
    pub async fn reset(&self, progress: Progress<'_>) -> Result<(), StackError> {
        self.down(progress).await;
        for service in Service::ALL {
            let dir = self.service_dir(service);
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| StackError::io("delete", &dir, e))?;
                progress(&format!("deleted {}", dir.display()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Ports, Versions};
    use std::net::TcpListener;
    use std::process::Command;

    /// A port nothing listens on now.
    fn free_port() -> std::io::Result<u16> {
        Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
    }

    fn stack_in(dir: &std::path::Path) -> std::io::Result<Stack> {
        Ok(Stack::new(StackConfig {
            data_dir: dir.to_path_buf(),
            cache_dir: dir.join("cache"),
            ports: Ports {
                kafka: free_port()?,
                kafka_controller: free_port()?,
                registry: free_port()?,
                registry_management: free_port()?,
                spark: free_port()?,
            },
            versions: Versions {
                kafka: String::new(),
                apicurio: String::new(),
                spark: String::new(),
            },
            spark_token: None,
        }))
    }

    /// What `kill -9` leaves: a pid file naming a process that is gone.
    fn killed_service(stack: &Stack, service: Service) -> std::io::Result<()> {
        std::fs::create_dir_all(stack.service_dir(service))?;
        let mut child = Command::new("sleep").arg("600").spawn()?;
        std::fs::write(stack.unit(service).pid_file(), format!("{}\n", child.id()))?;
        let ours = stack.running_pid(service);
        child.kill()?;
        child.wait()?;
        assert_eq!(ours, None, "not ours: its command line lacks the marker");
        Ok(())
    }

    #[tokio::test]
    async fn a_pid_file_left_by_a_killed_service_is_cleared() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let stack = stack_in(dir.path())?;
        killed_service(&stack, Service::Kafka)?;
        let said = std::sync::Mutex::new(Vec::new());
        let progress = |line: &str| {
            if let Ok(mut said) = said.lock() {
                said.push(line.to_owned());
            }
        };
        let begun = Instant::now();
        stack.unit(Service::Kafka).clear_stale_pid(&progress).await;
        assert!(
            begun.elapsed() < unit::EXIT_GRACE,
            "free ports are not waited on"
        );
        assert!(!stack.unit(Service::Kafka).pid_file().exists());
        let said = said.lock().map(|s| s.join("\n")).unwrap_or_default();
        assert!(
            said.starts_with("kafka was not stopped by kafka-demo"),
            "{said}"
        );

        // Nothing to clear: nothing said.
        stack
            .unit(Service::Registry)
            .clear_stale_pid(&|line| panic!("{line}"))
            .await;
        Ok(())
    }

    /// A killed process holds its ports until the kernel has torn it down: `up` waits for them
    /// rather than calling them busy.
    #[tokio::test]
    async fn the_ports_of_a_killed_service_are_waited_for() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let stack = stack_in(dir.path())?;
        killed_service(&stack, Service::Spark)?;
        let holder = TcpListener::bind(("127.0.0.1", stack.config.ports.spark))?;
        let waiting = tokio::time::timeout(
            Duration::from_millis(500),
            stack.unit(Service::Spark).clear_stale_pid(&|_| {}),
        )
        .await;
        assert!(waiting.is_err(), "still waiting while the port is held");
        assert!(stack.unit(Service::Spark).pid_file().exists());
        drop(holder);
        let begun = Instant::now();
        stack.unit(Service::Spark).clear_stale_pid(&|_| {}).await;
        assert!(begun.elapsed() < unit::EXIT_GRACE);
        assert!(!stack.unit(Service::Spark).pid_file().exists());
        Ok(())
    }
}
