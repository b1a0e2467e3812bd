//! The citizen page: the view Sesame Credit gave each person of their own
//! score (a gauge with the grade, the score over time, the records and
//! what they cost), for any synthetic citizen that the run tracked, with
//! what the designers never showed: which records were erroneous, which
//! denials were wrongful.

use maud::{html, Markup};
use scorelab_engine::metrics::{AuditKind, AuditRow, CitizenRow};
use scorelab_scenario::{ActivityKind, Scenario, Trigger};
use scorelab_store::Manifest;
use serde::Serialize;

use crate::charts::{self, color, grade_color, GaugeBand, LineChart, Series};
use crate::error::AppError;
use crate::fmt;
use crate::pages::layout::{figure, problem};
use crate::url;

/// Rows shown per table at most; the API has them all.
const MAX_ROWS: usize = 500;

/// What the page knows of one citizen.
pub struct CitizenView {
    /// The run's folder name.
    pub run: String,
    /// The run's folder, for the `scorelab explain` command.
    pub run_path: String,
    /// The run's manifest.
    pub manifest: Manifest,
    /// Its scenario, when it parses.
    pub scenario: Option<Scenario>,
    /// The citizen's index.
    pub id: u32,
    /// Whether the run tracked the citizen (its events are in audit.parquet).
    pub tracked: bool,
    /// The final state, from citizens.parquet (`None`: not in the sample).
    pub state: Result<Option<CitizenRow>, AppError>,
    /// The events, from audit.parquet (empty when not tracked).
    pub events: Result<Vec<AuditRow>, AppError>,
}

/// Whether a sanction or a reward of an activity applies to a citizen as
/// things stand at the end of the run.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveRule {
    /// Activity name.
    pub activity: String,
    /// `sanction`, `reward` or `none`.
    pub status: &'static str,
    /// The triggers met, as the scenario writes them (`grade <= C`).
    pub triggers_met: Vec<String>,
    /// The sanction's or reward's label, if it has one.
    pub label: Option<String>,
    /// `citizen`, or `children` for school enrolment (tested on the guardian).
    pub applies_to: &'static str,
    /// Whether the citizen attempts this activity at their age (always
    /// true for school enrolment, which their children attempt).
    pub eligible_by_age: bool,
}

/// Which sanctions and rewards the citizen's final state triggers, per
/// activity in scenario order (MODEL.md section 6: a sanction first; a
/// reward only when no sanction applies).
pub fn active_rules(scenario: &Scenario, state: &CitizenRow) -> Vec<ActiveRule> {
    let grade = scenario.score.grades.iter().position(|g| g.name == state.grade);
    let met = |t: &Trigger| match *t {
        Trigger::Blacklisted => state.blacklisted,
        Trigger::GradeAtMost(g) => grade.is_some_and(|c| c >= g),
        Trigger::GradeAtLeast(g) => grade.is_some_and(|c| c <= g),
    };
    let texts = |list: &[Trigger]| -> Vec<String> {
        list.iter().filter(|t| met(t)).map(|&t| scenario.trigger_text(t)).collect()
    };
    scenario
        .activities
        .iter()
        .map(|a| {
            let (applies_to, eligible_by_age) = match &a.kind {
                ActivityKind::Daily { ages, .. } => ("citizen", ages.contains(state.age)),
                ActivityKind::SchoolEnrolment { .. } => ("children", true),
            };
            let sanction = if scenario.sanctions_enabled { texts(&a.sanction) } else { Vec::new() };
            let reward = if scenario.rewards_enabled { texts(&a.reward) } else { Vec::new() };
            let (status, triggers_met, label) = if !sanction.is_empty() {
                ("sanction", sanction, a.sanction_label.clone())
            } else if !reward.is_empty() {
                ("reward", reward, a.reward_label.clone())
            } else {
                ("none", Vec::new(), None)
            };
            ActiveRule { activity: a.name.clone(), status, triggers_met, label, applies_to, eligible_by_age }
        })
        .collect()
}

/// The search box: a citizen index, sent to the citizens page.
pub fn search_form(run: &str, value: Option<u32>) -> Markup {
    html! {
        form.inline method="get" action=(url::citizens(run)) role="search" {
            label {
                "Citizen index"
                input type="number" name="id" min="0" step="1" inputmode="numeric" required value=[value] placeholder="e.g. 42";
            }
            button type="submit" { "Show citizen" }
        }
    }
}

/// Links to the first `limit` tracked citizens.
pub fn tracked_links(run: &str, tracked: &[u32], limit: usize) -> Markup {
    html! {
        @if tracked.is_empty() {
            p.note { "This run tracked no citizen." }
        } @else {
            p { (fmt::count(tracked.len() as u64)) " citizens were tracked in this run: their day-by-day stories are stored." }
            div.ids {
                @for id in tracked.iter().take(limit) { a href=(url::citizen(run, *id)) { "#" (id) } }
                @if tracked.len() > limit { a href=(url::citizens(run)) { "all " (fmt::count(tracked.len() as u64)) "…" } }
            }
        }
    }
}

/// The citizens index: the search box and every tracked citizen.
pub fn index_body(run: &str, m: &Manifest) -> Markup {
    html! {
        h1 { "Citizens of run " (run) }
        p.lead { (fmt::count(m.citizens)) " synthetic citizens, numbered 0 to " (fmt::count(m.citizens.saturating_sub(1))) "." }
        (search_form(run, None))
        (tracked_links(run, &m.tracked, usize::MAX))
    }
}

/// The whole body of a citizen's page.
pub fn body(v: &CitizenView) -> Markup {
    let state = v.state.as_ref().ok().and_then(|s| s.as_ref());
    let events = v.events.as_deref().unwrap_or(&[]);
    html! {
        h1 { "Citizen #" (v.id) }
        p.lead { "A synthetic citizen of run " a href=(url::run(&v.run)) { (v.run) } " (scenario " (v.manifest.scenario) "): an index in a generated population, not a person." }
        (search_form(&v.run, Some(v.id)))
        @if !v.tracked {
            div.notice {
                p { "Citizen #" (v.id) " was not tracked in this run, so its day-by-day story (records, denials, appeals, score) is not stored. "
                    "Replay the run for this citizen with:" }
                pre.cmd { "scorelab explain " (v.run_path) " --citizen " (v.id) }
                p { "Or run again with " code { "--track " (v.id) } " to keep its story in the run. Its final state is shown below when the run kept it." }
            }
        }
        @if let Err(e) = &v.state { (problem("The citizen's final state", e.message())) }
        @if let Err(e) = &v.events { (problem("The citizen's history", e.message())) }
        @if v.state.as_ref().is_ok_and(|s| s.is_none()) {
            p.notice { "citizens.parquet of this run holds every " (v.manifest.citizens_sample_every) "-th citizen only, and not this one." }
        }
        @if let Some(s) = state {
            div.citizen-top {
                (figure(gauge(v, s), None))
                (facts(s, &v.run))
            }
        }
        @if v.tracked {
            @let scores: Vec<&AuditRow> = events.iter().filter(|e| e.kind == AuditKind::Score).collect();
            @if !scores.is_empty() {
                div.charts { (figure(score_chart(v, &scores), None)) }
            }
        }
        @if v.tracked {
            (factors(v.scenario.as_ref(), events))
        }
        @if let (Some(sc), Some(s)) = (v.scenario.as_ref(), state) {
            h2 { "Sanctions and rewards that apply now" }
            (rules_table(&active_rules(sc, s), s))
        }
        @if v.tracked && v.events.is_ok() {
            (records(v, events))
            (listings(events))
            (denials(v, events))
            (appeals(events))
        }
    }
}

/// The factor breakdown of the score (how much each kind of data moved
/// it), for scenarios whose score has factors, as Sesame Credit's had:
/// rebuilt from the tracked citizen's records (`scorelab_engine::factors`)
/// on the last day that has an end-of-day score.
fn factors(scenario: Option<&Scenario>, events: &[AuditRow]) -> Markup {
    let Some(sc) = scenario else {
        return html! {};
    };
    let Some((day, rows)) = scorelab_engine::factors::breakdown_on_last_scored_day(sc, events) else {
        return html! {};
    };
    let base = sc.score.base_milli as f64 / 1000.0;
    html! {
        h2 { "Score factors on day " (day) }
        p.note { "The effective score is the weighted sum of the factors' sub-scores. Each sub-score starts at the base of " (fmt::points(base)) " points and moves with that factor's records (the network factor is the mean own score of the citizen's friends). Rebuilt from the records; the contributions add up to the score minus the base within rounding." }
        table {
            thead { tr { th { "factor" } th.n { "weight" } th.n { "sub-score" } th.n { "adds to the score" } } }
            tbody {
                @for f in &rows {
                    tr {
                        td { (f.name.replace('_', " ")) @if f.network { " (friends)" } }
                        td.n { (fmt::pct(f.weight)) }
                        td.n { (fmt::points(f.sub_score_milli as f64 / 1000.0)) }
                        td.n { (format!("{:+.1}", f.contribution_milli as f64 / 1000.0)) }
                    }
                }
            }
        }
    }
}

fn gauge(v: &CitizenView, s: &CitizenRow) -> String {
    let score = s.effective_score_milli as f64 / 1000.0;
    let title = format!("Effective score on day {}", v.manifest.days.saturating_sub(1));
    let Some(sc) = &v.scenario else {
        return charts::gauge(&title, score, &s.grade, &[], (score - 100.0, score + 100.0));
    };
    let (min, max) = (sc.score.min_milli as f64 / 1000.0, sc.score.max_milli as f64 / 1000.0);
    let n = sc.score.grades.len();
    let bands: Vec<GaugeBand> = sc
        .score
        .grades
        .iter()
        .enumerate()
        .map(|(g, grade)| GaugeBand {
            name: grade.name.clone(),
            lo: grade.threshold_milli.map_or(min, |t| t as f64 / 1000.0),
            hi: if g == 0 { max } else { sc.score.grades[g - 1].threshold_milli.map_or(max, |t| t as f64 / 1000.0) },
            color: grade_color(g, n),
        })
        .collect();
    // Grades crowd around the base score; the gauge spans the thresholds
    // with a margin on each side, and always the citizen's own score.
    let thresholds: Vec<f64> =
        sc.score.grades.iter().filter_map(|g| g.threshold_milli).map(|t| t as f64 / 1000.0).collect();
    let (t_lo, t_hi) = thresholds.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| (a.min(t), b.max(t)));
    let (lo, hi) = if t_lo.is_finite() {
        let span = (t_hi - t_lo).max(100.0);
        ((t_lo - 0.6 * span).max(min).min(score), (t_hi + 0.6 * span).min(max).max(score))
    } else {
        (min, max)
    };
    charts::gauge(&title, score, &s.grade, &bands, (lo, hi))
}

fn facts(s: &CitizenRow, run: &str) -> Markup {
    let yes = |b: bool| if b { "yes" } else { "no" };
    html! {
        dl.facts {
            dt { "grade" } dd { strong { (s.grade) } }
            dt { "effective score Ŝ" } dd { (fmt::milli(s.effective_score_milli)) " points" }
            dt { "own score S" } dd { (fmt::milli(s.own_score_milli)) " points" }
            dt { "gains G / losses L" } dd { (fmt::milli(s.gains_milli)) " / " (fmt::milli(s.losses_milli)) " points" }
            dt { "losses from erroneous records" } dd.bad[s.erroneous_losses_milli > 0] { (fmt::milli(s.erroneous_losses_milli)) " points" }
            dt { "blacklisted" } dd {
                (yes(s.blacklisted))
                @if s.blacklisted && !s.listing_backed { " " span.tag.bad { "not backed by a correct record" } }
            }
            dt { "age" } dd { (s.age) }
            dt { "lives" } dd { (if s.urban { "urban" } else { "rural" }) ", region " (s.region) }
            dt { "income decile" } dd { (s.income_decile) " (1 = poorest)" }
            dt { "aware of the system" } dd { (yes(s.aware)) }
            dt { "compliance / dissent" } dd { (format!("{:.2} / {:.2}", s.compliance, s.dissent)) }
            dt { "friends" } dd { (s.friends) }
            @if let Some(g) = s.guardian { dt { "guardian" } dd { a href=(url::citizen(run, g)) { "#" (g) } } }
            @if !s.ever_denied.is_empty() {
                dt { "ever denied" } dd { (s.ever_denied.iter().map(|a| fmt::words(a)).collect::<Vec<_>>().join(", ")) }
            }
            @if s.denied_school_as_child { dt { "as a child" } dd { span.tag.bad { "denied a school place" } } }
        }
    }
}

fn score_chart(v: &CitizenView, scores: &[&AuditRow]) -> String {
    let points = |f: fn(&AuditRow) -> Option<i64>| -> Vec<(f64, f64)> {
        scores.iter().map(|r| (f64::from(r.day), f(r).map_or(f64::NAN, |m| m as f64 / 1000.0))).collect()
    };
    let hlines = v
        .scenario
        .iter()
        .flat_map(|sc| sc.score.grades.iter())
        .filter_map(|g| g.threshold_milli.map(|t| (t as f64 / 1000.0, format!("{} from {}", g.name, fmt::milli(t)))))
        .collect();
    LineChart {
        title: format!("Score of citizen #{} over time", v.id),
        x_desc: "day".into(),
        y_desc: "score (points)".into(),
        series: vec![
            Series::new("effective score Ŝ", color(0), points(|r| r.effective_score_milli)),
            Series::new("own score S", color(1), points(|r| r.own_score_milli)).dashed(),
        ],
        hlines,
        ..LineChart::default()
    }
    .svg()
}

fn rules_table(rules: &[ActiveRule], s: &CitizenRow) -> Markup {
    html! {
        p.note { "With the final state (grade " (s.grade) (if s.blacklisted { ", blacklisted" } else { "" }) "), as the scenario's triggers decide on the next attempt." }
        div.table-wrap {
            table {
                thead { tr { th { "activity" } th { "applies" } th { "because" } th { "note" } } }
                tbody {
                    @for r in rules {
                        tr.erroneous[r.status == "sanction"] {
                            td { (fmt::words(&r.activity)) }
                            td {
                                @match r.status {
                                    "sanction" => span.tag.bad { (if r.eligible_by_age { "denied" } else { "would be denied" }) @if let Some(l) = &r.label { ": " (fmt::words(l)) } },
                                    "reward" => span.tag.ok { (if r.eligible_by_age { "reward" } else { "would be rewarded" }) @if let Some(l) = &r.label { ": " (fmt::words(l)) } },
                                    _ => span.tag { "no sanction or reward" },
                                }
                            }
                            td { (r.triggers_met.join("; ")) }
                            td.note {
                                @if r.applies_to == "children" { "tested on this citizen for the children they are guardian of" }
                                @else if !r.eligible_by_age { "not attempted at age " (s.age) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn more(n: usize) -> Markup {
    html! { @if n > MAX_ROWS { p.note { "The first " (MAX_ROWS) " of " (fmt::count(n as u64)) " are shown; the API has them all." } } }
}

fn records(v: &CitizenView, events: &[AuditRow]) -> Markup {
    let rows: Vec<&AuditRow> = events.iter().filter(|e| e.kind == AuditKind::Record).collect();
    let erroneous = rows.iter().filter(|r| r.erroneous == Some(true)).count();
    html! {
        h2 { "Records" }
        p { (fmt::count(rows.len() as u64)) " records, " strong { (fmt::count(erroneous as u64)) " erroneous" } " (misattributed: another citizen's event; spurious: no event at all)." }
        @if !rows.is_empty() {
            div.table-wrap {
                table {
                    thead { tr { th.n { "day" } th { "behaviour" } th { "source" } th.n { "points" } th { "record" } } }
                    tbody {
                        @for r in rows.iter().take(MAX_ROWS) {
                            @let bad = r.erroneous == Some(true);
                            tr.erroneous[bad] {
                                td.n { (r.day) }
                                td { (r.behaviour.as_deref().map(fmt::words).unwrap_or_default()) }
                                td { (r.source.as_deref().map(fmt::words).unwrap_or_default()) }
                                td.n { (r.points_milli.map(fmt::milli).unwrap_or_default()) }
                                td {
                                    @if bad { span.tag.bad { "erroneous" } " " }
                                    (r.detail.as_deref().unwrap_or(""))
                                    @if let Some(a) = r.actor { " (the event of " a href=(url::citizen(&v.run, a)) { "#" (a) } ")" }
                                }
                            }
                        }
                    }
                }
            }
            (more(rows.len()))
        }
    }
}

fn listings(events: &[AuditRow]) -> Markup {
    let rows: Vec<&AuditRow> =
        events.iter().filter(|e| matches!(e.kind, AuditKind::Listed | AuditKind::Delisted)).collect();
    html! {
        @if !rows.is_empty() {
            h2 { "Blacklist" }
            div.table-wrap {
                table {
                    thead { tr { th.n { "day" } th { "event" } th { "reason" } } }
                    tbody {
                        @for r in rows.iter().take(MAX_ROWS) {
                            @let bad = r.kind == AuditKind::Listed && r.erroneous == Some(true);
                            tr.erroneous[bad] {
                                td.n { (r.day) }
                                td { (if r.kind == AuditKind::Listed { "put on the blacklist" } else { "taken off the blacklist" }) }
                                td {
                                    (r.behaviour.as_deref().or(r.detail.as_deref()).map(fmt::words).unwrap_or_default())
                                    @if r.kind == AuditKind::Delisted { @if let Some(d) = &r.detail { " (" (d) ")" } }
                                    @if bad { " " span.tag.bad { "not backed by a correct record" } }
                                }
                            }
                        }
                    }
                }
            }
            (more(rows.len()))
        }
    }
}

fn denials(v: &CitizenView, events: &[AuditRow]) -> Markup {
    let rows: Vec<&AuditRow> =
        events.iter().filter(|e| matches!(e.kind, AuditKind::Denial | AuditKind::Grant)).collect();
    let denied = rows.iter().filter(|r| r.kind == AuditKind::Denial).count();
    let wrongful = rows.iter().filter(|r| r.wrongful == Some(true)).count();
    html! {
        h2 { "Denials and rewards" }
        p { (fmt::count(denied as u64)) " denials, " strong { (fmt::count(wrongful as u64)) " wrongful" } "; "
            (fmt::count((rows.len() - denied) as u64)) " rewards granted." }
        @if !rows.is_empty() {
            div.table-wrap {
                table {
                    thead { tr { th.n { "day" } th { "activity" } th { "outcome" } th { "triggers met" } } }
                    tbody {
                        @for r in rows.iter().take(MAX_ROWS) {
                            tr.erroneous[r.wrongful == Some(true)] {
                                td.n { (r.day) }
                                td { (r.activity.as_deref().map(fmt::words).unwrap_or_default()) }
                                td {
                                    @if r.kind == AuditKind::Denial {
                                        span.tag.bad { "denied" }
                                        @if r.wrongful == Some(true) { " " span.tag.warn { "wrongful" } }
                                    } @else {
                                        span.tag.ok { "granted (reward)" }
                                    }
                                    @if let Some(o) = r.other { " (school: with " a href=(url::citizen(&v.run, o)) { "#" (o) } ")" }
                                }
                                td { (r.rule.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
            (more(rows.len()))
        }
    }
}

fn appeals(events: &[AuditRow]) -> Markup {
    let rows: Vec<&AuditRow> = events.iter().filter(|e| e.kind == AuditKind::Appeal).collect();
    html! {
        h2 { "Appeals" }
        @if rows.is_empty() {
            p.note { "No appeal." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th.n { "day" } th { "outcome" } } }
                    tbody {
                        @for r in rows.iter().take(MAX_ROWS) {
                            tr { td.n { (r.day) } td { @if r.won == Some(true) { span.tag.ok { "won" } } @else { span.tag { "lost" } } } }
                        }
                    }
                }
            }
        }
    }
}
