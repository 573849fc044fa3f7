//! The manifest: ground truth of what a generator run produced, for later stages to reconcile
//! against.
//!
//! # How duplicates count
//!
//! A duplicate is the same click delivered twice. A consumer that deduplicates by `id` sees it
//! once; the raw topic holds it twice. Every [`Tally`] keeps both: `clicks` and `cost_cents`
//! count each distinct click once, `duplicates` and `duplicate_cost_cents` count the extra
//! deliveries, so the raw topic holds `clicks + duplicates` click records.
//!
//! Costs are summed in whole cents (every generated cost is a whole number of cents), so the
//! sums are exact integers rather than floats that depend on the order of addition.
//!
//! Late and out-of-order clicks count in the minute of the timestamp they carry, which is where
//! an event-time window puts them if it accepts them at all.

use super::clicks::cents;
use super::options::GeneratorConfig;
use super::{ClickFault, Event, GeneratorOptions, PoisonKind};
use crate::Click;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const MINUTE_MS: i64 = 60_000;

/// Clicks and cost of one group (a creative, a placement, a minute, or everything).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Distinct clicks (first deliveries).
    pub clicks: u64,
    /// Cost of the distinct clicks, in cents.
    pub cost_cents: u64,
    /// Extra deliveries of clicks already counted in `clicks`.
    pub duplicates: u64,
    /// Cost of the extra deliveries, in cents.
    pub duplicate_cost_cents: u64,
}

impl Tally {
    fn add(&mut self, cost_cents: u64, duplicate: bool) {
        if duplicate {
            self.duplicates += 1;
            self.duplicate_cost_cents += cost_cents;
        } else {
            self.clicks += 1;
            self.cost_cents += cost_cents;
        }
    }
}

/// Sequence indexes (0-based, counting every event) of the poison pills, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoisonPills {
    /// Pills with a wrong magic byte.
    pub wrong_magic: Vec<u64>,
    /// Pills naming an unknown schema id.
    pub unknown_schema_id: Vec<u64>,
    /// Pills with a truncated body.
    pub truncated: Vec<u64>,
}

impl PoisonPills {
    /// The indexes of one kind.
    pub fn of(&self, kind: PoisonKind) -> &[u64] {
        match kind {
            PoisonKind::WrongMagic => &self.wrong_magic,
            PoisonKind::UnknownSchemaId => &self.unknown_schema_id,
            PoisonKind::Truncated => &self.truncated,
        }
    }

    fn of_mut(&mut self, kind: PoisonKind) -> &mut Vec<u64> {
        match kind {
            PoisonKind::WrongMagic => &mut self.wrong_magic,
            PoisonKind::UnknownSchemaId => &mut self.unknown_schema_id,
            PoisonKind::Truncated => &mut self.truncated,
        }
    }

    /// All pills of every kind.
    pub fn total(&self) -> u64 {
        PoisonKind::ALL
            .map(|k| self.of(k).len() as u64)
            .iter()
            .sum()
    }
}

/// What a run produced. Serializes to JSON; maps are sorted so equal runs give equal text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The options the run used, enough to reproduce it.
    pub options: GeneratorOptions,
    /// Every event, each one record on the topic: clicks, duplicates and poison pills.
    pub total_events: u64,
    /// All clicks: `totals.clicks` is the number of valid clicks (distinct ids).
    pub totals: Tally,
    /// By creative id.
    pub per_creative: BTreeMap<String, Tally>,
    /// By placement id.
    pub per_placement: BTreeMap<String, Tally>,
    /// By event-time minute (its start, in ms since the epoch; a string key in JSON).
    pub per_minute: BTreeMap<i64, Tally>,
    /// Id of each duplicate delivery, in order (an id appears once per extra delivery).
    pub duplicate_ids: Vec<String>,
    /// Ids of the clicks produced late.
    pub late_ids: Vec<String>,
    /// Ids of the clicks produced out of order.
    pub out_of_order_ids: Vec<String>,
    /// Where the poison pills are.
    pub poison: PoisonPills,
    /// Records of the run that were never delivered, as ranges of sequence numbers (0 = the
    /// run's first record); empty when every record reached the topic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<SequenceRange>,
}

/// Sequence numbers `first..=last` of a run's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceRange {
    /// The first.
    pub first: u64,
    /// The last (inclusive).
    pub last: u64,
}

/// Builds a [`Manifest`] from the events as they are produced.
///
/// It trusts the events' kinds: an [`Event::Click`] is a new id, an [`Event::Duplicate`] repeats
/// one, as [`super::Generator`] guarantees. Record every event, poison pills included, so the
/// sequence indexes match.
#[derive(Debug, Clone)]
pub struct ManifestBuilder {
    manifest: Manifest,
}

impl ManifestBuilder {
    /// An empty manifest for a run of `config`.
    pub fn new(config: &GeneratorConfig) -> Self {
        Self {
            manifest: Manifest {
                options: config.options().clone(),
                total_events: 0,
                totals: Tally::default(),
                per_creative: BTreeMap::new(),
                per_placement: BTreeMap::new(),
                per_minute: BTreeMap::new(),
                duplicate_ids: Vec::new(),
                late_ids: Vec::new(),
                out_of_order_ids: Vec::new(),
                poison: PoisonPills::default(),
                lost: Vec::new(),
            },
        }
    }

    /// Counts the next event of the sequence.
    pub fn record(&mut self, event: &Event) {
        let index = self.manifest.total_events;
        self.manifest.total_events += 1;
        match event {
            Event::Click { click, fault } => {
                self.tally(click, false);
                let ids = match fault {
                    Some(ClickFault::Late { .. }) => &mut self.manifest.late_ids,
                    Some(ClickFault::OutOfOrder { .. }) => &mut self.manifest.out_of_order_ids,
                    None => return,
                };
                ids.push(click.id.clone());
            }
            Event::Duplicate(click) => {
                self.tally(click, true);
                self.manifest.duplicate_ids.push(click.id.clone());
            }
            Event::Poison(kind) => self.manifest.poison.of_mut(*kind).push(index),
        }
    }

    fn tally(&mut self, click: &Click, duplicate: bool) {
        let m = &mut self.manifest;
        let cost = cents(click.cost);
        let minute = click.timestamp.div_euclid(MINUTE_MS) * MINUTE_MS;
        m.totals.add(cost, duplicate);
        add_to(&mut m.per_creative, &click.creative_id, cost, duplicate);
        add_to(&mut m.per_placement, &click.placement_id, cost, duplicate);
        m.per_minute.entry(minute).or_default().add(cost, duplicate);
    }

    /// The manifest so far, e.g. for live progress.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The finished manifest.
    pub fn finish(self) -> Manifest {
        self.manifest
    }
}

/// Adds to the tally of `key`, allocating the key only the first time it is seen.
fn add_to(map: &mut BTreeMap<String, Tally>, key: &str, cost_cents: u64, duplicate: bool) {
    match map.get_mut(key) {
        Some(tally) => tally.add(cost_cents, duplicate),
        None => {
            let mut tally = Tally::default();
            tally.add(cost_cents, duplicate);
            map.insert(key.to_owned(), tally);
        }
    }
}
