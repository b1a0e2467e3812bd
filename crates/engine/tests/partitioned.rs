//! A run split over K ranks (docs/DISTRIBUTED.md) is the same run: every
//! daily figure, total, group, citizen row, friend list and audit row equals
//! the one-process run's, for K = 1 to 4. The ranks are threads of this
//! process ([`ThreadComm`]); the MPI transport is tested by the CLI.

mod common;
use common::builtin;
use scorelab_engine::comm::{Comm, ThreadComm};
use scorelab_engine::{default_tracked, AuditRow, CitizenRow, DayMetrics, GroupRow, RunConfig, RunTotals, Simulation};
use std::sync::Arc;

#[derive(PartialEq)]
struct Outcome {
    days: Vec<DayMetrics>,
    totals: RunTotals,
    groups: Vec<GroupRow>,
    citizens: Vec<CitizenRow>,
    audit: Vec<AuditRow>,
    friends: Vec<Vec<u32>>,
}

/// Runs `ranks` ranks as threads and joins their parts in rank order (the
/// collective results from rank 0).
fn run(sc: &scorelab_scenario::Scenario, config: &RunConfig, ranks: usize) -> Outcome {
    let parts: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadComm::group(ranks)
            .into_iter()
            .map(|comm| {
                s.spawn(move || {
                    let comm: Arc<dyn Comm> = Arc::new(comm);
                    let mut sim = Simulation::new_part(sc, config.clone(), comm).expect("valid run");
                    let mut days = Vec::new();
                    while !sim.is_done() {
                        days.push(sim.step());
                    }
                    let p = sim.part();
                    Outcome {
                        days,
                        totals: sim.totals(),
                        groups: sim.groups(),
                        citizens: sim.citizens(1).collect(),
                        audit: sim.take_audit(),
                        friends: (p.first..p.end()).map(|i| sim.friends_of(i).to_vec()).collect(),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("rank thread")).collect()
    });
    let mut parts = parts.into_iter();
    let mut all = parts.next().expect("rank 0");
    for p in parts {
        assert!(p.days == all.days && p.totals == all.totals && p.groups == all.groups, "ranks agree");
        assert!(p.audit.is_empty(), "audit rows go to rank 0");
        all.citizens.extend(p.citizens);
        all.friends.extend(p.friends);
    }
    all
}

fn check(name: &str, sc: &scorelab_scenario::Scenario, config: RunConfig) {
    let one = run(sc, &config, 1);
    for k in 2..=4 {
        let split = run(sc, &config, k);
        assert!(one.friends == split.friends, "{name}, {k} ranks: friends differ");
        assert!(one.citizens == split.citizens, "{name}, {k} ranks: citizens differ");
        assert!(one.days == split.days, "{name}, {k} ranks: daily figures differ");
        assert!(one.totals == split.totals, "{name}, {k} ranks: totals differ");
        assert!(one.groups == split.groups, "{name}, {k} ranks: groups differ");
        assert!(one.audit == split.audit, "{name}, {k} ranks: audit rows differ");
    }
}

/// seed-article with its rates ×5 over 250 days: a school day, 35 friends'
/// days, misattributed records and guardians across ranks; 14,000 citizens
/// so that 2 ranks hold several chunks each and 3 or 4 ranks one or two.
#[test]
fn a_run_split_over_1_to_4_ranks_is_the_same_run() {
    let mut sc = builtin("seed-article");
    for b in &mut sc.behaviours {
        b.rate_per_year *= 5.0;
    }
    let n = 14_000;
    let config = RunConfig { citizens: n, days: 250, seed: 77, tracked: default_tracked(77, n, 300) };
    let one = run(&sc, &config, 1);
    assert!(
        one.totals.school_denials > 0 && one.totals.appeals_won > 0 && one.audit.len() > 10_000,
        "the run exercises the model"
    );
    assert!(one.totals.erroneous_records.iter().sum::<u64>() > 0, "misattributed records are made");
    check("seed-article", &sc, config);
}

/// The other built-ins on a smaller population, past their burn-in.
#[test]
fn every_builtin_splits_exactly() {
    for name in ["baseline", "court-blacklist", "rongcheng", "sesame", "transparent-appeals", "rewards-only"] {
        let sc = builtin(name);
        let n = 9_000;
        let days = sc.burn_in_days + 60;
        check(name, &sc, RunConfig { citizens: n, days, seed: 5, tracked: default_tracked(5, n, 50) });
    }
}

/// More ranks than citizens is refused with a message.
#[test]
fn more_ranks_than_citizens_is_refused() {
    let sc = builtin("baseline");
    let config = RunConfig { citizens: 2, days: 5, seed: 1, tracked: vec![] };
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadComm::group(3)
            .into_iter()
            .map(|comm| {
                let config = config.clone();
                let sc = &sc;
                s.spawn(move || match Simulation::new_part(sc, config, Arc::new(comm)) {
                    Ok(_) => String::new(),
                    Err(e) => e.to_string(),
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("rank thread")).collect()
    });
    assert!(errors.iter().all(|e| e.contains("at most 2 ranks")), "{errors:?}");
}

/// Each rank checkpoints its own part; restored by as many ranks, the run
/// goes on exactly; restored by another number of ranks, it is refused.
#[test]
fn each_rank_checkpoints_and_resumes_its_part() {
    use scorelab_engine::checkpoint::CheckpointReader;
    let sc = builtin("seed-article");
    let n = 9_000;
    let config = RunConfig { citizens: n, days: 40, seed: 9, tracked: default_tracked(9, n, 40) };
    let straight = run(&sc, &config, 1);
    let ranks = 3;
    // Stop after 17 days, writing one checkpoint per rank.
    let saved: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadComm::group(ranks)
            .into_iter()
            .map(|comm| {
                let (sc, config) = (&sc, &config);
                s.spawn(move || {
                    let mut sim = Simulation::new_part(sc, config.clone(), Arc::new(comm)).expect("valid run");
                    let mut days = Vec::new();
                    while sim.day() < 17 {
                        days.push(sim.step());
                    }
                    let mut bytes = Vec::new();
                    sim.write_checkpoint(&mut bytes, "test", "", &days).expect("checkpoint");
                    bytes
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("rank thread")).collect()
    });
    let resumed: Vec<(Vec<DayMetrics>, Vec<CitizenRow>, Vec<AuditRow>)> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadComm::group(ranks)
            .into_iter()
            .zip(&saved)
            .map(|(comm, bytes)| {
                let sc = &sc;
                s.spawn(move || {
                    let reader = CheckpointReader::new(&bytes[..]).expect("header");
                    let (mut sim, mut days) = reader.restore_part(sc, Arc::new(comm)).expect("restore");
                    while !sim.is_done() {
                        days.push(sim.step());
                    }
                    (days, sim.citizens(1).collect(), sim.take_audit())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("rank thread")).collect()
    });
    assert!(resumed[0].0 == straight.days, "daily figures after resuming differ");
    assert!(resumed[0].2 == straight.audit, "audit rows after resuming differ");
    let citizens: Vec<CitizenRow> = resumed.into_iter().flat_map(|r| r.1).collect();
    assert!(citizens == straight.citizens, "citizens after resuming differ");

    // Rank 1's part read by a one-process run: refused, naming the ranks.
    let reader = CheckpointReader::new(&saved[1][..]).expect("header");
    let err = reader.restore(&sc).err().expect("refused").to_string();
    assert!(err.contains("rank 1 of a run over 3 ranks"), "{err}");
}
