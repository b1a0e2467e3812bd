//! Statistics across replicates: means, 95% Student t confidence intervals,
//! and paired differences, for `scorelab sweep` and `scorelab compare`.
//!
//! The t quantile is computed, not looked up: the Student t distribution
//! function is written with the regularized incomplete beta function
//! (continued fraction, Numerical Recipes §6.4) and inverted by bisection,
//! which is exact to far below the digits printed. Formulas: `docs/sweeps.md`.

use scorelab_engine::special::incomplete_beta;
use serde::Serialize;

/// The confidence level of every interval printed.
pub const LEVEL: f64 = 0.95;

/// P(T <= t) for Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (`df > 0`,
/// `0 < p < 1`): the t with P(T <= t) = p. NaN outside that domain.
///
/// t_{0.975, 1} = 12.706, t_{0.975, 4} = 2.776, t_{0.975, 29} = 2.045; it
/// tends to the normal quantile 1.960 as df grows.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    let mut hi = 1.0;
    while t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    // Bisection: 200 halvings take any bracket below one ulp.
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The mean of values across replicates and its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Number of values (replicates).
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (n − 1 in the denominator); NaN for n < 2.
    pub sd: f64,
    /// Half the width of the 95% interval, t_{0.975, n−1} · sd / √n; NaN for n < 2.
    pub half_width: f64,
    /// mean − half_width.
    pub low: f64,
    /// mean + half_width.
    pub high: f64,
}

/// The mean of `values` with its 95% Student t interval.
pub fn interval(values: &[f64]) -> Interval {
    let n = values.len();
    let mean = if n == 0 { f64::NAN } else { values.iter().sum::<f64>() / n as f64 };
    let (sd, half_width) = if n < 2 {
        (f64::NAN, f64::NAN)
    } else {
        let var = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        (sd, t_quantile(0.5 + LEVEL / 2.0, (n - 1) as f64) * sd / (n as f64).sqrt())
    };
    Interval { n, mean, sd, half_width, low: mean - half_width, high: mean + half_width }
}

/// The mean paired difference `b − a` (pairs in order) with its 95% paired t
/// interval. Panics never: extra values of the longer slice are ignored.
pub fn paired(a: &[f64], b: &[f64]) -> Interval {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    interval(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, y: f64, tol: f64) -> bool {
        (x - y).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_the_published_table() {
        // Two-sided 95% critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), to 3 decimals.
        let table =
            [(1.0, 12.706), (2.0, 4.303), (3.0, 3.182), (4.0, 2.776), (9.0, 2.262), (29.0, 2.045), (100.0, 1.984)];
        for (df, t) in table {
            let q = t_quantile(0.975, df);
            assert!(close(q, t, 5e-4), "t_(0.975, {df}) = {q}, expected {t}");
        }
        // Closed forms: df 1 is Cauchy, df 2 has t = (2p−1)/sqrt(2p(1−p)).
        assert!(close(t_quantile(0.975, 1.0), (std::f64::consts::PI * 0.475).tan(), 1e-9));
        let p: f64 = 0.975;
        assert!(close(t_quantile(p, 2.0), (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt(), 1e-9));
        // Large df: the normal quantile.
        assert!(close(t_quantile(0.975, 1e6), 1.959_964, 1e-5));
        assert!(close(t_quantile(0.025, 4.0), -t_quantile(0.975, 4.0), 1e-12));
        assert_eq!(t_quantile(0.5, 3.0), 0.0);
        assert!(t_quantile(1.0, 3.0).is_nan() && t_quantile(0.9, 0.0).is_nan());
    }

    #[test]
    fn intervals_on_hand_computed_numbers() {
        // 1..5: mean 3, sd sqrt(2.5), half width 2.776445 * sqrt(2.5) / sqrt(5) = 1.963243.
        let i = interval(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(i.n, 5);
        assert!(close(i.mean, 3.0, 1e-12));
        assert!(close(i.sd, 2.5f64.sqrt(), 1e-12));
        assert!(close(i.half_width, 1.963_243, 1e-6), "{i:?}");
        assert!(close(i.low, 3.0 - 1.963_243, 1e-6) && close(i.high, 3.0 + 1.963_243, 1e-6));
        let one = interval(&[7.0]);
        assert_eq!(one.mean, 7.0);
        assert!(one.half_width.is_nan());
        let same = interval(&[2.0, 2.0, 2.0]);
        assert_eq!(same.half_width, 0.0);
    }

    #[test]
    fn paired_interval_on_hand_computed_numbers() {
        // Differences b − a = 1, 2, 2: mean 5/3, sd sqrt(1/3), se 1/3,
        // half width t_(0.975, 2) / 3 = 4.302653 / 3 = 1.434218.
        let p = paired(&[1.0, 2.0, 3.0], &[2.0, 4.0, 5.0]);
        assert_eq!(p.n, 3);
        assert!(close(p.mean, 5.0 / 3.0, 1e-12));
        assert!(close(p.half_width, 1.434_218, 1e-6), "{p:?}");
        // Pairing removes what the pairs share: a large common term does not widen the interval.
        let q = paired(&[1001.0, 2.0, 5003.0], &[1002.0, 4.0, 5005.0]);
        assert!(close(q.half_width, p.half_width, 1e-9));
    }
}
