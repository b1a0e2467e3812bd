//! Helpers shared by the engine's integration tests: running a scenario,
//! expectations of sums of independent Bernoulli trials, and the rates of
//! MODEL.md §2 recomputed from a run's own population.
#![allow(dead_code)]

pub mod oracle;

use scorelab_engine::{CitizenRow, DayMetrics, RunConfig, Simulation, YEAR};
use scorelab_scenario::{Behaviour, Scenario};

/// Parses scenario text (panics with the scenario error's message).
pub fn scenario(text: &str) -> Scenario {
    scorelab_scenario::parse_str(text, "test.toml").unwrap_or_else(|e| panic!("bad test scenario: {e}\n{text}"))
}

/// A built-in scenario.
pub fn builtin(name: &str) -> Scenario {
    scorelab_scenario::load_builtin(name).unwrap_or_else(|e| panic!("{e}"))
}

/// A scenario written from scratch (no `extends`): `body` holds every
/// section it needs; `[sources]`, `[behaviours]`, `[activities]` must be in it.
pub fn custom(body: &str) -> Scenario {
    scenario(&format!("name = \"test\"\ndescription = \"an engine test\"\n{body}"))
}

/// A scenario extending `seed-article` with the given overrides.
pub fn seed_with(overrides: &str) -> Scenario {
    scenario(&format!(
        "extends = \"seed-article\"\nname = \"variant\"\ndescription = \"seed-article variant\"\n{overrides}"
    ))
}

/// A finished run: the simulation (for its final state) and every day's figures.
pub struct Run {
    pub sim: Simulation,
    pub days: Vec<DayMetrics>,
}

impl Run {
    pub fn citizens(&self) -> Vec<CitizenRow> {
        self.sim.citizens(1).collect()
    }

    /// Σ over days of `f(day)`.
    pub fn sum(&self, f: impl Fn(&DayMetrics) -> u64) -> u64 {
        self.days.iter().map(f).sum()
    }
}

pub fn run(sc: &Scenario, citizens: u32, days: u32, seed: u64, tracked: Vec<u32>) -> Run {
    let mut sim = Simulation::new(sc, RunConfig { citizens, days, seed, tracked }).expect("run config");
    let mut out = Vec::with_capacity(days as usize);
    while !sim.is_done() {
        out.push(sim.step());
    }
    Run { sim, days: out }
}

/// Probability of at least one event on a day with daily rate `x`: 1 − e^(−x).
pub fn p_day(x: f64) -> f64 {
    -(-x).exp_m1()
}

/// The expectation and variance of a sum of independent Bernoulli trials.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect {
    pub mean: f64,
    pub var: f64,
}

impl Expect {
    /// Adds `n` trials of probability `p`.
    pub fn add(&mut self, p: f64, n: f64) {
        self.mean += p * n;
        self.var += p * (1.0 - p) * n;
    }

    /// Asserts |observed − mean| ≤ k·sd (or equality when the variance is 0).
    #[track_caller]
    pub fn check(&self, observed: u64, k: f64, what: &str) {
        let sd = self.var.sqrt();
        let z = (observed as f64 - self.mean) / sd.max(1e-12);
        // Shown with `--nocapture`: how far inside its tolerance each check is.
        eprintln!("check {what}: observed {observed}, expected {:.1} ± {sd:.1}, z = {z:.2}", self.mean);
        if self.var == 0.0 {
            assert!(
                (observed as f64 - self.mean).abs() < 1e-6,
                "{what}: observed {observed}, expected exactly {}",
                self.mean
            );
        } else {
            assert!(
                z.abs() <= k,
                "{what}: observed {observed}, expected {:.1} ± {:.1} (z = {z:.2}, limit {k} sd)",
                self.mean,
                sd
            );
        }
    }
}

/// Day-0 age of a citizen row taken at the end of a run of `days` days.
pub fn age0(c: &CitizenRow, days: u32) -> u32 {
    c.age - (days - 1) / YEAR
}

/// Number of days `t` in `0..days` on which a citizen of day-0 age `age0`
/// has an age in `min..=max` (age on day t = age0 + ⌊t/365⌋).
pub fn eligible_days(age0: u32, min: u8, max: u8, days: u32) -> u32 {
    (0..days).filter(|t| (u32::from(min)..=u32::from(max)).contains(&(age0 + t / YEAR))).count() as u32
}

/// λ_ib / 365 with no pressure (MODEL.md §2): the base daily rate of
/// behaviour `b` for citizen `c`.
pub fn daily_rate(b: &Behaviour, c: &CitizenRow) -> f64 {
    let x = b.rate_per_year / 365.0
        * (b.compliance_slope * (f64::from(c.compliance) - 0.5) + b.dissent_slope * (f64::from(c.dissent) - 0.5)).exp();
    if c.urban {
        x * b.urban_multiplier
    } else {
        x
    }
}

/// Index of a named behaviour.
pub fn beh(sc: &Scenario, name: &str) -> usize {
    sc.behaviour_id(name).unwrap_or_else(|| panic!("no behaviour {name}"))
}

/// Index of a named activity.
pub fn act(sc: &Scenario, name: &str) -> usize {
    sc.activity_id(name).unwrap_or_else(|| panic!("no activity {name}"))
}

/// Round half to even of num/den (den > 0), independent of the engine's.
pub fn half_even(num: i64, den: i64) -> i64 {
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den);
    if 2 * r < den {
        q
    } else if 2 * r > den {
        q + 1
    } else if q % 2 == 0 {
        q
    } else {
        q + 1
    }
}

/// round(x0 · 2^(−k/h)), half to even, the factor computed in f64 as MODEL.md §4 says.
pub fn decay(x0: i64, k: u32, h: f64) -> i64 {
    (x0 as f64 * (-(f64::from(k)) / h).exp2()).round_ties_even() as i64
}

/// The seed-article activities (MODEL.md §6), as scenario text, for
/// scenarios written from scratch.
pub const ACTIVITIES: &str = r#"
[activities.flight]
ages = [18, 80]
rate_per_year = 0.1
scale_by_decile = true
sanction = { triggers = ["blacklisted", "grade <= D"] }

[activities.high_speed_rail]
ages = [10, 85]
rate_per_year = 0.5
scale_by_decile = true
sanction = { triggers = ["blacklisted", "grade <= D"] }
reward = { triggers = ["grade >= AA"], label = "priority_ticket" }

[activities.travel_abroad]
ages = [18, 80]
rate_per_year = 0.02
scale_by_decile = true
sanction = { triggers = ["grade <= C"] }

[activities.civil_service_job]
ages = [22, 35]
rate_per_year = 0.3
sanction = { triggers = ["grade <= C", "blacklisted"] }

[activities.pet_registration]
ages = [18, 80]
rate_per_year = 0.05
sanction = { triggers = ["grade <= C"] }

[activities.luxury_hotel]
ages = [18, 85]
rate_per_year = 0.1
scale_by_decile = true
sanction = { triggers = ["blacklisted"] }
reward = { triggers = ["grade >= AA"], label = "five_star_access" }

[activities.internet_plan]
ages = [15, 95]
rate_per_year = 0.2
sanction = { triggers = ["grade <= C"], label = "throttled" }
reward = { triggers = ["grade >= AA"], label = "high_speed_internet" }

[activities.scholarship]
ages = [15, 24]
rate_per_year = 0.3
sanction = { triggers = ["grade <= C"] }
reward = { triggers = ["grade >= A"], label = "scholarship_bonus" }

[activities.school_enrolment]
kind = "school_enrolment"
enrolment_ages = [6, 12]
day_of_year = 243
sanction = { triggers = ["blacklisted", "grade <= C"] }
"#;
