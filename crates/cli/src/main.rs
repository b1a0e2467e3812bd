//! `scorelab`: run social credit scenarios on a synthetic population and
//! measure what they do. A thin binary: parsing and printing here, the work
//! in the scenario, engine and store crates.

/// `print!` to standard output that a closed pipe does not turn into a
/// panic (`scorelab compare A B | head`): see [`out::write`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*)) };
}

/// `println!` through [`out!`].
macro_rules! outln {
    () => { $crate::out::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::write(format_args!("{}\n", format_args!($($arg)*))) };
}

mod cmd_bench;
mod cmd_compare;
mod cmd_explain;
mod cmd_run;
mod cmd_scenarios;
mod cmd_serve;
mod cmd_sweep;
mod distributed;
mod error;
mod interrupt;
mod out;
mod report;
mod stats;
mod sys;

use clap::{Parser, Subcommand};
use error::CliError;
use std::path::PathBuf;
use std::process::ExitCode;

/// scorelab: a laboratory for social credit systems.
///
/// It simulates a points score with grades, a court blacklist, rewards and
/// punishments on a synthetic population, and measures who is punished, how
/// many wrongly, and what reaches their children. It is a simulator: no
/// input takes records about real people and no output decides anything
/// about a real person.
#[derive(Debug, Parser)]
#[command(name = "scorelab", version, about, long_about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario on a synthetic population and write a run directory.
    #[command(after_help = "Examples:
  scorelab run                                   # seed-article, 1,000,000 citizens, 365 days, seed 1
  scorelab run court-blacklist --citizens 200000 --days 730 --seed 7
  scorelab run my-policy.toml --out runs/my-policy --track 12,345 --json
  scorelab run --set appeals.win_probability=0.1 --set score.half_life_days=1460 --out runs/harsh
  scorelab run --citizens 100M --checkpoint-every 10m     # Ctrl-C stops cleanly, with a checkpoint
  scorelab run --resume runs/seed-article-1      # continue an interrupted run")]
    Run(cmd_run::RunArgs),
    /// Run a grid of scenario values, each with the same replicate seeds, and
    /// report per-cell means with 95% confidence intervals.
    #[command(after_help = "Examples:
  scorelab sweep seed-article --set appeals.win_probability=0.1,0.5,0.9 --replicates 5 --citizens 100000
  scorelab sweep seed-article --set score.half_life_days=365,730 --set behaviours.fake_news_post.points=-30,-100 \\
      --replicates 10 --out runs/sweep-memory --jobs 2
  scorelab compare runs/sweep-memory/half_life_days=365,points=-30 runs/sweep-memory/half_life_days=730,points=-30
  (rerun the same command after an interruption: complete runs are kept; sweep.parquet has one row per run)")]
    Sweep(cmd_sweep::SweepArgs),
    /// Tell the story of one citizen of a run, day by day.
    #[command(after_help = "Examples:
  scorelab explain runs/seed-article-1 --citizen 4242
  scorelab explain runs/seed-article-1 --citizen 17 --json")]
    Explain(cmd_explain::ExplainArgs),
    /// Compare the headline figures of two runs (and the chilling effect
    /// when one is the other's baseline).
    #[command(after_help = "Examples:
  scorelab run seed-article --seed 3 && scorelab run baseline --seed 3
  scorelab compare runs/seed-article-3 runs/baseline-3")]
    Compare(cmd_compare::CompareArgs),
    /// List the built-in scenarios, or print one as TOML.
    #[command(after_help = "Examples:
  scorelab scenarios
  scorelab scenarios show court-blacklist > my-policy.toml")]
    Scenarios(cmd_scenarios::ScenariosArgs),
    /// Validate a scenario file (or a built-in name).
    #[command(after_help = "Examples:
  scorelab check my-policy.toml
  scorelab check my-policy.toml --json")]
    Check(cmd_scenarios::CheckArgs),
    /// Time the standard workloads: population, day loop, friends' term;
    /// with --mpi, strong and weak scaling over MPI ranks.
    #[command(after_help = "Examples:
  scorelab bench                                 # 1,000,000 citizens, 60 days, all cores
  scorelab bench --citizens 10M --days 30 --threads 2 --json
  scorelab bench --mpi --citizens 1M --days 30   # K = 1..4 ranks via mpirun: 1M in all, and 1M per rank
  scorelab bench --mpi --ranks 1,2 --threads 1 --json
  (--mpi needs `cargo build --release --features mpi` and Open MPI, scripts/install-mpi.sh; docs/DISTRIBUTED.md)")]
    Bench(cmd_bench::BenchArgs),
    /// Serve the dashboard over a folder of runs (read-only, this machine only by default).
    #[command(after_help = "Examples:
  scorelab serve                                 # the runs in ./runs, at http://127.0.0.1:8000/
  scorelab serve /data/runs --port 8080
  scorelab serve runs --port 0                   # any free port, printed at start")]
    Serve(cmd_serve::ServeArgs),
    /// Write a run's population page as one self-contained HTML file.
    #[command(after_help = "Examples:
  scorelab report runs/seed-article-1            # writes seed-article-1-report.html
  scorelab report runs/seed-article-1 --out /tmp/report.html")]
    Report(cmd_serve::ReportArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with success; usage
            // errors to stderr, which are bad input.
            let code = if e.use_stderr() { error::EXIT_BAD_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result: Result<(), CliError> = match cli.command {
        Command::Run(args) => cmd_run::run(args),
        Command::Sweep(args) => cmd_sweep::sweep(args),
        Command::Explain(args) => cmd_explain::explain(args),
        Command::Compare(args) => cmd_compare::compare(args),
        Command::Scenarios(args) => cmd_scenarios::scenarios(args),
        Command::Check(args) => cmd_scenarios::check(args),
        Command::Bench(args) => cmd_bench::bench(args),
        Command::Serve(args) => cmd_serve::serve(args),
        Command::Report(args) => cmd_serve::report(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error::report(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// The default folder for runs.
pub fn default_runs_dir() -> PathBuf {
    PathBuf::from("runs")
}
