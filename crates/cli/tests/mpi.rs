//! `mpirun -n K scorelab run ... --mpi` (docs/DISTRIBUTED.md), tested on the
//! binary as a user launches it: for K = 1 to 4 the run's daily, groups,
//! summary and audit files are the same bytes as the one-process run's, and
//! its citizens parts, read in rank order, are the same rows; a rank killed
//! mid-run stops the job with the rank named and nothing that looks
//! complete, and the job resumes from its checkpoint to the same bytes;
//! Ctrl-C checkpoints every rank; a resume with another number of ranks is
//! refused.
//!
//! Built only with the `mpi` feature (the README's test command enables it;
//! Open MPI comes from scripts/install-mpi.sh, which .ci/run calls).
#![cfg(all(unix, feature = "mpi"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure message

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use scorelab_store::RunDir;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_scorelab");

/// `mpirun` launching `ranks` copies of scorelab with `args` (and `--mpi`).
fn mpirun(ranks: usize, args: &[&str], cwd: &Path) -> Command {
    let mut c = Command::new("mpirun");
    // Root in containers and CI; more ranks than this machine's cores.
    c.env("OMPI_ALLOW_RUN_AS_ROOT", "1").env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    c.args(["--oversubscribe", "-n", &ranks.to_string(), BIN]).args(args).arg("--mpi").current_dir(cwd);
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn have_mpirun() {
    let found = Command::new("mpirun").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "mpirun is not installed: run scripts/install-mpi.sh (CI does) to test the MPI build");
}

fn run_one(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(cwd).output().expect("scorelab runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Waits for a child, killing it after three minutes (a hung job fails the test).
fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the MPI job did not end within three minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The shared files of two runs are the same bytes, and their citizens the same rows.
fn assert_same_run(a: &Path, b: &Path, what: &str) {
    for f in ["daily.parquet", "groups.parquet", "summary.json", "audit.parquet"] {
        let (x, y) = (fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap());
        assert!(x == y, "{what}: {f} differs from the one-process run's");
    }
    let (ra, rb) = (RunDir::open(a).unwrap(), RunDir::open(b).unwrap());
    let (ca, cb) = (ra.read_citizens().unwrap(), rb.read_citizens().unwrap());
    assert_eq!(ca.len(), cb.len(), "{what}: number of citizen rows");
    assert!(ca == cb, "{what}: citizens differ");
}

/// The process ids of the scorelab ranks started in folder `cwd`, by rank
/// (read from Open MPI's OMPI_COMM_WORLD_RANK in each process's environment).
fn rank_pids(cwd: &Path) -> Vec<(usize, i32)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline);
        let here = fs::read_link(entry.path().join("cwd")).is_ok_and(|d| d == cwd);
        if !cmdline.starts_with(BIN) || !here {
            continue;
        }
        let Ok(env) = fs::read(entry.path().join("environ")) else { continue };
        let rank = env
            .split(|&b| b == 0)
            .filter_map(|kv| std::str::from_utf8(kv).ok())
            .find_map(|kv| kv.strip_prefix("OMPI_COMM_WORLD_RANK=").and_then(|r| r.parse().ok()));
        if let Some(rank) = rank {
            found.push((rank, pid));
        }
    }
    found.sort_unstable();
    found
}

/// Waits until `dir`'s committed checkpoint has at least `day` days.
fn wait_for_checkpoint(dir: &Path, day: u32, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(Some(info)) = scorelab_store::read_checkpoint_info(dir) {
            if info.day >= day {
                return;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "the job ended before its checkpoint after day {day}");
        assert!(Instant::now() < deadline, "no checkpoint after day {day} within two minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// seed-article over 250 days (a school-enrolment day, 35 friends' days),
/// 12,000 citizens: the same files for 1 to 4 ranks as in one process.
#[test]
fn a_run_over_1_to_4_ranks_writes_the_same_files() {
    have_mpirun();
    let tmp = tempfile::tempdir().unwrap();
    let args = ["run", "seed-article", "--citizens", "12000", "--days", "250", "--seed", "21", "-q", "--threads", "1"];
    let one = run_one(&[&args[..], &["--out", "one"]].concat(), tmp.path());
    assert!(one.status.success(), "{}", text(&one));
    for k in 1..=4 {
        let out = format!("k{k}");
        let o = finish(mpirun(k, &[&args[..], &["--out", &out]].concat(), tmp.path()).spawn().unwrap());
        assert!(o.status.success(), "{k} ranks: {}", text(&o));
        let dir = tmp.path().join(&out);
        assert_same_run(&tmp.path().join("one"), &dir, &format!("{k} ranks"));
        let run = RunDir::open(&dir).unwrap();
        assert_eq!(run.manifest().ranks, k);
        let parts: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("citizens"))
            .collect();
        assert_eq!(parts.len(), k, "{k} ranks: one citizens file per rank: {parts:?}");
        assert!(!dir.join("checkpoint.json").exists(), "{k} ranks: the checkpoint is removed when the run is complete");
        // One citizen from the middle of each part, through the part reader.
        let single = RunDir::open(&tmp.path().join("one")).unwrap();
        for id in [0, 2999, 3000, 5999, 6000, 8999, 11999] {
            assert_eq!(run.read_citizen(id).unwrap(), single.read_citizen(id).unwrap(), "{k} ranks: citizen {id}");
        }
        // Printed once, by rank 0.
        assert_eq!(text(&o).matches("written to").count(), 1, "printed by rank 0 alone: {}", text(&o));
    }
    // `explain` reads a citizen of a split run from its part.
    let e = run_one(&["explain", "k3", "--citizen", "7000"], tmp.path());
    assert!(e.status.success(), "{}", text(&e));
}

/// A rank killed mid-run stops the job; the folder never looks complete;
/// the job resumes (with as many ranks) from the last committed checkpoint
/// to the files of a run that never stopped. A resume with another number
/// of ranks is refused with the command that works.
#[test]
fn a_killed_rank_stops_the_job_and_it_resumes_to_the_same_files() {
    have_mpirun();
    let tmp = tempfile::tempdir().unwrap();
    let args = ["run", "seed-article", "--citizens", "60000", "--days", "300", "--seed", "4", "-q", "--threads", "1"];
    let one = run_one(&[&args[..], &["--out", "one"]].concat(), tmp.path());
    assert!(one.status.success(), "{}", text(&one));

    let dir = tmp.path().join("killed");
    let mut job =
        mpirun(3, &[&args[..], &["--out", "killed", "--checkpoint-every", "20"]].concat(), tmp.path()).spawn().unwrap();
    wait_for_checkpoint(&dir, 40, &mut job);
    let pids = rank_pids(&tmp.path().canonicalize().unwrap());
    let &(_, victim) = pids.iter().find(|&&(r, _)| r == 1).unwrap_or_else(|| panic!("rank 1 among {pids:?}"));
    kill(Pid::from_raw(victim), Signal::SIGKILL).unwrap();
    let o = finish(job);
    assert!(!o.status.success(), "the job must fail when a rank dies");
    let said = text(&o);
    assert!(said.contains("rank 1"), "the message names the dead rank: {said}");
    assert!(!dir.join("manifest.json").exists(), "a killed job leaves no manifest");

    let wrong = finish(mpirun(2, &["run", "--resume", "killed", "-q"], tmp.path()).spawn().unwrap());
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    assert!(text(&wrong).contains("mpirun -n 3"), "the refusal says how to resume: {}", text(&wrong));

    let resumed =
        finish(mpirun(3, &["run", "--resume", "killed", "-q", "--threads", "1"], tmp.path()).spawn().unwrap());
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_same_run(&tmp.path().join("one"), &dir, "resumed after a killed rank");
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("checkpoint") || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "checkpoint parts are removed once the run is complete: {leftovers:?}");
}

/// Ctrl-C on mpirun reaches every rank: they stop after the same day, each
/// writes its part of the checkpoint, exit 130; the resumed job finishes to
/// the same files.
#[test]
fn ctrl_c_checkpoints_every_rank_and_the_job_resumes() {
    have_mpirun();
    let tmp = tempfile::tempdir().unwrap();
    let args = ["run", "baseline", "--citizens", "60000", "--days", "300", "--seed", "8", "-q", "--threads", "1"];
    let one = run_one(&[&args[..], &["--out", "one"]].concat(), tmp.path());
    assert!(one.status.success(), "{}", text(&one));
    let dir = tmp.path().join("stopped");
    let mut job = mpirun(2, &[&args[..], &["--out", "stopped", "--checkpoint-every", "10"]].concat(), tmp.path())
        .spawn()
        .unwrap();
    wait_for_checkpoint(&dir, 10, &mut job);
    kill(Pid::from_raw(job.id() as i32), Signal::SIGINT).unwrap();
    let o = finish(job);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(!dir.join("manifest.json").exists());
    let resumed =
        finish(mpirun(2, &["run", "--resume", "stopped", "-q", "--threads", "1"], tmp.path()).spawn().unwrap());
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_same_run(&tmp.path().join("one"), &dir, "resumed after Ctrl-C");
}
