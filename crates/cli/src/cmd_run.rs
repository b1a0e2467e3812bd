//! `scorelab run`: a scenario on a synthetic population, into a run
//! directory; checkpoints while it goes, a checkpoint and a clean stop on
//! Ctrl-C or SIGTERM, and `--resume` from the last checkpoint.

use crate::distributed::Ranks;
use crate::error::{bad_input, Blame, CliError};
use crate::interrupt;
use crate::report;
use crate::sys;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use scorelab_engine::checkpoint::scenario_fingerprint;
use scorelab_engine::{default_tracked, estimate_memory, DayMetrics, RunConfig, Simulation};
use scorelab_scenario::Scenario;
use scorelab_store::{
    checkpoint_files, Checkpoint, CheckpointInfo, Manifest, Progress, RunDir, RunStatus, RunWriter, StoreError, Summary,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Above this many citizens, `citizens.parquet` holds a sample.
pub const CITIZENS_FILE_LIMIT: u32 = 10_000_000;
/// Citizens tracked by default besides those named with `--track`.
pub const DEFAULT_TRACKED: u32 = 1_000;

/// The scenario run when none is named.
pub const DEFAULT_SCENARIO: &str = "seed-article";
/// Citizens when `--citizens` is not given.
pub const DEFAULT_CITIZENS: u32 = 1_000_000;
/// Days when `--days` is not given.
pub const DEFAULT_DAYS: u32 = 365;
/// Seed when `--seed` is not given.
pub const DEFAULT_SEED: u64 = 1;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in scenario name (see `scorelab scenarios`) or a path to a
    /// scenario file [default: seed-article].
    pub scenario: Option<String>,
    /// Number of synthetic citizens [default: 1000000].
    #[arg(long, value_parser = parse_count)]
    pub citizens: Option<u32>,
    /// Number of days to simulate [default: 365].
    #[arg(long)]
    pub days: Option<u32>,
    /// Seed of the random draws: the same scenario and seed give the same run [default: 1].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder (default: runs/<scenario>-<seed>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Change one scenario value for this run, e.g. `--set
    /// appeals.win_probability=0.1` (keys as in `scorelab scenarios show`;
    /// repeatable). The run's manifest records the changed scenario.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set, conflicts_with = "resume")]
    pub set: Vec<(String, String)>,
    /// Citizens to track in audit.parquet, besides 1,000 chosen at random,
    /// e.g. `--track 12,345`.
    #[arg(long, value_delimiter = ',')]
    pub track: Vec<u32>,
    /// Overwrite a complete run already in the output folder (or discard
    /// the checkpoint of an interrupted one).
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
    /// Continue the interrupted run in DIR from its last checkpoint. The
    /// scenario, size and seed come from the checkpoint (any given must
    /// match it); the output files are the same bits as a run that never
    /// stopped.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "force"])]
    pub resume: Option<PathBuf>,
    /// When to write a checkpoint: every N days (`30`), every so much wall
    /// time (`90s`, `10m`, `1h`), or only on Ctrl-C/SIGTERM (`off`). With
    /// the default, a crash loses at most about five minutes of work; a run
    /// shorter than that writes no checkpoint unless interrupted.
    #[arg(long, value_name = "EVERY", default_value = "5m", value_parser = parse_every)]
    pub checkpoint_every: Every,
    /// Run as one rank of an MPI job: `mpirun -n K scorelab run ... --mpi`
    /// splits the citizens over K processes (needs a build with the `mpi`
    /// feature; docs/DISTRIBUTED.md). The output is the same as without.
    #[arg(long)]
    pub mpi: bool,
}

/// When periodic checkpoints are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// After every N-th day.
    Days(u32),
    /// At the end of the first day that ends this long after the last
    /// checkpoint (or the start of the day loop).
    Wall(Duration),
    /// Only when a signal stops the run.
    Off,
}

impl Every {
    /// Whether a checkpoint is due after `done` days, `since` the last one.
    fn due(self, done: u32, since: Duration) -> bool {
        match self {
            Every::Days(n) => done % n == 0,
            Every::Wall(d) => since >= d,
            Every::Off => false,
        }
    }
}

/// Parses `--checkpoint-every`: `off`, a number of days, or a duration
/// with a unit (`s`, `m`/`min`, `h`).
fn parse_every(s: &str) -> Result<Every, String> {
    let t = s.trim().to_ascii_lowercase();
    if t == "off" || t == "never" || t == "0" {
        return Ok(Every::Off);
    }
    let bad = || format!("`{s}`: give a number of days (e.g. 30), a duration (90s, 10m, 1h) or `off`");
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "" | "d" | "day" | "days" => {
            let days = u32::try_from(n).map_err(|_| bad())?;
            return Ok(if days == 0 { Every::Off } else { Every::Days(days) });
        }
        "s" | "sec" => n,
        "m" | "min" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(bad()),
    };
    Ok(if secs == 0 { Every::Off } else { Every::Wall(Duration::from_secs(secs)) })
}

/// Parses one `--set KEY=VALUE`.
fn parse_set(arg: &str) -> Result<(String, String), String> {
    scorelab_scenario::parse_assignment(arg)
}

/// Parses a count, allowing `1_000_000` and `1,000,000` and `10M`/`1.4B`-style suffixes.
pub(crate) fn parse_count(s: &str) -> Result<u32, String> {
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
    let ranks = if args.mpi { Ranks::mpi()? } else { Ranks::single() };
    // Every rank reads the same input; rank 0 reports what is wrong with it.
    let (plan, resume) = prepare(&args, &ranks).map_err(|e| match e {
        CliError::Input(_) if !ranks.is_root() => CliError::Silent(e.exit_code()),
        e => e,
    })?;
    let options = Options {
        force: args.force,
        baseline: args.baseline.as_deref(),
        quiet: args.quiet || args.json || !ranks.is_root(),
        checkpoint_every: args.checkpoint_every,
        stop: Some(interrupt::install()),
        resume,
        ranks: ranks.clone(),
    };
    let summary = execute(&plan, options)?;
    if !ranks.is_root() {
        return Ok(());
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary).failed()?);
    } else {
        out!("{}", report::headline(&summary));
        outln!("\nwritten to {}", plan.out.display());
        if summary.chilling.is_none() && plan.scenario.has_pressure() {
            outln!(
                "chilling effect: run `scorelab run baseline --seed {} --citizens {} --days {}` then `scorelab compare`",
                plan.config.seed, plan.config.citizens, plan.config.days
            );
        }
    }
    Ok(())
}

/// The plan of a new or resumed run and this rank's checkpoint, with the
/// memory and disk it needs checked.
fn prepare(args: &RunArgs, ranks: &Ranks) -> Result<(Plan, Option<Checkpoint>), CliError> {
    let (plan, resume) = match &args.resume {
        Some(dir) => {
            let (plan, checkpoint) = plan_resume(args, dir, ranks)?;
            (plan, Some(checkpoint))
        }
        None => (plan_new(args)?, None),
    };
    if plan.config.citizens < ranks.count() as u32 {
        return Err(bad_input(format!(
            "{} citizens over {} ranks: every rank needs at least one citizen; launch at most {} ranks",
            plan.config.citizens,
            ranks.count(),
            plan.config.citizens
        )));
    }
    check_memory(&plan.scenario, plan.config.citizens, ranks.count())?;
    if ranks.is_root() {
        check_disk(&plan, args.checkpoint_every, resume.is_some())?;
    }
    Ok((plan, resume))
}

/// The plan of a new run, from the arguments and their defaults (also
/// how `scorelab sweep` plans each of its runs).
pub(crate) fn plan_new(args: &RunArgs) -> Result<Plan, CliError> {
    let name = args.scenario.as_deref().unwrap_or(DEFAULT_SCENARIO);
    let scenario = scorelab_scenario::load_with_overrides(name, &args.set).input()?;
    let scenario_toml = scorelab_scenario::resolved_toml_with_overrides(name, &args.set).input()?;
    let citizens = args.citizens.unwrap_or(DEFAULT_CITIZENS);
    let days = args.days.unwrap_or(DEFAULT_DAYS);
    let seed = args.seed.unwrap_or(DEFAULT_SEED);
    if days == 0 || days > scorelab_engine::MAX_DAYS {
        return Err(bad_input(format!("--days {days}: must be between 1 and {}", scorelab_engine::MAX_DAYS)));
    }
    if let Some(&bad) = args.track.iter().find(|&&t| t >= citizens) {
        return Err(bad_input(format!("--track {bad}: there are {citizens} citizens, numbered 0 to {}", citizens - 1)));
    }
    let threads = threads(args)?;
    let mut tracked = default_tracked(seed, citizens, DEFAULT_TRACKED);
    tracked.extend(&args.track);
    tracked.sort_unstable();
    tracked.dedup();
    let out = args.out.clone().unwrap_or_else(|| crate::default_runs_dir().join(format!("{}-{seed}", scenario.name)));
    // `--days` counts the reported days; a burn-in runs before them.
    let days = days + scenario.burn_in_days;
    if days > scorelab_engine::MAX_DAYS {
        return Err(bad_input(format!(
            "--days: with the scenario's burn-in of {} days, a run has at most {} days after it",
            scenario.burn_in_days,
            scorelab_engine::MAX_DAYS - scenario.burn_in_days
        )));
    }
    Ok(Plan { config: RunConfig { citizens, days, seed, tracked }, scenario, scenario_toml, threads, out })
}

fn threads(args: &RunArgs) -> Result<usize, CliError> {
    let threads = args.threads.unwrap_or_else(sys::cores);
    if threads == 0 || threads > 1024 {
        return Err(bad_input(format!("--threads {threads}: must be between 1 and 1024")));
    }
    Ok(threads)
}

/// The plan of a resumed run: everything from the checkpoint in `dir`,
/// checked against whatever the arguments also name.
fn plan_resume(args: &RunArgs, dir: &Path, ranks: &Ranks) -> Result<(Plan, Checkpoint), CliError> {
    let checkpoint = scorelab_store::open_checkpoint_part(dir, ranks.rank(), ranks.count()).input()?;
    let header = checkpoint.header();
    let path = checkpoint.path().display().to_string();
    let scenario = scorelab_scenario::parse_str(&header.scenario_toml, &path).map_err(|e| {
        bad_input(format!("cannot resume from {path}: its scenario does not load in this version of scorelab: {e}"))
    })?;
    if scenario_fingerprint(&scenario) != header.scenario_fingerprint {
        return Err(bad_input(format!(
            "cannot resume from {path}: its scenario `{}` reads differently in this version of scorelab ({}) than in the one that wrote it ({}); resume with that version, or start the run again with --force",
            scenario.name,
            producer(),
            header.producer
        )));
    }
    let cfg = &header.config;
    let mut differs = Vec::new();
    if let Some(name) = &args.scenario {
        let given = scorelab_scenario::load(name).input()?;
        if scenario_fingerprint(&given) != header.scenario_fingerprint {
            differs.push(format!("scenario `{}` (given: `{name}`, which differs)", scenario.name));
        }
    }
    if args.citizens.is_some_and(|n| n != cfg.citizens) {
        differs.push(format!("{} citizens (given: {})", cfg.citizens, args.citizens.unwrap_or_default()));
    }
    let reported_days = cfg.days - scenario.burn_in_days.min(cfg.days);
    if args.days.is_some_and(|d| d != reported_days) {
        differs.push(format!("{reported_days} days (given: {})", args.days.unwrap_or_default()));
    }
    if args.seed.is_some_and(|s| s != cfg.seed) {
        differs.push(format!("seed {} (given: {})", cfg.seed, args.seed.unwrap_or_default()));
    }
    if let Some(t) = args.track.iter().find(|t| cfg.tracked.binary_search(t).is_err()) {
        differs.push(format!("its tracked citizens (given: --track {t}, which it does not track)"));
    }
    if !differs.is_empty() {
        return Err(bad_input(format!(
            "--resume {}: the checkpoint belongs to another run: it has {}. A resumed run keeps the scenario, size and seed it started with: leave them out, or start a new run in another folder",
            dir.display(),
            differs.join(", ")
        )));
    }
    if header.producer != producer() && ranks.is_root() {
        eprintln!(
            "warning: the checkpoint was written by {}, and this is {}: the resumed run may differ from an uninterrupted run of either",
            header.producer,
            producer()
        );
    }
    let plan = Plan {
        scenario,
        scenario_toml: header.scenario_toml.clone(),
        config: cfg.clone(),
        threads: threads(args)?,
        out: dir.to_path_buf(),
    };
    Ok((plan, checkpoint))
}

/// Who writes checkpoints: the version and commit of this binary.
fn producer() -> String {
    format!("scorelab {} ({})", env!("CARGO_PKG_VERSION"), env!("SCORELAB_GIT_COMMIT"))
}

/// Refuses, before any work, a size that cannot fit in memory: a rank's
/// share when the run is split over `ranks` (each rank checks its own
/// machine; ranks sharing a machine each count the memory free to all).
fn check_memory(scenario: &Scenario, citizens: u32, ranks: usize) -> Result<(), CliError> {
    let share = citizens.div_ceil(ranks as u32);
    let need = estimate_memory(scenario, share) + split_overhead(share, ranks);
    let Some(have) = sys::available_memory_bytes() else {
        return Ok(());
    };
    if need > have {
        // The largest population that would fit, by bisection on the estimate.
        let (mut lo, mut hi) = (0u32, share);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if estimate_memory(scenario, mid) + split_overhead(mid, ranks) <= have {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let per = if ranks > 1 { format!(" (each of the {ranks} ranks holds {share})") } else { String::new() };
        return Err(bad_input(format!(
            "{citizens} citizens{per} need about {} of memory and {} is available; at most about {lo} citizens fit on this machine per rank (use --citizens, or run across machines: docs/DISTRIBUTED.md)",
            sys::human_bytes(need),
            sys::human_bytes(have)
        )));
    }
    Ok(())
}

/// What a rank of a split run holds beyond the state of its citizens: the
/// friends held on other ranks (their indices, scores and places) and the
/// exchange buffers. Measured at 142–145 bytes a citizen of a rank in all
/// against 93.6 of state (`scorelab bench --mpi`, docs/DISTRIBUTED.md), so
/// 52 bytes a citizen, and the MPI library's 32 MiB.
fn split_overhead(share: u32, ranks: usize) -> u64 {
    if ranks > 1 {
        u64::from(share) * 52 + (32 << 20)
    } else {
        0
    }
}

/// Bytes of the output files of a run, over-estimated (measured on the
/// built-in scenarios: about 33 bytes a row of `citizens.parquet`, 6 bytes
/// a tracked citizen-day of `audit.parquet`, 500 bytes a day of `daily.parquet`).
pub(crate) fn estimate_output_bytes(cfg: &RunConfig) -> u64 {
    let rows = u64::from(cfg.citizens.min(CITIZENS_FILE_LIMIT));
    let tracked_days = cfg.tracked.len() as u64 * u64::from(cfg.days);
    rows * 48 + tracked_days * 16 + u64::from(cfg.days) * 2048 + (1 << 20)
}

/// Bytes of one checkpoint of a run at its last day, over-estimated.
fn estimate_checkpoint_bytes(plan: &Plan) -> u64 {
    let cfg = &plan.config;
    let tracked_days = cfg.tracked.len() as u64 * u64::from(cfg.days);
    scorelab_engine::checkpoint::estimate_bytes(&plan.scenario, cfg.citizens, cfg.days) + tracked_days * 48
}

/// Refuses, before any work, a run whose files cannot fit on the disk of
/// its output folder: the output files, and its checkpoints (two at once
/// while a periodic one replaces the last; one when resuming, beside the
/// one already there, or with periodic checkpoints off).
fn check_disk(plan: &Plan, every: Every, resuming: bool) -> Result<(), CliError> {
    let Some(free) = sys::free_disk_bytes(&plan.out) else {
        return Ok(());
    };
    let output = estimate_output_bytes(&plan.config);
    let checkpoint = estimate_checkpoint_bytes(plan);
    let copies = if every == Every::Off || resuming { 1 } else { 2 };
    let need = output + copies * checkpoint;
    if need <= free {
        return Ok(());
    }
    let fewer = if copies == 2 && output + checkpoint <= free {
        ", or keep only the checkpoint written on Ctrl-C (--checkpoint-every off)"
    } else {
        ""
    };
    Err(bad_input(format!(
        "not enough disk space for {}: the run needs about {} ({} of output files and {} per checkpoint) and {} is free there; free some space or write the run elsewhere with --out{fewer}",
        plan.out.display(),
        sys::human_bytes(need),
        sys::human_bytes(output),
        sys::human_bytes(checkpoint),
        sys::human_bytes(free),
    )))
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// How [`execute`] runs a plan.
pub struct Options<'a> {
    /// Overwrite a complete run (or discard a checkpoint) in the output folder.
    pub force: bool,
    /// The baseline run named by the user.
    pub baseline: Option<&'a Path>,
    /// No progress bar.
    pub quiet: bool,
    /// When to write periodic checkpoints.
    pub checkpoint_every: Every,
    /// Set by a signal: stop at the end of the current day and write a checkpoint.
    pub stop: Option<&'a AtomicBool>,
    /// The checkpoint to continue from (the plan's output folder holds it).
    pub resume: Option<Checkpoint>,
    /// The ranks of the run (one process unless launched with `--mpi`).
    pub ranks: Ranks,
}

/// Runs (or resumes) a plan into its output folder and returns the summary.
///
/// Over several ranks every rank runs this, in step: rank 0 prepares the
/// folder and writes the shared files, each rank writes its part of the
/// citizens and of each checkpoint, and after every step that can fail the
/// ranks agree ([`Ranks::agree`]) so that all go on or all stop.
pub fn execute(plan: &Plan, options: Options<'_>) -> Result<Summary, CliError> {
    let started = Instant::now();
    let ranks = &options.ranks;
    let (root, split) = (ranks.is_root(), ranks.count() > 1);
    let resuming = options.resume.is_some();
    let info = options.resume.as_ref().and_then(Checkpoint::info);
    let started_unix = info.map_or_else(now_unix, |i| i.started_unix);
    let elapsed_before = info.map_or(0.0, |i| i.elapsed_seconds);
    // Rank 0 prepares the folder; the others join it once it is ready.
    let prepared = ranks.agree(if !root {
        Ok(None)
    } else if resuming {
        RunWriter::resume(&plan.out).input().map(Some)
    } else {
        RunWriter::create(&plan.out, options.force).input().map(Some)
    })?;
    let writer = ranks.agree(match prepared {
        Some(writer) => Ok(writer),
        None => RunWriter::join(&plan.out, ranks.rank()).input(),
    })?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(plan.threads).build().failed()?;
    let cfg = &plan.config;
    let stop_requested = || options.stop.is_some_and(|s| s.load(Ordering::SeqCst));
    let first_day = options.resume.as_ref().map_or(0, |c| c.header().day);
    let progress = Progress { day: first_day, days: cfg.days, citizens: u64::from(cfg.citizens), started_unix };
    if root {
        writer.write_progress(&progress).failed()?;
    }

    let producer = producer();
    let checkpoint_info = CheckpointInfo {
        checkpoint_format: scorelab_engine::checkpoint::VERSION,
        day: 0,
        days: cfg.days,
        scenario: plan.scenario.name.clone(),
        seed: cfg.seed,
        citizens: u64::from(cfg.citizens),
        bytes: 0,
        scorelab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: env!("SCORELAB_GIT_COMMIT").to_string(),
        started_unix,
        elapsed_seconds: 0.0,
        ranks: ranks.count() as u32,
    };
    // Collective over ranks: each writes its part, rank 0 commits.
    let save = |sim: &Simulation, days: &[DayMetrics]| -> Result<u64, CliError> {
        let info = CheckpointInfo {
            elapsed_seconds: elapsed_before + started.elapsed().as_secs_f64(),
            ..checkpoint_info.clone()
        };
        let bytes = if split {
            let part = writer.write_checkpoint_part(sim, days, &producer, &plan.scenario_toml).failed();
            let mut bytes = [*part.as_ref().unwrap_or(&0)];
            ranks.agree(part)?;
            ranks.sum(&mut bytes);
            let commit = if root {
                writer.commit_checkpoint(&CheckpointInfo { bytes: bytes[0], day: sim.day(), ..info }).failed()
            } else {
                Ok(())
            };
            ranks.agree(commit)?;
            // Older parts are only space now; one left behind is removed with the run's checkpoint.
            let _ = writer.prune_checkpoint_parts(ranks.rank(), sim.day());
            bytes[0]
        } else {
            writer.write_checkpoint(sim, days, &producer, &plan.scenario_toml, &info).failed()?
        };
        if root {
            // A hint only: the checkpoint is what counts.
            let _ = writer.write_progress(&Progress { day: sim.day(), ..progress });
        }
        Ok(bytes)
    };
    let checkpoint_name = if split {
        format!("{} ({} parts)", plan.out.join(checkpoint_files::JSON).display(), ranks.count())
    } else {
        plan.out.join(checkpoint_files::BIN).display().to_string()
    };
    let launch = if split { format!("mpirun -n {} scorelab", ranks.count()) } else { "scorelab".to_string() };
    let mpi_flag = if split { " --mpi" } else { "" };
    // Stops the run after a signal: a checkpoint, then the message.
    let interrupted = |sim: &Simulation, days: &[DayMetrics]| -> CliError {
        match save(sim, days) {
            Ok(bytes) => CliError::Interrupted(anyhow::anyhow!(
                "interrupted after day {} of {}: checkpoint written to {checkpoint_name} ({}); resume with `{launch} run --resume {}{mpi_flag}`",
                sim.day(),
                cfg.days,
                sys::human_bytes(bytes),
                plan.out.display()
            )),
            Err(CliError::Silent(code)) => CliError::Silent(code),
            Err(e) => CliError::Failed(anyhow::anyhow!(
                "interrupted after day {} of {}, but the checkpoint could not be written: {e}",
                sim.day(),
                cfg.days
            )),
        }
    };

    let spinner = bar(options.quiet, None);
    spinner.enable_steady_tick(Duration::from_millis(120));
    let (mut sim, mut days) = match options.resume {
        Some(checkpoint) => {
            spinner.set_message(format!("reading the checkpoint of day {first_day}"));
            let comm = ranks.comm.clone();
            ranks.agree(pool.install(|| checkpoint.restore_part(&plan.scenario, comm)).input())?
        }
        None => {
            spinner.set_message(format!("generating {} citizens and their friends", cfg.citizens));
            let comm = ranks.comm.clone();
            let sim = pool.install(|| Simulation::new_part(&plan.scenario, cfg.clone(), comm)).input()?;
            (sim, Vec::with_capacity(cfg.days as usize))
        }
    };
    spinner.finish_and_clear();

    let bar = bar(options.quiet, Some(u64::from(cfg.days)));
    bar.set_position(u64::from(first_day));
    let mut last_progress = Instant::now();
    let mut last_checkpoint = Instant::now();
    let mut progress_warned = false;
    let loop_start = Instant::now();
    // Whether any rank was asked to stop, and whether rank 0's clock says a
    // checkpoint is due: decided together, so that every rank does the same.
    let decide = |done: u32, since: Duration| -> (bool, bool) {
        let due = root && options.checkpoint_every.due(done, since);
        let mut flags = [u64::from(stop_requested()), u64::from(due)];
        ranks.sum(&mut flags);
        (flags[0] > 0, flags[1] > 0)
    };
    let mut stop = decide(first_day, Duration::ZERO).0;
    while !sim.is_done() {
        if stop {
            bar.finish_and_clear();
            return Err(interrupted(&sim, &days));
        }
        let m = pool.install(|| sim.step());
        days.push(m);
        let done = sim.day();
        let rate = f64::from(cfg.citizens) * f64::from(done - first_day) / loop_start.elapsed().as_secs_f64().max(1e-9);
        bar.set_position(u64::from(done));
        bar.set_message(format!("{} citizen-days/s", report::si(rate)));
        let (stop_now, due) = decide(done, last_checkpoint.elapsed());
        stop = stop_now;
        if !sim.is_done() && !stop && due {
            bar.set_message("writing a checkpoint");
            match save(&sim, &days) {
                Ok(_) => {}
                // Another rank could not write its part: it said why; the run goes on.
                Err(CliError::Silent(_)) => {}
                Err(e) => {
                    // The run goes on: it may still finish and write its files.
                    bar.suspend(|| {
                        eprintln!(
                            "warning: could not write the checkpoint after day {done}: {e}\n  the run goes on; until a checkpoint is written, a crash loses the work since the last one"
                        )
                    });
                }
            }
            last_checkpoint = Instant::now();
            last_progress = Instant::now();
        }
        if root && last_progress.elapsed() > Duration::from_secs(1) {
            // Only a hint for readers: a failure (a full disk) must not
            // stop hours of work that may still be written once space is freed.
            if let Err(e) = writer.write_progress(&Progress { day: done, ..progress }) {
                if !progress_warned {
                    bar.suspend(|| eprintln!("warning: cannot update progress.json: {e}\n  the run goes on"));
                    progress_warned = true;
                }
            }
            last_progress = Instant::now();
        }
    }
    bar.finish_and_clear();
    if stop {
        return Err(interrupted(&sim, &days));
    }

    let writing = self::bar(options.quiet, None);
    writing.set_message("writing the run directory");
    writing.enable_steady_tick(Duration::from_millis(120));
    // A failed write keeps the last checkpoint: say so, so that nothing is lost.
    let write_failed = |e: StoreError| -> CliError {
        let day = scorelab_store::read_checkpoint_info(&plan.out).ok().flatten().map(|c| c.day);
        let e = anyhow::Error::new(e);
        CliError::Failed(match day {
            Some(day) => e.context(format!(
                "the run's files could not be written; its checkpoint after day {day} is kept: once the problem is fixed, resume with `{launch} run --resume {}{mpi_flag}`",
                plan.out.display()
            )),
            None => e.context("the run's files could not be written (the run is incomplete: it has no manifest.json)"),
        })
    };
    // Rank 0's shared files: the others have nothing to write.
    let on_root = |write: &dyn Fn() -> Result<(), StoreError>| -> Result<(), CliError> {
        ranks.agree(if root { write().map_err(write_failed) } else { Ok(()) })
    };
    let check_stop = |sim: &Simulation, days: &[DayMetrics]| -> Result<(), CliError> {
        let mut flag = [u64::from(stop_requested())];
        ranks.sum(&mut flag);
        if flag[0] > 0 {
            writing.finish_and_clear();
            return Err(interrupted(sim, days));
        }
        Ok(())
    };
    let scenario = sim.scenario().clone();
    let spec = sim.histogram_spec();
    on_root(&|| writer.write_daily(&scenario, spec, &days))?;
    check_stop(&sim, &days)?;
    let groups = pool.install(|| sim.groups());
    on_root(&|| writer.write_groups(&groups))?;
    check_stop(&sim, &days)?;
    let every = if cfg.citizens > CITIZENS_FILE_LIMIT { cfg.citizens.div_ceil(CITIZENS_FILE_LIMIT) } else { 1 };
    let citizens = if split {
        let activities: Vec<String> = scenario.activities.iter().map(|a| a.name.clone()).collect();
        writer.write_citizens_part(ranks.rank(), &activities, sim.citizens(every))
    } else {
        writer.write_citizens(&scenario, sim.citizens(every))
    };
    ranks.agree(citizens.map_err(write_failed))?;
    check_stop(&sim, &days)?;
    let totals = sim.totals();
    let last = days.last().ok_or_else(|| bad_input("the run has no days"))?.clone();
    let audit = sim.take_audit();
    on_root(&|| writer.write_audit(&audit))?;
    let mut summary = Summary::build(&scenario, cfg.seed, &totals, &last);
    let baseline_dir = ranks.agree(if root { find_baseline(plan, options.baseline) } else { Ok(None) })?;
    if let Some(dir) = &baseline_dir {
        let base = RunDir::open(dir).input()?.read_summary().input()?;
        summary = summary.with_chilling(&base, &dir.display().to_string());
    }
    on_root(&|| writer.write_summary(&summary))?;
    if !root {
        // Rank 0 writes the manifest once every part is in place.
        ranks.agree(Ok(()))?;
        return Ok(summary);
    }
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
        ranks: ranks.count(),
        tracked: cfg.tracked.clone(),
        histogram: spec,
        histogram_bin_points: scorelab_engine::HISTOGRAM_BIN_POINTS,
        behaviours: scenario.behaviours.iter().map(|b| b.name.clone()).collect(),
        activities: scenario.activities.iter().map(|a| a.name.clone()).collect(),
        grades: scenario.score.grades.iter().map(|g| g.name.clone()).collect(),
        citizens_sampled: every > 1,
        citizens_sample_every: u64::from(every),
        started_unix,
        wall_seconds: elapsed_before + started.elapsed().as_secs_f64(),
        peak_memory_bytes: sys::peak_memory_bytes().unwrap_or(0),
        status: RunStatus::Complete,
        baseline: baseline_dir.map(|d| d.display().to_string()),
    };
    ranks.agree(writer.finish(&manifest).map(|_| ()).map_err(write_failed))?;
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
