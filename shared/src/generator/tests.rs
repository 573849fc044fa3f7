//! Behaviour of the whole generator, checked against counts the tests compute themselves.
//!
//! Statistical checks allow five standard deviations of the binomial (or the stated) spread:
//! loose enough never to flake for a fixed seed, tight enough to catch a wrong rate.

use super::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

fn config(options: GeneratorOptions) -> GeneratorConfig {
    GeneratorConfig::new(options).unwrap_or_else(|e| panic!("{e}"))
}

fn generate(options: GeneratorOptions, n: usize) -> Vec<Event> {
    Generator::new(config(options)).take(n).collect()
}

/// All click deliveries, first ones and duplicates alike.
fn clicks(events: &[Event]) -> impl Iterator<Item = &Click> {
    events.iter().filter_map(|e| match e {
        Event::Click { click, .. } | Event::Duplicate(click) => Some(click),
        Event::Poison(_) => None,
    })
}

fn faulty() -> GeneratorOptions {
    GeneratorOptions {
        faults: FaultOptions {
            late: 0.05,
            out_of_order: 0.06,
            duplicate: 0.04,
            wrong_magic: 0.01,
            unknown_schema_id: 0.015,
            truncated: 0.02,
            ..FaultOptions::default()
        },
        ..GeneratorOptions::default()
    }
}

/// `|observed − p| ≤ 5σ` for a binomial proportion over `n` trials.
fn assert_fraction(what: &str, hits: usize, n: usize, p: f64) {
    let observed = hits as f64 / n as f64;
    let sigma = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (observed - p).abs() <= 5.0 * sigma + 1e-9,
        "{what}: {observed} over {n}, expected {p} ± {}",
        5.0 * sigma
    );
}

fn is_hex_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 16
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[test]
fn same_seed_same_events_other_seed_other_events() {
    let a = generate(faulty(), 5_000);
    let b = generate(faulty(), 5_000);
    assert_eq!(a, b);
    let other = generate(
        GeneratorOptions {
            seed: 2,
            ..faulty()
        },
        5_000,
    );
    assert_ne!(a, other);
    let ids: HashSet<&str> = clicks(&a).map(|c| c.id.as_str()).collect();
    assert!(clicks(&other).all(|c| !ids.contains(c.id.as_str())));
}

#[test]
fn clones_continue_identically() {
    let mut a = Generator::new(config(faulty()));
    let _ = a.nth(777);
    let b = a.clone();
    assert!(a.take(500).eq(b.take(500)));
}

#[test]
fn click_ids_are_unique_and_look_like_ids() {
    let events = generate(faulty(), 50_000);
    let mut seen = HashSet::new();
    for event in &events {
        if let Event::Click { click, .. } = event {
            assert!(is_hex_id(&click.id, "clk-"), "{}", click.id);
            assert!(seen.insert(click.id.clone()), "{} repeated", click.id);
        }
    }
}

#[test]
fn clicks_refer_to_impressions_of_the_pool() {
    let options = GeneratorOptions {
        impressions: 3_000,
        ..faulty()
    };
    let generator = Generator::new(config(options));
    let pool: HashMap<String, Impression> =
        generator.impressions().map(|i| (i.id.clone(), i)).collect();
    assert_eq!(pool.len(), 3_000, "impression ids must be distinct");
    assert!(pool.keys().all(|id| is_hex_id(id, "imp-")));
    let events: Vec<Event> = generator.take(20_000).collect();
    let mut used = HashSet::new();
    for click in clicks(&events) {
        let Some(impression) = pool.get(&click.impression_id) else {
            panic!("{} is not in the pool", click.impression_id);
        };
        assert_eq!(click.creative_id, impression.creative_id);
        assert_eq!(click.placement_id, impression.placement_id);
        used.insert(&click.impression_id);
    }
    // 20k picks from 3k impressions leave almost none unused: clicks spread over the pool.
    assert!(used.len() > 2_900, "{} impressions used", used.len());
}

/// Clicks per creative, most clicked first.
fn creative_counts(options: GeneratorOptions) -> Vec<usize> {
    let events = generate(options, 50_000);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for click in clicks(&events) {
        *counts.entry(click.creative_id.as_str()).or_default() += 1;
    }
    let mut counts: Vec<usize> = counts.into_values().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    counts
}

#[test]
fn creative_popularity_is_skewed() {
    let counts = creative_counts(GeneratorOptions::default());
    let (top, median) = (counts[0], counts[counts.len() / 2]);
    assert!(top > 5 * median, "top {top}, median {median}");
    let top_tenth: usize = counts[..counts.len() / 10].iter().sum();
    assert!(
        top_tenth * 3 > 50_000,
        "top 10% of creatives get {top_tenth}"
    );
}

#[test]
fn exponent_zero_spreads_clicks_evenly() {
    let counts = creative_counts(GeneratorOptions {
        popularity_exponent: 0.0,
        ..GeneratorOptions::default()
    });
    assert_eq!(counts.len(), 50);
    let (top, bottom) = (counts[0], counts[49]);
    assert!(top * 2 < bottom * 3, "top {top}, bottom {bottom}");
}

#[test]
fn popular_values_vary_with_the_seed() {
    let favourite = |seed| {
        let events = generate(
            GeneratorOptions {
                seed,
                ..GeneratorOptions::default()
            },
            5_000,
        );
        let mut counts: HashMap<String, usize> = HashMap::new();
        for click in clicks(&events) {
            *counts.entry(click.creative_id.clone()).or_default() += 1;
        }
        counts.into_iter().max_by_key(|&(_, n)| n).map(|(id, _)| id)
    };
    let favourites: HashSet<Option<String>> = (1..6).map(favourite).collect();
    assert!(
        favourites.len() > 1,
        "the same creative wins under every seed"
    );
}

#[test]
fn null_rates_and_ipv6_fraction_hold() {
    let options = GeneratorOptions {
        user_agent_null_rate: 0.1,
        ip_null_rate: 0.2,
        ipv6_fraction: 0.35,
        referrer_null_rate: 0.3,
        ..GeneratorOptions::default()
    };
    let events = generate(options, 50_000);
    let n = events.len();
    let all: Vec<&Click> = clicks(&events).collect();
    assert_eq!(all.len(), n);
    let no_ua = all.iter().filter(|c| c.user_agent.is_none()).count();
    let no_referrer = all.iter().filter(|c| c.referrer.is_none()).count();
    let ips: Vec<&str> = all.iter().filter_map(|c| c.ip.as_deref()).collect();
    assert_fraction("user agent nulls", no_ua, n, 0.1);
    assert_fraction("referrer nulls", no_referrer, n, 0.3);
    assert_fraction("ip nulls", n - ips.len(), n, 0.2);
    let v6 = ips
        .iter()
        .filter(|ip| ip.parse::<Ipv6Addr>().is_ok())
        .count();
    let v4 = ips
        .iter()
        .filter(|ip| ip.parse::<Ipv4Addr>().is_ok())
        .count();
    assert_eq!(v4 + v6, ips.len(), "every address parses");
    assert_fraction("ipv6 share", v6, ips.len(), 0.35);
}

#[test]
fn zero_and_one_rates_are_exact() {
    let options = GeneratorOptions {
        user_agent_null_rate: 1.0,
        ip_null_rate: 0.0,
        ipv6_fraction: 1.0,
        referrer_null_rate: 0.0,
        ..GeneratorOptions::default()
    };
    for click in clicks(&generate(options, 2_000)) {
        assert_eq!(click.user_agent, None);
        assert!(click.referrer.is_some());
        let ip = click.ip.as_deref().unwrap_or_default();
        assert!(ip.parse::<Ipv6Addr>().is_ok(), "{ip}");
    }
}

#[test]
fn user_agents_are_plausible_and_skewed() {
    let events = generate(GeneratorOptions::default(), 20_000);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for ua in clicks(&events).filter_map(|c| c.user_agent.as_deref()) {
        assert!(ua.starts_with("Mozilla/5.0 ("), "{ua}");
        *counts.entry(ua).or_default() += 1;
    }
    assert!(counts.len() >= 10, "only {} user agents", counts.len());
    let (most, least) = (
        counts.values().max().copied().unwrap_or(0),
        counts.values().min().copied().unwrap_or(0),
    );
    assert!(most > 4 * least, "most {most}, least {least}");
    for referrer in clicks(&events).filter_map(|c| c.referrer.as_deref()) {
        assert!(referrer.starts_with("https://"), "{referrer}");
    }
}

#[test]
fn costs_are_positive_cents_around_the_median() {
    let (median, spread) = (2.0, 0.8);
    let options = GeneratorOptions {
        cost_median: median,
        cost_spread: spread,
        ..GeneratorOptions::default()
    };
    let events = generate(options, 50_000);
    let mut costs: Vec<f64> = clicks(&events).map(|c| f64::from(c.cost)).collect();
    for &cost in &costs {
        assert!(cost >= 0.01, "{cost}");
        let cents = cost * 100.0;
        assert!(
            (cents - cents.round()).abs() < 1e-3,
            "{cost} is not whole cents"
        );
    }
    costs.sort_by(f64::total_cmp);
    let observed = costs[costs.len() / 2];
    assert!((observed / median - 1.0).abs() < 0.03, "median {observed}");
    // Log-normal: P(cost > median · e^σ) = P(Z > 1) ≈ 0.1587.
    let above = costs.iter().filter(|&&c| c > median * spread.exp()).count();
    assert_fraction("costs above one σ", above, costs.len(), 0.158_655);
}

#[test]
fn zero_spread_makes_every_cost_the_median() {
    let options = GeneratorOptions {
        cost_median: 1.23,
        cost_spread: 0.0,
        ..GeneratorOptions::default()
    };
    assert!(clicks(&generate(options, 1_000)).all(|c| c.cost == 1.23));
}

#[test]
fn fault_fractions_hold() {
    let options = faulty();
    let f = options.faults.clone();
    let events = generate(options, 50_000);
    let n = events.len();
    let count = |pred: &dyn Fn(&Event) -> bool| events.iter().filter(|e| pred(e)).count();
    let late = count(&|e| {
        matches!(
            e,
            Event::Click {
                fault: Some(ClickFault::Late { .. }),
                ..
            }
        )
    });
    let ooo = count(&|e| {
        matches!(
            e,
            Event::Click {
                fault: Some(ClickFault::OutOfOrder { .. }),
                ..
            }
        )
    });
    assert_fraction("late", late, n, f.late);
    assert_fraction("out of order", ooo, n, f.out_of_order);
    assert_fraction(
        "duplicates",
        count(&|e| matches!(e, Event::Duplicate(_))),
        n,
        f.duplicate,
    );
    for (kind, p) in [
        (PoisonKind::WrongMagic, f.wrong_magic),
        (PoisonKind::UnknownSchemaId, f.unknown_schema_id),
        (PoisonKind::Truncated, f.truncated),
    ] {
        let hits = count(&|e| *e == Event::Poison(kind));
        assert_fraction(&format!("{kind:?}"), hits, n, p);
    }
}

#[test]
fn timestamps_follow_event_time_and_faults_move_them_back() {
    // 100 events/s: event i happens at start + 10·i ms exactly.
    let options = faulty();
    let (start, late_by, max_jitter) = (
        options.start_ms,
        i64::from(options.faults.late_by_ms),
        i64::from(options.faults.out_of_order_max_ms),
    );
    for (i, event) in generate(options, 20_000).iter().enumerate() {
        let due = start + 10 * i as i64;
        let Event::Click { click, fault } = event else {
            continue;
        };
        match fault {
            None => assert_eq!(click.timestamp, due, "event {i}"),
            Some(ClickFault::Late { by_ms }) => {
                assert_eq!(i64::from(*by_ms), late_by);
                assert_eq!(click.timestamp, due - late_by, "event {i}");
            }
            Some(ClickFault::OutOfOrder { by_ms }) => {
                let by = i64::from(*by_ms);
                assert!((1..=max_jitter).contains(&by), "jitter {by}");
                assert_eq!(click.timestamp, due - by, "event {i}");
            }
        }
    }
}

#[test]
fn duplicates_repeat_a_recent_click_exactly() {
    let events = generate(faulty(), 30_000);
    let mut first: HashMap<&str, (usize, &Click)> = HashMap::new();
    let mut fresh_seen = 0;
    for event in &events {
        match event {
            Event::Click { click, .. } => {
                first.insert(click.id.as_str(), (fresh_seen, click));
                fresh_seen += 1;
            }
            Event::Duplicate(click) => {
                let Some(&(at, original)) = first.get(click.id.as_str()) else {
                    panic!("duplicate {} of nothing produced before", click.id);
                };
                assert_eq!(click, original);
                assert!(
                    fresh_seen - at <= DUPLICATE_WINDOW,
                    "duplicate from too long ago"
                );
            }
            Event::Poison(_) => {}
        }
    }
}

#[test]
fn all_duplicates_repeat_the_one_first_click() {
    let mut options = GeneratorOptions::default();
    options.faults.duplicate = 1.0;
    let events = generate(options, 100);
    let Some(Event::Click {
        click: first,
        fault: None,
    }) = events.first()
    else {
        panic!(
            "the first event must be a fresh click: {:?}",
            events.first()
        );
    };
    assert!(events[1..]
        .iter()
        .all(|e| *e == Event::Duplicate(first.clone())));
}

#[test]
fn faults_do_not_change_what_the_clicks_are() {
    let ids = |options| {
        generate(options, 5_000)
            .into_iter()
            .filter_map(|e| match e {
                Event::Click { click, .. } => Some((click.id, click.impression_id, click.ip)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let clean = ids(GeneratorOptions::default());
    let faulted = ids(faulty());
    assert!(faulted.len() < clean.len());
    assert_eq!(faulted[..], clean[..faulted.len()]);
}

/// Cents of a cost as the test reads it: the nearest whole cent.
fn cents_of(click: &Click) -> u64 {
    (f64::from(click.cost) * 100.0).round() as u64
}

#[test]
fn manifest_matches_counts_taken_from_the_events() {
    let generator = Generator::new(config(faulty()));
    let mut builder = ManifestBuilder::new(generator.config());
    let events: Vec<Event> = generator.take(20_000).collect();
    for event in &events {
        builder.record(event);
    }
    let manifest = builder.finish();
    assert_eq!(manifest.options, faulty());
    assert_eq!(manifest.total_events, 20_000);

    let mut distinct = HashSet::new();
    let mut per_creative: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut per_minute: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    let mut per_placement: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut dups, mut late, mut ooo) = (Vec::new(), Vec::new(), Vec::new());
    let mut poison: BTreeMap<PoisonKind, Vec<u64>> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Click { click, fault } => {
                distinct.insert(click.id.as_str());
                let entry = per_creative.entry(&click.creative_id).or_default();
                entry.0 += 1;
                entry.1 += cents_of(click);
                let minute = per_minute.entry(click.timestamp - click.timestamp % 60_000);
                minute.or_default().0 += 1;
                *per_placement.entry(&click.placement_id).or_default() += 1;
                match fault {
                    Some(ClickFault::Late { .. }) => late.push(click.id.clone()),
                    Some(ClickFault::OutOfOrder { .. }) => ooo.push(click.id.clone()),
                    None => {}
                }
            }
            Event::Duplicate(click) => {
                let entry = per_creative.entry(&click.creative_id).or_default();
                entry.2 += 1;
                entry.3 += cents_of(click);
                per_minute
                    .entry(click.timestamp - click.timestamp % 60_000)
                    .or_default()
                    .1 += 1;
                dups.push(click.id.clone());
            }
            Event::Poison(kind) => poison.entry(*kind).or_default().push(i as u64),
        }
    }

    assert_eq!(manifest.totals.clicks, distinct.len() as u64);
    assert_eq!(
        manifest.totals.clicks + manifest.totals.duplicates + manifest.poison.total(),
        20_000
    );
    let creatives: BTreeMap<&str, (u64, u64, u64, u64)> = manifest
        .per_creative
        .iter()
        .map(|(id, t)| {
            (
                id.as_str(),
                (t.clicks, t.cost_cents, t.duplicates, t.duplicate_cost_cents),
            )
        })
        .collect();
    assert_eq!(creatives, per_creative);
    let minutes: BTreeMap<i64, (u64, u64)> = manifest
        .per_minute
        .iter()
        .map(|(&m, t)| (m, (t.clicks, t.duplicates)))
        .collect();
    assert_eq!(minutes, per_minute);
    let placements: BTreeMap<&str, u64> = manifest
        .per_placement
        .iter()
        .map(|(id, t)| (id.as_str(), t.clicks))
        .collect();
    assert_eq!(placements, per_placement);
    let total_cents: u64 = per_creative.values().map(|t| t.1).sum();
    assert_eq!(manifest.totals.cost_cents, total_cents);
    assert_eq!(manifest.duplicate_ids, dups);
    assert_eq!(manifest.late_ids, late);
    assert_eq!(manifest.out_of_order_ids, ooo);
    for kind in PoisonKind::ALL {
        assert_eq!(
            manifest.poison.of(kind),
            poison.get(&kind).map_or(&[][..], Vec::as_slice)
        );
    }
    assert!(!dups.is_empty() && !late.is_empty() && !ooo.is_empty() && poison.len() == 3);
}

#[test]
fn manifest_round_trips_through_json() {
    let generator = Generator::new(config(faulty()));
    let mut builder = ManifestBuilder::new(generator.config());
    for event in generator.take(3_000) {
        builder.record(&event);
    }
    let manifest = builder.finish();
    let json = serde_json::to_string(&manifest).unwrap_or_else(|e| panic!("{e}"));
    let back: Manifest = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, manifest);
    // Minutes are keyed by their start in ms, written as a JSON string.
    let first_minute = format!("\"{}\":{{\"clicks\":", faulty().start_ms);
    assert!(
        json.contains(&first_minute),
        "no {first_minute} in the JSON"
    );
}

#[test]
fn events_serialize_adjacently_tagged() {
    let json = serde_json::to_value(Event::Poison(PoisonKind::Truncated))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        json,
        serde_json::json!({"type": "poison", "data": "truncated"})
    );
    let late =
        serde_json::to_value(ClickFault::Late { by_ms: 5 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(late, serde_json::json!({"kind": "late", "by_ms": 5}));
}

#[test]
fn a_long_run_stays_consistent() {
    // Not timed: a smoke test that a large run works and keeps its invariants.
    let mut generator = Generator::new(config(faulty()));
    let mut builder = ManifestBuilder::new(generator.config());
    let mut last_clean = i64::MIN;
    for event in generator.by_ref().take(200_000) {
        if let Event::Click { click, fault: None } = &event {
            assert!(click.timestamp >= last_clean);
            last_clean = click.timestamp;
        }
        builder.record(&event);
    }
    let manifest = builder.finish();
    assert_eq!(manifest.total_events, 200_000);
    // 2,000 s of event time, and late clicks up to five minutes before the start.
    let (start, late_by) = (faulty().start_ms, i64::from(faulty().faults.late_by_ms));
    let minutes = (start - late_by - 60_000)..(start + 2_000_000);
    assert!(manifest.per_minute.keys().all(|m| minutes.contains(m)));
    assert!(generator.next().is_some(), "the sequence does not end");
}
