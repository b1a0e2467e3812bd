//! [`RunDir`]: a complete run directory opened for reading, for the CLI's
//! `compare`, `explain` and `report` and for the dashboard.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use scorelab_engine::comm::Partition;
use scorelab_engine::metrics::{AuditRow, CitizenRow, DayMetrics, GroupRow};
use serde::de::DeserializeOwned;

use crate::error::StoreError;
use crate::manifest::{files, Manifest, Progress, FORMAT_VERSION};
use crate::names::Names;
use crate::summary::Summary;
use crate::{audit, citizens, daily, groups};

/// A complete run directory: its manifest has been read and checked.
#[derive(Debug, Clone)]
pub struct RunDir {
    dir: PathBuf,
    manifest: Manifest,
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    let bytes = fs::read(path).map_err(|e| StoreError::io("read", path, e))?;
    serde_json::from_slice(&bytes).map_err(|source| StoreError::Json { path: path.to_path_buf(), source })
}

/// Reads `progress.json` of a run folder: `None` when there is none (a
/// complete run, or a run that has not reported yet).
pub fn read_progress(dir: &Path) -> Result<Option<Progress>, StoreError> {
    let path = dir.join(files::PROGRESS);
    match read_json(&path) {
        Ok(p) => Ok(Some(p)),
        Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl RunDir {
    /// Opens the run in `dir`.
    ///
    /// Fails with [`StoreError::NoRunDir`] when there is no such folder,
    /// [`StoreError::Incomplete`] when it has no `manifest.json` (with the
    /// progress reported in `progress.json`, if any), [`StoreError::Json`]
    /// when the manifest is damaged and [`StoreError::Format`] when it was
    /// written in another format version.
    pub fn open(dir: &Path) -> Result<RunDir, StoreError> {
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(StoreError::NoRunDir { dir: dir.to_path_buf() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NoRunDir { dir: dir.to_path_buf() })
            }
            Err(e) => return Err(StoreError::io("open", dir, e)),
        }
        let path = dir.join(files::MANIFEST);
        let manifest: Manifest = match read_json(&path) {
            Ok(m) => m,
            Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                // The progress file is only a hint: a damaged one must not
                // hide the real message.
                let progress = read_progress(dir).ok().flatten().map(|p| (p.day, p.days));
                let checkpoint = crate::checkpoint::has_checkpoint(dir)
                    .then(|| crate::checkpoint::read_checkpoint_info(dir).ok().flatten().map_or(0, |c| c.day));
                return Err(StoreError::Incomplete { dir: dir.to_path_buf(), progress, checkpoint });
            }
            Err(e) => return Err(e),
        };
        if manifest.format_version != FORMAT_VERSION {
            return Err(StoreError::format(
                &path,
                format!("format version {}, but this scorelab reads version {FORMAT_VERSION}", manifest.format_version),
            ));
        }
        Ok(RunDir { dir: dir.to_path_buf(), manifest })
    }

    /// The run folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The path of one of the run's files (see [`crate::files`]).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The names the wide columns are made from, as recorded in the manifest.
    pub fn names(&self) -> Names {
        self.manifest.names()
    }

    /// Reads `daily.parquet` back into one [`DayMetrics`] per day.
    pub fn read_daily(&self) -> Result<Vec<DayMetrics>, StoreError> {
        daily::read(&self.file(files::DAILY), &self.names())
    }

    /// Reads `groups.parquet`.
    pub fn read_groups(&self) -> Result<Vec<GroupRow>, StoreError> {
        groups::read(&self.file(files::GROUPS))
    }

    /// Reads `summary.json`.
    pub fn read_summary(&self) -> Result<Summary, StoreError> {
        read_json(&self.file(files::SUMMARY))
    }

    /// The audit rows of one citizen, in file order; empty when the citizen
    /// was not tracked.
    pub fn read_audit_for(&self, citizen: u32) -> Result<Vec<AuditRow>, StoreError> {
        audit::read_for(&self.file(files::AUDIT), citizen)
    }

    /// Every row of the citizens table, in citizen order: `citizens.parquet`,
    /// or the parts of a run over several ranks read in rank order. Holds
    /// them all in memory.
    pub fn read_citizens(&self) -> Result<Vec<CitizenRow>, StoreError> {
        if self.manifest.ranks <= 1 {
            return citizens::read_all(&self.file(files::CITIZENS), &self.manifest.activities);
        }
        let mut rows = Vec::new();
        for rank in 0..self.manifest.ranks {
            rows.extend(citizens::read_all(&self.file(&files::citizens_part(rank)), &self.manifest.activities)?);
        }
        Ok(rows)
    }

    /// The final state of one citizen; `None` when the citizen is not in
    /// `citizens.parquet` (out of range, or not in the sample).
    /// `ever_denied` comes back in scenario order.
    pub fn read_citizen(&self, id: u32) -> Result<Option<CitizenRow>, StoreError> {
        let file = if self.manifest.ranks > 1 && u64::from(id) < self.manifest.citizens {
            // A run over several ranks wrote one part per rank, each holding its ranks' citizens.
            let citizens = u32::try_from(self.manifest.citizens).unwrap_or(u32::MAX);
            let ranks = self.manifest.ranks.min(citizens as usize);
            files::citizens_part(Partition::of(citizens, ranks, 0).owner(id))
        } else {
            files::CITIZENS.to_string()
        };
        citizens::read_one(&self.file(&file), &self.manifest.activities, id)
    }
}
