//! `ln` and `exp` from IEEE basic arithmetic alone, so every platform computes the same bits.
//!
//! `f64::ln` and `f64::exp` call the platform's libm: glibc natively, a Rust port of musl in the
//! browser. Both are accurate, neither promises the other's last bit, and one differing bit can
//! move a cost across a cent or a timestamp across a millisecond. Addition, multiplication,
//! division, `sqrt`, `floor` and `round` are exactly specified by IEEE 754, so series built from
//! them are reproducible everywhere (Rust never fuses `a * b + c` on its own).

/// ln 2 split fdlibm's way: `LN2_HI` has trailing zero bits, so `k · LN2_HI` is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LOG2_E: f64 = std::f64::consts::LOG2_E;
const SQRT2: f64 = std::f64::consts::SQRT_2;
const MANTISSA: u64 = (1 << 52) - 1;
const EXP_BIAS: i64 = 1023;
const TWO_POW_54: f64 = 18_014_398_509_481_984.0;

/// Natural logarithm; `-inf` at zero, NaN below zero, a few ulps from the exact value elsewhere.
pub(crate) fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    let (m, e) = split(x);
    // ln m = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + …) with |s| ≤ 0.172, so twelve terms reach 1e-18.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut series = 0.0;
    for k in (0..12).rev() {
        series = series * s2 + 1.0 / f64::from(2 * k + 1);
    }
    let e = e as f64;
    e * LN2_HI + (e * LN2_LO + 2.0 * s * series)
}

/// `x = m · 2^e` with `m` in `[√½, √2)`; `x` positive and finite.
fn split(x: f64) -> (f64, i64) {
    // Subnormals have no implicit leading bit: scale them into the normal range first.
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * TWO_POW_54, -54)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - EXP_BIAS;
    let m = f64::from_bits((bits & MANTISSA) | ((EXP_BIAS as u64) << 52));
    if m > SQRT2 {
        (m * 0.5, e + 1 + bias)
    } else {
        (m, e + bias)
    }
}

/// `e^x`; overflows to `inf` and underflows to `0` where the exact value would.
pub(crate) fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.8 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    let k = (x * LOG2_E).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // |r| ≤ 0.35: the Taylor series to r¹⁶/16! is exact to well below an ulp.
    let mut series = 1.0;
    for n in (1..=16).rev() {
        series = 1.0 + series * r / f64::from(n);
    }
    scale(series, k as i32)
}

/// `y · 2^k`, in two steps when `2^k` alone is not a normal number.
fn scale(y: f64, k: i32) -> f64 {
    let pow2 = |k: i32| f64::from_bits(((i64::from(k) + EXP_BIAS) as u64) << 52);
    if (-1022..=1023).contains(&k) {
        y * pow2(k)
    } else {
        let half = k / 2;
        y * pow2(half) * pow2(k - half)
    }
}

/// `base^power` for a positive `base`.
pub(crate) fn powf(base: f64, power: f64) -> f64 {
    exp(power * ln(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(ours: f64, libm: f64) -> bool {
        (ours - libm).abs() <= 4.0 * f64::EPSILON * libm.abs().max(f64::MIN_POSITIVE)
    }

    #[test]
    fn ln_matches_libm_across_magnitudes() {
        let mut x = 1e-300;
        while x < 1e300 {
            let near_split = [SQRT2 * 0.999_999, SQRT2 * 1.000_001];
            for y in [x, x * 1.37, x * near_split[0], x * near_split[1], x * 1.999] {
                assert!(close(ln(y), y.ln()), "ln({y}) = {} vs {}", ln(y), y.ln());
            }
            x *= 7.3;
        }
        assert!(close(ln(5e-324), 5e-324f64.ln()));
    }

    #[test]
    fn ln_edges() {
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn exp_matches_libm_across_the_range() {
        // Down to -700 only: below that results are subnormal and lose relative precision.
        let mut x = -700.0;
        while x < 709.0 {
            assert!(
                close(exp(x), x.exp()),
                "exp({x}) = {} vs {}",
                exp(x),
                x.exp()
            );
            x += 0.731;
        }
        for x in [0.0, 1e-12, -1e-12, 0.5, -0.5, 1.0, 2.3] {
            assert!(close(exp(x), x.exp()), "exp({x})");
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(800.0), f64::INFINITY);
        assert_eq!(exp(-800.0), 0.0);
    }

    #[test]
    fn powf_matches_libm() {
        for base in [1.0, 2.0, 3.0, 17.0, 1000.0, 99_999.0] {
            for power in [-3.0, -1.07, -0.5, 0.0, 1.0, 2.5] {
                let libm = f64::powf(base, power);
                let tolerance = 64.0 * f64::EPSILON * libm;
                assert!(
                    (powf(base, power) - libm).abs() <= tolerance,
                    "{base}^{power}"
                );
            }
        }
    }
}
