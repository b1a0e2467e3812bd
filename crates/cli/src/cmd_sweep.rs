//! `scorelab sweep`: a grid of scenario overrides, every cell run with the
//! same R seeds, in parallel, into one folder of normal run directories,
//! then `sweep.parquet` (one row per run) and a table of per-cell means
//! with 95% confidence intervals across replicates.
//!
//! Replicate r of every cell uses seed S0 + r, so cells are paired by seed
//! (the same population and draws; `scorelab compare` pairs them). Every
//! run is planned by `cmd_run::plan_new` and executed by
//! `cmd_run::execute`, exactly as `scorelab run` would, so the dashboard
//! and `explain` open them. A run's files do not depend on the number of
//! threads, so neither does anything here depend on `--jobs`.
//!
//! Layout: `DIR/sweep.json` (the grid, written first), `DIR/<cell>/seed-<s>/`
//! (a run directory), `DIR/sweep.parquet` (written last). A rerun of the
//! same command keeps the complete runs and redoes the others.

use crate::cmd_run::{self, parse_count, Every, Options, RunArgs};
use crate::distributed::Ranks;
use crate::error::{bad_input, Blame, CliError};
use crate::stats::{self, Interval};
use crate::{interrupt, sys};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use scorelab_store::{headline_figures, RunDir, SweepRun, SweepValue, SWEEP_TABLE};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Most runs a sweep may have: beyond this a grid is almost surely a
/// mistake (a value list pasted twice), and it would fill a disk.
pub const MAX_RUNS: u64 = 10_000;
/// Most replicates per cell.
pub const MAX_REPLICATES: u32 = 1_000;
/// Citizens per run when `--citizens` is not given (a sweep multiplies
/// runs, so it is smaller than `scorelab run`'s default).
pub const DEFAULT_CITIZENS: u32 = 100_000;
/// Replicates when `--replicates` is not given.
pub const DEFAULT_REPLICATES: u32 = 5;
/// File name of the sweep's manifest.
pub const SWEEP_JSON: &str = "sweep.json";
/// Version of `sweep.json`.
pub const SWEEP_FORMAT_VERSION: u32 = 1;
/// Name of the one cell of a sweep without `--set`.
const NO_SET_CELL: &str = "base";

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A built-in scenario name (see `scorelab scenarios`) or a path to a scenario file.
    pub scenario: String,
    /// A key and the values to sweep it over, e.g. `--set
    /// appeals.win_probability=0.1,0.5,0.9` (repeatable: the grid is every
    /// combination). Values are TOML (numbers, true/false, [arrays],
    /// "strings"); commas inside brackets or quotes do not split.
    #[arg(long = "set", value_name = "KEY=V1,V2,...", value_parser = parse_swept_key)]
    pub set: Vec<SweptKey>,
    /// Runs per cell; replicate r uses seed S0 + r in every cell.
    #[arg(long, default_value_t = DEFAULT_REPLICATES)]
    pub replicates: u32,
    /// Citizens per run [default: 100000].
    #[arg(long, value_parser = parse_count)]
    pub citizens: Option<u32>,
    /// Days per run [default: 365].
    #[arg(long)]
    pub days: Option<u32>,
    /// First seed S0 [default: 1].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Sweep folder (default: runs/sweep-<scenario>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Runs at once (default: as many as cores, at most the runs to do);
    /// each gets cores / jobs threads. Results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Start this sweep in a folder that holds another one (runs this grid
    /// would make identically are kept, other runs in its folders are redone).
    #[arg(long)]
    pub force: bool,
    /// Print the per-cell statistics as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// One swept key and its values, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweptKey {
    /// Dotted scenario key.
    pub key: String,
    /// Values, as written.
    pub values: Vec<String>,
}

/// Parses `--set KEY=V1,V2,...`.
fn parse_swept_key(arg: &str) -> Result<SweptKey, String> {
    let (key, list) = scorelab_scenario::parse_assignment(arg)?;
    if list.is_empty() {
        return Err(format!("`{arg}` gives no value: write {key}=V1,V2,... with at least one value"));
    }
    let values = scorelab_scenario::split_values(&list);
    if values.iter().any(String::is_empty) {
        return Err(format!("`{arg}` has an empty value in its list: write {key}=V1,V2,... without empty items"));
    }
    Ok(SweptKey { key, values })
}

/// `sweep.json`: what the sweep is, so that a rerun can continue it and a
/// different grid in the same folder is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    /// [`SWEEP_FORMAT_VERSION`].
    pub format_version: u32,
    /// The scenario as given on the command line.
    pub scenario: String,
    /// Its name.
    pub scenario_name: String,
    /// The swept keys and their values, in grid order (the first varies slowest).
    pub keys: Vec<SweptKey>,
    /// Runs per cell.
    pub replicates: u32,
    /// Seed of the first replicate; replicate r has seed `first_seed + r`.
    pub first_seed: u64,
    /// Citizens per run.
    pub citizens: u32,
    /// Days per run.
    pub days: u32,
    /// The cells in grid order: folder name and the value of every key.
    pub cells: Vec<CellEntry>,
    /// Number of runs (cells × replicates).
    pub runs: u64,
    /// `running` until `sweep.parquet` is written, then `complete`.
    pub status: String,
    /// Version of the binary that wrote this file.
    pub scorelab_version: String,
    /// Its git commit.
    pub git_commit: String,
}

impl SweepManifest {
    /// Whether `other` describes the same grid (same scenario, values, seeds and sizes).
    fn same_grid(&self, other: &SweepManifest) -> bool {
        self.scenario == other.scenario
            && self.keys == other.keys
            && self.replicates == other.replicates
            && self.first_seed == other.first_seed
            && self.citizens == other.citizens
            && self.days == other.days
    }

    /// The grid in words, for messages.
    fn describe(&self) -> String {
        let sets: Vec<String> = self.keys.iter().map(|k| format!("--set {}={}", k.key, k.values.join(","))).collect();
        format!(
            "{} {} --replicates {} --seed {} --citizens {} --days {}",
            self.scenario,
            sets.join(" "),
            self.replicates,
            self.first_seed,
            self.citizens,
            self.days
        )
    }
}

/// One cell of the grid in `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellEntry {
    /// Folder name inside the sweep folder.
    pub name: String,
    /// `(key, value)` for every swept key, in key order.
    pub settings: Vec<(String, String)>,
}

/// Reads `DIR/sweep.json`, if there is one.
pub fn read_manifest(dir: &Path) -> Result<Option<SweepManifest>, CliError> {
    let path = dir.join(SWEEP_JSON);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| bad_input(format!("{} is damaged or not a scorelab sweep manifest: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Failed(anyhow::anyhow!("cannot read {}: {e}", path.display()))),
    }
}

/// The folder name of replicate seed `seed` inside a cell.
pub fn seed_folder(seed: u64) -> String {
    format!("seed-{seed}")
}

/// A value's type for `sweep.parquet`: the TOML value it reads as.
fn typed(value: &str) -> SweepValue {
    use scorelab_scenario::ValueKind;
    match scorelab_scenario::value_kind(value) {
        ValueKind::Integer(n) => SweepValue::Int(n),
        ValueKind::Float(x) => SweepValue::Float(x),
        ValueKind::Boolean(b) => SweepValue::Bool(b),
        _ => SweepValue::Text(value.to_string()),
    }
}

/// A value as part of a folder name: characters other than letters,
/// digits and `.+-_` become `_`; at most 40 characters.
fn folder_part(value: &str) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_') { c } else { '_' })
        .take(40)
        .collect();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        "_".to_string()
    } else {
        clean
    }
}

/// The shortest dotted suffix of each key that tells the keys apart
/// (`appeals.win_probability` → `win_probability`, unless another key
/// ends the same way).
fn short_keys(keys: &[String]) -> Vec<String> {
    keys.iter()
        .map(|key| {
            let parts: Vec<&str> = key.split('.').collect();
            for n in 1..=parts.len() {
                let suffix = parts[parts.len() - n..].join(".");
                let clash =
                    keys.iter().filter(|k| *k != key).any(|k| k == &suffix || k.ends_with(&format!(".{suffix}")));
                if !clash {
                    return suffix;
                }
            }
            key.clone()
        })
        .collect()
}

/// The cells of the grid, first key varying slowest, with folder names
/// like `win_probability=0.1,points=-100` (numbered when two would coincide).
fn cells(keys: &[SweptKey]) -> Vec<CellEntry> {
    if keys.is_empty() {
        return vec![CellEntry { name: NO_SET_CELL.to_string(), settings: Vec::new() }];
    }
    let names: Vec<String> = keys.iter().map(|k| k.key.clone()).collect();
    let short = short_keys(&names);
    let mut out: Vec<CellEntry> = vec![CellEntry { name: String::new(), settings: Vec::new() }];
    for (k, key) in keys.iter().enumerate() {
        let mut next = Vec::with_capacity(out.len() * key.values.len());
        for cell in &out {
            for value in &key.values {
                let mut c = cell.clone();
                if !c.name.is_empty() {
                    c.name.push(',');
                }
                c.name.push_str(&format!("{}={}", short[k], folder_part(value)));
                c.settings.push((key.key.clone(), value.clone()));
                next.push(c);
            }
        }
        out = next;
    }
    let mut seen = std::collections::BTreeSet::new();
    let clash = out.iter().any(|c| !seen.insert(c.name.clone()));
    let too_long = out.iter().any(|c| c.name.len() > MAX_CELL_NAME);
    if clash || too_long {
        // Names are ASCII (short keys are bare keys, values went through
        // `folder_part`), so truncating at a byte count is safe.
        for (i, c) in out.iter_mut().enumerate() {
            c.name.truncate(MAX_CELL_NAME);
            c.name = format!("{:03}-{}", i + 1, c.name);
        }
    }
    out
}

/// Longest cell folder name before numbering (file systems allow 255 bytes).
const MAX_CELL_NAME: usize = 160;

/// What a rerun does with a run of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunState {
    /// Complete, the run wanted, by this build: kept.
    Complete,
    /// Complete and the run wanted, but made by another build: made again.
    OtherBuild,
    /// Missing, incomplete or another run: made (again).
    ToDo,
}

/// Everything the sweep decided before any work.
struct SweepPlan {
    manifest: SweepManifest,
    out: PathBuf,
    jobs: usize,
    threads: usize,
    /// The resolved scenario TOML of each cell (what a complete run's manifest must hold).
    cell_toml: Vec<String>,
    /// The days a run of each cell simulates (with the scenario's burn-in), as its manifest records them.
    cell_days: Vec<u32>,
}

impl SweepPlan {
    fn run_dir(&self, cell: usize, replicate: u32) -> PathBuf {
        let seed = self.manifest.first_seed + u64::from(replicate);
        self.out.join(&self.manifest.cells[cell].name).join(seed_folder(seed))
    }

    /// The `scorelab run` arguments of one run.
    fn run_args(&self, cell: usize, replicate: u32) -> RunArgs {
        let m = &self.manifest;
        RunArgs {
            scenario: Some(m.scenario.clone()),
            citizens: Some(m.citizens),
            days: Some(m.days),
            seed: Some(m.first_seed + u64::from(replicate)),
            threads: Some(self.threads),
            out: Some(self.run_dir(cell, replicate)),
            set: m.cells[cell].settings.clone(),
            track: Vec::new(),
            force: true,
            baseline: None,
            json: false,
            quiet: true,
            resume: None,
            checkpoint_every: Every::Off,
            mpi: false,
        }
    }

    /// Whether the run is there, complete, and the run this sweep wants
    /// there, made by this build of scorelab (a run of another build may
    /// have other draws: a sweep never mixes builds).
    fn state(&self, cell: usize, replicate: u32) -> RunState {
        let Ok(run) = RunDir::open(&self.run_dir(cell, replicate)) else {
            return RunState::ToDo;
        };
        let m = run.manifest();
        let wanted = m.seed == self.manifest.first_seed + u64::from(replicate)
            && m.citizens == u64::from(self.manifest.citizens)
            && m.days == self.cell_days[cell]
            && m.scenario_toml == self.cell_toml[cell]
            && run.read_summary().is_ok();
        if !wanted {
            RunState::ToDo
        } else if m.scorelab_version != env!("CARGO_PKG_VERSION") || m.git_commit != env!("SCORELAB_GIT_COMMIT") {
            RunState::OtherBuild
        } else {
            RunState::Complete
        }
    }
}

pub fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let mut plan = plan(&args)?;
    let total = plan.manifest.runs;
    let mut pending: Vec<(usize, u32)> = Vec::new();
    let mut other_build = 0usize;
    for cell in 0..plan.manifest.cells.len() {
        for r in 0..plan.manifest.replicates {
            match plan.state(cell, r) {
                RunState::Complete => {}
                RunState::ToDo => pending.push((cell, r)),
                RunState::OtherBuild => {
                    other_build += 1;
                    pending.push((cell, r));
                }
            }
        }
    }
    // Fewer runs to do than jobs (a rerun): the cores go to the runs left.
    plan.threads = (sys::cores() / plan.jobs.min(pending.len()).max(1)).max(1);
    check_disk(&plan, pending.len())?;
    std::fs::create_dir_all(&plan.out)
        .map_err(|e| CliError::Failed(anyhow::anyhow!("cannot create the sweep folder {}: {e}", plan.out.display())))?;
    // Written first: the folder is this sweep's from now on, and a rerun
    // finds its grid. The table of a previous sweep goes: it is written
    // again, last, when every run is complete.
    scorelab_store::write_json_atomic(&plan.out.join(SWEEP_JSON), &plan.manifest).failed()?;
    match std::fs::remove_file(plan.out.join(SWEEP_TABLE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(CliError::Failed(anyhow::anyhow!(
                "cannot remove the old {SWEEP_TABLE} in {}: {e}",
                plan.out.display()
            )))
        }
        _ => {}
    }
    let quiet = args.quiet || args.json;
    if !quiet {
        let done = total - pending.len() as u64;
        let mut kept = if done > 0 { format!(" ({done} already complete, kept)") } else { String::new() };
        if other_build > 0 {
            kept.push_str(&format!(
                " ({other_build} complete but made by another build of scorelab, so made again with this one)"
            ));
        }
        eprintln!(
            "sweep of {}: {} x {} = {total} runs{kept}; {} to run, {} at a time with {} thread{} each",
            plan.manifest.scenario_name,
            plural(plan.manifest.cells.len() as u64, "cell"),
            plural(u64::from(plan.manifest.replicates), "replicate"),
            pending.len(),
            plan.jobs.min(pending.len().max(1)),
            plan.threads,
            if plan.threads == 1 { "" } else { "s" }
        );
    }
    execute_runs(&plan, &pending, quiet)?;

    let runs = collect(&plan)?;
    let keys: Vec<String> = plan.manifest.keys.iter().map(|k| k.key.clone()).collect();
    scorelab_store::write_sweep_table(&plan.out.join(SWEEP_TABLE), &keys, &runs).failed()?;
    let manifest = SweepManifest { status: "complete".into(), ..plan.manifest.clone() };
    scorelab_store::write_json_atomic(&plan.out.join(SWEEP_JSON), &manifest).failed()?;

    let stats = cell_stats(&manifest, &runs);
    if args.json {
        let report = JsonReport {
            sweep: plan.out.display().to_string(),
            scenario: manifest.scenario_name.clone(),
            replicates: manifest.replicates,
            seeds: (manifest.first_seed, manifest.first_seed + u64::from(manifest.replicates) - 1),
            citizens: manifest.citizens,
            days: manifest.days,
            ran: pending.len(),
            cells: stats,
        };
        outln!("{}", serde_json::to_string_pretty(&report).failed()?);
    } else {
        out!("{}", render(&manifest, &stats));
        outln!("\nwritten to {} ({} and one run directory per run)", plan.out.display(), SWEEP_TABLE);
        if let [a, b, ..] = manifest.cells.as_slice() {
            outln!(
                "paired differences between two cells: scorelab compare {} {}",
                plan.out.join(&a.name).display(),
                plan.out.join(&b.name).display()
            );
        }
    }
    Ok(())
}

/// Checks every argument and loads every cell's scenario, before any work.
fn plan(args: &SweepArgs) -> Result<SweepPlan, CliError> {
    if args.replicates == 0 || args.replicates > MAX_REPLICATES {
        return Err(bad_input(format!(
            "--replicates {}: must be between 1 and {MAX_REPLICATES} (2 or more for a confidence interval)",
            args.replicates
        )));
    }
    for (i, k) in args.set.iter().enumerate() {
        if let Some(other) = args.set[..i].iter().find(|o| o.key == k.key) {
            return Err(bad_input(format!(
                "--set {}: the key is swept twice (also --set {}={}); give all its values in one list",
                k.key,
                other.key,
                other.values.join(",")
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(v) = k.values.iter().find(|v| !seen.insert(v.as_str())) {
            return Err(bad_input(format!(
                "--set {}={}: the value `{v}` is listed twice; list each value once",
                k.key,
                k.values.join(",")
            )));
        }
    }
    let cells_count = args.set.iter().try_fold(1u64, |acc, k| acc.checked_mul(k.values.len() as u64));
    let runs = cells_count.and_then(|c| c.checked_mul(u64::from(args.replicates)));
    match runs {
        Some(n) if n <= MAX_RUNS => {}
        _ => {
            let sizes: Vec<String> = args.set.iter().map(|k| k.values.len().to_string()).collect();
            return Err(bad_input(format!(
                "the grid has {} cells x {} replicates = {} runs, more than the {MAX_RUNS} a sweep may have; sweep fewer values (split it into several sweeps) or fewer replicates",
                if sizes.is_empty() { "1".to_string() } else { sizes.join(" x ") },
                args.replicates,
                runs.map_or_else(|| "too many".to_string(), |n| n.to_string())
            )));
        }
    }
    let runs = runs.unwrap_or(0);
    let first_seed = args.seed.unwrap_or(cmd_run::DEFAULT_SEED);
    if first_seed.checked_add(u64::from(args.replicates)).is_none() {
        return Err(bad_input(format!(
            "--seed {first_seed}: with {} replicates the seeds would pass {}; use a smaller first seed",
            args.replicates,
            u64::MAX
        )));
    }
    let citizens = args.citizens.unwrap_or(DEFAULT_CITIZENS);
    let days = args.days.unwrap_or(cmd_run::DEFAULT_DAYS);
    let cores = sys::cores();
    let jobs = args.jobs.unwrap_or_else(|| cores.min(usize::try_from(runs).unwrap_or(usize::MAX)).max(1));
    if jobs == 0 || jobs > 256 {
        return Err(bad_input(format!("--jobs {jobs}: must be between 1 and 256 runs at once")));
    }
    let threads = (cores / jobs).max(1);
    let cells = cells(&args.set);
    let mut manifest = SweepManifest {
        format_version: SWEEP_FORMAT_VERSION,
        scenario: args.scenario.clone(),
        scenario_name: String::new(),
        keys: args.set.clone(),
        replicates: args.replicates,
        first_seed,
        citizens,
        days,
        cells,
        runs,
        status: "running".into(),
        scorelab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: env!("SCORELAB_GIT_COMMIT").to_string(),
    };
    // Every cell's scenario, checked now: a bad value fails before any run,
    // with the message naming its --set.
    let mut plan = SweepPlan {
        manifest: manifest.clone(),
        out: PathBuf::new(),
        jobs,
        threads,
        cell_toml: Vec::new(),
        cell_days: Vec::new(),
    };
    let mut scenario = None;
    for cell in 0..manifest.cells.len() {
        let run = cmd_run::plan_new(&plan.run_args(cell, 0))?;
        plan.cell_toml.push(run.scenario_toml);
        plan.cell_days.push(run.config.days);
        if scenario.is_none() {
            scenario = Some(run.scenario);
        }
    }
    let scenario = scenario.ok_or_else(|| bad_input("the grid has no cells"))?;
    manifest.scenario_name = scenario.name.clone();
    plan.manifest.scenario_name = scenario.name.clone();
    plan.out = args.out.clone().unwrap_or_else(|| crate::default_runs_dir().join(format!("sweep-{}", scenario.name)));

    if let Some(existing) = read_manifest(&plan.out)? {
        if !existing.same_grid(&manifest) && !args.force {
            return Err(bad_input(format!(
                "{} holds another sweep ({}); this one is {}. Rerun that command to continue it, choose another folder with --out, or pass --force to start this sweep there",
                plan.out.display(),
                existing.describe(),
                manifest.describe()
            )));
        }
    } else if plan.out.join(cmd_run_manifest()).exists() {
        return Err(bad_input(format!(
            "{} holds a run, not a sweep; choose another folder with --out",
            plan.out.display()
        )));
    }
    check_memory(&scenario, citizens, jobs.min(usize::try_from(runs).unwrap_or(usize::MAX)))?;
    Ok(plan)
}

/// The file whose presence makes a folder a run directory.
fn cmd_run_manifest() -> &'static str {
    scorelab_store::files::MANIFEST
}

/// Refuses, before any work, runs at once that cannot fit in memory together.
fn check_memory(scenario: &scorelab_scenario::Scenario, citizens: u32, jobs: usize) -> Result<(), CliError> {
    let Some(have) = sys::available_memory_bytes() else {
        return Ok(());
    };
    let one = scorelab_engine::estimate_memory(scenario, citizens);
    let need = one.saturating_mul(jobs as u64);
    if need > have {
        let fit = have / one.max(1);
        return Err(bad_input(format!(
            "{jobs} runs at once of {citizens} citizens need about {} of memory and {} is available; {}",
            sys::human_bytes(need),
            sys::human_bytes(have),
            if fit >= 1 {
                format!("run at most {fit} at once (--jobs {fit})")
            } else {
                "even one run does not fit: use fewer --citizens".to_string()
            }
        )));
    }
    Ok(())
}

/// Refuses, before any run, a sweep whose runs' files cannot fit on the
/// disk of its folder (the output files as `scorelab run` estimates them;
/// sweep runs write no periodic checkpoints).
fn check_disk(plan: &SweepPlan, pending: usize) -> Result<(), CliError> {
    if pending == 0 {
        return Ok(());
    }
    let Some(free) = sys::free_disk_bytes(&plan.out) else {
        return Ok(());
    };
    let one = cmd_run::estimate_output_bytes(&cmd_run::plan_new(&plan.run_args(0, 0))?.config);
    let need = one.saturating_mul(pending as u64);
    if need > free {
        return Err(bad_input(format!(
            "not enough disk space for the sweep in {}: its {pending} runs still to do need about {} ({} each) and {} is free there; free some space, sweep fewer values or replicates, or write it elsewhere with --out",
            plan.out.display(),
            sys::human_bytes(need),
            sys::human_bytes(one),
            sys::human_bytes(free)
        )));
    }
    Ok(())
}

/// Runs the pending runs, `plan.jobs` at a time, with a progress bar over runs.
fn execute_runs(plan: &SweepPlan, pending: &[(usize, u32)], quiet: bool) -> Result<(), CliError> {
    if pending.is_empty() {
        return Ok(());
    }
    let stop = interrupt::install();
    let bar = progress_bar(quiet, pending.len() as u64);
    let next = AtomicUsize::new(0);
    let completed = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<CliError>> = Mutex::new(None);
    let workers = plan.jobs.min(pending.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if failed.load(Ordering::SeqCst) || stop.load(Ordering::SeqCst) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(cell, r)) = pending.get(i) else {
                    return;
                };
                let dir = plan.run_dir(cell, r);
                let result = cmd_run::plan_new(&plan.run_args(cell, r)).and_then(|run| {
                    let options = Options {
                        force: true,
                        baseline: None,
                        quiet: true,
                        checkpoint_every: Every::Off,
                        stop: Some(stop),
                        resume: None,
                        ranks: Ranks::single(),
                    };
                    cmd_run::execute(&run, options)
                });
                match result {
                    Ok(_) => {
                        completed.fetch_add(1, Ordering::SeqCst);
                        bar.inc(1);
                        bar.set_message(format!("{} done", dir.strip_prefix(&plan.out).unwrap_or(&dir).display()));
                    }
                    Err(e) => {
                        let e = match e {
                            CliError::Interrupted(_) | CliError::Silent(_) => e,
                            CliError::Input(e) => CliError::Input(e.context(format!("run {}", dir.display()))),
                            CliError::Failed(e) => CliError::Failed(e.context(format!("run {}", dir.display()))),
                        };
                        if let Ok(mut slot) = first_error.lock() {
                            if slot.is_none() && !matches!(e, CliError::Interrupted(_)) {
                                *slot = Some(e);
                            }
                        }
                        failed.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    if stop.load(Ordering::SeqCst) {
        let left = pending.len() - completed.load(Ordering::SeqCst);
        return Err(CliError::Interrupted(anyhow::anyhow!(
            "sweep interrupted with {left} of its {} runs still to do; run the same command again to continue (complete runs are kept)",
            plan.manifest.runs
        )));
    }
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(())
}

/// A progress bar over runs on stderr (hidden when quiet).
fn progress_bar(quiet: bool, runs: u64) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(runs);
    let style = ProgressStyle::with_template("run {pos}/{len} [{wide_bar}] {msg}, {elapsed} elapsed, {eta} left")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    pb.set_style(style);
    pb.enable_steady_tick(Duration::from_millis(500));
    pb
}

/// Every run's summary, in grid order (cell, then seed).
fn collect(plan: &SweepPlan) -> Result<Vec<SweepRun>, CliError> {
    let m = &plan.manifest;
    let mut runs = Vec::with_capacity(m.runs as usize);
    for (c, cell) in m.cells.iter().enumerate() {
        for r in 0..m.replicates {
            let dir = plan.run_dir(c, r);
            let summary = RunDir::open(&dir).and_then(|run| run.read_summary()).failed()?;
            let seed = m.first_seed + u64::from(r);
            runs.push(SweepRun {
                cell: cell.name.clone(),
                run: format!("{}/{}", cell.name, seed_folder(seed)),
                seed,
                settings: cell.settings.iter().map(|(_, v)| typed(v)).collect(),
                summary,
            });
        }
    }
    Ok(runs)
}

/// One figure of one cell across its replicates.
#[derive(Debug, Serialize)]
struct FigureStats {
    figure: String,
    #[serde(flatten)]
    interval: Interval,
}

/// The statistics of one cell.
#[derive(Debug, Serialize)]
struct CellStats {
    cell: String,
    settings: Vec<(String, String)>,
    figures: Vec<FigureStats>,
}

#[derive(Serialize)]
struct JsonReport {
    sweep: String,
    scenario: String,
    replicates: u32,
    /// First and last seed.
    seeds: (u64, u64),
    citizens: u32,
    days: u32,
    /// Runs executed by this invocation (the others were complete already).
    ran: usize,
    cells: Vec<CellStats>,
}

/// Mean and 95% interval of every headline figure, per cell.
fn cell_stats(m: &SweepManifest, runs: &[SweepRun]) -> Vec<CellStats> {
    m.cells
        .iter()
        .map(|cell| {
            let figures: Vec<Vec<scorelab_store::Figure>> =
                runs.iter().filter(|r| r.cell == cell.name).map(|r| headline_figures(&r.summary)).collect();
            let columns = figures.first().cloned().unwrap_or_default();
            let stats = columns
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let values: Vec<f64> =
                        figures.iter().filter_map(|fs| fs.get(i)).map(|x| x.value.as_f64()).collect();
                    FigureStats { figure: f.column.clone(), interval: stats::interval(&values) }
                })
                .collect();
            CellStats { cell: cell.name.clone(), settings: cell.settings.clone(), figures: stats }
        })
        .collect()
}

/// Decimals to print a value of this size with: fewer for large values.
fn decimals(x: f64) -> usize {
    let a = x.abs();
    if a == 0.0 {
        2
    } else if a >= 100.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        4
    }
}

/// A number for the tables, with `decimals` places ("-" when undefined).
pub(crate) fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "-".to_string()
    }
}

/// Decimals for a value printed beside its interval's half width: those
/// of the value (those of the half width when the value is 0).
pub(crate) fn decimals_for(value: f64, half_width: f64) -> usize {
    decimals(if value == 0.0 && half_width.is_finite() { half_width } else { value })
}

/// `mean ± half width`, both with the decimals the mean calls for (just
/// the mean with one replicate).
pub(crate) fn mean_pm(i: &Interval) -> String {
    let d = decimals_for(i.mean, i.half_width);
    if i.half_width.is_finite() {
        format!("{} ± {}", num(i.mean, d), num(i.half_width, d))
    } else {
        num(i.mean, d)
    }
}

/// `1 cell`, `4 cells`.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Cells per block of the printed table.
const CELLS_PER_BLOCK: usize = 3;

fn render(m: &SweepManifest, stats: &[CellStats]) -> String {
    let mut out = String::new();
    let last_seed = m.first_seed + u64::from(m.replicates) - 1;
    let _ = writeln!(
        out,
        "{}: {} x {} (seeds {}..={last_seed}, paired across cells), {} citizens, {} days",
        m.scenario_name,
        plural(m.cells.len() as u64, "cell"),
        plural(u64::from(m.replicates), "replicate"),
        m.first_seed,
        crate::report::count(u64::from(m.citizens)),
        m.days
    );
    let df = m.replicates.saturating_sub(1);
    if df == 0 {
        let _ = writeln!(out, "Means (one replicate per cell: no confidence interval; use --replicates 2 or more):");
    } else {
        let _ = writeln!(
            out,
            "Mean ± half-width of the 95% confidence interval across replicates (Student t, {df} degree{} of freedom):",
            if df == 1 { "" } else { "s" }
        );
    }
    for (i, cell) in stats.iter().enumerate() {
        let sets: Vec<String> = cell.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ =
            writeln!(out, "  [{}] {}", i + 1, if sets.is_empty() { "(no --set)".to_string() } else { sets.join(" ") });
    }
    let figures = stats.first().map_or(0, |c| c.figures.len());
    // Figures that are 0 in every run of every cell say nothing.
    let shown: Vec<usize> = (0..figures)
        .filter(|&f| {
            stats.iter().any(|c| c.figures.get(f).is_some_and(|x| x.interval.mean != 0.0 || x.interval.sd > 0.0))
        })
        .collect();
    let width = shown
        .iter()
        .filter_map(|&f| stats.first().and_then(|c| c.figures.get(f)).map(|x| x.figure.len()))
        .max()
        .unwrap_or(6)
        .max(6);
    for (b, cells) in stats.chunks(CELLS_PER_BLOCK).enumerate() {
        let _ = write!(out, "\n  {:<width$}", "figure");
        for i in 0..cells.len() {
            let _ = write!(out, " {:>24}", format!("[{}]", b * CELLS_PER_BLOCK + i + 1));
        }
        out.push('\n');
        for &f in &shown {
            let Some(name) = cells.first().and_then(|c| c.figures.get(f)).map(|x| x.figure.clone()) else {
                continue;
            };
            let _ = write!(out, "  {name:<width$}");
            for c in cells {
                let text = c.figures.get(f).map_or_else(|| "-".to_string(), |x| mean_pm(&x.interval));
                let _ = write!(out, " {text:>24}");
            }
            out.push('\n');
        }
    }
    let hidden = figures - shown.len();
    if hidden > 0 {
        let _ = writeln!(out, "\n({hidden} figures that are 0 in every run are not shown; sweep.parquet has them all)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str, v: &[&str]) -> SweptKey {
        SweptKey { key: k.into(), values: v.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn swept_keys_parse_and_refuse_empty_lists() {
        assert_eq!(parse_swept_key("a.b=1,2"), Ok(key("a.b", &["1", "2"])));
        assert_eq!(parse_swept_key("a.b=[1,2],[3]"), Ok(key("a.b", &["[1,2]", "[3]"])));
        assert!(parse_swept_key("a.b=").unwrap_err().contains("at least one value"));
        assert!(parse_swept_key("a.b=1,,2").unwrap_err().contains("empty value"));
        assert!(parse_swept_key("a.b").unwrap_err().contains("KEY=VALUE"));
    }

    #[test]
    fn the_grid_varies_the_first_key_slowest() {
        let c = cells(&[
            key("appeals.win_probability", &["0.1", "0.9"]),
            key("behaviours.drug_use.points", &["-5", "[x]"]),
        ]);
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "win_probability=0.1,points=-5",
                "win_probability=0.1,points=_x_",
                "win_probability=0.9,points=-5",
                "win_probability=0.9,points=_x_"
            ]
        );
        assert_eq!(
            c[3].settings,
            vec![("appeals.win_probability".into(), "0.9".into()), ("behaviours.drug_use.points".into(), "[x]".into())]
        );
        assert_eq!(cells(&[])[0].name, "base");
    }

    #[test]
    fn folder_names_tell_keys_apart_and_never_coincide() {
        assert_eq!(
            short_keys(&["behaviours.a.points".into(), "behaviours.b.points".into(), "score.base".into()]),
            ["a.points", "b.points", "base"]
        );
        let c = cells(&[key("x.label", &["a/b", "a_b"])]);
        assert_eq!(c[0].name, "001-label=a_b");
        assert_eq!(c[1].name, "002-label=a_b");
        assert_eq!(folder_part(".."), "_");
        let long: Vec<SweptKey> =
            (0..5).map(|i| key(&format!("section.a_rather_long_key_name_{i}"), &["0.123456789"])).collect();
        let c = cells(&long);
        assert!(
            c[0].name.starts_with("001-a_rather_long_key_name_0=0.123456789,") && c[0].name.len() <= 164,
            "{}",
            c[0].name
        );
    }

    #[test]
    fn values_are_typed_like_toml() {
        assert_eq!(typed("3"), SweepValue::Int(3));
        assert_eq!(typed("0.5"), SweepValue::Float(0.5));
        assert_eq!(typed("true"), SweepValue::Bool(true));
        assert_eq!(typed("[1, 2]"), SweepValue::Text("[1, 2]".into()));
        assert_eq!(typed("grade<=C"), SweepValue::Text("grade<=C".into()));
    }

    #[test]
    fn numbers_print_with_sensible_decimals() {
        let i = |mean: f64, half_width: f64| Interval { n: 2, mean, sd: 0.0, half_width, low: 0.0, high: 0.0 };
        assert_eq!(mean_pm(&i(1234.567, 12.04)), "1234.6 ± 12.0");
        assert_eq!(mean_pm(&i(2.34567, 0.5)), "2.35 ± 0.50");
        assert_eq!(mean_pm(&i(0.012345, 0.001)), "0.0123 ± 0.0010");
        assert_eq!(mean_pm(&i(0.0, 3.0)), "0.00 ± 3.00");
        assert_eq!(mean_pm(&i(0.0, 0.0)), "0.00 ± 0.00");
        assert_eq!(mean_pm(&i(7.0, f64::NAN)), "7.00");
        assert_eq!(num(f64::NAN, 2), "-");
    }
}
