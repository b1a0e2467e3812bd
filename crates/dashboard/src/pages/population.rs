//! The population page of a run: what the system did to everyone. The
//! same content makes the body of `scorelab report`.
//!
//! Each section reads only the file it needs ([`RunFiles`]): a missing or
//! damaged `daily.parquet` leaves the headline figures and the groups in
//! place and says, where the charts would be, what is wrong.

use maud::{html, Markup};
use scorelab_engine::metrics::{DayMetrics, GroupDimension, GroupRow};
use scorelab_scenario::{ActivityKind, Scenario};
use scorelab_store::{Manifest, Summary};

use crate::charts::{self, color, grade_color, Band, BarChart, Bars, LineChart, Series};
use crate::fmt;
use crate::pages::layout::{figure, problem, Mode};
use crate::runs::{Chilling, NoChilling, RunFiles};
use crate::url;

/// The whole body of the population page (or report).
pub fn body(files: &RunFiles, chilling: &Result<Chilling, NoChilling>, mode: Mode) -> Markup {
    let m = files.run.manifest();
    html! {
        (header(files, mode))
        @match &files.summary {
            Ok(s) => (headline(s, m, files.scenario.as_ref().is_none_or(|sc| sc.score.enabled))),
            Err(e) => (problem("The headline figures", e.message())),
        }
        @if files.scenario.as_ref().is_none_or(|sc| sc.score.enabled) {
            h2 #scores { "How the scores spread" }
            @match &files.daily {
                Ok(daily) => div.charts {
                    (figure(score_bands(daily), Some("The band holds the middle 80% of adults; half of them are above the median.")))
                    (figure(charts::heatmap(
                        "Distribution of effective scores, day by day",
                        &daily.iter().map(|d| (d.day, d.adults, d.score_histogram.as_slice())).collect::<Vec<_>>(),
                        m.histogram.origin_points,
                        m.histogram_bin_points,
                    ), None))
                },
                Err(e) => (problem("The score distribution over time", e.message())),
            }
            h2 #grades { "Grades" }
            @match &files.daily {
                Ok(daily) => div.charts {
                    (figure(grades_chart(daily, m), Some("Logarithmic scale: each gridline is ten times the one below, so small grades stay visible.")))
                    @if let Ok(s) = &files.summary { (grades_table(s)) }
                },
                Err(e) => (problem("Citizens per grade over time", e.message())),
            }
        } @else {
            h2 #scores { "Scores and grades" }
            p { "This scenario keeps no score: every citizen stays at the base score and in the same grade, so there is no distribution to show. Its sanctions act through the blacklist alone." }
        }
        h2 #blacklist { "The blacklist" }
        @match &files.daily {
            Ok(daily) => div.charts {
                (figure(blacklist_chart(daily), files.summary.as_ref().ok().map(|s| format!(
                    "{} citizens were on the blacklist at some point of the run.", fmt::count(s.ever_blacklisted)
                )).as_deref()))
                (figure(listings_chart(daily), Some("Appeals can take a citizen off the blacklist; listings also end when paid or at the end of their term.")))
            },
            Err(e) => (problem("The blacklist over time", e.message())),
        }
        h2 #denials { "Denials" }
        (denials(files))
        h2 #groups { "Who is denied" }
        @match &files.groups {
            Ok(groups) => (groups_section(groups)),
            Err(e) => (problem("Denials by income, place, age and region", e.message())),
        }
        h2 #children { "What reaches the children" }
        (children(files))
        h2 #chilling { "The chilling effect" }
        (chilling_section(chilling, mode, Some(&files.name)))
        @if mode.links() {
            h2 #citizens { "Citizens" }
            (crate::pages::citizen::search_form(&files.name, None))
            (crate::pages::citizen::tracked_links(&files.name, &m.tracked, 40))
        }
    }
}

fn header(files: &RunFiles, mode: Mode) -> Markup {
    let m = files.run.manifest();
    let description = files.scenario.as_ref().map(|s| s.description.clone()).unwrap_or_default();
    html! {
        h1 { "Run " (files.name) }
        p.lead {
            "Scenario " strong { (m.scenario) }
            @if !description.is_empty() { ": " (description) }
        }
        p {
            (fmt::count(m.citizens)) " synthetic citizens, " (fmt::count(u64::from(m.days))) " days, seed " (m.seed)
            ". Run on " (fmt::utc(m.started_unix)) " in " (fmt::duration(m.wall_seconds))
            " by scorelab " (m.scorelab_version) "."
        }
        @if mode.links() {
            p.note {
                a href=(url::citizens(&files.name)) { "Citizens" } " · "
                "JSON: "
                a href=(url::api(&files.name, "summary")) { "summary" } ", "
                a href=(url::api(&files.name, "daily")) { "daily" } ", "
                a href=(url::api(&files.name, "groups")) { "groups" } ", "
                a href=(url::api(&files.name, "manifest")) { "manifest" }
            }
        }
        @if m.citizens_sampled {
            p.notice { "citizens.parquet of this run holds every " (m.citizens_sample_every) "-th citizen only; the figures on this page count everyone." }
        }
    }
}

fn card(value: String, key: &str, bad: bool) -> Markup {
    html! { div.card.bad[bad] { div.v { (value) } div.k { (key) } } }
}

fn headline(s: &Summary, m: &Manifest, scored: bool) -> Markup {
    let f = &s.final_day;
    let denials: u64 = s.activities.iter().map(|a| a.denials).sum();
    let wrongful: u64 = s.activities.iter().map(|a| a.wrongful_denials).sum();
    html! {
        div.cards {
            @if scored {
                (card(fmt::points(f.score_mean), &format!("mean effective score on day {} (points)", f.day), false))
            }
            (card(fmt::count(f.blacklisted), &format!("blacklisted on the last day, {} of them wrongly", fmt::count(f.blacklisted_erroneous)), f.blacklisted > 0))
            (card(fmt::count(s.unique_denied_any), "citizens denied something at least once", s.unique_denied_any > 0))
            (card(fmt::count(denials), "denials over the run", false))
            (card(fmt::opt_pct(fmt::share(wrongful, denials)), &format!("of denials were wrongful ({})", fmt::count(wrongful)), wrongful > 0))
            (card(fmt::count(s.children_denied_school), "children denied a school place because of a guardian", s.children_denied_school > 0))
            (card(format!("{} / {}", fmt::count(s.appeals_won), fmt::count(s.appeals)), "appeals won / made", false))
            @if scored {
                (card(fmt::count(f.adults), &format!("adults with a score, of {} citizens", fmt::count(m.citizens)), false))
            }
        }
    }
}

fn score_bands(daily: &[DayMetrics]) -> String {
    let x = |d: &DayMetrics| f64::from(d.day);
    LineChart {
        title: "Effective score: percentiles and mean".into(),
        x_desc: "day".into(),
        y_desc: "effective score (points)".into(),
        band: Some(Band {
            name: "p10 to p90".into(),
            color: color(0),
            points: daily.iter().map(|d| (x(d), d.score_p10, d.score_p90)).collect(),
        }),
        series: vec![
            Series::new("median (p50)", color(0), daily.iter().map(|d| (x(d), d.score_p50)).collect()),
            Series::new("mean", color(1), daily.iter().map(|d| (x(d), d.score_mean)).collect()).dashed(),
        ],
        ..LineChart::default()
    }
    .svg()
}

fn grades_chart(daily: &[DayMetrics], m: &Manifest) -> String {
    let n = m.grades.len();
    LineChart {
        title: "Adults per grade".into(),
        x_desc: "day".into(),
        y_desc: "adults (log scale)".into(),
        series: m
            .grades
            .iter()
            .enumerate()
            .map(|(g, name)| {
                Series::new(
                    name.clone(),
                    grade_color(g, n),
                    daily
                        .iter()
                        .map(|d| (f64::from(d.day), d.grade_counts.get(g).copied().unwrap_or(0) as f64))
                        .collect(),
                )
            })
            .collect(),
        log_y: true,
        ..LineChart::default()
    }
    .svg()
}

fn grades_table(s: &Summary) -> Markup {
    html! {
        div.table-wrap {
            table {
                caption.note { "Grades on day " (s.final_day.day) }
                thead { tr { th { "grade" } th.n { "adults" } th.n { "share" } } }
                tbody {
                    @for g in &s.final_day.grades {
                        tr { td { (g.grade) } td.n { (fmt::count(g.adults)) } td.n { (fmt::pct(g.share)) } }
                    }
                }
            }
        }
    }
}

fn blacklist_chart(daily: &[DayMetrics]) -> String {
    let x = |d: &DayMetrics| f64::from(d.day);
    LineChart {
        title: "Citizens on the blacklist".into(),
        x_desc: "day".into(),
        y_desc: "citizens".into(),
        series: vec![
            Series::new("blacklisted", color(3), daily.iter().map(|d| (x(d), d.blacklisted as f64)).collect()),
            Series::new(
                "of them wrongly (no correct record)",
                color(4),
                daily.iter().map(|d| (x(d), d.blacklisted_erroneous as f64)).collect(),
            )
            .dashed(),
        ],
        y_from_zero: true,
        ..LineChart::default()
    }
    .svg()
}

fn listings_chart(daily: &[DayMetrics]) -> String {
    let cumulative = |f: fn(&DayMetrics) -> u64| {
        let mut total = 0u64;
        daily
            .iter()
            .map(|d| {
                total += f(d);
                (f64::from(d.day), total as f64)
            })
            .collect::<Vec<_>>()
    };
    LineChart {
        title: "Listings and appeals since day 0".into(),
        x_desc: "day".into(),
        y_desc: "count (cumulative)".into(),
        series: vec![
            Series::new("put on the list", color(3), cumulative(|d| d.listings_started)),
            Series::new("taken off", color(2), cumulative(|d| d.listings_ended)),
            Series::new("appeals made", color(0), cumulative(|d| d.appeals)).dashed(),
            Series::new("appeals won", color(1), cumulative(|d| d.appeals_won)).dashed(),
        ],
        y_from_zero: true,
        ..LineChart::default()
    }
    .svg()
}

fn denials(files: &RunFiles) -> Markup {
    let m = files.run.manifest();
    html! {
        div.charts {
            @match &files.daily {
                Ok(daily) => {
                    (figure(cumulative_denials(daily, &m.activities), None))
                    (figure(wrongful_share(daily), Some("Of all denials since day 0, the share that was wrongful; a gap means nothing had been denied yet.")))
                },
                Err(e) => (problem("Denials over time", e.message())),
            }
            @if let Ok(s) = &files.summary {
                (figure(BarChart {
                    title: "Denials over the run, by activity".into(),
                    category_desc: String::new(),
                    value_desc: "denials".into(),
                    categories: s.activities.iter().map(|a| fmt::words(&a.activity)).collect(),
                    series: vec![
                        Bars::new("denials", color(0), s.activities.iter().map(|a| a.denials as f64).collect()),
                        Bars::new("of which wrongful", color(3), s.activities.iter().map(|a| a.wrongful_denials as f64).collect()),
                    ],
                    overlay: true,
                    horizontal: true,
                    reference: None,
                }.svg(), None))
            }
        }
        @match &files.summary {
            Ok(s) => div.table-wrap {
                table.stack {
                    thead { tr {
                        th { "activity" } th.n { "denials" } th.n { "wrongful" } th.n { "wrongful share" }
                        th.n { "citizens denied" } th.n { "grants (rewards)" }
                    } }
                    tbody {
                        @for a in &s.activities {
                            tr {
                                td.name data-label="activity" { (fmt::words(&a.activity)) }
                                td.n data-label="denials" { (fmt::count(a.denials)) }
                                td.n data-label="wrongful" { (fmt::count(a.wrongful_denials)) }
                                td.n data-label="wrongful share" { (fmt::opt_pct(a.wrongful_share)) }
                                td.n data-label="citizens denied" { (fmt::count(a.unique_denied)) }
                                td.n data-label="grants (rewards)" { (fmt::count(a.grants)) }
                            }
                        }
                    }
                }
            },
            Err(e) => (problem("Denials per activity", e.message())),
        }
        p.note { "A denial is wrongful when the sanction would not have applied without erroneous records (misattributed or spurious) or with an unbacked listing." }
    }
}

fn wrongful_share(daily: &[DayMetrics]) -> String {
    let (mut denials, mut wrongful) = (0u64, 0u64);
    let points = daily
        .iter()
        .map(|d| {
            denials += d.denials.iter().sum::<u64>();
            wrongful += d.wrongful_denials.iter().sum::<u64>();
            (f64::from(d.day), fmt::share(wrongful, denials).map_or(f64::NAN, |x| x * 100.0))
        })
        .collect();
    LineChart {
        title: "Wrongful share of denials".into(),
        x_desc: "day".into(),
        y_desc: "wrongful denials, cumulative (%)".into(),
        series: vec![Series::new("all activities", color(3), points)],
        y_from_zero: true,
        ..LineChart::default()
    }
    .svg()
}

fn cumulative_denials(daily: &[DayMetrics], activities: &[String]) -> String {
    LineChart {
        title: "Denials since day 0, by activity".into(),
        x_desc: "day".into(),
        y_desc: "denials (cumulative)".into(),
        series: activities
            .iter()
            .enumerate()
            .map(|(a, name)| {
                let mut total = 0u64;
                let points = daily
                    .iter()
                    .map(|d| {
                        total += d.denials.get(a).copied().unwrap_or(0);
                        (f64::from(d.day), total as f64)
                    })
                    .collect();
                Series::new(fmt::words(name), color(a), points)
            })
            .collect(),
        y_from_zero: true,
        ..LineChart::default()
    }
    .svg()
}

/// Per-group totals over all activities (or one), in display order.
pub struct GroupTotal {
    /// Group label.
    pub group: String,
    /// Citizens in the group.
    pub citizens: u64,
    /// Denials.
    pub denials: u64,
    /// Wrongful denials.
    pub wrongful: u64,
}

/// Sums `rows` of `dimension` (over `activity`, or all activities) per
/// group, in a natural order: numbers as numbers, age bands by their
/// first age, other labels as they come.
pub fn group_totals(rows: &[GroupRow], dimension: GroupDimension, activity: Option<&str>) -> Vec<GroupTotal> {
    let mut out: Vec<GroupTotal> = Vec::new();
    for r in rows.iter().filter(|r| r.dimension == dimension) {
        let i = match out.iter().position(|t| t.group == r.group) {
            Some(i) => i,
            None => {
                out.push(GroupTotal { group: r.group.clone(), citizens: 0, denials: 0, wrongful: 0 });
                out.len() - 1
            }
        };
        let t = &mut out[i];
        t.citizens = t.citizens.max(r.citizens);
        if activity.is_none_or(|a| a == r.activity) {
            t.denials += r.denials;
            t.wrongful += r.wrongful_denials;
        }
    }
    let leading = |g: &str| g.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse::<u64>().ok());
    if out.iter().all(|t| leading(&t.group).is_some()) {
        out.sort_by_key(|t| leading(&t.group));
    }
    out
}

fn per_thousand(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 1000.0 / whole as f64
    }
}

fn dimension_text(d: GroupDimension) -> (&'static str, &'static str) {
    match d {
        GroupDimension::IncomeDecile => ("income decile", "income decile (1 = poorest)"),
        GroupDimension::Urban => ("urban or rural", "where they live"),
        GroupDimension::AgeBand => ("age band", "age band (years)"),
        GroupDimension::Region => ("region", "region (number)"),
    }
}

fn group_chart(title: &str, axis: &str, totals: &[GroupTotal], unit: &str) -> String {
    BarChart {
        title: title.into(),
        category_desc: axis.into(),
        value_desc: format!("denials per 1,000 {unit}"),
        categories: totals.iter().map(|t| t.group.clone()).collect(),
        series: vec![
            Bars::new("denials", color(0), totals.iter().map(|t| per_thousand(t.denials, t.citizens)).collect()),
            Bars::new(
                "of which wrongful",
                color(3),
                totals.iter().map(|t| per_thousand(t.wrongful, t.citizens)).collect(),
            ),
        ],
        overlay: true,
        horizontal: false,
        reference: None,
    }
    .svg()
}

fn groups_section(groups: &[GroupRow]) -> Markup {
    html! {
        p.note { "All activities together, per 1,000 citizens of each group (groups as at the end of the run; age bands by age on the day of the denial)." }
        div.charts {
            @for d in GroupDimension::ALL {
                @let (name, axis) = dimension_text(d);
                @let totals = group_totals(groups, d, None);
                (figure(group_chart(&format!("Denials by {name}"), axis, &totals, "citizens"), None))
            }
        }
        details {
            summary { "The numbers behind these charts" }
            @for d in GroupDimension::ALL {
                @let (name, _) = dimension_text(d);
                h3 { (name) }
                div.table-wrap {
                    table {
                        thead { tr { th { (name) } th.n { "citizens" } th.n { "denials" } th.n { "wrongful" } th.n { "per 1,000" } } }
                        tbody {
                            @for t in group_totals(groups, d, None) {
                                tr {
                                    td { (t.group) } td.n { (fmt::count(t.citizens)) } td.n { (fmt::count(t.denials)) }
                                    td.n { (fmt::count(t.wrongful)) } td.n { (format!("{:.2}", per_thousand(t.denials, t.citizens))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The names of the school enrolment activities and their day of the year.
fn school_activities(scenario: Option<&Scenario>, m: &Manifest) -> Vec<(String, Option<u32>)> {
    match scenario {
        Some(s) => s
            .activities
            .iter()
            .filter_map(|a| match &a.kind {
                ActivityKind::SchoolEnrolment { day_of_year, .. } => Some((a.name.clone(), Some(*day_of_year))),
                ActivityKind::Daily { .. } => None,
            })
            .collect(),
        None => m.activities.iter().filter(|a| a.contains("school")).map(|a| (a.clone(), None)).collect(),
    }
}

fn children(files: &RunFiles) -> Markup {
    let m = files.run.manifest();
    let schools = school_activities(files.scenario.as_ref(), m);
    html! {
        @match &files.summary {
            Ok(s) => div.cards {
                (card(fmt::count(s.children_denied_school), "children denied a school place because of their guardian", s.children_denied_school > 0))
                (card(fmt::count(s.school_denials), "school places denied (events)", s.school_denials > 0))
            },
            Err(e) => (problem("School denials", e.message())),
        }
        @if schools.is_empty() {
            p.note { "This scenario has no school enrolment activity." }
        }
        @for (name, day_of_year) in &schools {
            @if let Some(doy) = day_of_year {
                @if m.days <= *doy {
                    p.notice { "Children apply for school on day " (doy) " of each year, and this run lasted " (m.days)
                        " days: no enrolment took place. Run at least " (doy + 1) " days to see it." }
                }
            }
            @if let Ok(groups) = &files.groups {
                @let totals = group_totals(groups, GroupDimension::IncomeDecile, Some(name));
                @if totals.iter().any(|t| t.denials > 0) {
                    div.charts {
                        (figure(group_chart(&format!("{} denied, by income decile", fmt::words(name)), "income decile of the child (1 = poorest)", &totals, "citizens"), Some("Per 1,000 citizens of each decile, children and adults.")))
                    }
                }
            }
        }
        p.note { "A child is denied a school place when the sanction's triggers are met by the child's guardian: the punishment passes to the next generation." }
    }
}

/// The chilling-effect section: the ratios against the baseline, or why there are none.
pub fn chilling_section(chilling: &Result<Chilling, NoChilling>, mode: Mode, run: Option<&str>) -> Markup {
    match chilling {
        Err(NoChilling::NoPressure) => html! {
            p { "This run's scenario penalises nothing, so nobody changes their behaviour: it is itself a baseline, with no chilling effect to measure." }
        },
        Err(NoChilling::NoBaseline { hint }) => html! {
            p { "The chilling effect compares the behaviour in this run with a run of the same seed, population and length where nothing is scored. No such baseline run is in this folder." }
            @if mode.links() { p { "Make one, then reload this page:" } pre.cmd { (hint) } }
        },
        Ok(c) => {
            let changes: Vec<f64> = c.rows.iter().map(|r| r.ratio.map_or(f64::NAN, |x| (x - 1.0) * 100.0)).collect();
            html! {
                p {
                    "True events of each behaviour in this run, compared with the same-seed baseline run "
                    @if mode.links() { a href=(url::run(&c.baseline)) { (c.baseline) } } @else { strong { (c.baseline) } }
                    " where nothing is scored. Less often: people hold back because they are watched; more often: they do what is rewarded."
                    @if c.computed { " (Computed by the dashboard from the two runs' summaries.)" }
                    @if mode.links() { @if let Some(r) = run { " " a href=(url::compare(r, &c.baseline)) { "Compare the two runs side by side." } } }
                }
                div.charts {
                    (figure(BarChart {
                        title: "Behaviour compared with the baseline".into(),
                        category_desc: String::new(),
                        value_desc: "change in events vs the baseline (%)".into(),
                        categories: c.rows.iter().map(|r| fmt::words(&r.behaviour)).collect(),
                        series: vec![Bars {
                            name: "more often".into(),
                            color: color(2),
                            values: changes,
                            negative: Some(("less often".into(), color(3))),
                        }],
                        overlay: false,
                        horizontal: true,
                        reference: None,
                    }.svg(), None))
                }
                div.table-wrap {
                    table.stack {
                        thead { tr { th { "behaviour" } th.n { "events" } th.n { "baseline events" } th.n { "ratio" } th.n { "change" } } }
                        tbody {
                            @for r in &c.rows {
                                tr {
                                    td.name data-label="behaviour" { (fmt::words(&r.behaviour)) @if !r.in_baseline { " " span.tag { "not in baseline" } } }
                                    td.n data-label="events" { (fmt::count(r.events)) }
                                    td.n data-label="baseline events" { (fmt::count(r.baseline_events)) }
                                    td.n data-label="ratio" { (r.ratio.map_or("–".to_string(), fmt::ratio)) }
                                    td.n data-label="change" { (r.ratio.map_or("–".to_string(), |x| fmt::signed_pct(x - 1.0))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
