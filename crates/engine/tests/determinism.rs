//! Determinism (DESIGN.md "Engine rules", MODEL.md §4 and §11): the same
//! seed gives bit-identical figures, breakdowns, citizens and audit rows on
//! 1, 2 and 4 threads; a scenario and its baseline share the population.

mod common;
use common::*;
use scorelab_engine::{default_tracked, AuditRow, CitizenRow, DayMetrics, GroupRow, RunTotals};

type Outcome = (Vec<DayMetrics>, RunTotals, Vec<GroupRow>, Vec<CitizenRow>, Vec<AuditRow>, Vec<Vec<u32>>);

fn outcome(sc: &scorelab_scenario::Scenario, n: u32, days: u32, seed: u64) -> Outcome {
    let mut r = run(sc, n, days, seed, default_tracked(seed, n, 200));
    let friends = (0..n).map(|i| r.sim.friends_of(i).to_vec()).collect();
    (r.days.clone(), r.sim.totals(), r.sim.groups(), r.citizens(), r.sim.take_audit(), friends)
}

fn in_pool(threads: usize, f: impl FnOnce() -> Outcome + Send) -> Outcome {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool").install(f)
}

/// seed-article with its rates ×5 on 12,000 citizens (3 chunks, so
/// misattributed records and friends cross chunks) for 250 days (one school
/// day, 35 friends' days).
#[test]
fn same_seed_same_results_on_1_2_and_4_threads() {
    let mut sc = builtin("seed-article");
    for b in &mut sc.behaviours {
        b.rate_per_year *= 5.0;
    }
    let (n, days, seed) = (12_000u32, 250u32, 2024u64);
    let one = in_pool(1, || outcome(&sc, n, days, seed));
    assert!(one.1.appeals_won > 0 && one.1.school_denials > 0 && one.4.len() > 50_000, "the run exercises the model");
    for threads in [2, 4] {
        let other = in_pool(threads, || outcome(&sc, n, days, seed));
        assert!(one.0 == other.0, "{threads} threads: daily figures differ");
        assert!(one.1 == other.1, "{threads} threads: totals differ");
        assert!(one.2 == other.2, "{threads} threads: groups differ");
        assert!(one.3 == other.3, "{threads} threads: citizens differ");
        assert!(one.4 == other.4, "{threads} threads: audit rows differ");
        assert!(one.5 == other.5, "{threads} threads: friends differ");
    }
    let other_seed = outcome(&sc, n, 5, seed + 1);
    assert!(other_seed.3 != one.3, "another seed gives another population");
}

/// MODEL.md §10, §11: `baseline` runs the same population as seed-article
/// for the same seed (everything but `aware`, which is 0 without pressure),
/// with the same friends.
#[test]
fn baseline_has_the_population_of_seed_article() {
    let (n, seed) = (30_000u32, 77u64);
    let a = run(&builtin("seed-article"), n, 1, seed, vec![]);
    let b = run(&builtin("baseline"), n, 1, seed, vec![]);
    let strip = |c: &CitizenRow| {
        (c.age, c.region, c.urban, c.income_decile, c.compliance.to_bits(), c.dissent.to_bits(), c.guardian, c.friends)
    };
    let (ra, rb) = (a.citizens(), b.citizens());
    assert_eq!(ra.len(), rb.len());
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(strip(x), strip(y), "citizen {}", x.id);
        assert_eq!(a.sim.friends_of(x.id), b.sim.friends_of(x.id), "friends of {}", x.id);
        assert!(!y.aware);
    }
    assert!(ra.iter().any(|c| c.aware));
}
