//! The runs page: every run of the folder with its scenario, size, seed,
//! date and headline figures; runs still being written with their
//! progress, kept up to date by the page's script.

use maud::{html, Markup};
use scorelab_store::Progress;
use serde::Serialize;

use crate::fmt;
use crate::runs::{Run, RunState, RunsRoot};
use crate::url;

/// One run of the folder as the runs page and `/api/runs` show it.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// Folder name, the run's name in URLs.
    pub name: String,
    /// `complete`, `in_progress` or `unreadable`.
    pub status: &'static str,
    /// Scenario name (complete runs).
    pub scenario: Option<String>,
    /// Seed (complete runs).
    pub seed: Option<u64>,
    /// Number of citizens.
    pub citizens: Option<u64>,
    /// Days planned or simulated.
    pub days: Option<u32>,
    /// Start, seconds since 1970.
    pub started_unix: Option<u64>,
    /// Progress of a run being written.
    pub progress: Option<Progress>,
    /// Headline figures (complete runs with a readable summary).
    pub headline: Option<Headline>,
    /// What is wrong with an unreadable run, or with its summary.
    pub problem: Option<String>,
}

/// The headline figures of a run, for the runs list.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    /// Mean effective score on the last day (points; null without adults).
    pub score_mean: Option<f64>,
    /// Blacklisted on the last day.
    pub blacklisted: u64,
    /// Of them, not backed by a correct record.
    pub blacklisted_erroneous: u64,
    /// Citizens denied anything over the run.
    pub unique_denied_any: u64,
    /// Denials over the run, all activities.
    pub denials: u64,
    /// Wrongful denials over the run.
    pub wrongful_denials: u64,
    /// Children denied a school place because of a guardian.
    pub children_denied_school: u64,
}

/// What the runs list says about `run`.
pub fn info(run: &Run) -> RunInfo {
    let mut info = RunInfo {
        name: run.name.clone(),
        status: "complete",
        scenario: None,
        seed: None,
        citizens: None,
        days: None,
        started_unix: None,
        progress: None,
        headline: None,
        problem: None,
    };
    match &run.state {
        RunState::Complete(dir) => {
            let m = dir.manifest();
            info.scenario = Some(m.scenario.clone());
            info.seed = Some(m.seed);
            info.citizens = Some(m.citizens);
            info.days = Some(m.days);
            info.started_unix = Some(m.started_unix);
            match dir.read_summary() {
                Ok(s) => {
                    info.headline = Some(Headline {
                        score_mean: s.final_day.score_mean.is_finite().then_some(s.final_day.score_mean),
                        blacklisted: s.final_day.blacklisted,
                        blacklisted_erroneous: s.final_day.blacklisted_erroneous,
                        unique_denied_any: s.unique_denied_any,
                        denials: s.activities.iter().map(|a| a.denials).sum(),
                        wrongful_denials: s.activities.iter().map(|a| a.wrongful_denials).sum(),
                        children_denied_school: s.children_denied_school,
                    })
                }
                Err(e) => {
                    info.problem = Some(
                        crate::error::AppError::store(&run.name, scorelab_store::files::SUMMARY, &e)
                            .message()
                            .to_string(),
                    )
                }
            }
        }
        RunState::InProgress(progress) => {
            info.status = "in_progress";
            info.progress = *progress;
            if let Some(p) = progress {
                info.citizens = Some(p.citizens);
                info.days = Some(p.days);
                info.started_unix = Some(p.started_unix);
            }
        }
        RunState::Unreadable(message) => {
            info.status = "unreadable";
            info.problem = Some(message.clone());
        }
    }
    info
}

/// The body of the runs page.
pub fn body(root: &RunsRoot, runs: &[RunInfo]) -> Markup {
    let complete: Vec<&RunInfo> = runs.iter().filter(|r| r.status == "complete").collect();
    let opt = |v: Option<u64>| v.map(fmt::count).unwrap_or_else(|| "–".into());
    html! {
        h1 { "Runs" }
        p.lead { "In " code { (root.path().display()) } ". Each run is a synthetic population living under a scenario's rules." }
        @if runs.is_empty() {
            div.notice {
                p { "There is no run in this folder yet. Make one (it appears here while it is being written):" }
                pre.cmd { "scorelab run --citizens 100000 --days 365 --out " (root.path().display()) "/seed-article-1" }
            }
        } @else {
            div.table-wrap {
                table.stack #runs {
                    thead { tr {
                        th { "run" } th { "scenario" } th.n { "citizens" } th.n { "days" } th.n { "seed" } th { "started" }
                        th.n { "mean score" } th.n { "blacklisted" } th.n { "denied citizens" } th.n { "wrongful denials" }
                    } }
                    tbody {
                        @for r in runs {
                            tr data-run=(r.name) {
                                td.name data-label="run" { @if r.status == "complete" { a href=(url::run(&r.name)) { (r.name) } } @else { (r.name) } }
                                @match r.status {
                                    "complete" => {
                                        td data-label="scenario" { (r.scenario.as_deref().unwrap_or("")) }
                                        td.n data-label="citizens" { (opt(r.citizens)) }
                                        td.n data-label="days" { (opt(r.days.map(u64::from))) }
                                        td.n data-label="seed" { (opt(r.seed)) }
                                        td data-label="started" { (r.started_unix.map(fmt::utc).unwrap_or_default()) }
                                        @if let Some(h) = &r.headline {
                                            td.n data-label="mean score" { (h.score_mean.map_or("–".into(), fmt::points)) }
                                            td.n data-label="blacklisted" { (fmt::count(h.blacklisted)) }
                                            td.n data-label="denied citizens" { (fmt::count(h.unique_denied_any)) }
                                            td.n data-label="wrongful denials" { (fmt::count(h.wrongful_denials)) " (" (fmt::opt_pct(fmt::share(h.wrongful_denials, h.denials))) ")" }
                                        } @else {
                                            td colspan="4" { span.tag.bad { "summary unreadable" } " " (r.problem.as_deref().unwrap_or("")) }
                                        }
                                    }
                                    "in_progress" => {
                                        td colspan="9" data-progress-run=(r.name) {
                                            span.tag.warn { "being written" } " "
                                            @if let Some(p) = r.progress {
                                                progress max=(p.days) value=(p.day) {}
                                                " " span.progress-text { "day " (p.day) " of " (p.days) " (" (100 * u64::from(p.day) / u64::from(p.days.max(1))) "%)" }
                                                " · " (fmt::count(p.citizens)) " citizens, started " (fmt::utc(p.started_unix))
                                            } @else {
                                                span.progress-text { "starting…" }
                                            }
                                        }
                                    }
                                    _ => {
                                        td colspan="9" { span.tag.bad { "unreadable" } " " (r.problem.as_deref().unwrap_or("")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.note { "Mean score: effective score of adults on the last day, in points. Wrongful denials: denials that would not have happened without an erroneous record or an unbacked listing, with their share of all denials." }
        }
        @if complete.len() >= 2 {
            h2 { "Compare two runs" }
            (compare_form(&complete.iter().map(|r| r.name.clone()).collect::<Vec<_>>(), None, None))
        }
    }
}

/// The form that picks two runs to compare.
pub fn compare_form(names: &[String], a: Option<&str>, b: Option<&str>) -> Markup {
    let b_default = b.or_else(|| names.iter().find(|n| n.starts_with("baseline")).map(String::as_str));
    let a_default = a.or_else(|| names.iter().find(|n| Some(n.as_str()) != b_default).map(String::as_str));
    html! {
        form.inline method="get" action="/compare" {
            label { "Run A"
                select name="a" { @for n in names { option value=(n) selected[Some(n.as_str()) == a_default] { (n) } } }
            }
            label { "Run B"
                select name="b" { @for n in names { option value=(n) selected[Some(n.as_str()) == b_default] { (n) } } }
            }
            button type="submit" { "Compare" }
        }
    }
}
