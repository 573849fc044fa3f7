//! Running work on a Spark Connect server through `spark-connect-rs`.
//!
//! The client library can panic on answers it does not expect (an empty result, a type it does
//! not handle). Every call here runs inside its own task, so a panic becomes a [`SparkOpError`]
//! with a plain message instead of reaching the user. Places on the Spark side (output,
//! checkpoints) are [`SparkLocation`]s.

use crate::settings::{KafkaConfig, SparkConfig};
use arrow::array::{Array, Int32Array, Int64Array};
use shared::Topic;
use spark_connect_rs::{SparkSession, SparkSessionBuilder};
use std::time::Duration;

mod guard;
mod location;

pub use guard::SparkOpError;
pub(crate) use guard::{guarded, refusal, spark_error};

pub(crate) use location::{check_reachable, is_missing};
pub use location::{LocationError, SparkLocation};

/// Opens a session on the server in `spark`.
pub async fn connect(spark: &SparkConfig, timeout: Duration) -> Result<SparkSession, SparkOpError> {
    // The URL was validated as sc://host:port when the config was read, so the builder's own
    // parser (which panics on bad input) only ever sees a well-formed one.
    let url = spark.url.to_string();
    let shown = url.clone();
    let token = spark
        .url
        .token
        .as_ref()
        .map(|t| format!(";token={}", t.reveal()))
        .unwrap_or_default();
    guarded(timeout, async move {
        SparkSessionBuilder::remote(&format!("{url}/;user_id=kafka-demo{token}"))
            .app_name("kafka-demo")
            .build()
            .await
            .map_err(|e| {
                let reason = e.to_string();
                match refusal(&reason) {
                    Some(refused) => SparkOpError::Spark(refused),
                    None => SparkOpError::Unreachable { url: shown, reason },
                }
            })
    })
    .await
}

/// Runs `SELECT 1` and checks the answer: the readiness probe of the stack.
pub async fn ping(spark: &SparkConfig, timeout: Duration) -> Result<(), SparkOpError> {
    let session = connect(spark, timeout).await?;
    let one = guarded(timeout, async move {
        let batch = session
            .sql("SELECT 1 AS one")
            .await
            .map_err(spark_error)?
            .collect()
            .await
            .map_err(spark_error)?;
        let column = batch
            .columns()
            .first()
            .ok_or_else(|| SparkOpError::Shape("no column".into()))?;
        let ints = column
            .as_any()
            .downcast_ref::<Int32Array>()
            .ok_or_else(|| SparkOpError::Shape(format!("column type {}", column.data_type())))?;
        if ints.len() != 1 || ints.is_null(0) {
            return Err(SparkOpError::Shape(format!("{} rows", ints.len())));
        }
        Ok(ints.value(0))
    })
    .await?;
    if one == 1 {
        Ok(())
    } else {
        Err(SparkOpError::Shape(format!("SELECT 1 returned {one}")))
    }
}

/// Every record of `topic` as it is now (earliest to latest offsets), through Spark's Kafka
/// source as one batch.
pub(crate) fn whole_topic(
    session: &SparkSession,
    kafka: &[(String, String)],
    topic: &str,
) -> Result<spark_connect_rs::DataFrame, SparkOpError> {
    // `options` replaces the options set so far: it goes first.
    session
        .read()
        .format("kafka")
        .options(kafka.iter().map(|(key, value)| (key, value)))
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .load(Vec::<&str>::new())
        .map_err(spark_error)
}

/// Counts the records of `topic` with Spark's Kafka source, earliest to latest offsets: proves
/// the connector jars are loaded and the broker is reachable from Spark.
pub async fn kafka_record_count(
    spark: &SparkConfig,
    kafka: &KafkaConfig,
    topic: &Topic,
    timeout: Duration,
) -> Result<i64, SparkOpError> {
    let options = kafka_options(kafka)?;
    let session = connect(spark, timeout).await?;
    let topic = topic.to_string();
    guarded(timeout, async move {
        let batch = whole_topic(&session, &options, &topic)?
            .select_expr(["count(*) AS n"])
            .collect()
            .await
            .map_err(spark_error)?;
        let column = batch
            .columns()
            .first()
            .ok_or_else(|| SparkOpError::Shape("no column".into()))?;
        let counts = column
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| SparkOpError::Shape(format!("column type {}", column.data_type())))?;
        match counts.len() {
            1 if !counts.is_null(0) => Ok(counts.value(0)),
            n => Err(SparkOpError::Shape(format!("{n} rows for a global count"))),
        }
    })
    .await
}

/// The options of Spark's Kafka source and sink that reach `kafka` as librdkafka does: the Java
/// client's options (see [`crate::java_options`]), each with the `kafka.` prefix Spark wants.
pub(crate) fn kafka_options(
    kafka: &KafkaConfig,
) -> Result<Vec<(String, String)>, crate::java_options::JavaOptionError> {
    Ok(crate::java_options::java_options(kafka)?
        .into_iter()
        .map(|(key, value)| (format!("kafka.{key}"), value))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_library_panic_becomes_an_error() {
        let result: Result<(), _> = guarded(Duration::from_secs(5), async {
            panic!("boom in the client")
        })
        .await;
        match result {
            Err(SparkOpError::Client(text)) => assert_eq!(text, "boom in the client"),
            other => panic!("expected a Client error, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_call_times_out() {
        let result: Result<(), _> = guarded(Duration::from_secs(2), std::future::pending()).await;
        assert!(matches!(result, Err(SparkOpError::Timeout(_))));
    }

    #[tokio::test]
    async fn no_server_is_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1);
        let spark = SparkConfig {
            url: crate::settings::SparkUrl {
                host: "127.0.0.1".into(),
                port,
                token: None,
            },
        };
        let result = ping(&spark, Duration::from_secs(10)).await;
        assert!(
            matches!(result, Err(SparkOpError::Unreachable { .. })),
            "{result:?}"
        );
    }
}
