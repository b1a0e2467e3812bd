//! `summary.json`: the headline figures of a run, the ones the CLI prints,
//! and, when a baseline run is given, the chilling effect (MODEL.md
//! section 9): true events per behaviour relative to the same-seed run with
//! scoring turned off.
//!
//! Lists keep scenario order (grades highest first), so the JSON text is
//! the same for the same run.

use scorelab_engine::metrics::{DayMetrics, RunTotals};
use scorelab_scenario::Scenario;
use serde::{Deserialize, Deserializer, Serialize};

use crate::names::Names;

/// Headline figures of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Number of citizens.
    pub citizens: u64,
    /// Number of days the figures cover: the days simulated after the
    /// burn-in.
    pub days: u32,
    /// Days simulated before those (the scenario's `[burn_in]`), not
    /// counted in the figures; the run's day numbers include them.
    #[serde(default)]
    pub burn_in_days: u32,
    /// Figures of the last day.
    pub final_day: FinalDay,
    /// Per activity, over the run, in scenario order.
    pub activities: Vec<ActivitySummary>,
    /// Per behaviour, over the run, in scenario order.
    pub behaviours: Vec<BehaviourSummary>,
    /// Distinct citizens ever denied anything.
    pub unique_denied_any: u64,
    /// Distinct citizens ever on the blacklist.
    pub ever_blacklisted: u64,
    /// School places denied because of a guardian (events).
    pub school_denials: u64,
    /// Distinct children denied a school place because of a guardian.
    pub children_denied_school: u64,
    /// Appeals made over the run.
    pub appeals: u64,
    /// Appeals won over the run.
    pub appeals_won: u64,
    /// The chilling effect, when the run was compared with a baseline.
    #[serde(default)]
    pub chilling: Option<Vec<ChillingRow>>,
    /// The baseline run's folder, when there is a comparison.
    #[serde(default)]
    pub baseline_run: Option<String>,
}

/// Figures of the last day of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalDay {
    /// The day (0-based).
    pub day: u32,
    /// Citizens aged 18 or more: the population of the score figures.
    pub adults: u64,
    /// Adults per grade, highest grade first.
    pub grades: Vec<GradeCount>,
    /// Citizens on the blacklist.
    pub blacklisted: u64,
    /// Of those, listings not backed by a correct record.
    pub blacklisted_erroneous: u64,
    /// Mean effective score of adults, in points (null in JSON when there are no adults).
    #[serde(deserialize_with = "f64_or_nan")]
    pub score_mean: f64,
    /// 10th percentile of the effective score, in points.
    #[serde(deserialize_with = "f64_or_nan")]
    pub score_p10: f64,
    /// Median effective score, in points.
    #[serde(deserialize_with = "f64_or_nan")]
    pub score_p50: f64,
    /// 90th percentile of the effective score, in points.
    #[serde(deserialize_with = "f64_or_nan")]
    pub score_p90: f64,
    /// Gini coefficient of the effective score.
    #[serde(deserialize_with = "f64_or_nan")]
    pub score_gini: f64,
}

/// Adults in one grade on the last day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeCount {
    /// Grade name.
    pub grade: String,
    /// Adults with this grade.
    pub adults: u64,
    /// Share of all adults (0 when there are none).
    pub share: f64,
}

/// Per-run figures of one activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivitySummary {
    /// Activity name.
    pub activity: String,
    /// Denials over the run.
    pub denials: u64,
    /// Of those, denials that were wrongful.
    pub wrongful_denials: u64,
    /// `wrongful_denials / denials`; `None` when nothing was denied.
    pub wrongful_share: Option<f64>,
    /// Grants (rewards) over the run.
    pub grants: u64,
    /// Distinct citizens denied this activity at least once.
    pub unique_denied: u64,
}

/// Per-run figures of one behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviourSummary {
    /// Behaviour name.
    pub behaviour: String,
    /// Events that happened.
    pub true_events: u64,
    /// Records written against the actor.
    pub correct_records: u64,
    /// Erroneous records (misattributed or spurious).
    pub erroneous_records: u64,
}

/// The chilling effect on one behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChillingRow {
    /// Behaviour name.
    pub behaviour: String,
    /// True events in this run.
    pub events: u64,
    /// True events in the baseline run (0 when the baseline does not have the behaviour).
    pub baseline_events: u64,
    /// Whether the baseline run has a behaviour of this name.
    pub in_baseline: bool,
    /// `events / baseline_events`; `None` when the baseline had no such events.
    pub ratio: Option<f64>,
}

/// Deserialises a number, or `null` (what JSON writes for NaN) as NaN.
fn f64_or_nan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Summary {
    /// The summary of a run of `scenario` from its totals and its last day.
    pub fn build(scenario: &Scenario, seed: u64, totals: &RunTotals, last_day: &DayMetrics) -> Summary {
        let mut summary = Summary::from_names(&scenario.name, &Names::of(scenario), seed, totals, last_day);
        summary.burn_in_days = scenario.burn_in_days;
        summary.days = totals.days.saturating_sub(scenario.burn_in_days);
        summary
    }

    /// [`Summary::build`] from the scenario's name and names only.
    /// Figures missing from a vector shorter than its names count as 0.
    pub fn from_names(scenario: &str, names: &Names, seed: u64, totals: &RunTotals, last_day: &DayMetrics) -> Summary {
        let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        let d = last_day;
        Summary {
            scenario: scenario.to_string(),
            seed,
            citizens: totals.citizens,
            days: totals.days,
            burn_in_days: 0,
            final_day: FinalDay {
                day: d.day,
                adults: d.adults,
                grades: names
                    .grades
                    .iter()
                    .enumerate()
                    .map(|(g, name)| {
                        let adults = at(&d.grade_counts, g);
                        GradeCount { grade: name.clone(), adults, share: share(adults, d.adults).unwrap_or(0.0) }
                    })
                    .collect(),
                blacklisted: d.blacklisted,
                blacklisted_erroneous: d.blacklisted_erroneous,
                score_mean: d.score_mean,
                score_p10: d.score_p10,
                score_p50: d.score_p50,
                score_p90: d.score_p90,
                score_gini: d.score_gini,
            },
            activities: names
                .activities
                .iter()
                .enumerate()
                .map(|(a, name)| {
                    let denials = at(&totals.denials, a);
                    let wrongful = at(&totals.wrongful_denials, a);
                    ActivitySummary {
                        activity: name.clone(),
                        denials,
                        wrongful_denials: wrongful,
                        wrongful_share: share(wrongful, denials),
                        grants: at(&totals.grants, a),
                        unique_denied: at(&totals.unique_denied, a),
                    }
                })
                .collect(),
            behaviours: names
                .behaviours
                .iter()
                .enumerate()
                .map(|(b, name)| BehaviourSummary {
                    behaviour: name.clone(),
                    true_events: at(&totals.true_events, b),
                    correct_records: at(&totals.correct_records, b),
                    erroneous_records: at(&totals.erroneous_records, b),
                })
                .collect(),
            unique_denied_any: totals.unique_denied_any,
            ever_blacklisted: totals.ever_blacklisted,
            school_denials: totals.school_denials,
            children_denied_school: totals.children_denied_school,
            appeals: totals.appeals,
            appeals_won: totals.appeals_won,
            chilling: None,
            baseline_run: None,
        }
    }

    /// This summary with the chilling effect against `baseline` (the same
    /// seed run of the `baseline` scenario), stored in `baseline_run`.
    /// Behaviours are matched by name; one of this run that the baseline
    /// lacks has `in_baseline: false` and no ratio.
    pub fn with_chilling(mut self, baseline: &Summary, baseline_run: &str) -> Summary {
        let rows = self
            .behaviours
            .iter()
            .map(|b| {
                let base = baseline.behaviours.iter().find(|x| x.behaviour == b.behaviour);
                let baseline_events = base.map_or(0, |x| x.true_events);
                ChillingRow {
                    behaviour: b.behaviour.clone(),
                    events: b.true_events,
                    baseline_events,
                    in_baseline: base.is_some(),
                    ratio: share(b.true_events, baseline_events),
                }
            })
            .collect();
        self.chilling = Some(rows);
        self.baseline_run = Some(baseline_run.to_string());
        self
    }

    /// Why `baseline` is not a like-for-like counterfactual of this run
    /// (another seed, population size or length), or `None` when it is.
    /// The chilling effect is only meaningful against the same seed.
    pub fn baseline_mismatch(&self, baseline: &Summary) -> Option<String> {
        let mut problems = Vec::new();
        if self.seed != baseline.seed {
            problems.push(format!("seed {} vs {}", self.seed, baseline.seed));
        }
        if self.citizens != baseline.citizens {
            problems.push(format!("{} vs {} citizens", self.citizens, baseline.citizens));
        }
        if self.days != baseline.days {
            problems.push(format!("{} vs {} days", self.days, baseline.days));
        }
        if self.burn_in_days != baseline.burn_in_days {
            problems.push(format!(
                "a burn-in of {} vs {} days (run the baseline with `--set burn_in.days={}`)",
                self.burn_in_days, baseline.burn_in_days, self.burn_in_days
            ));
        }
        (!problems.is_empty()).then(|| format!("the baseline run differs: {}", problems.join(", ")))
    }
}
