//! Support for fuzzing the readers (the `fuzz/` workspace) and for the
//! regression tests that replay what the fuzzers found: a small valid run
//! directory to damage, and one call that reads everything in a folder the
//! way `explain`, `compare` and `--resume` do. Not part of the stable API.

use std::fs;
use std::path::Path;

use scorelab_engine::{RunConfig, Simulation};

use crate::checkpoint::{open_checkpoint, read_checkpoint_info, CheckpointInfo};
use crate::manifest::{files, Manifest, Progress, RunStatus, FORMAT_VERSION};
use crate::reader::{read_progress, RunDir};
use crate::summary::Summary;
use crate::writer::RunWriter;

/// The files a fuzz input may replace, by the input's first byte (modulo
/// the count): the run's files, then the checkpoint's.
pub const FILES: [&str; 9] = [
    files::MANIFEST,
    files::PROGRESS,
    files::DAILY,
    files::GROUPS,
    files::CITIZENS,
    files::AUDIT,
    files::SUMMARY,
    "checkpoint.json",
    "checkpoint.bin",
];

/// The scenario of the template run.
pub const SCENARIO: &str = "court-blacklist";

/// Writes a small complete run (court-blacklist, 400 citizens, 6 days after
/// its burn-in, tracked 0..8) into `dir`, plus a checkpoint after day 3 and a progress
/// file, so that every reader has a valid file to start from.
pub fn write_template(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let scenario = scorelab_scenario::load_builtin(SCENARIO)?;
    let toml = scorelab_scenario::resolved_toml(SCENARIO)?;
    let config = RunConfig { citizens: 400, days: scenario.burn_in_days + 6, seed: 3, tracked: (0..8).collect() };
    let mut sim = Simulation::new(&scenario, config.clone())?;
    let writer = RunWriter::create(dir, true)?;
    let mut days = Vec::new();
    for _ in 0..3 {
        days.push(sim.step());
    }
    let info = CheckpointInfo {
        checkpoint_format: scorelab_engine::checkpoint::VERSION,
        day: 0,
        days: config.days,
        scenario: scenario.name.clone(),
        seed: config.seed,
        citizens: u64::from(config.citizens),
        bytes: 0,
        scorelab_version: "fuzz".into(),
        git_commit: "unknown".into(),
        started_unix: 0,
        elapsed_seconds: 0.0,
        ranks: 1,
    };
    // Kept aside: `finish` removes the checkpoint of a complete run.
    writer.write_checkpoint(&sim, &days, "fuzz", &toml, &info)?;
    let bin = fs::read(dir.join("checkpoint.bin"))?;
    let json = fs::read(dir.join("checkpoint.json"))?;
    while !sim.is_done() {
        days.push(sim.step());
    }
    let spec = sim.histogram_spec();
    writer.write_daily(&scenario, spec, &days)?;
    writer.write_groups(&sim.groups())?;
    writer.write_citizens(&scenario, sim.citizens(1))?;
    writer.write_audit(&sim.take_audit())?;
    let last = days.last().cloned().ok_or("no day")?;
    writer.write_summary(&Summary::build(&scenario, config.seed, &sim.totals(), &last))?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        scorelab_version: "fuzz".into(),
        git_commit: "unknown".into(),
        scenario: scenario.name.clone(),
        scenario_toml: toml,
        seed: config.seed,
        citizens: u64::from(config.citizens),
        days: config.days,
        threads: 1,
        ranks: 1,
        tracked: config.tracked.clone(),
        histogram: spec,
        histogram_bin_points: scorelab_engine::HISTOGRAM_BIN_POINTS,
        behaviours: scenario.behaviours.iter().map(|b| b.name.clone()).collect(),
        activities: scenario.activities.iter().map(|a| a.name.clone()).collect(),
        grades: scenario.score.grades.iter().map(|g| g.name.clone()).collect(),
        citizens_sampled: false,
        citizens_sample_every: 1,
        started_unix: 0,
        wall_seconds: 0.0,
        peak_memory_bytes: 0,
        status: RunStatus::Complete,
        baseline: None,
    };
    writer.finish(&manifest)?;
    crate::atomic::write_json_atomic(
        &dir.join(files::PROGRESS),
        &Progress { day: 6, days: 6, citizens: 400, started_unix: 0 },
    )?;
    fs::write(dir.join("checkpoint.bin"), bin)?;
    fs::write(dir.join("checkpoint.json"), json)?;
    Ok(())
}

/// Lays out a fuzz input over the template: `dir` gets the template's files,
/// with the one picked by `data[0]` replaced by `data[1..]`.
pub fn apply(template: &Path, dir: &Path, data: &[u8]) -> std::io::Result<()> {
    let Some((&pick, body)) = data.split_first() else { return Ok(()) };
    let target = FILES[usize::from(pick) % FILES.len()];
    for name in FILES {
        let path = dir.join(name);
        if name == target {
            fs::write(&path, body)?;
        } else {
            fs::copy(template.join(name), &path)?;
        }
    }
    Ok(())
}

/// Reads everything a command could read in `dir`; returns how many reads
/// succeeded. Errors are expected (the files are damaged); a panic is a bug.
pub fn read_everything(dir: &Path) -> usize {
    let mut ok = 0;
    ok += usize::from(read_progress(dir).is_ok());
    ok += usize::from(read_checkpoint_info(dir).is_ok());
    if let Ok(checkpoint) = open_checkpoint(dir) {
        ok += 1;
        if let Ok(scenario) = scorelab_scenario::parse_str(&checkpoint.header().scenario_toml, "checkpoint") {
            ok += usize::from(checkpoint.restore(&scenario).is_ok());
        }
    }
    let Ok(run) = RunDir::open(dir) else { return ok };
    ok += 1;
    let _ = run.names();
    ok += usize::from(run.read_daily().is_ok());
    ok += usize::from(run.read_groups().is_ok());
    if let Ok(summary) = run.read_summary() {
        ok += 1;
        // What `compare` does with two summaries.
        let _ = summary.baseline_mismatch(&summary);
        let _ = summary.clone().with_chilling(&summary, "self");
    }
    for id in [0, 1, 7, 399, 400, u32::MAX] {
        ok += usize::from(run.read_audit_for(id).is_ok());
        ok += usize::from(run.read_citizen(id).is_ok());
    }
    ok
}
