//! Atomic file writes: every file of a run directory is written to
//! `<name>.tmp` beside its final place, flushed to disk, then renamed over
//! the final name. A crash or a full disk never leaves a file under its
//! final name that looks complete but is not.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::StoreError;

/// Suffix added to a file's name while it is being written.
pub const TMP_SUFFIX: &str = ".tmp";

/// The temporary name used while `path` is written: `<name>.tmp` in the same
/// folder (the same file system, so the final rename is atomic).
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(TMP_SUFFIX);
    path.with_file_name(name)
}

/// Writes `path` atomically: `write` fills a buffered `<name>.tmp`, which is
/// then flushed, fsynced and renamed into place. If anything fails, the
/// temporary file is removed and the previous content of `path`, if any, is
/// left untouched.
///
/// Errors name `path` (the final name, which is what the user knows) and
/// the operating system's error; a full disk is [`StoreError::DiskFull`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::io::Write;
/// use scorelab_store::{write_atomic, StoreError};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("notes.txt");
/// write_atomic(&path, |w| w.write_all(b"hello\n").map_err(|e| StoreError::io("write", &path, e)))?;
/// assert!(path.exists());
/// assert!(!dir.path().join("notes.txt.tmp").exists());
/// # Ok(()) }
/// ```
pub fn write_atomic<F>(path: &Path, write: F) -> Result<(), StoreError>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<(), StoreError>,
{
    let tmp = tmp_path(path);
    let result = write_tmp_then_rename(path, &tmp, write);
    if result.is_err() {
        // Best effort: the error being returned matters more than a failure
        // to clean up, and the file may never have been created.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_tmp_then_rename<F>(path: &Path, tmp: &Path, write: F) -> Result<(), StoreError>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<(), StoreError>,
{
    let file = File::create(tmp).map_err(|e| StoreError::io("create", tmp, e))?;
    let mut buffered = BufWriter::with_capacity(1 << 20, file);
    write(&mut buffered)?;
    let file = buffered.into_inner().map_err(|e| StoreError::io("write", path, e.into_error()))?;
    file.sync_all().map_err(|e| StoreError::io("flush to disk", path, e))?;
    drop(file);
    fs::rename(tmp, path).map_err(|e| StoreError::io("rename into place", path, e))?;
    sync_parent(path);
    Ok(())
}

/// Makes a rename in `path`'s folder durable. Best effort: some file
/// systems refuse to fsync a directory, and the file itself is already on
/// disk under its final name.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Writes `value` as pretty-printed JSON (with a final newline) to `path`, atomically.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), StoreError> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(|e| json_write_error(path, e))?;
        w.write_all(b"\n").map_err(|e| StoreError::io("write", path, e))
    })
}

fn json_write_error(path: &Path, e: serde_json::Error) -> StoreError {
    if e.is_io() {
        StoreError::io("write", path, io::Error::from(e))
    } else {
        StoreError::internal(path, format!("cannot encode JSON: {e}"))
    }
}

/// Removes `path` if it exists; a missing file is not an error.
pub(crate) fn remove_if_exists(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_leaves_no_tmp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_json_atomic(&path, &vec![1, 2, 3]).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "[\n  1,\n  2,\n  3\n]\n");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[test]
    fn failure_removes_tmp_and_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, "old").unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"half").unwrap();
            Err(StoreError::io("write", &path, io::Error::from(io::ErrorKind::StorageFull)))
        })
        .unwrap_err();
        assert!(err.is_disk_full());
        assert!(!tmp_path(&path).exists());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
    }

    #[test]
    fn tmp_is_beside_the_file() {
        assert_eq!(tmp_path(Path::new("runs/x/daily.parquet")), PathBuf::from("runs/x/daily.parquet.tmp"));
    }

    #[test]
    fn missing_folder_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope").join("a.json");
        let err = write_json_atomic(&path, &1).unwrap_err();
        assert!(err.to_string().contains("a.json.tmp"), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dev_full_is_reported_as_disk_full() {
        // /dev/full accepts opening and fails every write with ENOSPC.
        if !Path::new("/dev/full").exists() {
            return;
        }
        let mut f = match fs::OpenOptions::new().write(true).open("/dev/full") {
            Ok(f) => f,
            Err(_) => return,
        };
        let e = f.write_all(b"x").and_then(|_| f.flush()).unwrap_err();
        let err = StoreError::io("write", Path::new("/dev/full"), e);
        assert!(err.is_disk_full(), "{err}");
    }
}
