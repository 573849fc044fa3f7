//! The rows the one Spark pass returns, and the report tables summed from them: a few
//! thousand partial aggregates (see [`sql::dim`](super::sql::dim)) whose sums are the tables.

use super::result::{BatchReport, Group, Minute, NullRate, Pill, Table, Totals};
use super::sql::{dim, Column, REGISTER_BITS};
use arrow::record_batch::RecordBatch;
use std::collections::BTreeMap;

/// One row of the aggregate.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Row {
    dim: i64,
    key: Option<String>,
    minute_ms: Option<i64>,
    problem: Option<String>,
    schema_id: Option<i64>,
    bucket: Option<i64>,
    pill_partition: Option<i64>,
    pill_offset: Option<i64>,
    records: u64,
    cost_cents: u64,
    first_event_ms: Option<i64>,
    last_event_ms: Option<i64>,
    len: Option<i64>,
    magic: Option<i64>,
    user_rank: Option<i64>,
    nulls: Vec<u64>,
    rank_by_clicks: Option<i64>,
    rank_by_cost: Option<i64>,
    problem_records: Option<i64>,
}

/// Reads the aggregate's rows; `reader` names the `null_<field>` columns.
pub(crate) fn read(batch: &RecordBatch, reader: &[Column]) -> Result<Vec<Row>, String> {
    let t = Table::new(batch);
    let dims = t.ints("dim")?;
    let keys = t.texts("key")?;
    let minutes = t.ints("minute_ms")?;
    let problems = t.texts("problem")?;
    let ids = t.ints("schema_id")?;
    let buckets = t.ints("bucket")?;
    let partitions = t.ints("pill_partition")?;
    let offsets = t.ints("pill_offset")?;
    let records = t.counts("records")?;
    let cost = t.counts("cost_cents")?;
    let firsts = t.ints("first_event_ms")?;
    let lasts = t.ints("last_event_ms")?;
    let lens = t.ints("len")?;
    let magics = t.ints("magic")?;
    let ranks = t.ints("user_rank")?;
    let by_clicks = t.ints("rank_by_clicks")?;
    let by_cost = t.ints("rank_by_cost")?;
    let problem_records = t.ints("problem_records")?;
    let nulls = reader
        .iter()
        .map(|c| t.counts(&format!("null_{}", c.name)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((0..t.rows())
        .map(|i| Row {
            dim: dims[i].unwrap_or(-1),
            key: keys[i].clone(),
            minute_ms: minutes[i],
            problem: problems[i].clone(),
            schema_id: ids[i],
            bucket: buckets[i],
            pill_partition: partitions[i],
            pill_offset: offsets[i],
            records: records[i],
            cost_cents: cost[i],
            first_event_ms: firsts[i],
            last_event_ms: lasts[i],
            len: lens[i],
            magic: magics[i],
            user_rank: ranks[i],
            nulls: nulls.iter().map(|n| n[i]).collect(),
            rank_by_clicks: by_clicks[i],
            rank_by_cost: by_cost[i],
            problem_records: problem_records[i],
        })
        .collect())
}

/// Records per schema id named in a well-framed header.
pub(crate) fn schema_ids(rows: &[Row]) -> Vec<(u32, u64)> {
    let mut ids: BTreeMap<u32, u64> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.dim == i64::from(dim::RECORDS)) {
        let framed = r.problem.as_deref() != Some("wrong_magic");
        if let (Some(id), true) = (r.schema_id.and_then(|i| u32::try_from(i).ok()), framed) {
            *ids.entry(id).or_default() += r.records;
        }
    }
    ids.into_iter().collect()
}

/// Fills the report's tables from the rows.
pub(crate) fn fill(report: &mut BatchReport, rows: &[Row], reader: &[Column], top: u32) {
    let of = |d: i32| rows.iter().filter(move |r| r.dim == i64::from(d));
    let clean = || of(dim::RECORDS).filter(|r| r.problem.is_none());
    let mut creatives: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut minutes: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    let (mut by_clicks, mut by_cost) = (BTreeMap::new(), BTreeMap::new());
    for r in of(dim::CREATIVE_MINUTE) {
        let key = r.key.clone().unwrap_or_else(|| "(null)".into());
        add(creatives.entry(key.clone()).or_default(), r);
        add(minutes.entry(r.minute_ms.unwrap_or(0)).or_default(), r);
        if let Some(rank) = r.rank_by_clicks.filter(|n| *n <= i64::from(top)) {
            by_clicks.insert(rank, key.clone());
        }
        if let Some(rank) = r.rank_by_cost.filter(|n| *n <= i64::from(top)) {
            by_cost.insert(rank, key);
        }
    }
    let mut placements: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in of(dim::PLACEMENT) {
        let key = r.key.clone().unwrap_or_else(|| "(null)".into());
        add(placements.entry(key).or_default(), r);
    }
    report.per_creative = groups(&creatives);
    report.per_placement = groups(&placements);
    report.per_minute = minutes
        .iter()
        .map(|(m, (clicks, cost_cents))| Minute {
            minute_ms: *m,
            clicks: *clicks,
            cost_cents: *cost_cents,
        })
        .collect();
    let pick = |ranked: &BTreeMap<i64, String>| -> Vec<Group> {
        ranked
            .values()
            .filter_map(|k| report.per_creative.iter().find(|g| &g.key == k).cloned())
            .collect()
    };
    report.top_by_clicks = pick(&by_clicks);
    report.top_by_cost = pick(&by_cost);
    report.totals = totals(clean());
    let mut registers = vec![0u8; 1 << REGISTER_BITS];
    for r in clean() {
        let slot = r.bucket.and_then(|b| usize::try_from(b).ok());
        if let (Some(slot), Some(rank)) = (slot, r.user_rank) {
            if let Some(reg) = registers.get_mut(slot) {
                *reg = (*reg).max(u8::try_from(rank).unwrap_or(u8::MAX));
            }
        }
    }
    report.totals.approx_users = estimate(&registers);
    report.null_rates = null_rates(clean(), reader, report.totals.clicks);
    report.poison = of(dim::RECORDS).filter_map(pill).collect();
    report.poison.sort_by_key(|p| (p.partition, p.offset));
    report.poison_counts = BTreeMap::new();
    for r in of(dim::RECORDS) {
        if let (Some(problem), Some(n)) = (&r.problem, r.problem_records) {
            let n = u64::try_from(n).unwrap_or(0);
            report.poison_counts.insert(problem.clone(), n);
        }
    }
    report.poison_complete = report.poison.len() as u64 == report.poison_total();
    // What Spark read, which is fewer than the offsets spanned when some offsets hold no
    // record (compacted topics, transaction markers).
    report.records_read = report.totals.clicks + report.poison_total();
}

fn add(into: &mut (u64, u64), r: &Row) {
    into.0 += r.records;
    into.1 += r.cost_cents;
}

fn groups(map: &BTreeMap<String, (u64, u64)>) -> Vec<Group> {
    map.iter()
        .map(|(key, (clicks, cost_cents))| Group {
            key: key.clone(),
            clicks: *clicks,
            cost_cents: *cost_cents,
        })
        .collect()
}

fn totals<'a>(rows: impl Iterator<Item = &'a Row>) -> Totals {
    let mut t = Totals::default();
    for r in rows {
        t.clicks += r.records;
        t.cost_cents += r.cost_cents;
        t.first_event_ms = min_some(t.first_event_ms, r.first_event_ms);
        t.last_event_ms = max_some(t.last_event_ms, r.last_event_ms);
    }
    t
}

fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn null_rates<'a>(
    rows: impl Iterator<Item = &'a Row>,
    reader: &[Column],
    clicks: u64,
) -> Vec<NullRate> {
    let mut nulls = vec![0u64; reader.len()];
    for r in rows {
        for (sum, n) in nulls.iter_mut().zip(&r.nulls) {
            *sum += n;
        }
    }
    reader
        .iter()
        .zip(nulls)
        .map(|(c, nulls)| NullRate {
            field: c.name.clone(),
            nulls,
            rate: if clicks == 0 {
                0.0
            } else {
                nulls as f64 / clicks as f64
            },
        })
        .collect()
}

fn pill(r: &Row) -> Option<Pill> {
    let reason = r.problem.clone()?;
    let id = r.schema_id.unwrap_or(-1);
    let detail = match reason.as_str() {
        "too_short" => format!(
            "{} bytes long; a Confluent-framed record needs at least 5",
            r.len.unwrap_or(0)
        ),
        "wrong_magic" => format!(
            "magic byte is 0x{:02x}, expected 0x00",
            r.magic.unwrap_or_default()
        ),
        "unknown_schema_id" => format!("schema id {id} is not known to the registry"),
        _ => format!("body does not decode with schema id {id}"),
    };
    Some(Pill {
        partition: r
            .pill_partition
            .and_then(|p| i32::try_from(p).ok())
            .unwrap_or(-1),
        offset: r.pill_offset.unwrap_or(-1),
        reason,
        detail,
    })
}

/// The HyperLogLog estimate of distinct values from its registers (Flajolet et al., with the
/// linear-counting correction for small counts; 64-bit hashes need no large-range one).
pub(crate) fn estimate(registers: &[u8]) -> u64 {
    let m = registers.len() as f64;
    if registers.is_empty() {
        return 0;
    }
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = registers.iter().map(|r| 2f64.powi(-i32::from(*r))).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|r| **r == 0).count() as f64;
    let e = if raw <= 2.5 * m && zeros > 0.0 {
        m * (m / zeros).ln()
    } else {
        raw
    };
    e.round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Registers as the SQL fills them, for the given 64-bit hashes.
    fn registers(hashes: impl Iterator<Item = u64>) -> Vec<u8> {
        let bits = REGISTER_BITS;
        let mut regs = vec![0u8; 1 << bits];
        for h in hashes {
            let slot = (h & ((1 << bits) - 1)) as usize;
            let w = h >> bits;
            let rank = if w == 0 {
                65 - bits
            } else {
                64 - bits - (w as f64).log2().floor() as u32
            };
            regs[slot] = regs[slot].max(rank as u8);
        }
        regs
    }

    /// A fixed, well-mixed sequence of hashes (splitmix64).
    fn hashes(n: u64) -> impl Iterator<Item = u64> {
        (0..n).map(|i| {
            let mut z = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    }

    #[test]
    fn estimates_are_within_a_few_percent() {
        for n in [10u64, 1_000, 20_000, 500_000] {
            let e = estimate(&registers(hashes(n))) as f64;
            let error = (e - n as f64).abs() / n as f64;
            assert!(error < 0.05, "{n} distinct estimated as {e}");
        }
        assert_eq!(estimate(&registers(hashes(0))), 0);
    }

    fn row(dim: i32, records: u64, cost_cents: u64) -> Row {
        Row {
            dim: i64::from(dim),
            records,
            cost_cents,
            ..Row::default()
        }
    }

    #[test]
    fn tables_are_sums_of_the_partial_rows() {
        let reader = crate::batch::sql::columns(include_str!("../../../schemas/click_v1.avsc"))
            .unwrap_or_else(|e| panic!("{e}"));
        let creative = |key: &str, minute: i64, n: u64, rank: i64| Row {
            key: Some(key.into()),
            minute_ms: Some(minute),
            rank_by_clicks: Some(rank),
            rank_by_cost: Some(rank),
            ..row(dim::CREATIVE_MINUTE, n, n * 10)
        };
        let mut nulls = vec![0; reader.len()];
        nulls[5] = 2;
        let clean = |id: i64, n: u64| Row {
            schema_id: Some(id),
            bucket: Some(7),
            user_rank: Some(1),
            first_event_ms: Some(60_000),
            last_event_ms: Some(200_000),
            nulls: nulls.clone(),
            ..row(dim::RECORDS, n, n * 10)
        };
        let pill = Row {
            problem: Some("wrong_magic".into()),
            schema_id: Some(1),
            magic: Some(0x7b),
            pill_partition: Some(2),
            pill_offset: Some(40),
            problem_records: Some(1),
            ..row(dim::RECORDS, 1, 0)
        };
        let rows = vec![
            creative("cr-1", 60_000, 3, 1),
            creative("cr-1", 120_000, 2, 1),
            creative("cr-2", 60_000, 1, 2),
            Row {
                key: Some("pl-1".into()),
                ..row(dim::PLACEMENT, 6, 60)
            },
            clean(1, 4),
            clean(2, 2),
            pill,
        ];
        let mut report = BatchReport::empty("t".into(), Vec::new());
        fill(&mut report, &rows, &reader, 1);
        let keys = |g: &[Group]| -> Vec<(String, u64)> {
            g.iter().map(|g| (g.key.clone(), g.clicks)).collect()
        };
        assert_eq!(
            keys(&report.per_creative),
            [("cr-1".into(), 5), ("cr-2".into(), 1)]
        );
        assert_eq!(keys(&report.top_by_clicks), [("cr-1".into(), 5)]);
        assert_eq!(keys(&report.per_placement), [("pl-1".into(), 6)]);
        let minutes: Vec<(i64, u64)> = report
            .per_minute
            .iter()
            .map(|m| (m.minute_ms, m.clicks))
            .collect();
        assert_eq!(minutes, [(60_000, 4), (120_000, 2)]);
        assert_eq!((report.totals.clicks, report.totals.cost_cents), (6, 60));
        assert_eq!(report.totals.first_event_ms, Some(60_000));
        assert_eq!(report.null_rates[5].nulls, 4);
        assert_eq!(report.poison_counts.get("wrong_magic"), Some(&1));
        assert_eq!(
            report
                .poison
                .first()
                .map(|p| (p.partition, p.offset, p.detail.as_str())),
            Some((2, 40, "magic byte is 0x7b, expected 0x00"))
        );
        assert!(report.poison_complete);
        assert_eq!(
            schema_ids(&rows),
            [(1, 4), (2, 2)],
            "a wrong magic byte names no schema"
        );
    }

    #[test]
    fn repeated_values_count_once() {
        let once = estimate(&registers(hashes(5_000)));
        let thrice = estimate(&registers(
            hashes(5_000).chain(hashes(5_000)).chain(hashes(5_000)),
        ));
        assert_eq!(once, thrice);
    }
}
