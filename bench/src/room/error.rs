//! Why a room load could not be run (a slow answer is a result, not an error).

use std::path::PathBuf;

/// Why the load could not be run (a slow answer is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bridge could not be started.
    #[error("could not start the bridge {bin}: {source}")]
    Spawn {
        /// The binary.
        bin: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bridge did not print its URL in time (or exited first).
    #[error("the bridge did not announce its URL (did it fail to start? run `kafka-demo serve --workshop` to see)")]
    NotAnnounced,
    /// The bridge's memory could not be read.
    #[error("could not read the memory of the bridge (pid {pid}): {reason}")]
    Memory {
        /// The bridge's process.
        pid: u32,
        /// Why.
        reason: String,
    },
    /// An attendee's socket failed.
    #[error("attendee {attendee}: the WebSocket failed: {source}")]
    Socket {
        /// The attendee.
        attendee: String,
        /// The client's error.
        source: Box<tokio_tungstenite::tungstenite::Error>,
    },
    /// The bridge closed an attendee's socket.
    #[error("attendee {attendee}: the bridge closed the socket")]
    Closed {
        /// The attendee.
        attendee: String,
    },
    /// The bridge refused a request the load needs.
    #[error("attendee {attendee}: {what} was refused: {message}")]
    Refused {
        /// The attendee.
        attendee: String,
        /// Which request.
        what: &'static str,
        /// The bridge's words.
        message: String,
    },
    /// A request the load needs was not answered.
    #[error("attendee {attendee}: no answer to {what}")]
    NoAnswer {
        /// The attendee.
        attendee: String,
        /// Which request.
        what: &'static str,
    },
}

impl LoadError {
    pub(crate) fn socket(attendee: &str, source: tokio_tungstenite::tungstenite::Error) -> Self {
        Self::Socket {
            attendee: attendee.to_owned(),
            source: Box::new(source),
        }
    }
}
