//! Every call to the Spark Connect client runs guarded: in a task of its own with a deadline,
//! its panics and Spark's refusals turned into a [`SparkOpError`] with a plain message.

use std::future::Future;
use std::time::Duration;

/// What went wrong running Spark work.
#[derive(Debug, thiserror::Error)]
pub enum SparkOpError {
    /// No Spark Connect server answered.
    #[error("cannot reach Spark Connect at {url}: {reason}")]
    Unreachable {
        /// The server.
        url: String,
        /// Why.
        reason: String,
    },
    /// Spark ran the request and reported an error.
    #[error("Spark reported an error: {0}")]
    Spark(String),
    /// The answer did not have the expected shape.
    #[error("unexpected result from Spark: {0}")]
    Shape(String),
    /// The call did not finish in time.
    #[error("Spark did not answer within {0:?}")]
    Timeout(Duration),
    /// The client library failed internally.
    #[error("the Spark Connect client failed internally: {0}")]
    Client(String),
    /// A Kafka option cannot be handed to Spark's Kafka client.
    #[error(transparent)]
    KafkaOption(#[from] crate::java_options::JavaOptionError),
}

/// Keeps the client library's panics off the terminal: they are caught by [`guarded`] and
/// reported as errors, so the default hook's message and backtrace would only alarm people.
/// Other panics still go to the previous hook.
fn quiet_library_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_client = info
                .location()
                .is_some_and(|l| l.file().contains("spark-connect-rs"));
            if in_client {
                tracing::debug!("Spark Connect client panicked (caught): {info}");
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `work` in its own task with a deadline, turning a library panic into an error.
pub(crate) async fn guarded<T, F>(timeout: Duration, work: F) -> Result<T, SparkOpError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, SparkOpError>> + Send + 'static,
{
    quiet_library_panics();
    let task = tokio::spawn(work);
    let abort = task.abort_handle();
    match tokio::time::timeout(timeout, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) if join.is_panic() => {
            let payload = join.into_panic();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(SparkOpError::Client(text))
        }
        Ok(Err(join)) => Err(SparkOpError::Client(join.to_string())),
        Err(_) => {
            abort.abort();
            Err(SparkOpError::Timeout(timeout))
        }
    }
}

pub(crate) fn spark_error(error: spark_connect_rs::errors::SparkError) -> SparkOpError {
    let message = error.to_string();
    SparkOpError::Spark(refusal(&message).unwrap_or(message))
}

/// What to tell the user when Spark Connect's pre-shared token check refused the client ("No
/// authentication token provided", "Invalid authentication token").
pub(crate) fn refusal(message: &str) -> Option<String> {
    if !message.contains("authentication token") {
        return None;
    }
    let why = if message.contains("No authentication token") {
        "no token was sent"
    } else {
        "the token is wrong"
    };
    Some(format!(
        "Spark Connect refused this client ({why}): give the server's token as \
         sc://host:port/;token=… in --spark-url (KAFKA_DEMO_SPARK_URL)"
    ))
}
