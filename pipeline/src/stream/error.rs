//! What can go wrong streaming.

use super::event::QueryKind;
use crate::batch::{self, BatchError};
use crate::registry;
use std::path::PathBuf;

/// What went wrong streaming.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Spark, the registry, the topic or the reader schema, as the batch job reports them.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// A query stopped with an error.
    #[error("the {query:?} streaming query failed: {message}")]
    QueryFailed {
        /// Which.
        query: QueryKind,
        /// Spark's message.
        message: String,
    },
    /// Kafka could not be read or written.
    #[error("Kafka failed while {action}: {reason}")]
    Kafka {
        /// What the run was doing.
        action: &'static str,
        /// Why.
        reason: String,
    },
    /// No usable results topic name.
    #[error("no results topic for this topic: {0}")]
    ResultsTopic(String),
    /// The state folder could not be used.
    #[error("could not use {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl From<batch::RangeError> for StreamError {
    fn from(e: batch::RangeError) -> Self {
        Self::Batch(e.into())
    }
}

impl From<registry::RegistryError> for StreamError {
    fn from(e: registry::RegistryError) -> Self {
        Self::Batch(e.into())
    }
}
