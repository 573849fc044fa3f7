//! The page's requests turned into the pipeline's settings: each start request is checked like
//! the command line's flags and refused with a sentence the page shows.

use pipeline::batch::range::parse_time;
use pipeline::batch::{run_name, BatchRequest, Bound, POISON_LISTED};
use pipeline::settings::{
    Compression, KeyField, ProduceConfig, DEFAULT_DELIVERY_TIMEOUT, DEFAULT_LINGER,
};
use pipeline::spark::SparkLocation;
use pipeline::stream::{StreamRequest, Trigger};
use shared::generator::{FaultOptions, GeneratorConfig, GeneratorOptions, PAGE_EVENTS_PER_SECOND};
use shared::protocol::{BatchSpec, ProduceSpec, StreamSpec, StreamTrigger};
use std::path::Path;
use std::time::Duration;

/// Largest record count a produce run from the page may ask for.
const PAGE_MAX_COUNT: u64 = 100_000_000;
/// Most partitions a topic created from the page may have.
const PAGE_MAX_PARTITIONS: i32 = 64;

/// A produce run as the page asked for it, checked like the CLI's flags. The page never writes a
/// manifest file and keys by impression id; its clicks are [`PAGE_EVENTS_PER_SECOND`] per second
/// of event time from `start_ms` (the generator's default time when `None`). A refusal is a
/// sentence for the page.
pub(crate) fn produce(spec: &ProduceSpec, start_ms: Option<i64>) -> Result<ProduceConfig, String> {
    let refuse = |what: String| Err(what);
    match spec.count {
        Some(0) => return refuse("the record count must be at least 1".into()),
        Some(n) if n > PAGE_MAX_COUNT => {
            return refuse(format!("the record count must be at most {PAGE_MAX_COUNT}"))
        }
        _ => {}
    }
    if let Some(rate) = spec.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return refuse("the rate must be a positive number of records per second".into());
        }
    }
    if !(1..=PAGE_MAX_PARTITIONS).contains(&spec.partitions) {
        return refuse(format!(
            "partitions must be between 1 and {PAGE_MAX_PARTITIONS}"
        ));
    }
    let third = spec.poison / 3.0;
    let defaults = GeneratorOptions::default();
    let options = GeneratorOptions {
        seed: spec.seed,
        start_ms: start_ms.unwrap_or(defaults.start_ms),
        events_per_second: PAGE_EVENTS_PER_SECOND,
        faults: FaultOptions {
            late: spec.late,
            duplicate: spec.duplicates,
            wrong_magic: third,
            unknown_schema_id: third,
            truncated: third,
            ..FaultOptions::default()
        },
        ..defaults
    };
    Ok(ProduceConfig {
        topic: spec.topic.clone(),
        count: spec.count,
        duration: None,
        rate: spec.rate,
        generator: GeneratorConfig::new(options).map_err(|e| format!("generator options: {e}"))?,
        schema: None,
        manifest: None,
        key_field: KeyField::ImpressionId,
        compression: Compression::None,
        partitions: spec.partitions,
        replication_factor: pipeline::kafka::BROKER_DEFAULT,
        delivery_timeout: DEFAULT_DELIVERY_TIMEOUT,
        linger: DEFAULT_LINGER,
    })
}

/// Offsets are below this; larger numbers are times in ms since the epoch.
const OFFSET_LIMIT: i64 = 1_000_000_000_000;

/// A batch job as the page asked for it: bounds are offsets (numbers below 10¹²), times in ms
/// since the epoch, or RFC 3339 times. Results are written under the data folder, which the
/// local stack's Spark server shares.
pub(crate) fn batch(spec: &BatchSpec, data_dir: &Path) -> Result<BatchRequest, String> {
    let bound = |text: &Option<String>, what: &str| -> Result<Bound, String> {
        let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Bound::Edge);
        };
        match text.parse::<i64>() {
            Ok(n) if (0..OFFSET_LIMIT).contains(&n) => Ok(Bound::Offset(n)),
            _ => parse_time(text)
                .map(Bound::Timestamp)
                .map_err(|e| format!("{what}: {e}")),
        }
    };
    if !(1..=10_000).contains(&spec.top) {
        return Err("top N must be between 1 and 10000".into());
    }
    Ok(BatchRequest {
        topic: spec.topic.clone(),
        from: bound(&spec.from, "from")?,
        to: bound(&spec.to, "to")?,
        top: spec.top,
        out: Some(SparkLocation::local(
            &data_dir.join("batch").join(run_name(&spec.topic)),
        )),
        step_timeout: Duration::from_secs(15 * 60),
        poison_limit: POISON_LISTED,
    })
}

/// The page's settings as a run of the streaming job, from the oldest record, checkpointed per
/// topic under the data folder.
pub(crate) fn stream(spec: &StreamSpec, data_dir: &Path) -> StreamRequest {
    let mut request = StreamRequest::with_defaults(spec.topic.clone(), data_dir);
    request.window = Duration::from_secs(u64::from(spec.window_secs.max(1)));
    request.watermark = Duration::from_secs(u64::from(spec.watermark_secs));
    match spec.trigger {
        StreamTrigger::ProcessingTime(ms) => {
            request.trigger = Trigger::Processing;
            request.interval = Duration::from_millis(ms.clamp(100, 60_000));
        }
        StreamTrigger::AvailableNow => request.trigger = Trigger::AvailableNow,
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Topic;

    fn spec(from: Option<&str>, to: Option<&str>, top: u32) -> BatchSpec {
        BatchSpec {
            topic: Topic::new("clicks-avro").unwrap_or_else(|e| panic!("{e}")),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            top,
        }
    }

    #[test]
    fn page_bounds_are_offsets_times_or_edges() {
        let dir = Path::new("/data");
        let r = batch(&spec(Some(" 42 "), Some("1704067200000"), 5), dir)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.from, r.to),
            (Bound::Offset(42), Bound::Timestamp(1_704_067_200_000))
        );
        assert!(r
            .out
            .is_some_and(|o| o.as_str().starts_with("file:///data/batch/clicks-avro-")));
        let r = batch(&spec(Some(""), None, 5), dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.from, r.to), (Bound::Edge, Bound::Edge));
        let r = batch(&spec(Some("2024-01-01T00:00:00Z"), None, 5), dir)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.from, Bound::Timestamp(1_704_067_200_000));
        assert!(
            batch(&spec(Some("yesterday"), None, 5), dir).is_err_and(|e| e.starts_with("from:"))
        );
        assert!(batch(&spec(None, None, 0), dir).is_err());
    }
}
