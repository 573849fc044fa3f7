//! The Spark SQL of the streaming job: the batch job's framing and decoding over a streaming
//! Kafka source, the clean clicks with their event time, and the two aggregations whose rows go
//! to the results topic as JSON. View names are constants; durations come from typed values;
//! nothing a user typed reaches Spark unquoted.

use crate::batch::sql::{self as batch_sql, Column, Writer};
use std::time::Duration;

/// The Kafka source (a streaming view).
pub(crate) const SOURCE: &str = "kd_stream_source";
/// Every record in the reader's shape, with its problem.
pub(crate) const RECORDS: &str = "kd_stream_records";
/// Clean clicks with a watermark on their event time.
pub(crate) const CLICKS: &str = "kd_stream_clicks";

/// The fields the streaming aggregation reads; the reader is narrowed to these.
pub const FIELDS: [&str; 3] = ["creative_id", "timestamp", "cost"];

/// Every record of [`SOURCE`] decoded and in the reader's shape, with its problem.
pub fn records(reader: &[Column], writers: &[Writer]) -> String {
    let narrow: Vec<Column> = reader
        .iter()
        .filter(|c| FIELDS.contains(&c.name.as_str()))
        .cloned()
        .collect();
    batch_sql::records(&narrow, writers, SOURCE)
}

/// The clean clicks of [`RECORDS`]: creative, event time (a timestamp-millis field as a
/// timestamp) and cost in whole cents.
pub fn clicks(reader: &[Column]) -> String {
    let timestamp = reader
        .iter()
        .find(|c| c.name == "timestamp")
        .map(|c| c.sql_type.as_str());
    let event_time = match timestamp {
        Some("TIMESTAMP" | "TIMESTAMP_NTZ") => "CAST(`c_timestamp` AS TIMESTAMP)",
        _ => "timestamp_millis(CAST(`c_timestamp` AS BIGINT))",
    };
    format!(
        "SELECT CAST(`c_creative_id` AS STRING) AS creative_id, {event_time} AS event_time, \
           CAST(round(CAST(`c_cost` AS DOUBLE) * 100) AS BIGINT) AS cents \
         FROM {RECORDS} WHERE problem IS NULL"
    )
}

/// A duration as a Spark interval string (`'60000 milliseconds'`).
pub fn interval(duration: Duration) -> String {
    format!("{} milliseconds", duration.as_millis().max(1))
}

/// Clicks and cost per creative and event-time tumbling window of `size`, each row a JSON
/// value keyed by window start and creative. The count is aliased: Spark would otherwise name
/// it `count(1 AS count)`.
pub fn windows(size: Duration) -> String {
    let size = batch_sql::string_literal(&interval(size));
    format!(
        "SELECT concat(CAST(unix_millis(w.start) AS STRING), '/', creative_id) AS key, \
           to_json(named_struct('kind', 'window', \
             'window_start_ms', unix_millis(w.start), 'window_end_ms', unix_millis(w.end), \
             'creative_id', creative_id, 'clicks', clicks, 'cost_cents', cost_cents)) AS value \
         FROM (SELECT window(event_time, {size}) AS w, creative_id, \
                 count(*) AS clicks, coalesce(sum(cents), 0) AS cost_cents \
               FROM {CLICKS} GROUP BY window(event_time, {size}), creative_id)"
    )
}

/// Records per outcome (`decoded` or the poison pill's reason) and schema id, each row a JSON
/// value. The id of a record whose header is broken means nothing and is left out, so the
/// groups stay few.
pub fn outcomes() -> String {
    format!(
        "SELECT concat(outcome, '/', coalesce(CAST(schema_id AS STRING), '-')) AS key, \
           to_json(named_struct('kind', 'records', 'outcome', outcome, 'schema_id', schema_id, \
             'records', records)) AS value \
         FROM (SELECT coalesce(problem, 'decoded') AS outcome, \
                 CASE WHEN problem IN ('too_short', 'wrong_magic') THEN NULL \
                      ELSE schema_id END AS schema_id, \
                 count(*) AS records \
               FROM {RECORDS} GROUP BY 1, 2)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::sql::columns;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");

    #[test]
    fn the_reader_is_narrowed_to_the_aggregated_fields() {
        let reader = columns(V1).unwrap_or_else(|e| panic!("{e}"));
        let writer = Writer {
            id: 3,
            text: V1.to_owned(),
            columns: reader.clone(),
        };
        let sql = records(&reader, &[writer]);
        assert!(sql.contains("AS `c_creative_id`"), "{sql}");
        assert!(!sql.contains("AS `c_ip`"), "{sql}");
        assert!(sql.contains(&format!("FROM {SOURCE}")), "{sql}");
        assert!(sql.contains("WHEN id_bytes = X'00000003'"), "{sql}");
    }

    #[test]
    fn timestamp_millis_is_the_event_time() {
        let reader = columns(V1).unwrap_or_else(|e| panic!("{e}"));
        assert!(clicks(&reader).contains("CAST(`c_timestamp` AS TIMESTAMP) AS event_time"));
    }

    #[test]
    fn windows_alias_the_count_and_quote_the_size() {
        let sql = windows(Duration::from_secs(60));
        assert!(
            sql.contains("window(event_time, '60000 milliseconds')"),
            "{sql}"
        );
        assert!(sql.contains("count(*) AS clicks"), "{sql}");
        assert!(sql.contains(&format!("FROM {CLICKS}")), "{sql}");
    }
}
