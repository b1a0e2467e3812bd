//! Inputs found by the scenario fuzzer (`fuzz/`, target `scenario`) and a
//! few seeds, replayed on every `cargo test`: each must load or fail with
//! a message, never panic. Also files that are not scenarios at all.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use scorelab_scenario::{load, parse_str, ErrorKind};

#[test]
fn fuzzer_findings_and_seeds_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fuzz");
    let mut n = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Err(e) = parse_str(text, "fuzz.toml") {
                assert!(!e.to_string().is_empty(), "{}", path.display());
                assert_eq!(e.exit_code(), 2);
            }
        }
        n += 1;
    }
    assert!(n >= 5, "only {n} inputs in {}", dir.display());
}

#[test]
fn files_that_are_not_scenarios_are_refused_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.toml");
    fs::write(&big, vec![b'#'; 5 << 20]).unwrap();
    let binary = tmp.path().join("binary.toml");
    fs::write(&binary, [0x50, 0x41, 0x52, 0x31, 0xff, 0xfe, 0x00]).unwrap();
    let dir = tmp.path().join("folder.toml");
    fs::create_dir(&dir).unwrap();
    let mut cases = vec![(big, "larger than 4 MiB"), (binary, "not UTF-8 text (invalid byte at offset 4)")];
    if Path::new("/dev/zero").exists() {
        cases.push(("/dev/zero".into(), "larger than 4 MiB"));
    }
    cases.push((dir, "cannot read scenario file"));
    for (path, expect) in cases {
        let e = load(path.to_str().unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        assert!(e.to_string().contains(expect), "{}: {e}", path.display());
        // The same through `extends`.
        let text = format!("extends = {:?}\nname = \"x\"\ndescription = \"x\"\n", path.to_str().unwrap());
        let e = parse_str(&text, "child.toml").unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }
}
