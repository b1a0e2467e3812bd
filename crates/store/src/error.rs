//! The one error type of the store, [`StoreError`]: every variant names the
//! file or folder it is about and says whose fault it is (the machine's
//! resources, the user's folder, a damaged file, or a bug in the caller).

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Everything that can go wrong while writing or reading a run directory.
///
/// Messages are written for the person running scorelab: they name the path
/// and, where there is one, the operating system's error.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The disk (or the user's quota) is full. Nothing half-written is left
    /// behind: the temporary file has been removed.
    #[error(
        "disk full while writing {}: free some space or write the run to another folder ({source})",
        path.display()
    )]
    DiskFull {
        /// The file being written.
        path: PathBuf,
        /// The operating system's error (ENOSPC or EDQUOT).
        source: io::Error,
    },

    /// An operating system error other than a full disk.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What the store was doing, e.g. `create`, `rename`, `read`.
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// The output folder already holds a complete run and `force` was not given.
    #[error(
        "{} already holds a complete run (it has a manifest.json); pass --force to overwrite it, or choose another folder",
        dir.display()
    )]
    RunExists {
        /// The run folder.
        dir: PathBuf,
    },

    /// The folder to read does not exist or is not a folder.
    #[error("no run folder at {}", dir.display())]
    NoRunDir {
        /// The path that was given.
        dir: PathBuf,
    },

    /// The folder has no `manifest.json`: the run was interrupted or is still running.
    #[error(
        "incomplete run in {}: no manifest.json (the run was interrupted or is still running){}{}",
        dir.display(),
        progress_note(*.progress),
        checkpoint_note(dir, *.checkpoint)
    )]
    Incomplete {
        /// The run folder.
        dir: PathBuf,
        /// `(day, days)` from `progress.json`, when it could be read: days
        /// simulated so far and days planned.
        progress: Option<(u32, u32)>,
        /// The day of its checkpoint, when it has one (from
        /// `checkpoint.json`; `Some(0)` for a checkpoint without a readable
        /// description).
        checkpoint: Option<u32>,
    },

    /// A new run was asked for in a folder holding an interrupted run that
    /// can be resumed, without `force`.
    #[error(
        "{} holds an interrupted run with a checkpoint{}: resume it with `scorelab run --resume {}`, or pass --force to discard it and start again",
        dir.display(),
        match day { Some((d, n)) => format!(" after day {d} of {n}"), None => String::new() },
        dir.display()
    )]
    Resumable {
        /// The run folder.
        dir: PathBuf,
        /// `(day, days)` of the checkpoint, when its description could be read.
        day: Option<(u32, u32)>,
    },

    /// There is no checkpoint to resume from.
    #[error("{}", no_checkpoint_message(dir, *.complete))]
    NoCheckpoint {
        /// The run folder.
        dir: PathBuf,
        /// Whether the folder holds a complete run (so there is nothing to resume).
        complete: bool,
    },

    /// A checkpoint that cannot be resumed: not a checkpoint, another
    /// format version, damaged, or of another run.
    #[error("cannot resume from {}: {source}", path.display())]
    Checkpoint {
        /// `checkpoint.bin`.
        path: PathBuf,
        /// What is wrong with it.
        source: scorelab_engine::checkpoint::CheckpointError,
    },

    /// A JSON file (manifest, summary, progress) could not be parsed.
    #[error("{} is damaged or not a scorelab file: {source}", path.display())]
    Json {
        /// The JSON file.
        path: PathBuf,
        /// What the parser found.
        source: serde_json::Error,
    },

    /// A Parquet file could not be written or decoded (damaged, truncated,
    /// or not Parquet at all).
    #[error("{} is damaged or not a Parquet file: {message}", path.display())]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },

    /// A readable file whose content is not what this version of scorelab
    /// writes: a missing column, a wrong type, a null where none may be, a
    /// newer format version.
    #[error("{} has an unexpected layout: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        message: String,
    },

    /// The caller handed the store inconsistent data (a bug in scorelab, not
    /// in the user's input), e.g. a histogram with the wrong number of bins.
    #[error("internal error while writing {}: {message} (this is a bug in scorelab, please report it)", path.display())]
    Internal {
        /// The file being written.
        path: PathBuf,
        /// What was inconsistent.
        message: String,
    },
}

fn checkpoint_note(dir: &Path, checkpoint: Option<u32>) -> String {
    match checkpoint {
        Some(0) => format!("; it has a checkpoint: resume it with `scorelab run --resume {}`", dir.display()),
        Some(day) => {
            format!("; it has a checkpoint after day {day}: resume it with `scorelab run --resume {}`", dir.display())
        }
        None => String::new(),
    }
}

fn no_checkpoint_message(dir: &Path, complete: bool) -> String {
    if complete {
        format!("{} holds a complete run (it has a manifest.json): there is nothing to resume", dir.display())
    } else {
        format!(
            "no checkpoint in {}: the run stopped before its first checkpoint was written, so it cannot be resumed; start it again (with --force if the folder holds a run)",
            dir.display()
        )
    }
}

fn progress_note(progress: Option<(u32, u32)>) -> String {
    match progress {
        Some((day, days)) => format!("; progress.json says {day} of {days} days were simulated"),
        None => String::new(),
    }
}

/// Whether an I/O error means the disk or the quota is full.
pub(crate) fn is_disk_full(e: &io::Error) -> bool {
    if matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded) {
        return true;
    }
    // ENOSPC (28) and EDQUOT (122) on Linux; kept for kernels or wrappers
    // whose errors std does not map to a kind.
    cfg!(target_os = "linux") && matches!(e.raw_os_error(), Some(28) | Some(122))
}

impl StoreError {
    /// An I/O error on `path`, classified as [`StoreError::DiskFull`] when
    /// it is one. `action` is a verb for the message: "cannot {action} {path}".
    pub fn io(action: &'static str, path: &Path, source: io::Error) -> StoreError {
        if is_disk_full(&source) {
            StoreError::DiskFull { path: path.to_path_buf(), source }
        } else {
            StoreError::Io { action, path: path.to_path_buf(), source }
        }
    }

    /// A Parquet error on `path`; an I/O error inside it (a full disk while
    /// the writer flushes) keeps its own variant.
    pub(crate) fn parquet(action: &'static str, path: &Path, e: parquet::errors::ParquetError) -> StoreError {
        match e {
            parquet::errors::ParquetError::External(inner) => match inner.downcast::<io::Error>() {
                Ok(io) => StoreError::io(action, path, *io),
                Err(other) => StoreError::Parquet { path: path.to_path_buf(), message: other.to_string() },
            },
            other => StoreError::Parquet { path: path.to_path_buf(), message: other.to_string() },
        }
    }

    /// An Arrow error on `path` (raised while decoding or assembling batches).
    pub(crate) fn arrow(action: &'static str, path: &Path, e: arrow_schema::ArrowError) -> StoreError {
        match e {
            arrow_schema::ArrowError::IoError(_, io) => StoreError::io(action, path, io),
            arrow_schema::ArrowError::ExternalError(inner) => match inner.downcast::<parquet::errors::ParquetError>() {
                Ok(pe) => StoreError::parquet(action, path, *pe),
                Err(other) => StoreError::Parquet { path: path.to_path_buf(), message: other.to_string() },
            },
            other => StoreError::Parquet { path: path.to_path_buf(), message: other.to_string() },
        }
    }

    /// A layout error on `path`.
    pub(crate) fn format(path: &Path, message: impl Into<String>) -> StoreError {
        StoreError::Format { path: path.to_path_buf(), message: message.into() }
    }

    /// An inconsistency in the caller's data for `path`.
    pub(crate) fn internal(path: &Path, message: impl Into<String>) -> StoreError {
        StoreError::Internal { path: path.to_path_buf(), message: message.into() }
    }

    /// Whether this error is a full disk or quota.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_full_is_recognised_and_named() {
        let e = StoreError::io("write", Path::new("/r/daily.parquet"), io::Error::from(io::ErrorKind::StorageFull));
        assert!(e.is_disk_full());
        let text = e.to_string();
        assert!(text.contains("disk full") && text.contains("/r/daily.parquet"), "{text}");
    }

    #[test]
    fn disk_full_inside_parquet_error_is_recognised() {
        let pe = parquet::errors::ParquetError::from(io::Error::from(io::ErrorKind::StorageFull));
        assert!(StoreError::parquet("write", Path::new("x"), pe).is_disk_full());
    }

    #[test]
    fn other_io_errors_name_path_and_cause() {
        let e = StoreError::io("create", Path::new("/r/x"), io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!e.is_disk_full());
        let text = e.to_string();
        assert!(text.contains("cannot create /r/x"), "{text}");
    }

    #[test]
    fn incomplete_mentions_progress() {
        let e = StoreError::Incomplete { dir: PathBuf::from("runs/a"), progress: Some((9, 30)), checkpoint: None };
        let text = e.to_string();
        assert!(text.contains("no manifest.json") && text.contains("9 of 30 days"), "{text}");
    }
}
