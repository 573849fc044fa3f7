//! Reconciling a batch run with the producer's manifests: record counts per creative and per
//! minute exactly, cost sums to a cent, and the poison pills by kind (and by position, where
//! the manifest's sequence numbers can be turned into offsets).

use super::result::{BatchReport, Group};
use serde::Serialize;
use shared::generator::{Manifest, PoisonKind, Tally};
use std::collections::{BTreeMap, BTreeSet};

/// How far a cost sum may be from the manifest's, in cents. Each record's cost is rounded to
/// whole cents before it is summed, so sums of correctly decoded records match exactly; the
/// cent covers a float cost that sits on a rounding boundary.
pub const COST_TOLERANCE_CENTS: u64 = 1;

/// One comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was compared.
    pub name: String,
    /// What the manifests say.
    pub expected: String,
    /// What the batch run found.
    pub actual: String,
    /// Whether they agree.
    pub ok: bool,
}

/// Every comparison, and what could not be compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The comparisons.
    pub checks: Vec<Check>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
}

impl Verification {
    /// Whether every comparison agreed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    fn check(&mut self, name: &str, expected: impl ToString, actual: impl ToString, ok: bool) {
        self.checks.push(Check {
            name: name.to_owned(),
            expected: expected.to_string(),
            actual: actual.to_string(),
            ok,
        });
    }
}

/// What the manifests of the runs that filled a topic expect, together.
#[derive(Debug, Default)]
struct Expected {
    events: u64,
    totals: (u64, u64),
    per_creative: BTreeMap<String, (u64, u64)>,
    per_placement: BTreeMap<String, (u64, u64)>,
    per_minute: BTreeMap<i64, (u64, u64)>,
    /// By kind, the pills' sequence numbers counted over all the runs in order.
    pills: BTreeMap<&'static str, Vec<u64>>,
}

/// Records on the topic for a tally: first deliveries and duplicates, with their cost.
fn raw(t: &Tally) -> (u64, u64) {
    (
        t.clicks + t.duplicates,
        t.cost_cents + t.duplicate_cost_cents,
    )
}

fn add(into: &mut (u64, u64), t: &Tally) {
    let (n, c) = raw(t);
    into.0 += n;
    into.1 += c;
}

/// The name the batch job gives a generator's kind of pill.
pub fn reason_of(kind: PoisonKind) -> &'static str {
    match kind {
        PoisonKind::WrongMagic => "wrong_magic",
        PoisonKind::UnknownSchemaId => "unknown_schema_id",
        PoisonKind::Truncated => "undecodable",
    }
}

impl Expected {
    fn of(manifests: &[Manifest]) -> Self {
        let mut e = Self::default();
        for m in manifests {
            add(&mut e.totals, &m.totals);
            for (k, t) in &m.per_creative {
                add(e.per_creative.entry(k.clone()).or_default(), t);
            }
            for (k, t) in &m.per_placement {
                add(e.per_placement.entry(k.clone()).or_default(), t);
            }
            for (k, t) in &m.per_minute {
                add(e.per_minute.entry(*k).or_default(), t);
            }
            for kind in PoisonKind::ALL {
                let base = e.events;
                e.pills
                    .entry(reason_of(kind))
                    .or_default()
                    .extend(m.poison.of(kind).iter().map(|i| base + i));
            }
            e.events += m.total_events;
        }
        e
    }
}

/// Compares `report` with the manifests of the produce runs that filled its topic, in the order
/// they ran.
pub fn verify(report: &BatchReport, manifests: &[Manifest]) -> Verification {
    let e = Expected::of(manifests);
    let mut v = Verification::default();
    v.check(
        "records read",
        e.events,
        report.records_read,
        e.events == report.records_read,
    );
    let t = &report.totals;
    v.check("clicks", e.totals.0, t.clicks, e.totals.0 == t.clicks);
    let cost_ok = t.cost_cents.abs_diff(e.totals.1) <= COST_TOLERANCE_CENTS;
    v.check("cost (cents)", e.totals.1, t.cost_cents, cost_ok);
    groups(
        &mut v,
        "per creative",
        &e.per_creative,
        &report.per_creative,
    );
    groups(
        &mut v,
        "per placement",
        &e.per_placement,
        &report.per_placement,
    );
    let minutes: BTreeMap<String, (u64, u64)> = e
        .per_minute
        .iter()
        .map(|(k, n)| (k.to_string(), *n))
        .collect();
    let found: Vec<Group> = report
        .per_minute
        .iter()
        .map(|m| Group {
            key: m.minute_ms.to_string(),
            clicks: m.clicks,
            cost_cents: m.cost_cents,
        })
        .collect();
    groups(&mut v, "per minute", &minutes, &found);
    pills(&mut v, &e, report);
    v
}

/// Clicks exactly and cost to the tolerance, for every key either side has.
fn groups(v: &mut Verification, name: &str, want: &BTreeMap<String, (u64, u64)>, got: &[Group]) {
    let got: BTreeMap<&str, (u64, u64)> = got
        .iter()
        .map(|g| (g.key.as_str(), (g.clicks, g.cost_cents)))
        .collect();
    let keys: BTreeSet<&str> = want
        .keys()
        .map(String::as_str)
        .chain(got.keys().copied())
        .collect();
    let mut wrong = Vec::new();
    for key in &keys {
        let w = want.get(*key).copied().unwrap_or_default();
        let g = got.get(key).copied().unwrap_or_default();
        if w.0 != g.0 || w.1.abs_diff(g.1) > COST_TOLERANCE_CENTS {
            wrong.push(format!(
                "{key}: expected {}/{}¢, got {}/{}¢",
                w.0, w.1, g.0, g.1
            ));
        }
    }
    let expected = format!("{} groups", want.len());
    let actual = if wrong.is_empty() {
        format!("{} groups, all equal", got.len())
    } else {
        let shown: Vec<&str> = wrong.iter().take(5).map(String::as_str).collect();
        format!("{} differ: {}", wrong.len(), shown.join("; "))
    };
    v.check(name, expected, actual, wrong.is_empty());
}

fn pills(v: &mut Verification, e: &Expected, report: &BatchReport) {
    let found: BTreeMap<&str, u64> = report
        .poison_counts
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    let mut reasons: BTreeSet<&str> = found.keys().copied().collect();
    reasons.extend(e.pills.keys().copied());
    for reason in reasons {
        let want = e.pills.get(reason).map_or(0, |p| p.len() as u64);
        let got = found.get(reason).copied().unwrap_or(0);
        v.check(&format!("poison {reason}"), want, got, want == got);
    }
    // Sequence numbers are offsets only when one partition holds every record from offset 0.
    match report.ranges.as_slice() {
        [only] if only.start == 0 && report.poison_complete => {
            let want: BTreeSet<(i64, &str)> = e
                .pills
                .iter()
                .flat_map(|(k, seq)| seq.iter().map(move |s| (*s as i64, *k)))
                .collect();
            let got: BTreeSet<(i64, &str)> = report
                .poison
                .iter()
                .map(|p| (p.offset, p.reason.as_str()))
                .collect();
            let missing = want.difference(&got).count();
            let extra = got.difference(&want).count();
            v.check(
                "poison positions",
                format!("{} at the manifests' offsets", want.len()),
                format!("{missing} missing, {extra} unexpected"),
                missing == 0 && extra == 0,
            );
        }
        _ => v.notes.push(
            "poison positions not compared: the manifest records sequence numbers, which are \
             offsets only for a single-partition topic read from offset 0"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::result::{Minute, Pill, Totals};
    use crate::batch::PartitionRange;
    use shared::generator::{Generator, GeneratorConfig, GeneratorOptions, ManifestBuilder};

    fn manifest(seed: u64, n: usize, wrong_magic: f64) -> Manifest {
        let mut options = GeneratorOptions {
            seed,
            ..GeneratorOptions::default()
        };
        options.faults.wrong_magic = wrong_magic;
        let config = GeneratorConfig::new(options).unwrap_or_else(|e| panic!("{e}"));
        let mut builder = ManifestBuilder::new(&config);
        for event in Generator::new(config).take(n) {
            builder.record(&event);
        }
        builder.finish()
    }

    /// The report a perfect batch run over the manifests' records would give.
    fn report_of(manifests: &[Manifest]) -> BatchReport {
        let e = Expected::of(manifests);
        let group = |m: &BTreeMap<String, (u64, u64)>| -> Vec<Group> {
            m.iter()
                .map(|(k, (n, c))| Group {
                    key: k.clone(),
                    clicks: *n,
                    cost_cents: *c,
                })
                .collect()
        };
        let mut r = BatchReport::empty(
            "t".into(),
            vec![PartitionRange {
                partition: 0,
                start: 0,
                end: e.events as i64,
            }],
        );
        r.records_read = e.events;
        r.totals = Totals {
            clicks: e.totals.0,
            cost_cents: e.totals.1,
            ..Totals::default()
        };
        r.per_creative = group(&e.per_creative);
        r.per_placement = group(&e.per_placement);
        r.per_minute = e
            .per_minute
            .iter()
            .map(|(k, (n, c))| Minute {
                minute_ms: *k,
                clicks: *n,
                cost_cents: *c,
            })
            .collect();
        for (kind, seq) in &e.pills {
            if !seq.is_empty() {
                r.poison_counts.insert((*kind).to_owned(), seq.len() as u64);
            }
            r.poison.extend(seq.iter().map(|s| Pill {
                partition: 0,
                offset: *s as i64,
                reason: (*kind).to_owned(),
                detail: String::new(),
            }));
        }
        r
    }

    #[test]
    fn a_faithful_report_passes_and_positions_follow_the_run_order() {
        let ms = [manifest(1, 400, 0.02), manifest(2, 300, 0.02)];
        let v = verify(&report_of(&ms), &ms);
        assert!(v.passed(), "{v:#?}");
        assert!(v.checks.iter().any(|c| c.name == "poison positions"));
    }

    #[test]
    fn a_missing_click_or_pill_fails() {
        let ms = [manifest(3, 500, 0.02)];
        let mut r = report_of(&ms);
        r.per_creative[0].clicks -= 1;
        r.poison.pop();
        let v = verify(&r, &ms);
        let failed: Vec<&str> = v
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(failed, ["per creative", "poison positions"]);
    }
}
