//! What a streaming run reports, as typed values: window results and record counts read back
//! from the results topic, query progress parsed from Spark's progress JSON, and the run's
//! lifecycle. Everything serializes to JSON for the CLI's `--format json` and, later, the page.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Clicks and cost of one creative in one event-time window, as Spark last reported them.
///
/// The query runs in update mode: each micro-batch re-emits the windows it changed with their
/// new totals, so the latest result for a (window, creative) replaces earlier ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowResult {
    /// Window start, ms since the epoch.
    pub window_start_ms: i64,
    /// Window end (exclusive), ms since the epoch.
    pub window_end_ms: i64,
    /// The creative.
    pub creative_id: String,
    /// Clicks in the window so far.
    pub clicks: u64,
    /// Their cost, in cents.
    pub cost_cents: u64,
}

/// Records read so far with one outcome and schema id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCount {
    /// `decoded`, or the poison pill's reason: `too_short`, `wrong_magic`,
    /// `unknown_schema_id`, `undecodable`.
    pub outcome: String,
    /// The schema id the record names (none when its header is broken).
    pub schema_id: Option<u32>,
    /// How many.
    pub records: u64,
}

/// A row of the results topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResultRow {
    /// A window's totals.
    Window(WindowResult),
    /// A count of records by outcome.
    Records(RecordCount),
}

impl ResultRow {
    /// Reads a JSON value the query wrote.
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Which of the run's two queries a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    /// The windowed aggregation of clicks.
    Windows,
    /// The count of records by outcome.
    Records,
}

/// One micro-batch of a query, from Spark's progress report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The query.
    pub query: QueryKind,
    /// The micro-batch.
    pub batch_id: i64,
    /// When it started (Spark's ISO 8601 text).
    pub timestamp: String,
    /// Records it read.
    pub input_rows: u64,
    /// Records per second arriving.
    pub input_rows_per_second: f64,
    /// Records per second processed.
    pub processed_rows_per_second: f64,
    /// How long the batch took, ms.
    pub batch_duration_ms: u64,
    /// The event-time watermark after it (ISO 8601), when there is one.
    pub watermark: Option<String>,
    /// Rows its stateful operators dropped for being behind the watermark (Spark's
    /// `numRowsDroppedByWatermark`). Spark aggregates each partition's rows before the shuffle,
    /// so this counts late (window, creative) groups per input partition, not clicks.
    pub dropped_by_watermark: u64,
    /// Rows held in state (open windows and creatives).
    pub state_rows: u64,
}

impl Progress {
    /// Reads one `StreamingQueryProgress` JSON object. Spark 4 reports the row counts and
    /// rates per source only, so they are summed over the sources when the top level lacks them.
    pub fn from_json(query: QueryKind, json: &Value) -> Option<Self> {
        let int = |v: &Value| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64));
        let list = |key: &str| json[key].as_array().cloned().unwrap_or_default();
        let (operators, sources) = (list("stateOperators"), list("sources"));
        let sum =
            |items: &[Value], key: &str| -> u64 { items.iter().filter_map(|o| int(&o[key])).sum() };
        let rate = |key: &str| {
            json[key]
                .as_f64()
                .unwrap_or_else(|| sources.iter().filter_map(|s| s[key].as_f64()).sum())
        };
        Some(Self {
            query,
            batch_id: json["batchId"].as_i64()?,
            timestamp: json["timestamp"].as_str().unwrap_or_default().to_owned(),
            input_rows: int(&json["numInputRows"]).unwrap_or_else(|| sum(&sources, "numInputRows")),
            input_rows_per_second: rate("inputRowsPerSecond"),
            processed_rows_per_second: rate("processedRowsPerSecond"),
            batch_duration_ms: int(&json["durationMs"]["triggerExecution"])
                .or_else(|| int(&json["batchDuration"]))
                .unwrap_or(0),
            watermark: json["eventTime"]["watermark"].as_str().map(str::to_owned),
            dropped_by_watermark: sum(&operators, "numRowsDroppedByWatermark"),
            state_rows: sum(&operators, "numRowsTotal"),
        })
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `available-now`: everything there was when it started is processed.
    Drained,
    /// `--duration` ran out.
    Duration,
    /// Asked to stop (Ctrl-C, or the page).
    Cancelled,
}

/// What a run reports as it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The queries started (again, after a restart).
    Started {
        /// Whether they resumed from an earlier run's checkpoint.
        resumed: bool,
        /// The checkpoint folder.
        checkpoint: String,
        /// Where the results go.
        results_topic: String,
        /// Writer schema ids the decoding knows.
        schema_ids: Vec<u32>,
    },
    /// A window's new totals.
    Window(WindowResult),
    /// A record count's new value.
    Records(RecordCount),
    /// A micro-batch finished.
    Progress(Progress),
    /// The queries are being restarted from their checkpoint.
    Restarting {
        /// Why.
        reason: String,
    },
    /// The queries stopped.
    Stopped {
        /// Why.
        reason: StopReason,
    },
}

/// The results of a run: the latest value of every window and count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamSummary {
    /// Every (window, creative), oldest window first.
    pub windows: Vec<WindowResult>,
    /// Records by outcome and schema id.
    pub records: Vec<RecordCount>,
    /// Rows dropped by the watermark, summed over the micro-batches whose progress was seen
    /// (late groups, see [`Progress::dropped_by_watermark`]; `late_clicks` counts clicks).
    pub dropped_by_watermark: u64,
    /// Decoded clicks that are in no window: dropped for being late (decoded records minus the
    /// windows' clicks). Exact when both queries processed the same records, as after an
    /// `available-now` run; a processing run's two queries may stop a micro-batch apart.
    pub late_clicks: u64,
    /// Micro-batches of the windows query seen.
    pub batches: u64,
    /// Restarts for new schema ids.
    pub restarts: u32,
    /// Why the run ended.
    pub stopped: Option<StopReason>,
}

/// Keeps the latest value of every result row.
#[derive(Debug, Default, Clone)]
pub struct Latest {
    windows: BTreeMap<(i64, String), WindowResult>,
    records: BTreeMap<(String, Option<u32>), RecordCount>,
}

impl Latest {
    /// Takes a newer row.
    pub fn apply(&mut self, row: &ResultRow) {
        match row {
            ResultRow::Window(w) => {
                let key = (w.window_start_ms, w.creative_id.clone());
                self.windows.insert(key, w.clone());
            }
            ResultRow::Records(r) => {
                let key = (r.outcome.clone(), r.schema_id);
                self.records.insert(key, r.clone());
            }
        }
    }

    /// Every window, oldest first, then by creative.
    pub fn windows(&self) -> Vec<WindowResult> {
        self.windows.values().cloned().collect()
    }

    /// Every record count.
    pub fn records(&self) -> Vec<RecordCount> {
        self.records.values().cloned().collect()
    }

    /// Decoded records minus clicks in windows.
    pub fn late_clicks(&self) -> u64 {
        let decoded: u64 = self
            .records
            .values()
            .filter(|r| r.outcome == "decoded")
            .map(|r| r.records)
            .sum();
        let windowed: u64 = self.windows.values().map(|w| w.clicks).sum();
        decoded.saturating_sub(windowed)
    }

    /// Schema ids records named that no writer decoded.
    pub fn unknown_ids(&self) -> Vec<u32> {
        self.records
            .values()
            .filter(|r| r.outcome == "unknown_schema_id")
            .filter_map(|r| r.schema_id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_by_kind() {
        let w = ResultRow::parse(
            br#"{"kind":"window","window_start_ms":60000,"window_end_ms":120000,"creative_id":"cr-1","clicks":3,"cost_cents":42}"#,
        );
        assert!(
            matches!(w, Ok(ResultRow::Window(ref r)) if r.clicks == 3),
            "{w:?}"
        );
        let r = ResultRow::parse(br#"{"kind":"records","outcome":"wrong_magic","records":2}"#);
        assert!(
            matches!(r, Ok(ResultRow::Records(ref c)) if c.schema_id.is_none() && c.records == 2),
            "{r:?}"
        );
        assert!(ResultRow::parse(b"not json").is_err());
    }

    #[test]
    fn progress_reads_rates_watermark_and_drops() {
        let json: Value = serde_json::json!({
            "batchId": 4, "timestamp": "2026-01-01T00:00:00.000Z",
            "sources": [{"numInputRows": 1000, "inputRowsPerSecond": 500.0,
                         "processedRowsPerSecond": 1500.5},
                        {"numInputRows": 200, "inputRowsPerSecond": 100.0}],
            "durationMs": {"triggerExecution": 800},
            "eventTime": {"watermark": "2024-01-01T00:00:30.000Z"},
            "stateOperators": [{"numRowsTotal": 50, "numRowsDroppedByWatermark": 7}]
        });
        let p = Progress::from_json(QueryKind::Windows, &json);
        let p = p.unwrap_or_else(|| panic!("no progress"));
        assert_eq!(
            (p.batch_id, p.input_rows, p.batch_duration_ms),
            (4, 1200, 800)
        );
        assert_eq!((p.dropped_by_watermark, p.state_rows), (7, 50));
        assert_eq!(p.input_rows_per_second, 600.0);
        assert_eq!(p.watermark.as_deref(), Some("2024-01-01T00:00:30.000Z"));
        assert!(Progress::from_json(QueryKind::Windows, &serde_json::json!({})).is_none());
    }

    #[test]
    fn the_latest_row_wins_and_late_clicks_are_the_difference() {
        let mut latest = Latest::default();
        let window = |clicks| {
            ResultRow::Window(WindowResult {
                window_start_ms: 0,
                window_end_ms: 60_000,
                creative_id: "cr-1".into(),
                clicks,
                cost_cents: clicks * 10,
            })
        };
        latest.apply(&window(2));
        latest.apply(&window(5));
        latest.apply(&ResultRow::Records(RecordCount {
            outcome: "decoded".into(),
            schema_id: Some(1),
            records: 9,
        }));
        assert_eq!(latest.windows().len(), 1);
        assert_eq!(latest.windows()[0].clicks, 5);
        assert_eq!(latest.late_clicks(), 4);
    }
}
