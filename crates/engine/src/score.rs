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

/// 1.5·2^52. For |y| < 2^51, y + MAGIC lies in [2^52, 2^53), where the
/// doubles are exactly the integers: the addition rounds y to an integer,
/// half to even, and subtracting MAGIC again leaves that integer exactly.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// Magnitudes below which rounding by [`MAGIC`] is exact: 2^51 (so G · f,
/// for a decay factor f ≤ 1, rounds by it when |G| is below).
const SMALL: u64 = 1 << 51;

/// `y` rounded to the nearest integer, ties to even, without a libm call
/// (by [`MAGIC`] for |y| < 2^51, beyond by the slow path).
#[inline(always)]
pub fn round_half_even(y: f64) -> f64 {
    if y.abs() < SMALL as f64 {
        (y + MAGIC) - MAGIC
    } else {
        y.round_ties_even()
    }
}

/// The columns [`ScoreRules::own_scores`] and
/// [`ScoreRules::effective_scores`] read, one entry per citizen
/// (`friend_offsets` one more: a citizen has friends when its offsets
/// differ).
#[derive(Debug, Clone, Copy)]
pub struct ScoreColumns<'a> {
    pub gains: &'a [i64],
    pub losses: &'a [i64],
    pub last_update: &'a [u16],
    pub friends_term: &'a [i32],
    pub friend_offsets: &'a [u32],
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
        round_half_even(x0 as f64 * self.factor(t0, t)) as i64
    }

    /// The decay factor 2^(−(t−t0)/h), the table's last beyond its end.
    /// (t0 ≤ t; wrapping keeps a broken invariant from panicking here.)
    #[inline(always)]
    fn factor(&self, t0: u32, t: u32) -> f64 {
        self.factor[(t.wrapping_sub(t0) as usize).min(self.factor.len() - 1)]
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

    /// The own score S on day `t` of every citizen of `columns`, into
    /// `out`: exactly `own(decay(G), decay(L))` for each (see
    /// [`ScoreRules::effective_scores`]).
    pub fn own_scores(&self, columns: ScoreColumns<'_>, t: u32, out: &mut [i32]) {
        self.scores::<false>(columns, t, out);
    }

    /// The effective score Ŝ on day `t` of every citizen of `columns`, into
    /// `out` (`i32`, the score column's type): exactly
    /// `effective(own(decay(G), decay(L)), F, has_friends)` for each.
    ///
    /// The passes over every citizen every day, so written for speed. Where
    /// every |G| and |L| of the batch is below 2^51 (any run's, in
    /// practice; otherwise the batch takes the rules above, one citizen at a
    /// time) the work is done in doubles, with no branch but the clamp and
    /// every step exact:
    /// - one factor f ≤ 1 serves G and L, and (x·f + MAGIC) − MAGIC is the
    ///   `round_half_even(x·f)` that `decay` computes, 0 for x = 0;
    /// - B + G + L sums integers below 2^53, so exactly, and the clamp
    ///   compares exactly;
    /// - the mix (1000 − w)·S + w·F has |S|, |F| < 2^31 (F is an `i32`,
    ///   and the engine refuses score bounds beyond `i32`; rules built with
    ///   wider bounds take the scalar path) and 0 ≤ w ≤ 1000, so
    ///   it is an exact integer below 2^41. Its quotient by 1000, q + r/1000,
    ///   comes out within 2^−22 (half an ulp at 2^31); one not on a half
    ///   (r ≠ 500) lies at least 0.001 from a half, and one on a half is a
    ///   double, so exact. Rounding it by MAGIC is `div_1000_half_even`;
    /// - a score below 2^31 in magnitude, plus MAGIC, holds the score in the
    ///   low 32 bits (two's complement) of its bits, which makes the `i32`.
    pub fn effective_scores(&self, columns: ScoreColumns<'_>, t: u32, out: &mut [i32]) {
        self.scores::<true>(columns, t, out);
    }

    /// [`ScoreRules::effective_scores`] (`MIX`) or
    /// [`ScoreRules::own_scores`].
    fn scores<const MIX: bool>(&self, columns: ScoreColumns<'_>, t: u32, out: &mut [i32]) {
        let n = out.len();
        let gains = &columns.gains[..n];
        let losses = &columns.losses[..n];
        let last_update = &columns.last_update[..n];
        let friends_term = &columns.friends_term[..n];
        let offsets = &columns.friend_offsets[..n + 1];
        // Every magnitude at once (no early exit, so the test vectorises).
        let magnitudes = gains.iter().chain(losses).fold(0u64, |m, x| m | x.unsigned_abs());
        let in_i32 = |x: i64| i32::try_from(x).is_ok();
        let bounded = in_i32(self.base) && in_i32(self.min) && in_i32(self.max) && (0..=1000).contains(&self.weight);
        if !self.enabled || !bounded || magnitudes >= SMALL {
            for (j, out) in out.iter_mut().enumerate() {
                let t0 = u32::from(last_update[j]);
                let own = self.own(self.decay(gains[j], t0, t), self.decay(losses[j], t0, t));
                let has_friends = offsets[j + 1] > offsets[j];
                *out = if MIX { self.effective(own, i64::from(friends_term[j]), has_friends) } else { own } as i32;
            }
            return;
        }
        let mix = MIX && self.weight != 0;
        let (base, lo, hi) = (self.base as f64, self.min as f64, self.max as f64);
        let (w, w_own) = (self.weight as f64, (1000 - self.weight) as f64);
        for (j, out) in out.iter_mut().enumerate() {
            let f = self.factor(u32::from(last_update[j]), t);
            let g = (gains[j] as f64 * f + MAGIC) - MAGIC;
            let l = (losses[j] as f64 * f + MAGIC) - MAGIC;
            let sum = base + g + l;
            let own = if sum < lo {
                lo
            } else if sum > hi {
                hi
            } else {
                sum
            };
            let mixed = ((w_own * own + w * f64::from(friends_term[j])) / 1000.0 + MAGIC) - MAGIC;
            let score = if mix && offsets[j + 1] > offsets[j] { mixed } else { own };
            *out = (score + MAGIC).to_bits() as i32;
        }
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

    /// The batch passes give, citizen by citizen, what `decay`, `own` and
    /// `effective` give one at a time: across ties (a half-life of one day
    /// halves exactly), both signs, magnitudes up to just under 2^51 (the
    /// doubles) and from 2^51 up (the batch falls back to the rules),
    /// clamping at both ends, with and without friends, records older than
    /// the decay table, and the network off. Batches of 16 citizens, so
    /// that some hold a large magnitude and most do not.
    #[test]
    fn batch_scores_match_the_scalar_rules() {
        let rng = crate::rng::Rng::new(11);
        let n = 20_000u32;
        let draw = |i: u32, slot: u32| rng.bits(crate::rng::Stream::Accept, i, 1, slot);
        // One G or L in 128 has a magnitude from 2^51 up.
        let magnitude = |b: u64| match b % 256 {
            0 => (1 << 51) + (b >> 8) % 4,
            1 => (b >> 8) % (1 << 60),
            2..=9 => (1 << 51) - 1 - (b >> 8) % 4,
            10..=79 => 0,
            80..=119 => (b >> 8) % 10,
            120..=179 => (b >> 8) % 3_000_000,
            180..=199 => (b >> 8) % (1 << 40),
            _ => (b >> 8) % 2_000,
        } as i64;
        let gains: Vec<i64> = (0..n).map(|i| magnitude(draw(i, 0))).collect();
        let losses: Vec<i64> = (0..n).map(|i| -magnitude(draw(i, 1))).collect();
        let last_update: Vec<u16> = (0..n).map(|i| (draw(i, 2) % 4000) as u16).collect();
        let friends_term: Vec<i32> = (0..n).map(|i| (draw(i, 3) % 2_000_001) as i32).collect();
        let offsets: Vec<u32> = std::iter::once(0)
            .chain((0..n).scan(0u32, |at, i| {
                *at += (draw(i, 4) % 3) as u32;
                Some(*at)
            }))
            .collect();
        let mut disabled = rules(730.0, 150);
        disabled.enabled = false;
        let cases = [rules(730.0, 150), rules(1.0, 150), rules(730.0, 0), rules(365.0, 1000), disabled];
        for (case, r) in cases.iter().enumerate() {
            for t in [4000u32, 4100, 9000] {
                for start in (0..n as usize).step_by(16) {
                    let end = (start + 16).min(n as usize);
                    let columns = ScoreColumns {
                        gains: &gains[start..end],
                        losses: &losses[start..end],
                        last_update: &last_update[start..end],
                        friends_term: &friends_term[start..end],
                        friend_offsets: &offsets[start..=end],
                    };
                    let (mut own, mut effective) = ([0i32; 16], [0i32; 16]);
                    r.own_scores(columns, t, &mut own[..end - start]);
                    r.effective_scores(columns, t, &mut effective[..end - start]);
                    for j in start..end {
                        let t0 = u32::from(last_update[j]);
                        let want = r.own(r.decay(gains[j], t0, t), r.decay(losses[j], t0, t));
                        assert_eq!(i64::from(own[j - start]), want, "own: citizen {j}, day {t}, case {case}");
                        let want = r.effective(want, i64::from(friends_term[j]), offsets[j + 1] > offsets[j]);
                        assert_eq!(i64::from(effective[j - start]), want, "Ŝ: citizen {j}, day {t}, case {case}");
                    }
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
