//! A token bucket holding the produce loop to `--rate` records per second.
//!
//! Tokens drip in at the rate and are capped at a twentieth of a second's worth, so after a
//! pause the loop may catch up by at most 50 ms of records and the long-run rate stays exact.
//! It starts with a single token: the first record goes at once and the rest follow at the rate.
//! Time is tokio's, so tests run it on paused time.

use std::time::Duration;
use tokio::time::Instant;

/// How much of a second's worth of tokens the bucket holds.
const BURST: f64 = 0.05;

/// Hands out one token per record at a fixed rate.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket for `rate` tokens per second (more than zero), holding one token now.
    pub fn new(rate: f64) -> Self {
        Self {
            rate,
            capacity: (rate * BURST).max(1.0),
            tokens: 1.0,
            last: Instant::now(),
        }
    }

    /// Takes a token if one is there at `now`; otherwise says how long until there is one.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / self.rate;
            Err(Duration::from_secs_f64(wait).max(Duration::from_micros(1)))
        }
    }

    /// Waits for a token and takes it. Cancel-safe: a token is only taken when this returns.
    pub async fn take(&mut self) {
        while let Err(wait) = self.try_take(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn holds_the_rate_exactly() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(100.0);
        for _ in 0..1_001 {
            bucket.take().await;
        }
        // The first token is there at once; 1,000 more take ten seconds.
        let took = start.elapsed().as_secs_f64();
        assert!((took - 10.0).abs() < 0.02, "{took}");
    }

    #[tokio::test(start_paused = true)]
    async fn fast_rates_are_held_despite_a_coarse_timer() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(50_000.0);
        for _ in 0..100_000 {
            bucket.take().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((took - 2.0).abs() < 0.01, "{took}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_allows_only_a_short_burst() {
        let mut bucket = TokenBucket::new(1_000.0);
        bucket.take().await;
        tokio::time::advance(Duration::from_secs(60)).await;
        let now = Instant::now();
        let burst = std::iter::from_fn(|| bucket.try_take(now).ok())
            .take(10_000)
            .count();
        assert_eq!(burst, 50, "a twentieth of a second's worth");
        assert_eq!(bucket.try_take(now), Err(Duration::from_millis(1)));
    }

    #[test]
    fn slow_rates_wait_for_whole_tokens() {
        let mut bucket = TokenBucket::new(0.5);
        let now = Instant::now();
        assert_eq!(bucket.try_take(now), Ok(()));
        assert_eq!(bucket.try_take(now), Err(Duration::from_secs(2)));
        let later = now + Duration::from_secs(1);
        assert_eq!(bucket.try_take(later), Err(Duration::from_secs(1)));
        assert_eq!(bucket.try_take(later + Duration::from_secs(1)), Ok(()));
    }
}
