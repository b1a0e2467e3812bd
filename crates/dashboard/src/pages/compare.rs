//! The compare page: two runs side by side, figure by figure, with the
//! difference A − B, their curves on the same axes, and the chilling effect
//! when one is the other's like-for-like baseline.

use maud::{html, Markup};
use scorelab_engine::metrics::DayMetrics;
use scorelab_store::Summary;
use serde::Serialize;

use crate::charts::{color, BarChart, Bars, LineChart, Series};
use crate::fmt;
use crate::pages::layout::{figure, problem, Mode};
use crate::pages::population;
use crate::runs::{has_pressure, Chilling, NoChilling, RunFiles};
use crate::url;

/// How a figure is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A count of citizens or events.
    Count,
    /// A score in points.
    Score,
    /// A share in [0, 1].
    Share,
    /// A plain ratio (Gini).
    Ratio,
}

/// One figure of both runs.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What the figure is.
    pub figure: String,
    /// Run A's value (null when it has none, e.g. a share of nothing).
    pub a: Option<f64>,
    /// Run B's value.
    pub b: Option<f64>,
    /// A − B.
    pub difference: Option<f64>,
    /// How to read the values.
    pub kind: Kind,
}

/// The comparison of two runs, as the page and `/api/compare` give it.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Run A's name.
    pub a: String,
    /// Run B's name.
    pub b: String,
    /// Whether the runs share seed, citizens and days (their draws are paired).
    pub paired: bool,
    /// What differs when they are not paired.
    pub mismatch: Option<String>,
    /// The figures.
    pub rows: Vec<Row>,
    /// The chilling effect when one run is the other's baseline.
    pub chilling: Option<Chilling>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Figure by figure, A against B.
pub fn compare(a: &str, sa: &Summary, b: &str, sb: &Summary, a_pressure: bool, b_pressure: bool) -> Comparison {
    let mut rows = Vec::new();
    let mut push = |figure: String, x: Option<f64>, y: Option<f64>, kind: Kind| {
        let difference = x.zip(y).map(|(x, y)| x - y);
        rows.push(Row { figure, a: x, b: y, difference, kind });
    };
    let c = |v: u64| Some(v as f64);
    let (fa, fb) = (&sa.final_day, &sb.final_day);
    push("citizens".into(), c(sa.citizens), c(sb.citizens), Kind::Count);
    push("days".into(), c(u64::from(sa.days)), c(u64::from(sb.days)), Kind::Count);
    push("adults on the last day".into(), c(fa.adults), c(fb.adults), Kind::Count);
    push("mean effective score, last day".into(), finite(fa.score_mean), finite(fb.score_mean), Kind::Score);
    push("p10 effective score".into(), finite(fa.score_p10), finite(fb.score_p10), Kind::Score);
    push("median effective score".into(), finite(fa.score_p50), finite(fb.score_p50), Kind::Score);
    push("p90 effective score".into(), finite(fa.score_p90), finite(fb.score_p90), Kind::Score);
    push("Gini of the effective score".into(), finite(fa.score_gini), finite(fb.score_gini), Kind::Ratio);
    push("blacklisted on the last day".into(), c(fa.blacklisted), c(fb.blacklisted), Kind::Count);
    push("of them wrongly".into(), c(fa.blacklisted_erroneous), c(fb.blacklisted_erroneous), Kind::Count);
    push("ever blacklisted".into(), c(sa.ever_blacklisted), c(sb.ever_blacklisted), Kind::Count);
    push("citizens denied anything".into(), c(sa.unique_denied_any), c(sb.unique_denied_any), Kind::Count);
    let total = |s: &Summary| s.activities.iter().map(|a| a.denials).sum::<u64>();
    let wrong = |s: &Summary| s.activities.iter().map(|a| a.wrongful_denials).sum::<u64>();
    push("denials".into(), c(total(sa)), c(total(sb)), Kind::Count);
    push("wrongful denials".into(), c(wrong(sa)), c(wrong(sb)), Kind::Count);
    push(
        "wrongful share of denials".into(),
        fmt::share(wrong(sa), total(sa)),
        fmt::share(wrong(sb), total(sb)),
        Kind::Share,
    );
    push("children denied school".into(), c(sa.children_denied_school), c(sb.children_denied_school), Kind::Count);
    push("appeals".into(), c(sa.appeals), c(sb.appeals), Kind::Count);
    push("appeals won".into(), c(sa.appeals_won), c(sb.appeals_won), Kind::Count);
    let mut activities: Vec<&str> = sa.activities.iter().map(|x| x.activity.as_str()).collect();
    activities.extend(
        sb.activities.iter().map(|x| x.activity.as_str()).filter(|n| !sa.activities.iter().any(|x| x.activity == *n)),
    );
    for name in activities {
        let of = |s: &Summary| s.activities.iter().find(|x| x.activity == name).map(|x| x.denials as f64);
        push(format!("denials: {}", fmt::words(name)), of(sa), of(sb), Kind::Count);
    }
    let mismatch = sa.baseline_mismatch(sb);
    let paired = mismatch.is_none();
    let chilling = if paired && a_pressure && !b_pressure {
        sa.clone().with_chilling(sb, b).chilling.map(|rows| Chilling { rows, baseline: b.to_string(), computed: true })
    } else if paired && b_pressure && !a_pressure {
        sb.clone().with_chilling(sa, a).chilling.map(|rows| Chilling { rows, baseline: a.to_string(), computed: true })
    } else {
        None
    };
    Comparison { a: a.to_string(), b: b.to_string(), paired, mismatch, rows, chilling }
}

/// The comparison of two runs' files (both summaries must be readable).
pub fn compare_files(a: &RunFiles, b: &RunFiles) -> Option<Comparison> {
    let (sa, sb) = (a.summary.as_ref().ok()?, b.summary.as_ref().ok()?);
    Some(compare(&a.name, sa, &b.name, sb, has_pressure(a.run.manifest()), has_pressure(b.run.manifest())))
}

fn value(v: Option<f64>, kind: Kind, signed: bool) -> String {
    let Some(v) = v else { return "–".into() };
    match (kind, signed) {
        (Kind::Count, false) => fmt::count(v.max(0.0) as u64),
        (Kind::Count, true) => fmt::signed_count(v as i128),
        (Kind::Score, false) => fmt::points(v),
        (Kind::Score, true) => fmt::signed_points(v),
        (Kind::Share, false) => fmt::pct(v),
        (Kind::Share, true) => format!("{} pt", fmt::signed_points(v * 100.0)),
        (Kind::Ratio, false) => fmt::ratio(v),
        (Kind::Ratio, true) if v > 0.0 => format!("+{}", fmt::ratio(v)),
        (Kind::Ratio, true) if v < 0.0 => format!("\u{2212}{}", fmt::ratio(-v)),
        (Kind::Ratio, true) => fmt::ratio(v),
    }
}

/// The body of the compare page for two runs.
pub fn body(a: &RunFiles, b: &RunFiles, form: Markup) -> Markup {
    let cmp = compare_files(a, b);
    html! {
        h1 { "Compare " (a.name) " with " (b.name) }
        p.lead {
            "A: " a href=(url::run(&a.name)) { (a.name) } " (" (a.run.manifest().scenario) ") · "
            "B: " a href=(url::run(&b.name)) { (b.name) } " (" (b.run.manifest().scenario) "). Differences are A − B."
        }
        (form)
        @match &cmp {
            None => {
                @if let Err(e) = &a.summary { (problem("The comparison", e.message())) }
                @if let Err(e) = &b.summary { (problem("The comparison", e.message())) }
            }
            Some(c) => {
                @if let Some(m) = &c.mismatch {
                    p.notice { "These runs are not paired (" (m) "): their differences mix the policies' effect with chance." }
                } @else {
                    p.note { "Same seed, population and length: the same citizens live both runs, so differences come from the rules alone." }
                }
                div.table-wrap {
                    table #comparison {
                        thead { tr { th { "figure" } th.n { "A" } th.n { "B" } th.n { "A − B" } } }
                        tbody {
                            @for r in &c.rows {
                                tr {
                                    td { (r.figure) }
                                    td.n { (value(r.a, r.kind, false)) }
                                    td.n { (value(r.b, r.kind, false)) }
                                    td.n { (value(r.difference, r.kind, true)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Over time" }
        @match (&a.daily, &b.daily) {
            (Ok(da), Ok(db)) => div.charts {
                (figure(two_runs("Median effective score", "effective score (points)", &a.name, da, &b.name, db, |d| d.score_p50, false), None))
                (figure(two_runs("Citizens on the blacklist", "citizens", &a.name, da, &b.name, db, |d| d.blacklisted as f64, true), None))
                (figure(cumulative(&a.name, da, &b.name, db), None))
            },
            (Err(e), _) | (_, Err(e)) => (problem("The curves over time", e.message())),
        }
        @if let (Ok(sa), Ok(sb)) = (&a.summary, &b.summary) {
            div.charts { (figure(activity_bars(&a.name, sa, &b.name, sb), None)) }
        }
        @if let Some(c) = cmp.as_ref().and_then(|c| c.chilling.clone()) {
            h2 { "The chilling effect" }
            (population::chilling_section(&Ok::<Chilling, NoChilling>(c), Mode::Served, None))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn two_runs(
    title: &str,
    y_desc: &str,
    a: &str,
    da: &[DayMetrics],
    b: &str,
    db: &[DayMetrics],
    f: fn(&DayMetrics) -> f64,
    from_zero: bool,
) -> String {
    LineChart {
        title: title.into(),
        x_desc: "day".into(),
        y_desc: y_desc.into(),
        series: vec![
            Series::new(format!("A: {a}"), color(0), da.iter().map(|d| (f64::from(d.day), f(d))).collect()),
            Series::new(format!("B: {b}"), color(1), db.iter().map(|d| (f64::from(d.day), f(d))).collect()).dashed(),
        ],
        y_from_zero: from_zero,
        ..LineChart::default()
    }
    .svg()
}

fn cumulative(a: &str, da: &[DayMetrics], b: &str, db: &[DayMetrics]) -> String {
    let sum = |daily: &[DayMetrics]| {
        let mut total = 0u64;
        daily
            .iter()
            .map(|d| {
                total += d.denials.iter().sum::<u64>();
                (f64::from(d.day), total as f64)
            })
            .collect::<Vec<_>>()
    };
    LineChart {
        title: "Denials since day 0, all activities".into(),
        x_desc: "day".into(),
        y_desc: "denials (cumulative)".into(),
        series: vec![
            Series::new(format!("A: {a}"), color(0), sum(da)),
            Series::new(format!("B: {b}"), color(1), sum(db)).dashed(),
        ],
        y_from_zero: true,
        ..LineChart::default()
    }
    .svg()
}

fn activity_bars(a: &str, sa: &Summary, b: &str, sb: &Summary) -> String {
    let names: Vec<String> = sa.activities.iter().map(|x| x.activity.clone()).collect();
    let of = |s: &Summary| -> Vec<f64> {
        names.iter().map(|n| s.activities.iter().find(|x| &x.activity == n).map_or(0.0, |x| x.denials as f64)).collect()
    };
    BarChart {
        title: "Denials over the run, by activity".into(),
        category_desc: String::new(),
        value_desc: "denials".into(),
        categories: names.iter().map(|n| fmt::words(n)).collect(),
        series: vec![Bars::new(format!("A: {a}"), color(0), of(sa)), Bars::new(format!("B: {b}"), color(1), of(sb))],
        overlay: false,
        horizontal: true,
        reference: None,
    }
    .svg()
}
