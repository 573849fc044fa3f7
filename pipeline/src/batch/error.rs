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
    /// Spark cannot reach or write the place the Parquet tables go.
    #[error("Spark cannot write the Parquet tables to {location}: {message}")]
    Output {
        /// The location, as Spark was given it.
        location: String,
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

/// What a failed Spark call that used a location says about the place: Spark's words, or that
/// no answer came in time; `None` when the call failed for another reason (the connection to
/// Spark Connect lost, a client failure), which is not the place's fault.
pub(crate) fn location_problem(error: &crate::spark::SparkOpError) -> Option<String> {
    use crate::spark::SparkOpError as E;
    match error {
        E::Spark(message) if !message.contains("transport error") => {
            Some(location_message(message))
        }
        E::Timeout(t) => Some(format!("no answer within {t:?}")),
        _ => None,
    }
}

/// What Spark says about a place it cannot use, in words: its first line without the client's
/// "Analysis error: " and the JVM's wrapping. The innermost exception's text is kept, after its
/// class name ("java.net.UnknownHostException: nowhere" reads "unknown host nowhere"; "Call
/// From … failed on connection exception: java.net.ConnectException: Connection refused; For
/// more details see: …" reads "Connection refused"); a message without one stays whole
/// ("No FileSystem for scheme \"foo\"").
pub(crate) fn location_message(message: &str) -> String {
    let first = plain(message);
    let text = first
        .split_once("Analysis error: ")
        .map_or(first.as_str(), |(_, rest)| rest);
    let (class, rest) = match innermost_exception(text) {
        Some((class, rest)) => (class, rest),
        None => return text.trim().to_owned(),
    };
    let rest = rest
        .split("; For more details see:")
        .next()
        .unwrap_or(rest)
        .trim();
    match class {
        "UnknownHostException" => format!("unknown host {rest}"),
        "ClassNotFoundException" => {
            format!("{rest} on the Spark server (it lacks the jars of that filesystem)")
        }
        _ => rest.to_owned(),
    }
}

/// The simple name of the last `a.b.SomethingException: ` (or `…Error: `) in `text`, and the
/// text after it.
fn innermost_exception(text: &str) -> Option<(&str, &str)> {
    let mut found = None;
    let mut from = 0;
    while let Some(at) = text[from..].find(": ") {
        let colon = from + at;
        let word_start = text[..colon]
            .rfind(|c: char| c.is_whitespace() || c == '(' || c == ':')
            .map_or(0, |i| i + 1);
        let word = &text[word_start..colon];
        let simple = word.rsplit('.').next().unwrap_or(word);
        if word.contains('.') && (simple.ends_with("Exception") || simple.ends_with("Error")) {
            found = Some((simple, &text[colon + 2..]));
        }
        from = colon + 2;
    }
    found
}

impl BatchError {
    /// The error of a Spark call that checked or wrote the output `location`: Spark's words
    /// about the place, or, when the call itself failed (the connection lost), what happened.
    pub fn output(
        location: &crate::spark::SparkLocation,
        error: crate::spark::SparkOpError,
    ) -> Self {
        match location_problem(&error) {
            Some(message) => Self::Output {
                location: location.to_string(),
                message,
            },
            None => Self::spark("writing Parquet", error),
        }
    }

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
    fn spark_words_about_a_place_lose_the_jvm_wrapping() {
        for (said, read) in [
            (
                "Analysis error: No FileSystem for scheme \"foo\"",
                "No FileSystem for scheme \"foo\"",
            ),
            (
                "Analysis error: java.net.UnknownHostException: nowhere",
                "unknown host nowhere",
            ),
            (
                "Analysis error: Call From vm/127.0.0.1 to localhost:1 failed on connection \
                 exception: java.net.ConnectException: Connection refused; For more details \
                 see:  http://wiki.apache.org/hadoop/ConnectionRefused",
                "Connection refused",
            ),
            (
                "Analysis error: java.lang.ClassNotFoundException: Class \
                 org.apache.hadoop.fs.s3a.S3AFileSystem not found",
                "Class org.apache.hadoop.fs.s3a.S3AFileSystem not found on the Spark server \
                 (it lacks the jars of that filesystem)",
            ),
            (
                "Analysis error: Job aborted due to stage failure: Task 0 in stage 22.0 failed \
                 1 times, most recent failure: Lost task 0.0 in stage 22.0 (TID 11) (localhost \
                 executor driver): java.io.IOException: Mkdirs failed to create \
                 file:/proc/x/totals (exists=false)\n\tat org.apache.spark…",
                "Mkdirs failed to create file:/proc/x/totals (exists=false)",
            ),
        ] {
            assert_eq!(location_message(said), read);
        }
    }

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
