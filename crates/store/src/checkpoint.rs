//! Checkpoints in a run directory: `checkpoint.bin`, the engine's state
//! (see `scorelab_engine::checkpoint` for the format), and
//! `checkpoint.json`, a small description of it for people and tools.
//!
//! Both are written atomically (`<name>.tmp`, fsync, rename), the binary
//! first: a crash while a checkpoint is written leaves the previous one
//! whole. The binary is the authority; the JSON is a convenience and may
//! lag it by one checkpoint after a crash between the two renames. Both
//! are removed once the run's manifest is written.
//!
//! A run over several ranks (docs/DISTRIBUTED.md) checkpoints in two
//! phases: every rank writes its part, `checkpoint-<day>.rank-<r>.bin`;
//! once all have, rank 0 writes `checkpoint.json` naming the day, which
//! commits it; only then does each rank remove its parts of earlier days.
//! There `checkpoint.json` is the authority: a crash at any point leaves
//! one whole, committed checkpoint.

use std::fs::{self, File};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use scorelab_engine::checkpoint::{CheckpointError, CheckpointReader, Header};
use scorelab_engine::metrics::DayMetrics;
use scorelab_engine::Simulation;
use serde::{Deserialize, Serialize};

use crate::atomic::{remove_if_exists, tmp_path, write_atomic, write_json_atomic};
use crate::error::StoreError;
use crate::manifest::files;
use crate::writer::{remove_matching, RunWriter};

/// File names of a checkpoint inside a run directory.
pub mod checkpoint_files {
    /// The engine's state, in its binary format.
    pub const BIN: &str = "checkpoint.bin";
    /// What the checkpoint is: [`super::CheckpointInfo`].
    pub const JSON: &str = "checkpoint.json";

    /// Rank r's part of the checkpoint after `day` days of a run over
    /// several ranks.
    pub fn part(day: u32, rank: usize) -> String {
        format!("checkpoint-{day:05}.rank-{rank:04}.bin")
    }

    /// Whether `name` is a part of a checkpoint (or a half-written one).
    pub fn is_part(name: &str) -> bool {
        name.strip_prefix("checkpoint-").is_some_and(|rest| rest.contains(".rank-") && rest.contains(".bin"))
    }
}

fn one_rank() -> u32 {
    1
}

/// `checkpoint.json`: which run a checkpoint belongs to and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// Version of the binary format of `checkpoint.bin`.
    pub checkpoint_format: u32,
    /// Days simulated when the checkpoint was written.
    pub day: u32,
    /// Days planned.
    pub days: u32,
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Number of citizens.
    pub citizens: u64,
    /// Size of `checkpoint.bin` in bytes.
    pub bytes: u64,
    /// Version and git commit of the scorelab that wrote it.
    pub scorelab_version: String,
    /// Git commit of that scorelab (`unknown` outside git).
    pub git_commit: String,
    /// Start of the run (its first session), seconds since the Unix epoch.
    pub started_unix: u64,
    /// Wall-clock seconds spent on the run so far, over all its sessions.
    pub elapsed_seconds: f64,
    /// Ranks of the run (1 without MPI): a checkpoint of a run over K ranks
    /// is K parts, resumed by K ranks.
    #[serde(default = "one_rank")]
    pub ranks: u32,
}

/// A checkpoint opened for reading: its description (when `checkpoint.json`
/// could be read), its header, and the reader of its state.
pub struct Checkpoint {
    path: PathBuf,
    info: Option<CheckpointInfo>,
    reader: CheckpointReader<BufReader<File>>,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint").field("path", &self.path).field("header", self.reader.header()).finish()
    }
}

impl Checkpoint {
    /// Path of `checkpoint.bin`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The description from `checkpoint.json`, if it could be read.
    pub fn info(&self) -> Option<&CheckpointInfo> {
        self.info.as_ref()
    }

    /// The binary checkpoint's header: scenario, size, seed, day.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// Reads the state: the run continues with day [`Header::day`].
    /// `scenario` must be the one the checkpoint was written with.
    pub fn restore(self, scenario: &scorelab_scenario::Scenario) -> Result<(Simulation, Vec<DayMetrics>), StoreError> {
        let path = self.path;
        self.reader.restore(scenario).map_err(|e| checkpoint_error("read", &path, e))
    }

    /// [`Checkpoint::restore`] of this rank's part of a run over several
    /// ranks. Collective.
    pub fn restore_part(
        self,
        scenario: &scorelab_scenario::Scenario,
        comm: std::sync::Arc<dyn scorelab_engine::comm::Comm>,
    ) -> Result<(Simulation, Vec<DayMetrics>), StoreError> {
        let path = self.path;
        self.reader.restore_part(scenario, comm).map_err(|e| checkpoint_error("read", &path, e))
    }
}

fn checkpoint_error(action: &'static str, path: &Path, e: CheckpointError) -> StoreError {
    match e {
        CheckpointError::Io(io) => StoreError::io(action, path, io),
        other => StoreError::Checkpoint { path: path.to_path_buf(), source: other },
    }
}

/// Whether `dir` holds a checkpoint (`checkpoint.bin`, or the committed
/// parts of a run over several ranks).
pub fn has_checkpoint(dir: &Path) -> bool {
    dir.join(checkpoint_files::BIN).is_file()
        || read_checkpoint_info(dir).ok().flatten().is_some_and(|info| info.ranks > 1)
}

/// Reads `checkpoint.json` of `dir`: `None` when there is none.
pub fn read_checkpoint_info(dir: &Path) -> Result<Option<CheckpointInfo>, StoreError> {
    let path = dir.join(checkpoint_files::JSON);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|source| StoreError::Json { path, source }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("read", &path, e)),
    }
}

/// Opens the checkpoint of `dir` and reads its header.
///
/// Fails with [`StoreError::NoCheckpoint`] when there is none (saying so
/// when the folder holds a complete run instead), and with
/// [`StoreError::Checkpoint`] when `checkpoint.bin` is not a checkpoint this
/// scorelab can read. A damaged `checkpoint.json` is ignored: the binary is
/// the authority.
pub fn open_checkpoint(dir: &Path) -> Result<Checkpoint, StoreError> {
    open_checkpoint_part(dir, 0, 1)
}

/// Opens rank `rank`'s part of the checkpoint of `dir` for a run over
/// `ranks` ranks ([`open_checkpoint`] for one), refusing a checkpoint
/// written by a run over another number of ranks with the command that
/// resumes it.
pub fn open_checkpoint_part(dir: &Path, rank: usize, ranks: usize) -> Result<Checkpoint, StoreError> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(StoreError::NoRunDir { dir: dir.to_path_buf() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(StoreError::NoRunDir { dir: dir.to_path_buf() }),
        Err(e) => return Err(StoreError::io("open", dir, e)),
    }
    let info = read_checkpoint_info(dir).ok().flatten();
    let written_by = info.as_ref().map_or(1, |i| i.ranks as usize);
    let path = dir.join(if written_by > 1 {
        checkpoint_files::part(info.as_ref().map_or(0, |i| i.day), rank)
    } else {
        checkpoint_files::BIN.to_string()
    });
    if written_by != ranks && (written_by > 1 || path.is_file()) {
        let how = if written_by > 1 {
            format!("mpirun -n {written_by} scorelab run --resume {} --mpi", dir.display())
        } else {
            format!("scorelab run --resume {}", dir.display())
        };
        return Err(StoreError::Checkpoint {
            path,
            source: CheckpointError::Mismatch(format!(
                "it was written by a run over {written_by} rank(s) and this is a run over {ranks}; a run resumes with as many ranks as it started with: `{how}`"
            )),
        });
    }
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StoreError::NoCheckpoint {
                dir: dir.to_path_buf(),
                complete: dir.join(files::MANIFEST).exists(),
            })
        }
        Err(e) => return Err(StoreError::io("open", &path, e)),
    };
    let reader = CheckpointReader::new(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| checkpoint_error("read", &path, e))?;
    Ok(Checkpoint { path, info, reader })
}

/// Removes the checkpoint of `dir` (and any half-written one).
pub fn remove_checkpoint(dir: &Path) -> Result<(), StoreError> {
    for name in [checkpoint_files::BIN, checkpoint_files::JSON] {
        let path = dir.join(name);
        remove_if_exists(&path)?;
        remove_if_exists(&tmp_path(&path))?;
    }
    remove_matching(dir, checkpoint_files::is_part)
}

impl RunWriter {
    /// Writes a checkpoint of `sim` after [`Simulation::day`] days, with the
    /// daily figures so far, atomically: `checkpoint.bin`, then
    /// `checkpoint.json` from `info` (its `bytes` and `day` filled in here).
    /// Returns the size of `checkpoint.bin`. On failure (a full disk) the
    /// previous checkpoint, if any, is left whole.
    pub fn write_checkpoint(
        &self,
        sim: &Simulation,
        daily: &[DayMetrics],
        producer: &str,
        scenario_toml: &str,
        info: &CheckpointInfo,
    ) -> Result<u64, StoreError> {
        let bytes = self.write_state(checkpoint_files::BIN, sim, daily, producer, scenario_toml)?;
        let info = CheckpointInfo { bytes, day: sim.day(), ..info.clone() };
        write_json_atomic(&self.dir().join(checkpoint_files::JSON), &info)?;
        Ok(bytes)
    }

    /// Phase one of a checkpoint of a run over several ranks: this rank's
    /// part after [`Simulation::day`] days, written atomically. Returns its
    /// size.
    pub fn write_checkpoint_part(
        &self,
        sim: &Simulation,
        daily: &[DayMetrics],
        producer: &str,
        scenario_toml: &str,
    ) -> Result<u64, StoreError> {
        self.write_state(&checkpoint_files::part(sim.day(), sim.part().rank), sim, daily, producer, scenario_toml)
    }

    /// The engine's state into `name`, atomically; returns its size.
    fn write_state(
        &self,
        name: &str,
        sim: &Simulation,
        daily: &[DayMetrics],
        producer: &str,
        scenario_toml: &str,
    ) -> Result<u64, StoreError> {
        let path = self.dir().join(name);
        let mut bytes = 0;
        write_atomic(&path, |w| {
            bytes = sim
                .write_checkpoint(w, producer, scenario_toml, daily)
                .map_err(|e| checkpoint_error("write", &path, e))?;
            Ok(())
        })?;
        Ok(bytes)
    }

    /// Phase two, on rank 0 once every rank's part is written: commits the
    /// checkpoint of `info.day` days (`info.ranks` parts).
    pub fn commit_checkpoint(&self, info: &CheckpointInfo) -> Result<(), StoreError> {
        write_json_atomic(&self.dir().join(checkpoint_files::JSON), info)
    }

    /// After the commit: removes this rank's parts of other days.
    pub fn prune_checkpoint_parts(&self, rank: usize, day: u32) -> Result<(), StoreError> {
        let keep = checkpoint_files::part(day, rank);
        let suffix = format!(".rank-{rank:04}.bin");
        remove_matching(self.dir(), |name| checkpoint_files::is_part(name) && name != keep && name.contains(&suffix))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::manifest::Progress;
    use scorelab_engine::{RunConfig, Simulation};

    fn info() -> CheckpointInfo {
        CheckpointInfo {
            checkpoint_format: scorelab_engine::checkpoint::VERSION,
            day: 0,
            days: 8,
            scenario: "baseline".into(),
            seed: 4,
            citizens: 1500,
            bytes: 0,
            scorelab_version: "test".into(),
            git_commit: "unknown".into(),
            started_unix: 17,
            elapsed_seconds: 1.5,
            ranks: 1,
        }
    }

    fn stepped(days: u32) -> (scorelab_scenario::Scenario, Simulation, Vec<DayMetrics>) {
        let scenario = scorelab_scenario::load_builtin("baseline").unwrap();
        let config = RunConfig { citizens: 1500, days: 8, seed: 4, tracked: vec![1, 2] };
        let mut sim = Simulation::new(&scenario, config).unwrap();
        let daily = (0..days).map(|_| sim.step()).collect();
        (scenario, sim, daily)
    }

    #[test]
    fn a_checkpoint_is_written_read_and_removed_with_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("r");
        let writer = RunWriter::create(&run, false).unwrap();
        let (scenario, sim, daily) = stepped(3);
        let bytes = writer.write_checkpoint(&sim, &daily, "test", "toml", &info()).unwrap();
        assert_eq!(fs::metadata(run.join(checkpoint_files::BIN)).unwrap().len(), bytes);
        let stored = read_checkpoint_info(&run).unwrap().unwrap();
        assert_eq!((stored.day, stored.bytes, stored.started_unix), (3, bytes, 17));

        let checkpoint = open_checkpoint(&run).unwrap();
        assert_eq!(checkpoint.header().day, 3);
        assert_eq!(checkpoint.info().map(|i| i.day), Some(3));
        let (restored, days) = checkpoint.restore(&scenario).unwrap();
        assert_eq!((restored.day(), days), (3, daily));

        // Until the manifest lands, the folder is an incomplete run that says it can be resumed.
        writer.write_progress(&Progress { day: 3, days: 8, citizens: 1500, started_unix: 17 }).unwrap();
        let err = crate::RunDir::open(&run).unwrap_err();
        assert!(matches!(err, StoreError::Incomplete { checkpoint: Some(3), .. }), "{err}");
        assert!(err.to_string().contains("checkpoint after day 3"), "{err}");
        assert!(has_checkpoint(&run));
    }

    #[test]
    fn a_new_run_over_a_checkpoint_needs_force_and_resume_needs_one() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("r");
        let writer = RunWriter::create(&run, false).unwrap();
        let (_, sim, daily) = stepped(2);
        writer.write_checkpoint(&sim, &daily, "test", "toml", &info()).unwrap();
        fs::write(run.join("checkpoint.bin.tmp"), b"half").unwrap();

        let err = RunWriter::create(&run, false).unwrap_err();
        assert!(matches!(err, StoreError::Resumable { day: Some((2, 8)), .. }), "{err}");
        assert!(err.to_string().contains("--resume"), "{err}");

        RunWriter::resume(&run).unwrap();
        assert!(!run.join("checkpoint.bin.tmp").exists(), "a crash's temporary file is removed");
        assert!(run.join(checkpoint_files::BIN).exists());

        RunWriter::create(&run, true).unwrap();
        assert!(!has_checkpoint(&run) && !run.join(checkpoint_files::JSON).exists());
        let err = RunWriter::resume(&run).unwrap_err();
        assert!(matches!(err, StoreError::NoCheckpoint { complete: false, .. }), "{err}");
        let err = open_checkpoint(&run).unwrap_err();
        assert!(err.to_string().contains("no checkpoint"), "{err}");
        assert!(matches!(RunWriter::resume(&dir.path().join("nope")), Err(StoreError::NoRunDir { .. })));
    }

    #[test]
    fn a_damaged_checkpoint_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(checkpoint_files::BIN), b"PAR1").unwrap();
        fs::write(dir.path().join(checkpoint_files::JSON), b"{ nope").unwrap();
        let err = open_checkpoint(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("checkpoint.bin") && text.contains("not a scorelab checkpoint"), "{text}");
        assert!(read_checkpoint_info(dir.path()).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_while_checkpointing_is_reported_as_such() {
        // /dev/full fails every write with ENOSPC: the checkpoint stream
        // reports it as a full disk (write_atomic then removes its
        // temporary file, tested in `atomic`).
        let Ok(full) = fs::OpenOptions::new().write(true).open("/dev/full") else { return };
        let (_, sim, daily) = stepped(1);
        let err = sim.write_checkpoint(std::io::BufWriter::new(full), "t", "", &daily).unwrap_err();
        let err = checkpoint_error("write", Path::new("/r/checkpoint.bin"), err);
        assert!(err.is_disk_full(), "{err}");
    }
}
