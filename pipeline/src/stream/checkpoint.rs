//! Where a run's checkpoints live on the Spark side, and which of them a run carries on.
//!
//! Under the run's checkpoint location (a [`SparkLocation`], `--checkpoint-location`):
//!
//! ```text
//! LOCATION/starts/          one JSON row per checkpoint begun here: its name, and the offset
//!                           of the results topic where its results begin
//! LOCATION/NAME/windows     the windowed aggregation's checkpoint
//! LOCATION/NAME/records     the record counts' checkpoint
//! ```
//!
//! The Spark server writes and reads all of it; this process only asks Spark (a read of
//! `starts` collected back, a one-row append), so the location may be anywhere the server
//! reaches: its own disk, HDFS, an object store.
//!
//! - **Which checkpoint.** A run carries on the newest checkpoint listed in `starts` (names sort
//!   by the time they were begun); with none, or with `fresh`, it begins a new one beside the
//!   old. A fresh start leaves the old checkpoints where they are rather than deleting them:
//!   Spark Connect offers no way to delete, and reaching around Spark to the server's disk
//!   would work only where that disk is this machine's.
//! - **Resumed** means the run carries on a checkpoint begun before at this location: Spark
//!   then reads on from the offsets that checkpoint committed.
//! - **The results offset** is kept beside the checkpoint, not on this machine: whoever carries
//!   the checkpoint on (the CLI, the page's bridge, another machine) reads the results topic
//!   from the same offset and so shows the same windows. It is written before the queries
//!   first start, so none of their results comes before it.

use super::error::StreamError;
use super::results;
use crate::batch::result::Table;
use crate::settings::KafkaConfig;
use crate::spark::{guarded, is_missing, spark_error, SparkLocation, SparkOpError};
use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use spark_connect_rs::dataframe::SaveMode;
use spark_connect_rs::SparkSession;
use std::sync::Arc;
use std::time::Duration;

/// The folder of the list of checkpoints begun, under the location.
const STARTS: &str = "starts";

/// The columns of a row of `starts`, as Spark reads them.
const STARTS_SCHEMA: &str = "name STRING, results_from BIGINT";

/// The checkpoint a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// `LOCATION/NAME`: the queries' checkpoints go under it.
    pub(crate) location: SparkLocation,
    /// Whether it was begun by an earlier run.
    pub(crate) resumed: bool,
    /// The results topic's offset where its results begin.
    pub(crate) results_from: i64,
}

/// A checkpoint begun at a location: a row of `starts`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Start {
    name: String,
    results_from: i64,
}

/// The checkpoint a run at `location` uses: the newest begun there, or (none there, or `fresh`)
/// a new one, listed in `starts` with the results topic's end now. A location the Spark server
/// cannot reach or write is a [`StreamError::Checkpoint`].
pub(crate) async fn open(
    session: &SparkSession,
    location: &SparkLocation,
    fresh: bool,
    kafka: &KafkaConfig,
    results_topic: &str,
    timeout: Duration,
) -> Result<Checkpoint, StreamError> {
    let starts = location.join(STARTS);
    let failed = |e| StreamError::checkpoint(location, e);
    let listed = read_starts(session, &starts, timeout)
        .await
        .map_err(failed)?;
    if let Some(newest) = newest(listed).filter(|_| !fresh) {
        return Ok(Checkpoint {
            location: location.join(&newest.name),
            resumed: true,
            results_from: newest.results_from,
        });
    }
    let start = Start {
        name: name_now(),
        results_from: results::end_offset(kafka, results_topic, Duration::from_secs(30)).await?,
    };
    append_start(session, &starts, &start, timeout)
        .await
        .map_err(failed)?;
    Ok(Checkpoint {
        location: location.join(&start.name),
        resumed: false,
        results_from: start.results_from,
    })
}

/// `cp-YYYYMMDDTHHMMSS.mmmZ`: names that sort by the time they were made.
fn name_now() -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    format!("cp-{}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

fn newest(starts: Vec<Start>) -> Option<Start> {
    starts.into_iter().max_by(|a, b| a.name.cmp(&b.name))
}

/// The rows of `starts`, read by Spark; none when it does not exist yet.
async fn read_starts(
    session: &SparkSession,
    starts: &SparkLocation,
    timeout: Duration,
) -> Result<Vec<Start>, SparkOpError> {
    let (session, path) = (session.clone(), starts.to_string());
    let read = guarded(timeout, async move {
        session
            .read()
            .format("json")
            .schema(STARTS_SCHEMA)
            .load([path.as_str()])
            .map_err(spark_error)?
            .collect()
            .await
            .map_err(spark_error)
    })
    .await;
    let batch = match read {
        Ok(batch) => batch,
        Err(e) if is_missing(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let table = Table::new(&batch);
    let names = table.texts("name").map_err(SparkOpError::Shape)?;
    let offsets = table.ints("results_from").map_err(SparkOpError::Shape)?;
    Ok(names
        .into_iter()
        .zip(offsets)
        .filter_map(|(name, offset)| {
            Some(Start {
                name: name.filter(|n| is_name(n))?,
                results_from: offset?,
            })
        })
        .collect())
}

/// Whether a name read back from `starts` is one [`name_now`] makes: a row that is not (edited
/// by hand, say) is skipped rather than joined to the location.
fn is_name(name: &str) -> bool {
    name.strip_prefix("cp-").is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_digit())
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
    })
}

/// Adds `start` to `starts`, as a new file beside the others.
async fn append_start(
    session: &SparkSession,
    starts: &SparkLocation,
    start: &Start,
    timeout: Duration,
) -> Result<(), SparkOpError> {
    let row = RecordBatch::try_from_iter([
        (
            "name",
            Arc::new(StringArray::from(vec![start.name.clone()])) as ArrayRef,
        ),
        (
            "results_from",
            Arc::new(Int64Array::from(vec![start.results_from])) as ArrayRef,
        ),
    ])
    .map_err(|e| SparkOpError::Shape(e.to_string()))?;
    let (session, path) = (session.clone(), starts.to_string());
    guarded(timeout, async move {
        session
            .create_dataframe(&row)
            .map_err(spark_error)?
            .write()
            .format("json")
            .mode(SaveMode::Append)
            .save(&path)
            .await
            .map_err(spark_error)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(name: &str, results_from: i64) -> Start {
        Start {
            name: name.into(),
            results_from,
        }
    }

    #[test]
    fn the_newest_checkpoint_is_carried_on() {
        let listed = vec![
            start("cp-20260101T000000.000Z", 5),
            start("cp-20260301T000000.000Z", 9),
            start("cp-20260201T000000.000Z", 7),
        ];
        assert_eq!(newest(listed), Some(start("cp-20260301T000000.000Z", 9)));
        assert_eq!(newest(Vec::new()), None);
    }

    #[test]
    fn names_sort_by_time_and_only_made_names_are_read() {
        let (a, b) = (name_now(), name_now());
        assert!(a <= b, "{a} {b}");
        assert!(is_name(&a), "{a}");
        for bad in ["", "cp-", "../x", "cp-..", "cp-../x", "cp-2/b", "windows"] {
            assert!(!is_name(bad), "{bad}");
        }
    }
}
