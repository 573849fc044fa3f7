//! Seed step 5: Spark Structured Streaming over a Kafka topic, run on a Spark Connect server.
//!
//! Two streaming queries read the topic with Spark's Kafka source and decode it exactly as the
//! batch job does (the Confluent framing checked in SQL, `from_avro` per writer schema id,
//! every writer mapped to the registry's latest version, poison pills counted and skipped):
//!
//! - **windows**: clean clicks get a watermark on their event time (the click's
//!   `timestamp-millis` field) and are counted, with their cost, per creative and tumbling
//!   event-time window;
//! - **records**: every record counted by outcome (`decoded` or the pill's reason) and schema id.
//!
//! Both write JSON rows to the results topic `<topic>-windows` in **update** mode, and the
//! bridge reads that topic back, so results reach people without going through Spark's driver.
//! Update mode is what makes the final results equal the batch job's: each micro-batch emits
//! the windows it changed with their new totals, so once the input is processed the latest row
//! per window holds every click of it — including windows the watermark has not closed yet,
//! which append mode would hold back until newer events arrive (for ever, at the end of a
//! topic). Records behind the watermark are still dropped, and counted.
//!
//! **Delivery.** Each query has its own checkpoint at the run's checkpoint location, on the
//! Spark side (see [`checkpoint`]); a stopped or crashed run resumes from it: no record is
//! counted twice in the state, and none is skipped. The Kafka sink is at-least-once (a micro-batch replayed after a crash writes its
//! rows again), but rows carry totals, not increments, so keeping the latest row per key gives
//! the same results either way.
//!
//! A writer schema registered while the run goes (under the topic's subject, or named by
//! records as an unknown id the registry then knows) is found by polling the registry; the
//! queries are then restarted from their checkpoints with the new writer. Records with that id
//! processed before the restart stay counted as `unknown_schema_id`.

mod checkpoint;
mod error;
pub mod event;
mod job;
pub mod latency;
mod request;
mod results;
pub mod sql;

pub use error::StreamError;
pub use event::{
    Progress, QueryKind, RecordCount, ResultRow, StopReason, StreamEvent, StreamSummary,
    WindowResult,
};
pub use request::{StartAt, StreamRequest, Trigger};

use crate::batch::{self, BatchError};
use crate::registry;
use crate::settings::Config;
use event::Latest;
use job::{Plan, Queries};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Runs the streaming queries until they drain (`available-now`), `duration` passes or
/// `shutdown` is cancelled, sending what happens to `events`, and returns the final results.
pub async fn run(
    config: &Config,
    request: &StreamRequest,
    shutdown: CancellationToken,
    events: mpsc::Sender<StreamEvent>,
) -> Result<StreamSummary, StreamError> {
    let kafka = &config.kafka;
    // Spark's Kafka source waits for a missing topic for ever: check it here.
    batch::range::resolve(
        kafka,
        &request.topic,
        batch::Bound::Edge,
        batch::Bound::Edge,
        Duration::from_secs(30),
    )
    .await?;
    let results_topic = request.results_topic()?;
    let session = crate::spark::connect(&config.spark, request.step_timeout.min(secs(30)))
        .await
        .map_err(|e| BatchError::spark("connecting", e))?;
    let registry = registry::Client::new(&config.registry).map_err(BatchError::from)?;
    let writers = batch::job::registered_writers(&registry, &request.topic).await?;
    crate::kafka::ensure_topic(
        kafka,
        &results_topic,
        1,
        crate::kafka::BROKER_DEFAULT,
        secs(30),
    )
    .await
    .map_err(|e| StreamError::Kafka {
        action: "creating the results topic",
        reason: e.to_string(),
    })?;
    let checkpoint = checkpoint::open(
        &session,
        &request.checkpoint,
        request.fresh,
        kafka,
        results_topic.as_str(),
        request.step_timeout,
    )
    .await?;
    let mut plan = Plan {
        kafka: crate::spark::kafka_options(kafka).map_err(BatchError::from)?,
        topic: request.topic.to_string(),
        starting_offsets: match request.start_at {
            StartAt::Earliest => "earliest",
            StartAt::Latest => "latest",
        },
        reader: Vec::new(),
        writers,
        window: request.window,
        watermark: request.watermark,
        trigger: request.trigger,
        interval: request.interval,
        checkpoint: checkpoint.location,
        results_topic: results_topic.to_string(),
        timeout: request.step_timeout,
    };
    if plan.writers.is_empty() {
        // Nothing under the topic's subject (another naming strategy, say): the ids the records
        // name are the writers, and the newest of them is the reader.
        let ids = job::ids_in_topic(&session, &plan).await?;
        plan.writers = batch::job::other_writers(&registry, &ids, &[]).await?;
    }
    plan.reader = batch::job::reader(&registry, &request.topic, &plan.writers).await?;
    let tail = results::tail(kafka, results_topic.as_str(), checkpoint.results_from)?;
    let mut watch = Watch {
        config,
        request,
        registry,
        session,
        plan,
        tail,
        events,
        latest: Latest::default(),
        summary: StreamSummary::default(),
        seen: [None, None],
        asked: BTreeSet::new(),
    };
    watch.go(checkpoint.resumed, shutdown).await
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A run in progress.
struct Watch<'a> {
    config: &'a Config,
    request: &'a StreamRequest,
    registry: registry::Client,
    session: spark_connect_rs::SparkSession,
    plan: Plan,
    tail: results::Tail,
    events: mpsc::Sender<StreamEvent>,
    latest: Latest,
    summary: StreamSummary,
    /// The last micro-batch reported, per query.
    seen: [Option<i64>; 2],
    /// Unknown schema ids already looked up.
    asked: BTreeSet<u32>,
}

impl Watch<'_> {
    async fn go(
        &mut self,
        resumed: bool,
        shutdown: CancellationToken,
    ) -> Result<StreamSummary, StreamError> {
        let mut queries = self.start(resumed).await?;
        let outcome = self.watch(&mut queries, &shutdown).await;
        let stopped = job::stop_all(&queries, self.request.step_timeout).await;
        let reason = outcome?;
        stopped?;
        self.poll_progress(&queries).await;
        self.drain().await?;
        self.emit(StreamEvent::Stopped { reason }).await;
        let mut summary = std::mem::take(&mut self.summary);
        summary.windows = self.latest.windows();
        summary.records = self.latest.records();
        summary.late_clicks = self.latest.late_clicks();
        summary.stopped = Some(reason);
        Ok(summary)
    }

    async fn start(&mut self, resumed: bool) -> Result<Queries, StreamError> {
        let queries = job::start(&self.session, &self.plan).await?;
        self.seen = [None, None];
        self.emit(StreamEvent::Started {
            resumed,
            checkpoint: self.plan.checkpoint.to_string(),
            results_topic: self.plan.results_topic.clone(),
            schema_ids: self.plan.writers.iter().map(|w| w.id).collect(),
        })
        .await;
        Ok(queries)
    }

    /// Follows the queries until they should stop; why they should.
    async fn watch(
        &mut self,
        queries: &mut Queries,
        shutdown: &CancellationToken,
    ) -> Result<StopReason, StreamError> {
        let deadline = self.request.duration.map(|d| Instant::now() + d);
        // Each poll is a few calls to the Spark Connect server, which shares the driver's cores.
        let poll = self
            .request
            .interval
            .clamp(Duration::from_millis(100), Duration::from_millis(500));
        let mut progress = tokio::time::interval(poll);
        let mut registry = tokio::time::interval(self.request.registry_poll);
        registry.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(StopReason::Cancelled),
                () = sleep_until(deadline) => return Ok(StopReason::Duration),
                row = self.tail.next() => match row {
                    Ok(Some(row)) => self.take(row).await,
                    Ok(None) => {}
                    // librdkafka reconnects by itself; the queries keep writing meanwhile and
                    // nothing is lost, since the reader keeps its position.
                    Err(e) => tracing::warn!("{e}"),
                },
                _ = progress.tick() => {
                    self.poll_progress(queries).await;
                    if !self.running(queries).await? {
                        return Ok(StopReason::Drained);
                    }
                }
                _ = registry.tick() => {
                    if let Some(reason) = self.new_writers().await? {
                        self.restart(queries, reason).await?;
                    }
                }
            }
        }
    }

    /// Whether a query still runs (an available-now run ends when both are done).
    async fn running(&self, queries: &Queries) -> Result<bool, StreamError> {
        let timeout = self.request.step_timeout;
        let windows = job::state(&queries.windows, QueryKind::Windows, timeout).await?;
        let records = job::state(&queries.records, QueryKind::Records, timeout).await?;
        match self.request.trigger {
            Trigger::AvailableNow => Ok(windows || records),
            Trigger::Processing if windows && records => Ok(true),
            Trigger::Processing => Err(StreamError::QueryFailed {
                query: if windows {
                    QueryKind::Records
                } else {
                    QueryKind::Windows
                },
                message: "it stopped without an error".into(),
            }),
        }
    }

    async fn take(&mut self, row: ResultRow) {
        self.latest.apply(&row);
        self.emit(match row {
            ResultRow::Window(w) => StreamEvent::Window(w),
            ResultRow::Records(r) => StreamEvent::Records(r),
        })
        .await;
    }

    async fn poll_progress(&mut self, queries: &Queries) {
        let timeout = self.request.step_timeout;
        let all = [
            (&queries.windows, QueryKind::Windows, 0),
            (&queries.records, QueryKind::Records, 1),
        ];
        for (query, kind, slot) in all {
            let Some(p) = job::last_progress(query, kind, timeout).await else {
                continue;
            };
            if self.seen[slot] == Some(p.batch_id) {
                continue;
            }
            self.seen[slot] = Some(p.batch_id);
            if kind == QueryKind::Windows {
                self.summary.batches += 1;
                self.summary.dropped_by_watermark += p.dropped_by_watermark;
            }
            self.emit(StreamEvent::Progress(p)).await;
        }
    }

    /// Why the queries need a restart: a writer schema they cannot decode yet.
    async fn new_writers(&mut self) -> Result<Option<String>, StreamError> {
        let known: Vec<u32> = self.plan.writers.iter().map(|w| w.id).collect();
        let registered =
            batch::job::registered_writers(&self.registry, &self.request.topic).await?;
        let mut new: Vec<_> = registered
            .into_iter()
            .filter(|w| !known.contains(&w.id))
            .collect();
        let unknown: Vec<u32> = self
            .latest
            .unknown_ids()
            .into_iter()
            .filter(|id| !self.asked.contains(id) && !new.iter().any(|w| w.id == *id))
            .collect();
        self.asked.extend(unknown.iter().copied());
        new.extend(batch::job::other_writers(&self.registry, &unknown, &self.plan.writers).await?);
        if new.is_empty() {
            return Ok(None);
        }
        let ids: Vec<String> = new.iter().map(|w| w.id.to_string()).collect();
        self.plan.writers.extend(new);
        self.plan.reader =
            batch::job::reader(&self.registry, &self.request.topic, &self.plan.writers).await?;
        Ok(Some(format!(
            "new writer schema id {} in the registry: restarting from the checkpoint to decode it",
            ids.join(", ")
        )))
    }

    async fn restart(&mut self, queries: &mut Queries, reason: String) -> Result<(), StreamError> {
        self.emit(StreamEvent::Restarting { reason }).await;
        job::stop_all(queries, self.request.step_timeout).await?;
        self.poll_progress(queries).await;
        *queries = self.start(true).await?;
        self.summary.restarts += 1;
        Ok(())
    }

    /// Reads the results topic up to its end: everything the stopped queries wrote.
    async fn drain(&mut self) -> Result<(), StreamError> {
        let end =
            results::end_offset(&self.config.kafka, &self.plan.results_topic, secs(30)).await?;
        let deadline = Instant::now() + secs(60);
        while self.tail.next < end {
            let row = tokio::time::timeout_at(deadline, self.tail.next())
                .await
                .map_err(|_| StreamError::Kafka {
                    action: "reading the last results",
                    reason: format!("offset {} of {end} not reached within 60 s", self.tail.next),
                })??;
            if let Some(row) = row {
                self.take(row).await;
            }
        }
        Ok(())
    }

    async fn emit(&self, event: StreamEvent) {
        // A listener that went away stops hearing; the run goes on to stop cleanly.
        let _ = self.events.send(event).await;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
