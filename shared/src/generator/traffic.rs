//! Event time: where each event falls, given the rate and the traffic curve.
//!
//! Events are evenly spaced at the current rate, so over a day the number of events is the
//! configured rate times the seconds elapsed, and per-minute counts are smooth. The clock keeps
//! its offset as an `f64` of milliseconds (exact for sums of centuries of sub-millisecond
//! spacings) and hands out whole milliseconds.

use super::options::TrafficCurve;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Relative traffic of each UTC hour of an ordinary day: a trough at 4 am, a lunch plateau and
/// an evening peak at 8 pm, about 8× the trough.
const DAY_PROFILE: [f64; 24] = [
    0.55, 0.38, 0.27, 0.21, 0.20, 0.26, 0.40, 0.62, 0.85, 1.02, 1.12, 1.20, //
    1.28, 1.26, 1.20, 1.16, 1.18, 1.26, 1.40, 1.55, 1.62, 1.50, 1.18, 0.82,
];

/// Hands out the event time of successive events.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    start_ms: i64,
    offset_ms: f64,
    spacing_ms: f64,
    /// Rate multiplier at the start of each hour, averaging 1; `None` for a flat curve.
    hourly: Option<[f64; 24]>,
}

impl Clock {
    /// A clock at `start_ms` ticking `events_per_second` on average (positive, checked).
    pub(crate) fn new(start_ms: i64, events_per_second: f64, curve: TrafficCurve) -> Self {
        Self {
            start_ms,
            offset_ms: 0.0,
            spacing_ms: 1000.0 / events_per_second,
            hourly: match curve {
                TrafficCurve::Flat => None,
                TrafficCurve::Diurnal { depth } => Some(hourly_multipliers(depth)),
            },
        }
    }

    /// Event time of the current event, in whole milliseconds.
    pub(crate) fn now(&self) -> i64 {
        // The offset is non-negative and `as` saturates, so this cannot wrap.
        self.start_ms.saturating_add(self.offset_ms as i64)
    }

    /// Moves on to the next event.
    pub(crate) fn tick(&mut self) {
        self.offset_ms += self.spacing_ms / self.multiplier(self.now());
    }

    /// The rate multiplier at `time_ms`, interpolated linearly between hour starts.
    fn multiplier(&self, time_ms: i64) -> f64 {
        let Some(hourly) = &self.hourly else {
            return 1.0;
        };
        let in_day = time_ms.rem_euclid(DAY_MS);
        let hour = (in_day / HOUR_MS) as usize;
        let fraction = (in_day % HOUR_MS) as f64 / HOUR_MS as f64;
        let next = hourly[(hour + 1) % 24];
        hourly[hour] + (next - hourly[hour]) * fraction
    }
}

/// `DAY_PROFILE` scaled to average 1, then blended with a flat line: `1 + depth · (w − 1)`.
///
/// With `depth` in `0..=1` every multiplier stays at least the profile's smallest (positive)
/// weight, so the spacing never divides by zero.
fn hourly_multipliers(depth: f64) -> [f64; 24] {
    let mean = DAY_PROFILE.iter().sum::<f64>() / 24.0;
    DAY_PROFILE.map(|w| 1.0 + depth * (w / mean - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_clock_spaces_events_evenly() {
        let mut clock = Clock::new(1_000, 4.0, TrafficCurve::Flat);
        let times: Vec<i64> = (0..5)
            .map(|_| {
                let t = clock.now();
                clock.tick();
                t
            })
            .collect();
        assert_eq!(times, [1_000, 1_250, 1_500, 1_750, 2_000]);
    }

    /// Events per UTC hour over `days` days at one event per second.
    fn hourly_counts(depth: f64, days: i64) -> [u64; 24] {
        let mut clock = Clock::new(0, 1.0, TrafficCurve::Diurnal { depth });
        let mut counts = [0u64; 24];
        while clock.now() < days * DAY_MS {
            counts[(clock.now().rem_euclid(DAY_MS) / HOUR_MS) as usize] += 1;
            clock.tick();
        }
        counts
    }

    #[test]
    fn diurnal_curve_keeps_the_daily_mean_and_moves_traffic_to_the_evening() {
        let counts = hourly_counts(1.0, 2);
        let total: u64 = counts.iter().sum();
        let expected = 2.0 * 86_400.0;
        assert!((total as f64 - expected).abs() < 0.01 * expected, "{total}");
        let (evening, night) = (counts[20], counts[4]);
        assert!(evening > 4 * night, "evening {evening}, night {night}");
    }

    #[test]
    fn zero_depth_is_flat() {
        let counts = hourly_counts(0.0, 1);
        assert!(counts.iter().all(|&c| c.abs_diff(3_600) <= 1), "{counts:?}");
    }
}
