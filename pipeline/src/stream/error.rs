//! What can go wrong streaming.

use super::event::QueryKind;
use crate::batch::{self, BatchError};
use crate::registry;
use crate::spark::{SparkLocation, SparkOpError};

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
    /// Spark cannot reach or write the checkpoint location.
    #[error("Spark cannot keep the checkpoints at {location}: {message}")]
    Checkpoint {
        /// The location, as Spark was given it.
        location: String,
        /// Spark's message, first line.
        message: String,
    },
}

impl StreamError {
    /// The error of a Spark call that read or wrote the checkpoint `location`: Spark's words
    /// about the place, or, when the call itself failed (no answer in time, the connection
    /// lost), what happened to it.
    pub(crate) fn checkpoint(location: &SparkLocation, error: SparkOpError) -> Self {
        match batch::location_problem(&error) {
            Some(message) => Self::Checkpoint {
                location: location.to_string(),
                message,
            },
            None => Self::Batch(BatchError::spark("opening the checkpoint", error)),
        }
    }
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
