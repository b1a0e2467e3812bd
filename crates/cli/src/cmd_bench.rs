//! `scorelab bench`: the standard workloads, timed.
//!
//! Wall-clock measurements belong here and in the micro-benchmarks
//! (`cargo bench -p scorelab-engine`), never in tests.

use crate::error::{bad_input, Blame, CliError};
use crate::report::{count, si};
use crate::sys;
use clap::Args;
use rayon::prelude::*;
use scorelab_engine::{RunConfig, Simulation};
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Citizens in the benchmark population (e.g. 1000000, 10M).
    #[arg(long, default_value_t = 1_000_000, value_parser = crate::cmd_run::parse_count)]
    pub citizens: u32,
    /// Days of the day-loop workload.
    #[arg(long, default_value_t = 60)]
    pub days: u32,
    /// Worker threads (default: all cores).
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
