//! Fixed-point score arithmetic (MODEL.md §4 and §11).
//!
//! Every score quantity is an integer number of thousandths of a point, so
//! sums do not depend on the order of addition. Decay is a pure function of
//! (value after the last record, day of that record, today), read from one
//! table of 2^(−k/h) computed once per run.

use scorelab_scenario::Score;

/// Integer division rounded half to even (`den > 0`).
#[inline]
pub fn div_round_half_even(num: i64, den: i64) -> i64 {
    debug_assert!(den > 0);
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den);
    match (2 * r).cmp(&den) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// [`div_round_half_even`]`(num, 1000)` without the two Euclidean
/// divisions: one truncating division by the constant (a multiplication),
/// the remainder brought into 0..1000, then the tie broken to even.
/// Identical for every `num`.
#[inline(always)]
pub fn div_1000_half_even(num: i64) -> i64 {
    let q0 = num / 1000;
    let r0 = num - q0 * 1000;
    let neg = i64::from(r0 < 0);
    let q = q0 - neg;
    let r = r0 + 1000 * neg;
    q + i64::from(r > 500 || (r == 500 && q & 1 == 1))
}

/// `y` rounded to the nearest integer, ties to even, without a libm call:
/// adding and subtracting 1.5·2^52 leaves exactly the integer that IEEE
/// round-to-nearest-even picks, for |y| < 2^51 (beyond, the slow path).
#[inline(always)]
pub fn round_half_even(y: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    if y.abs() < 2_251_799_813_685_248.0 {
        (y + MAGIC) - MAGIC
    } else {
        y.round_ties_even()
    }
}

/// The decay table and the score rules of one scenario.
#[derive(Debug, Clone)]
pub struct ScoreRules {
    /// `factor[k]` = 2^(−k/h), for k = 0..=days.
    factor: Vec<f64>,
    pub enabled: bool,
    pub base: i64,
    pub min: i64,
    pub max: i64,
    /// Network weight w' in thousandths.
    pub weight: i64,
}

/// The three decaying components of a citizen's score, brought to one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Components {
    /// Gains G ≥ 0.
    pub gains: i64,
    /// Losses L ≤ 0.
    pub losses: i64,
    /// The part of L from erroneous records, E ≤ 0, |E| ≤ |L|.
    pub erroneous: i64,
}

impl ScoreRules {
    /// The rules for a run of `days` days.
    pub fn new(score: &Score, weight_milli: i64, days: u32) -> Self {
        let factor = (0..=days).map(|k| (-(f64::from(k)) / score.half_life_days).exp2()).collect();
        ScoreRules {
            factor,
            enabled: score.enabled,
            base: score.base_milli,
            min: score.min_milli,
            max: score.max_milli,
            weight: weight_milli,
        }
    }

    /// A value `x0` set on day `t0`, as it stands on day `t` (`t ≥ t0`):
    /// round(x0 · 2^(−(t−t0)/h)), half to even.
    #[inline]
    pub fn decay(&self, x0: i64, t0: u32, t: u32) -> i64 {
        if x0 == 0 {
            return 0;
        }
        Self::decay_by(x0, self.factor(t0, t))
    }

    /// The decay factor 2^(−(t−t0)/h) that [`ScoreRules::decay`] applies.
    #[inline(always)]
    pub fn factor(&self, t0: u32, t: u32) -> f64 {
        let k = (t - t0) as usize;
        self.factor[k.min(self.factor.len() - 1)]
    }

    /// [`ScoreRules::decay`] with the factor already looked up: a zero stays
    /// zero (0 · f rounds to 0), so no branch is needed.
    #[inline(always)]
    pub fn decay_by(x0: i64, factor: f64) -> i64 {
        round_half_even(x0 as f64 * factor) as i64
    }

    /// G, L and E as they stand on day `t`.
    #[inline]
    pub fn components(&self, stored: Components, t0: u32, t: u32) -> Components {
        Components {
            gains: self.decay(stored.gains, t0, t),
            losses: self.decay(stored.losses, t0, t),
            erroneous: self.decay(stored.erroneous, t0, t),
        }
    }

    /// Own score S = clamp(B + G + L).
    #[inline]
    pub fn own(&self, gains: i64, losses: i64) -> i64 {
        if !self.enabled {
            return self.base;
        }
        (self.base + gains + losses).clamp(self.min, self.max)
    }

    /// Effective score Ŝ = round(((1000 − w')·S + w'·F) / 1000), or S for a
    /// citizen without friends or with the network off.
    #[inline]
    pub fn effective(&self, own: i64, friends_term: i64, has_friends: bool) -> i64 {
        if !has_friends || self.weight == 0 || !self.enabled {
            return own;
        }
        div_1000_half_even((1000 - self.weight) * own + self.weight * friends_term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(half_life: f64, weight: i64) -> ScoreRules {
        let score = Score {
            enabled: true,
            base_milli: 1_000_000,
            min_milli: 0,
            max_milli: 2_000_000,
            half_life_days: half_life,
            grades: vec![],
            factors: vec![],
        };
        ScoreRules::new(&score, weight, 3000)
    }

    #[test]
    fn fast_rounding_matches_round_ties_even() {
        let rng = crate::rng::Rng::new(4);
        for i in 0..200_000u32 {
            let u = rng.uniform(crate::rng::Stream::Accept, i, 0, 0);
            let scale = [1.0, 10.0, 1e3, 1e6, 1e9, 1e12, 1e15, 1e17][(i % 8) as usize];
            let y = (u - 0.5) * scale;
            assert_eq!(round_half_even(y), y.round_ties_even(), "{y}");
            let half = (y.trunc()) + 0.5;
            assert_eq!(round_half_even(half), half.round_ties_even(), "{half}");
        }
        for y in [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.0, -0.0, 4503599627370495.5] {
            assert_eq!(round_half_even(y), y.round_ties_even(), "{y}");
        }
    }

    #[test]
    fn division_by_1000_matches_the_euclidean_form() {
        let rng = crate::rng::Rng::new(9);
        let check = |n: i64| assert_eq!(div_1000_half_even(n), div_round_half_even(n, 1000), "{n}");
        for base in [0i64, 1000, -1000, 2_000_000_000_000, -2_000_000_000_000, 123_456_000, -987_654_000] {
            for d in -1502..=1502 {
                check(base + d);
            }
        }
        for i in 0..200_000u32 {
            let u = rng.bits(crate::rng::Stream::Accept, i, 0, 0) as i64;
            check(u >> (i % 40));
            check(u);
        }
        check(i64::MIN + 1000);
        check(i64::MAX - 1000);
    }

    #[test]
    fn decay_by_a_looked_up_factor_matches_decay() {
        let r = rules(730.0, 150);
        for t0 in [0u32, 5, 700] {
            for t in [t0, t0 + 1, t0 + 364, t0 + 2000, 3000, 5000] {
                for x0 in [0i64, 1, -1, 3, -5, 4_999, -50_000, 1_234_567, -2_000_000] {
                    let t = t.max(t0);
                    assert_eq!(ScoreRules::decay_by(x0, r.factor(t0, t)), r.decay(x0, t0, t));
                }
            }
        }
    }

    #[test]
    fn half_even_rounding() {
        assert_eq!(div_round_half_even(5, 2), 2);
        assert_eq!(div_round_half_even(7, 2), 4);
        assert_eq!(div_round_half_even(-5, 2), -2);
        assert_eq!(div_round_half_even(-7, 2), -4);
        assert_eq!(div_round_half_even(10, 4), 2);
        assert_eq!(div_round_half_even(11, 4), 3);
        assert_eq!(div_round_half_even(0, 3), 0);
    }

    #[test]
    fn decay_halves_at_the_half_life() {
        let r = rules(730.0, 150);
        assert_eq!(r.decay(-100_000, 10, 10), -100_000);
        assert_eq!(r.decay(-100_000, 10, 740), -50_000);
        assert_eq!(r.decay(-100_000, 0, 1460), -25_000);
        // 2^(-1/730) · 5000 = 4995.2553...: rounds to 4995.
        assert_eq!(r.decay(5_000, 0, 1), 4_995);
    }

    #[test]
    fn decay_rounds_half_to_even() {
        // Half-life 1 day: 2^-1 exactly, so odd values land on .5.
        let r = rules(1.0, 0);
        assert_eq!(r.decay(3, 0, 1), 2); // 1.5 -> 2
        assert_eq!(r.decay(5, 0, 1), 2); // 2.5 -> 2
        assert_eq!(r.decay(-3, 0, 1), -2); // -1.5 -> -2
        assert_eq!(r.decay(-5, 0, 1), -2); // -2.5 -> -2
    }

    #[test]
    fn own_score_is_clamped() {
        let r = rules(730.0, 150);
        assert_eq!(r.own(0, 0), 1_000_000);
        assert_eq!(r.own(50_000, -20_000), 1_030_000);
        assert_eq!(r.own(0, -1_500_000), 0);
        assert_eq!(r.own(1_500_000, 0), 2_000_000);
    }

    #[test]
    fn effective_score_mixes_in_friends() {
        let r = rules(730.0, 150);
        // 0.85 · 900 + 0.15 · 1000 = 915 points.
        assert_eq!(r.effective(900_000, 1_000_000, true), 915_000);
        assert_eq!(r.effective(900_000, 1_000_000, false), 900_000);
        // (850 · 1 + 150 · 2) / 1000 = 1.15 -> 1; (850·3 + 150·0)/1000 = 2.55 -> 3.
        assert_eq!(r.effective(1, 2, true), 1);
        assert_eq!(r.effective(3, 0, true), 3);
        let off = rules(730.0, 0);
        assert_eq!(off.effective(900_000, 1_000_000, true), 900_000);
    }
}
