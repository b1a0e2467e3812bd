//! The resolved, validated scenario: what the engine reads.
//!
//! A [`Scenario`] is built only by [`crate::load`] and friends, after the file
//! format has been parsed, `extends` chains merged and every value checked,
//! so the engine can rely on the invariants written on each field (indices in
//! range, probabilities in [0, 1], grades in descending order) without
//! checking them again.

use serde::Serialize;

/// Index of a behaviour in [`Scenario::behaviours`].
pub type BehaviourId = usize;
/// Index of a data source in [`Scenario::sources`].
pub type SourceId = usize;
/// Index of an activity in [`Scenario::activities`].
pub type ActivityId = usize;
/// Index of a grade in [`Score::grades`]; 0 is the highest grade.
pub type GradeId = usize;
/// Index of a factor in [`Score::factors`].
pub type FactorId = usize;

/// A complete policy: population, behaviours, data sources, score,
/// blacklist, activities with their sanctions and rewards, appeals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// Short name, e.g. `seed-article`.
    pub name: String,
    /// One line saying what the scenario models.
    pub description: String,
    /// The synthetic population (`[population]`).
    pub population: Population,
    /// The friends graph (`[network]`).
    pub network: Network,
    /// Pressure on aware citizens (`[pressure]`).
    pub pressure: Pressure,
    /// The points score and its grades (`[score]`).
    pub score: Score,
    /// The court blacklist (`[blacklist]`).
    pub blacklist: Blacklist,
    /// Appeals (`[appeals]`).
    pub appeals: Appeals,
    /// Whether sanctions are applied at all (`false` in `baseline`).
    pub sanctions_enabled: bool,
    /// Whether rewards are granted at all.
    pub rewards_enabled: bool,
    /// Share of citizens who take part in the system (`[participation]`);
    /// 1 for a compulsory system. The others are never recorded, scored,
    /// pressured, sanctioned or rewarded.
    pub participation_share: f64,
    /// Days simulated before the reported run (`[burn_in]`), a whole
    /// number of years; their figures are not part of the run's totals.
    pub burn_in_days: u32,
    /// Data sources, in file order.
    pub sources: Vec<Source>,
    /// Enabled behaviours, in file order. Never empty.
    pub behaviours: Vec<Behaviour>,
    /// Enabled activities, in file order.
    pub activities: Vec<Activity>,
}

/// MODEL.md section 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Population {
    /// Age bands on day 0; shares sum to 1 (within 1e-9) and bands are
    /// disjoint, ascending, with `max <= 255`.
    pub age_bands: Vec<AgeBand>,
    /// Weight of each region; length is the number of regions (1..=255),
    /// every weight > 0, normalised to sum to 1.
    pub region_weights: Vec<f64>,
    /// Probability that a citizen is urban.
    pub urban_share: f64,
    /// Shift of the latent income for urban citizens (latent = N(0,1) + shift·urban).
    pub income_urban_shift: f64,
    /// Compliance c ~ Beta(alpha, beta).
    pub compliance: BetaDist,
    /// Dissent d ~ Beta(alpha, beta).
    pub dissent: BetaDist,
    /// Probability that a citizen is aware of the system.
    pub aware_share: f64,
    /// Age below which a citizen has a guardian (18).
    pub adult_age: u8,
    /// Inclusive age range from which guardians are drawn (25..=64).
    pub guardian_ages: AgeRange,
}

/// Parameters of a Beta distribution, both > 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BetaDist {
    /// α > 0.
    pub alpha: f64,
    /// β > 0.
    pub beta: f64,
}

/// One age band of the day-0 age distribution; ages uniform inside.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AgeBand {
    /// First age of the band (whole years).
    pub min: u8,
    /// Last age of the band, included.
    pub max: u8,
    /// Share of the population in the band.
    pub share: f64,
}

/// An inclusive range of whole years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgeRange {
    /// Youngest age inside the range.
    pub min: u8,
    /// Oldest age inside the range (included).
    pub max: u8,
}

impl AgeRange {
    /// Whether `age` lies inside the range (both ends included).
    #[inline]
    pub fn contains(&self, age: u32) -> bool {
        age >= u32::from(self.min) && age <= u32::from(self.max)
    }
}

/// The friends graph and its weight in the effective score (section 1, 4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    /// Mean number of friends per citizen (even split into created and received edges).
    pub mean_degree: f64,
    /// Share of edges whose two ends are in the same region.
    pub in_region_share: f64,
    /// Network weight w in thousandths (0..=1000); 0 turns the network off.
    pub weight_milli: i64,
    /// The friends' term is refreshed on days with `t mod period == period - 1`.
    pub update_period_days: u32,
}

/// Pressure felt by aware citizens (section 2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pressure {
    /// General deterrence g in [0, 1].
    pub general_deterrence: f64,
    /// Width W in points (> 0).
    pub width_points: f64,
    /// Whether a scenario that penalises nothing still puts pressure on
    /// aware citizens (so that rewards' boost γ acts); MODEL.md §11 says
    /// no, and that is the default.
    pub without_penalties: bool,
}

/// The points score and its grades (section 4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Whether records change a score at all.
    pub enabled: bool,
    /// Base score B, in thousandths of a point.
    pub base_milli: i64,
    /// Lower clamp S_min, in thousandths.
    pub min_milli: i64,
    /// Upper clamp S_max, in thousandths.
    pub max_milli: i64,
    /// Half-life h of G, L and E in days (> 0).
    pub half_life_days: f64,
    /// Grades from the highest to the lowest; thresholds strictly
    /// descending; the last grade has no threshold (it catches the rest).
    pub grades: Vec<Grade>,
    /// The score's factors (Sesame-style), empty for a plain points score.
    /// Weights are > 0 and sum to 1; at most one is the network factor,
    /// and its weight is the network weight w.
    pub factors: Vec<Factor>,
}

/// A named part of a factor score and its weight: the effective score is
/// the weighted sum of the factors' sub-scores (docs/scenarios.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    /// Name, `[a-z0-9_]+`.
    pub name: String,
    /// Weight ω in (0, 1].
    pub weight: f64,
    /// Whether the sub-score is the friends' term F rather than records.
    pub network: bool,
}

impl Score {
    /// The grade of an effective score (thousandths): the highest grade whose
    /// threshold is at most the score.
    #[inline]
    pub fn grade_of(&self, effective_milli: i64) -> GradeId {
        self.grades
            .iter()
            .position(|g| g.threshold_milli.is_none_or(|t| effective_milli >= t))
            .unwrap_or(self.grades.len() - 1)
    }
}

/// One grade of the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grade {
    /// Name used in triggers (`grade <= C`) and reports.
    pub name: String,
    /// Lowest effective score (thousandths) with this grade; `None` for the
    /// lowest grade.
    pub threshold_milli: Option<i64>,
}

/// The court blacklist (section 5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blacklist {
    /// Whether blacklisting records list anyone.
    pub enabled: bool,
    /// Half-life of a listing in days: daily exit probability 1 − 2^(−1/h).
    pub half_life_days: f64,
    /// Statutory term: a listing made on day t is gone from day t + term on.
    pub max_days: u32,
}

/// Appeals (section 7).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appeals {
    /// Whether citizens appeal at all.
    pub enabled: bool,
    /// A denial within this many days (today included) makes a citizen appeal.
    pub window_days: u32,
    /// Daily probability of appealing while inside the window.
    pub daily_probability: f64,
    /// Probability that an appeal with something erroneous to remove wins.
    pub win_probability: f64,
    /// Whether every record is shown to the citizen, so that a citizen with
    /// anything erroneous on their record appeals (at the daily
    /// probability) without waiting for a denial.
    pub visible_records: bool,
}

/// A data source (section 3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// Name of the source, `[a-z0-9_]+`.
    pub name: String,
    /// Probability that a true event of an urban citizen is recorded.
    pub coverage_urban: f64,
    /// Probability that a true event of a rural citizen is recorded.
    pub coverage_rural: f64,
    /// Misattribution rate m.
    pub misattribution: f64,
    /// Spurious records per citizen-year, φ.
    pub false_flags_per_year: f64,
}

/// A behaviour of the catalogue (section 2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Behaviour {
    /// Name of the behaviour, `[a-z0-9_]+`.
    pub name: String,
    /// The data source that records it (index into [`Scenario::sources`]).
    pub source: SourceId,
    /// Ages at which a citizen can do it (eligibility).
    pub ages: AgeRange,
    /// λ_b, events per eligible citizen-year (≥ 0).
    pub rate_per_year: f64,
    /// β_c, slope on compliance.
    pub compliance_slope: f64,
    /// β_d, slope on dissent.
    pub dissent_slope: f64,
    /// u_b ≥ 0, rate multiplier for urban citizens.
    pub urban_multiplier: f64,
    /// π_b in thousandths of a point, as applied to the score. With
    /// factors, the file's points scaled by ω_f / (1 − w) (docs/scenarios.md).
    pub points_milli: i64,
    /// The score factor this behaviour's records count towards, if the
    /// score has factors.
    pub factor: Option<FactorId>,
    /// Whether a record puts the citizen on the blacklist.
    pub blacklists: bool,
    /// κ_b in [0, 1].
    pub deterrence: f64,
    /// γ_b ≥ 0.
    pub boost: f64,
}

/// Who is tested against an activity's triggers, and when attempts happen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ActivityKind {
    /// Every eligible citizen attempts with a daily probability.
    Daily {
        /// Ages of the citizens who attempt it.
        ages: AgeRange,
        /// a, attempts per citizen-year (multiplied by the decile when `scale_by_decile`).
        rate_per_year: f64,
        /// Whether the rate is multiplied by the income decile (1..=10).
        scale_by_decile: bool,
    },
    /// Children of the listed ages attempt once, on the given day of the
    /// year; the triggers are evaluated on their guardian.
    SchoolEnrolment {
        /// Ages (on the day) of the children who apply, e.g. `[6, 12]`.
        ages: Vec<u8>,
        /// The attempt is on days t with `t mod 365 == day_of_year` (0..365).
        day_of_year: u32,
    },
}

/// A condition on a citizen's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Trigger {
    /// The citizen is on the blacklist.
    Blacklisted,
    /// The citizen's grade is this grade or a lower one (index ≥ this).
    GradeAtMost(GradeId),
    /// The citizen's grade is this grade or a higher one (index ≤ this).
    GradeAtLeast(GradeId),
}

/// An activity with its sanction and reward (section 6).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// Name of the activity, `[a-z0-9_]+`.
    pub name: String,
    /// Who attempts it and when.
    pub kind: ActivityKind,
    /// The activity is denied when any of these is met.
    pub sanction: Vec<Trigger>,
    /// Label of the sanction (e.g. "throttled"), for reports.
    pub sanction_label: Option<String>,
    /// The activity is granted (a perk) when any of these is met and no sanction is.
    pub reward: Vec<Trigger>,
    /// Label of the reward (e.g. "priority_ticket").
    pub reward_label: Option<String>,
}

impl Scenario {
    /// Whether behaviour `b` is penalised (MODEL.md §11): negative points with
    /// the score on, or a blacklisting record with the blacklist on.
    pub fn is_penalised(&self, b: BehaviourId) -> bool {
        let beh = &self.behaviours[b];
        (self.score.enabled && beh.points_milli < 0) || (self.blacklist.enabled && beh.blacklists)
    }

    /// Whether behaviour `b` is rewarded: positive points with the score on.
    pub fn is_rewarded(&self, b: BehaviourId) -> bool {
        self.score.enabled && self.behaviours[b].points_milli > 0
    }

    /// Whether the scenario puts any pressure on citizens at all; a scenario
    /// that penalises nothing sets `aware` to 0 for everyone (§11).
    /// `[pressure] without_penalties` keeps it for rewards-only designs.
    pub fn has_pressure(&self) -> bool {
        (0..self.behaviours.len())
            .any(|b| self.is_penalised(b) || (self.pressure.without_penalties && self.is_rewarded(b)))
    }

    /// Human-readable text of a trigger, e.g. `grade <= D`.
    pub fn trigger_text(&self, trigger: Trigger) -> String {
        match trigger {
            Trigger::Blacklisted => "blacklisted".to_string(),
            Trigger::GradeAtMost(g) => format!("grade <= {}", self.score.grades[g].name),
            Trigger::GradeAtLeast(g) => format!("grade >= {}", self.score.grades[g].name),
        }
    }

    /// Index of a behaviour by name.
    pub fn behaviour_id(&self, name: &str) -> Option<BehaviourId> {
        self.behaviours.iter().position(|b| b.name == name)
    }

    /// Index of an activity by name.
    pub fn activity_id(&self, name: &str) -> Option<ActivityId> {
        self.activities.iter().position(|a| a.name == name)
    }
}
