//! A batch report's tables as one CSV: a `table` column says which (creative, placement,
//! minute), then the key, clicks and cost. Minutes are ISO-8601 UTC.

use crate::export::csv::line;
use crate::text::count::money;
use shared::batch::BatchReport;
use shared::decode::instant;

/// The report's aggregates, one line per group.
pub fn csv(report: &BatchReport) -> String {
    let mut out = line(["table", "key", "clicks", "cost"]);
    for (table, groups) in [
        ("creative", &report.per_creative),
        ("placement", &report.per_placement),
    ] {
        for g in groups {
            out.push_str(&line([
                table.to_owned(),
                g.key.clone(),
                g.clicks.to_string(),
                money(g.cost_cents),
            ]));
        }
    }
    for m in &report.per_minute {
        out.push_str(&line([
            "minute".to_owned(),
            instant(m.minute_ms, 1_000, "Z"),
            m.clicks.to_string(),
            money(m.cost_cents),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::batch::{Group, Minute};

    #[test]
    fn every_aggregate_is_a_line() {
        let report = BatchReport {
            per_creative: vec![Group {
                key: "cr-1".into(),
                clicks: 3,
                cost_cents: 205,
            }],
            per_placement: vec![Group {
                key: "pl,2".into(),
                clicks: 1,
                cost_cents: 7,
            }],
            per_minute: vec![Minute {
                minute_ms: 1_704_067_260_000,
                clicks: 4,
                cost_cents: 212,
            }],
            ..BatchReport::default()
        };
        assert_eq!(
            csv(&report),
            "table,key,clicks,cost\r\ncreative,cr-1,3,2.05\r\nplacement,\"pl,2\",1,0.07\r\nminute,2024-01-01T00:01:00.000Z,4,2.12\r\n"
        );
    }
}
