//! `scorelab compare`: two runs' headline figures side by side.

use crate::error::{Blame, CliError};
use crate::report::{count, pct};
use clap::Args;
use scorelab_store::{ChillingRow, RunDir, Summary};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first run directory (A).
    pub a: PathBuf,
    /// The second run directory (B); the differences are A − B.
    pub b: PathBuf,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One figure of both runs.
#[derive(Debug, Serialize)]
struct Row {
    figure: String,
    a: f64,
    b: f64,
    difference: f64,
    #[serde(skip)]
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Count,
    Share,
    Score,
}

#[derive(Serialize)]
struct Comparison {
    a: String,
    b: String,
    a_scenario: String,
    b_scenario: String,
    /// Whether the runs share seed, size and days (so draws are paired).
    paired: bool,
    rows: Vec<Row>,
    /// With B a no-pressure run paired with A: true events of A relative to B.
    chilling: Option<Vec<ChillingRow>>,
}

pub fn compare(args: CompareArgs) -> Result<(), CliError> {
    let ra = RunDir::open(&args.a).input()?;
    let rb = RunDir::open(&args.b).input()?;
    let (sa, sb) = (ra.read_summary().input()?, rb.read_summary().input()?);
    let paired = sa.baseline_mismatch(&sb).is_none();
    let no_pressure = |r: &RunDir| {
        scorelab_scenario::parse_str(&r.manifest().scenario_toml, "manifest.json").is_ok_and(|s| !s.has_pressure())
    };
    let chilling = if paired && no_pressure(&rb) && !no_pressure(&ra) {
        sa.clone().with_chilling(&sb, &args.b.display().to_string()).chilling
    } else if paired && no_pressure(&ra) && !no_pressure(&rb) {
        sb.clone().with_chilling(&sa, &args.a.display().to_string()).chilling
    } else {
        None
    };
    let cmp = Comparison {
        a: args.a.display().to_string(),
        b: args.b.display().to_string(),
        a_scenario: sa.scenario.clone(),
        b_scenario: sb.scenario.clone(),
        paired,
        rows: rows(&sa, &sb),
        chilling,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cmp).failed()?);
    } else {
        print!("{}", render(&cmp, &sa, &sb));
    }
    Ok(())
}

fn rows(a: &Summary, b: &Summary) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut push = |figure: String, x: f64, y: f64, kind: Kind| {
        rows.push(Row { figure, a: x, b: y, difference: x - y, kind });
    };
    let grades: Vec<&String> = {
        let mut g: Vec<&String> = a.final_day.grades.iter().map(|g| &g.grade).collect();
        for x in &b.final_day.grades {
            if !g.contains(&&x.grade) {
                g.push(&x.grade);
            }
        }
        g
    };
    let share_of =
        |s: &Summary, grade: &str| s.final_day.grades.iter().find(|g| g.grade == grade).map_or(0.0, |g| g.share);
    for g in grades {
        push(format!("adults in grade {g}"), share_of(a, g), share_of(b, g), Kind::Share);
    }
    push("mean effective score".into(), a.final_day.score_mean, b.final_day.score_mean, Kind::Score);
    push("median effective score".into(), a.final_day.score_p50, b.final_day.score_p50, Kind::Score);
    push("Gini of the effective score".into(), a.final_day.score_gini, b.final_day.score_gini, Kind::Score);
    push("blacklisted (last day)".into(), a.final_day.blacklisted as f64, b.final_day.blacklisted as f64, Kind::Count);
    push("ever blacklisted".into(), a.ever_blacklisted as f64, b.ever_blacklisted as f64, Kind::Count);
    let mut acts: Vec<&str> = a.activities.iter().map(|x| x.activity.as_str()).collect();
    for x in &b.activities {
        if !acts.contains(&x.activity.as_str()) {
            acts.push(&x.activity);
        }
    }
    for act in acts {
        let get = |s: &Summary| {
            s.activities.iter().find(|x| x.activity == act).map_or((0, 0), |x| (x.denials, x.wrongful_denials))
        };
        let ((da, wa), (db, wb)) = (get(a), get(b));
        push(format!("denials: {act}"), da as f64, db as f64, Kind::Count);
        push(format!("wrongful denials: {act}"), wa as f64, wb as f64, Kind::Count);
    }
    push("citizens ever denied anything".into(), a.unique_denied_any as f64, b.unique_denied_any as f64, Kind::Count);
    push(
        "children denied school".into(),
        a.children_denied_school as f64,
        b.children_denied_school as f64,
        Kind::Count,
    );
    push("appeals made".into(), a.appeals as f64, b.appeals as f64, Kind::Count);
    push("appeals won".into(), a.appeals_won as f64, b.appeals_won as f64, Kind::Count);
    for x in &a.behaviours {
        let y = b.behaviours.iter().find(|y| y.behaviour == x.behaviour).map_or(0, |y| y.true_events);
        push(format!("events: {}", x.behaviour), x.true_events as f64, y as f64, Kind::Count);
    }
    rows
}

fn render(c: &Comparison, a: &Summary, b: &Summary) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "A: {} ({}, seed {}, {} citizens, {} days)", c.a, a.scenario, a.seed, count(a.citizens), a.days);
    let _ =
        writeln!(out, "B: {} ({}, seed {}, {} citizens, {} days)", c.b, b.scenario, b.seed, count(b.citizens), b.days);
    if !c.paired {
        let _ = writeln!(
            out,
            "(not paired: {}; differences include sampling noise)",
            a.baseline_mismatch(b).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "\n  {:<40} {:>14} {:>14} {:>14}", "figure", "A", "B", "A - B");
    for r in &c.rows {
        let f = |x: f64| match r.kind {
            Kind::Count => {
                if x < 0.0 {
                    format!("-{}", count((-x) as u64))
                } else {
                    count(x as u64)
                }
            }
            Kind::Share => pct(x),
            Kind::Score => format!("{x:.4}"),
        };
        let diff = match r.kind {
            Kind::Share => format!("{:+.2} pp", r.difference * 100.0),
            Kind::Count if r.difference > 0.0 => format!("+{}", f(r.difference)),
            _ => f(r.difference),
        };
        let _ = writeln!(out, "  {:<40} {:>14} {:>14} {:>14}", r.figure, f(r.a), f(r.b), diff);
    }
    if let Some(rows) = &c.chilling {
        let _ = writeln!(
            out,
            "\nChilling effect (true events of the scored run relative to the no-scoring run, same draws):"
        );
        out.push_str(&crate::report::chilling_rows(rows));
    }
    out
}
