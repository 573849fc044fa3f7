//! One process of a stack (a service of the single-node stack, a node of the local cluster):
//! its folder, log and pid file, the ports it binds, and the steps every such process goes
//! through — starting detached, waiting until it answers, clearing what a crash left, stopping.

use super::error::StackError;
use super::process;
use std::future::Future;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Something to say while working; the CLI prints it.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// How long a process killed a moment ago may take to let go of its ports.
pub(crate) const EXIT_GRACE: Duration = Duration::from_secs(15);

/// How long a process asked to stop gets before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(45);

/// A port a process binds on 127.0.0.1, with what it is for and the flag that moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortUse {
    pub(crate) port: u16,
    pub(crate) label: String,
    pub(crate) flag: &'static str,
}

/// One process, named as in messages and folders (`kafka`, `kafka-2`, `spark-worker-1`).
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) ports: Vec<PortUse>,
}

impl Unit {
    pub(crate) fn log_file(&self) -> PathBuf {
        self.dir.join("service.log")
    }

    pub(crate) fn pid_file(&self) -> PathBuf {
        self.dir.join("service.pid")
    }

    /// The pid of the process, if one of ours is running: its command line names its folder,
    /// so a recycled pid is never taken for it.
    pub(crate) fn running_pid(&self) -> Option<u32> {
        let pid = process::read_pid(&self.pid_file())?;
        process::is_ours(pid, &self.dir.display().to_string()).then_some(pid)
    }

    /// A pid file without a running process of ours is left by a crash (`kill -9`, an OOM kill,
    /// a power cut). A process killed a moment ago still holds its ports while the kernel tears
    /// it down (its pid may already read as a zombie while its other threads exit; unmapping a
    /// JVM's heap takes a while), so the ports get [`EXIT_GRACE`] to come free before they are
    /// checked; then the stale file is removed.
    pub(crate) async fn clear_stale_pid(&self, progress: Progress<'_>) {
        let pid_file = self.pid_file();
        let Some(pid) = process::read_pid(&pid_file) else {
            return;
        };
        progress(&format!(
            "{} was not stopped by kafka-demo (pid {pid} no longer runs); starting it again",
            self.name
        ));
        let freed = async {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !self.ports.iter().all(|p| process::port_is_free(p.port)) {
                tick.tick().await;
            }
        };
        let _ = tokio::time::timeout(EXIT_GRACE, freed).await;
        let _ = std::fs::remove_file(&pid_file);
    }

    /// Every port is free, or the error naming the first busy one and who holds it.
    pub(crate) fn check_ports(&self) -> Result<(), StackError> {
        match self.ports.iter().find(|p| !process::port_is_free(p.port)) {
            None => Ok(()),
            Some(busy) => Err(StackError::PortBusy {
                port: busy.port,
                label: busy.label.clone(),
                flag: busy.flag,
                holder: process::port_holder(busy.port),
            }),
        }
    }

    /// Starts `cmd` in the background as this process and says where its log goes.
    pub(crate) fn spawn(
        &self,
        cmd: &mut Command,
        progress: Progress<'_>,
    ) -> Result<u32, StackError> {
        let log = self.log_file();
        let pid = process::spawn_detached(cmd, &log, &self.pid_file())
            .map_err(|e| StackError::io("start java for", &self.dir, e))?;
        progress(&format!("started {} (log: {})", self.name, log.display()));
        Ok(pid)
    }

    /// Polls `probe` until it answers, the process dies, or `deadline`.
    pub(crate) async fn wait_ready<F, P>(
        &self,
        pid: Option<u32>,
        probe: P,
        begun: Instant,
        deadline: Instant,
    ) -> Result<(), StackError>
    where
        P: Fn() -> F,
        F: Future<Output = Result<(), String>>,
    {
        // Liveness by pid alone: while a launcher script execs into java, its command line can
        // read empty for a moment, so ownership is settled before, not polled here.
        loop {
            let last = match probe().await {
                Ok(()) => return Ok(()),
                Err(why) => why,
            };
            if !pid.is_some_and(process::is_alive) {
                return Err(StackError::Exited {
                    service: self.name.clone(),
                    status: "the process is gone".into(),
                    log: self.log_file(),
                    tail: process::tail(&self.log_file(), 30),
                });
            }
            if Instant::now() >= deadline {
                return Err(StackError::NotReady {
                    service: self.name.clone(),
                    waited: begun.elapsed(),
                    last,
                    log: self.log_file(),
                    tail: process::tail(&self.log_file(), 30),
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

    /// Stops the process if it runs. Returns `false` when it had to be killed.
    pub(crate) async fn stop(&self, progress: Progress<'_>) -> bool {
        let Some(pid) = self.running_pid() else {
            return true;
        };
        progress(&format!("stopping {} (pid {pid})…", self.name));
        let stopped = process::terminate(pid, STOP_GRACE).await;
        let _ = std::fs::remove_file(self.pid_file());
        stopped
    }

    /// Creates the folder and its scratch space.
    pub(crate) fn create_dirs(&self) -> Result<(), StackError> {
        let scratch = self.dir.join("tmp");
        std::fs::create_dir_all(&scratch).map_err(|e| StackError::io("create", &scratch, e))
    }
}
