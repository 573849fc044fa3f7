//! Delivery latency percentiles in fixed memory: a log-linear histogram of microseconds.
//!
//! Values below 64 µs have a bucket each; above, every power of two is split into 32 buckets, so
//! a percentile is off by at most 1/32 (about 3 %) of its value. Recording is an index
//! computation and an increment, cheap enough for a delivery callback.

use std::time::Duration;

/// Buckets with one value each.
const EXACT: u64 = 64;
/// Buckets per power of two above [`EXACT`].
const SUB: u64 = 32;
/// Enough buckets for any `u64` of microseconds.
const BUCKETS: usize = (SUB as usize) * 60;

/// A histogram of durations.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    /// Counts one duration.
    pub fn record(&mut self, value: Duration) {
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        if let Some(count) = self.counts.get_mut(index(micros)) {
            *count += 1;
        }
        self.total += 1;
        self.max = self.max.max(micros);
    }

    /// How many durations were counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest duration counted.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.max)
    }

    /// The `q`-quantile (`0.5` is the median), within 3 %; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        // The rank of the wanted value, 1-based: at least the first, at most the last.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Duration::from_micros(upper(i).min(self.max)));
            }
        }
        Some(self.max())
    }

    /// Forgets everything counted.
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.total = 0;
        self.max = 0;
    }
}

/// The bucket of `micros`.
fn index(micros: u64) -> usize {
    if micros < EXACT {
        return micros as usize;
    }
    // The highest set bit is at 6 or above; keep the five bits after it.
    let high = 63 - u64::from(micros.leading_zeros());
    let shift = high - 5;
    let top = micros >> shift; // in SUB..2*SUB
    ((shift * SUB) + top) as usize
}

/// The largest value that falls in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let shift = i / SUB - 1;
    let top = i % SUB + SUB;
    // The last bucket ends at u64::MAX: work in u128 so its end does not wrap.
    let end = (u128::from(top + 1) << shift) - 1;
    u64::try_from(end).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn buckets_are_contiguous_and_cover_every_value() {
        let mut previous = 0;
        for micros in (0..200_000).chain([u64::MAX / 3, u64::MAX]) {
            let i = index(micros);
            assert!(i >= previous, "{micros}");
            assert!(i < BUCKETS, "{micros}");
            assert!(
                upper(i) >= micros,
                "{micros} above its bucket's top {}",
                upper(i)
            );
            previous = i;
        }
        for i in 1..BUCKETS {
            assert_eq!(index(upper(i - 1) + 1), i, "bucket {i}");
        }
    }

    #[test]
    fn percentiles_of_a_uniform_spread_are_within_three_percent() {
        let mut h = Histogram::default();
        for n in 1..=1_000 {
            h.record(ms(n));
        }
        let near = |q: f64, want: f64| {
            let got = h.quantile(q).map_or(0.0, |d| d.as_secs_f64() * 1e3);
            assert!((got - want).abs() <= want * 0.032, "q{q}: {got} vs {want}");
        };
        near(0.5, 500.0);
        near(0.99, 990.0);
        near(0.0, 1.0);
        assert_eq!(h.quantile(1.0), Some(ms(1_000)));
        assert_eq!(h.count(), 1_000);
        assert_eq!(h.max(), ms(1_000));
    }

    #[test]
    fn a_slow_tail_shows_in_p99_not_p50() {
        let mut h = Histogram::default();
        for _ in 0..985 {
            h.record(Duration::from_micros(40));
        }
        for _ in 0..15 {
            h.record(ms(250));
        }
        assert_eq!(h.quantile(0.5), Some(Duration::from_micros(40)));
        let p99 = h.quantile(0.99).unwrap_or_default();
        assert!(p99 >= ms(242) && p99 <= ms(250), "{p99:?}");
    }

    #[test]
    fn empty_and_cleared_have_no_percentiles() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        h.record(ms(3));
        assert!(h.quantile(0.5).is_some());
        h.clear();
        assert_eq!(
            (h.quantile(0.5), h.count(), h.max()),
            (None, 0, Duration::ZERO)
        );
    }
}
