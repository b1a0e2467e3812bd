//! `scorelab compare`: two runs' headline figures side by side, or two sets
//! of replicates (sweep cells) paired by seed, with 95% paired t intervals.

use crate::error::{bad_input, Blame, CliError};
use crate::report::{count, pct};
use clap::Args;
use scorelab_store::{ChillingRow, RunDir, Summary};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first run directory (A), or a set of replicates: a sweep cell
    /// folder (`DIR/<cell>`) or a sweep folder with one cell.
    pub a: PathBuf,
    /// The second run directory (B); the differences are A − B. For two
    /// sets of replicates: paired by seed, the differences are B − A.
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
    match (replicates::open(&args.a)?, replicates::open(&args.b)?) {
        (None, None) => {}
        (Some(a), Some(b)) => return replicates::compare(&args, a, b),
        (a, b) => {
            let what = |set: &Option<replicates::Set>, path: &std::path::Path| match set {
                Some(s) => format!("{} is a set of {} replicates", path.display(), s.runs.len()),
                None => format!("{} is one run", path.display()),
            };
            return Err(bad_input(format!(
                "{} and {}: compare two runs, or two sets of replicates (sweep cells such as runs/sweep/<cell>), not one of each; to compare one replicate, name its run folder (<cell>/seed-<s>)",
                what(&a, &args.a),
                what(&b, &args.b)
            )));
        }
    }
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
        outln!("{}", serde_json::to_string_pretty(&cmp).failed()?);
    } else {
        out!("{}", render(&cmp, &sa, &sb));
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

/// Sets of replicates: the runs of one sweep cell, paired by seed.
mod replicates {
    use super::*;
    use crate::cmd_sweep::{self, seed_folder};
    use crate::stats::{self, Interval};
    use scorelab_store::{files, headline_figures};
    use std::path::Path;

    /// The complete runs of one cell, by seed.
    pub(super) struct Set {
        /// The cell folder.
        pub(super) dir: PathBuf,
        /// `(seed, summary)`, by seed.
        pub(super) runs: Vec<(u64, Summary)>,
    }

    /// Whether `path` is a set of replicates, and its runs: a sweep folder
    /// with one cell, or a folder (not a run) holding `seed-<s>` run
    /// folders. `None` for anything else (a run, or a path that
    /// `RunDir::open` will explain).
    pub(super) fn open(path: &Path) -> Result<Option<Set>, CliError> {
        if path.join(files::MANIFEST).exists() || !path.is_dir() {
            return Ok(None);
        }
        if let Some(m) = cmd_sweep::read_manifest(path)? {
            return match m.cells.as_slice() {
                [cell] => open(&path.join(&cell.name)).and_then(|s| {
                    s.ok_or_else(|| {
                        bad_input(format!("{}: the sweep's cell {} has no runs", path.display(), cell.name))
                    })
                    .map(Some)
                }),
                cells => {
                    let names: Vec<&str> = cells.iter().take(6).map(|c| c.name.as_str()).collect();
                    Err(bad_input(format!(
                        "{} is a sweep of {} cells: compare two of its cells, e.g. `scorelab compare {} {}` (cells: {}{})",
                        path.display(),
                        cells.len(),
                        path.join(names.first().copied().unwrap_or("<cell>")).display(),
                        path.join(names.get(1).copied().unwrap_or("<cell>")).display(),
                        names.join(", "),
                        if cells.len() > names.len() { ", ..." } else { "" }
                    )))
                }
            };
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| CliError::Input(anyhow::anyhow!("cannot read the folder {}: {e}", path.display())))?;
        let mut seeds: Vec<u64> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_prefix("seed-")).and_then(|s| s.parse().ok()))
            .collect();
        if seeds.is_empty() {
            return Ok(None);
        }
        seeds.sort_unstable();
        let mut runs = Vec::with_capacity(seeds.len());
        for seed in seeds {
            let dir = path.join(seed_folder(seed));
            let run = RunDir::open(&dir).map_err(|e| {
                bad_input(format!("{e}\n  (a replicate of {}: rerun its sweep to complete it)", path.display()))
            })?;
            let summary = run.read_summary().input()?;
            if summary.seed != seed {
                return Err(bad_input(format!(
                    "{} holds a run of seed {}, not {seed}: a replicate's folder is named after its seed",
                    dir.display(),
                    summary.seed
                )));
            }
            runs.push((seed, summary));
        }
        Ok(Some(Set { dir: path.to_path_buf(), runs }))
    }

    /// One figure of the paired comparison.
    #[derive(Debug, Serialize)]
    struct PairedRow {
        figure: String,
        mean_a: f64,
        mean_b: f64,
        /// The mean paired difference B − A and its 95% paired t interval.
        difference: Interval,
    }

    #[derive(Serialize)]
    struct PairedComparison {
        a: String,
        b: String,
        a_scenario: String,
        b_scenario: String,
        /// Seeds present in both sets: the pairs compared.
        seeds: Vec<u64>,
        seeds_only_in_a: Vec<u64>,
        seeds_only_in_b: Vec<u64>,
        /// Differences in size or length between the sets' runs, if any.
        mismatch: Option<String>,
        rows: Vec<PairedRow>,
    }

    /// Pairs the runs of `a` and `b` by seed and prints, for every headline
    /// figure, both means and the mean paired difference B − A with its
    /// 95% paired t interval.
    pub(super) fn compare(args: &CompareArgs, a: Set, b: Set) -> Result<(), CliError> {
        let common: Vec<u64> = a.runs.iter().map(|(s, _)| *s).filter(|s| b.runs.iter().any(|(t, _)| t == s)).collect();
        let only = |x: &Set, y: &Set| -> Vec<u64> {
            x.runs.iter().map(|(s, _)| *s).filter(|s| !y.runs.iter().any(|(t, _)| t == s)).collect()
        };
        let (only_a, only_b) = (only(&a, &b), only(&b, &a));
        if common.is_empty() {
            return Err(bad_input(format!(
                "{} (seeds {}) and {} (seeds {}) have no seed in common, so no run can be paired; sweep both with the same --seed and --replicates",
                a.dir.display(),
                seed_list(&a.runs.iter().map(|(s, _)| *s).collect::<Vec<_>>()),
                b.dir.display(),
                seed_list(&b.runs.iter().map(|(s, _)| *s).collect::<Vec<_>>())
            )));
        }
        let pick = |set: &Set| -> Vec<Summary> {
            common.iter().filter_map(|s| set.runs.iter().find(|(t, _)| t == s).map(|(_, x)| x.clone())).collect()
        };
        let (sa, sb) = (pick(&a), pick(&b));
        let mismatch = sa.first().zip(sb.first()).and_then(|(x, y)| {
            let mut m = x.baseline_mismatch(y)?;
            m = m.replace("the baseline run differs: ", "");
            m = m.split(", ").filter(|p| !p.starts_with("seed ")).collect::<Vec<_>>().join(", ");
            (!m.is_empty()).then_some(m)
        });
        let fa: Vec<Vec<scorelab_store::Figure>> = sa.iter().map(headline_figures).collect();
        let fb: Vec<Vec<scorelab_store::Figure>> = sb.iter().map(headline_figures).collect();
        let mut columns: Vec<String> =
            fa.first().map(|f| f.iter().map(|x| x.column.clone()).collect()).unwrap_or_default();
        for c in fb.first().map(|f| f.iter().map(|x| x.column.clone()).collect::<Vec<_>>()).unwrap_or_default() {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
        let values = |figs: &[Vec<scorelab_store::Figure>], column: &str| -> Vec<f64> {
            figs.iter().map(|f| f.iter().find(|x| x.column == column).map_or(0.0, |x| x.value.as_f64())).collect()
        };
        let rows: Vec<PairedRow> = columns
            .iter()
            .map(|c| {
                let (va, vb) = (values(&fa, c), values(&fb, c));
                PairedRow {
                    figure: c.clone(),
                    mean_a: stats::interval(&va).mean,
                    mean_b: stats::interval(&vb).mean,
                    difference: stats::paired(&va, &vb),
                }
            })
            .collect();
        let cmp = PairedComparison {
            a: args.a.display().to_string(),
            b: args.b.display().to_string(),
            a_scenario: sa.first().map(|s| s.scenario.clone()).unwrap_or_default(),
            b_scenario: sb.first().map(|s| s.scenario.clone()).unwrap_or_default(),
            seeds: common,
            seeds_only_in_a: only_a,
            seeds_only_in_b: only_b,
            mismatch,
            rows,
        };
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&cmp).failed()?);
        } else {
            out!("{}", render_paired(&cmp, &a, &b));
        }
        Ok(())
    }

    /// Seeds as text: `1..=5` when consecutive, else a list.
    fn seed_list(seeds: &[u64]) -> String {
        match (seeds.first(), seeds.last()) {
            (Some(f), Some(l)) if seeds.len() > 2 && l - f + 1 == seeds.len() as u64 => format!("{f}..={l}"),
            _ => seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
        }
    }

    fn render_paired(c: &PairedComparison, a: &Set, b: &Set) -> String {
        let mut out = String::new();
        let describe = |set: &Set, scenario: &str| {
            let first = set.runs.first().map(|(_, s)| s);
            format!(
                "{} ({scenario}, {} replicates, seeds {}{})",
                set.dir.display(),
                set.runs.len(),
                seed_list(&set.runs.iter().map(|(s, _)| *s).collect::<Vec<_>>()),
                first.map_or(String::new(), |s| format!(", {} citizens, {} days", count(s.citizens), s.days))
            )
        };
        let _ = writeln!(out, "A: {}", describe(a, &c.a_scenario));
        let _ = writeln!(out, "B: {}", describe(b, &c.b_scenario));
        if !c.seeds_only_in_a.is_empty() || !c.seeds_only_in_b.is_empty() {
            let _ = writeln!(
                out,
                "(the seeds do not match: comparing only the {} in both ({}); only in A: {}; only in B: {})",
                if c.seeds.len() == 1 { "1 seed".to_string() } else { format!("{} seeds", c.seeds.len()) },
                seed_list(&c.seeds),
                if c.seeds_only_in_a.is_empty() { "none".to_string() } else { seed_list(&c.seeds_only_in_a) },
                if c.seeds_only_in_b.is_empty() { "none".to_string() } else { seed_list(&c.seeds_only_in_b) }
            );
        }
        if let Some(m) = &c.mismatch {
            let _ = writeln!(out, "(the runs differ in size: {m}; the pairs share seeds but not draws)");
        }
        let r = c.seeds.len();
        let _ = writeln!(
            out,
            "Paired by seed (R = {r}): mean of A, mean of B, and the mean difference B − A with its 95% paired t interval{}:",
            if r < 2 { " (none with one pair)" } else { "" }
        );
        let shown: Vec<&PairedRow> =
            c.rows.iter().filter(|x| x.mean_a != 0.0 || x.mean_b != 0.0 || x.difference.sd > 0.0).collect();
        let width = shown.iter().map(|x| x.figure.len()).max().unwrap_or(6).max(6);
        let _ = writeln!(
            out,
            "\n  {:<width$} {:>14} {:>14} {:>14} {:>30} {:>4}",
            "figure", "A", "B", "B - A", "95% interval", "R"
        );
        for x in &shown {
            let d = &x.difference;
            let interval = if d.half_width.is_finite() {
                let digits = cmd_sweep::decimals_for(d.mean, d.half_width);
                format!("[{:.digits$}, {:.digits$}]", d.low, d.high)
            } else {
                "-".to_string()
            };
            let _ = writeln!(
                out,
                "  {:<width$} {:>14} {:>14} {:>14} {:>30} {:>4}",
                x.figure,
                cmd_sweep::num(x.mean_a, cmd_sweep::decimals_for(x.mean_a, 0.0)),
                cmd_sweep::num(x.mean_b, cmd_sweep::decimals_for(x.mean_b, 0.0)),
                cmd_sweep::num(d.mean, cmd_sweep::decimals_for(d.mean, d.half_width)),
                interval,
                d.n
            );
        }
        let hidden = c.rows.len() - shown.len();
        if hidden > 0 {
            let _ = writeln!(out, "\n({hidden} figures that are 0 in every run are not shown; --json has them all)");
        }
        out
    }
}
