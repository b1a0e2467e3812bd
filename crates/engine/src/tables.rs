//! Per-run tables derived once from the scenario, so the day loop reads
//! numbers instead of re-deriving them: behaviour rates and their bounds,
//! activity attempt rates by (age, decile), trigger sets.

use scorelab_scenario::{ActivityKind, Scenario, Trigger};

/// One behaviour, ready for the day loop.
#[derive(Debug, Clone)]
pub struct BehaviourRow {
    /// λ_b / 365.
    pub daily_rate: f64,
    /// Index of this behaviour's (β_c, β_d) pair in `Tables::trait_pairs`,
    /// the catalogue's distinct pairs: behaviours that share slopes share
    /// the trait term exp(β_c·(c − ½) + β_d·(d − ½)), computed once per
    /// candidate day.
    pub trait_term: usize,
    pub urban_multiplier: f64,
    /// Factor bounding the pressure multiplier from above: 1 + max(γ_b, 0).
    /// It is taken from the catalogue whether or not the scenario rewards
    /// the behaviour, so a scenario and its baseline share candidate days.
    pub bound: f64,
    pub penalised: bool,
    pub rewarded: bool,
    pub deterrence: f64,
    pub boost: f64,
    pub points: i64,
    pub blacklists: bool,
    pub source: usize,
    pub age_min: u32,
    pub age_max: u32,
    /// Spurious records of this behaviour per day (φ_s / 365); candidates
    /// are drawn whether or not the scenario penalises the behaviour and
    /// kept only when it does (again to keep runs coupled).
    pub spurious_daily: f64,
    pub coverage_urban: f64,
    pub coverage_rural: f64,
    pub misattribution: f64,
}

/// One distinct (β_c, β_d) pair of the catalogue, with the ages of the
/// behaviours that share it: a citizen of another age needs no trait term
/// for it.
#[derive(Debug, Clone, Copy)]
pub struct TraitPair {
    pub compliance_slope: f64,
    pub dissent_slope: f64,
    pub age_min: u32,
    pub age_max: u32,
}

/// Daily activity attempt rates (a / 365) for every (age, decile), with
/// what the sampler needs precomputed: suffix sums, the probability of any
/// attempt, and the set of activities the citizen is old enough for.
#[derive(Debug, Clone)]
pub struct ActivityRates {
    /// Number of activities (daily and school alike; school rows are 0).
    pub count: usize,
    /// `rates[(age * 10 + decile - 1) * count + k]`.
    rates: Vec<f64>,
    /// Suffix sums of each row: Σ_{j ≥ k} rates.
    suffix: Vec<f64>,
    /// Probability of at least one attempt today, per (age, decile).
    any: Vec<f64>,
    /// Bit k set when activity k has a positive rate, per (age, decile).
    eligible: Vec<u16>,
}

/// One (age, decile) row of [`ActivityRates`].
#[derive(Debug, Clone, Copy)]
pub struct ActivityRow<'a> {
    pub rates: &'a [f64],
    pub suffix: &'a [f64],
    pub any: f64,
    pub eligible: u16,
}

impl ActivityRates {
    fn new(scenario: &Scenario) -> Self {
        let count = scenario.activities.len();
        let rows = 256 * 10;
        let mut rates = vec![0.0; rows * count];
        let mut suffix = vec![0.0; rows * count];
        let mut any = vec![0.0; rows];
        let mut eligible = vec![0u16; rows];
        for age in 0..256u32 {
            for decile in 1..=10u32 {
                let row = (age * 10 + decile - 1) as usize;
                for (k, a) in scenario.activities.iter().enumerate() {
                    if let ActivityKind::Daily { ages, rate_per_year, scale_by_decile } = &a.kind {
                        if ages.contains(age) && *rate_per_year > 0.0 {
                            let scale = if *scale_by_decile { f64::from(decile) } else { 1.0 };
                            rates[row * count + k] = rate_per_year * scale / 365.0;
                            eligible[row] |= 1 << k;
                        }
                    }
                }
                let mut run = 0.0;
                for k in (0..count).rev() {
                    run += rates[row * count + k];
                    suffix[row * count + k] = run;
                }
                any[row] = -(-run).exp_m1();
            }
        }
        ActivityRates { count, rates, suffix, any, eligible }
    }

    /// The row number of (age, decile); ages above 255 use 255.
    #[inline(always)]
    fn row_of(age: u32, decile: u8) -> usize {
        (age.min(255) * 10 + u32::from(decile) - 1) as usize
    }

    /// The activities with a positive rate for (age, decile): the row's
    /// `eligible`, without the rest of the row.
    #[inline(always)]
    pub fn eligible(&self, age: u32, decile: u8) -> u16 {
        self.eligible[Self::row_of(age, decile)]
    }

    /// The probability of any attempt for (age, decile): the row's `any`.
    #[inline(always)]
    pub fn any(&self, age: u32, decile: u8) -> f64 {
        self.any[Self::row_of(age, decile)]
    }

    /// The row of (age, decile); ages above 255 use 255.
    #[inline]
    pub fn row(&self, age: u32, decile: u8) -> ActivityRow<'_> {
        let row = Self::row_of(age, decile);
        let range = row * self.count..(row + 1) * self.count;
        ActivityRow {
            rates: &self.rates[range.clone()],
            suffix: &self.suffix[range],
            any: self.any[row],
            eligible: self.eligible[row],
        }
    }
}

/// Which activities' sanctions and rewards are met, for every (grade,
/// listed) state: triggers depend on nothing else.
#[derive(Debug, Clone)]
pub struct TriggerTable {
    count: usize,
    /// Per state: bit k set when activity k's sanction is met.
    sanctioned: Vec<u16>,
    /// Per state: bit k set when activity k's reward is met.
    rewarded: Vec<u16>,
    /// Per (state, activity): which of the sanction's triggers are met.
    sanction_met: Vec<u32>,
    /// Per (state, activity): which of the reward's triggers are met.
    reward_met: Vec<u32>,
}

/// Whether a trigger is met by a grade and a listing status. Grade triggers
/// are never met when the scenario has no score.
#[inline]
pub fn trigger_met(trigger: Trigger, grade: usize, listed: bool, score_enabled: bool) -> bool {
    match trigger {
        Trigger::Blacklisted => listed,
        Trigger::GradeAtMost(g) => score_enabled && grade >= g,
        Trigger::GradeAtLeast(g) => score_enabled && grade <= g,
    }
}

/// Bit set of the triggers in `list` that are met.
#[inline]
pub fn met_set(list: &[Trigger], grade: usize, listed: bool, score_enabled: bool) -> u32 {
    list.iter()
        .enumerate()
        .fold(0, |bits, (i, &tr)| bits | (u32::from(trigger_met(tr, grade, listed, score_enabled)) << i))
}

impl TriggerTable {
    fn new(scenario: &Scenario, sanctions: &[Vec<Trigger>], rewards: &[Vec<Trigger>]) -> Self {
        let count = scenario.activities.len();
        let states = scenario.score.grades.len() * 2;
        let on = scenario.score.enabled;
        let mut t = TriggerTable {
            count,
            sanctioned: vec![0; states],
            rewarded: vec![0; states],
            sanction_met: vec![0; states * count],
            reward_met: vec![0; states * count],
        };
        for grade in 0..scenario.score.grades.len() {
            for listed in [false, true] {
                let state = grade * 2 + usize::from(listed);
                for k in 0..count {
                    let s = met_set(&sanctions[k], grade, listed, on);
                    let r = met_set(&rewards[k], grade, listed, on);
                    t.sanction_met[state * count + k] = s;
                    t.reward_met[state * count + k] = r;
                    t.sanctioned[state] |= u16::from(s != 0) << k;
                    t.rewarded[state] |= u16::from(r != 0) << k;
                }
            }
        }
        t
    }

    /// (sanctioned, rewarded) activity sets for a state.
    #[inline]
    pub fn sets(&self, grade: usize, listed: bool) -> (u16, u16) {
        let state = grade * 2 + usize::from(listed);
        (self.sanctioned[state], self.rewarded[state])
    }

    /// Which triggers of activity k's sanction are met in a state.
    #[inline]
    pub fn sanction_met(&self, grade: usize, listed: bool, k: usize) -> u32 {
        self.sanction_met[(grade * 2 + usize::from(listed)) * self.count + k]
    }

    /// Which triggers of activity k's reward are met in a state.
    #[inline]
    pub fn reward_met(&self, grade: usize, listed: bool, k: usize) -> u32 {
        self.reward_met[(grade * 2 + usize::from(listed)) * self.count + k]
    }
}

/// Everything the day loop needs from the scenario, precomputed.
#[derive(Debug, Clone)]
pub struct Tables {
    pub behaviours: Vec<BehaviourRow>,
    /// The distinct trait-slope pairs, indexed by `BehaviourRow::trait_term`.
    pub trait_pairs: Vec<TraitPair>,
    pub activities: ActivityRates,
    pub triggers: TriggerTable,
    /// Sanction and reward triggers per activity (empty when the policy
    /// switch is off).
    pub sanctions: Vec<Vec<Trigger>>,
    pub rewards: Vec<Vec<Trigger>>,
    /// Whether any daily activity has a sanction or a reward.
    pub any_daily_trigger: bool,
    /// Per activity: `Some((ages, day_of_year))` for school enrolment.
    pub school: Vec<Option<(Vec<u8>, u32)>>,
    /// Daily exit rate of a listing, ln 2 / h_list.
    pub listing_exit_rate: f64,
    pub base: i64,
    pub general_deterrence: f64,
    /// W in thousandths.
    pub width_milli: f64,
}

impl Tables {
    pub fn new(scenario: &Scenario) -> Self {
        // Distinct (β_c, β_d) pairs, compared bit for bit.
        let mut pairs: Vec<(u64, u64)> = Vec::new();
        let mut trait_term = |beh: &scorelab_scenario::Behaviour| {
            let key = (beh.compliance_slope.to_bits(), beh.dissent_slope.to_bits());
            pairs.iter().position(|&p| p == key).unwrap_or_else(|| {
                pairs.push(key);
                pairs.len() - 1
            })
        };
        let behaviours: Vec<BehaviourRow> = scenario
            .behaviours
            .iter()
            .enumerate()
            .map(|(b, beh)| {
                let src = &scenario.sources[beh.source];
                BehaviourRow {
                    daily_rate: beh.rate_per_year / 365.0,
                    trait_term: trait_term(beh),
                    urban_multiplier: beh.urban_multiplier,
                    bound: 1.0 + beh.boost.max(0.0),
                    penalised: scenario.is_penalised(b),
                    rewarded: scenario.is_rewarded(b),
                    deterrence: beh.deterrence,
                    boost: beh.boost,
                    points: if scenario.score.enabled { beh.points_milli } else { 0 },
                    blacklists: beh.blacklists && scenario.blacklist.enabled,
                    source: beh.source,
                    age_min: u32::from(beh.ages.min),
                    age_max: u32::from(beh.ages.max),
                    spurious_daily: src.false_flags_per_year / 365.0,
                    coverage_urban: src.coverage_urban,
                    coverage_rural: src.coverage_rural,
                    misattribution: src.misattribution,
                }
            })
            .collect();
        let mut trait_pairs: Vec<TraitPair> = Vec::new();
        for (row, beh) in behaviours.iter().zip(&scenario.behaviours) {
            if row.trait_term == trait_pairs.len() {
                trait_pairs.push(TraitPair {
                    compliance_slope: beh.compliance_slope,
                    dissent_slope: beh.dissent_slope,
                    age_min: row.age_min,
                    age_max: row.age_max,
                });
            }
            let pair = &mut trait_pairs[row.trait_term];
            pair.age_min = pair.age_min.min(row.age_min);
            pair.age_max = pair.age_max.max(row.age_max);
        }
        let sanctions: Vec<Vec<Trigger>> = scenario
            .activities
            .iter()
            .map(|a| if scenario.sanctions_enabled { a.sanction.clone() } else { Vec::new() })
            .collect();
        let rewards: Vec<Vec<Trigger>> = scenario
            .activities
            .iter()
            .map(|a| if scenario.rewards_enabled { a.reward.clone() } else { Vec::new() })
            .collect();
        let school = scenario
            .activities
            .iter()
            .map(|a| match &a.kind {
                ActivityKind::SchoolEnrolment { ages, day_of_year } => Some((ages.clone(), *day_of_year)),
                ActivityKind::Daily { .. } => None,
            })
            .collect::<Vec<_>>();
        let any_daily_trigger = (0..scenario.activities.len())
            .any(|k| school[k].is_none() && (!sanctions[k].is_empty() || !rewards[k].is_empty()));
        Tables {
            behaviours,
            trait_pairs,
            activities: ActivityRates::new(scenario),
            triggers: TriggerTable::new(scenario, &sanctions, &rewards),
            sanctions,
            rewards,
            any_daily_trigger,
            school,
            listing_exit_rate: std::f64::consts::LN_2 / scenario.blacklist.half_life_days,
            base: scenario.score.base_milli,
            general_deterrence: scenario.pressure.general_deterrence,
            width_milli: scenario.pressure.width_points * 1000.0,
        }
    }
}

/// Samples which of a bundle of independent daily Bernoulli events happen,
/// given that at least one does. Event k has probability 1 − exp(−x_k)
/// (`rates[k]` = x_k); `suffix[k]` = Σ_{j ≥ k} x_j; `uniform(s)` is the
/// s-th uniform of the caller's counter. Calls `fired(k)` for each event
/// that happens, in order. Rates are non-negative, and `suffix` is summed
/// from the back one rate at a time, so it never increases.
///
/// Exact, and cheap for small rates: lay the events' hazards end to end on
/// [0, Σx) and throw the points of a unit-rate Poisson process on it; event
/// k happens when at least one point falls in its interval, which has
/// probability 1 − exp(−x_k), independently of the others. The first point
/// is drawn given that it falls inside (a truncated exponential); after a
/// point, by memorylessness, the next one that matters is an exponential
/// beyond the end of the interval it fell in. So the cost is one logarithm
/// per event that happens, not one per event that might.
#[inline]
pub fn sample_given_any(rates: &[f64], suffix: &[f64], uniform: impl Fn(u32) -> f64, mut fired: impl FnMut(usize)) {
    let n = rates.len();
    let total = suffix.first().copied().unwrap_or(0.0);
    if total <= 0.0 {
        return;
    }
    let cumulative = |k: usize| total - suffix.get(k + 1).copied().unwrap_or(0.0);
    let p_any = -(-total).exp_m1();
    let mut point = -(-uniform(0) * p_any).ln_1p();
    let mut slot = 1;
    let mut k = 0;
    let mut first = true;
    loop {
        // cumulative(k) never decreases with k (suffix sums of non-negative
        // rates never increase, and rounding is monotone), so the events the
        // scan below would pass over for ending at or before the point come
        // first: skip them by bisection, then scan as before.
        if let Some(rest) = suffix.get(k + 1..n) {
            k += rest.partition_point(|&s| total - s <= point);
        }
        while k < n && !(rates[k] > 0.0 && cumulative(k) > point) {
            k += 1;
        }
        if k >= n {
            if first {
                // Rounding put the first point at the very end: it belongs
                // to the last event with a positive rate.
                if let Some(last) = rates.iter().rposition(|&x| x > 0.0) {
                    fired(last);
                }
            }
            return;
        }
        fired(k);
        first = false;
        point = cumulative(k) - uniform(slot).ln();
        slot += 1;
        k += 1;
        if point >= total {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Rng, Stream};

    /// Each event's frequency given "any", and the frequency of pairs,
    /// match the exact conditional probabilities (5 sd).
    #[test]
    fn bundle_sampler_is_exact() {
        let rates = [0.02, 0.0, 0.3, 0.05, 0.6, 0.01];
        let mut suffix = [0.0; 6];
        let mut run = 0.0;
        for k in (0..6).rev() {
            run += rates[k];
            suffix[k] = run;
        }
        let p: Vec<f64> = rates.iter().map(|&x: &f64| -(-x).exp_m1()).collect();
        let p_any = -(-run).exp_m1();
        let rng = Rng::new(11);
        let trials = 200_000u32;
        let mut counts = [0u32; 6];
        let mut pair_2_4 = 0u32;
        for i in 0..trials {
            let mut got = [false; 6];
            sample_given_any(&rates, &suffix, |s| rng.uniform(Stream::CandidatePick, i, 0, s), |k| got[k] = true);
            assert!(got.iter().any(|&g| g), "at least one event must fire");
            for k in 0..6 {
                counts[k] += u32::from(got[k]);
            }
            pair_2_4 += u32::from(got[2] && got[4]);
        }
        for k in 0..6 {
            let want = p[k] / p_any;
            let sd = (want * (1.0 - want) / f64::from(trials)).sqrt().max(1e-9);
            let got = f64::from(counts[k]) / f64::from(trials);
            assert!((got - want).abs() < 5.0 * sd + 1e-12, "event {k}: {got} vs {want}");
        }
        let want = p[2] * p[4] / p_any;
        let sd = (want * (1.0 - want) / f64::from(trials)).sqrt();
        let got = f64::from(pair_2_4) / f64::from(trials);
        assert!((got - want).abs() < 5.0 * sd, "pair: {got} vs {want}");
    }
}
