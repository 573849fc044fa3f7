//! Running one batch job on Spark Connect: the Kafka source over the resolved offsets, one
//! query that frames, decodes and aggregates every record, and the Parquet copies.
//!
//! The Parquet copies go to a [`SparkLocation`] that the Spark server writes, and nothing here
//! touches it: whether the server can reach it is asked of Spark before Kafka is read (so a
//! location it cannot use fails the run in seconds, not after the pass), and what the report
//! says comes back from Spark as collected rows.
//!
//! Kafka is read once. The query returns a few thousand partial aggregates (see
//! [`sql::aggregate`]), the report's tables are their sums, and those small tables go back to
//! Spark to be written as Parquet. Caching the decoded records instead cost more than it
//! saved: building the cache took longer than the pass itself.

use super::error::BatchError;
use super::range::{self, PartitionRange};
use super::request::{BatchRequest, Stage};
use super::result::{BatchReport, Group, Minute, NullRate, Pill, SchemaUse};
use super::rows;
use super::sql::{self, Column, Writer, RAW};
use crate::registry::{self, RegistryError};
use crate::settings::Config;
use crate::spark::{self, guarded, spark_error, SparkLocation, SparkOpError};
use arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use shared::{SchemaId, Subject, Topic};
use spark_connect_rs::dataframe::SaveMode;
use spark_connect_rs::SparkSession;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often a long Spark call reports that it is still running.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Runs the job `request` describes, calling `progress` as each stage starts (and every
/// [`HEARTBEAT`] while Spark works). Cancelling `cancel` interrupts the run's Spark operations
/// and ends it with [`BatchError::Interrupted`].
pub async fn run(
    config: &Config,
    request: &BatchRequest,
    progress: &(dyn Fn(&Stage) + Sync),
    cancel: &CancellationToken,
) -> Result<BatchReport, BatchError> {
    let started = Instant::now();
    progress(&Stage::Connecting);
    let connect_timeout = request.step_timeout.min(Duration::from_secs(30));
    let session = spark::connect(&config.spark, connect_timeout)
        .await
        .map_err(|e| BatchError::spark("connecting", e))?;
    if let Some(out) = &request.out {
        spark::check_reachable(&session, out, request.step_timeout)
            .await
            .map_err(|e| BatchError::output(out, e))?;
    }
    progress(&Stage::ReadingOffsets);
    let ranges = range::resolve(
        &config.kafka,
        &request.topic,
        request.from,
        request.to,
        Duration::from_secs(30),
    )
    .await?;
    let records: i64 = ranges.iter().map(PartitionRange::len).sum();
    let mut report = BatchReport::empty(request.topic.to_string(), ranges);
    if records > 0 {
        report.records_read = u64::try_from(records).unwrap_or(0);
        let job = Job {
            session,
            config,
            request,
            progress,
            cancel,
        };
        job.analyse(&mut report).await?;
    }
    report.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

struct Job<'a> {
    session: SparkSession,
    config: &'a Config,
    request: &'a BatchRequest,
    progress: &'a (dyn Fn(&Stage) + Sync),
    cancel: &'a CancellationToken,
}

impl Job<'_> {
    async fn analyse(&self, report: &mut BatchReport) -> Result<(), BatchError> {
        self.load_raw(&report.ranges).await?;
        let registry = registry::Client::new(&self.config.registry)?;
        let mut writers = self.registered_writers(&registry).await?;
        if writers.is_empty() {
            // Nothing under the topic's subject (another naming strategy, say): the ids the
            // records name are the writers, and the newest of them is the reader.
            let ids = self.framed_ids().await?;
            writers = self.other_writers(&registry, &ids, &[]).await?;
        }
        let reader = self.reader(&registry, &writers).await?;
        report.reader_fields = reader.iter().map(|c| c.name.clone()).collect();
        // The subject's versions name the usual writers; a record may still name an id
        // registered elsewhere, which only the pass over the records reveals. Then the pass
        // runs once more with those writers too.
        let (rows, ids) = loop {
            (self.progress)(&Stage::Decoding {
                records: report.records_read,
                ids: writers.len(),
            });
            let step = "reading and decoding the topic";
            let batch = self
                .collect(
                    sql::aggregate(&reader, &writers, self.request.poison_limit),
                    step,
                )
                .await?;
            let rows =
                rows::read(&batch, &reader).map_err(|detail| BatchError::Shape { step, detail })?;
            let ids = rows::schema_ids(&rows);
            let others = self.other_writers(&registry, &ids, &writers).await?;
            if others.is_empty() {
                break (rows, ids);
            }
            writers.extend(others);
        };
        report.schemas = ids
            .into_iter()
            .map(|(schema_id, records)| SchemaUse {
                schema_id,
                records,
                status: if writers.iter().any(|w| w.id == schema_id) {
                    "decoded".into()
                } else {
                    "unknown to the registry".into()
                },
            })
            .collect();
        (self.progress)(&Stage::Aggregating);
        rows::fill(report, &rows, &reader, self.request.top);
        if let Some(out) = &self.request.out {
            (self.progress)(&Stage::Writing {
                location: out.clone(),
            });
            self.write(out, report).await?;
            report.output = Some(out.to_string());
        }
        Ok(())
    }

    /// The Kafka source over exactly the resolved offsets, as a temporary view.
    async fn load_raw(&self, ranges: &[PartitionRange]) -> Result<(), BatchError> {
        let session = self.session.clone();
        let kafka = spark::kafka_options(&self.config.kafka)?;
        let topic = self.request.topic.clone();
        let starting = range::spark_offsets(&topic, ranges, false);
        let ending = range::spark_offsets(&topic, ranges, true);
        guarded(self.request.step_timeout, async move {
            // `options` replaces the options set so far: it goes first.
            session
                .read()
                .format("kafka")
                .options(kafka.iter().map(|(key, value)| (key, value)))
                .option("subscribe", topic.as_str())
                .option("startingOffsets", &starting)
                .option("endingOffsets", &ending)
                .load(Vec::<&str>::new())
                .map_err(spark_error)?
                .create_or_replace_temp_view(RAW)
                .await
                .map_err(spark_error)
        })
        .await
        .map_err(|e| BatchError::spark("opening the topic", e))
    }

    async fn registered_writers(
        &self,
        registry: &registry::Client,
    ) -> Result<Vec<Writer>, BatchError> {
        registered_writers(registry, &self.request.topic).await
    }

    async fn other_writers(
        &self,
        registry: &registry::Client,
        ids: &[(u32, u64)],
        known: &[Writer],
    ) -> Result<Vec<Writer>, BatchError> {
        let ids: Vec<u32> = ids.iter().map(|&(id, _)| id).collect();
        other_writers(registry, &ids, known).await
    }

    /// Records per schema id in well-framed headers, without decoding: a pass of its own.
    async fn framed_ids(&self) -> Result<Vec<(u32, u64)>, BatchError> {
        let step = "listing schema ids";
        let batch = self.collect(sql::framed_ids(), step).await?;
        let t = super::result::Table::new(&batch);
        let shape = |detail| BatchError::Shape { step, detail };
        let ids = t.ints("schema_id").map_err(shape)?;
        let counts = t.counts("records").map_err(shape)?;
        Ok(ids
            .into_iter()
            .zip(counts)
            .filter_map(|(id, n)| Some((u32::try_from(id?).ok()?, n)))
            .collect())
    }

    async fn reader(
        &self,
        registry: &registry::Client,
        writers: &[Writer],
    ) -> Result<Vec<Column>, BatchError> {
        reader(registry, &self.request.topic, writers).await
    }

    /// The report's tables as Parquet, one folder each, written at once.
    async fn write(&self, out: &SparkLocation, report: &BatchReport) -> Result<(), BatchError> {
        let tables = tables(report).map_err(|e| BatchError::Shape {
            step: "writing Parquet",
            detail: e.to_string(),
        })?;
        let writes = tables.into_iter().map(|(name, batch)| {
            let path = out.join(name).to_string();
            let session = self.session.clone();
            let timeout = self.request.step_timeout;
            async move {
                guarded(timeout, async move {
                    session
                        .create_dataframe(&batch)
                        .map_err(spark_error)?
                        .write()
                        .format("parquet")
                        .mode(SaveMode::Overwrite)
                        .save(&path)
                        .await
                        .map_err(spark_error)
                })
                .await
                .map_err(|e| BatchError::output(out, e))
            }
        });
        futures_util::future::try_join_all(writes).await?;
        Ok(())
    }

    async fn collect(&self, query: String, step: &'static str) -> Result<RecordBatch, BatchError> {
        tracing::debug!(%query, "Spark SQL");
        let session = self.session.clone();
        let work = guarded(self.request.step_timeout, async move {
            session
                .sql(&query)
                .await
                .map_err(spark_error)?
                .collect()
                .await
                .map_err(spark_error)
        });
        tokio::pin!(work);
        let start = tokio::time::Instant::now() + HEARTBEAT;
        let mut beat = tokio::time::interval_at(start, HEARTBEAT);
        loop {
            tokio::select! {
                out = &mut work => {
                    return out.map_err(|e: SparkOpError| BatchError::spark(step, e));
                }
                _ = beat.tick() => (self.progress)(&Stage::Working { step }),
                () = self.cancel.cancelled() => {
                    self.interrupt().await;
                    return Err(BatchError::Interrupted);
                }
            }
        }
    }

    /// Asks Spark to stop every operation of this run's session.
    async fn interrupt(&self) {
        let session = self.session.clone();
        let stopped = guarded(Duration::from_secs(10), async move {
            session.interrupt_all().await.map_err(spark_error)
        })
        .await;
        if let Err(e) = stopped {
            tracing::warn!("could not interrupt the Spark operations: {e}");
        }
    }
}

/// Every version registered under `topic`'s value subject, oldest first, as writers.
pub(crate) async fn registered_writers(
    registry: &registry::Client,
    topic: &Topic,
) -> Result<Vec<Writer>, BatchError> {
    let subject = topic.value_subject();
    let versions = match registry.versions(&subject).await {
        Ok(versions) => versions,
        Err(e) if not_found(&e) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut writers: Vec<Writer> = Vec::with_capacity(versions.len());
    for version in versions {
        let registered = registry.version(&subject, &version.to_string()).await?;
        let id = registered.id.0;
        if writers.iter().any(|w| w.id == id) {
            continue;
        }
        match sql::columns(&registered.schema) {
            Ok(columns) => writers.push(Writer {
                id,
                text: registered.schema,
                columns,
            }),
            Err(e) => tracing::warn!(schema_id = id, "writer schema not usable: {e}"),
        }
    }
    Ok(writers)
}

/// Writers of the `ids` that are not among `known` but that the registry knows.
pub(crate) async fn other_writers(
    registry: &registry::Client,
    ids: &[u32],
    known: &[Writer],
) -> Result<Vec<Writer>, BatchError> {
    let mut found = Vec::new();
    for &id in ids {
        if known.iter().any(|w| w.id == id) {
            continue;
        }
        match registry.schema_by_id(SchemaId(id)).await {
            Ok(text) => match sql::columns(&text) {
                Ok(columns) => found.push(Writer { id, text, columns }),
                Err(e) => tracing::warn!(schema_id = id, "writer schema not usable: {e}"),
            },
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(found)
}

/// The latest version registered for `topic`'s value subject, or, when there is none, the
/// newest writer schema seen; it must hold every field the aggregations need.
pub(crate) async fn reader(
    registry: &registry::Client,
    topic: &Topic,
    writers: &[Writer],
) -> Result<Vec<Column>, BatchError> {
    let subject: Subject = topic.value_subject();
    let fail = |detail: String| BatchError::Reader {
        subject: subject.to_string(),
        detail,
    };
    let columns = match registry.version(&subject, "latest").await {
        Ok(latest) => sql::columns(&latest.schema).map_err(|e| fail(e.to_string()))?,
        Err(e) if not_found(&e) => writers
            .last()
            .map(|w| w.columns.clone())
            .ok_or_else(|| fail("nothing is registered under it".into()))?,
        Err(e) => return Err(e.into()),
    };
    if let Some(missing) = sql::NEEDED
        .iter()
        .find(|n| !columns.iter().any(|c| c.name == **n))
    {
        return Err(fail(format!(
            "it has no field {missing}, which the aggregations need"
        )));
    }
    Ok(columns)
}

fn not_found(error: &RegistryError) -> bool {
    matches!(error, RegistryError::Api { status: 404, .. })
        || matches!(
            error.code(),
            Some(registry::SCHEMA_NOT_FOUND | registry::SUBJECT_NOT_FOUND)
        )
}

/// The report's tables as Arrow batches, by folder name.
fn tables(r: &BatchReport) -> Result<Vec<(&'static str, RecordBatch)>, arrow::error::ArrowError> {
    let totals = &r.totals;
    Ok(vec![
        (
            "totals",
            RecordBatch::try_from_iter([
                ("clicks", ints([totals.clicks])),
                ("cost_cents", ints([totals.cost_cents])),
                ("approx_users", ints([totals.approx_users])),
                ("first_event_ms", opt_ints([totals.first_event_ms])),
                ("last_event_ms", opt_ints([totals.last_event_ms])),
                ("records_read", ints([r.records_read])),
            ])?,
        ),
        ("per_creative", group_batch(&r.per_creative)?),
        ("per_placement", group_batch(&r.per_placement)?),
        ("per_minute", minute_batch(&r.per_minute)?),
        ("top_creatives_by_clicks", group_batch(&r.top_by_clicks)?),
        ("top_creatives_by_cost", group_batch(&r.top_by_cost)?),
        ("null_rates", null_batch(&r.null_rates)?),
        ("poison", pill_batch(&r.poison)?),
        (
            "schema_ids",
            RecordBatch::try_from_iter([
                (
                    "schema_id",
                    ints(r.schemas.iter().map(|s| u64::from(s.schema_id))),
                ),
                ("records", ints(r.schemas.iter().map(|s| s.records))),
                ("status", texts(r.schemas.iter().map(|s| s.status.as_str()))),
            ])?,
        ),
    ])
}

fn ints(values: impl IntoIterator<Item = u64>) -> ArrayRef {
    let values: Vec<i64> = values
        .into_iter()
        .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
        .collect();
    Arc::new(Int64Array::from(values))
}

fn opt_ints(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(values.into_iter().collect::<Vec<_>>()))
}

fn texts<'a>(values: impl IntoIterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from(values.into_iter().collect::<Vec<_>>()))
}

fn group_batch(groups: &[Group]) -> Result<RecordBatch, arrow::error::ArrowError> {
    RecordBatch::try_from_iter([
        ("key", texts(groups.iter().map(|g| g.key.as_str()))),
        ("clicks", ints(groups.iter().map(|g| g.clicks))),
        ("cost_cents", ints(groups.iter().map(|g| g.cost_cents))),
    ])
}

fn minute_batch(minutes: &[Minute]) -> Result<RecordBatch, arrow::error::ArrowError> {
    RecordBatch::try_from_iter([
        (
            "minute_ms",
            opt_ints(minutes.iter().map(|m| Some(m.minute_ms))),
        ),
        ("clicks", ints(minutes.iter().map(|m| m.clicks))),
        ("cost_cents", ints(minutes.iter().map(|m| m.cost_cents))),
    ])
}

fn null_batch(rates: &[NullRate]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let rate: ArrayRef = Arc::new(Float64Array::from(
        rates.iter().map(|n| n.rate).collect::<Vec<_>>(),
    ));
    RecordBatch::try_from_iter([
        ("field", texts(rates.iter().map(|n| n.field.as_str()))),
        ("nulls", ints(rates.iter().map(|n| n.nulls))),
        ("rate", rate),
    ])
}

fn pill_batch(pills: &[Pill]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let partition: ArrayRef = Arc::new(Int32Array::from(
        pills.iter().map(|p| p.partition).collect::<Vec<_>>(),
    ));
    RecordBatch::try_from_iter([
        ("partition", partition),
        ("offset", opt_ints(pills.iter().map(|p| Some(p.offset)))),
        ("reason", texts(pills.iter().map(|p| p.reason.as_str()))),
        ("detail", texts(pills.iter().map(|p| p.detail.as_str()))),
    ])
}
