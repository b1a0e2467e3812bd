//! Inputs found by the run-directory fuzzer (`fuzz/`, target `run_dir`)
//! and seeds, replayed on every `cargo test`: the template run with one
//! file replaced must be read without a panic. The untouched template must
//! read completely.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use scorelab_store::fuzzing::{apply, read_everything, write_template, FILES};

#[test]
fn fuzzer_findings_and_seeds_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("template");
    write_template(&template).unwrap();
    let scratch = tmp.path().join("scratch");
    fs::create_dir_all(&scratch).unwrap();

    // Every file whole: everything reads.
    let whole = read_everything(&template);
    // Progress, checkpoint description, header and state; manifest, daily,
    // groups, summary; audit and citizen for six ids.
    assert_eq!(whole, 4 + 4 + 12, "the template reads completely");

    // Every file emptied, halved, or with its middle inverted.
    for (i, name) in FILES.iter().enumerate() {
        let good = fs::read(template.join(name)).unwrap();
        let n = good.len();
        let mut inverted = good.clone();
        inverted[n / 3..n / 2].iter_mut().for_each(|b| *b = !*b);
        let reversed = good.iter().rev().copied().collect();
        for (cut, body) in [(true, Vec::new()), (true, good[..n / 2].to_vec()), (false, inverted), (false, reversed)] {
            let mut input = vec![i as u8];
            input.extend(body);
            apply(&template, &scratch, &input).unwrap();
            let read = read_everything(&scratch);
            assert!(!cut || read < whole, "{name} cut short, but everything read");
        }
    }

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fuzz").join("run_dir");
    let mut n = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let input = fs::read(entry.unwrap().path()).unwrap();
        apply(&template, &scratch, &input).unwrap();
        read_everything(&scratch);
        n += 1;
    }
    assert!(n >= 1, "no inputs in {}", dir.display());
}

/// Writes the fuzzer's seeds (run with `--ignored` after a format change):
/// each file of the template run, whole, behind its selector byte.
#[test]
#[ignore]
fn write_the_fuzz_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("template");
    write_template(&template).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fuzz").join("run_dir");
    for (i, name) in FILES.iter().enumerate() {
        let mut input = vec![i as u8];
        input.extend(fs::read(template.join(name)).unwrap());
        fs::write(dir.join(format!("seed-{i}-{name}")), input).unwrap();
    }
}
