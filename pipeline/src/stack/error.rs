//! What can go wrong running the local stack, with the log lines that tell why.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// What can go wrong while running the stack. Each displays as one plain sentence; the ones
/// about a service that did not come up carry the end of its log.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// A program the stack needs is not installed.
    #[error("`{tool}` was not found: install {what}")]
    MissingTool {
        /// The program.
        tool: &'static str,
        /// What it is and how to get it.
        what: &'static str,
    },
    /// A download failed.
    #[error("could not fetch {what}: {reason} (full log: {})", log.display())]
    Fetch {
        /// What was being fetched.
        what: String,
        /// The fetch log.
        log: PathBuf,
        /// The most telling line of the log, or what else went wrong.
        reason: String,
    },
    /// Another process holds a port a service needs.
    #[error("port {port} for {label} on 127.0.0.1 is already in use{}; stop it or pick another port with {flag}",
            holder.as_ref().map(|h| format!(" by {h}")).unwrap_or_default())]
    PortBusy {
        /// The port.
        port: u16,
        /// Whose port it is.
        label: String,
        /// The flag that moves it.
        flag: &'static str,
        /// The process holding it, when it could be found.
        holder: Option<String>,
    },
    /// A service's process ended on its own.
    #[error("{service} exited ({status}); last lines of {}:\n{tail}", log.display())]
    Exited {
        /// The service.
        service: String,
        /// How it ended.
        status: String,
        /// Its log.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// A service runs but did not answer in time.
    #[error("{service} did not become ready within {waited:?} ({last}); last lines of {}:\n{tail}", log.display())]
    NotReady {
        /// The service.
        service: String,
        /// How long we waited.
        waited: Duration,
        /// The last readiness failure.
        last: String,
        /// Its log.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// Something the command needs has not been made yet.
    #[error("{what} has not been set up yet: run `{hint}` first")]
    NotCreated {
        /// What is missing.
        what: String,
        /// The command that makes it.
        hint: String,
    },
    /// An address made from the settings does not parse.
    #[error("{address} is not a usable address: {reason}")]
    Address {
        /// The address.
        address: String,
        /// Why not.
        reason: String,
    },
    /// A file operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// To what.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
}

impl StackError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
