//! Text tables of the headline figures.

use scorelab_store::Summary;
use std::fmt::Write as _;

/// Thousandths of a point as points, e.g. `1012.345`.
pub fn points(milli: i64) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let m = milli.unsigned_abs();
    format!("{sign}{}.{:03}", m / 1000, m % 1000)
}

/// A count with thousands separators, e.g. `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate with an SI suffix, e.g. `41.2M`.
pub fn si(x: f64) -> String {
    let (v, unit) = if x >= 1e9 {
        (x / 1e9, "G")
    } else if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    format!("{v:.1}{unit}")
}

/// A share as a percentage, e.g. `12.3%`.
pub fn pct(share: f64) -> String {
    if share.is_finite() {
        format!("{:.2}%", share * 100.0)
    } else {
        "-".to_string()
    }
}

/// The headline figures of a run, as the CLI prints them.
pub fn headline(s: &Summary) -> String {
    let mut out = String::new();
    let f = &s.final_day;
    let _ = write!(out, "{}: {} citizens, {} days, seed {}", s.scenario, count(s.citizens), s.days, s.seed);
    if s.burn_in_days > 0 {
        let _ = write!(out, " (after a burn-in of {} days, not counted)", s.burn_in_days);
    }
    out.push('\n');
    let _ = writeln!(out, "\nAdults per grade on the last day (of {}):", count(f.adults));
    for g in &f.grades {
        let _ = writeln!(out, "  {:<6} {:>12}  {:>7}", g.grade, count(g.adults), pct(g.share));
    }
    let _ = writeln!(
        out,
        "Effective score: mean {:.1}, p10 {:.1}, median {:.1}, p90 {:.1}; Gini {:.4}",
        f.score_mean, f.score_p10, f.score_p50, f.score_p90, f.score_gini
    );
    let _ = writeln!(
        out,
        "Blacklisted on the last day: {} ({} of them wrongly, with no correct record); ever blacklisted: {}",
        count(f.blacklisted),
        count(f.blacklisted_erroneous),
        count(s.ever_blacklisted)
    );
    let _ = writeln!(out, "\nDenials and grants over the run:");
    let _ = writeln!(
        out,
        "  {:<20} {:>12} {:>12} {:>8} {:>12} {:>12}",
        "activity", "denials", "wrongful", "share", "citizens", "grants"
    );
    for a in &s.activities {
        let _ = writeln!(
            out,
            "  {:<20} {:>12} {:>12} {:>8} {:>12} {:>12}",
            a.activity,
            count(a.denials),
            count(a.wrongful_denials),
            a.wrongful_share.map(pct).unwrap_or_else(|| "-".into()),
            count(a.unique_denied),
            count(a.grants)
        );
    }
    let _ = writeln!(
        out,
        "Citizens ever denied anything: {}; children denied a school place through a guardian: {} ({} denials)",
        count(s.unique_denied_any),
        count(s.children_denied_school),
        count(s.school_denials)
    );
    let _ = writeln!(out, "Appeals: {} made, {} won", count(s.appeals), count(s.appeals_won));
    if let Some(rows) = &s.chilling {
        let _ = writeln!(
            out,
            "\nChilling effect against {} (true events, this run / baseline):",
            s.baseline_run.as_deref().unwrap_or("the baseline")
        );
        out.push_str(&chilling_rows(rows));
    }
    out
}

/// The chilling-effect rows: behaviour, events, baseline events, ratio.
pub fn chilling_rows(rows: &[scorelab_store::ChillingRow]) -> String {
    let mut out = String::new();
    for r in rows {
        let _ = writeln!(
            out,
            "  {:<28} {:>12} {:>12}  {}",
            r.behaviour,
            count(r.events),
            count(r.baseline_events),
            r.ratio.map(|x| format!("{:>7.3} ({:+.1}%)", x, (x - 1.0) * 100.0)).unwrap_or_else(|| "-".into())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(points(1_012_345), "1012.345");
        assert_eq!(points(-5_000), "-5.000");
        assert_eq!(points(-50), "-0.050");
        assert_eq!(count(0), "0");
        assert_eq!(count(1234), "1,234");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(si(41_234_567.0), "41.2M");
        assert_eq!(pct(0.1234), "12.34%");
    }
}
