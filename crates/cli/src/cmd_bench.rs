//! `scorelab bench`: the standard workloads, timed.
//!
//! Wall-clock measurements belong here and in the micro-benchmarks
//! (`cargo bench -p scorelab-engine`), never in tests.
//!
//! `scorelab bench --mpi` measures a run split over MPI ranks
//! (docs/DISTRIBUTED.md): it launches `mpirun -n K` on this binary's hidden
//! `bench --mpi-rank` mode for each K, once with the citizens fixed in all
//! (strong scaling) and once with them fixed per rank (weak scaling), and
//! tabulates what rank 0 of each job prints.

use crate::distributed::Ranks;
use crate::error::{bad_input, Blame, CliError};
use crate::report::{count, si};
use crate::sys;
use clap::Args;
use rayon::prelude::*;
use scorelab_engine::comm::{Comm, Counted};
use scorelab_engine::{RunConfig, Simulation};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Citizens in the benchmark population (e.g. 1000000, 10M).
    #[arg(long, default_value_t = 1_000_000, value_parser = crate::cmd_run::parse_count)]
    pub citizens: u32,
    /// Days of the day-loop workload.
    #[arg(long, default_value_t = 60)]
    pub days: u32,
    /// Worker threads (default: all cores; with --mpi, threads per rank,
    /// default 1).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Scenario to benchmark.
    #[arg(long, default_value = "seed-article")]
    pub scenario: String,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Measure runs split over MPI ranks: strong scaling (--citizens in
    /// all) and weak scaling (--citizens per rank) for each of --ranks,
    /// each launched with `mpirun -n K` (needs a build with the `mpi`
    /// feature and Open MPI; run it without mpirun).
    #[arg(long, conflicts_with = "mpi_rank")]
    pub mpi: bool,
    /// Rank counts to measure with --mpi, e.g. 1,2,3,4.
    #[arg(long, value_delimiter = ',', value_name = "K,K,...")]
    pub ranks: Option<Vec<usize>>,
    /// One rank of a `bench --mpi` measurement: started by `bench --mpi`
    /// under mpirun; rank 0 prints its job's figures as one JSON line.
    #[arg(long, hide = true)]
    pub mpi_rank: bool,
}

#[derive(Debug, Serialize)]
struct Workload {
    name: &'static str,
    seconds: f64,
    /// Citizens per second (population) or citizen-days per second (loops).
    rate: f64,
    unit: &'static str,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    scenario: String,
    citizens: u32,
    days: u32,
    threads: usize,
    cores: usize,
    memory_total_bytes: Option<u64>,
    git_commit: &'static str,
    version: &'static str,
    /// State bytes per citizen, friend links included.
    bytes_per_citizen: f64,
    friend_links_per_citizen: f64,
    peak_memory_bytes: Option<u64>,
    /// Memory read bandwidth measured on the same threads (bytes/s): the
    /// physical limit the day loop is compared with (docs/PERFORMANCE.md).
    memory_read_bytes_per_second: f64,
    workloads: Vec<Workload>,
}

/// Bytes of the buffer streamed to measure the memory read bandwidth: far
/// larger than any cache.
const BANDWIDTH_BUFFER_BYTES: usize = 512 << 20;

/// Memory read bandwidth in bytes per second: the best of a few parallel
/// sums over a 512 MiB buffer (the sum is vectorised, so memory is the limit).
fn read_bandwidth(pool: &rayon::ThreadPool) -> f64 {
    let words = vec![1u64; BANDWIDTH_BUFFER_BYTES / 8];
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        let sum: u64 =
            pool.install(|| words.par_chunks(1 << 16).map(|c| c.iter().copied().fold(0u64, u64::wrapping_add)).sum());
        best = best.min(start.elapsed().as_secs_f64());
        // Every word is 1: a sum that is not the length means the loop was not run.
        debug_assert_eq!(sum, words.len() as u64);
        std::hint::black_box(sum);
    }
    BANDWIDTH_BUFFER_BYTES as f64 / best
}

fn memory_total() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = text.lines().find(|l| l.starts_with("MemTotal:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub fn bench(args: BenchArgs) -> Result<(), CliError> {
    if args.mpi_rank {
        return bench_rank(&args);
    }
    if args.mpi {
        return bench_mpi(&args);
    }
    if args.ranks.is_some() {
        return Err(bad_input("--ranks: only with --mpi (e.g. `scorelab bench --mpi --ranks 1,2`)"));
    }
    if args.days == 0 || args.days > scorelab_engine::MAX_DAYS {
        return Err(bad_input(format!("--days {}: must be between 1 and {}", args.days, scorelab_engine::MAX_DAYS)));
    }
    if args.citizens == 0 {
        return Err(bad_input("--citizens 0: must be at least 1"));
    }
    let scenario = scorelab_scenario::load(&args.scenario).input()?;
    let threads = args.threads.unwrap_or_else(sys::cores);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().failed()?;
    let config = RunConfig { citizens: args.citizens, days: args.days, seed: args.seed, tracked: Vec::new() };
    let n = f64::from(args.citizens);
    let mut workloads = Vec::new();
    if !args.json {
        eprintln!("benchmarking {} at {} citizens on {threads} threads...", scenario.name, count(args.citizens.into()));
    }

    let start = Instant::now();
    let mut sim = pool.install(|| Simulation::new(&scenario, config)).input()?;
    let secs = start.elapsed().as_secs_f64();
    workloads.push(Workload {
        name: "population and friends graph",
        seconds: secs,
        rate: n / secs,
        unit: "citizens/s",
    });

    let start = Instant::now();
    while !sim.is_done() {
        pool.install(|| sim.step());
    }
    let secs = start.elapsed().as_secs_f64();
    let cd = n * f64::from(args.days);
    workloads.push(Workload {
        name: "day loop (metrics included)",
        seconds: secs,
        rate: cd / secs,
        unit: "citizen-days/s",
    });

    let bytes = sim.state_bytes() as f64 / n;
    let links = sim.friend_links() as f64 / n;
    let reps = 5;
    let start = Instant::now();
    for _ in 0..reps {
        pool.install(|| sim.benchmark_friends_term());
    }
    let secs = start.elapsed().as_secs_f64() / f64::from(reps);
    workloads.push(Workload { name: "weekly friends' term", seconds: secs, rate: n / secs, unit: "citizens/s" });

    // Peak memory before the bandwidth buffer is allocated.
    let peak_memory_bytes = sys::peak_memory_bytes();
    let bandwidth = read_bandwidth(&pool);
    let report = BenchReport {
        scenario: scenario.name.clone(),
        citizens: args.citizens,
        days: args.days,
        threads,
        cores: sys::cores(),
        memory_total_bytes: memory_total(),
        git_commit: env!("SCORELAB_GIT_COMMIT"),
        version: env!("CARGO_PKG_VERSION"),
        bytes_per_citizen: bytes,
        friend_links_per_citizen: links,
        peak_memory_bytes,
        memory_read_bytes_per_second: bandwidth,
        workloads,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report).failed()?);
    } else {
        outln!(
            "scorelab {} ({}), {} on {} citizens, {} threads; machine: {} cores, {} memory",
            report.version,
            report.git_commit,
            report.scenario,
            count(report.citizens.into()),
            report.threads,
            report.cores,
            report.memory_total_bytes.map(sys::human_bytes).unwrap_or_else(|| "?".into())
        );
        outln!("  {:<32} {:>10} {:>16}", "workload", "seconds", "rate");
        for w in &report.workloads {
            outln!("  {:<32} {:>10.3} {:>9} {}", w.name, w.seconds, si(w.rate), w.unit);
        }
        outln!(
            "  state: {:.1} bytes per citizen ({:.2} friend links each); peak memory {}",
            report.bytes_per_citizen,
            report.friend_links_per_citizen,
            report.peak_memory_bytes.map(sys::human_bytes).unwrap_or_else(|| "?".into())
        );
        outln!(
            "  memory read bandwidth on {} threads: {:.1} GB/s",
            report.threads,
            report.memory_read_bytes_per_second / 1e9
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// `bench --mpi`: the driver, and the ranks it launches with mpirun.

/// Rank counts `bench --mpi` measures by default.
const DEFAULT_RANKS: [usize; 4] = [1, 2, 3, 4];

/// Most ranks `bench --mpi` launches on this machine.
const MAX_BENCH_RANKS: usize = 64;

/// Lines of a failed mpirun's error output shown.
const TAIL_LINES: usize = 20;

/// What one rank of a `bench --mpi-rank` job measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RankFigures {
    citizens: u32,
    population_seconds: f64,
    day_loop_seconds: f64,
    /// Bytes sent to other ranks while generating the population (once).
    population_bytes_sent: u64,
    /// Bytes passed to sums while generating the population (once).
    population_bytes_summed: u64,
    /// Bytes sent to other ranks by all-to-all exchanges in the day loop.
    day_loop_bytes_sent: u64,
    /// Bytes passed to sums in the day loop.
    day_loop_bytes_summed: u64,
    /// Bytes sent to other ranks on each day of the loop.
    bytes_sent_by_day: Vec<u64>,
    /// Seconds of each day of the loop.
    seconds_by_day: Vec<f64>,
    peak_memory_bytes: Option<u64>,
    state_bytes: u64,
    friend_links: u64,
}

/// Slots of [`RankFigures`] before its figures by day, when packed into words.
const FIXED_WORDS: usize = 10;

impl RankFigures {
    /// The figures as words (seconds as their bits), for a sum that
    /// gathers every rank's words in its own slots.
    fn to_words(&self) -> Vec<u64> {
        let mut words = vec![
            u64::from(self.citizens),
            self.population_seconds.to_bits(),
            self.day_loop_seconds.to_bits(),
            self.population_bytes_sent,
            self.population_bytes_summed,
            self.day_loop_bytes_sent,
            self.day_loop_bytes_summed,
            self.peak_memory_bytes.unwrap_or(0),
            self.state_bytes,
            self.friend_links,
        ];
        debug_assert_eq!(words.len(), FIXED_WORDS);
        words.extend_from_slice(&self.bytes_sent_by_day);
        words.extend(self.seconds_by_day.iter().map(|s| s.to_bits()));
        words
    }

    /// The inverse of [`RankFigures::to_words`] for a run of `days` days.
    fn from_words(w: &[u64], days: usize) -> RankFigures {
        let by_day = &w[FIXED_WORDS..];
        RankFigures {
            citizens: u32::try_from(w[0]).unwrap_or(u32::MAX),
            population_seconds: f64::from_bits(w[1]),
            day_loop_seconds: f64::from_bits(w[2]),
            population_bytes_sent: w[3],
            population_bytes_summed: w[4],
            day_loop_bytes_sent: w[5],
            day_loop_bytes_summed: w[6],
            peak_memory_bytes: (w[7] > 0).then_some(w[7]),
            state_bytes: w[8],
            friend_links: w[9],
            bytes_sent_by_day: by_day[..days].to_vec(),
            seconds_by_day: by_day[days..].iter().map(|&b| f64::from_bits(b)).collect(),
        }
    }
}

/// What rank 0 of a `bench --mpi-rank` job prints, as one JSON line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct JobFigures {
    ranks: usize,
    citizens: u32,
    days: u32,
    threads_per_rank: usize,
    /// Rank 0 first.
    per_rank: Vec<RankFigures>,
}

/// The run's communicator as a [`Comm`] value, so that [`Counted`] can wrap it.
struct Shared(Arc<dyn Comm>);

impl Comm for Shared {
    fn rank(&self) -> usize {
        self.0.rank()
    }
    fn ranks(&self) -> usize {
        self.0.ranks()
    }
    fn sum(&self, values: &mut [u64]) {
        self.0.sum(values);
    }
    fn exchange(&self, outgoing: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
        self.0.exchange(outgoing)
    }
}

/// `bench --mpi-rank`: one rank of a job started by [`bench_mpi`] under
/// mpirun. Generates this rank's part of the population and runs the days,
/// counting what it sends to other ranks; rank 0 prints every rank's
/// figures as one JSON line.
fn bench_rank(args: &BenchArgs) -> Result<(), CliError> {
    let ranks = Ranks::mpi()?;
    // Every rank reads the same input; rank 0 reports what is wrong with it.
    let root_speaks = |e: CliError| match e {
        CliError::Input(_) if !ranks.is_root() => CliError::Silent(e.exit_code()),
        e => e,
    };
    let prepared = scorelab_scenario::load(&args.scenario).input().and_then(|scenario| {
        let threads = args.threads.unwrap_or(1);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().failed()?;
        Ok((scenario, threads, pool))
    });
    let (scenario, threads, pool) = ranks.agree(prepared).map_err(root_speaks)?;

    let comm = ranks.comm.clone();
    let counted = Arc::new(Counted::new(Shared(comm.clone())));
    let part_comm: Arc<dyn Comm> = counted.clone();
    // Ranks start when mpirun gets to them: each timed section starts together.
    let together = || comm.sum(&mut [0]);
    let config = RunConfig { citizens: args.citizens, days: args.days, seed: args.seed, tracked: Vec::new() };
    together();
    let start = Instant::now();
    // A bad size is bad on every rank alike, found before any collective.
    let mut sim = pool.install(|| Simulation::new_part(&scenario, config, part_comm)).input().map_err(root_speaks)?;
    let population_seconds = start.elapsed().as_secs_f64();
    let (population_bytes_sent, population_bytes_summed) = (counted.exchanged_bytes(), counted.summed_bytes());

    together();
    let mut bytes_sent_by_day = Vec::with_capacity(args.days as usize);
    let mut seconds_by_day = Vec::with_capacity(args.days as usize);
    let mut sent = population_bytes_sent;
    let start = Instant::now();
    while !sim.is_done() {
        let day_start = Instant::now();
        pool.install(|| sim.step());
        seconds_by_day.push(day_start.elapsed().as_secs_f64());
        let now = counted.exchanged_bytes();
        bytes_sent_by_day.push(now - sent);
        sent = now;
    }
    let day_loop_seconds = start.elapsed().as_secs_f64();

    let mine = RankFigures {
        citizens: sim.part().len,
        population_seconds,
        day_loop_seconds,
        population_bytes_sent,
        population_bytes_summed,
        day_loop_bytes_sent: counted.exchanged_bytes() - population_bytes_sent,
        day_loop_bytes_summed: counted.summed_bytes() - population_bytes_summed,
        bytes_sent_by_day,
        seconds_by_day,
        peak_memory_bytes: sys::peak_memory_bytes(),
        state_bytes: sim.state_bytes(),
        friend_links: sim.friend_links(),
    };
    // Every rank's words in its own slots; the sum gathers them.
    let words = mine.to_words();
    let width = words.len();
    let mut all = vec![0u64; width * ranks.count()];
    all[ranks.rank() * width..][..width].copy_from_slice(&words);
    comm.sum(&mut all);
    if ranks.is_root() {
        let job = JobFigures {
            ranks: ranks.count(),
            citizens: args.citizens,
            days: args.days,
            threads_per_rank: threads,
            per_rank: all.chunks_exact(width).map(|w| RankFigures::from_words(w, args.days as usize)).collect(),
        };
        outln!("{}", serde_json::to_string(&job).failed()?);
    }
    Ok(())
}

/// One table of `bench --mpi`.
#[derive(Debug, Serialize)]
struct Scaling {
    /// `strong`: the citizens in all are fixed; `weak`: the citizens per rank.
    kind: &'static str,
    /// Citizens in all (strong) or per rank (weak).
    citizens: u32,
    /// The rank count that speed-up and efficiency are relative to (the smallest measured).
    baseline_ranks: usize,
    rows: Vec<ScalingRow>,
}

/// One rank count of a scaling table. Seconds are those of the slowest
/// rank (the steps are collective, so all finish nearly together).
#[derive(Debug, Serialize)]
struct ScalingRow {
    ranks: usize,
    citizens: u32,
    citizens_per_rank: f64,
    /// More threads in all (ranks × threads per rank) than cores.
    oversubscribed: bool,
    population_seconds: f64,
    day_loop_seconds: f64,
    citizen_days_per_second: f64,
    /// Citizen-days per second over those of the baseline rank count.
    speed_up: f64,
    /// Citizen-days per second per rank over those of the baseline.
    efficiency: f64,
    /// Bytes a rank sends to other ranks per day of the loop, mean over ranks.
    bytes_sent_per_rank_per_day: f64,
    /// The same, for the rank that sends most.
    bytes_sent_per_rank_per_day_max: f64,
    /// Bytes a rank passes to sums per day of the loop (the day's figures), mean over ranks.
    bytes_summed_per_rank_per_day: f64,
    /// Bytes a rank sends to other ranks while generating the population, mean over ranks.
    population_bytes_sent_per_rank: f64,
    /// Peak resident memory of the largest rank.
    peak_memory_bytes_per_rank: Option<u64>,
    /// State bytes (columns and friend links) per citizen.
    state_bytes_per_citizen: f64,
    /// Bytes sent per rank on each day of the loop, mean over ranks.
    bytes_sent_per_rank_by_day: Vec<f64>,
    /// Seconds of each day of the loop, of the slowest rank (friends' days
    /// and school-enrolment days cost more than the others).
    seconds_by_day: Vec<f64>,
    per_rank: Vec<RankFigures>,
}

impl ScalingRow {
    fn of(job: &JobFigures, threads: usize, cores: usize) -> ScalingRow {
        let k = job.ranks as f64;
        let days = f64::from(job.days);
        let ranks = &job.per_rank;
        let slowest = |f: fn(&RankFigures) -> f64| ranks.iter().map(f).fold(0.0, f64::max);
        let mean = |f: fn(&RankFigures) -> f64| ranks.iter().map(f).sum::<f64>() / k;
        let day_loop_seconds = slowest(|r| r.day_loop_seconds);
        let state: u64 = ranks.iter().map(|r| r.state_bytes).sum();
        ScalingRow {
            ranks: job.ranks,
            citizens: job.citizens,
            citizens_per_rank: f64::from(job.citizens) / k,
            oversubscribed: job.ranks * threads > cores,
            population_seconds: slowest(|r| r.population_seconds),
            day_loop_seconds,
            citizen_days_per_second: f64::from(job.citizens) * days / day_loop_seconds,
            speed_up: 1.0,
            efficiency: 1.0,
            bytes_sent_per_rank_per_day: mean(|r| r.day_loop_bytes_sent as f64) / days,
            bytes_sent_per_rank_per_day_max: slowest(|r| r.day_loop_bytes_sent as f64) / days,
            bytes_summed_per_rank_per_day: mean(|r| r.day_loop_bytes_summed as f64) / days,
            population_bytes_sent_per_rank: mean(|r| r.population_bytes_sent as f64),
            peak_memory_bytes_per_rank: ranks.iter().filter_map(|r| r.peak_memory_bytes).max(),
            state_bytes_per_citizen: state as f64 / f64::from(job.citizens),
            bytes_sent_per_rank_by_day: (0..job.days as usize)
                .map(|d| ranks.iter().map(|r| r.bytes_sent_by_day.get(d).copied().unwrap_or(0) as f64).sum::<f64>() / k)
                .collect(),
            seconds_by_day: (0..job.days as usize)
                .map(|d| ranks.iter().map(|r| r.seconds_by_day.get(d).copied().unwrap_or(0.0)).fold(0.0, f64::max))
                .collect(),
            per_rank: job.per_rank.clone(),
        }
    }
}

impl Scaling {
    fn new(kind: &'static str, citizens: u32, jobs: &[JobFigures], threads: usize, cores: usize) -> Scaling {
        let mut rows: Vec<ScalingRow> = jobs.iter().map(|j| ScalingRow::of(j, threads, cores)).collect();
        let (base_ranks, base_rate) = rows.first().map_or((1, 1.0), |r| (r.ranks, r.citizen_days_per_second));
        for row in &mut rows {
            row.speed_up = row.citizen_days_per_second / base_rate;
            row.efficiency = row.speed_up * base_ranks as f64 / row.ranks as f64;
        }
        Scaling { kind, citizens, baseline_ranks: base_ranks, rows }
    }
}

/// The report of `bench --mpi`.
#[derive(Debug, Serialize)]
struct MpiBenchReport {
    scenario: String,
    days: u32,
    seed: u64,
    threads_per_rank: usize,
    cores: usize,
    memory_total_bytes: Option<u64>,
    git_commit: &'static str,
    version: &'static str,
    /// The first line of `mpirun --version`.
    mpirun: String,
    strong: Scaling,
    weak: Scaling,
}

/// Whether this process was itself started by an MPI launcher.
fn under_mpi_launcher() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"].iter().any(|v| std::env::var_os(v).is_some())
}

/// The first line of `mpirun --version`; mpirun missing is bad input (how
/// to install it is the fix).
fn mpirun_version() -> Result<String, CliError> {
    let out = Command::new("mpirun")
        .arg("--version")
        .stdin(Stdio::null())
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(bad_input(
            "--mpi: `mpirun` is not on PATH; install Open MPI with `scripts/install-mpi.sh` (or put the bin folder of \
             the MPI that scorelab was built with on PATH), then rerun",
        )),
        Err(e) => Err(CliError::Failed(anyhow::anyhow!("--mpi: cannot start `mpirun --version`: {e}"))),
        Ok(out) => {
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            Ok(text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("mpirun (unknown version)").to_string())
        }
    }
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Launches one job: `mpirun -n K` of this binary's `bench --mpi-rank`.
fn launch(
    exe: &Path,
    open_mpi: bool,
    ranks: usize,
    citizens: u32,
    threads: usize,
    args: &BenchArgs,
) -> Result<JobFigures, CliError> {
    let rank_args = [
        "bench".to_string(),
        "--mpi-rank".into(),
        "--citizens".into(),
        citizens.to_string(),
        "--days".into(),
        args.days.to_string(),
        "--threads".into(),
        threads.to_string(),
        "--scenario".into(),
        args.scenario.clone(),
        "--seed".into(),
        args.seed.to_string(),
    ];
    // Open MPI: more ranks than cores is allowed, and no rank is bound to
    // a core (its threads, and ranks beyond the cores, go where the OS puts
    // them). Other launchers (MPICH's) allow both by default.
    let placement: &[&str] = if open_mpi { &["--oversubscribe", "--bind-to", "none"] } else { &[] };
    let shown = format!(
        "mpirun {}{}-n {ranks} {} {}",
        placement.join(" "),
        if placement.is_empty() { "" } else { " " },
        exe.display(),
        rank_args.join(" ")
    );
    let out = Command::new("mpirun")
        .args(placement)
        .arg("-n")
        .arg(ranks.to_string())
        .arg(exe)
        .args(&rank_args)
        .stdin(Stdio::null())
        // Open MPI refuses to start as root without these; harmless otherwise.
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .map_err(|e| CliError::Failed(anyhow::anyhow!("cannot start `{shown}`: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let text = if stderr.trim().is_empty() { stdout.clone() } else { stderr };
        return Err(CliError::Failed(anyhow::anyhow!(
            "`{shown}` failed ({}); the end of its output:\n{}",
            out.status,
            tail(&text, TAIL_LINES)
        )));
    }
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).ok_or_else(|| {
        CliError::Failed(anyhow::anyhow!(
            "`{shown}` printed no figures; the end of its output:\n{}",
            tail(&stdout, TAIL_LINES)
        ))
    })?;
    let job: JobFigures = serde_json::from_str(line)
        .map_err(|e| CliError::Failed(anyhow::anyhow!("`{shown}` printed figures that do not parse ({e}): {line}")))?;
    if job.ranks != ranks || job.per_rank.len() != ranks {
        return Err(CliError::Failed(anyhow::anyhow!(
            "`{shown}` ran as {} ranks, not {ranks}: is this `mpirun` the launcher of the MPI library scorelab was \
             built with? (`mpirun --version`, scripts/install-mpi.sh)",
            job.ranks
        )));
    }
    Ok(job)
}

/// `bench --mpi`: strong and weak scaling over MPI ranks on this machine.
fn bench_mpi(args: &BenchArgs) -> Result<(), CliError> {
    let mut ks = args.ranks.clone().unwrap_or_else(|| DEFAULT_RANKS.to_vec());
    let list = ks.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
    if ks.is_empty() || ks.iter().any(|&k| k == 0 || k > MAX_BENCH_RANKS) {
        return Err(bad_input(format!(
            "--ranks {list}: each rank count must be between 1 and {MAX_BENCH_RANKS} (e.g. --ranks 1,2,3,4)"
        )));
    }
    ks.sort_unstable();
    ks.dedup();
    let kmax = ks[ks.len() - 1];
    let threads = args.threads.unwrap_or(1);
    if threads == 0 {
        return Err(bad_input("--threads 0: each rank needs at least 1 thread"));
    }
    if args.days == 0 || args.days > scorelab_engine::MAX_DAYS {
        return Err(bad_input(format!("--days {}: must be between 1 and {}", args.days, scorelab_engine::MAX_DAYS)));
    }
    let n = args.citizens;
    if (n as usize) < kmax {
        return Err(bad_input(format!(
            "--citizens {n}: strong scaling splits them over up to {kmax} ranks, so at least {kmax} are needed"
        )));
    }
    let largest = u64::from(u32::MAX - 1) / kmax as u64;
    if u64::from(n) > largest {
        return Err(bad_input(format!(
            "--citizens {n}: weak scaling runs {n} citizens per rank on {kmax} ranks, more than the {} a run can \
             hold; at most {largest} per rank with --ranks {list}",
            u32::MAX - 1
        )));
    }
    if under_mpi_launcher() {
        return Err(bad_input(
            "bench --mpi launches mpirun itself: run `scorelab bench --mpi` without mpirun (for a run over MPI \
             ranks use `mpirun -n K scorelab run ... --mpi`)",
        ));
    }
    if !cfg!(feature = "mpi") {
        return Err(bad_input(
            "--mpi: this scorelab was built without MPI; build it with `scripts/install-mpi.sh && cargo build \
             --release --features mpi` and run `target/release/scorelab bench --mpi` (docs/DISTRIBUTED.md)",
        ));
    }
    let scenario = scorelab_scenario::load(&args.scenario).input()?;
    if args.days <= scenario.burn_in_days {
        return Err(bad_input(format!(
            "--days {}: {} has a burn-in of {} days; measure more days than that",
            args.days, scenario.name, scenario.burn_in_days
        )));
    }
    // The weak-scaling job at the most ranks holds the most: kmax ranks of n each.
    let need = |per_rank: u32| scorelab_engine::estimate_memory(&scenario, per_rank).saturating_mul(kmax as u64);
    if let Some(available) = sys::available_memory_bytes() {
        if need(n) > available {
            let (mut lo, mut hi) = (0u32, n);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if need(mid) <= available {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return Err(bad_input(format!(
                "--citizens {n}: weak scaling on {kmax} ranks needs about {} of memory, {} is available; at most \
                 --citizens {lo} would fit (or measure fewer --ranks)",
                sys::human_bytes(need(n)),
                sys::human_bytes(available)
            )));
        }
    }
    let mpirun = mpirun_version()?;
    let open_mpi = mpirun.contains("Open MPI");
    let exe = std::env::current_exe().failed()?;
    let cores = sys::cores();

    let mut strong = Vec::new();
    let mut weak = Vec::new();
    for &k in &ks {
        let mut jobs = vec![("strong", n)];
        // One rank holds n citizens in both tables: the same job.
        if k > 1 {
            jobs.push(("weak", n * k as u32));
        }
        for (kind, citizens) in jobs {
            if !args.json {
                eprintln!(
                    "{kind} scaling: {} citizens on {k} rank{} × {threads} thread{}, {} days...",
                    count(citizens.into()),
                    if k == 1 { "" } else { "s" },
                    if threads == 1 { "" } else { "s" },
                    args.days
                );
            }
            let job = launch(&exe, open_mpi, k, citizens, threads, args)?;
            if k == 1 {
                weak.push(job.clone());
            }
            if kind == "strong" {
                strong.push(job);
            } else {
                weak.push(job);
            }
        }
    }
    let report = MpiBenchReport {
        scenario: scenario.name.clone(),
        days: args.days,
        seed: args.seed,
        threads_per_rank: threads,
        cores,
        memory_total_bytes: memory_total(),
        git_commit: env!("SCORELAB_GIT_COMMIT"),
        version: env!("CARGO_PKG_VERSION"),
        mpirun,
        strong: Scaling::new("strong", n, &strong, threads, cores),
        weak: Scaling::new("weak", n, &weak, threads, cores),
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report).failed()?);
    } else {
        print_mpi(&report);
    }
    Ok(())
}

fn print_mpi(r: &MpiBenchReport) {
    let plural = |n: usize, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    outln!(
        "scorelab {} ({}), {}, {} days, {} per rank; machine: {} cores, {} memory; {}",
        r.version,
        r.git_commit,
        r.scenario,
        r.days,
        plural(r.threads_per_rank, "thread"),
        r.cores,
        r.memory_total_bytes.map(sys::human_bytes).unwrap_or_else(|| "?".into()),
        r.mpirun
    );
    for table in [&r.strong, &r.weak] {
        outln!();
        if table.kind == "strong" {
            outln!("Strong scaling: {} citizens in all", count(table.citizens.into()));
        } else {
            outln!("Weak scaling: {} citizens per rank", count(table.citizens.into()));
        }
        outln!(
            "  {:>6} {:>13} {:>11} {:>12} {:>10} {:>14} {:>8} {:>10} {:>13} {:>10}",
            "ranks",
            "citizens",
            "per rank",
            "population s",
            "day loop s",
            "citizen-days/s",
            "speed-up",
            "efficiency",
            "sent/rank/day",
            "peak/rank"
        );
        for row in &table.rows {
            outln!(
                "  {:>6} {:>13} {:>11} {:>12.2} {:>10.2} {:>14} {:>8.2} {:>9.0}% {:>13} {:>10}",
                format!("{}{}", row.ranks, if row.oversubscribed { "*" } else { "" }),
                count(row.citizens.into()),
                count(row.citizens_per_rank.round() as u64),
                row.population_seconds,
                row.day_loop_seconds,
                si(row.citizen_days_per_second),
                row.speed_up,
                row.efficiency * 100.0,
                sys::human_bytes(row.bytes_sent_per_rank_per_day.round() as u64),
                row.peak_memory_bytes_per_rank.map(sys::human_bytes).unwrap_or_else(|| "?".into())
            );
        }
    }
    let base = plural(r.strong.baseline_ranks, "rank");
    outln!();
    outln!("speed-up: citizen-days/s over those of {base}; efficiency: the same per rank.");
    outln!("sent/rank/day: bytes a rank sends to other ranks per day of the loop (mean over ranks).");
    if let Some(row) = r.weak.rows.iter().rfind(|row| row.ranks > 1) {
        outln!(
            "At {} ranks (weak) a rank also passes {} a day to sums (the day's figures), and sent {} once while \
             the population was generated.",
            row.ranks,
            sys::human_bytes(row.bytes_summed_per_rank_per_day.round() as u64),
            sys::human_bytes(row.population_bytes_sent_per_rank.round() as u64)
        );
    }
    if r.strong.rows.iter().chain(&r.weak.rows).any(|row| row.oversubscribed) {
        outln!(
            "* more threads (ranks × {}) than the {} cores: the ranks take turns on the cores, so these rows show \
             the cost of splitting the run, not more speed (at most {}× here).",
            plural(r.threads_per_rank, "thread"),
            r.cores,
            (r.cores / r.threads_per_rank).max(1)
        );
    }
}
