//! The local stack: Kafka, Apicurio Registry and a Spark Connect server, fetched on first use,
//! run as plain processes bound to 127.0.0.1, with their state under one data folder.
//!
//! Layout of the data folder: `cache/` holds downloads (kept by `reset`); `kafka/`, `registry/`
//! and `spark/` each hold a service's state, its `service.log` and its `service.pid`.

mod artifacts;
mod error;
pub mod process;
mod services;

pub use error::StackError;
pub use services::Service;

use crate::settings::{KafkaConfig, RegistryConfig, SparkConfig, StackConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};

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

/// How long a service killed a moment ago may take to let go of its ports.
const EXIT_GRACE: Duration = Duration::from_secs(15);

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

/// Something to say while working; the CLI prints it.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

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
        self.service_dir(service).join("service.log")
    }

    fn pid_file(&self, service: Service) -> PathBuf {
        self.service_dir(service).join("service.pid")
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
        let pid = process::read_pid(&self.pid_file(service))?;
        let marker = self.service_dir(service).display().to_string();
        process::is_ours(pid, &marker).then_some(pid)
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
            if self.running_pid(service).is_none() {
                self.clear_stale_pid(service, progress).await;
                self.check_ports(service)?;
                fresh.push(service);
            }
        }
        let art = artifacts::ensure(&self.config, progress).await?;
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
                    self.clear_stale_pid(service, progress).await;
                    self.check_ports(service)?;
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

    /// A pid file without a running service of ours is left by a crash (`kill -9`, an OOM kill, a
    /// power cut). A process killed a moment ago still holds its ports while the kernel tears it
    /// down (its pid may already read as a zombie while its other threads exit; unmapping a JVM's
    /// heap takes a while), so the ports get [`EXIT_GRACE`] to come free before they are checked;
    /// then the stale file is removed.
    async fn clear_stale_pid(&self, service: Service, progress: Progress<'_>) {
        let pid_file = self.pid_file(service);
        let Some(pid) = process::read_pid(&pid_file) else {
            return;
        };
        progress(&format!(
            "{} was not stopped by kafka-demo (pid {pid} no longer runs); starting it again",
            service.name()
        ));
        let ports: Vec<u16> = service
            .ports(&self.config.ports)
            .iter()
            .map(|(port, _, _)| *port)
            .collect();
        let freed = async {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !ports.iter().all(|port| process::port_is_free(*port)) {
                tick.tick().await;
            }
        };
        let _ = tokio::time::timeout(EXIT_GRACE, freed).await;
        let _ = std::fs::remove_file(&pid_file);
    }

    fn check_ports(&self, service: Service) -> Result<(), StackError> {
        for (port, label, flag) in service.ports(&self.config.ports) {
            if !process::port_is_free(port) {
                return Err(StackError::PortBusy {
                    port,
                    label,
                    flag,
                    holder: process::port_holder(port),
                });
            }
        }
        Ok(())
    }

    /// Starts `service` in the background and says where its log goes.
    async fn start(
        &self,
        service: Service,
        art: &artifacts::Artifacts,
        progress: Progress<'_>,
    ) -> Result<u32, StackError> {
        let dir = self.service_dir(service);
        services::create_dirs(&dir)?;
        let ports = &self.config.ports;
        let mut cmd = match service {
            Service::Kafka => services::prepare_kafka(&dir, ports, art).await?,
            Service::Registry => services::registry_command(&dir, ports, art),
            Service::Spark => {
                services::spark_command(&dir, ports, art, self.config.spark_token.as_ref())
            }
        };
        let log = self.log_file(service);
        let pid = process::spawn_detached(&mut cmd, &log, &self.pid_file(service))
            .map_err(|e| StackError::io("start java for", &dir, e))?;
        progress(&format!(
            "started {} (log: {})",
            service.name(),
            log.display()
        ));
        Ok(pid)
    }

    /// Polls the service's readiness probe until it answers, its process dies, or `deadline`.
    async fn wait_ready(
        &self,
        service: Service,
        pid: Option<u32>,
        begun: Instant,
        deadline: Instant,
    ) -> Result<(), StackError> {
        // Liveness by pid alone: while a service's launcher script execs into java, its command
        // line can read empty for a moment, so ownership is settled before, not polled here.
        loop {
            let last = match self.probe(service).await {
                Ok(()) => return Ok(()),
                Err(why) => why,
            };
            if !pid.is_some_and(process::is_alive) {
                let log = self.log_file(service);
                let tail = process::tail(&log, 30);
                return Err(StackError::Exited {
                    service: service.name(),
                    status: "the process is gone".into(),
                    log,
                    tail,
                });
            }
            if Instant::now() >= deadline {
                let log = self.log_file(service);
                let tail = process::tail(&log, 30);
                return Err(StackError::NotReady {
                    service: service.name(),
                    waited: begun.elapsed(),
                    last,
                    log,
                    tail,
                });
            }
            tokio::time::sleep_until(
                (Instant::now() + Duration::from_millis(250))
                    .min(deadline)
                    .into(),
            )
            .await;
        }
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
            let Some(pid) = self.running_pid(service) else {
                continue;
            };
            progress(&format!("stopping {} (pid {pid})…", service.name()));
            if !process::terminate(pid, Duration::from_secs(45)).await {
                killed.push(service);
            }
            let _ = std::fs::remove_file(self.pid_file(service));
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
        std::fs::write(stack.pid_file(service), format!("{}\n", child.id()))?;
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
        stack.clear_stale_pid(Service::Kafka, &progress).await;
        assert!(begun.elapsed() < EXIT_GRACE, "free ports are not waited on");
        assert!(!stack.pid_file(Service::Kafka).exists());
        let said = said.lock().map(|s| s.join("\n")).unwrap_or_default();
        assert!(
            said.starts_with("kafka was not stopped by kafka-demo"),
            "{said}"
        );

        // Nothing to clear: nothing said.
        stack
            .clear_stale_pid(Service::Registry, &|line| panic!("{line}"))
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
            stack.clear_stale_pid(Service::Spark, &|_| {}),
        )
        .await;
        assert!(waiting.is_err(), "still waiting while the port is held");
        assert!(stack.pid_file(Service::Spark).exists());
        drop(holder);
        let begun = Instant::now();
        stack.clear_stale_pid(Service::Spark, &|_| {}).await;
        assert!(begun.elapsed() < EXIT_GRACE);
        assert!(!stack.pid_file(Service::Spark).exists());
        Ok(())
    }
}
