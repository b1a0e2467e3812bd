//! The scorelab run directory: writing a run's files atomically (Parquet
//! tables, summary, manifest last) and reading complete runs back.
//!
//! A run directory holds (see `docs/run-directory.md` for every column):
//!
//! | file | content |
//! | --- | --- |
//! | `manifest.json` | [`Manifest`]: scenario, seed, sizes, versions, timing. Written last: a folder without it is an incomplete run |
//! | `progress.json` | [`Progress`] of a running or interrupted run; removed when the manifest lands |
//! | `daily.parquet` | one row per day, every daily figure of MODEL.md section 9 |
//! | `groups.parquet` | per-run figures by income decile, urban/rural, age band, region |
//! | `citizens.parquet` | final state of every citizen (or a sample) |
//! | `audit.parquet` | every event of the tracked citizens |
//! | `summary.json` | [`Summary`]: the headline figures the CLI prints |
//!
//! A sweep folder (`scorelab sweep`) holds one run directory per run and
//! `sweep.parquet` ([`write_sweep_table`]): one row per run, with every
//! headline figure ([`headline_figures`]).
//!
//! Invariants: every file appears under its final name only once complete
//! (written to `<name>.tmp`, fsynced, renamed); the same inputs give the
//! same bytes (no timestamps or random ids inside files, no hash-ordered
//! maps); column names are plain lowercase identifiers usable unquoted in
//! SQL; reading a damaged file is an error naming the file, never a panic.
//! The store knows nothing of how figures are computed: it takes the
//! engine's metric types as they are.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use scorelab_engine::metrics::{DayMetrics, HistogramSpec, RunTotals};
//! use scorelab_store::{Manifest, Names, Progress, RunDir, RunStatus, RunWriter, StoreError, Summary};
//!
//! let names = Names {
//!     behaviours: vec!["jaywalking".into()],
//!     activities: vec!["flight".into()],
//!     grades: vec!["A".into(), "B".into()],
//! };
//! let spec = HistogramSpec { origin_points: 0, bins: 2 };
//! let day = DayMetrics {
//!     day: 0, adults: 3, score_histogram: vec![1, 2], score_mean: 12.0,
//!     score_p10: 5.0, score_p50: 12.0, score_p90: 19.0, score_gini: 0.2,
//!     grade_counts: vec![2, 1], blacklisted: 0, blacklisted_erroneous: 0,
//!     listings_started: 0, listings_ended: 0, true_events: vec![4],
//!     correct_records: vec![3], erroneous_records: vec![1], denials: vec![1],
//!     wrongful_denials: vec![0], grants: vec![0], appeals: 0, appeals_won: 0,
//! };
//! # let totals = RunTotals { citizens: 3, days: 1, true_events: vec![4], correct_records: vec![3],
//! #     erroneous_records: vec![1], denials: vec![1], wrongful_denials: vec![0], grants: vec![0],
//! #     unique_denied: vec![1], unique_denied_any: 1, ever_blacklisted: 0, school_denials: 0,
//! #     children_denied_school: 0, appeals: 0, appeals_won: 0 };
//! let dir = tempfile::tempdir()?;
//! let run = dir.path().join("demo");
//!
//! let writer = RunWriter::create(&run, false)?;
//! writer.write_progress(&Progress { day: 1, days: 1, citizens: 3, started_unix: 0 })?;
//! // Until the manifest is written, the folder reads as incomplete.
//! assert!(matches!(RunDir::open(&run), Err(StoreError::Incomplete { .. })));
//!
//! writer.write_daily_with_names(&names, spec, &[day.clone()])?;
//! writer.write_summary(&Summary::from_names("demo", &names, 7, &totals, &day))?;
//! # let manifest = Manifest { format_version: scorelab_store::FORMAT_VERSION,
//! #     scorelab_version: "0.1.0".into(), git_commit: "unknown".into(), scenario: "demo".into(),
//! #     scenario_toml: String::new(), seed: 7, citizens: 3, days: 1, threads: 1, ranks: 1,
//! #     tracked: vec![], histogram: spec, histogram_bin_points: 10,
//! #     behaviours: names.behaviours.clone(), activities: names.activities.clone(),
//! #     grades: names.grades.clone(), citizens_sampled: false, citizens_sample_every: 1,
//! #     started_unix: 0, wall_seconds: 0.1, peak_memory_bytes: 0, status: RunStatus::Complete,
//! #     baseline: None };
//! writer.finish(&manifest)?;
//!
//! let read = RunDir::open(&run)?;
//! assert_eq!(read.read_daily()?, vec![day]);
//! assert_eq!(read.read_summary()?.final_day.grades[0].adults, 2);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod atomic;
mod audit;
mod checkpoint;
mod citizens;
mod daily;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod groups;
mod manifest;
mod names;
mod reader;
mod summary;
mod sweep;
mod table;
mod writer;

pub use atomic::{tmp_path, write_atomic, write_json_atomic, TMP_SUFFIX};
pub use audit::audit_columns;
pub use checkpoint::{
    checkpoint_files, has_checkpoint, open_checkpoint, open_checkpoint_part, read_checkpoint_info, remove_checkpoint,
    Checkpoint, CheckpointInfo,
};
pub use citizens::{citizen_columns, ever_denied_columns};
pub use daily::{
    DailyColumns, META_FORMAT_VERSION, META_HISTOGRAM_BINS, META_HISTOGRAM_BIN_POINTS, META_HISTOGRAM_ORIGIN,
};
pub use error::StoreError;
pub use groups::GROUP_COLUMNS;
pub use manifest::{files, Manifest, Progress, RunStatus, FORMAT_VERSION};
pub use names::{column_part, is_plain_identifier, Names};
pub use reader::{read_progress, RunDir};
pub use summary::{ActivitySummary, BehaviourSummary, ChillingRow, FinalDay, GradeCount, Summary};
pub use sweep::{
    headline_figures, read_sweep_table, setting_columns, write_sweep_table, Figure, FigureValue, SweepCell, SweepRun,
    SweepTable, SweepValue, META_SWEEP_KEYS, SWEEP_RUN_COLUMNS, SWEEP_TABLE,
};
pub use writer::RunWriter;

#[cfg(test)]
mod tests;
