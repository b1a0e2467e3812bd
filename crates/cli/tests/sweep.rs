//! Integration tests of `scorelab sweep`, `run --set` and paired `compare`,
//! on tiny populations (2,000 citizens, 20 days) so the file stays fast.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure message

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scorelab_store::{read_sweep_table, SweepCell};

fn scorelab(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorelab")).args(args).current_dir(cwd).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The 2 x 2 grid x 2 replicates sweep of these tests, into `dir/out`, with `extra` arguments.
fn grid_sweep(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "sweep",
        "seed-article",
        "--set",
        "appeals.win_probability=0.1,0.9",
        "--set",
        "behaviours.fake_news_post.points=-5,-100",
        "--replicates",
        "2",
        "--citizens",
        "2000",
        "--days",
        "20",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    scorelab(&args, dir)
}

const CELLS: [&str; 4] = [
    "win_probability=0.1,points=-5",
    "win_probability=0.1,points=-100",
    "win_probability=0.9,points=-5",
    "win_probability=0.9,points=-100",
];

fn manifest(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn a_sweep_writes_every_run_the_table_and_the_intervals_whatever_the_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let o = grid_sweep(tmp.path(), "a", &["--jobs", "2", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("4 cells x 2 replicates (seeds 1..=2, paired across cells)"), "{text}");
    assert!(text.contains("95% confidence interval across replicates (Student t, 1 degree of freedom)"), "{text}");
    assert!(text.contains("[4] appeals.win_probability=0.9 behaviours.fake_news_post.points=-100"), "{text}");
    assert!(text.contains("score_mean") && text.contains(" ± "), "{text}");
    assert!(text.contains(&format!("scorelab compare a/{} a/{}", CELLS[0], CELLS[1])), "{text}");

    let a = tmp.path().join("a");
    for cell in CELLS {
        for seed in [1, 2] {
            let run = a.join(cell).join(format!("seed-{seed}"));
            let m = manifest(&run);
            assert_eq!(m["seed"], seed);
            assert_eq!(m["citizens"], 2000);
            let toml = m["scenario_toml"].as_str().unwrap();
            let points = if cell.ends_with("-100") { "points = -100.0" } else { "points = -5.0" };
            assert!(toml.contains(points), "{cell}: the manifest records the overridden scenario");
        }
    }
    let sweep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(sweep["status"], "complete");
    assert_eq!(sweep["runs"], 8);

    let table = read_sweep_table(&a.join("sweep.parquet")).unwrap();
    assert_eq!(table.rows.len(), 8);
    assert_eq!(
        &table.columns[..5],
        ["cell", "run", "seed", "appeals_win_probability", "behaviours_fake_news_post_points"]
    );
    for column in ["score_mean", "score_gini", "grade_share_aaa", "wrongful_denials_flight", "events_fake_news_post"] {
        assert!(table.column(column).is_some(), "no column {column} in {:?}", table.columns);
    }
    assert!(table.columns.iter().all(|c| scorelab_store::is_plain_identifier(c)), "{:?}", table.columns);
    let row = &table.rows[3];
    assert_eq!(row[0], SweepCell::Text(CELLS[1].into()));
    assert_eq!(row[1], SweepCell::Text(format!("{}/seed-2", CELLS[1])));
    assert_eq!(row[2], SweepCell::UInt(2));
    assert_eq!(row[3], SweepCell::Float(0.1));
    assert_eq!(row[4], SweepCell::Int(-100));
    // The table holds the runs' own figures.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join(CELLS[1]).join("seed-2").join("summary.json")).unwrap())
            .unwrap();
    let mean = summary["final_day"]["score_mean"].as_f64().unwrap();
    assert_eq!(row[table.column("score_mean").unwrap()], SweepCell::Float(mean));

    // One run at a time gives the same bytes.
    let o = grid_sweep(tmp.path(), "b", &["--jobs", "1", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = |d: &str| std::fs::read(tmp.path().join(d).join("sweep.parquet")).unwrap();
    assert!(bytes("a") == bytes("b"), "sweep.parquet differs between --jobs 1 and --jobs 2");

    // --json: every cell with every figure's interval.
    let o = grid_sweep(tmp.path(), "a", &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["ran"], 0, "a complete sweep runs nothing again");
    assert_eq!(v["cells"].as_array().unwrap().len(), 4);
    let fig = &v["cells"][0]["figures"][0];
    assert!(fig["figure"].is_string() && fig["n"] == 2 && fig["half_width"].is_number(), "{fig}");
}

#[test]
fn an_interrupted_sweep_continues_and_redoes_only_the_missing_run() {
    let tmp = tempfile::tempdir().unwrap();
    let o = grid_sweep(tmp.path(), "s", &["-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = tmp.path().join("s");
    let table_before = std::fs::read(s.join("sweep.parquet")).unwrap();
    let kept = s.join(CELLS[0]).join("seed-1").join("manifest.json");
    let kept_time = std::fs::metadata(&kept).unwrap().modified().unwrap();
    // As if the sweep had stopped during one run: that run has no manifest.
    let lost = s.join(CELLS[2]).join("seed-2");
    std::fs::remove_file(lost.join("manifest.json")).unwrap();

    let o = grid_sweep(tmp.path(), "s", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("8 runs (7 already complete, kept); 1 to run"), "{}", stderr(&o));
    assert!(lost.join("manifest.json").is_file());
    assert_eq!(std::fs::metadata(&kept).unwrap().modified().unwrap(), kept_time, "a complete run was redone");
    assert!(std::fs::read(s.join("sweep.parquet")).unwrap() == table_before, "the redone run changed the table");

    // A run made by another build of scorelab is made again: a sweep never mixes builds.
    let other = s.join(CELLS[1]).join("seed-1").join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&other).unwrap()).unwrap();
    m["git_commit"] = serde_json::json!("0123456789ab");
    std::fs::write(&other, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let o = grid_sweep(tmp.path(), "s", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("(7 already complete, kept) (1 complete but made by another build"), "{}", stderr(&o));
    assert_eq!(manifest(&s.join(CELLS[1]).join("seed-1"))["git_commit"], env!("SCORELAB_GIT_COMMIT"));

    // Another grid in the same folder is refused, before any work...
    let o = scorelab(
        &["sweep", "seed-article", "--set", "appeals.win_probability=0.5", "--replicates", "2", "--citizens", "2000"]
            .iter()
            .copied()
            .chain(["--days", "20", "--out", "s", "-q"])
            .collect::<Vec<_>>(),
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("holds another sweep") && err.contains("--force"), "{err}");
    assert!(!s.join("win_probability=0.5").exists());
    // ... unless forced: then the new grid's table replaces the old one.
    let forced = [
        "sweep",
        "seed-article",
        "--set",
        "appeals.win_probability=0.5",
        "--replicates",
        "2",
        "--citizens",
        "2000",
        "--days",
        "20",
        "--out",
        "s",
        "-q",
        "--force",
    ];
    let o = scorelab(&forced, tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_sweep_table(&s.join("sweep.parquet")).unwrap().rows.len(), 2);
}

/// Ctrl-C stops a sweep (exit 130) with the runs done so far kept; the
/// same command then finishes it.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_sweep_and_the_same_command_finishes_it() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use std::time::{Duration, Instant};

    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "sweep",
        "seed-article",
        "--replicates",
        "4",
        "--citizens",
        "40000",
        "--days",
        "60",
        "--jobs",
        "1",
        "--out",
        "c",
        "-q",
    ];
    let child = Command::new(env!("CARGO_BIN_EXE_scorelab"))
        .args(args)
        .current_dir(tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first = tmp.path().join("c/base/seed-1/manifest.json");
    let start = Instant::now();
    while !first.exists() {
        assert!(start.elapsed() < Duration::from_secs(120), "the first run never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("run the same command again to continue"), "{}", stderr(&o));
    assert!(!tmp.path().join("c/sweep.parquet").exists(), "an interrupted sweep has no table");
    let complete = (1..=4).filter(|s| tmp.path().join(format!("c/base/seed-{s}/manifest.json")).exists()).count();
    assert!((1..4).contains(&complete), "{complete} runs complete after the interrupt");

    let mut again: Vec<&str> = args.to_vec();
    again.retain(|a| *a != "-q");
    let o = scorelab(&again, tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = format!("({complete} already complete, kept); {} to run", 4 - complete);
    assert!(stderr(&o).contains(&expected), "{}", stderr(&o));
    assert_eq!(read_sweep_table(&tmp.path().join("c/sweep.parquet")).unwrap().rows.len(), 4);
}

#[test]
fn bad_sweeps_are_refused_with_exit_2_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["--set", "appeals.win_probability=0.1", "--replicates", "0"], "--replicates 0: must be between 1"),
        (&["--set", "appeals.win_probability="], "at least one value"),
        (&["--set", "appeals.win_probability=0.1,,0.2"], "empty value"),
        (&["--set", "appeals.win_probabilty=0.1,0.2"], "did you mean `win_probability`?"),
        (
            &["--set", "appeals.win_probability=0.5,1.5"],
            "--set appeals.win_probability=1.5: must be a probability in [0, 1]",
        ),
        (
            &["--set", "appeals.win_probability=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,0.05", "--replicates", "1000"],
            "11 cells x 1000 replicates = 11000 runs, more than the 10000",
        ),
        (&["--set", "appeals.win_probability=0.1,0.1"], "listed twice"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["sweep", "seed-article", "--citizens", "2000", "--days", "20", "--out", "bad", "-q"];
        args.extend_from_slice(extra);
        let o = scorelab(&args, tmp.path());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{extra:?}: expected `{expected}` in: {}", stderr(&o));
        assert!(!tmp.path().join("bad").exists(), "{extra:?}: work started");
    }
    let o = scorelab(&["sweep", "--help"], tmp.path());
    assert!(stdout(&o).contains("Examples:"));
}

#[test]
fn compare_pairs_replicates_by_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = |out: &str, set: &str, seed: &str| {
        let args = [
            "sweep",
            "seed-article",
            "--set",
            set,
            "--replicates",
            "2",
            "--seed",
            seed,
            "--citizens",
            "2000",
            "--days",
            "20",
            "--out",
            out,
            "-q",
        ];
        let o = scorelab(&args, tmp.path());
        assert!(o.status.success(), "{}", stderr(&o));
        tmp.path().join(out)
    };
    let a = sweep("a", "behaviours.fake_news_post.points=-5", "1");
    let b = sweep("b", "behaviours.fake_news_post.points=-100", "1");
    // A sweep folder with one cell stands for that cell.
    let o = scorelab(&["compare", a.to_str().unwrap(), b.join("points=-100").to_str().unwrap()], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Paired by seed (R = 2)"), "{text}");
    assert!(text.contains("B - A") && text.contains("95% interval") && text.contains("score_mean"), "{text}");
    assert!(!text.contains("seeds do not match"), "{text}");

    let o = scorelab(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--json"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["seeds"], serde_json::json!([1, 2]));
    let row = v["rows"].as_array().unwrap().iter().find(|r| r["figure"] == "grade_a").unwrap().clone();
    let d = &row["difference"];
    assert_eq!(d["n"], 2);
    let diff = row["mean_b"].as_f64().unwrap() - row["mean_a"].as_f64().unwrap();
    assert!((d["mean"].as_f64().unwrap() - diff).abs() < 1e-9, "{row}");
    assert!(d["low"].as_f64().unwrap() <= d["mean"].as_f64().unwrap(), "{row}");

    // Seeds 2 and 3 against 1 and 2: only seed 2 is paired, and it is said.
    let c = sweep("c", "behaviours.fake_news_post.points=-100", "2");
    let o = scorelab(&["compare", a.to_str().unwrap(), c.to_str().unwrap()], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("the seeds do not match: comparing only the 1 seed in both (2); only in A: 1; only in B: 3"),
        "{text}"
    );
    assert!(text.contains("Paired by seed (R = 1)"), "{text}");

    // One run against a set is refused with what to do.
    let one = a.join("points=-5").join("seed-1");
    let o = scorelab(&["compare", one.to_str().unwrap(), b.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not one of each"), "{}", stderr(&o));
}

#[test]
fn run_with_set_records_the_changed_scenario_and_names_a_bad_set() {
    let tmp = tempfile::tempdir().unwrap();
    let out: PathBuf = tmp.path().join("r");
    let args = [
        "run",
        "seed-article",
        "--set",
        "appeals.win_probability=0.125",
        "--citizens",
        "2000",
        "--days",
        "20",
        "--out",
        "r",
        "-q",
    ];
    let o = scorelab(&args, tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let toml = manifest(&out)["scenario_toml"].as_str().unwrap().to_string();
    assert!(toml.contains("win_probability = 0.125"), "{toml}");
    assert!(toml.contains("with --set appeals.win_probability=0.125"), "{toml}");

    let o = scorelab(&["run", "--set", "score.half_life_dayz=10", "--citizens", "2000", "--days", "2"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--set score.half_life_dayz=10: unknown key") && err.contains("did you mean `half_life_days`?"),
        "{err}"
    );
    let o = scorelab(&["run", "--set", "half_life_days", "--citizens", "2000", "--days", "2"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("KEY=VALUE"), "{}", stderr(&o));
}
