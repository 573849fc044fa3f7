//! Delivery reports: the producer context that librdkafka's polling thread calls once per record
//! with its fate, and the counters it keeps for progress lines and the final summary.
//!
//! Each record carries, as its delivery opaque, its sequence number in the run and the
//! microsecond (since the run started) at which it was handed to librdkafka, packed into one
//! word, so latency and the positions of lost records cost no allocation per record.

use super::latency::Histogram;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::ClientContext;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The low 32 bits of an opaque.
const LOW: u64 = 0xFFFF_FFFF;

/// Counters shared by the produce loop, the delivery callback and the progress reporter.
#[derive(Debug)]
pub struct Stats {
    start: Instant,
    sent: AtomicU64,
    acknowledged: AtomicU64,
    failed: AtomicU64,
    latency: Mutex<Latencies>,
    first_error: OnceLock<String>,
    /// Sequence numbers of the records that failed for good, in report order.
    lost: Mutex<Vec<u64>>,
    /// Signalled on every delivery report: the queue has room again.
    pub room: Notify,
    /// Whether the idempotent producer holds its producer id, as its statistics last said.
    ready: AtomicBool,
    /// Signalled when `ready` turns true.
    became_ready: Notify,
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
            lost: Mutex::new(Vec::new()),
            room: Notify::new(),
            ready: AtomicBool::new(false),
            became_ready: Notify::new(),
        }
    }

    /// Waits until the idempotent producer holds its producer id, or `limit` passes: until then
    /// librdkafka sends nothing, and a record handed over meanwhile waits in its queue. Whether
    /// it became ready is returned; not being ready only costs the first records some latency.
    pub async fn ready(&self, limit: Duration) -> bool {
        let waiting = async {
            loop {
                let signalled = self.became_ready.notified();
                if self.ready.load(Ordering::Acquire) {
                    return;
                }
                signalled.await;
            }
        };
        tokio::time::timeout(limit, waiting).await.is_ok()
    }

    /// Reads a statistics report of librdkafka (JSON) for the idempotent producer's state.
    fn statistics(&self, json: &[u8]) {
        if !self.ready.load(Ordering::Relaxed) && holds_producer_id(json) {
            self.ready.store(true, Ordering::Release);
            self.became_ready.notify_waiters();
        }
    }

    /// The delivery opaque for the next record, handed over now: its sequence number in the run
    /// (the records accepted before it) in the high 32 bits, the microsecond in the low 32 (which
    /// wrap every 71 minutes; a latency is their wrapping difference). Runs of more than 2³²
    /// records wrap the sequence numbers of lost records too.
    pub fn stamp(&self) -> usize {
        let seq = self.sent.load(Ordering::Relaxed) & LOW;
        (seq << 32 | self.micros()) as usize
    }

    fn micros(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX) & LOW
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

    fn delivered(&self, opaque: usize) {
        self.acknowledged.fetch_add(1, Ordering::Relaxed);
        let sent_at = opaque as u64 & LOW;
        let latency = Duration::from_micros(self.micros().wrapping_sub(sent_at) & LOW);
        if let Ok(mut l) = self.latency.lock() {
            l.window.record(latency);
            l.total.record(latency);
        }
    }

    fn lost(&self, opaque: usize, reason: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut lost) = self.lost.lock() {
            lost.push(opaque as u64 >> 32);
        }
        let _ = self.first_error.set(reason);
    }

    /// The sequence numbers of the records that failed for good, as sorted ranges.
    pub fn lost_ranges(&self) -> Vec<RangeInclusive<u64>> {
        let mut seqs = self.lost.lock().map(|l| l.clone()).unwrap_or_default();
        seqs.sort_unstable();
        seqs.dedup();
        let mut ranges: Vec<RangeInclusive<u64>> = Vec::new();
        for seq in seqs {
            match ranges.last_mut() {
                Some(last) if *last.end() + 1 == seq => *last = *last.start()..=seq,
                _ => ranges.push(seq..=seq),
            }
        }
        ranges
    }
}

/// The producer's context: counts each delivery report into [`Stats`].
#[derive(Debug, Clone)]
pub struct Reports(pub std::sync::Arc<Stats>);

impl ClientContext for Reports {
    fn stats_raw(&self, statistics: &[u8]) {
        self.0.statistics(statistics);
    }
}

/// Whether a statistics report says the idempotent producer has been assigned its id
/// (`"eos": {"idemp_state": "Assigned", …}`).
fn holds_producer_id(json: &[u8]) -> bool {
    const KEY: &[u8] = br#""idemp_state""#;
    let Some(at) = json.windows(KEY.len()).position(|w| w == KEY) else {
        return false;
    };
    let value = json.get(at + KEY.len()..).unwrap_or_default();
    let value = value
        .trim_ascii_start()
        .strip_prefix(b":")
        .unwrap_or_default();
    value.trim_ascii_start().starts_with(br#""Assigned""#)
}

impl ProducerContext for Reports {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        match result {
            Ok(_) => self.0.delivered(opaque),
            Err((error, _)) => self.0.lost(opaque, error.to_string()),
        }
        self.0.room.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ready_once_the_statistics_show_a_producer_id() {
        let stats = Stats::new();
        // librdkafka writes `"idemp_state": "…"` with a space.
        stats.statistics(br#"{"eos": { "idemp_state": "WaitTransport", "producer_id": -1}}"#);
        assert!(!stats.ready(Duration::from_millis(20)).await);
        stats.statistics(br#"{"eos": { "idemp_state": "Assigned", "producer_id": 4}}"#);
        assert!(stats.ready(Duration::from_secs(5)).await);
        assert!(holds_producer_id(br#"{"idemp_state":"Assigned"}"#));
        assert!(!holds_producer_id(br#"{"idemp_state": "DrainBump"}"#));
    }

    #[test]
    fn counts_and_first_error_are_kept() {
        let stats = Stats::new();
        stats.sent();
        stats.sent();
        stats.delivered(0);
        stats.lost(0, "broker said no".into());
        stats.lost(1 << 32, "second reason".into());
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

    #[test]
    fn lost_records_are_told_by_their_sequence_ranges() {
        let stats = Stats::new();
        let mut opaques = Vec::new();
        for _ in 0..10 {
            opaques.push(stats.stamp());
            stats.sent();
        }
        for seq in [7, 2, 3, 9, 4, 8] {
            stats.lost(opaques[seq], "timed out".into());
        }
        stats.delivered(opaques[0]);
        assert_eq!(stats.lost_ranges(), vec![2..=4, 7..=9]);
        assert_eq!(stats.snapshot().failed, 6);
    }

    #[test]
    fn a_latency_survives_the_microsecond_counter_wrapping() {
        let stats = Stats::new();
        // Handed over 1 ms before the counter wrapped, reported 2 ms after it: 3 ms.
        let sent = LOW - 999;
        let now_after_wrap = 2_000u64;
        assert_eq!(now_after_wrap.wrapping_sub(sent) & LOW, 3_000);
        stats.delivered(stats.stamp());
        assert!(stats
            .total()
            .max
            .is_some_and(|m| m < Duration::from_secs(1)));
    }
}
