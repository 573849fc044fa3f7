//! Running one batch job on Spark Connect: the Kafka source over the resolved offsets, framing
//! and decoding in SQL, the aggregations, the Parquet copies, and the cleanup of cached tables.
//!
//! Two passes touch every record: one reads Kafka and caches the framed records (position,
//! problem, schema id, body), the next decodes them into a cached table in the reader's shape.
//! The aggregations then run on that cache, so Kafka is read once however many tables follow.

use super::range::{self, PartitionRange};
use super::result::{BatchReport, Minute, NullRate, Pill, SchemaUse, Table, Totals};
use super::sql::{self, Aggregations, Column, TopBy, Writer, CLICKS, DECODED, FRAMED, RAW};
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
        (self.progress)(&Stage::Reading {
            records: report.records_read,
        });
        self.load_raw(&report.ranges).await?;
        self.exec(
            format!("CACHE TABLE {FRAMED} AS {}", sql::framed()),
            "reading the topic",
        )
        .await?;
        let ids = self
            .collect(sql::schema_ids(), "listing schema ids")
            .await?;
        let ids = Table::new(&ids);
        let (ids, counts) = (ids.ints("schema_id"), ids.counts("records"));
        let (ids, counts) =
            ids.and_then(|i| Ok((i, counts?)))
                .map_err(|detail| BatchError::Shape {
                    step: "listing schema ids",
                    detail,
                })?;
        let ids: Vec<u32> = ids
            .into_iter()
            .map(|id| id.and_then(|i| u32::try_from(i).ok()).unwrap_or(0))
            .collect();
        (self.progress)(&Stage::Decoding { ids: ids.len() });
        let writers = self.writers(&ids).await?;
        let reader = self.reader(&writers).await?;
        report.schemas = ids
            .iter()
            .zip(&counts)
            .zip(&writers)
            .map(|((&schema_id, &records), (_, w))| SchemaUse {
                schema_id,
                records,
                status: match w {
                    Writer::Known { .. } => "decoded".into(),
                    Writer::Unknown => "unknown to the registry".into(),
                    Writer::Unusable => "not usable".into(),
                },
            })
            .collect();
        report.reader_fields = reader.iter().map(|c| c.name.clone()).collect();
        self.exec(
            format!(
                "CACHE TABLE {DECODED} AS {}",
                sql::decoded(&reader, &writers)
            ),
            "decoding",
        )
        .await?;
        self.exec(format!("UNCACHE TABLE IF EXISTS {FRAMED}"), "decoding")
            .await?;
        self.exec(
            format!(
                "CREATE OR REPLACE TEMP VIEW {CLICKS} AS SELECT * FROM {DECODED} WHERE problem IS NULL"
            ),
            "decoding",
        )
        .await?;
        (self.progress)(&Stage::Aggregating);
        let tables = self.aggregate(&reader, report).await?;
        if let Some(out) = &self.request.out {
            (self.progress)(&Stage::Writing { path: out.clone() });
            self.write(out, &tables).await?;
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

    /// The writer schema of each id, from the registry.
    async fn writers(&self, ids: &[u32]) -> Result<Vec<(u32, Writer)>, BatchError> {
        let client = registry::Client::new(&self.config.registry)?;
        let mut writers = Vec::with_capacity(ids.len());
        for &id in ids {
            let writer = match client.schema_by_id(SchemaId(id)).await {
                Ok(text) => match sql::columns(&text) {
                    Ok(columns) => Writer::Known { text, columns },
                    Err(e) => {
                        tracing::warn!(schema_id = id, "writer schema not usable: {e}");
                        Writer::Unusable
                    }
                },
                Err(e) if not_found(&e) => Writer::Unknown,
                Err(e) => return Err(e.into()),
            };
            writers.push((id, writer));
        }
        Ok(writers)
    }

    /// The latest version registered for the topic's value subject, or, when there is none,
    /// the newest writer schema seen.
    async fn reader(&self, writers: &[(u32, Writer)]) -> Result<Vec<Column>, BatchError> {
        let subject: Subject = self.request.topic.value_subject();
        let fail = |detail: String| BatchError::Reader {
            subject: subject.to_string(),
            detail,
        };
        let client = registry::Client::new(&self.config.registry)?;
        let columns = match client.version(&subject, "latest").await {
            Ok(latest) => sql::columns(&latest.schema).map_err(|e| fail(e.to_string()))?,
            Err(e) if not_found(&e) => writers
                .iter()
                .rev()
                .find_map(|(_, w)| match w {
                    Writer::Known { columns, .. } => Some(columns.clone()),
                    _ => None,
                })
                .ok_or_else(|| {
                    fail("nothing is registered and no record names a known schema".into())
                })?,
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

    async fn aggregate(
        &self,
        reader: &[Column],
        report: &mut BatchReport,
    ) -> Result<Vec<(&'static str, String)>, BatchError> {
        let timestamp = reader
            .iter()
            .find(|c| c.name == "timestamp")
            .map(|c| c.sql_type.as_str())
            .unwrap_or("BIGINT");
        let agg = Aggregations::new(timestamp);
        let top = self.request.top;
        let tables: Vec<(&'static str, String)> = vec![
            ("totals", agg.totals()),
            ("per_creative", agg.per("creative_id")),
            ("per_placement", agg.per("placement_id")),
            ("per_minute", agg.per_minute()),
            (
                "top_creatives_by_clicks",
                agg.top_creatives(TopBy::Clicks, top),
            ),
            ("top_creatives_by_cost", agg.top_creatives(TopBy::Cost, top)),
            ("null_counts", sql::null_counts(reader)),
            ("poison_counts", sql::problem_counts()),
            ("poison", sql::problems(None)),
        ];
        let step = "aggregating";
        let shape = |detail| BatchError::Shape { step, detail };
        for (name, query) in &tables[..7] {
            let batch = self.collect(query.clone(), step).await?;
            let t = Table::new(&batch);
            match *name {
                "totals" => report.totals = totals(&t).map_err(shape)?,
                "per_creative" => report.per_creative = t.groups().map_err(shape)?,
                "per_placement" => report.per_placement = t.groups().map_err(shape)?,
                "per_minute" => report.per_minute = minutes(&t).map_err(shape)?,
                "top_creatives_by_clicks" => report.top_by_clicks = t.groups().map_err(shape)?,
                "top_creatives_by_cost" => report.top_by_cost = t.groups().map_err(shape)?,
                _ => report.null_rates = null_rates(&t, reader).map_err(shape)?,
            }
        }
        let counts = self.collect(sql::problem_counts(), step).await?;
        let counts = Table::new(&counts);
        let kinds = counts.texts("problem").map_err(shape)?;
        let numbers = counts.counts("records").map_err(shape)?;
        report.poison_counts = kinds
            .into_iter()
            .map(Option::unwrap_or_default)
            .zip(numbers)
            .collect();
        let limit = self.request.poison_limit;
        let listed = self.collect(sql::problems(Some(limit)), step).await?;
        report.poison = pills(&Table::new(&listed)).map_err(shape)?;
        report.poison_complete = report.poison.len() as u64 == report.poison_total();
        Ok(tables)
    }

    async fn write(&self, out: &Path, tables: &[(&'static str, String)]) -> Result<(), BatchError> {
        for (name, query) in tables {
            let path = out.join(name).display().to_string();
            let session = self.session.clone();
            let query = query.clone();
            guarded(self.request.step_timeout, async move {
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
            .map_err(|e| BatchError::spark("writing Parquet", e))?;
        }
        Ok(())
    }

    /// Frees the cached tables; the views go with the session.
    async fn clean_up(&self) {
        for table in [DECODED, FRAMED] {
            let statement = format!("UNCACHE TABLE IF EXISTS {table}");
            if let Err(e) = self.exec(statement, "freeing cached tables").await {
                tracing::warn!("{e}");
            }
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
            let nulls = t.counts(&c.name)?.first().copied().unwrap_or(0);
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
                "unusable_schema" => format!("the registry's schema id {id} is not usable here"),
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
