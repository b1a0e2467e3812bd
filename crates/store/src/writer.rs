//! [`RunWriter`]: creates a run directory and writes its files, each one
//! atomically, the manifest last.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use scorelab_engine::metrics::{AuditRow, CitizenRow, DayMetrics, GroupRow, HistogramSpec};
use scorelab_scenario::Scenario;

use crate::atomic::{remove_if_exists, tmp_path, write_json_atomic};
use crate::error::StoreError;
use crate::manifest::{files, Manifest, Progress, RunStatus, FORMAT_VERSION};
use crate::names::Names;
use crate::summary::Summary;
use crate::{audit, checkpoint, citizens, daily, groups};

/// Name of the file created and removed by [`RunWriter::create`] to check
/// that the folder is writable.
const PROBE: &str = ".scorelab-write-probe.tmp";

/// Writes one run directory. Create it before the simulation starts (so an
/// unwritable folder or an existing run fails before any work), write the
/// tables and the summary when the run is over, then [`RunWriter::finish`]
/// with the manifest: until then the folder reads as incomplete.
#[derive(Debug)]
pub struct RunWriter {
    dir: PathBuf,
}

impl RunWriter {
    /// Prepares `dir` for a new run.
    ///
    /// Refuses with [`StoreError::RunExists`] when `dir/manifest.json`
    /// exists (a complete run) and `force` is false. Creates the folder and
    /// its parents; removes the files a previous run may have left there
    /// (its manifest first, so it stops looking complete before anything
    /// else goes; files of an incomplete run are removed even without
    /// `force`, since they are not a result); then checks the folder is
    /// writable by creating and removing a probe file. Other files in the
    /// folder are left alone.
    ///
    /// An interrupted run that left a checkpoint is hours of work that can
    /// be resumed: without `force` it is refused with
    /// [`StoreError::Resumable`]; with `force` the checkpoint is removed too.
    pub fn create(dir: &Path, force: bool) -> Result<RunWriter, StoreError> {
        let manifest = dir.join(files::MANIFEST);
        match fs::metadata(&manifest) {
            Ok(_) if !force => return Err(StoreError::RunExists { dir: dir.to_path_buf() }),
            Ok(_) => {}
            // A path under a file: creating the folder fails next, with
            // the folder's name in the message.
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
            Err(e) => return Err(StoreError::io("check", &manifest, e)),
        }
        if !force && checkpoint::has_checkpoint(dir) {
            let day = checkpoint::read_checkpoint_info(dir).ok().flatten().map(|c| (c.day, c.days));
            return Err(StoreError::Resumable { dir: dir.to_path_buf(), day });
        }
        fs::create_dir_all(dir).map_err(|e| StoreError::io("create the run folder", dir, e))?;
        for name in files::ALL {
            let path = dir.join(name);
            remove_if_exists(&path)?;
            remove_if_exists(&tmp_path(&path))?;
        }
        remove_matching(dir, files::is_citizens_part)?;
        checkpoint::remove_checkpoint(dir)?;
        probe(dir)?;
        Ok(RunWriter { dir: dir.to_path_buf() })
    }

    /// Reopens `dir` to finish an interrupted run from its checkpoint (read
    /// it with [`crate::open_checkpoint`]). Refuses with
    /// [`StoreError::NoCheckpoint`] a folder without a checkpoint or with a
    /// complete run. Removes the temporary files a crash may have left
    /// (never a file under its final name: the output files are all written
    /// again) and checks that the folder is writable.
    pub fn resume(dir: &Path) -> Result<RunWriter, StoreError> {
        if !dir.is_dir() {
            return Err(StoreError::NoRunDir { dir: dir.to_path_buf() });
        }
        let complete = dir.join(files::MANIFEST).exists();
        if complete || !checkpoint::has_checkpoint(dir) {
            return Err(StoreError::NoCheckpoint { dir: dir.to_path_buf(), complete });
        }
        for name in files::ALL.iter().chain(&[checkpoint::checkpoint_files::BIN, checkpoint::checkpoint_files::JSON]) {
            remove_if_exists(&tmp_path(&dir.join(name)))?;
        }
        probe(dir)?;
        Ok(RunWriter { dir: dir.to_path_buf() })
    }

    /// Joins `dir`, prepared by rank 0 of a run over several ranks with
    /// [`RunWriter::create`] or [`RunWriter::resume`], to write this rank's
    /// parts. Checks that the folder is there and writable here.
    pub fn join(dir: &Path, rank: usize) -> Result<RunWriter, StoreError> {
        if !dir.is_dir() {
            return Err(StoreError::NoRunDir { dir: dir.to_path_buf() });
        }
        probe_as(dir, &format!(".scorelab-write-probe.rank-{rank}.tmp"))?;
        Ok(RunWriter { dir: dir.to_path_buf() })
    }

    /// The run folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `daily.parquet`: one row per day, wide columns named after the
    /// scenario's grades, behaviours and activities.
    pub fn write_daily(&self, scenario: &Scenario, spec: HistogramSpec, days: &[DayMetrics]) -> Result<(), StoreError> {
        self.write_daily_with_names(&Names::of(scenario), spec, days)
    }

    /// [`RunWriter::write_daily`] from the names alone.
    pub fn write_daily_with_names(
        &self,
        names: &Names,
        spec: HistogramSpec,
        days: &[DayMetrics],
    ) -> Result<(), StoreError> {
        daily::write(&self.file(files::DAILY), names, spec, days)
    }

    /// Writes `groups.parquet`, rows in the order given.
    pub fn write_groups(&self, rows: &[GroupRow]) -> Result<(), StoreError> {
        groups::write(&self.file(files::GROUPS), rows)
    }

    /// Writes `citizens.parquet` from a stream of rows (never all held in
    /// memory: they are encoded 64k at a time); returns the number of rows.
    /// `ever_denied` becomes one boolean column per scenario activity.
    pub fn write_citizens(
        &self,
        scenario: &Scenario,
        rows: impl Iterator<Item = CitizenRow>,
    ) -> Result<u64, StoreError> {
        self.write_citizens_with_names(&Names::of(scenario).activities, rows)
    }

    /// [`RunWriter::write_citizens`] from the activity names alone.
    pub fn write_citizens_with_names(
        &self,
        activities: &[String],
        rows: impl Iterator<Item = CitizenRow>,
    ) -> Result<u64, StoreError> {
        citizens::write(&self.file(files::CITIZENS), activities, rows)
    }

    /// Writes rank `rank`'s part of the citizens of a run over several ranks
    /// ([`files::citizens_part`]); returns the number of rows.
    pub fn write_citizens_part(
        &self,
        rank: usize,
        activities: &[String],
        rows: impl Iterator<Item = CitizenRow>,
    ) -> Result<u64, StoreError> {
        citizens::write(&self.file(&files::citizens_part(rank)), activities, rows)
    }

    /// Writes `audit.parquet`, rows in the order given (by citizen, then day).
    pub fn write_audit(&self, rows: &[AuditRow]) -> Result<(), StoreError> {
        audit::write(&self.file(files::AUDIT), rows)
    }

    /// Writes `summary.json`.
    pub fn write_summary(&self, summary: &Summary) -> Result<(), StoreError> {
        write_json_atomic(&self.file(files::SUMMARY), summary)
    }

    /// Writes (replaces) `progress.json`; call it as often as wanted while
    /// the run goes on.
    pub fn write_progress(&self, progress: &Progress) -> Result<(), StoreError> {
        write_json_atomic(&self.file(files::PROGRESS), progress)
    }

    /// Writes `manifest.json`, the last file, which makes the run complete,
    /// then removes `progress.json`. Returns the run folder.
    pub fn finish(self, manifest: &Manifest) -> Result<PathBuf, StoreError> {
        let path = self.file(files::MANIFEST);
        if manifest.format_version != FORMAT_VERSION || manifest.status != RunStatus::Complete {
            return Err(StoreError::internal(
                &path,
                format!(
                    "manifest says format {} / {:?}, expected {FORMAT_VERSION} / Complete",
                    manifest.format_version, manifest.status
                ),
            ));
        }
        write_json_atomic(&path, manifest)?;
        // The run is complete now; a progress file or a checkpoint that
        // cannot be removed is ignored by readers once the manifest exists.
        let _ = remove_if_exists(&self.file(files::PROGRESS));
        let _ = checkpoint::remove_checkpoint(&self.dir);
        Ok(self.dir)
    }
}

/// Removes the files of `dir` whose names `matches`.
pub(crate) fn remove_matching(dir: &Path, matches: impl Fn(&str) -> bool) -> Result<(), StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::io("list", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("list", dir, e))?;
        if entry.file_name().to_str().is_some_and(&matches) {
            remove_if_exists(&entry.path())?;
        }
    }
    Ok(())
}

/// Checks that `dir` is writable by creating, syncing and removing a probe
/// file (permission bits alone do not tell: a read-only mount, a quota).
fn probe(dir: &Path) -> Result<(), StoreError> {
    probe_as(dir, PROBE)
}

/// [`probe`] with a file name of the caller's: ranks probing one folder at
/// once each use their own.
fn probe_as(dir: &Path, name: &str) -> Result<(), StoreError> {
    let probe = dir.join(name);
    let written = fs::File::create(&probe).and_then(|mut f| f.write_all(b"scorelab\n").and_then(|()| f.sync_all()));
    let removed = fs::remove_file(&probe);
    written.map_err(|e| StoreError::io("write in", dir, e))?;
    removed.map_err(|e| StoreError::io("remove", &probe, e))?;
    Ok(())
}
