//! `scorelab run`: a scenario on a synthetic population, into a run directory.

use crate::error::{bad_input, Blame, CliError};
use crate::report;
use crate::sys;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use scorelab_engine::{default_tracked, estimate_memory, DayMetrics, RunConfig, Simulation};
use scorelab_scenario::Scenario;
use scorelab_store::{Manifest, Progress, RunDir, RunStatus, RunWriter, Summary};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Above this many citizens, `citizens.parquet` holds a sample.
pub const CITIZENS_FILE_LIMIT: u32 = 10_000_000;
/// Citizens tracked by default besides those named with `--track`.
pub const DEFAULT_TRACKED: u32 = 1_000;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in scenario name (see `scorelab scenarios`) or a path to a scenario file.
    #[arg(default_value = "seed-article")]
    pub scenario: String,
    /// Number of synthetic citizens.
    #[arg(long, default_value_t = 1_000_000, value_parser = parse_count)]
    pub citizens: u32,
    /// Number of days to simulate.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Seed of the random draws: the same scenario and seed give the same run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder (default: runs/<scenario>-<seed>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Citizens to track in audit.parquet, besides 1,000 chosen at random,
    /// e.g. `--track 12,345`.
    #[arg(long, value_delimiter = ',')]
    pub track: Vec<u32>,
    /// Overwrite a complete run already in the output folder.
    #[arg(long)]
    pub force: bool,
    /// A baseline run (same seed and size) to measure the chilling effect
    /// against (default: a `baseline-<seed>` run beside the output folder, if any).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Print the summary as JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parses a count, allowing `1_000_000` and `1,000,000` and `10M`/`1.4B`-style suffixes.
fn parse_count(s: &str) -> Result<u32, String> {
    let clean: String = s.chars().filter(|c| *c != '_' && *c != ',').collect();
    let (num, mult) = match clean.chars().last() {
        Some('k' | 'K') => (&clean[..clean.len() - 1], 1e3),
        Some('m' | 'M') => (&clean[..clean.len() - 1], 1e6),
        Some('b' | 'B') => (&clean[..clean.len() - 1], 1e9),
        _ => (&clean[..], 1.0),
    };
    let value: f64 =
        num.parse().map_err(|_| format!("`{s}` is not a number of citizens (e.g. 1000000, 1_000_000 or 10M)"))?;
    let n = (value * mult).round();
    if !(1.0..=f64::from(u32::MAX - 1)).contains(&n) {
        return Err(format!("{s} citizens: must be between 1 and {} on one machine", u32::MAX - 1));
    }
    Ok(n as u32)
}

/// Everything `run` decided before the work starts.
pub struct Plan {
    pub scenario: Scenario,
    pub scenario_toml: String,
    pub config: RunConfig,
    pub threads: usize,
    pub out: PathBuf,
}

pub fn run(args: RunArgs) -> Result<(), CliError> {
    let scenario = scorelab_scenario::load(&args.scenario).input()?;
    let scenario_toml = scorelab_scenario::resolved_toml(&args.scenario).input()?;
    if args.days == 0 || args.days > scorelab_engine::MAX_DAYS {
        return Err(bad_input(format!("--days {}: must be between 1 and {}", args.days, scorelab_engine::MAX_DAYS)));
    }
    if let Some(&bad) = args.track.iter().find(|&&t| t >= args.citizens) {
        return Err(bad_input(format!(
            "--track {bad}: there are {} citizens, numbered 0 to {}",
            args.citizens,
            args.citizens - 1
        )));
    }
    check_memory(&scenario, args.citizens)?;
    let threads = args.threads.unwrap_or_else(sys::cores);
    if threads == 0 || threads > 1024 {
        return Err(bad_input(format!("--threads {threads}: must be between 1 and 1024")));
    }
    let mut tracked = default_tracked(args.seed, args.citizens, DEFAULT_TRACKED);
    tracked.extend(&args.track);
    tracked.sort_unstable();
    tracked.dedup();
    let out =
        args.out.clone().unwrap_or_else(|| crate::default_runs_dir().join(format!("{}-{}", scenario.name, args.seed)));
    let plan = Plan {
        config: RunConfig { citizens: args.citizens, days: args.days, seed: args.seed, tracked },
        scenario,
        scenario_toml,
        threads,
        out,
    };
    let summary = execute(&plan, args.force, args.baseline.as_deref(), args.quiet || args.json)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary).failed()?);
    } else {
        print!("{}", report::headline(&summary));
        println!("\nwritten to {}", plan.out.display());
        if summary.chilling.is_none() && plan.scenario.has_pressure() {
            println!(
                "chilling effect: run `scorelab run baseline --seed {} --citizens {} --days {}` then `scorelab compare`",
                plan.config.seed, plan.config.citizens, plan.config.days
            );
        }
    }
    Ok(())
}

/// Refuses, before any work, a size that cannot fit in memory.
fn check_memory(scenario: &Scenario, citizens: u32) -> Result<(), CliError> {
    let need = estimate_memory(scenario, citizens);
    let Some(have) = sys::available_memory_bytes() else {
        return Ok(());
    };
    if need > have {
        // The largest population that would fit, by bisection on the estimate.
        let (mut lo, mut hi) = (0u32, citizens);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if estimate_memory(scenario, mid) <= have {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return Err(bad_input(format!(
            "{citizens} citizens need about {} of memory and {} is available; at most about {lo} citizens fit on this machine (use --citizens, or run across machines)",
            sys::human_bytes(need),
            sys::human_bytes(have)
        )));
    }
    Ok(())
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Runs a plan into its output folder and returns the summary.
pub fn execute(plan: &Plan, force: bool, baseline: Option<&Path>, quiet: bool) -> Result<Summary, CliError> {
    let started = Instant::now();
    let started_unix = now_unix();
    let writer = RunWriter::create(&plan.out, force).input()?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(plan.threads).build().failed()?;
    let cfg = &plan.config;
    let progress = Progress { day: 0, days: cfg.days, citizens: u64::from(cfg.citizens), started_unix };
    writer.write_progress(&progress).failed()?;

    let spinner = bar(quiet, None);
    spinner.set_message(format!("generating {} citizens and their friends", cfg.citizens));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let mut sim = pool.install(|| Simulation::new(&plan.scenario, cfg.clone())).input()?;
    spinner.finish_and_clear();

    let bar = bar(quiet, Some(u64::from(cfg.days)));
    let mut days: Vec<DayMetrics> = Vec::with_capacity(cfg.days as usize);
    let mut last_progress = Instant::now();
    let loop_start = Instant::now();
    while !sim.is_done() {
        let m = pool.install(|| sim.step());
        days.push(m);
        let done = sim.day();
        let rate = f64::from(cfg.citizens) * f64::from(done) / loop_start.elapsed().as_secs_f64().max(1e-9);
        bar.set_position(u64::from(done));
        bar.set_message(format!("{} citizen-days/s", report::si(rate)));
        if last_progress.elapsed() > Duration::from_secs(1) {
            writer.write_progress(&Progress { day: done, ..progress }).failed()?;
            last_progress = Instant::now();
        }
    }
    bar.finish_and_clear();

    let writing = self::bar(quiet, None);
    writing.set_message("writing the run directory");
    writing.enable_steady_tick(Duration::from_millis(120));
    let scenario = sim.scenario().clone();
    let spec = sim.histogram_spec();
    writer.write_daily(&scenario, spec, &days).failed()?;
    writer.write_groups(&pool.install(|| sim.groups())).failed()?;
    let every = if cfg.citizens > CITIZENS_FILE_LIMIT { cfg.citizens.div_ceil(CITIZENS_FILE_LIMIT) } else { 1 };
    writer.write_citizens(&scenario, sim.citizens(every)).failed()?;
    writer.write_audit(&sim.take_audit()).failed()?;
    let totals = sim.totals();
    let last = days.last().ok_or_else(|| bad_input("the run has no days"))?;
    let mut summary = Summary::build(&scenario, cfg.seed, &totals, last);
    let baseline_dir = find_baseline(plan, baseline)?;
    if let Some(dir) = &baseline_dir {
        let base = RunDir::open(dir).input()?.read_summary().input()?;
        summary = summary.with_chilling(&base, &dir.display().to_string());
    }
    writer.write_summary(&summary).failed()?;
    let manifest = Manifest {
        format_version: scorelab_store::FORMAT_VERSION,
        scorelab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: env!("SCORELAB_GIT_COMMIT").to_string(),
        scenario: scenario.name.clone(),
        scenario_toml: plan.scenario_toml.clone(),
        seed: cfg.seed,
        citizens: u64::from(cfg.citizens),
        days: cfg.days,
        threads: plan.threads,
        ranks: 1,
        tracked: cfg.tracked.clone(),
        histogram: spec,
        histogram_bin_points: scorelab_engine::HISTOGRAM_BIN_POINTS,
        behaviours: scenario.behaviours.iter().map(|b| b.name.clone()).collect(),
        activities: scenario.activities.iter().map(|a| a.name.clone()).collect(),
        grades: scenario.score.grades.iter().map(|g| g.name.clone()).collect(),
        citizens_sampled: every > 1,
        citizens_sample_every: u64::from(every),
        started_unix,
        wall_seconds: started.elapsed().as_secs_f64(),
        peak_memory_bytes: sys::peak_memory_bytes().unwrap_or(0),
        status: RunStatus::Complete,
        baseline: baseline_dir.map(|d| d.display().to_string()),
    };
    writer.finish(&manifest).failed()?;
    writing.finish_and_clear();
    Ok(summary)
}

/// The baseline run to compare with: the one named, or a complete
/// `baseline-<seed>` run beside the output folder with the same seed, size
/// and days. A named baseline that does not match is an error.
fn find_baseline(plan: &Plan, named: Option<&Path>) -> Result<Option<PathBuf>, CliError> {
    let cfg = &plan.config;
    let matches = |m: &Manifest| m.seed == cfg.seed && m.citizens == u64::from(cfg.citizens) && m.days == cfg.days;
    if let Some(dir) = named {
        let run = RunDir::open(dir).input()?;
        let m = run.manifest();
        if !matches(m) {
            return Err(bad_input(format!(
                "--baseline {}: it has seed {}, {} citizens, {} days; this run has seed {}, {} citizens, {} days (they must match for a paired comparison)",
                dir.display(),
                m.seed,
                m.citizens,
                m.days,
                cfg.seed,
                cfg.citizens,
                cfg.days
            )));
        }
        return Ok(Some(dir.to_path_buf()));
    }
    if !plan.scenario.has_pressure() {
        return Ok(None);
    }
    let parent = plan.out.parent().unwrap_or(Path::new("."));
    let candidate = parent.join(format!("baseline-{}", cfg.seed));
    if candidate == plan.out {
        return Ok(None);
    }
    Ok(RunDir::open(&candidate)
        .ok()
        .filter(|r| matches(r.manifest()) && r.manifest().scenario == "baseline")
        .map(|_| candidate))
}

/// A progress bar on stderr (hidden when quiet or not a terminal).
fn bar(quiet: bool, len: Option<u64>) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    match len {
        Some(n) => {
            let pb = ProgressBar::new(n);
            let style =
                ProgressStyle::with_template("day {pos}/{len} [{wide_bar}] {msg}, {elapsed} elapsed, {eta} left")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            pb.set_style(style);
            pb
        }
        None => {
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn counts_accept_separators_and_suffixes() {
        assert_eq!(parse_count("1000"), Ok(1000));
        assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_count("1,000"), Ok(1000));
        assert_eq!(parse_count("10M"), Ok(10_000_000));
        assert_eq!(parse_count("2.5k"), Ok(2500));
        assert!(parse_count("0").is_err());
        assert!(parse_count("ten").is_err());
        assert!(parse_count("5B").is_err());
    }
}
