//! The two streaming queries on Spark Connect: the Kafka source and the decoding as temporary
//! views of one session, then the windowed aggregation and the record counts, each writing JSON
//! rows to the results topic in update mode with its own checkpoint. Every library call runs
//! through [`guarded`], so a panic in the client becomes an error.

use super::error::StreamError;
use super::event::{Progress, QueryKind};
use super::request::Trigger;
use super::sql;
use crate::batch::sql::{Column, Writer};
use crate::batch::BatchError;
use crate::spark::{guarded, spark_error, SparkLocation, SparkOpError};
use spark_connect_rs::streaming::{OutputMode, StreamingQuery, Trigger as SparkTrigger};
use spark_connect_rs::SparkSession;
use std::time::Duration;

/// Everything a start of the queries needs.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Spark's `kafka.` options (see [`crate::spark::kafka_options`]).
    pub(crate) kafka: Vec<(String, String)>,
    pub(crate) topic: String,
    pub(crate) starting_offsets: &'static str,
    pub(crate) reader: Vec<Column>,
    pub(crate) writers: Vec<Writer>,
    pub(crate) window: Duration,
    pub(crate) watermark: Duration,
    pub(crate) trigger: Trigger,
    pub(crate) interval: Duration,
    /// Where the queries' checkpoints go, one under it each.
    pub(crate) checkpoint: SparkLocation,
    pub(crate) results_topic: String,
    pub(crate) timeout: Duration,
}

/// The running queries.
#[derive(Debug, Clone)]
pub(crate) struct Queries {
    pub(crate) windows: StreamingQuery,
    pub(crate) records: StreamingQuery,
}

/// Shuffle partitions of a new checkpoint: each is a state store committed every micro-batch.
const SHUFFLE_PARTITIONS: &str = "1";

fn fail(step: &'static str) -> impl Fn(SparkOpError) -> StreamError {
    move |e| StreamError::Batch(BatchError::spark(step, e))
}

/// Defines the views and starts both queries.
pub(crate) async fn start(session: &SparkSession, plan: &Plan) -> Result<Queries, StreamError> {
    let (s, p) = (session.clone(), plan.clone());
    guarded(plan.timeout, async move { views(&s, &p).await })
        .await
        .map_err(fail("opening the topic as a stream"))?;
    let windows = start_one(session, plan, sql::windows(plan.window), "windows").await?;
    let records = match start_one(session, plan, sql::outcomes(), "records").await {
        Ok(q) => q,
        Err(e) => {
            stop(&windows, plan.timeout).await.ok();
            return Err(e);
        }
    };
    Ok(Queries { windows, records })
}

async fn views(session: &SparkSession, plan: &Plan) -> Result<(), SparkOpError> {
    // Few shuffle partitions: the state of a demo's windows is small, and each partition costs
    // a task per micro-batch. A checkpointed query keeps the number it started with.
    session
        .conf()
        .set("spark.sql.shuffle.partitions", SHUFFLE_PARTITIONS)
        .await
        .map_err(spark_error)?;
    // `options` replaces the options set so far: it goes first.
    session
        .read_stream()
        .format("kafka")
        .options(plan.kafka.iter().map(|(key, value)| (key, value)))
        .option("subscribe", &plan.topic)
        .option("startingOffsets", plan.starting_offsets)
        .load(None)
        .map_err(spark_error)?
        .create_or_replace_temp_view(sql::SOURCE)
        .await
        .map_err(spark_error)?;
    session
        .sql(&sql::records(&plan.reader, &plan.writers))
        .await
        .map_err(spark_error)?
        .create_or_replace_temp_view(sql::RECORDS)
        .await
        .map_err(spark_error)?;
    session
        .sql(&sql::clicks(&plan.reader))
        .await
        .map_err(spark_error)?
        .with_watermark("event_time", &sql::interval(plan.watermark))
        .create_or_replace_temp_view(sql::CLICKS)
        .await
        .map_err(spark_error)
}

async fn start_one(
    session: &SparkSession,
    plan: &Plan,
    query: String,
    name: &'static str,
) -> Result<StreamingQuery, StreamError> {
    let session = session.clone();
    let checkpoint = plan.checkpoint.join(name).to_string();
    let (kafka, results) = (plan.kafka.clone(), plan.results_topic.clone());
    let trigger = match plan.trigger {
        Trigger::AvailableNow => SparkTrigger::AvailableNow(true),
        // The record counts are a side table: a slower trigger leaves the cores to the windows,
        // whose latency people watch (each micro-batch has a fixed cost on the driver).
        Trigger::Processing if name == "records" => SparkTrigger::ProcessingTimeInterval(
            sql::interval((plan.interval * 10).max(Duration::from_secs(2))),
        ),
        Trigger::Processing => SparkTrigger::ProcessingTimeInterval(sql::interval(plan.interval)),
    };
    tracing::debug!(%query, name, "starting streaming query");
    guarded(plan.timeout, async move {
        session
            .sql(&query)
            .await
            .map_err(spark_error)?
            .write_stream()
            .format("kafka")
            // `options` replaces the options set so far: it goes first.
            .options(kafka.iter().map(|(key, value)| (key, value)))
            .option("topic", &results)
            .option("checkpointLocation", &checkpoint)
            // Update mode: every micro-batch emits the windows it changed with their new
            // totals, so the latest row per window is final once the input is processed,
            // including the windows a watermark has not closed yet.
            .output_mode(OutputMode::Update)
            .trigger(trigger)
            .start(None)
            .await
            .map_err(spark_error)
    })
    .await
    .map_err(fail(if name == "windows" {
        "starting the windowed aggregation"
    } else {
        "starting the record counts"
    }))
}

/// Stops a query.
pub(crate) async fn stop(query: &StreamingQuery, timeout: Duration) -> Result<(), StreamError> {
    let q = query.clone();
    guarded(timeout, async move { q.stop().await.map_err(spark_error) })
        .await
        .map_err(fail("stopping the query"))
}

/// Stops both queries, reporting the first failure.
pub(crate) async fn stop_all(queries: &Queries, timeout: Duration) -> Result<(), StreamError> {
    let (a, b) = tokio::join!(
        stop(&queries.windows, timeout),
        stop(&queries.records, timeout)
    );
    a.and(b)
}

/// Whether the query still runs; when it ended with an error, that error.
pub(crate) async fn state(
    query: &StreamingQuery,
    kind: QueryKind,
    timeout: Duration,
) -> Result<bool, StreamError> {
    let q = query.clone();
    let active = guarded(timeout, async move {
        q.status().await.map(|s| s.is_active).map_err(spark_error)
    })
    .await
    .map_err(fail("asking for the query's status"))?;
    if active {
        return Ok(true);
    }
    let q = query.clone();
    let exception = guarded(
        timeout,
        async move { q.exception().await.map_err(spark_error) },
    )
    .await
    .unwrap_or_default();
    if exception.is_empty() || exception.starts_with("No exception") {
        Ok(false)
    } else {
        Err(StreamError::QueryFailed {
            query: kind,
            message: crate::batch::plain_message(&exception),
        })
    }
}

/// The query's last progress report; none before its first micro-batch completes (the client
/// panics then, which [`guarded`] turns into an error).
pub(crate) async fn last_progress(
    query: &StreamingQuery,
    kind: QueryKind,
    timeout: Duration,
) -> Option<Progress> {
    let q = query.clone();
    let json = guarded(timeout, async move {
        q.last_progress().await.map_err(spark_error)
    })
    .await
    .ok()?;
    tracing::trace!(%json, "streaming query progress");
    Progress::from_json(kind, &json)
}

/// The schema ids the topic's well-framed records name now, read as one batch: the writers of
/// a topic with no subject of its own.
pub(crate) async fn ids_in_topic(
    session: &SparkSession,
    plan: &Plan,
) -> Result<Vec<u32>, StreamError> {
    let (session, kafka, topic) = (session.clone(), plan.kafka.clone(), plan.topic.clone());
    let step = "listing the schema ids in the topic";
    let batch = guarded(plan.timeout, async move {
        crate::spark::whole_topic(&session, &kafka, &topic)?
            .create_or_replace_temp_view(crate::batch::sql::RAW)
            .await
            .map_err(spark_error)?;
        session
            .sql(&crate::batch::sql::framed_ids())
            .await
            .map_err(spark_error)?
            .collect()
            .await
            .map_err(spark_error)
    })
    .await
    .map_err(fail(step))?;
    let ids = crate::batch::result::Table::new(&batch)
        .ints("schema_id")
        .map_err(|detail| StreamError::Batch(BatchError::Shape { step, detail }))?;
    Ok(ids
        .into_iter()
        .flatten()
        .filter_map(|id| u32::try_from(id).ok())
        .collect())
}
