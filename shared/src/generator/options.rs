//! What the generator can be asked for ([`GeneratorOptions`], plain serde data with defaults) and
//! the checked form it runs from ([`GeneratorConfig`]).
//!
//! Options arrive from a CLI flag, a JSON file or the browser, so every number is checked once
//! here and a wrong one is named in an [`OptionsError`]; the generator itself never has to
//! re-check or panic.

use serde::{Deserialize, Serialize};

/// Largest number of creatives or placements (their popularity tables live in memory).
pub const MAX_CATALOG: u32 = 100_000;
/// Event-time start may not be later than this (9999-12-31T23:59:59.999Z).
pub const MAX_START_MS: i64 = 253_402_300_799_999;
/// Slowest and fastest event-time rates accepted, in events per second.
pub const RATE_RANGE: (f64, f64) = (0.001, 1e6);
/// Largest median cost accepted.
pub const MAX_COST_MEDIAN: f64 = 1e4;
/// Largest spread (σ of the cost's logarithm) accepted.
pub const MAX_COST_SPREAD: f64 = 4.0;
/// Largest popularity exponent accepted.
pub const MAX_EXPONENT: f64 = 10.0;

/// Everything that shapes the generated clicks. Missing fields take their defaults; unknown
/// fields are refused so a typo does not silently fall back to a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorOptions {
    /// Same seed and options, same events.
    pub seed: u64,
    /// Event time of the first event, in milliseconds since the Unix epoch.
    pub start_ms: i64,
    /// Mean events per second of *event time* (the spacing of timestamps, not a send rate).
    pub events_per_second: f64,
    /// How the rate varies over the day.
    pub traffic: TrafficCurve,
    /// Number of distinct creatives.
    pub creatives: u32,
    /// Number of distinct placements.
    pub placements: u32,
    /// Zipf exponent of creative and placement popularity (0 uniform, 1 classic Zipf).
    pub popularity_exponent: f64,
    /// Size of the impression pool that clicks refer to.
    pub impressions: u32,
    /// Fraction of clicks without a user agent.
    pub user_agent_null_rate: f64,
    /// Fraction of clicks without an IP address.
    pub ip_null_rate: f64,
    /// Fraction of the known IP addresses that are IPv6.
    pub ipv6_fraction: f64,
    /// Fraction of clicks without a referrer.
    pub referrer_null_rate: f64,
    /// Median cost of a click.
    pub cost_median: f64,
    /// σ of the natural logarithm of the cost (0 makes every cost the median).
    pub cost_spread: f64,
    /// Faults to inject.
    pub faults: FaultOptions,
}

impl Default for GeneratorOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            start_ms: 1_704_067_200_000, // 2024-01-01T00:00:00Z: fixed, so defaults reproduce.
            events_per_second: 100.0,
            traffic: TrafficCurve::Flat,
            creatives: 50,
            placements: 20,
            popularity_exponent: 1.1,
            impressions: 100_000,
            user_agent_null_rate: 0.02,
            ip_null_rate: 0.01,
            ipv6_fraction: 0.3,
            referrer_null_rate: 0.25,
            cost_median: 0.45,
            cost_spread: 0.8,
            faults: FaultOptions::default(),
        }
    }
}

/// The shape of the event rate over a day of event time.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum TrafficCurve {
    /// The same rate all day.
    #[default]
    Flat,
    /// Quiet nights and busy evenings (UTC hours of event time), averaging the configured rate.
    Diurnal {
        /// 0 is flat, 1 the full built-in day profile (about 8× between the 4 am trough and the
        /// evening peak); values between blend the two.
        depth: f64,
    },
}

/// Fractions of *all* events that carry each fault; together at most 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultOptions {
    /// Clicks whose timestamp is moved back by `late_by_ms`.
    pub late: f64,
    /// How far back a late click's timestamp goes.
    pub late_by_ms: u32,
    /// Clicks whose timestamp is moved back by a small random amount.
    pub out_of_order: f64,
    /// Largest backwards jitter of an out-of-order click (it moves back by `1..=` this).
    pub out_of_order_max_ms: u32,
    /// Events that re-deliver a recent click, same `id` and all.
    pub duplicate: f64,
    /// Poison pills whose magic byte is wrong.
    pub wrong_magic: f64,
    /// Poison pills naming a schema id the registry does not know.
    pub unknown_schema_id: f64,
    /// Poison pills whose Avro body is cut short.
    pub truncated: f64,
}

impl Default for FaultOptions {
    fn default() -> Self {
        Self {
            late: 0.0,
            late_by_ms: 300_000,
            out_of_order: 0.0,
            out_of_order_max_ms: 5_000,
            duplicate: 0.0,
            wrong_magic: 0.0,
            unknown_schema_id: 0.0,
            truncated: 0.0,
        }
    }
}

impl FaultOptions {
    /// Each fraction with its option name, in the order the generator partitions `[0, 1)`.
    pub(crate) fn fractions(&self) -> [(&'static str, f64); 6] {
        [
            ("faults.wrong_magic", self.wrong_magic),
            ("faults.unknown_schema_id", self.unknown_schema_id),
            ("faults.truncated", self.truncated),
            ("faults.duplicate", self.duplicate),
            ("faults.late", self.late),
            ("faults.out_of_order", self.out_of_order),
        ]
    }
}

/// Why options were refused; each names the option by its serde path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// A rate or fraction outside `0..=1` (or NaN).
    #[error("{field} is {value}; it must be a fraction between 0 and 1")]
    NotAFraction {
        /// The option.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// The fault fractions together exceed 1.
    #[error("the fault fractions add up to {total}; together they can be at most 1")]
    FaultsOverOne {
        /// Their sum.
        total: f64,
    },
    /// A real number outside its range (or NaN).
    #[error("{field} is {value}; it must be between {min} and {max}")]
    OutOfRange {
        /// The option.
        field: &'static str,
        /// Its value.
        value: f64,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// A count or duration outside `1..=max`.
    #[error("{field} is {value}; it must be between 1 and {max}")]
    Count {
        /// The option.
        field: &'static str,
        /// Its value.
        value: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// The event-time start is before 1970 or after the year 9999.
    #[error("start_ms is {value}; it must be between 0 and {MAX_START_MS}")]
    Start {
        /// Its value.
        value: i64,
    },
}

/// Options that passed every check; the only way to build a [`super::Generator`].
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    options: GeneratorOptions,
}

impl GeneratorConfig {
    /// Checks every option, naming the first one out of range.
    pub fn new(options: GeneratorOptions) -> Result<Self, OptionsError> {
        check_time(&options)?;
        check_catalog(&options)?;
        check_fields(&options)?;
        check_faults(&options.faults)?;
        Ok(Self { options })
    }

    /// The checked options.
    pub fn options(&self) -> &GeneratorOptions {
        &self.options
    }
}

impl TryFrom<GeneratorOptions> for GeneratorConfig {
    type Error = OptionsError;
    fn try_from(options: GeneratorOptions) -> Result<Self, Self::Error> {
        Self::new(options)
    }
}

fn check_time(o: &GeneratorOptions) -> Result<(), OptionsError> {
    if !(0..=MAX_START_MS).contains(&o.start_ms) {
        return Err(OptionsError::Start { value: o.start_ms });
    }
    let (slowest, fastest) = RATE_RANGE;
    within("events_per_second", o.events_per_second, slowest, fastest)?;
    match o.traffic {
        TrafficCurve::Flat => Ok(()),
        TrafficCurve::Diurnal { depth } => fraction("traffic.depth", depth),
    }
}

fn check_catalog(o: &GeneratorOptions) -> Result<(), OptionsError> {
    count("creatives", o.creatives.into(), MAX_CATALOG.into())?;
    count("placements", o.placements.into(), MAX_CATALOG.into())?;
    count("impressions", o.impressions.into(), u32::MAX.into())?;
    within(
        "popularity_exponent",
        o.popularity_exponent,
        0.0,
        MAX_EXPONENT,
    )
}

fn check_fields(o: &GeneratorOptions) -> Result<(), OptionsError> {
    fraction("user_agent_null_rate", o.user_agent_null_rate)?;
    fraction("ip_null_rate", o.ip_null_rate)?;
    fraction("ipv6_fraction", o.ipv6_fraction)?;
    fraction("referrer_null_rate", o.referrer_null_rate)?;
    within("cost_median", o.cost_median, 0.01, MAX_COST_MEDIAN)?;
    within("cost_spread", o.cost_spread, 0.0, MAX_COST_SPREAD)
}

fn check_faults(f: &FaultOptions) -> Result<(), OptionsError> {
    count("faults.late_by_ms", f.late_by_ms.into(), u32::MAX.into())?;
    count(
        "faults.out_of_order_max_ms",
        f.out_of_order_max_ms.into(),
        u32::MAX.into(),
    )?;
    let mut total = 0.0;
    for (field, value) in f.fractions() {
        fraction(field, value)?;
        total += value;
    }
    // A little slack so fractions that add to 1 on paper are not refused for rounding.
    if total > 1.0 + 1e-9 {
        return Err(OptionsError::FaultsOverOne { total });
    }
    Ok(())
}

fn fraction(field: &'static str, value: f64) -> Result<(), OptionsError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(OptionsError::NotAFraction { field, value })
    }
}

fn within(field: &'static str, value: f64, min: f64, max: f64) -> Result<(), OptionsError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(OptionsError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

fn count(field: &'static str, value: u64, max: u64) -> Result<(), OptionsError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(OptionsError::Count { field, value, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(change: impl FnOnce(&mut GeneratorOptions)) -> OptionsError {
        let mut options = GeneratorOptions::default();
        change(&mut options);
        match GeneratorConfig::new(options) {
            Ok(_) => panic!("options were accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults_are_valid() {
        assert!(GeneratorConfig::new(GeneratorOptions::default()).is_ok());
    }

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        let e = refused(|o| o.ip_null_rate = 1.5);
        assert_eq!(
            e,
            OptionsError::NotAFraction {
                field: "ip_null_rate",
                value: 1.5
            }
        );
        assert!(e.to_string().contains("ip_null_rate"));
        let e = refused(|o| o.faults.late = -0.1);
        assert!(matches!(
            e,
            OptionsError::NotAFraction {
                field: "faults.late",
                ..
            }
        ));
        let e = refused(|o| o.ipv6_fraction = f64::NAN);
        assert!(matches!(
            e,
            OptionsError::NotAFraction {
                field: "ipv6_fraction",
                ..
            }
        ));
        let e = refused(|o| o.traffic = TrafficCurve::Diurnal { depth: 2.0 });
        assert!(matches!(
            e,
            OptionsError::NotAFraction {
                field: "traffic.depth",
                ..
            }
        ));
    }

    #[test]
    fn zero_counts_are_refused() {
        for (field, change) in [
            (
                "creatives",
                (|o: &mut GeneratorOptions| o.creatives = 0) as fn(&mut _),
            ),
            ("placements", |o| o.placements = 0),
            ("impressions", |o| o.impressions = 0),
            ("faults.late_by_ms", |o| o.faults.late_by_ms = 0),
            ("faults.out_of_order_max_ms", |o| {
                o.faults.out_of_order_max_ms = 0
            }),
        ] {
            let e = refused(change);
            assert!(
                matches!(e, OptionsError::Count { field: f, value: 0, .. } if f == field),
                "{field}: {e}"
            );
        }
        let e = refused(|o| o.creatives = MAX_CATALOG + 1);
        assert!(matches!(
            e,
            OptionsError::Count {
                field: "creatives",
                ..
            }
        ));
    }

    #[test]
    fn reals_out_of_range_are_refused() {
        for (field, change) in [
            (
                "events_per_second",
                (|o: &mut GeneratorOptions| o.events_per_second = 0.0) as fn(&mut _),
            ),
            ("events_per_second", |o| o.events_per_second = f64::INFINITY),
            ("cost_median", |o| o.cost_median = -1.0),
            ("cost_spread", |o| o.cost_spread = f64::NAN),
            ("popularity_exponent", |o| o.popularity_exponent = -0.5),
        ] {
            let e = refused(change);
            assert!(
                matches!(e, OptionsError::OutOfRange { field: f, .. } if f == field),
                "{field}: {e}"
            );
        }
        assert_eq!(
            refused(|o| o.start_ms = -1),
            OptionsError::Start { value: -1 }
        );
    }

    #[test]
    fn fault_fractions_may_not_exceed_one_together() {
        let e = refused(|o| {
            o.faults.late = 0.6;
            o.faults.duplicate = 0.5;
        });
        assert!(matches!(e, OptionsError::FaultsOverOne { total } if (total - 1.1).abs() < 1e-12));
        let mut options = GeneratorOptions::default();
        options.faults.late = 0.5;
        options.faults.truncated = 0.5;
        assert!(GeneratorConfig::new(options).is_ok());
    }

    #[test]
    fn options_read_from_partial_json() {
        let options: GeneratorOptions = serde_json::from_str(
            r#"{"seed": 9, "traffic": {"shape": "diurnal", "depth": 0.5}, "faults": {"late": 0.1}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(options.seed, 9);
        assert_eq!(options.traffic, TrafficCurve::Diurnal { depth: 0.5 });
        assert_eq!(options.faults.late, 0.1);
        assert_eq!(options.creatives, GeneratorOptions::default().creatives);
    }

    #[test]
    fn unknown_option_names_are_refused() {
        let parsed = serde_json::from_str::<GeneratorOptions>(r#"{"seeed": 9}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn options_round_trip_through_json() {
        let options = GeneratorOptions {
            traffic: TrafficCurve::Diurnal { depth: 0.75 },
            faults: FaultOptions {
                duplicate: 0.01,
                ..FaultOptions::default()
            },
            ..GeneratorOptions::default()
        };
        let json = serde_json::to_string(&options).unwrap_or_else(|e| panic!("{e}"));
        let back: GeneratorOptions = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, options);
    }
}
