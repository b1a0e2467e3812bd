//! Per-chunk accumulators for one day, merged into [`DayMetrics`] after the
//! parallel passes. Counts are integers, so the merge order cannot change a
//! result. Buffers are allocated once per run and cleared every day.

use crate::metrics::{AuditRow, DayMetrics, HistogramSpec};

/// A misattributed record waiting to be applied to its target.
#[derive(Debug, Clone, Copy)]
pub struct Misattributed {
    pub target: u32,
    pub actor: u32,
    pub behaviour: u16,
}

/// The fine histogram behind the percentiles and the Gini coefficient.
#[derive(Debug, Clone, Copy)]
pub struct FineSpec {
    /// Lower edge of bin 0, thousandths.
    pub origin: i64,
    /// Bin width, thousandths (at least 100: 0.1 point).
    pub width: i64,
    pub bins: usize,
    /// ⌈2^64 / width⌉ for the division by multiplication in `bin_of`, or 0
    /// when the score range is too wide for it (then `bin_of` divides).
    reciprocal: u64,
}

/// Scores at most this far above the origin are binned by multiplication.
const FAST_RANGE: i64 = u32::MAX as i64;

impl FineSpec {
    /// At most 20,001 bins of at least 0.1 point over [min, max].
    pub fn new(min: i64, max: i64) -> Self {
        let range = (max - min).max(1);
        // The smallest width giving at most 20,000 bins past the origin
        // (ceiling division): 0.1 point for the default 0..2000 range.
        let width = ((range + 19_999) / 20_000).max(100);
        let reciprocal = if range <= FAST_RANGE { u64::MAX / width as u64 + 1 } else { 0 };
        FineSpec { origin: min, width, bins: (range / width + 1) as usize, reciprocal }
    }

    /// The bin of a score (thousandths): ⌊(score − origin) / width⌋, clamped.
    /// One bin per adult per day, so the division is done by multiplying
    /// with a precomputed reciprocal, exact for numerators below 2^32
    /// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
    #[inline]
    pub fn bin_of(&self, score: i64) -> usize {
        let x = score - self.origin;
        if self.reciprocal != 0 && (0..=FAST_RANGE).contains(&x) {
            let q = ((u128::from(self.reciprocal) * x as u128) >> 64) as usize;
            return q.min(self.bins - 1);
        }
        (x.div_euclid(self.width)).clamp(0, self.bins as i64 - 1) as usize
    }
}

/// One chunk's (or the serial steps') figures for one day.
#[derive(Debug, Clone)]
pub struct DayAcc {
    pub adults: u64,
    pub score_sum: i64,
    pub histogram: Vec<u32>,
    pub fine: Vec<u32>,
    pub grades: Vec<u32>,
    pub blacklisted: u32,
    pub blacklisted_erroneous: u32,
    pub listings_started: u32,
    pub listings_ended: u32,
    pub true_events: Vec<u32>,
    pub correct_records: Vec<u32>,
    pub erroneous_records: Vec<u32>,
    pub denials: Vec<u32>,
    pub wrongful_denials: Vec<u32>,
    pub grants: Vec<u32>,
    pub appeals: u32,
    pub appeals_won: u32,
    /// Per (group slot, activity): denials, wrongful denials, grants.
    pub group_denials: Vec<u32>,
    pub group_wrongful: Vec<u32>,
    pub group_grants: Vec<u32>,
    pub misattributed: Vec<Misattributed>,
    pub audit: Vec<AuditRow>,
    /// Bins `fine_lo ..= fine_hi` hold every non-zero count of `fine`
    /// (none when `fine_lo > fine_hi`): a chunk's adults fill a narrow band
    /// of the 20,001 bins, so clearing and summing only that band saves
    /// most of the per-chunk daily work. A new accumulator covers every bin.
    pub fine_lo: usize,
    pub fine_hi: usize,
    /// Scratch of the settle pass: rows of the chunk's citizens that need
    /// the full `settle` today (kept to reuse its allocation; not a figure).
    pub slow: Vec<u32>,
}

impl DayAcc {
    pub fn new(
        spec: &HistogramSpec,
        fine: &FineSpec,
        grades: usize,
        behaviours: usize,
        activities: usize,
        group_slots: usize,
    ) -> Self {
        DayAcc {
            adults: 0,
            score_sum: 0,
            histogram: vec![0; spec.bins],
            fine: vec![0; fine.bins],
            grades: vec![0; grades],
            blacklisted: 0,
            blacklisted_erroneous: 0,
            listings_started: 0,
            listings_ended: 0,
            true_events: vec![0; behaviours],
            correct_records: vec![0; behaviours],
            erroneous_records: vec![0; behaviours],
            denials: vec![0; activities],
            wrongful_denials: vec![0; activities],
            grants: vec![0; activities],
            appeals: 0,
            appeals_won: 0,
            group_denials: vec![0; group_slots * activities],
            group_wrongful: vec![0; group_slots * activities],
            group_grants: vec![0; group_slots * activities],
            misattributed: Vec::new(),
            audit: Vec::new(),
            slow: Vec::new(),
            fine_lo: 0,
            fine_hi: fine.bins - 1,
        }
    }

    /// Widens the band of fine bins in use to `lo ..= hi`.
    #[inline]
    pub fn widen_fine(&mut self, lo: usize, hi: usize) {
        self.fine_lo = self.fine_lo.min(lo);
        self.fine_hi = self.fine_hi.max(hi);
    }

    /// Zeroes every count, keeping the buffers.
    pub fn clear(&mut self) {
        self.adults = 0;
        self.score_sum = 0;
        if self.fine_lo <= self.fine_hi {
            self.fine[self.fine_lo..=self.fine_hi].fill(0);
        }
        (self.fine_lo, self.fine_hi) = (usize::MAX, 0);
        for v in [
            &mut self.histogram,
            &mut self.grades,
            &mut self.true_events,
            &mut self.correct_records,
            &mut self.erroneous_records,
            &mut self.denials,
            &mut self.wrongful_denials,
            &mut self.grants,
            &mut self.group_denials,
            &mut self.group_wrongful,
            &mut self.group_grants,
        ] {
            v.fill(0);
        }
        self.blacklisted = 0;
        self.blacklisted_erroneous = 0;
        self.listings_started = 0;
        self.listings_ended = 0;
        self.appeals = 0;
        self.appeals_won = 0;
        self.misattributed.clear();
        self.audit.clear();
    }
}

fn add(into: &mut [u64], from: &[u32]) {
    into.iter_mut().zip(from).for_each(|(a, &b)| *a += u64::from(b));
}

/// Sums of the per-chunk accumulators of a day, with the fine histogram
/// kept for percentiles and the Gini coefficient.
pub struct DayTotals {
    pub metrics: DayMetrics,
    pub fine: Vec<u64>,
    pub score_sum: i64,
    pub group_denials: Vec<u64>,
    pub group_wrongful: Vec<u64>,
    pub group_grants: Vec<u64>,
}

impl DayTotals {
    pub fn new(
        day: u32,
        spec: &HistogramSpec,
        fine: &FineSpec,
        grades: usize,
        behaviours: usize,
        activities: usize,
        group_slots: usize,
    ) -> Self {
        DayTotals {
            metrics: DayMetrics::empty(day, spec.bins, grades, behaviours, activities),
            fine: vec![0; fine.bins],
            score_sum: 0,
            group_denials: vec![0; group_slots * activities],
            group_wrongful: vec![0; group_slots * activities],
            group_grants: vec![0; group_slots * activities],
        }
    }

    pub fn add(&mut self, acc: &DayAcc) {
        let m = &mut self.metrics;
        m.adults += acc.adults;
        self.score_sum += acc.score_sum;
        add(&mut m.score_histogram, &acc.histogram);
        if acc.fine_lo <= acc.fine_hi {
            let band = acc.fine_lo..=acc.fine_hi;
            add(&mut self.fine[band.clone()], &acc.fine[band]);
        }
        add(&mut m.grade_counts, &acc.grades);
        m.blacklisted += u64::from(acc.blacklisted);
        m.blacklisted_erroneous += u64::from(acc.blacklisted_erroneous);
        m.listings_started += u64::from(acc.listings_started);
        m.listings_ended += u64::from(acc.listings_ended);
        add(&mut m.true_events, &acc.true_events);
        add(&mut m.correct_records, &acc.correct_records);
        add(&mut m.erroneous_records, &acc.erroneous_records);
        add(&mut m.denials, &acc.denials);
        add(&mut m.wrongful_denials, &acc.wrongful_denials);
        add(&mut m.grants, &acc.grants);
        m.appeals += u64::from(acc.appeals);
        m.appeals_won += u64::from(acc.appeals_won);
        add(&mut self.group_denials, &acc.group_denials);
        add(&mut self.group_wrongful, &acc.group_wrongful);
        add(&mut self.group_grants, &acc.group_grants);
    }

    /// Every summed figure as one list of words, in a fixed order (the
    /// signed score sum as its two's complement), followed by `extra`.
    pub fn to_words(&mut self, extra: &[u64]) -> Vec<u64> {
        let mut words = Vec::new();
        self.visit_words(|w| words.push(*w));
        words.extend_from_slice(extra);
        words
    }

    /// Sets the summed figures from [`DayTotals::to_words`]'s list (summed
    /// over ranks) and returns the rest of it: the caller's `extra`.
    pub fn from_words<'a>(&mut self, words: &'a [u64]) -> &'a [u64] {
        let mut at = 0;
        self.visit_words(|w| {
            *w = words[at];
            at += 1;
        });
        &words[at..]
    }

    fn visit_words(&mut self, mut f: impl FnMut(&mut u64)) {
        let m = &mut self.metrics;
        for w in [
            &mut m.adults,
            &mut m.blacklisted,
            &mut m.blacklisted_erroneous,
            &mut m.listings_started,
            &mut m.listings_ended,
            &mut m.appeals,
            &mut m.appeals_won,
        ] {
            f(w);
        }
        for v in [
            &mut m.score_histogram,
            &mut m.grade_counts,
            &mut m.true_events,
            &mut m.correct_records,
            &mut m.erroneous_records,
            &mut m.denials,
            &mut m.wrongful_denials,
            &mut m.grants,
            &mut self.fine,
            &mut self.group_denials,
            &mut self.group_wrongful,
            &mut self.group_grants,
        ] {
            v.iter_mut().for_each(&mut f);
        }
        let mut sum = self.score_sum as u64;
        f(&mut sum);
        self.score_sum = sum as i64;
    }

    /// Fills in the mean, percentiles and Gini from the sums.
    pub fn finish(&mut self, fine: &FineSpec) {
        let n = self.metrics.adults;
        if n == 0 {
            return;
        }
        self.metrics.score_mean = self.score_sum as f64 / n as f64 / 1000.0;
        let percentile = |p: f64| -> f64 {
            // Lower nearest rank: the smallest bin holding the ⌈p·n⌉-th score.
            let rank = ((p * n as f64).ceil() as u64).max(1);
            let mut cum = 0u64;
            for (b, &c) in self.fine.iter().enumerate() {
                cum += c;
                if cum >= rank {
                    return (fine.origin + b as i64 * fine.width) as f64 / 1000.0;
                }
            }
            (fine.origin + (fine.bins as i64 - 1) * fine.width) as f64 / 1000.0
        };
        self.metrics.score_p10 = percentile(0.1);
        self.metrics.score_p50 = percentile(0.5);
        self.metrics.score_p90 = percentile(0.9);
        self.metrics.score_gini = gini(&self.fine, fine);
    }
}

/// Gini coefficient of values given as a histogram (bin midpoints), by the
/// sorted-rank formula G = Σ (2i − n − 1)·x_(i) / (n · Σ x).
pub fn gini(hist: &[u64], spec: &FineSpec) -> f64 {
    let n: u64 = hist.iter().sum();
    if n == 0 {
        return 0.0;
    }
    let mut before = 0u64;
    let mut weighted = 0.0f64;
    let mut total = 0.0f64;
    for (b, &c) in hist.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let x = (spec.origin as f64 + (b as f64 + 0.5) * spec.width as f64) / 1000.0;
        // Ranks before+1 ..= before+c: Σ (2i − n − 1) = c · (2·before + c − n).
        weighted += x * c as f64 * (2.0 * before as f64 + c as f64 - n as f64);
        total += x * c as f64;
        before += c;
    }
    if total == 0.0 {
        0.0
    } else {
        weighted / (n as f64 * total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_equal_values_is_zero_and_of_one_holder_is_near_one() {
        let spec = FineSpec { origin: 0, width: 1000, bins: 10, reciprocal: 0 };
        let mut h = vec![0u64; 10];
        h[5] = 100;
        assert!(gini(&h, &spec).abs() < 1e-12);
        let mut h = vec![0u64; 10];
        h[0] = 0;
        h[9] = 1;
        assert!(gini(&h, &spec).abs() < 1e-12);
        // Two values 1.5 and 4.5 (bins 1 and 4), one each: mean abs diff
        // over pairs = 2·3 / 4 = 1.5, G = 1.5 / (2 · 3) = 0.25.
        let mut h = vec![0u64; 10];
        h[1] = 1;
        h[4] = 1;
        assert!((gini(&h, &spec) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn fine_bins_cover_the_range() {
        let f = FineSpec::new(0, 2_000_000);
        assert_eq!(f.width, 100);
        assert_eq!(f.bin_of(0), 0);
        assert_eq!(f.bin_of(2_000_000), f.bins - 1);
        assert_eq!(f.bin_of(1_000_050), 10_000);
    }

    #[test]
    fn binning_by_multiplication_equals_division() {
        // Every width the constructor can choose, at the edges of every bin
        // and beyond the range on both sides.
        for (min, max) in [(0, 2_000_000), (350_000, 950_000), (-5_000_000, 7_000_000), (0, 4_000_000_000)] {
            let f = FineSpec::new(min, max);
            let slow = |s: i64| ((s - f.origin).div_euclid(f.width)).clamp(0, f.bins as i64 - 1) as usize;
            let mut s = min - 3 * f.width;
            while s <= max + 3 * f.width {
                for d in [-1, 0, 1] {
                    assert_eq!(f.bin_of(s + d), slow(s + d), "score {} in {min}..{max}", s + d);
                }
                s += f.width * 97;
            }
            for s in [i64::MIN / 4, -1, max, max + 1, i64::MAX / 4] {
                assert_eq!(f.bin_of(s), slow(s), "score {s}");
            }
        }
    }
}
