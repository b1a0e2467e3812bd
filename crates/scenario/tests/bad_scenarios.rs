//! Every file in `tests/bad/` must be rejected with the message its header announces.
//!
//! A bad file starts with comment lines: one or more `# expect: <fragment>`
//! (each fragment must appear in the error's text, e.g. the
//! `file.toml:9:17: key.path` location) and one `# kind: <kind>` (the
//! [`ErrorKind::as_str`] of the error). Files in `tests/bad/parents/` are
//! only reached through `extends`.

use std::fs;
use std::path::{Path, PathBuf};

use scorelab_scenario::{load, ErrorKind};

struct Expectation {
    fragments: Vec<String>,
    kind: String,
}

fn header(path: &Path) -> Result<Expectation, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut fragments = Vec::new();
    let mut kind = None;
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(f) = line.strip_prefix("# expect: ") {
            fragments.push(f.to_string());
        } else if let Some(k) = line.strip_prefix("# kind: ") {
            kind = Some(k.trim().to_string());
        }
    }
    match (fragments.is_empty(), kind) {
        (false, Some(kind)) => Ok(Expectation { fragments, kind }),
        _ => Err(format!("{}: needs `# expect: <fragment>` and `# kind: <kind>` lines at the top", path.display())),
    }
}

fn bad_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("bad");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_bad_file_fails_with_its_expected_message() {
    let files = bad_files();
    assert!(files.len() >= 30, "only {} bad files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let expect = match header(path) {
            Ok(e) => e,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let Some(arg) = path.to_str() else {
            failures.push(format!("{}: path is not UTF-8", path.display()));
            continue;
        };
        match load(arg) {
            Ok(_) => failures.push(format!("{}: loaded, but should fail", path.display())),
            Err(e) => {
                let msg = e.to_string();
                for f in &expect.fragments {
                    if !msg.contains(f.as_str()) {
                        failures.push(format!("{}:\n  expected: {f}\n  got:      {msg}", path.display()));
                    }
                }
                if e.kind().as_str() != expect.kind {
                    failures.push(format!("{}: kind {} instead of {}\n  {msg}", path.display(), e.kind(), expect.kind));
                }
                assert_eq!(e.exit_code(), 2);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_files_cover_every_kind_of_file_error() {
    let mut kinds: Vec<String> = bad_files().iter().filter_map(|p| header(p).ok()).map(|e| e.kind).collect();
    kinds.sort();
    kinds.dedup();
    for k in [
        ErrorKind::Syntax,
        ErrorKind::UnknownKey,
        ErrorKind::MissingKey,
        ErrorKind::WrongType,
        ErrorKind::InvalidValue,
        ErrorKind::Extends,
    ] {
        assert!(kinds.iter().any(|x| x == k.as_str()), "no bad file of kind {k}");
    }
}
