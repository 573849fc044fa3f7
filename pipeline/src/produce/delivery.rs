//! Delivery reports: the producer context that librdkafka's polling thread calls once per record
//! with its fate, and the counters it keeps for progress lines and the final summary.
//!
//! Each record carries, as its delivery opaque, the microsecond (since the run started) at which
//! it was handed to librdkafka, so latency costs no allocation per record.

use super::latency::Histogram;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Counters shared by the produce loop, the delivery callback and the progress reporter.
#[derive(Debug)]
pub struct Stats {
    start: Instant,
    sent: AtomicU64,
    acknowledged: AtomicU64,
    failed: AtomicU64,
    latency: Mutex<Latencies>,
    first_error: OnceLock<String>,
    /// Signalled on every delivery report: the queue has room again.
    pub room: Notify,
}

#[derive(Debug, Default)]
struct Latencies {
    /// Since the last progress line.
    window: Histogram,
    /// The whole run.
    total: Histogram,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Records librdkafka accepted.
    pub sent: u64,
    /// Records the brokers acknowledged.
    pub acknowledged: u64,
    /// Records that failed for good.
    pub failed: u64,
}

/// Delivery latency percentiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// Median.
    pub p50: Option<Duration>,
    /// 99th percentile.
    pub p99: Option<Duration>,
    /// Slowest.
    pub max: Option<Duration>,
}

impl Percentiles {
    fn of(h: &Histogram) -> Self {
        Self {
            p50: h.quantile(0.5),
            p99: h.quantile(0.99),
            max: (h.count() > 0).then(|| h.max()),
        }
    }
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// Counters starting now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            sent: AtomicU64::new(0),
            acknowledged: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            latency: Mutex::new(Latencies::default()),
            first_error: OnceLock::new(),
            room: Notify::new(),
        }
    }

    /// The delivery opaque for a record handed over now.
    pub fn stamp(&self) -> usize {
        usize::try_from(self.start.elapsed().as_micros()).unwrap_or(usize::MAX)
    }

    /// Counts a record librdkafka accepted.
    pub fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as they are now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            sent: self.sent.load(Ordering::Relaxed),
            acknowledged: self.acknowledged.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// Percentiles since the last call, then starts a new window.
    pub fn take_window(&self) -> Percentiles {
        match self.latency.lock() {
            Ok(mut l) => {
                let p = Percentiles::of(&l.window);
                l.window.clear();
                p
            }
            Err(_) => Percentiles::default(),
        }
    }

    /// Percentiles of the whole run.
    pub fn total(&self) -> Percentiles {
        self.latency
            .lock()
            .map(|l| Percentiles::of(&l.total))
            .unwrap_or_default()
    }

    /// The first delivery error, as librdkafka put it.
    pub fn first_error(&self) -> Option<String> {
        self.first_error.get().cloned()
    }

    fn delivered(&self, sent_at_us: usize) {
        self.acknowledged.fetch_add(1, Ordering::Relaxed);
        let now = self.start.elapsed();
        let sent_at = Duration::from_micros(sent_at_us as u64);
        let latency = now.saturating_sub(sent_at);
        if let Ok(mut l) = self.latency.lock() {
            l.window.record(latency);
            l.total.record(latency);
        }
    }

    fn lost(&self, reason: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let _ = self.first_error.set(reason);
    }
}

/// The producer's context: counts each delivery report into [`Stats`].
#[derive(Debug, Clone)]
pub struct Reports(pub std::sync::Arc<Stats>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_at_us: usize) {
        match result {
            Ok(_) => self.0.delivered(sent_at_us),
            Err((error, _)) => self.0.lost(error.to_string()),
        }
        self.0.room.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_first_error_are_kept() {
        let stats = Stats::new();
        stats.sent();
        stats.sent();
        stats.delivered(0);
        stats.lost("broker said no".into());
        stats.lost("second reason".into());
        assert_eq!(
            stats.snapshot(),
            Snapshot {
                sent: 2,
                acknowledged: 1,
                failed: 2
            }
        );
        assert_eq!(stats.first_error().as_deref(), Some("broker said no"));
        assert!(stats.take_window().p50.is_some());
        assert_eq!(stats.take_window(), Percentiles::default());
        assert!(stats.total().p99.is_some());
    }
}
