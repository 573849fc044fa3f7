//! End-to-end latency of the streaming job, from Kafka's record timestamps and the times the
//! bridge saw window totals: a record counts as seen once the clicks in all windows add up to
//! at least its position. With one partition and no late clicks, the windows' total after a
//! micro-batch is exactly the number of records read so far, so this is the time from a
//! record's append to the moment its window result reached the bridge.

/// When the windows' total reached a value: `(ms since the epoch, clicks in all windows)`.
pub type Sample = (i64, u64);

/// Latency in ms of each record `i` (appended at `appended[i]`, ms since the epoch), whose
/// position in the stream is `first + i + 1`; records never seen are left out. `samples` may
/// come in any order.
pub fn per_record(samples: &[Sample], appended: &[i64], first: u64) -> Vec<i64> {
    let mut samples = samples.to_vec();
    samples.sort_by_key(|&(at, total)| (total, at));
    // The earliest time each total or more was seen: a running minimum from the largest total.
    let mut earliest = vec![i64::MAX; samples.len()];
    let mut best = i64::MAX;
    for (i, &(at, _)) in samples.iter().enumerate().rev() {
        best = best.min(at);
        earliest[i] = best;
    }
    let mut out = Vec::with_capacity(appended.len());
    for (i, &t) in appended.iter().enumerate() {
        let position = first + i as u64 + 1;
        let k = samples.partition_point(|&(_, total)| total < position);
        if let Some(&seen) = earliest.get(k) {
            out.push(seen - t);
        }
    }
    out
}

/// The `p`-th percentile (0–100) of `values`, nearest rank.
pub fn percentile(values: &mut [i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values.get(rank.clamp(1, values.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_seen_when_the_total_first_covers_it() {
        let samples = [(1_500, 2), (1_000, 1), (3_000, 5)];
        let appended = [900, 950, 1_000, 1_100, 1_200, 1_300];
        assert_eq!(
            per_record(&samples, &appended, 0),
            vec![100, 550, 2_000, 1_900, 1_800]
        );
        // Positions after a warm-up of 3 records.
        assert_eq!(per_record(&samples, &[2_500, 2_600], 3), vec![500, 400]);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&mut v, 50.0), Some(50));
        assert_eq!(percentile(&mut v, 99.0), Some(99));
        assert_eq!(percentile(&mut [], 50.0), None);
    }
}
