//! The engine's speed-ups are exact: every figure a run produces (daily
//! metrics, per-run totals, groups, the citizens' final state and the audit
//! trail) hashes to the same value as before them, for fixed seeds.
//!
//! The hashes were taken from the engine as it stood before the
//! optimisations of issue #5 (commit 7bd85c6), and taken again once, when
//! normal variates moved from Box–Muller to the ziggurat: a change of the
//! random stream of the day-0 traits and incomes, not of their
//! distributions (the Kolmogorov–Smirnov tests in `engine/src/rng.rs`
//! show it; docs/PERFORMANCE.md explains why). An intentional change of the
//! model, of a metric's definition or of the random stream changes them;
//! update them then, and say so in the commit. A change meant only to make
//! the engine faster must not.

mod common;

use common::builtin;
use scorelab_engine::{RunConfig, Simulation};

/// FNV-1a, 64 bits: small, stable, and enough to notice any changed figure.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Runs a built-in scenario and hashes everything it measured.
fn fingerprint(name: &str, citizens: u32, reported_days: u32, seed: u64, threads: usize) -> u64 {
    let sc = builtin(name);
    let days = sc.burn_in_days + reported_days;
    let tracked: Vec<u32> = (0..citizens).step_by(97).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    pool.install(|| {
        let mut sim = Simulation::new(&sc, RunConfig { citizens, days, seed, tracked }).expect("config");
        let mut text = String::new();
        while !sim.is_done() {
            text.push_str(&format!("{:?}\n", sim.step()));
        }
        text.push_str(&format!("{:?}\n{:?}\n", sim.totals(), sim.groups()));
        for c in sim.citizens(1) {
            text.push_str(&format!("{c:?}\n"));
        }
        for a in sim.take_audit() {
            text.push_str(&format!("{a:?}\n"));
        }
        fnv1a(text.as_bytes())
    })
}

#[test]
fn seed_article_figures_are_unchanged() {
    for threads in [1, 2] {
        assert_eq!(
            fingerprint("seed-article", 30_000, 60, 42, threads),
            2_677_867_006_591_725_611,
            "threads = {threads}"
        );
    }
}

#[test]
fn transparent_appeals_figures_are_unchanged() {
    assert_eq!(fingerprint("transparent-appeals", 20_000, 40, 7, 2), 17_251_451_721_273_431_354);
}

#[test]
fn court_blacklist_figures_after_its_burn_in_are_unchanged() {
    assert_eq!(fingerprint("court-blacklist", 8_000, 20, 3, 2), 7_434_455_158_229_903_636);
}
