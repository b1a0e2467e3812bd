//! Validation and resolution: from the file format to the model the engine reads.
//!
//! Every check names the key it is about, so a failure is located in the
//! file (and line) that wrote the value. Disabled behaviours and activities
//! get every check on their own values, but their references (a behaviour's
//! source, the grades a trigger names) are only resolved for enabled
//! entries: a scenario that renames the grades can simply disable the
//! activities that used the old ones.

use crate::error::{suggest, ErrorKind, KeyPath, ScenarioError};
use crate::layer::{At, Merged};
use crate::model::*;
use crate::schema::*;

/// Largest magnitude of a value in points (scores, thresholds, points per
/// record): in thousandths it stays far inside the exactly representable
/// integers of an `f64`, and sums over a lifetime stay far inside `i64`.
pub(crate) const MAX_POINTS: f64 = 1e9;

/// Tolerance on the sum of the age band shares.
pub(crate) const SHARE_SUM_TOLERANCE: f64 = 1e-6;

/// Converts points to integer thousandths, rounding half to even; `None`
/// when `x` is not finite, too large, or not a whole number of thousandths
/// (e.g. 1.0005). Binary floating-point noise (0.15 · 1000 =
/// 150.00000000000003) is accepted.
pub(crate) fn to_milli(x: f64) -> Option<i64> {
    if !x.is_finite() || x.abs() > MAX_POINTS {
        return None;
    }
    let m = x * 1000.0;
    let r = m.round_ties_even();
    let tolerance = (m.abs() * 4.0 * f64::EPSILON).max(1e-6);
    // |r| <= 1e12, so the conversion is exact.
    ((m - r).abs() <= tolerance).then_some(r as i64)
}

/// A trigger as written, before its grade is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TriggerText<'a> {
    Blacklisted,
    AtMost(&'a str),
    AtLeast(&'a str),
}

/// Parses `blacklisted`, `grade <= X` or `grade >= X` (spaces anywhere
/// between the parts, or none).
pub(crate) fn parse_trigger(s: &str) -> Option<TriggerText<'_>> {
    let s = s.trim();
    if s == "blacklisted" {
        return Some(TriggerText::Blacklisted);
    }
    let rest = s.strip_prefix("grade")?.trim_start();
    let (at_most, name) = if let Some(n) = rest.strip_prefix("<=") {
        (true, n.trim())
    } else if let Some(n) = rest.strip_prefix(">=") {
        (false, n.trim())
    } else {
        return None;
    };
    if !is_grade_name(name) {
        return None;
    }
    Some(if at_most { TriggerText::AtMost(name) } else { TriggerText::AtLeast(name) })
}

/// Grade names: letters, digits, `_`, `+` and `-` (so `A+` works and a
/// trigger can always be split unambiguously).
pub(crate) fn is_grade_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+' || c == '-')
}

/// Names of sources, behaviours and activities: `[a-z0-9_]+`.
pub(crate) fn is_entry_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Scenario names: `[A-Za-z0-9_-]+`, at most 64 characters (they name run
/// folders).
pub(crate) fn is_scenario_name(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The checker: every method validates one value and, on failure, returns
/// an error located at `path`.
struct Ck<'a> {
    m: &'a Merged,
}

type R<T> = Result<T, ScenarioError>;

impl Ck<'_> {
    fn bad(&self, path: &KeyPath, msg: impl Into<String>) -> ScenarioError {
        self.m.diag(path, ErrorKind::InvalidValue, msg, At::Value)
    }

    fn bad_key(&self, path: &KeyPath, msg: impl Into<String>) -> ScenarioError {
        self.m.diag(path, ErrorKind::InvalidValue, msg, At::Key)
    }

    fn missing(&self, path: &KeyPath, msg: impl Into<String>) -> ScenarioError {
        self.m.diag(path, ErrorKind::MissingKey, msg, At::Value)
    }

    /// A value in [0, 1]; `what` says what it is ("a probability", "a share").
    fn unit(&self, p: &KeyPath, x: f64, what: &str) -> R<f64> {
        if x.is_finite() && (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(self.bad(p, format!("must be {what} in [0, 1]")))
        }
    }

    fn rate(&self, p: &KeyPath, x: f64, unit: &str) -> R<f64> {
        if x.is_finite() && x >= 0.0 {
            Ok(x)
        } else {
            Err(self.bad(p, format!("must be a rate >= 0 ({unit})")))
        }
    }

    fn positive(&self, p: &KeyPath, x: f64, what: &str) -> R<f64> {
        if x.is_finite() && x > 0.0 {
            Ok(x)
        } else {
            Err(self.bad(p, format!("must be > 0 ({what})")))
        }
    }

    fn within(&self, p: &KeyPath, x: f64, lo: f64, hi: f64, what: &str) -> R<f64> {
        if x.is_finite() && x >= lo && x <= hi {
            Ok(x)
        } else {
            Err(self.bad(p, format!("must be {what} in [{lo}, {hi}]")))
        }
    }

    fn days(&self, p: &KeyPath, x: i64, what: &str) -> R<u32> {
        match u32::try_from(x) {
            Ok(d) if d >= 1 => Ok(d),
            _ => Err(self.bad(p, format!("must be a whole number of days >= 1 ({what})"))),
        }
    }

    fn milli(&self, p: &KeyPath, x: f64) -> R<i64> {
        to_milli(x).ok_or_else(|| {
            self.bad(
                p,
                "must be a number of points with at most 3 decimals (scores are kept in \
                 whole thousandths of a point), between -1e9 and 1e9",
            )
        })
    }

    fn age(&self, p: &KeyPath, x: i64) -> R<u8> {
        u8::try_from(x).map_err(|_| self.bad(p, "must be an age in whole years, from 0 to 255"))
    }

    fn age_range(&self, p: &KeyPath, v: &[i64]) -> R<AgeRange> {
        let [min, max] = v else {
            return Err(self.bad(
                p,
                format!("must be [min, max]: two ages in whole years, both included (found {} of them)", v.len()),
            ));
        };
        let min = self.age(&p.index(0), *min)?;
        let max = self.age(&p.index(1), *max)?;
        if min > max {
            return Err(self.bad(p, format!("must be [min, max] with min <= max (found min {min} > max {max})")));
        }
        Ok(AgeRange { min, max })
    }

    fn entry_name(&self, p: &KeyPath, name: &str, what: &str) -> R<()> {
        if is_entry_name(name) {
            Ok(())
        } else {
            Err(self.bad_key(
                p,
                format!("invalid {what} name `{name}`: names use only lowercase letters a-z, digits 0-9 and `_`"),
            ))
        }
    }
}

/// Checks a merged, deserialized scenario and builds the model.
pub(crate) fn resolve(f: &FileScenario, m: &Merged) -> Result<Scenario, ScenarioError> {
    let ck = Ck { m };
    if !is_scenario_name(&f.name) {
        return Err(ck.bad(
            &KeyPath::of(&["name"]),
            "must be 1 to 64 characters from A-Z, a-z, 0-9, `_` and `-` (it names run folders)",
        ));
    }
    if f.description.chars().any(char::is_control) {
        return Err(
            ck.bad(&KeyPath::of(&["description"]), "must be one line of text (no line breaks or control characters)")
        );
    }
    let population = population(&ck, &f.population)?;
    let network = network(&ck, &f.network)?;
    let pressure = {
        let p = KeyPath::of(&["pressure"]);
        Pressure {
            general_deterrence: ck.unit(
                &p.key("general_deterrence"),
                f.pressure.general_deterrence,
                "a probability (general deterrence g)",
            )?,
            width_points: ck.positive(&p.key("width_points"), f.pressure.width_points, "the width W in points")?,
            without_penalties: f.pressure.without_penalties,
        }
    };
    let score = score(&ck, &f.score, network.weight_milli)?;
    let blacklist = {
        let p = KeyPath::of(&["blacklist"]);
        Blacklist {
            enabled: f.blacklist.enabled,
            half_life_days: ck.positive(&p.key("half_life_days"), f.blacklist.half_life_days, "a half-life in days")?,
            max_days: ck.days(&p.key("max_days"), f.blacklist.max_days, "the statutory term")?,
        }
    };
    let appeals = {
        let p = KeyPath::of(&["appeals"]);
        Appeals {
            enabled: f.appeals.enabled,
            window_days: ck.days(
                &p.key("window_days"),
                f.appeals.window_days,
                "how long after a denial a citizen appeals, today included",
            )?,
            daily_probability: ck.unit(
                &p.key("daily_probability"),
                f.appeals.daily_probability,
                "a probability per day",
            )?,
            win_probability: ck.unit(&p.key("win_probability"), f.appeals.win_probability, "a probability")?,
            visible_records: f.appeals.visible_records,
        }
    };
    let participation_share = ck.unit(
        &KeyPath::of(&["participation", "share"]),
        f.participation.share,
        "a share of citizens (who take part in the system)",
    )?;
    let burn_in_days = burn_in(&ck, f.burn_in.days)?;
    let sources = sources(&ck, &f.sources)?;
    let behaviours = behaviours(&ck, &f.behaviours, &sources, &score, network.weight_milli)?;
    let activities = activities(&ck, &f.activities, &score.grades)?;
    Ok(Scenario {
        name: f.name.clone(),
        description: f.description.clone(),
        population,
        network,
        pressure,
        score,
        blacklist,
        appeals,
        sanctions_enabled: f.policy.sanctions,
        rewards_enabled: f.policy.rewards,
        participation_share,
        burn_in_days,
        sources,
        behaviours,
        activities,
    })
}

fn population(ck: &Ck<'_>, f: &PopulationFile) -> R<Population> {
    let p = KeyPath::of(&["population"]);
    let bands_path = p.key("age_bands");
    if f.age_bands.is_empty() {
        return Err(ck.bad(&bands_path, "must list at least one age band"));
    }
    let mut bands: Vec<AgeBand> = Vec::with_capacity(f.age_bands.len());
    for (i, b) in f.age_bands.iter().enumerate() {
        let bp = bands_path.index(i);
        let min = ck.age(&bp.key("min"), b.min)?;
        let max = ck.age(&bp.key("max"), b.max)?;
        if min > max {
            return Err(
                ck.bad(&bp.key("max"), format!("must be >= the band's min ({min}): bands are inclusive age ranges"))
            );
        }
        if let Some(prev) = bands.last() {
            if min <= prev.max {
                return Err(ck.bad(
                    &bp.key("min"),
                    format!(
                        "age bands must be ascending and disjoint: this band starts at {min}, \
                         but the previous one ends at {}; start after it",
                        prev.max
                    ),
                ));
            }
        }
        let share = ck.unit(&bp.key("share"), b.share, "a share of the population")?;
        bands.push(AgeBand { min, max, share });
    }
    let sum: f64 = bands.iter().map(|b| b.share).sum();
    if (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
        return Err(
            ck.bad(&bands_path, format!("shares must sum to 1 (within {SHARE_SUM_TOLERANCE:e}); they sum to {sum}"))
        );
    }
    // Normalise the small rounding the tolerance lets through, so that the
    // engine sees shares that sum to 1 to machine precision.
    for b in &mut bands {
        b.share /= sum;
    }

    let regions = match u8::try_from(f.regions) {
        Ok(r) if r >= 1 => usize::from(r),
        _ => return Err(ck.bad(&p.key("regions"), "must be a number of regions from 1 to 255")),
    };
    let wp = p.key("region_weights");
    let region_weights = if f.region_weights.is_empty() {
        vec![1.0 / regions as f64; regions]
    } else {
        if f.region_weights.len() != regions {
            return Err(ck.bad(
                &wp,
                format!(
                    "has {} weights but regions = {regions}: give one weight per region, or [] for equal weights",
                    f.region_weights.len()
                ),
            ));
        }
        for (i, w) in f.region_weights.iter().enumerate() {
            if !(w.is_finite() && *w > 0.0) {
                return Err(ck.bad(&wp.index(i), "must be a weight > 0"));
            }
        }
        let total: f64 = f.region_weights.iter().sum();
        if !total.is_finite() {
            return Err(ck.bad(&wp, "weights are too large: their sum is not finite"));
        }
        f.region_weights.iter().map(|w| w / total).collect()
    };
    let beta = |key: &str, b: &BetaFile| -> R<BetaDist> {
        let bp = p.key(key);
        let what = "a Beta distribution parameter";
        Ok(BetaDist {
            alpha: ck.positive(&bp.key("alpha"), b.alpha, what)?,
            beta: ck.positive(&bp.key("beta"), b.beta, what)?,
        })
    };
    let shift = f.income_urban_shift;
    if !(shift.is_finite() && shift.abs() <= 100.0) {
        return Err(ck.bad(
            &p.key("income_urban_shift"),
            "must be a finite number in [-100, 100] (shift of the latent income, in standard deviations)",
        ));
    }
    Ok(Population {
        age_bands: bands,
        region_weights,
        urban_share: ck.unit(&p.key("urban_share"), f.urban_share, "a share")?,
        income_urban_shift: shift,
        compliance: beta("compliance", &f.compliance)?,
        dissent: beta("dissent", &f.dissent)?,
        aware_share: ck.unit(&p.key("aware_share"), f.aware_share, "a share")?,
        adult_age: ck.age(&p.key("adult_age"), f.adult_age)?,
        guardian_ages: ck.age_range(&p.key("guardian_ages"), &f.guardian_ages)?,
    })
}

fn network(ck: &Ck<'_>, f: &NetworkFile) -> R<Network> {
    let p = KeyPath::of(&["network"]);
    let weight = ck.unit(&p.key("weight"), f.weight, "the network weight w")?;
    let weight_milli = to_milli(weight)
        .ok_or_else(|| ck.bad(&p.key("weight"), "must have at most 3 decimals (the engine keeps w in thousandths)"))?;
    Ok(Network {
        mean_degree: ck.within(&p.key("mean_degree"), f.mean_degree, 0.0, 64.0, "a mean number of friends")?,
        in_region_share: ck.unit(&p.key("in_region_share"), f.in_region_share, "a share of edges")?,
        weight_milli,
        update_period_days: ck.days(
            &p.key("update_period_days"),
            f.update_period_days,
            "how often the friends' term is refreshed",
        )?,
    })
}

/// Longest burn-in accepted: ten years.
pub(crate) const MAX_BURN_IN_YEARS: i64 = 10;

fn burn_in(ck: &Ck<'_>, days: i64) -> R<u32> {
    let p = KeyPath::of(&["burn_in", "days"]);
    if !(0..=MAX_BURN_IN_YEARS * 365).contains(&days) || days % 365 != 0 {
        return Err(ck.bad(
            &p,
            format!(
                "must be a whole number of years in days (0, 365, 730, ... up to {}), so that the reported run \
                 starts on a first day of a year",
                MAX_BURN_IN_YEARS * 365
            ),
        ));
    }
    Ok(days as u32)
}

/// The score's factors: names, weights summing to 1, at most one network
/// factor whose weight is the network weight (so that the effective score
/// `(1 − w)·S + w·F` is the weighted sum of the factors' sub-scores).
fn factors(ck: &Ck<'_>, f: &[FactorFile], weight_milli: i64) -> R<Vec<Factor>> {
    let p = KeyPath::of(&["score", "factors"]);
    let mut out: Vec<Factor> = Vec::with_capacity(f.len());
    for (i, fa) in f.iter().enumerate() {
        let ip = p.index(i);
        ck.entry_name(&ip.key("name"), &fa.name, "factor")?;
        if let Some(j) = out.iter().position(|o| o.name == fa.name) {
            return Err(ck.bad(&ip.key("name"), format!("duplicate factor `{}` (also score.factors[{j}])", fa.name)));
        }
        if !(fa.weight.is_finite() && fa.weight > 0.0 && fa.weight <= 1.0) {
            return Err(ck.bad(&ip.key("weight"), "must be a weight in (0, 1]; the weights sum to 1"));
        }
        if fa.network {
            if let Some(j) = out.iter().position(|o| o.network) {
                return Err(ck.bad(
                    &ip.key("network"),
                    format!("only one factor can be the network factor (score.factors[{j}] already is)"),
                ));
            }
            if to_milli(fa.weight) != Some(weight_milli) {
                return Err(ck.bad(
                    &ip.key("weight"),
                    format!(
                        "the network factor's weight is the network weight: must equal network.weight ({})",
                        weight_milli as f64 / 1000.0
                    ),
                ));
            }
        }
        out.push(Factor { name: fa.name.clone(), weight: fa.weight, network: fa.network });
    }
    if out.is_empty() {
        return Ok(out);
    }
    let sum: f64 = out.iter().map(|fa| fa.weight).sum();
    if (sum - 1.0).abs() > 1e-9 {
        return Err(ck.bad(&p, format!("the factor weights must sum to 1 (they sum to {sum})")));
    }
    if weight_milli > 0 && !out.iter().any(|fa| fa.network) {
        return Err(ck.bad(
            &p,
            format!(
                "network.weight is {} but no factor has `network = true`: with factors, the friends' term \
                 must be one of them (or set network.weight = 0)",
                weight_milli as f64 / 1000.0
            ),
        ));
    }
    if out.iter().all(|fa| fa.network) {
        return Err(ck.bad(&p, "needs at least one factor built from records (`network = false`)"));
    }
    Ok(out)
}

fn score(ck: &Ck<'_>, f: &ScoreFile, weight_milli: i64) -> R<Score> {
    let p = KeyPath::of(&["score"]);
    let base = ck.milli(&p.key("base"), f.base)?;
    let min = ck.milli(&p.key("min"), f.min)?;
    let max = ck.milli(&p.key("max"), f.max)?;
    if min >= max {
        return Err(ck.bad(&p.key("min"), format!("must be less than score.max ({})", f.max)));
    }
    if base < min || base > max {
        return Err(ck.bad(&p.key("base"), format!("must lie inside [score.min, score.max] = [{}, {}]", f.min, f.max)));
    }
    let half_life_days = ck.positive(&p.key("half_life_days"), f.half_life_days, "a half-life in days")?;
    let gp = p.key("grades");
    if f.grades.is_empty() {
        return Err(ck.bad(&gp, "must list at least one grade (the last one has no `min`: it catches the rest)"));
    }
    let last = f.grades.len() - 1;
    let mut grades: Vec<Grade> = Vec::with_capacity(f.grades.len());
    for (i, g) in f.grades.iter().enumerate() {
        let ip = gp.index(i);
        if !is_grade_name(&g.name) {
            return Err(ck.bad(&ip.key("name"), "must be a non-empty grade name of letters, digits, `_`, `+` or `-`"));
        }
        if let Some(j) = grades.iter().position(|o| o.name == g.name) {
            return Err(ck.bad(&ip.key("name"), format!("duplicate grade name `{}` (also score.grades[{j}])", g.name)));
        }
        let threshold_milli = match (g.min, i == last) {
            (None, true) => None,
            (Some(_), true) => {
                return Err(
                    ck.bad(&ip.key("min"), "the last grade has no `min`: it catches every score below the others")
                )
            }
            (None, false) => {
                return Err(
                    ck.missing(&ip.key("min"), "missing: every grade but the last needs a `min` threshold (in points)")
                )
            }
            (Some(t), false) => {
                let t_milli = ck.milli(&ip.key("min"), t)?;
                if let Some((prev, Some(pt))) = grades.last().map(|g| (g, g.threshold_milli)) {
                    if t_milli >= pt {
                        return Err(ck.bad(
                            &ip.key("min"),
                            format!(
                                "grade thresholds must be strictly descending (highest grade first): \
                                 this must be below {} (grade {})",
                                pt as f64 / 1000.0,
                                prev.name
                            ),
                        ));
                    }
                }
                Some(t_milli)
            }
        };
        grades.push(Grade { name: g.name.clone(), threshold_milli });
    }
    let factors = factors(ck, &f.factors, weight_milli)?;
    Ok(Score { enabled: f.enabled, base_milli: base, min_milli: min, max_milli: max, half_life_days, grades, factors })
}

fn sources(ck: &Ck<'_>, f: &Entries<SourceFile>) -> R<Vec<Source>> {
    let mut out = Vec::with_capacity(f.0.len());
    for (name, s) in &f.0 {
        let p = KeyPath::of(&["sources", name]);
        ck.entry_name(&p, name, "source")?;
        let coverage = "a probability (share of true events recorded)";
        out.push(Source {
            name: name.clone(),
            coverage_urban: ck.unit(&p.key("coverage_urban"), s.coverage_urban, coverage)?,
            coverage_rural: ck.unit(&p.key("coverage_rural"), s.coverage_rural, coverage)?,
            misattribution: ck.unit(
                &p.key("misattribution"),
                s.misattribution,
                "a probability (share of records written against another citizen)",
            )?,
            false_flags_per_year: ck.rate(
                &p.key("false_flags_per_year"),
                s.false_flags_per_year,
                "spurious records per citizen-year",
            )?,
        });
    }
    Ok(out)
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn behaviours(
    ck: &Ck<'_>,
    f: &Entries<BehaviourFile>,
    sources: &[Source],
    score: &Score,
    weight_milli: i64,
) -> R<Vec<Behaviour>> {
    let factor_names: Vec<&str> = score.factors.iter().filter(|fa| !fa.network).map(|fa| fa.name.as_str()).collect();
    let source_names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    let mut out = Vec::with_capacity(f.0.len());
    for (name, b) in &f.0 {
        let p = KeyPath::of(&["behaviours", name]);
        ck.entry_name(&p, name, "behaviour")?;
        let ages = ck.age_range(&p.key("ages"), &b.ages)?;
        let rate_per_year = ck.rate(&p.key("rate_per_year"), b.rate_per_year, "events per citizen-year")?;
        let slope = "a slope on the trait";
        let compliance_slope = ck.within(&p.key("compliance_slope"), b.compliance_slope, -100.0, 100.0, slope)?;
        let dissent_slope = ck.within(&p.key("dissent_slope"), b.dissent_slope, -100.0, 100.0, slope)?;
        let urban_multiplier = ck.within(
            &p.key("urban_multiplier"),
            b.urban_multiplier,
            0.0,
            1000.0,
            "a multiplier of the rate for urban citizens",
        )?;
        let points_milli = ck.milli(&p.key("points"), b.points)?;
        let deterrence =
            ck.unit(&p.key("deterrence"), b.deterrence, "a deterrence κ (share of the rate removed at full pressure)")?;
        if !(b.boost.is_finite() && b.boost >= 0.0) {
            return Err(
                ck.bad(&p.key("boost"), "must be a boost γ >= 0 (relative increase of the rate at full pressure)")
            );
        }
        if !b.enabled {
            continue;
        }
        let Some(source) = source_names.iter().position(|s| *s == b.source) else {
            let mut msg = format!("unknown source `{}`; sources are: {}", b.source, list(&source_names));
            if let Some(s) = suggest(&b.source, source_names.iter().copied()) {
                msg.push_str(&format!("; did you mean `{s}`?"));
            }
            return Err(ck.bad(&p.key("source"), msg));
        };
        let (factor, points_milli) = match (&b.factor, score.factors.is_empty()) {
            (None, true) => (None, points_milli),
            (Some(_), true) => {
                return Err(ck.bad(&p.key("factor"), "the score has no factors: add them to score.factors first"))
            }
            (None, false) if points_milli == 0 => (None, 0),
            (None, false) => {
                return Err(ck.missing(
                    &p.key("factor"),
                    format!(
                        "missing: the score has factors, so a behaviour with points needs one of: {}",
                        list(&factor_names)
                    ),
                ))
            }
            (Some(fname), false) => {
                let Some(id) = score.factors.iter().position(|fa| !fa.network && fa.name == *fname) else {
                    let mut msg =
                        format!("unknown factor `{fname}`; factors built from records are: {}", list(&factor_names));
                    if let Some(s) = suggest(fname, factor_names.iter().copied()) {
                        msg.push_str(&format!("; did you mean `{s}`?"));
                    }
                    return Err(ck.bad(&p.key("factor"), msg));
                };
                // S = B + Σ_f ω_f/(1 − w)·R_f, so that Ŝ = (1 − w)·S + w·F is
                // Σ_f ω_f·(B + R_f) + w·F: the weighted sum of the sub-scores.
                let scale = score.factors[id].weight / (1.0 - weight_milli as f64 / 1000.0);
                let scaled = (points_milli as f64 * scale).round_ties_even() as i64;
                if scaled == 0 && points_milli != 0 {
                    return Err(ck.bad(
                        &p.key("points"),
                        format!("with factor `{fname}`'s weight the points round to 0 thousandths; use larger points"),
                    ));
                }
                (Some(id), scaled)
            }
        };
        out.push(Behaviour {
            name: name.clone(),
            source,
            ages,
            rate_per_year,
            compliance_slope,
            dissent_slope,
            urban_multiplier,
            points_milli,
            factor,
            blacklists: b.blacklist,
            deterrence,
            boost: b.boost,
        });
    }
    if out.is_empty() {
        return Err(
            ck.bad(&KeyPath::of(&["behaviours"]), "empty behaviour catalogue: at least one behaviour must be enabled")
        );
    }
    Ok(out)
}

fn activities(ck: &Ck<'_>, f: &Entries<ActivityFile>, grades: &[Grade]) -> R<Vec<Activity>> {
    let grade_names: Vec<&str> = grades.iter().map(|g| g.name.as_str()).collect();
    let mut out = Vec::with_capacity(f.0.len());
    for (name, a) in &f.0 {
        let p = KeyPath::of(&["activities", name]);
        ck.entry_name(&p, name, "activity")?;
        let kind = match a.kind.as_str() {
            "daily" => {
                for (key, present) in
                    [("enrolment_ages", a.enrolment_ages.is_some()), ("day_of_year", a.day_of_year.is_some())]
                {
                    if present {
                        return Err(ck.bad_key(
                            &p.key(key),
                            "only for kind = \"school_enrolment\"; a daily activity uses ages, rate_per_year and scale_by_decile",
                        ));
                    }
                }
                let Some(ages) = &a.ages else {
                    return Err(ck.missing(
                        &p.key("ages"),
                        "missing: a daily activity needs `ages = [min, max]` (who attempts it)",
                    ));
                };
                let Some(rate) = a.rate_per_year else {
                    return Err(ck.missing(
                        &p.key("rate_per_year"),
                        "missing: a daily activity needs `rate_per_year` (attempts per citizen-year)",
                    ));
                };
                ActivityKind::Daily {
                    ages: ck.age_range(&p.key("ages"), ages)?,
                    rate_per_year: ck.rate(
                        &p.key("rate_per_year"),
                        rate,
                        "attempts per citizen-year, times the income decile when scale_by_decile",
                    )?,
                    scale_by_decile: a.scale_by_decile.unwrap_or(false),
                }
            }
            "school_enrolment" => {
                for (key, present) in [
                    ("ages", a.ages.is_some()),
                    ("rate_per_year", a.rate_per_year.is_some()),
                    ("scale_by_decile", a.scale_by_decile.is_some()),
                ] {
                    if present {
                        return Err(ck.bad_key(
                            &p.key(key),
                            "not used by kind = \"school_enrolment\" (it uses enrolment_ages and day_of_year); \
                             to change an inherited daily activity into this kind, disable it and add a new one",
                        ));
                    }
                }
                let ap = p.key("enrolment_ages");
                let Some(list_ages) = &a.enrolment_ages else {
                    return Err(
                        ck.missing(&ap, "missing: a school_enrolment activity needs `enrolment_ages`, e.g. [6, 12]")
                    );
                };
                if list_ages.is_empty() {
                    return Err(ck.bad(&ap, "must list at least one age, e.g. [6, 12]"));
                }
                let mut ages: Vec<u8> = Vec::with_capacity(list_ages.len());
                for (i, x) in list_ages.iter().enumerate() {
                    let age = ck.age(&ap.index(i), *x)?;
                    if ages.contains(&age) {
                        return Err(ck.bad(&ap.index(i), format!("age {age} is listed twice")));
                    }
                    ages.push(age);
                }
                let dp = p.key("day_of_year");
                let Some(day) = a.day_of_year else {
                    return Err(ck.missing(&dp, "missing: a school_enrolment activity needs `day_of_year` (0..=364)"));
                };
                let day_of_year = match u32::try_from(day) {
                    Ok(d) if d < 365 => d,
                    _ => {
                        return Err(ck.bad(
                            &dp,
                            "must be a day of the year from 0 to 364 (the attempt is on days t with t mod 365 = day_of_year)",
                        ))
                    }
                };
                ActivityKind::SchoolEnrolment { ages, day_of_year }
            }
            _ => return Err(ck.bad(&p.key("kind"), "must be \"daily\" or \"school_enrolment\"")),
        };
        let (sanction, sanction_label) =
            triggers(ck, &p.key("sanction"), a.sanction.as_ref(), &grade_names, a.enabled)?;
        let (reward, reward_label) = triggers(ck, &p.key("reward"), a.reward.as_ref(), &grade_names, a.enabled)?;
        if a.enabled {
            out.push(Activity { name: name.clone(), kind, sanction, sanction_label, reward, reward_label });
        }
    }
    Ok(out)
}

/// Checks a `sanction` or `reward` table. The label is dropped when there
/// are no triggers (e.g. `reward = { triggers = [] }` over an inherited
/// labelled reward): a perk that is never granted has nothing to name.
fn triggers(
    ck: &Ck<'_>,
    p: &KeyPath,
    t: Option<&TriggersFile>,
    grades: &[&str],
    resolve_grades: bool,
) -> R<(Vec<Trigger>, Option<String>)> {
    let Some(t) = t else {
        return Ok((Vec::new(), None));
    };
    if let Some(label) = &t.label {
        if label.trim().is_empty() || label.chars().any(char::is_control) {
            return Err(ck.bad(&p.key("label"), "must be a non-empty, one-line label"));
        }
    }
    let tp = p.key("triggers");
    let mut out = Vec::with_capacity(t.triggers.len());
    for (i, text) in t.triggers.iter().enumerate() {
        let ip = tp.index(i);
        let Some(parsed) = parse_trigger(text) else {
            return Err(ck.bad(
                &ip,
                format!(
                    "not a trigger: write \"blacklisted\", \"grade <= X\" or \"grade >= X\", with X a grade ({})",
                    list(grades)
                ),
            ));
        };
        if !resolve_grades {
            continue;
        }
        let grade = |g: &str| -> R<GradeId> {
            grades.iter().position(|n| *n == g).ok_or_else(|| {
                let mut msg = format!("unknown grade `{g}`; grades are {}", list(grades));
                if let Some(s) = suggest(g, grades.iter().copied()) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                }
                ck.bad(&ip, msg)
            })
        };
        out.push(match parsed {
            TriggerText::Blacklisted => Trigger::Blacklisted,
            TriggerText::AtMost(g) => Trigger::GradeAtMost(grade(g)?),
            TriggerText::AtLeast(g) => Trigger::GradeAtLeast(grade(g)?),
        });
    }
    let label = if t.triggers.is_empty() { None } else { t.label.clone() };
    Ok((out, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_accepts_whole_thousandths_only() {
        assert_eq!(to_milli(1000.0), Some(1_000_000));
        assert_eq!(to_milli(-5.0), Some(-5000));
        assert_eq!(to_milli(0.15), Some(150));
        assert_eq!(to_milli(1.005), Some(1005));
        assert_eq!(to_milli(-0.001), Some(-1));
        assert_eq!(to_milli(1.0005), None);
        assert_eq!(to_milli(0.0005), None);
        assert_eq!(to_milli(f64::NAN), None);
        assert_eq!(to_milli(f64::INFINITY), None);
        assert_eq!(to_milli(2e9), None);
        assert_eq!(to_milli(999_999_999.999), Some(999_999_999_999));
    }

    #[test]
    fn triggers_parse_with_any_spacing() {
        use TriggerText::*;
        assert_eq!(parse_trigger("blacklisted"), Some(Blacklisted));
        assert_eq!(parse_trigger("  blacklisted "), Some(Blacklisted));
        assert_eq!(parse_trigger("grade <= D"), Some(AtMost("D")));
        assert_eq!(parse_trigger("grade<=D"), Some(AtMost("D")));
        assert_eq!(parse_trigger("  grade   >=   AA  "), Some(AtLeast("AA")));
        assert_eq!(parse_trigger("grade >= A+"), Some(AtLeast("A+")));
        assert_eq!(parse_trigger("grade < D"), None);
        assert_eq!(parse_trigger("grade == D"), None);
        assert_eq!(parse_trigger("grade <="), None);
        assert_eq!(parse_trigger("grade <= A B"), None);
        assert_eq!(parse_trigger("Blacklisted"), None);
        assert_eq!(parse_trigger(""), None);
    }

    #[test]
    fn names() {
        assert!(is_entry_name("fake_news_post"));
        assert!(is_entry_name("a1"));
        assert!(!is_entry_name("Fake"));
        assert!(!is_entry_name("fake-news"));
        assert!(!is_entry_name(""));
        assert!(is_scenario_name("seed-article"));
        assert!(!is_scenario_name("my scenario"));
    }
}
