//! What can go wrong running a batch job, in words a person can act on.

use super::range::RangeError;
use crate::registry::RegistryError;

/// What went wrong running a batch job.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// No Spark Connect server answered.
    #[error("cannot reach Spark Connect at {url} ({reason}); start the stack with `kafka-demo stack up`, or point --spark-url (KAFKA_DEMO_SPARK_URL) at a running server")]
    SparkUnreachable {
        /// The server.
        url: String,
        /// Why.
        reason: String,
    },
    /// Spark failed a step.
    #[error("Spark failed while {step}: {message}")]
    Spark {
        /// What the job was doing.
        step: &'static str,
        /// Spark's message, first line.
        message: String,
    },
    /// Spark's answer did not have the expected shape.
    #[error("unexpected result from Spark while {step}: {detail}")]
    Shape {
        /// What the job was doing.
        step: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The run was cancelled (Ctrl-C); its Spark operations were interrupted.
    #[error("interrupted; the run's Spark operations were cancelled")]
    Interrupted,
    /// The offsets could not be resolved.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// The registry could not be asked.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A Kafka option cannot be handed to Spark's Kafka client.
    #[error(transparent)]
    KafkaOption(#[from] crate::java_options::JavaOptionError),
    /// No schema to read the records with, or one the job cannot use.
    #[error("reader schema for {subject}: {detail}")]
    Reader {
        /// The subject.
        subject: String,
        /// What is wrong.
        detail: String,
    },
}

/// Spark's first line, short enough to read.
pub(crate) fn plain_message(message: &str) -> String {
    plain(message)
}

fn plain(message: &str) -> String {
    let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut text: String = first.chars().take(600).collect();
    if first.chars().count() > 600 {
        text.push('…');
    }
    text
}

impl BatchError {
    /// The error of a Spark call made while doing `step`.
    pub fn spark(step: &'static str, error: crate::spark::SparkOpError) -> Self {
        use crate::spark::SparkOpError as E;
        match error {
            E::Unreachable { url, reason } => Self::SparkUnreachable {
                url,
                // The client reports a refused connection as an invalid URL; the URL was
                // already checked, so say what happened.
                reason: if reason.contains("transport error") {
                    "no server answered".to_owned()
                } else {
                    plain(&reason)
                },
            },
            // The gRPC client says only "transport error" when the server went away mid-call.
            E::Spark(message) | E::Client(message) if message.contains("transport error") => {
                Self::Spark {
                    step,
                    message: "the connection to Spark Connect was lost (the server stopped, or \
                              the network failed); once it runs again (`kafka-demo stack up` for \
                              the local stack), run the job again"
                        .into(),
                }
            }
            E::Spark(message) | E::Client(message) => Self::Spark {
                step,
                message: plain(&message),
            },
            E::Shape(detail) => Self::Shape { step, detail },
            E::KafkaOption(e) => Self::KafkaOption(e),
            E::Timeout(t) => Self::Spark {
                step,
                message: format!("no answer within {t:?}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spark::SparkOpError;

    #[test]
    fn a_lost_connection_says_so_and_what_to_do() {
        let lost = BatchError::spark(
            "reading",
            SparkOpError::Spark("Unknown: transport error".into()),
        );
        let said = lost.to_string();
        assert!(
            said.contains("connection to Spark Connect was lost"),
            "{said}"
        );
        let other = BatchError::spark(
            "reading",
            SparkOpError::Spark("AnalysisException: x".into()),
        );
        assert_eq!(
            other.to_string(),
            "Spark failed while reading: AnalysisException: x"
        );
    }
}
