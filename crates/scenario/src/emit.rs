//! Writes a merged scenario back as TOML: every key explicit, defaults included, `extends` applied.
//!
//! The layout follows the built-in files (inline tables for age bands,
//! grades, sanctions and rewards), so `scorelab scenarios show` reads like
//! a scenario file. The text parses back to an equal [`crate::Scenario`]
//! (tested for every built-in).

use std::fmt::Write as _;

use crate::error::is_bare_key;
use crate::schema::*;

fn s(x: &str) -> String {
    toml::Value::String(x.to_string()).to_string()
}

fn f(x: f64) -> String {
    toml::Value::Float(x).to_string()
}

fn key(k: &str) -> String {
    if is_bare_key(k) {
        k.to_string()
    } else {
        s(k)
    }
}

fn ints(v: &[i64]) -> String {
    let items: Vec<String> = v.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn floats(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| f(*x)).collect();
    format!("[{}]", items.join(", "))
}

fn triggers(t: &TriggersFile) -> String {
    let items: Vec<String> = t.triggers.iter().map(|x| s(x)).collect();
    let mut out = format!("{{ triggers = [{}]", items.join(", "));
    if let Some(label) = &t.label {
        let _ = write!(out, ", label = {}", s(label));
    }
    out.push_str(" }");
    out
}

/// Comment lines: one `# ` line per line of `text`, control characters
/// replaced, so that no origin can break out of the comment.
fn comment(text: &str) -> String {
    text.lines()
        .map(|l| {
            let clean: String = l.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            format!("# {clean}\n")
        })
        .collect()
}

/// The scenario as TOML text, preceded by `header` as comment lines.
pub(crate) fn emit(sc: &FileScenario, header: &str) -> String {
    // `write!` into a String cannot fail; the results are ignored with `let _`.
    let mut o = comment(header);
    let _ = writeln!(o, "name = {}", s(&sc.name));
    let _ = writeln!(o, "description = {}", s(&sc.description));

    let p = &sc.population;
    o.push_str("\n[population]\nage_bands = [\n");
    for b in &p.age_bands {
        let _ = writeln!(o, "  {{ min = {}, max = {}, share = {} }},", b.min, b.max, f(b.share));
    }
    o.push_str("]\n");
    let _ = writeln!(o, "regions = {}", p.regions);
    let _ = writeln!(o, "region_weights = {}", floats(&p.region_weights));
    let _ = writeln!(o, "urban_share = {}", f(p.urban_share));
    let _ = writeln!(o, "income_urban_shift = {}", f(p.income_urban_shift));
    let _ = writeln!(o, "compliance = {{ alpha = {}, beta = {} }}", f(p.compliance.alpha), f(p.compliance.beta));
    let _ = writeln!(o, "dissent = {{ alpha = {}, beta = {} }}", f(p.dissent.alpha), f(p.dissent.beta));
    let _ = writeln!(o, "aware_share = {}", f(p.aware_share));
    let _ = writeln!(o, "adult_age = {}", p.adult_age);
    let _ = writeln!(o, "guardian_ages = {}", ints(&p.guardian_ages));

    let n = &sc.network;
    o.push_str("\n[network]\n");
    let _ = writeln!(o, "mean_degree = {}", f(n.mean_degree));
    let _ = writeln!(o, "in_region_share = {}", f(n.in_region_share));
    let _ = writeln!(o, "weight = {}", f(n.weight));
    let _ = writeln!(o, "update_period_days = {}", n.update_period_days);

    o.push_str("\n[pressure]\n");
    let _ = writeln!(o, "general_deterrence = {}", f(sc.pressure.general_deterrence));
    let _ = writeln!(o, "width_points = {}", f(sc.pressure.width_points));
    let _ = writeln!(o, "without_penalties = {}", sc.pressure.without_penalties);

    let sco = &sc.score;
    o.push_str("\n[score]\n");
    let _ = writeln!(o, "enabled = {}", sco.enabled);
    let _ = writeln!(o, "base = {}", f(sco.base));
    let _ = writeln!(o, "min = {}", f(sco.min));
    let _ = writeln!(o, "max = {}", f(sco.max));
    let _ = writeln!(o, "half_life_days = {}", f(sco.half_life_days));
    o.push_str("grades = [\n");
    for g in &sco.grades {
        match g.min {
            Some(m) => {
                let _ = writeln!(o, "  {{ name = {}, min = {} }},", s(&g.name), f(m));
            }
            None => {
                let _ = writeln!(o, "  {{ name = {} }},", s(&g.name));
            }
        }
    }
    o.push_str("]\n");
    o.push_str("factors = [");
    for (i, fa) in sco.factors.iter().enumerate() {
        let sep = if i == 0 { "\n" } else { "" };
        let _ =
            writeln!(o, "{sep}  {{ name = {}, weight = {}, network = {} }},", s(&fa.name), f(fa.weight), fa.network);
    }
    o.push_str("]\n");

    o.push_str("\n[blacklist]\n");
    let _ = writeln!(o, "enabled = {}", sc.blacklist.enabled);
    let _ = writeln!(o, "half_life_days = {}", f(sc.blacklist.half_life_days));
    let _ = writeln!(o, "max_days = {}", sc.blacklist.max_days);

    o.push_str("\n[appeals]\n");
    let _ = writeln!(o, "enabled = {}", sc.appeals.enabled);
    let _ = writeln!(o, "window_days = {}", sc.appeals.window_days);
    let _ = writeln!(o, "daily_probability = {}", f(sc.appeals.daily_probability));
    let _ = writeln!(o, "win_probability = {}", f(sc.appeals.win_probability));
    let _ = writeln!(o, "visible_records = {}", sc.appeals.visible_records);

    o.push_str("\n[policy]\n");
    let _ = writeln!(o, "sanctions = {}", sc.policy.sanctions);
    let _ = writeln!(o, "rewards = {}", sc.policy.rewards);

    o.push_str("\n[participation]\n");
    let _ = writeln!(o, "share = {}", f(sc.participation.share));

    o.push_str("\n[burn_in]\n");
    let _ = writeln!(o, "days = {}", sc.burn_in.days);

    // Empty sections are written as `[sources]` so the text still defines
    // them (a file without `extends` must).
    if sc.sources.0.is_empty() {
        o.push_str("\n[sources]\n");
    }
    for (name, src) in &sc.sources.0 {
        let _ = writeln!(o, "\n[sources.{}]", key(name));
        let _ = writeln!(o, "coverage_urban = {}", f(src.coverage_urban));
        let _ = writeln!(o, "coverage_rural = {}", f(src.coverage_rural));
        let _ = writeln!(o, "misattribution = {}", f(src.misattribution));
        let _ = writeln!(o, "false_flags_per_year = {}", f(src.false_flags_per_year));
    }

    if sc.behaviours.0.is_empty() {
        o.push_str("\n[behaviours]\n");
    }
    for (name, b) in &sc.behaviours.0 {
        let _ = writeln!(o, "\n[behaviours.{}]", key(name));
        let _ = writeln!(o, "source = {}", s(&b.source));
        let _ = writeln!(o, "ages = {}", ints(&b.ages));
        let _ = writeln!(o, "rate_per_year = {}", f(b.rate_per_year));
        let _ = writeln!(o, "compliance_slope = {}", f(b.compliance_slope));
        let _ = writeln!(o, "dissent_slope = {}", f(b.dissent_slope));
        let _ = writeln!(o, "urban_multiplier = {}", f(b.urban_multiplier));
        let _ = writeln!(o, "points = {}", f(b.points));
        let _ = writeln!(o, "blacklist = {}", b.blacklist);
        let _ = writeln!(o, "deterrence = {}", f(b.deterrence));
        let _ = writeln!(o, "boost = {}", f(b.boost));
        if let Some(factor) = &b.factor {
            let _ = writeln!(o, "factor = {}", s(factor));
        }
        let _ = writeln!(o, "enabled = {}", b.enabled);
    }

    if sc.activities.0.is_empty() {
        o.push_str("\n[activities]\n");
    }
    for (name, a) in &sc.activities.0 {
        let _ = writeln!(o, "\n[activities.{}]", key(name));
        let _ = writeln!(o, "kind = {}", s(&a.kind));
        if let Some(ages) = &a.ages {
            let _ = writeln!(o, "ages = {}", ints(ages));
        }
        if let Some(rate) = a.rate_per_year {
            let _ = writeln!(o, "rate_per_year = {}", f(rate));
        }
        if a.kind == "daily" || a.scale_by_decile.is_some() {
            let _ = writeln!(o, "scale_by_decile = {}", a.scale_by_decile.unwrap_or(false));
        }
        if let Some(ages) = &a.enrolment_ages {
            let _ = writeln!(o, "enrolment_ages = {}", ints(ages));
        }
        if let Some(day) = a.day_of_year {
            let _ = writeln!(o, "day_of_year = {day}");
        }
        if let Some(t) = &a.sanction {
            let _ = writeln!(o, "sanction = {}", triggers(t));
        }
        if let Some(t) = &a.reward {
            let _ = writeln!(o, "reward = {}", triggers(t));
        }
        let _ = writeln!(o, "enabled = {}", a.enabled);
    }
    o
}
