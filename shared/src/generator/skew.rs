//! Zipf-like popularity: rank `k` (from 1) is drawn with weight `1 / k^s`.

use super::math;
use super::rng::Rng;

/// A table for drawing ranks `0..n` with Zipf weights, by binary search on the cumulative sum.
#[derive(Debug, Clone)]
pub(crate) struct Skewed {
    /// `cdf[i]` is the probability of drawing a rank `≤ i`; the last entry is 1.
    cdf: Vec<f64>,
}

impl Skewed {
    /// Ranks `0..n` with exponent `s` (0 is uniform; 1 is classic Zipf). `n` must be at least 1.
    pub(crate) fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for rank in 1..=n {
            total += math::powf(rank as f64, -s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Self { cdf }
    }

    /// A rank in `0..n`; rank 0 is the most likely.
    pub(crate) fn draw(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        let i = self.cdf.partition_point(|&c| c <= u);
        i.min(self.cdf.len().saturating_sub(1))
    }

    /// Probability of `rank`.
    #[cfg(test)]
    fn probability(&self, rank: usize) -> f64 {
        let below = if rank == 0 { 0.0 } else { self.cdf[rank - 1] };
        self.cdf[rank] - below
    }
}

/// `0..n` in an order shuffled by `rng` (Fisher–Yates), to map popularity ranks onto names.
pub(crate) fn shuffled(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::rng::Stream;

    #[test]
    fn weights_follow_the_power_law() {
        let table = Skewed::new(100, 1.0);
        let ratio = table.probability(0) / table.probability(9);
        assert!((ratio - 10.0).abs() < 1e-9, "{ratio}");
        let total: f64 = (0..100).map(|k| table.probability(k)).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn exponent_zero_is_uniform() {
        let table = Skewed::new(4, 0.0);
        for k in 0..4 {
            assert!((table.probability(k) - 0.25).abs() < 1e-12);
        }
    }

    #[test]
    fn draws_match_the_weights() {
        let table = Skewed::new(20, 1.2);
        let mut rng = Rng::new(3, Stream::Events, 0);
        let mut counts = [0u32; 20];
        let n = 100_000;
        for _ in 0..n {
            counts[table.draw(&mut rng)] += 1;
        }
        for (k, &count) in counts.iter().enumerate() {
            let expected = table.probability(k) * f64::from(n);
            let sd = expected.sqrt();
            assert!(
                (f64::from(count) - expected).abs() < 5.0 * sd + 1.0,
                "rank {k}"
            );
        }
    }

    #[test]
    fn one_rank_always_draws_it() {
        let table = Skewed::new(1, 1.0);
        let mut rng = Rng::new(3, Stream::Events, 0);
        assert!((0..100).all(|_| table.draw(&mut rng) == 0));
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = Rng::new(5, Stream::Catalog, 0);
        let mut order = shuffled(50, &mut rng);
        assert_ne!(order, (0..50).collect::<Vec<_>>());
        order.sort_unstable();
        assert_eq!(order, (0..50).collect::<Vec<_>>());
    }
}
