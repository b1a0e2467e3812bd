//! The factor breakdown of a factor score (Sesame style) for one tracked
//! citizen, rebuilt from the citizen's audit trail.
//!
//! The engine keeps one score per citizen: a record of factor f adds its
//! points scaled by ω_f / (1 − w) (docs/scenarios.md, "Factor scores"). To
//! show the factors, the records are replayed per factor with the same
//! decay table: factor f's records give R_f (decayed points, as applied),
//! its sub-score is `B + R_f·(1 − w)/ω_f` and its contribution to the
//! effective score is `(1 − w)·R_f`; the network factor's sub-score is the
//! friends' term F and its contribution `w·(F − B)`. The contributions add
//! up to Ŝ − B up to rounding (each factor is rounded on its own) and the
//! clamps of S.

use scorelab_scenario::Scenario;

use crate::metrics::{AuditKind, AuditRow};
use crate::score::{div_round_half_even, Components, ScoreRules};

/// One factor of a citizen's score on a day.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorScore {
    /// The factor's name.
    pub name: String,
    /// Its weight ω.
    pub weight: f64,
    /// Whether it is the friends' term.
    pub network: bool,
    /// The sub-score, on the score's scale, in thousandths.
    pub sub_score_milli: i64,
    /// What it adds to the effective score relative to the base B, in
    /// thousandths: ω·(sub-score − B).
    pub contribution_milli: i64,
}

/// The factors of a citizen's score on `day`, from their audit rows (the
/// rows of one citizen, in day order; rows after `day` are ignored).
/// `friends_term_milli` is F as it stood that day (`None`: no friends, F
/// counts as B). Empty when the scenario's score has no factors.
pub fn breakdown(
    scenario: &Scenario,
    rows: &[AuditRow],
    day: u32,
    friends_term_milli: Option<i64>,
) -> Vec<FactorScore> {
    let score = &scenario.score;
    if score.factors.is_empty() {
        return Vec::new();
    }
    let w = scenario.network.weight_milli;
    let rules = ScoreRules::new(score, w, day);
    let mut parts = vec![(Components::default(), 0u32); score.factors.len()];
    let bring = |c: &mut (Components, u32), t: u32| {
        *c = (rules.components(c.0, c.1, t), t);
    };
    for row in rows.iter().filter(|r| r.day <= day) {
        match row.kind {
            AuditKind::Record => {
                let Some(f) = row
                    .behaviour
                    .as_deref()
                    .and_then(|b| scenario.behaviour_id(b))
                    .and_then(|b| scenario.behaviours[b].factor)
                else {
                    continue;
                };
                let points = row.points_milli.unwrap_or(0);
                let part = &mut parts[f];
                bring(part, row.day);
                if points > 0 {
                    part.0.gains += points;
                } else {
                    part.0.losses += points;
                    if row.erroneous == Some(true) {
                        part.0.erroneous += points;
                    }
                }
            }
            AuditKind::Appeal if row.won == Some(true) => {
                // A won appeal removes the erroneous losses of every factor.
                for part in &mut parts {
                    bring(part, row.day);
                    part.0.losses -= part.0.erroneous;
                    part.0.erroneous = 0;
                }
            }
            _ => {}
        }
    }
    let base = score.base_milli;
    score
        .factors
        .iter()
        .zip(&parts)
        .map(|(factor, part)| {
            let (sub_score_milli, contribution_milli) = if factor.network {
                let f = friends_term_milli.unwrap_or(base);
                (f, div_round_half_even(w * (f - base), 1000))
            } else {
                let now = rules.components(part.0, part.1, day);
                let applied = now.gains + now.losses;
                let contribution = div_round_half_even((1000 - w) * applied, 1000);
                let sub = base + (contribution as f64 / factor.weight).round_ties_even() as i64;
                (sub, contribution)
            };
            FactorScore {
                name: factor.name.clone(),
                weight: factor.weight,
                network: factor.network,
                sub_score_milli,
                contribution_milli,
            }
        })
        .collect()
}

/// The factors on the last day of `rows` (one citizen's audit rows, in day
/// order) that has an end-of-day score, with that day; F is recovered from
/// that day's own and effective scores (for a citizen without friends,
/// Ŝ = S gives F = S, which is what makes the factors add up to Ŝ then).
/// `None` when the score has no
/// factors or the rows hold no end-of-day score. What the dashboard's
/// citizen page and `scorelab explain` show.
pub fn breakdown_on_last_scored_day(scenario: &Scenario, rows: &[AuditRow]) -> Option<(u32, Vec<FactorScore>)> {
    if scenario.score.factors.is_empty() {
        return None;
    }
    let last = rows.iter().rev().find(|r| r.kind == AuditKind::Score)?;
    let (own, effective) = (last.own_score_milli.unwrap_or(0), last.effective_score_milli.unwrap_or(0));
    let friends = friends_term_from(own, effective, scenario.network.weight_milli);
    Some((last.day, breakdown(scenario, rows, last.day, friends)))
}

/// The friends' term F implied by an own score S and an effective score Ŝ
/// (Ŝ = round(((1000 − w')·S + w'·F) / 1000)), to within 1000/w'
/// thousandths; `None` with the network off.
pub fn friends_term_from(own_milli: i64, effective_milli: i64, weight_milli: i64) -> Option<i64> {
    (weight_milli > 0)
        .then(|| div_round_half_even(1000 * effective_milli - (1000 - weight_milli) * own_milli, weight_milli))
}
