//! The runs folder the server was given, and the runs in it.
//!
//! Security lives here: a run name from a URL is accepted only when it is
//! one plain path component (no `/`, `\`, `..`, `%`, leading dot, NUL or
//! control character) *and* it is the name of a folder in the listing of
//! the runs folder (a real folder, not a symbolic link) whose canonical
//! path is directly inside the canonical runs folder. Nothing outside the
//! runs folder is ever opened, and only the run files the store knows are
//! read: the server never serves a file by a path from a request.
//!
//! Each of a run's files is read on its own, so that a missing or damaged
//! file spoils only the parts of a page that need it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use scorelab_engine::metrics::{DayMetrics, GroupRow};
use scorelab_scenario::Scenario;
use scorelab_store::{files, read_progress, ChillingRow, Manifest, Progress, RunDir, StoreError, Summary};
use serde::Serialize;

use crate::error::AppError;

/// Longest run name accepted (bytes); longer names are not runs of ours.
const MAX_NAME: usize = 255;

/// The folder of runs, by its canonical path.
#[derive(Debug, Clone)]
pub struct RunsRoot {
    root: PathBuf,
}

/// Whether `name` is acceptable as a run name taken from a URL: one plain
/// path component, not hidden, no encoded or escaped forms.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('.')
        && !name.chars().any(|c| matches!(c, '/' | '\\' | '%' | ':') || c.is_control())
        && Path::new(name).components().count() == 1
        && !Path::new(name).is_absolute()
}

/// What state a run folder is in.
#[derive(Debug, Clone)]
pub enum RunState {
    /// It has its manifest: every file was written.
    Complete(Box<RunDir>),
    /// No manifest yet: still being written, or interrupted. The progress,
    /// when `progress.json` could be read.
    InProgress(Option<Progress>),
    /// The manifest is there but cannot be read; the message says why.
    Unreadable(String),
}

/// A run of the folder, opened.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its folder name: the name in URLs.
    pub name: String,
    /// Its state.
    pub state: RunState,
}

/// The chilling effect shown for a run, and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Chilling {
    /// Per behaviour, in scenario order.
    pub rows: Vec<ChillingRow>,
    /// The baseline run: a folder name in this folder, or the path the run
    /// was compared with when it was made.
    pub baseline: String,
    /// Whether the dashboard computed it from the two summaries (the run
    /// was made before its baseline).
    pub computed: bool,
}

/// Why there is no chilling effect to show.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoChilling {
    /// The run's own scenario puts no pressure on anyone (it is a baseline).
    NoPressure,
    /// No like-for-like baseline run is in the folder.
    NoBaseline {
        /// The command that would make one.
        hint: String,
    },
}

impl RunsRoot {
    /// The runs folder at `path`, which must be a folder.
    pub fn open(path: &Path) -> io::Result<RunsRoot> {
        let root = fs::canonicalize(path)?;
        if !fs::metadata(&root)?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"));
        }
        Ok(RunsRoot { root })
    }

    /// The canonical path of the folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Names of the run folders, sorted: real folders (not symbolic links)
    /// with a plain UTF-8 name, holding a `manifest.json` or a `progress.json`.
    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            if !is_plain_name(&name) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let dir = entry.path();
            if dir.join(files::MANIFEST).exists() || dir.join(files::PROGRESS).exists() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// The folder of the run called `name`, after checking that `name` is
    /// a plain name of the listing and that its folder is inside the runs
    /// folder. A 400 for a name that could never be a run, a 404 otherwise.
    pub fn resolve(&self, name: &str) -> Result<PathBuf, AppError> {
        if !is_plain_name(name) {
            return Err(AppError::bad_request(
                "a run name is the name of a folder inside the runs folder: no “/”, “\\”, “..” or encoded characters",
            ));
        }
        let names = self.names().map_err(|e| AppError::internal("cannot list the runs folder", e.to_string()))?;
        if !names.iter().any(|n| n == name) {
            return Err(AppError::not_found(format!("there is no run called “{name}” in this folder")));
        }
        let dir = self.root.join(name);
        // Defence in depth: the listing only holds real folders, but the
        // canonical path must still sit directly inside the root.
        match fs::canonicalize(&dir) {
            Ok(c) if c.parent() == Some(self.root.as_path()) => Ok(c),
            _ => Err(AppError::not_found(format!("there is no run called “{name}” in this folder"))),
        }
    }

    /// Opens the run called `name` (checked with [`RunsRoot::resolve`]).
    pub fn open_run(&self, name: &str) -> Result<Run, AppError> {
        let dir = self.resolve(name)?;
        Ok(open_state(name, &dir))
    }

    /// Opens the run called `name` and requires it to be complete: a run
    /// still being written or with a damaged manifest is an error.
    pub fn complete(&self, name: &str) -> Result<RunDir, AppError> {
        let dir = self.resolve(name)?;
        RunDir::open(&dir).map_err(|e| AppError::store(name, files::MANIFEST, &e))
    }

    /// Every run of the folder, opened, in name order.
    pub fn runs(&self) -> io::Result<Vec<Run>> {
        Ok(self.names()?.into_iter().map(|n| open_state(&n, &self.root.join(&n))).collect())
    }

    /// The chilling effect of `run` (its summary `summary`): the one in its
    /// summary when it has one, otherwise computed against a like-for-like
    /// baseline run of this folder (same seed, citizens and days, a
    /// scenario with no pressure), otherwise why there is none.
    pub fn chilling(&self, name: &str, run: &RunDir, summary: &Summary) -> Result<Chilling, NoChilling> {
        if !has_pressure(run.manifest()) {
            return Err(NoChilling::NoPressure);
        }
        if let (Some(rows), Some(baseline)) = (&summary.chilling, &summary.baseline_run) {
            return Ok(Chilling { rows: rows.clone(), baseline: display_baseline(baseline), computed: false });
        }
        let m = run.manifest();
        let hint = format!(
            "scorelab run baseline --seed {} --citizens {} --days {} --out {}/baseline-{}",
            m.seed,
            m.citizens,
            m.days,
            self.root.display(),
            m.seed
        );
        let Some((base_name, base)) = self.find_baseline(name, m) else {
            return Err(NoChilling::NoBaseline { hint });
        };
        match base.read_summary() {
            Ok(b) if summary.baseline_mismatch(&b).is_none() => {
                let rows = summary.clone().with_chilling(&b, &base_name).chilling.unwrap_or_default();
                Ok(Chilling { rows, baseline: base_name, computed: true })
            }
            _ => Err(NoChilling::NoBaseline { hint }),
        }
    }

    /// A complete baseline run for the manifest `m` of the run `name`: same
    /// seed, citizens and days, with a scenario that puts no pressure on
    /// anyone. The folder the run names in its manifest comes first, then
    /// `baseline-<seed>`, then any other in name order.
    pub fn find_baseline(&self, name: &str, m: &Manifest) -> Option<(String, RunDir)> {
        let mut names = self.names().ok()?;
        names.retain(|n| n != name);
        let named = m.baseline.as_deref().and_then(|b| Path::new(b).file_name()).and_then(|f| f.to_str());
        let conventional = format!("baseline-{}", m.seed);
        names.sort_by_key(|n| (Some(n.as_str()) != named, *n != conventional, n.clone()));
        names.into_iter().find_map(|n| {
            let run = RunDir::open(&self.root.join(&n)).ok()?;
            let b = run.manifest();
            (b.seed == m.seed && b.citizens == m.citizens && b.days == m.days && !has_pressure(b)).then_some((n, run))
        })
    }
}

/// The baseline path recorded in a summary, shown by its folder name.
fn display_baseline(path: &str) -> String {
    Path::new(path).file_name().and_then(|f| f.to_str()).unwrap_or(path).to_string()
}

/// The state of the run folder `dir`.
fn open_state(name: &str, dir: &Path) -> Run {
    let state = match RunDir::open(dir) {
        Ok(run) => RunState::Complete(Box::new(run)),
        Err(StoreError::Incomplete { .. }) => RunState::InProgress(read_progress(dir).ok().flatten()),
        Err(e) => RunState::Unreadable(AppError::store(name, files::MANIFEST, &e).message().to_string()),
    };
    Run { name: name.to_string(), state }
}

/// The run's scenario, parsed back from the manifest; `None` when the
/// manifest's TOML cannot be parsed (a run of another version).
pub fn scenario_of(m: &Manifest) -> Option<Scenario> {
    scorelab_scenario::parse_str(&m.scenario_toml, "manifest.json").ok()
}

/// Whether the run's scenario puts pressure on anyone (a baseline does not).
/// Without a readable scenario, the `baseline` name decides.
pub fn has_pressure(m: &Manifest) -> bool {
    scenario_of(m).map_or(m.scenario != "baseline", |s| s.has_pressure())
}

/// The files of a complete run, each read on its own: a page shows what it
/// can and says what is missing.
pub struct RunFiles {
    /// The run's folder name.
    pub name: String,
    /// The run.
    pub run: RunDir,
    /// The scenario, when the manifest's TOML parses.
    pub scenario: Option<Scenario>,
    /// `summary.json`.
    pub summary: Result<Summary, AppError>,
    /// `daily.parquet`.
    pub daily: Result<Vec<DayMetrics>, AppError>,
    /// `groups.parquet`.
    pub groups: Result<Vec<GroupRow>, AppError>,
}

impl RunFiles {
    /// Reads the summary, daily and groups files of `run`.
    pub fn read(name: &str, run: RunDir) -> RunFiles {
        let summary = run.read_summary().map_err(|e| AppError::store(name, files::SUMMARY, &e));
        let daily = run.read_daily().map_err(|e| AppError::store(name, files::DAILY, &e));
        let groups = run.read_groups().map_err(|e| AppError::store(name, files::GROUPS, &e));
        for e in [summary.as_ref().err(), daily.as_ref().err(), groups.as_ref().err()].into_iter().flatten() {
            e.log();
        }
        let scenario = scenario_of(run.manifest());
        RunFiles { name: name.to_string(), run, scenario, summary, daily, groups }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        for ok in ["seed-article-1", "baseline-1", "run with spaces", "ünïcode", "a..b"] {
            assert!(is_plain_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "/etc", ".hidden", "%2e%2e", "a%2Fb", "c:x", "a\0b", "a\nb"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(!is_plain_name(&"x".repeat(MAX_NAME + 1)));
    }
}
