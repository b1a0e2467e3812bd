//! The scorelab engine: the model of `MODEL.md` run day by day on a
//! synthetic population held in columns.
//!
//! Invariants: the engine does no I/O, reads no clock and no environment,
//! and prints nothing; every random draw is a pure function of (seed,
//! stream, citizen, day, slot) ([`rng`]); every score is an integer number
//! of thousandths of a point ([`score`]). Together these make a run
//! bit-identical for any number of threads.
//!
//! ```
//! use scorelab_engine::{RunConfig, Simulation};
//! let scenario = scorelab_scenario::load_builtin("seed-article").unwrap();
//! let config = RunConfig { citizens: 2_000, days: 10, seed: 1, tracked: vec![] };
//! let mut sim = Simulation::new(&scenario, config).unwrap();
//! while !sim.is_done() {
//!     let day = sim.step();
//!     assert_eq!(day.grade_counts.iter().sum::<u64>(), day.adults);
//! }
//! ```

pub mod accum;
pub mod checkpoint;
pub mod column;
pub mod comm;
pub mod factors;
pub mod metrics;
pub mod population;
pub mod rng;
pub mod score;
pub mod sim;
pub mod special;
pub mod state;
pub mod tables;

pub use metrics::*;
pub use sim::{estimate_memory, RunConfig, Simulation, MAX_ACTIVITIES, MAX_DAYS, YEAR};

/// Why a run cannot start. All of these are the caller's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("citizens = {0}: must be between 1 and {max}", max = u32::MAX - 1)]
    Citizens(u32),
    #[error("days = {0}: must be between 1 and {MAX_DAYS}")]
    Days(u32),
    #[error("days = {days}: the scenario's burn-in alone is {burn_in} days; the run must be longer (at most {MAX_DAYS} days in all)")]
    BurnIn { days: u32, burn_in: u32 },
    #[error("the scenario has {0} activities; at most {MAX_ACTIVITIES} are supported")]
    TooManyActivities(usize),
    #[error("the score range is too large: scores must stay within ±2,147,483 points")]
    ScoreRange,
    #[error("tracked citizen {citizen} does not exist: citizens are numbered 0 to {}", citizens - 1)]
    Tracked { citizen: u32, citizens: u32 },
    #[error("citizens = {citizens} split over {ranks} ranks: every rank needs at least one citizen; run with at most {citizens} ranks")]
    Ranks { citizens: u32, ranks: usize },
}

/// Citizens tracked by default: `count` distinct citizens drawn uniformly
/// from the seed (sorted), so two runs with the same seed track the same
/// people.
pub fn default_tracked(seed: u64, citizens: u32, count: u32) -> Vec<u32> {
    let rng = rng::Rng::new(seed);
    let want = count.min(citizens) as usize;
    let mut picked = std::collections::BTreeSet::new();
    let mut slot = 0u32;
    while picked.len() < want {
        picked.insert(rng.below(u64::from(citizens), rng::Stream::Tracking, 0, 0, slot) as u32);
        slot += 1;
    }
    picked.into_iter().collect()
}
