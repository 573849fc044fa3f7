//! The generator's pseudo-random numbers: xoshiro256** seeded through splitmix64.
//!
//! Written out here rather than taken from `rand` so the stream is fixed by this file alone:
//! the same seed gives the same numbers natively and in the browser, today and after any
//! dependency upgrade. Only integer arithmetic, IEEE basic operations and [`super::math`] are
//! used, so the floating-point draws are reproducible too.

use super::math;

/// One step of splitmix64's output function: a bijection on `u64` that mixes every bit.
///
/// Being a bijection, distinct inputs give distinct outputs, which is what makes the ids built
/// from it unique.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// Named, independent streams drawn from one seed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    /// Event kinds and fault offsets, in sequence order.
    Events = 1,
    /// The fields of click number `n`.
    Click = 2,
    /// The creative and placement of impression number `n`.
    Impression = 3,
    /// Key of the click-id permutation.
    ClickIds = 4,
    /// Key of the impression-id permutation.
    ImpressionIds = 5,
    /// Shuffles of creative and placement names over popularity ranks.
    Catalog = 6,
}

/// Key derived from `seed` for `stream` and item `index`; different inputs almost never collide.
pub(crate) fn key(seed: u64, stream: Stream, index: u64) -> u64 {
    let tagged = mix64(seed ^ (stream as u64).wrapping_mul(GOLDEN_GAMMA));
    mix64(tagged.wrapping_add(mix64(index.wrapping_add(GOLDEN_GAMMA))))
}

/// xoshiro256** (Blackman and Vigna): fast, small state, passes BigCrush.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for item `index` of `stream` under `seed`.
    pub(crate) fn new(seed: u64, stream: Stream, index: u64) -> Self {
        let mut state = key(seed, stream, index);
        let mut next = || {
            state = state.wrapping_add(GOLDEN_GAMMA);
            mix64(state)
        };
        // splitmix64 never yields four zeros in a row, the one state xoshiro must avoid.
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.s;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` on a grid of 2⁻⁵³.
    pub(crate) fn unit(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// `true` with probability `p` (never for 0, always for 1).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2⁻³² for `n` < 2³²).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A standard normal draw by Marsaglia's polar method, which needs `ln` and `sqrt` but no
    /// trigonometry (whose last bits differ between libms).
    pub(crate) fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.unit() - 1.0;
            let v = 2.0 * self.unit() - 1.0;
            let s = u * u + v * v;
            // Accepted with probability π/4, so the loop ends after 1.27 rounds on average.
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * math::ln(s) / s).sqrt();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_the_reference_implementation() {
        // The reference C code started from state {1, 2, 3, 4} gives these first outputs.
        let mut rng = Rng { s: [1, 2, 3, 4] };
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(first, [11520, 0, 1509978240]);
    }

    #[test]
    fn mix64_matches_splitmix64_reference() {
        // splitmix64 seeded with 0 first outputs mix64(0x9e3779b97f4a7c15).
        assert_eq!(mix64(GOLDEN_GAMMA), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn streams_differ() {
        let a = Rng::new(1, Stream::Click, 0).next_u64();
        let b = Rng::new(1, Stream::Click, 1).next_u64();
        let c = Rng::new(1, Stream::Impression, 0).next_u64();
        let d = Rng::new(2, Stream::Click, 0).next_u64();
        assert!(a != b && a != c && a != d && b != c);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(7, Stream::Events, 0);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            let i = rng.below(10);
            assert!(i < 10);
            seen[i as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (850..1150).contains(&n)), "{seen:?}");
    }

    #[test]
    fn normal_has_zero_mean_and_unit_variance() {
        let mut rng = Rng::new(9, Stream::Events, 0);
        let n = 50_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = draws.iter().sum::<f64>() / f64::from(n);
        let var = draws.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f64::from(n);
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.03, "variance {var}");
    }
}
