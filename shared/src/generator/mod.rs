//! A seeded generator of realistic ad clicks, with faults injected on request, and the manifest
//! that records what it produced.
//!
//! It lives in `shared` so the bridge can produce with it and the browser can preview the very
//! same events. Everything it draws comes from a built-in xoshiro256** and from `ln`/`exp`
//! written with basic arithmetic only, so the same seed and options give the same events, bit
//! for bit, on every platform.
//!
//! ```
//! use shared::generator::{Event, Generator, GeneratorConfig, GeneratorOptions, ManifestBuilder};
//!
//! let config = GeneratorConfig::new(GeneratorOptions { seed: 7, ..Default::default() })?;
//! let mut manifest = ManifestBuilder::new(&config);
//! for event in Generator::new(config).take(1_000) {
//!     manifest.record(&event);
//!     if let Event::Click { click, .. } = &event {
//!         assert!(click.id.starts_with("clk-"));
//!     }
//! }
//! assert_eq!(manifest.finish().total_events, 1_000);
//! # Ok::<(), shared::generator::OptionsError>(())
//! ```
//!
//! # How events are chosen
//!
//! For each event one uniform draw picks its kind: each fault fraction of [`FaultOptions`] owns a
//! slice of `[0, 1)` and the rest is clean clicks, so the fractions are fractions of all events.
//! Event time advances once per event of any kind, evenly spaced at the traffic curve's current
//! rate. A duplicate re-delivers one of the last [`DUPLICATE_WINDOW`] fresh clicks unchanged, as
//! a producer retry would; when no click has been produced yet, that event is a clean click
//! instead.

mod catalog;
mod clicks;
mod manifest;
mod math;
mod options;
mod poison;
mod rng;
mod skew;
mod traffic;

#[cfg(test)]
mod tests;

pub use clicks::Impression;
pub use manifest::{Manifest, ManifestBuilder, PoisonPills, SequenceRange, Tally};
pub use options::{
    FaultOptions, GeneratorConfig, GeneratorOptions, OptionsError, TrafficCurve, MAX_CATALOG,
    MAX_COST_MEDIAN, MAX_COST_SPREAD, MAX_EXPONENT, MAX_START_MS, RATE_RANGE,
};
pub use poison::{poison, PoisonError, PoisonKind, WRONG_MAGIC};

use crate::Click;
use clicks::ClickMaker;
use rng::{Rng, Stream};
use serde::{Deserialize, Serialize};
use traffic::Clock;

/// Clicks per second of event time in the page's produce runs: slow enough that the 1,000
/// clicks of the workshop's step 2 span 50 s of event time, so a second run of as many carries
/// the watermark (30 s behind) past the end of the first one-minute window.
pub const PAGE_EVENTS_PER_SECOND: f64 = 20.0;

/// How many of the most recent fresh clicks a duplicate may repeat.
pub const DUPLICATE_WINDOW: usize = 256;

/// One record the generator asks to be produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// A click delivered for the first time; its id has not been seen before.
    Click {
        /// The click.
        click: Click,
        /// The timestamp fault it carries, if any.
        fault: Option<ClickFault>,
    },
    /// A click delivered again: equal in every field to an earlier [`Event::Click`].
    Duplicate(Click),
    /// Bytes that are not a valid record; the producer makes them with [`poison()`].
    Poison(PoisonKind),
}

/// How a click's timestamp was moved back from the event time it was produced at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClickFault {
    /// Moved back by [`FaultOptions::late_by_ms`], typically beyond a stream's watermark.
    Late {
        /// Milliseconds moved back.
        by_ms: u32,
    },
    /// Moved back by a little, so it arrives after events that happened later.
    OutOfOrder {
        /// Milliseconds moved back, `1..=`[`FaultOptions::out_of_order_max_ms`].
        by_ms: u32,
    },
}

/// What the next event will be, before it is built.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Poison(PoisonKind),
    Duplicate,
    Late,
    OutOfOrder,
    Clean,
}

/// The kinds owning the slices of `[0, 1)`, in the order of [`FaultOptions::fractions`].
const FAULT_KINDS: [Kind; 6] = [
    Kind::Poison(PoisonKind::WrongMagic),
    Kind::Poison(PoisonKind::UnknownSchemaId),
    Kind::Poison(PoisonKind::Truncated),
    Kind::Duplicate,
    Kind::Late,
    Kind::OutOfOrder,
];

/// The endless, deterministic sequence of events for one [`GeneratorConfig`]; take as many as
/// needed. Each event costs only the strings of its click.
#[derive(Debug, Clone)]
pub struct Generator {
    config: GeneratorConfig,
    maker: ClickMaker,
    rng: Rng,
    clock: Clock,
    /// Upper ends of each fault's slice of `[0, 1)`, in the order of [`FAULT_KINDS`].
    thresholds: [f64; 6],
    next_click: u64,
    recent: Recent,
}

impl Generator {
    /// Starts the sequence at its first event.
    pub fn new(config: GeneratorConfig) -> Self {
        let o = config.options();
        let mut upper = 0.0;
        let thresholds = o.faults.fractions().map(|(_, fraction)| {
            upper += fraction;
            upper
        });
        Self {
            maker: ClickMaker::new(o),
            rng: Rng::new(o.seed, Stream::Events, 0),
            clock: Clock::new(o.start_ms, o.events_per_second, o.traffic),
            thresholds,
            next_click: 0,
            recent: Recent::default(),
            config,
        }
    }

    /// The configuration this sequence follows.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The impression pool: every impression a click may refer to, in pool order.
    pub fn impressions(&self) -> impl Iterator<Item = Impression> + '_ {
        (0..self.maker.pool_size()).map(|i| self.maker.impression(i))
    }

    fn next_kind(&mut self) -> Kind {
        let u = self.rng.unit();
        self.thresholds
            .iter()
            .zip(FAULT_KINDS)
            .find_map(|(&upper, kind)| (u < upper).then_some(kind))
            .unwrap_or(Kind::Clean)
    }

    fn fresh(&mut self, fault: Option<ClickFault>) -> Event {
        let back = match fault {
            Some(ClickFault::Late { by_ms } | ClickFault::OutOfOrder { by_ms }) => by_ms,
            None => 0,
        };
        let timestamp = self.clock.now().saturating_sub(back.into());
        let n = self.next_click;
        self.next_click += 1;
        self.recent.push(n, timestamp);
        Event::Click {
            click: self.maker.click(n, timestamp),
            fault,
        }
    }

    fn duplicate(&mut self) -> Event {
        let pick = self.rng.below(self.recent.len() as u64) as usize;
        match self.recent.get(pick) {
            Some((n, timestamp)) => Event::Duplicate(self.maker.click(n, timestamp)),
            None => self.fresh(None),
        }
    }

    fn out_of_order(&mut self) -> ClickFault {
        let max = self.config.options().faults.out_of_order_max_ms;
        // `below(max)` is under `max`, which is a u32, so the sum fits.
        let by_ms = 1 + self.rng.below(max.into()) as u32;
        ClickFault::OutOfOrder { by_ms }
    }
}

impl Iterator for Generator {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let event = match self.next_kind() {
            Kind::Poison(kind) => Event::Poison(kind),
            Kind::Duplicate => self.duplicate(),
            Kind::Late => {
                let by_ms = self.config.options().faults.late_by_ms;
                self.fresh(Some(ClickFault::Late { by_ms }))
            }
            Kind::OutOfOrder => {
                let fault = self.out_of_order();
                self.fresh(Some(fault))
            }
            Kind::Clean => self.fresh(None),
        };
        self.clock.tick();
        Some(event)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// The last [`DUPLICATE_WINDOW`] fresh clicks as (click number, timestamp): enough to rebuild
/// them, with no allocation.
#[derive(Debug, Clone)]
struct Recent {
    slots: [(u64, i64); DUPLICATE_WINDOW],
    len: usize,
    next: usize,
}

impl Default for Recent {
    fn default() -> Self {
        Self {
            slots: [(0, 0); DUPLICATE_WINDOW],
            len: 0,
            next: 0,
        }
    }
}

impl Recent {
    fn push(&mut self, n: u64, timestamp: i64) {
        if let Some(slot) = self.slots.get_mut(self.next) {
            *slot = (n, timestamp);
        }
        self.next = (self.next + 1) % DUPLICATE_WINDOW;
        self.len = (self.len + 1).min(DUPLICATE_WINDOW);
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The `i`-th remembered click (any order), if `i < len`.
    fn get(&self, i: usize) -> Option<(u64, i64)> {
        if i < self.len {
            self.slots.get(i).copied()
        } else {
            None
        }
    }
}
