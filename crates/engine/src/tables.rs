//! Per-run tables derived once from the scenario, so the day loop reads
//! numbers instead of re-deriving them: behaviour rates and their bounds,
//! activity attempt rates by (age, decile), trigger sets.

use scorelab_scenario::{ActivityKind, Scenario, Trigger};

/// One behaviour, ready for the day loop.
#[derive(Debug, Clone)]
pub struct BehaviourRow {
    /// λ_b / 365.
    pub daily_rate: f64,
    pub compliance_slope: f64,
    pub dissent_slope: f64,
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

/// Daily activity attempt rates (a / 365) for every (age, decile).
#[derive(Debug, Clone)]
pub struct ActivityRates {
    /// Number of activities (daily and school alike; school rows are 0).
    pub count: usize,
    /// `rates[(age * 10 + decile - 1) * count + k]`.
    rates: Vec<f64>,
    /// Sum of the row, per (age, decile).
    totals: Vec<f64>,
}

impl ActivityRates {
    fn new(scenario: &Scenario) -> Self {
        let count = scenario.activities.len();
        let mut rates = vec![0.0; 256 * 10 * count];
        let mut totals = vec![0.0; 256 * 10];
        for age in 0..256u32 {
            for decile in 1..=10u32 {
                let row = (age * 10 + decile - 1) as usize;
                for (k, a) in scenario.activities.iter().enumerate() {
                    if let ActivityKind::Daily { ages, rate_per_year, scale_by_decile } = &a.kind {
                        if ages.contains(age) {
                            let scale = if *scale_by_decile { f64::from(decile) } else { 1.0 };
                            let x = rate_per_year * scale / 365.0;
                            rates[row * count + k] = x;
                            totals[row] += x;
                        }
                    }
                }
            }
        }
        ActivityRates { count, rates, totals }
    }

    /// The rates of row (age, decile) and their sum.
    #[inline]
    pub fn row(&self, age: u32, decile: u8) -> (&[f64], f64) {
        let row = (age.min(255) * 10 + u32::from(decile) - 1) as usize;
        (&self.rates[row * self.count..(row + 1) * self.count], self.totals[row])
    }
}

/// Everything the day loop needs from the scenario, precomputed.
#[derive(Debug, Clone)]
pub struct Tables {
    pub behaviours: Vec<BehaviourRow>,
    pub activities: ActivityRates,
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
        let behaviours = scenario
            .behaviours
            .iter()
            .enumerate()
            .map(|(b, beh)| {
                let src = &scenario.sources[beh.source];
                BehaviourRow {
                    daily_rate: beh.rate_per_year / 365.0,
                    compliance_slope: beh.compliance_slope,
                    dissent_slope: beh.dissent_slope,
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
            activities: ActivityRates::new(scenario),
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
/// given that at least one does. Event k has probability 1 − exp(−x_k);
/// `suffix[k]` = Σ_{j ≥ k} x_j; `uniform(k)` is the k-th uniform of the
/// caller's counter. Calls `fired(k)` for each event that happens. Exact:
/// the events are drawn one by one, each conditioned on "at least one of
/// those left" until the first has happened, then unconditioned.
#[inline]
pub fn sample_given_any(rates: &[f64], suffix: &[f64], uniform: impl Fn(u32) -> f64, mut fired: impl FnMut(usize)) {
    let mut any = false;
    for (k, &x) in rates.iter().enumerate() {
        if x <= 0.0 {
            continue;
        }
        let p = -(-x).exp_m1();
        let p = if any { p } else { p / -(-suffix[k]).exp_m1() };
        if uniform(k as u32) < p {
            any = true;
            fired(k);
        }
    }
}
