//! The fields of one click: which impression it belongs to (and so its creative and placement),
//! who clicked (user agent, IP address, referrer) and what it cost.
//!
//! Click number `n` is a pure function of the seed, `n` and its timestamp: it draws from its own
//! random stream. That is what lets a duplicate be rebuilt instead of kept, and keeps a click's
//! content independent of which faults were injected around it.

use super::catalog::{self, REFERRERS, USER_AGENTS, VOCABULARY_EXPONENT};
use super::math;
use super::options::GeneratorOptions;
use super::rng::{self, mix64, Rng, Stream};
use super::skew::{self, Skewed};
use crate::Click;
use serde::{Deserialize, Serialize};

/// One impression of the pool that clicks refer to: an ad shown somewhere.
///
/// The pool is implicit: impression `i` is computed from the seed and `i` when needed, so a pool
/// of four billion costs no memory. Every click on an impression carries its creative and
/// placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impression {
    /// `imp-` and 16 hex digits; distinct impressions have distinct ids.
    pub id: String,
    /// The creative that was shown.
    pub creative_id: String,
    /// Where it was shown.
    pub placement_id: String,
}

/// Names drawn with Zipf popularity; `names[rank]`, rank 0 the most popular.
#[derive(Debug, Clone)]
struct Catalog {
    names: Vec<String>,
    skew: Skewed,
}

impl Catalog {
    /// `count` names `prefix001…`, assigned to popularity ranks in a seeded shuffle so the
    /// favourite is not always number 1.
    fn new(prefix: &str, count: u32, exponent: f64, rng: &mut Rng) -> Self {
        let count = count as usize;
        let width = count.to_string().len().max(3);
        let names = skew::shuffled(count, rng)
            .into_iter()
            .map(|i| catalog::numbered(prefix, i + 1, width))
            .collect();
        Self {
            names,
            skew: Skewed::new(count, exponent),
        }
    }

    fn draw(&self, rng: &mut Rng) -> &str {
        self.names
            .get(self.skew.draw(rng))
            .map_or("", String::as_str)
    }
}

/// Builds clicks and impressions from checked options.
#[derive(Debug, Clone)]
pub(crate) struct ClickMaker {
    seed: u64,
    click_key: u64,
    impression_key: u64,
    impressions: u64,
    creatives: Catalog,
    placements: Catalog,
    user_agents: Skewed,
    referrers: Skewed,
    user_agent_null_rate: f64,
    ip_null_rate: f64,
    ipv6_fraction: f64,
    referrer_null_rate: f64,
    cost_median: f64,
    cost_spread: f64,
}

impl ClickMaker {
    /// Tables for `options`, which must have passed [`super::GeneratorConfig::new`].
    pub(crate) fn new(o: &GeneratorOptions) -> Self {
        let mut shuffle = Rng::new(o.seed, Stream::Catalog, 0);
        Self {
            seed: o.seed,
            click_key: rng::key(o.seed, Stream::ClickIds, 0),
            impression_key: rng::key(o.seed, Stream::ImpressionIds, 0),
            impressions: o.impressions.into(),
            creatives: Catalog::new("cr-", o.creatives, o.popularity_exponent, &mut shuffle),
            placements: Catalog::new("pl-", o.placements, o.popularity_exponent, &mut shuffle),
            user_agents: Skewed::new(USER_AGENTS.len(), VOCABULARY_EXPONENT),
            referrers: Skewed::new(REFERRERS.len(), VOCABULARY_EXPONENT),
            user_agent_null_rate: o.user_agent_null_rate,
            ip_null_rate: o.ip_null_rate,
            ipv6_fraction: o.ipv6_fraction,
            referrer_null_rate: o.referrer_null_rate,
            cost_median: o.cost_median,
            cost_spread: o.cost_spread,
        }
    }

    /// Size of the impression pool.
    pub(crate) fn pool_size(&self) -> u64 {
        self.impressions
    }

    /// Impression number `index` of the pool.
    pub(crate) fn impression(&self, index: u64) -> Impression {
        let mut rng = Rng::new(self.seed, Stream::Impression, index);
        Impression {
            // mix64 is a bijection, so distinct indexes give distinct ids.
            id: catalog::hex_id("imp-", mix64(index ^ self.impression_key)),
            creative_id: self.creatives.draw(&mut rng).to_owned(),
            placement_id: self.placements.draw(&mut rng).to_owned(),
        }
    }

    /// Click number `n`, at `timestamp`.
    pub(crate) fn click(&self, n: u64, timestamp: i64) -> Click {
        let mut rng = Rng::new(self.seed, Stream::Click, n);
        let impression = self.impression(rng.below(self.impressions));
        Click {
            id: catalog::hex_id("clk-", mix64(n ^ self.click_key)),
            impression_id: impression.id,
            creative_id: impression.creative_id,
            placement_id: impression.placement_id,
            timestamp,
            user_agent: self.user_agent(&mut rng),
            ip: self.ip(&mut rng),
            referrer: self.referrer(&mut rng),
            cost: self.cost(&mut rng),
        }
    }

    fn user_agent(&self, rng: &mut Rng) -> Option<String> {
        if rng.chance(self.user_agent_null_rate) {
            return None;
        }
        USER_AGENTS
            .get(self.user_agents.draw(rng))
            .map(|ua| (*ua).to_owned())
    }

    fn ip(&self, rng: &mut Rng) -> Option<String> {
        if rng.chance(self.ip_null_rate) {
            None
        } else if rng.chance(self.ipv6_fraction) {
            Some(catalog::ipv6(rng))
        } else {
            Some(catalog::ipv4(rng))
        }
    }

    fn referrer(&self, rng: &mut Rng) -> Option<String> {
        if rng.chance(self.referrer_null_rate) {
            return None;
        }
        REFERRERS
            .get(self.referrers.draw(rng))
            .map(|url| (*url).to_owned())
    }

    /// Log-normal around the median, rounded to whole cents, at least one cent.
    fn cost(&self, rng: &mut Rng) -> f32 {
        let raw = self.cost_median * math::exp(self.cost_spread * rng.normal());
        let cents = (raw * 100.0).round().max(1.0);
        (cents / 100.0) as f32
    }
}

/// Whole cents of a generated cost; exact while the cost is below about 80,000 (an `f32` holds
/// 24 bits of mantissa).
pub(crate) fn cents(cost: f32) -> u64 {
    (f64::from(cost) * 100.0).round() as u64
}
