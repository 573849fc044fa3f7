//! Running one batch job on Spark Connect: the Kafka source over the resolved offsets, framing
//! and decoding in SQL, the aggregations, the Parquet copies, and the cleanup of cached tables.
//!
//! Two passes touch every record: one reads Kafka and caches the framed records (position,
//! problem, schema id, body), the next decodes them into a cached table in the reader's shape.
//! The aggregations then run on that cache, so Kafka is read once however many tables follow.

use super::range::{self, PartitionRange};
use super::result::{BatchReport, Minute, NullRate, Pill, SchemaUse, Table, Totals};
use super::sql::{self, rollup, Column, TopBy, Writer, CUBE, RAW};
use super::{BatchError, BatchRequest, Stage};
use crate::config::Config;
use crate::registry::{self, RegistryError};
use crate::spark::{self, guarded, spark_error, SparkOpError};
use arrow::record_batch::RecordBatch;
use shared::{SchemaId, Subject};
use spark_connect_rs::dataframe::SaveMode;
use spark_connect_rs::SparkSession;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs the job `request` describes, calling `progress` as each stage starts.
pub async fn run(
    config: &Config,
    request: &BatchRequest,
    progress: &(dyn Fn(&Stage) + Sync),
) -> Result<BatchReport, BatchError> {
    let started = Instant::now();
    progress(&Stage::Connecting);
    let connect_timeout = request.step_timeout.min(Duration::from_secs(30));
    let session = spark::connect(&config.spark, connect_timeout)
        .await
        .map_err(|e| BatchError::spark("connecting", e))?;
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
        };
        let outcome = job.analyse(&mut report).await;
        job.clean_up().await;
        outcome?;
    }
    report.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

struct Job<'a> {
    session: SparkSession,
    config: &'a Config,
    request: &'a BatchRequest,
    progress: &'a (dyn Fn(&Stage) + Sync),
}

impl Job<'_> {
    async fn analyse(&self, report: &mut BatchReport) -> Result<(), BatchError> {
        self.load_raw(&report.ranges).await?;
        let registry = registry::Client::new(&self.config.registry)?;
        let mut writers = self.registered_writers(&registry).await?;
        let reader = self.reader(&registry, &writers).await?;
        report.reader_fields = reader.iter().map(|c| c.name.clone()).collect();
        // The subject's versions name the usual writers; a record may still name an id
        // registered elsewhere, which only the pass over the records reveals. Then the pass
        // runs once more with those writers too.
        let mut ids = loop {
            (self.progress)(&Stage::Decoding {
                records: report.records_read,
                ids: writers.len(),
            });
            let query = sql::cube(&reader, &writers, self.request.poison_limit);
            self.exec(
                format!("CACHE TABLE {CUBE} AS {query}"),
                "reading and decoding the topic",
            )
            .await?;
            let ids = self.schema_ids().await?;
            let others = self.other_writers(&registry, &ids, &writers).await?;
            if others.is_empty() {
                break ids;
            }
            writers.extend(others);
            self.exec(format!("UNCACHE TABLE IF EXISTS {CUBE}"), "decoding")
                .await?;
        };
        ids.sort_unstable();
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
        self.aggregate(&reader, report).await?;
        if let Some(out) = &self.request.out {
            (self.progress)(&Stage::Writing { path: out.clone() });
            self.write(out, &reader).await?;
            report.output = Some(out.clone());
        }
        Ok(())
    }

    /// The Kafka source over exactly the resolved offsets, as a temporary view.
    async fn load_raw(&self, ranges: &[PartitionRange]) -> Result<(), BatchError> {
        let session = self.session.clone();
        let bootstrap = self.config.kafka.bootstrap_servers.clone();
        let topic = self.request.topic.clone();
        let starting = range::spark_offsets(&topic, ranges, false);
        let ending = range::spark_offsets(&topic, ranges, true);
        guarded(self.request.step_timeout, async move {
            session
                .read()
                .format("kafka")
                .option("kafka.bootstrap.servers", &bootstrap)
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

    /// Every version registered under the topic's value subject, oldest first.
    async fn registered_writers(
        &self,
        registry: &registry::Client,
    ) -> Result<Vec<Writer>, BatchError> {
        let subject = self.request.topic.value_subject();
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

    /// Writers of ids the records name that are not among `known` but that the registry knows.
    async fn other_writers(
        &self,
        registry: &registry::Client,
        ids: &[(u32, u64)],
        known: &[Writer],
    ) -> Result<Vec<Writer>, BatchError> {
        let mut found = Vec::new();
        for &(id, _) in ids {
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

    /// The latest version registered for the topic's value subject, or, when there is none,
    /// the newest writer schema seen.
    async fn reader(
        &self,
        registry: &registry::Client,
        writers: &[Writer],
    ) -> Result<Vec<Column>, BatchError> {
        let subject: Subject = self.request.topic.value_subject();
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

    /// Records per schema id in well-framed headers.
    async fn schema_ids(&self) -> Result<Vec<(u32, u64)>, BatchError> {
        let step = "listing schema ids";
        let batch = self.collect(rollup::schema_ids(), step).await?;
        let t = Table::new(&batch);
        let shape = |detail| BatchError::Shape { step, detail };
        let ids = t.ints("schema_id").map_err(shape)?;
        let counts = t.counts("records").map_err(shape)?;
        Ok(ids
            .into_iter()
            .zip(counts)
            .map(|(id, n)| (id.and_then(|i| u32::try_from(i).ok()).unwrap_or(0), n))
            .collect())
    }

    /// The report's tables, rolled up from the cached cube, all at once.
    async fn aggregate(
        &self,
        reader: &[Column],
        report: &mut BatchReport,
    ) -> Result<(), BatchError> {
        let step = "aggregating";
        let top = self.request.top;
        let queries = [
            rollup::totals(),
            rollup::per("creative_id"),
            rollup::per("placement_id"),
            rollup::per_minute(),
            rollup::top_creatives(TopBy::Clicks, top),
            rollup::top_creatives(TopBy::Cost, top),
            rollup::null_counts(reader),
            rollup::problem_counts(),
            rollup::problems(Some(self.request.poison_limit)),
        ];
        let batches =
            futures_util::future::try_join_all(queries.into_iter().map(|q| self.collect(q, step)))
                .await?;
        let shape = |detail| BatchError::Shape { step, detail };
        let [totals_, creative, placement, minute, by_clicks, by_cost, nulls, problems, pills_] =
            batches.as_slice()
        else {
            return Err(shape(format!("{} results for 9 queries", batches.len())));
        };
        report.totals = totals(&Table::new(totals_)).map_err(shape)?;
        report.per_creative = Table::new(creative).groups().map_err(shape)?;
        report.per_placement = Table::new(placement).groups().map_err(shape)?;
        report.per_minute = minutes(&Table::new(minute)).map_err(shape)?;
        report.top_by_clicks = Table::new(by_clicks).groups().map_err(shape)?;
        report.top_by_cost = Table::new(by_cost).groups().map_err(shape)?;
        report.null_rates = null_rates(&Table::new(nulls), reader).map_err(shape)?;
        let problems = Table::new(problems);
        let kinds = problems.texts("problem").map_err(shape)?;
        let numbers = problems.counts("records").map_err(shape)?;
        report.poison_counts = kinds
            .into_iter()
            .map(Option::unwrap_or_default)
            .zip(numbers)
            .collect();
        report.poison = pills(&Table::new(pills_)).map_err(shape)?;
        report.poison_complete = report.poison.len() as u64 == report.poison_total();
        Ok(())
    }

    /// Every report table as Parquet, one folder each, written at once.
    async fn write(&self, out: &Path, reader: &[Column]) -> Result<(), BatchError> {
        let top = self.request.top;
        let tables = [
            ("totals", rollup::totals()),
            ("per_creative", rollup::per("creative_id")),
            ("per_placement", rollup::per("placement_id")),
            ("per_minute", rollup::per_minute()),
            (
                "top_creatives_by_clicks",
                rollup::top_creatives(TopBy::Clicks, top),
            ),
            (
                "top_creatives_by_cost",
                rollup::top_creatives(TopBy::Cost, top),
            ),
            ("null_counts", rollup::null_counts(reader)),
            ("poison_counts", rollup::problem_counts()),
            ("poison", rollup::problems(None)),
            ("schema_ids", rollup::schema_ids()),
        ];
        let writes = tables.into_iter().map(|(name, query)| {
            let path = out.join(name).display().to_string();
            let session = self.session.clone();
            let timeout = self.request.step_timeout;
            async move {
                guarded(timeout, async move {
                    session
                        .sql(&query)
                        .await
                        .map_err(spark_error)?
                        .coalesce(1)
                        .write()
                        .format("parquet")
                        .mode(SaveMode::Overwrite)
                        .save(&path)
                        .await
                        .map_err(spark_error)
                })
                .await
                .map_err(|e| BatchError::spark("writing Parquet", e))
            }
        });
        futures_util::future::try_join_all(writes).await?;
        Ok(())
    }

    /// Frees the cached cube; the views go with the session.
    async fn clean_up(&self) {
        let statement = format!("UNCACHE TABLE IF EXISTS {CUBE}");
        if let Err(e) = self.exec(statement, "freeing cached tables").await {
            tracing::warn!("{e}");
        }
    }

    async fn exec(&self, statement: String, step: &'static str) -> Result<(), BatchError> {
        let session = self.session.clone();
        guarded(self.request.step_timeout, async move {
            session.sql(&statement).await.map_err(spark_error).map(drop)
        })
        .await
        .map_err(|e| BatchError::spark(step, e))
    }

    async fn collect(&self, query: String, step: &'static str) -> Result<RecordBatch, BatchError> {
        let session = self.session.clone();
        guarded(self.request.step_timeout, async move {
            session
                .sql(&query)
                .await
                .map_err(spark_error)?
                .collect()
                .await
                .map_err(spark_error)
        })
        .await
        .map_err(|e: SparkOpError| BatchError::spark(step, e))
    }
}

fn not_found(error: &RegistryError) -> bool {
    matches!(error, RegistryError::Api { status: 404, .. })
        || matches!(
            error.code(),
            Some(registry::SCHEMA_NOT_FOUND | registry::SUBJECT_NOT_FOUND)
        )
}

fn first<T: Clone>(values: Vec<Option<T>>) -> Option<T> {
    values.into_iter().next().flatten()
}

fn totals(t: &Table<'_>) -> Result<Totals, String> {
    let count = |name| t.counts(name).map(|v| v.first().copied().unwrap_or(0));
    Ok(Totals {
        clicks: count("clicks")?,
        cost_cents: count("cost_cents")?,
        approx_users: count("approx_users")?,
        first_event_ms: first(t.ints("first_event_ms")?),
        last_event_ms: first(t.ints("last_event_ms")?),
    })
}

fn minutes(t: &Table<'_>) -> Result<Vec<Minute>, String> {
    let starts = t.ints("minute_ms")?;
    let clicks = t.counts("clicks")?;
    let cost = t.counts("cost_cents")?;
    Ok(starts
        .into_iter()
        .zip(clicks)
        .zip(cost)
        .map(|((m, clicks), cost_cents)| Minute {
            minute_ms: m.unwrap_or(0),
            clicks,
            cost_cents,
        })
        .collect())
}

fn null_rates(t: &Table<'_>, reader: &[Column]) -> Result<Vec<NullRate>, String> {
    let records = t.counts("records")?.first().copied().unwrap_or(0);
    reader
        .iter()
        .map(|c| {
            let nulls = t
                .counts(&format!("null_{}", c.name))?
                .first()
                .copied()
                .unwrap_or(0);
            Ok(NullRate {
                field: c.name.clone(),
                nulls,
                rate: if records == 0 {
                    0.0
                } else {
                    nulls as f64 / records as f64
                },
            })
        })
        .collect()
}

fn pills(t: &Table<'_>) -> Result<Vec<Pill>, String> {
    let partitions = t.ints("partition")?;
    let offsets = t.ints("offset")?;
    let reasons = t.texts("problem")?;
    let ids = t.ints("schema_id")?;
    let lens = t.ints("len")?;
    let magics = t.texts("magic")?;
    Ok((0..t.rows())
        .map(|i| {
            let reason = reasons[i].clone().unwrap_or_default();
            let id = ids[i].unwrap_or(-1);
            let detail = match reason.as_str() {
                "too_short" => format!(
                    "{} bytes long; a Confluent-framed record needs at least 5",
                    lens[i].unwrap_or(0)
                ),
                "wrong_magic" => format!(
                    "magic byte is 0x{}, expected 0x00",
                    magics[i].clone().unwrap_or_default().to_ascii_lowercase()
                ),
                "unknown_schema_id" => format!("schema id {id} is not known to the registry"),
                _ => format!("body does not decode with schema id {id}"),
            };
            Pill {
                partition: partitions[i]
                    .and_then(|p| i32::try_from(p).ok())
                    .unwrap_or(-1),
                offset: offsets[i].unwrap_or(-1),
                reason,
                detail,
            }
        })
        .collect())
}
