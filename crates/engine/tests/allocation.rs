//! The day loop allocates nothing per citizen or per chunk (issue #5): a
//! day's heap allocations are the day's own figures (a fixed set of small
//! vectors), as many at 16,000 citizens in 4 chunks as at 64,000 in 16,
//! plus, on a few days, the growth of a buffer kept from day to day.
//! Counted by `stats_alloc` wrapping the system allocator, in this test
//! binary only (it holds one test, so nothing else allocates meanwhile).

use std::alloc::System;

use scorelab_engine::{RunConfig, Simulation};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap allocations (reallocations included) of each of days `from..to`
/// of a seed-article run of `citizens` on `threads` threads.
fn allocations_per_day(citizens: u32, threads: usize, from: u32, to: u32) -> Vec<usize> {
    let sc = scorelab_scenario::load_builtin("seed-article").unwrap_or_else(|e| panic!("{e}"));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    pool.install(|| {
        let config = RunConfig { citizens, days: to, seed: 7, tracked: vec![] };
        let mut sim = Simulation::new(&sc, config).expect("config");
        for _ in 0..from {
            sim.step();
        }
        (from..to)
            .map(|_| {
                let region = Region::new(GLOBAL);
                let day = sim.step();
                let stats = region.change();
                drop(day);
                stats.allocations + stats.reallocations
            })
            .collect()
    })
}

#[test]
fn a_day_allocates_the_same_whatever_the_population() {
    // Days 20..50: past the first days, and across weekly friends' terms.
    let fixed = |days: &[usize]| days.iter().copied().min().unwrap_or(0);
    let growth = |days: &[usize]| days.iter().map(|&n| n - fixed(days)).sum::<usize>();
    let baseline = allocations_per_day(16_000, 1, 20, 50);
    assert!(fixed(&baseline) > 0, "the day's figures are counted: {baseline:?}");
    for (citizens, threads) in [(16_000, 2), (64_000, 1), (64_000, 2)] {
        let days = allocations_per_day(citizens, threads, 20, 50);
        // A day's own figures: as many with 4 chunks as with 16, on 1
        // thread as on 2; one allocation per chunk would add 12 here, one
        // per citizen tens of thousands.
        assert_eq!(fixed(&days), fixed(&baseline), "{citizens} citizens, {threads} threads: {days:?}");
        // Beyond that, only the growth of the buffers kept from day to day
        // (each one grows geometrically, so it seldom does).
        assert!(growth(&days) <= 4, "{citizens} citizens, {threads} threads: {days:?}");
    }
}
