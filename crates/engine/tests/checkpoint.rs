//! Checkpoints: a run written to bytes after any day and restored gives the
//! same figures, breakdowns, citizens and audit rows as the run that never
//! stopped; a damaged or foreign checkpoint is refused with an error, never
//! a panic or a wrong run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scorelab_engine::checkpoint::{checksum, scenario_fingerprint, CheckpointError, CheckpointReader, VERSION};
use scorelab_engine::{default_tracked, AuditRow, CitizenRow, DayMetrics, GroupRow, RunConfig, RunTotals, Simulation};
use scorelab_scenario::Scenario;

type Outcome = (Vec<DayMetrics>, RunTotals, Vec<GroupRow>, Vec<CitizenRow>, Vec<AuditRow>);

fn builtin(name: &str) -> Scenario {
    scorelab_scenario::load_builtin(name).unwrap()
}

/// seed-article with its rates ×5, so that appeals, school denials and
/// misattributed records all happen in a short run.
fn busy() -> Scenario {
    let mut sc = builtin("seed-article");
    for b in &mut sc.behaviours {
        b.rate_per_year *= 5.0;
    }
    sc
}

fn config(n: u32, days: u32, seed: u64) -> RunConfig {
    RunConfig { citizens: n, days, seed, tracked: default_tracked(seed, n, 150) }
}

fn finish(mut sim: Simulation, mut days: Vec<DayMetrics>) -> Outcome {
    while !sim.is_done() {
        days.push(sim.step());
    }
    let citizens = sim.citizens(1).collect();
    (days, sim.totals(), sim.groups(), citizens, sim.take_audit())
}

fn straight(sc: &Scenario, cfg: &RunConfig) -> Outcome {
    finish(Simulation::new(sc, cfg.clone()).unwrap(), Vec::new())
}

/// Runs `stop` days, writes a checkpoint, and returns its bytes.
fn checkpoint_after(sc: &Scenario, cfg: &RunConfig, stop: u32) -> Vec<u8> {
    let mut sim = Simulation::new(sc, cfg.clone()).unwrap();
    let mut days = Vec::new();
    for _ in 0..stop {
        days.push(sim.step());
    }
    let mut bytes = Vec::new();
    let n = sim.write_checkpoint(&mut bytes, "test", "name = \"x\"", &days).unwrap();
    assert_eq!(n, bytes.len() as u64);
    bytes
}

fn resumed(sc: &Scenario, bytes: &[u8]) -> Outcome {
    let reader = CheckpointReader::new(bytes).unwrap();
    let (sim, days) = reader.restore(sc).unwrap();
    finish(sim, days)
}

fn assert_same(a: &Outcome, b: &Outcome, what: &str) {
    assert!(a.0 == b.0, "{what}: daily figures differ");
    assert!(a.1 == b.1, "{what}: totals differ");
    assert!(a.2 == b.2, "{what}: groups differ");
    assert!(a.3 == b.3, "{what}: citizens differ");
    assert!(a.4 == b.4, "{what}: audit rows differ");
}

/// 9,000 citizens (3 chunks, so misattributed records and friends cross
/// chunks) over 400 days: friends' days, a school day, a new year.
#[test]
fn a_resumed_run_is_the_run_that_never_stopped() {
    let sc = busy();
    let cfg = config(9_000, 400, 77);
    let whole = straight(&sc, &cfg);
    assert!(whole.1.appeals_won > 0 && whole.1.school_denials > 0, "the run exercises the model");
    for stop in [0, 1, 6, 7, 244, 365, 399, 400] {
        let bytes = checkpoint_after(&sc, &cfg, stop);
        assert_same(&whole, &resumed(&sc, &bytes), &format!("stopped after {stop} days"));
    }
}

#[test]
fn every_builtin_resumes_exactly() {
    for name in scorelab_scenario::builtin_names() {
        let sc = builtin(name);
        let burn_in = sc.burn_in_days;
        let cfg = config(5_000, burn_in + 90, 3);
        let whole = straight(&sc, &cfg);
        // A stop inside the burn-in, and one after its end restarted the totals.
        let stops = if burn_in > 0 { vec![41, burn_in + 41] } else { vec![41] };
        for stop in stops {
            let bytes = checkpoint_after(&sc, &cfg, stop);
            assert_same(&whole, &resumed(&sc, &bytes), &format!("{name}, stopped after day {stop}"));
        }
    }
}

#[test]
fn a_checkpoint_of_a_resumed_run_is_the_same_bytes() {
    let sc = busy();
    let cfg = config(4_000, 60, 5);
    let first = checkpoint_after(&sc, &cfg, 20);
    let (mut sim, mut days) = CheckpointReader::new(&first[..]).unwrap().restore(&sc).unwrap();
    let mut again = Vec::new();
    sim.write_checkpoint(&mut again, "test", "name = \"x\"", &days).unwrap();
    assert!(first == again, "restoring and writing again changes the bytes");
    for _ in 0..10 {
        days.push(sim.step());
    }
    let mut later = Vec::new();
    sim.write_checkpoint(&mut later, "test", "name = \"x\"", &days).unwrap();
    assert!(later == checkpoint_after(&sc, &cfg, 30));
}

#[test]
fn the_header_says_what_run_it_is() {
    let sc = builtin("court-blacklist");
    let cfg = config(3_000, sc.burn_in_days + 50, 11);
    let bytes = checkpoint_after(&sc, &cfg, 12);
    let reader = CheckpointReader::new(&bytes[..]).unwrap();
    let h = reader.header();
    assert_eq!((h.version, h.day, h.producer.as_str()), (VERSION, 12, "test"));
    assert_eq!(h.config, cfg);
    assert_eq!(h.scenario_fingerprint, scenario_fingerprint(&sc));
    assert_eq!(h.scenario_toml, "name = \"x\"");
}

#[test]
fn the_fingerprint_survives_the_resolved_toml() {
    // A resumed run rebuilds its scenario from the resolved TOML stored in
    // the checkpoint: it must be the same scenario.
    for name in scorelab_scenario::builtin_names() {
        let toml = scorelab_scenario::resolved_toml(name).unwrap();
        let again = scorelab_scenario::parse_str(&toml, "checkpoint").unwrap();
        assert_eq!(scenario_fingerprint(&again), scenario_fingerprint(&builtin(name)), "{name}");
    }
    assert_ne!(scenario_fingerprint(&builtin("seed-article")), scenario_fingerprint(&busy()));
}

#[test]
fn another_scenario_is_refused() {
    let bytes = checkpoint_after(&builtin("seed-article"), &config(3_000, 30, 1), 10);
    let reader = CheckpointReader::new(&bytes[..]).unwrap();
    match reader.restore(&busy()) {
        Err(CheckpointError::Mismatch(msg)) => assert!(msg.contains("another scenario"), "{msg}"),
        other => panic!("expected a mismatch, got {:?}", other.err()),
    }
}

#[test]
fn other_files_and_versions_are_refused() {
    assert!(matches!(CheckpointReader::new(&b"PAR1 not a checkpoint"[..]), Err(CheckpointError::NotACheckpoint)));
    assert!(matches!(CheckpointReader::new(&b""[..]), Err(CheckpointError::NotACheckpoint)));
    let mut bytes = checkpoint_after(&builtin("baseline"), &config(2_000, 10, 1), 3);
    bytes[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    let err = CheckpointReader::new(&bytes[..]).err().unwrap();
    assert!(matches!(err, CheckpointError::Version { found } if found == VERSION + 1), "{err}");
    assert!(err.to_string().contains("format version"), "{err}");
}

/// Every truncation and a byte flipped anywhere are errors, never a panic
/// and never a run.
#[test]
fn damage_anywhere_is_an_error() {
    let sc = busy();
    let bytes = checkpoint_after(&sc, &config(1_500, 40, 9), 25);
    let try_restore = |b: &[u8]| -> Result<(), CheckpointError> {
        let reader = CheckpointReader::new(b)?;
        reader.restore(&sc).map(|_| ())
    };
    assert!(try_restore(&bytes).is_ok());
    let step = (bytes.len() / 997).max(1);
    for cut in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        assert!(try_restore(&bytes[..cut]).is_err(), "truncated at {cut} of {}", bytes.len());
    }
    for at in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let mut bad = bytes.clone();
        bad[at] ^= 0x5A;
        assert!(try_restore(&bad).is_err(), "byte {at} of {} flipped", bytes.len());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(try_restore(&longer).is_err(), "trailing bytes");
}

/// Inputs found by the checkpoint fuzzer (`fuzz/`, target `checkpoint`)
/// and seeds, replayed as the fuzzer does: as they are, and with the
/// checksum recomputed. Each must restore or fail, never panic.
#[test]
fn fuzzer_findings_and_seeds_never_panic() {
    let restore = |bytes: &[u8]| {
        let Ok(reader) = CheckpointReader::new(bytes) else { return };
        if reader.header().config.citizens > 100_000 {
            return;
        }
        if let Ok(sc) = scorelab_scenario::parse_str(&reader.header().scenario_toml, "checkpoint") {
            let _ = reader.restore(&sc);
        }
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/checkpoint");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        restore(&data);
        if data.len() >= 16 {
            let mut fixed = data.clone();
            let body = fixed.len() - 16;
            let sum = checksum(&fixed[..body]);
            fixed[body..body + 8].copy_from_slice(&sum.to_le_bytes());
            restore(&fixed);
        }
        n += 1;
    }
    assert!(n >= 1, "no inputs in {}", dir.display());
}

/// Writes the fuzzer's seed checkpoint (run with `--ignored` after a format
/// change): a 400-citizen court-blacklist run after 3 days of its burn-in.
#[test]
#[ignore]
fn write_the_fuzz_seed() {
    let sc = builtin("court-blacklist");
    let toml = scorelab_scenario::resolved_toml("court-blacklist").unwrap();
    let mut sim = Simulation::new(
        &sc,
        RunConfig { citizens: 400, days: sc.burn_in_days + 6, seed: 3, tracked: (0..8).collect() },
    )
    .unwrap();
    let days: Vec<DayMetrics> = (0..3).map(|_| sim.step()).collect();
    let mut bytes = Vec::new();
    sim.write_checkpoint(&mut bytes, "seed", &toml, &days).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/checkpoint");
    std::fs::write(dir.join("seed-court-blacklist-400"), bytes).unwrap();
}
