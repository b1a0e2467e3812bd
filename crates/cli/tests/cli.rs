//! Integration tests that run the `scorelab` binary as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure message

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scorelab(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorelab")).args(args).current_dir(cwd).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a small scenario into `dir/name` and returns the run folder.
fn small_run(dir: &Path, scenario: &str, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let out_s = out.to_str().unwrap();
    let mut args = vec!["run", scenario, "--citizens", "3000", "--days", "60", "--seed", "5", "--out", out_s, "-q"];
    args.extend_from_slice(extra);
    let o = scorelab(&args, dir);
    assert!(o.status.success(), "run failed: {}\n{}", stdout(&o), stderr(&o));
    out
}

const FILES: [&str; 6] =
    ["manifest.json", "daily.parquet", "groups.parquet", "citizens.parquet", "audit.parquet", "summary.json"];

#[test]
fn run_writes_a_complete_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), "seed-article", "a", &["--track", "7,42"]);
    for f in FILES {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    assert!(!run.join("progress.json").exists(), "progress.json should be gone when the run is complete");
    let leftovers: Vec<_> = std::fs::read_dir(&run)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 5);
    assert_eq!(manifest["citizens"], 3000);
    assert_eq!(manifest["days"], 60);
    assert!(manifest["peak_memory_bytes"].as_u64().unwrap() > 0);
    let tracked = manifest["tracked"].as_array().unwrap();
    assert!(tracked.iter().any(|t| t == 7) && tracked.iter().any(|t| t == 42));
    assert!((1000..=1002).contains(&tracked.len()), "1,000 random citizens plus those named");
}

#[test]
fn output_files_are_identical_for_1_2_and_4_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<PathBuf> = [1, 2, 4]
        .iter()
        .map(|t| small_run(tmp.path(), "seed-article", &format!("t{t}"), &["--threads", &t.to_string()]))
        .collect();
    for f in ["daily.parquet", "groups.parquet", "citizens.parquet", "audit.parquet", "summary.json"] {
        let first = std::fs::read(runs[0].join(f)).unwrap();
        for r in &runs[1..] {
            assert!(first == std::fs::read(r.join(f)).unwrap(), "{f} differs between thread counts");
        }
    }
}

#[test]
fn a_complete_run_is_not_overwritten_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), "court-blacklist", "c", &[]);
    let o = scorelab(
        &["run", "court-blacklist", "--citizens", "3000", "--days", "60", "--out", run.to_str().unwrap(), "-q"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    small_run(tmp.path(), "court-blacklist", "c", &["--force"]);
}

#[test]
fn bad_input_exits_with_2_and_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let o = scorelab(&["run", "no-such-scenario", "--citizens", "100", "--days", "2"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("seed-article"), "should list the known scenarios: {}", stderr(&o));

    std::fs::write(
        tmp.path().join("bad.toml"),
        "extends = \"seed-article\"\n[behaviours.drug_use]\nrate_per_year = -1.0\n",
    )
    .unwrap();
    let o = scorelab(&["check", "bad.toml"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.toml:3:"), "should name file and line: {err}");
    assert!(err.contains("rate_per_year"), "should name the key: {err}");

    let o = scorelab(&["run", "--citizens", "4000000000", "--days", "2"], tmp.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let o = scorelab(&["run", "--citizens", "4000000", "--days", "0"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--days"), "{}", stderr(&o));

    let o = scorelab(&["run", "--citizens", "100", "--days", "2", "--track", "100"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("numbered 0 to 99"), "{}", stderr(&o));
}

#[test]
fn a_size_that_cannot_fit_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let o = scorelab(&["run", "--citizens", "4000M", "--days", "2", "--out", "big"], tmp.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("memory") && err.contains("fit"), "{err}");
    assert!(!tmp.path().join("big").exists(), "nothing should be written");
}

#[test]
fn explain_tells_the_story_of_tracked_and_untracked_citizens() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), "seed-article", "e", &["--track", "11"]);
    let run_s = run.to_str().unwrap();
    let o = scorelab(&["explain", run_s, "--citizen", "11"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Citizen 11"), "{text}");
    assert!(text.contains("audit trail"), "{text}");
    assert!(text.contains("score"), "{text}");

    // An untracked citizen is replayed; the replay must be the same run.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let tracked: Vec<u64> = manifest["tracked"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let untracked = (0..3000u64).find(|c| !tracked.contains(c)).unwrap().to_string();
    let o = scorelab(&["explain", run_s, "--citizen", &untracked, "--json"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let story: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(story["source"], "replay");
    let scores = story["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "score").count();
    assert_eq!(scores, 60, "one score row per day");

    let o = scorelab(&["explain", run_s, "--citizen", "3000"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn compare_reports_differences_and_the_chilling_effect() {
    let tmp = tempfile::tempdir().unwrap();
    let base = small_run(tmp.path(), "baseline", "baseline-5", &[]);
    // The scored run finds its baseline beside it (same seed and size).
    let scored = small_run(tmp.path(), "seed-article", "seed-article-5", &[]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scored.join("summary.json")).unwrap()).unwrap();
    assert!(summary["chilling"].is_array(), "chilling effect expected in the summary: {summary}");

    let o = scorelab(&["compare", scored.to_str().unwrap(), base.to_str().unwrap()], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.to_lowercase().contains("chilling effect"), "{text}");
    assert!(text.contains("fake_news_post"), "{text}");

    let o = scorelab(&["compare", scored.to_str().unwrap(), base.to_str().unwrap(), "--json"], tmp.path());
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["chilling"].as_array().unwrap().len() == 16, "{v}");
}

#[test]
fn incomplete_runs_are_reported_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), "seed-article", "i", &[]);
    std::fs::remove_file(run.join("manifest.json")).unwrap();
    let o = scorelab(&["explain", run.to_str().unwrap(), "--citizen", "1"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("incomplete"), "{}", stderr(&o));
}

#[test]
fn scenarios_lists_and_shows_builtins() {
    let tmp = tempfile::tempdir().unwrap();
    let o = scorelab(&["scenarios"], tmp.path());
    assert!(o.status.success());
    let text = stdout(&o);
    let builtins =
        ["seed-article", "baseline", "court-blacklist", "rongcheng", "sesame", "transparent-appeals", "rewards-only"];
    for name in builtins {
        assert!(text.contains(name), "{text}");
        // Every shipped scenario passes `check`, and so does its resolved text.
        let o = scorelab(&["check", name], tmp.path());
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let o = scorelab(&["scenarios", "show", name], tmp.path());
        assert!(o.status.success());
        let file = format!("shown-{name}.toml");
        std::fs::write(tmp.path().join(&file), stdout(&o)).unwrap();
        let o = scorelab(&["check", &file], tmp.path());
        assert!(o.status.success(), "a shown scenario must check: {name}: {}", stderr(&o));
    }
}

#[test]
fn every_subcommand_has_an_example_in_help() {
    let tmp = tempfile::tempdir().unwrap();
    for sub in ["run", "explain", "compare", "scenarios", "check"] {
        let o = scorelab(&[sub, "--help"], tmp.path());
        assert!(o.status.success());
        assert!(stdout(&o).contains("Examples:"), "{sub} --help has no example");
    }
}

#[test]
fn bench_reports_every_workload_and_the_memory_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let o = scorelab(&["bench", "--citizens", "5000", "--days", "3", "--threads", "2", "--json"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let names: Vec<&str> = v["workloads"].as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(v["workloads"].as_array().unwrap().iter().all(|w| w["rate"].as_f64().unwrap() > 0.0));
    let bytes = v["bytes_per_citizen"].as_f64().unwrap();
    assert!(bytes > 60.0 && bytes <= 96.0, "state must stay within 96 bytes per citizen: {bytes}");
    assert!(v["memory_read_bytes_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(v["threads"], 2);
    let o = scorelab(&["bench", "--days", "0"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
}
