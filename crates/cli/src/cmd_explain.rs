//! `scorelab explain`: the story of one synthetic citizen of a run.

use crate::error::{bad_input, Blame, CliError};
use crate::report::points;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use scorelab_engine::{AuditKind, AuditRow, CitizenRow, DayMetrics, RunConfig, Simulation};
use scorelab_store::RunDir;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A run directory, e.g. runs/seed-article-1.
    pub run: PathBuf,
    /// The citizen's index (0 to citizens − 1).
    #[arg(long)]
    pub citizen: u32,
    /// Show the score on every day, not only on days something happened.
    #[arg(long)]
    pub daily: bool,
    /// Print the story as JSON.
    #[arg(long)]
    pub json: bool,
    /// Worker threads for a replay (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Serialize)]
struct Story {
    run: String,
    scenario: String,
    seed: u64,
    citizen: u32,
    /// `audit` when the citizen was tracked in the run, `replay` otherwise.
    source: &'static str,
    state: Option<CitizenRow>,
    /// The score's factors on the last day (factor scores only).
    factors: Vec<FactorLine>,
    events: Vec<AuditRow>,
}

pub fn explain(args: ExplainArgs) -> Result<(), CliError> {
    let run = RunDir::open(&args.run).input()?;
    let m = run.manifest().clone();
    if u64::from(args.citizen) >= m.citizens {
        return Err(bad_input(format!(
            "--citizen {}: the run has {} citizens, numbered 0 to {}",
            args.citizen,
            m.citizens,
            m.citizens - 1
        )));
    }
    let (source, events, state) = if m.tracked.binary_search(&args.citizen).is_ok() {
        let events = run.read_audit_for(args.citizen).input()?;
        let state = run.read_citizen(args.citizen).input()?;
        ("audit", events, state)
    } else {
        let (events, state) = replay(&run, args.citizen, args.threads, args.json)?;
        ("replay", events, Some(state))
    };
    let factors = factor_lines(&m.scenario_toml, &events);
    let story = Story {
        run: args.run.display().to_string(),
        scenario: m.scenario.clone(),
        seed: m.seed,
        citizen: args.citizen,
        source,
        state,
        factors,
        events,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&story).failed()?);
    } else {
        out!("{}", render(&story, m.citizens, m.days, args.daily));
    }
    Ok(())
}

/// Re-runs the run's scenario, seed and size with the citizen tracked, and
/// checks that the replay is the same run (its daily figures equal the
/// stored ones).
fn replay(
    run: &RunDir,
    citizen: u32,
    threads: Option<usize>,
    quiet: bool,
) -> Result<(Vec<AuditRow>, CitizenRow), CliError> {
    let m = run.manifest();
    let origin = format!("{} (manifest.json)", run.path().display());
    let scenario = scorelab_scenario::parse_str(&m.scenario_toml, &origin).input()?;
    let citizens = u32::try_from(m.citizens).map_err(|_| bad_input("the run is too large to replay on one machine"))?;
    let config = RunConfig { citizens, days: m.days, seed: m.seed, tracked: vec![citizen] };
    let stored: Vec<DayMetrics> = run.read_daily().input()?;
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads.unwrap_or_else(crate::sys::cores)).build().failed()?;
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(u64::from(m.days)) };
    bar.set_style(
        ProgressStyle::with_template("replaying to follow citizen {msg}: day {pos}/{len} [{wide_bar}] {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(citizen.to_string());
    let mut sim = pool.install(|| Simulation::new(&scenario, config)).input()?;
    while !sim.is_done() {
        let day = pool.install(|| sim.step());
        if let Some(want) = stored.get(day.day as usize) {
            if *want != day {
                return Err(CliError::Failed(anyhow::anyhow!(
                    "the replay of {} differs from the stored run on day {} (the run was made by scorelab {} at commit {}; this is {} at {}): explain a tracked citizen instead, or re-run with this version",
                    run.path().display(),
                    day.day,
                    m.scorelab_version,
                    m.git_commit,
                    env!("CARGO_PKG_VERSION"),
                    env!("SCORELAB_GIT_COMMIT"),
                )));
            }
        }
        bar.set_position(u64::from(sim.day()));
    }
    bar.finish_and_clear();
    let state = sim
        .citizens(1)
        .nth(citizen as usize)
        .ok_or_else(|| CliError::Failed(anyhow::anyhow!("citizen {citizen} missing after the replay")))?;
    Ok((sim.take_audit(), state))
}

fn render(story: &Story, citizens: u64, days: u32, daily: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Citizen {} of {} ({}, seed {}, {} citizens, {} days; from the {})",
        story.citizen,
        story.run,
        story.scenario,
        story.seed,
        citizens,
        days,
        if story.source == "audit" { "run's audit trail" } else { "replay of the run" }
    );
    if let Some(s) = &story.state {
        let _ = writeln!(
            out,
            "  at the end: age {}, region {}, {}, income decile {}, {}; compliance {:.2}, dissent {:.2}; {} friends{}",
            s.age,
            s.region,
            if s.urban { "urban" } else { "rural" },
            s.income_decile,
            if s.aware { "aware of the system" } else { "unaware of the system" },
            s.compliance,
            s.dissent,
            s.friends,
            s.guardian.map(|g| format!("; guardian {g}")).unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "  score {} (own {}), grade {}; gains {}, losses {} of which erroneous {}; {}",
            points(s.effective_score_milli),
            points(s.own_score_milli),
            s.grade,
            points(s.gains_milli),
            points(s.losses_milli),
            points(s.erroneous_losses_milli),
            match (s.blacklisted, s.listing_backed) {
                (false, _) => "not blacklisted".to_string(),
                (true, true) => "blacklisted (backed by a court record)".to_string(),
                (true, false) => "blacklisted (wrongly: no correct record backs it)".to_string(),
            }
        );
        if !s.ever_denied.is_empty() {
            let _ = writeln!(out, "  ever denied: {}", s.ever_denied.join(", "));
        }
    }
    if let Some(day) = story.factors.first().map(|f| f.day) {
        let _ = writeln!(out, "  score factors on day {day} (sub-score, what it adds to the score):");
        for f in &story.factors {
            let _ = writeln!(
                out,
                "    {:<38} {:>4.0}%  {:>8}  {:>8}",
                format!("{}{}", f.factor, if f.network { " (friends)" } else { "" }),
                f.weight * 100.0,
                points(f.sub_score_milli),
                points_signed(f.contribution_milli)
            );
        }
    }
    let _ = writeln!(out);
    let mut last_grade: Option<String> = None;
    let mut day_has_event = false;
    let mut current_day = u32::MAX;
    for row in &story.events {
        if row.day != current_day {
            current_day = row.day;
            day_has_event = false;
        }
        let line = match row.kind {
            AuditKind::Record => {
                day_has_event = true;
                let detail = row.detail.clone().unwrap_or_default();
                let whose = match row.actor {
                    Some(a) => format!(" (the event was citizen {a}'s)"),
                    None => String::new(),
                };
                format!(
                    "record   {:<28} {:<20} {:>9}  {}{}",
                    row.behaviour.clone().unwrap_or_default(),
                    row.source.clone().unwrap_or_default(),
                    row.points_milli.map(points_signed).unwrap_or_default(),
                    if row.erroneous == Some(true) { format!("ERRONEOUS: {detail}") } else { detail },
                    whose
                )
            }
            AuditKind::Listed => {
                day_has_event = true;
                format!(
                    "LISTED   on the court blacklist{}",
                    if row.erroneous == Some(true) { " (from an erroneous record)" } else { "" }
                )
            }
            AuditKind::Delisted => {
                day_has_event = true;
                format!("delisted ({})", row.detail.clone().unwrap_or_default())
            }
            AuditKind::Denial => {
                day_has_event = true;
                format!(
                    "DENIED   {:<28} rule: {}{}{}",
                    row.activity.clone().unwrap_or_default(),
                    row.rule.clone().unwrap_or_default(),
                    row.other.map(|o| format!(" (citizen {o})")).unwrap_or_default(),
                    if row.wrongful == Some(true) { "  WRONGFUL" } else { "" }
                )
            }
            AuditKind::Grant => {
                day_has_event = true;
                format!(
                    "granted  {:<28} rule: {}",
                    row.activity.clone().unwrap_or_default(),
                    row.rule.clone().unwrap_or_default()
                )
            }
            AuditKind::Appeal => {
                day_has_event = true;
                format!("appeal   {}", if row.won == Some(true) { "won: erroneous records removed" } else { "lost" })
            }
            AuditKind::Score => {
                let grade = row.grade.clone().unwrap_or_default();
                let changed = last_grade.as_deref() != Some(grade.as_str());
                let show = daily || changed || day_has_event || row.day + 1 == days;
                let note = match &last_grade {
                    Some(g) if changed => format!("  grade {g} → {grade}"),
                    None => "  (first day)".to_string(),
                    _ => String::new(),
                };
                last_grade = Some(grade.clone());
                if !show {
                    continue;
                }
                format!(
                    "score    {} (own {}), grade {}{}",
                    row.effective_score_milli.map(points).unwrap_or_default(),
                    row.own_score_milli.map(points).unwrap_or_default(),
                    grade,
                    note
                )
            }
        };
        let _ = writeln!(out, "day {:>5}  {}", row.day, line);
    }
    out
}

/// One factor of a factor score (`sesame`), for `explain`.
#[derive(Serialize)]
struct FactorLine {
    factor: String,
    weight: f64,
    network: bool,
    day: u32,
    sub_score_milli: i64,
    contribution_milli: i64,
}

/// The factor breakdown on the last day with an end-of-day score; empty
/// for a score without factors.
fn factor_lines(scenario_toml: &str, events: &[AuditRow]) -> Vec<FactorLine> {
    let Ok(sc) = scorelab_scenario::parse_str(scenario_toml, "manifest.json") else {
        return Vec::new();
    };
    let Some((day, factors)) = scorelab_engine::factors::breakdown_on_last_scored_day(&sc, events) else {
        return Vec::new();
    };
    factors
        .into_iter()
        .map(|f| FactorLine {
            factor: f.name,
            weight: f.weight,
            network: f.network,
            day,
            sub_score_milli: f.sub_score_milli,
            contribution_milli: f.contribution_milli,
        })
        .collect()
}

fn points_signed(milli: i64) -> String {
    if milli > 0 {
        format!("+{}", points(milli))
    } else {
        points(milli)
    }
}
