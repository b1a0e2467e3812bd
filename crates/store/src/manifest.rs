//! `manifest.json`, the last file a run writes and the proof that it is
//! complete, and `progress.json`, the small file a running run rewrites so
//! that readers can show how far it got.

use scorelab_engine::metrics::{HistogramSpec, HISTOGRAM_BIN_POINTS};
use serde::{Deserialize, Serialize};

use crate::names::Names;

/// Version of the run directory layout written by this crate. A reader
/// refuses a manifest with another version instead of misreading it.
pub const FORMAT_VERSION: u32 = 1;

/// File names inside a run directory.
pub mod files {
    /// The manifest: written last, present only in a complete run.
    pub const MANIFEST: &str = "manifest.json";
    /// Progress of a run that is running or was interrupted; removed when the manifest lands.
    pub const PROGRESS: &str = "progress.json";
    /// One row per day.
    pub const DAILY: &str = "daily.parquet";
    /// Per-run figures by group.
    pub const GROUPS: &str = "groups.parquet";
    /// Final state of every (or every k-th) citizen.
    pub const CITIZENS: &str = "citizens.parquet";
    /// Events of the tracked citizens.
    pub const AUDIT: &str = "audit.parquet";
    /// Headline figures.
    pub const SUMMARY: &str = "summary.json";

    /// Every file a run may write, manifest first (the order in which a
    /// previous run's files are removed: the run stops looking complete
    /// before anything else goes).
    pub const ALL: [&str; 7] = [MANIFEST, PROGRESS, DAILY, GROUPS, CITIZENS, AUDIT, SUMMARY];

    /// Rank r's part of the citizens of a run over several ranks: the parts
    /// read in rank order are the rows `citizens.parquet` would hold.
    pub fn citizens_part(rank: usize) -> String {
        format!("citizens.part-{rank:04}.parquet")
    }

    /// Whether `name` is a part of the citizens (or a half-written one).
    pub fn is_citizens_part(name: &str) -> bool {
        name.strip_prefix("citizens.part-").is_some_and(|rest| rest.contains(".parquet"))
    }
}

/// The state of a run recorded in its manifest. Only complete runs have a
/// manifest, so there is one state; the field exists so that a later format
/// can add others (e.g. a run stopped early on purpose) without breaking readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every file of the run was written.
    Complete,
}

/// What a run was and how it ran: everything needed to reproduce it and to
/// read its Parquet files (the names the wide columns are made from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version, [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Version of the `scorelab` binary that made the run.
    pub scorelab_version: String,
    /// Git commit of that binary (`unknown` when it was built outside git).
    pub git_commit: String,
    /// Scenario name, e.g. `seed-article`.
    pub scenario: String,
    /// The resolved scenario (defaults filled in, `extends` merged) as TOML:
    /// running it again with the same seed gives the same run.
    pub scenario_toml: String,
    /// Seed of the counter-based random numbers.
    pub seed: u64,
    /// Number of synthetic citizens.
    pub citizens: u64,
    /// Number of days simulated.
    pub days: u32,
    /// Worker threads used (results do not depend on it).
    pub threads: usize,
    /// MPI ranks used, 1 without MPI (results do not depend on it).
    pub ranks: usize,
    /// Ids of the citizens whose events are in `audit.parquet`.
    pub tracked: Vec<u32>,
    /// Bins of `daily.parquet`'s `score_histogram`.
    pub histogram: HistogramSpec,
    /// Width of a histogram bin, in points.
    #[serde(default = "default_bin_points")]
    pub histogram_bin_points: i64,
    /// Behaviour names in scenario order (the `events_*`, `records_*` columns).
    pub behaviours: Vec<String>,
    /// Activity names in scenario order (the `denials_*`, `grants_*`, `ever_denied_*` columns).
    pub activities: Vec<String>,
    /// Grade names, highest first (the `grade_*` columns).
    pub grades: Vec<String>,
    /// Whether `citizens.parquet` holds a sample rather than every citizen.
    pub citizens_sampled: bool,
    /// With a sample, every `citizens_sample_every`-th citizen is in it (1: all).
    pub citizens_sample_every: u64,
    /// Start of the run, seconds since the Unix epoch.
    pub started_unix: u64,
    /// Wall-clock duration of the run, in seconds.
    pub wall_seconds: f64,
    /// Peak resident memory of the process, in bytes (0 when unknown).
    pub peak_memory_bytes: u64,
    /// Always [`RunStatus::Complete`] in a manifest that was written.
    pub status: RunStatus,
    /// For a run compared with a baseline: the baseline run's folder.
    #[serde(default)]
    pub baseline: Option<String>,
}

fn default_bin_points() -> i64 {
    HISTOGRAM_BIN_POINTS
}

impl Manifest {
    /// The names the wide columns of the run's Parquet files are made from.
    pub fn names(&self) -> Names {
        Names { behaviours: self.behaviours.clone(), activities: self.activities.clone(), grades: self.grades.clone() }
    }
}

/// How far a running run has got; rewritten (atomically) by the caller
/// while the run goes on, removed when the manifest is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Days simulated so far (`days` when the simulation is over and the
    /// files are being written).
    pub day: u32,
    /// Days planned.
    pub days: u32,
    /// Number of citizens.
    pub citizens: u64,
    /// Start of the run, seconds since the Unix epoch.
    pub started_unix: u64,
}
