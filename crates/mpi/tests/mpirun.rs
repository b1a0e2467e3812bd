//! The MPI transport under real `mpirun` (a test without libtest's
//! harness). `cargo test` runs this binary plainly: it then re-launches
//! itself as `mpirun -n K` for K = 1..4 with `SCORELAB_MPI_CHILD=1`, and
//! each copy started that way runs [`scorelab_mpi::check::self_check`] as
//! one rank. Needs Open MPI: without `mpirun` the test fails and says to
//! run scripts/install-mpi.sh.

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use scorelab_engine::comm::Comm;
use scorelab_mpi::Mpi;

const CHILD: &str = "SCORELAB_MPI_CHILD";
/// Open MPI kills a job still running after this long (a deadlock).
const JOB_TIMEOUT_SECS: u64 = 120;

fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some_and(|v| v == "1") {
        return child();
    }
    if std::env::args().any(|a| a == "--list") {
        println!("mpirun: test");
        return ExitCode::SUCCESS;
    }
    parent()
}

/// One rank of the job.
fn child() -> ExitCode {
    let mpi = match Mpi::init() {
        Ok(mpi) => mpi,
        Err(e) => {
            eprintln!("MPI init failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    match scorelab_mpi::check::self_check(&mpi) {
        Ok(()) => {
            println!("rank {} of {} on {} ({:?}): ok", mpi.rank(), mpi.ranks(), mpi.processor_name(), mpi.threading());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("self-check failed: {e}");
            mpi.abort(3)
        }
    }
}

fn find_mpirun() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("mpirun")).find(|p| p.is_file())
}

fn parent() -> ExitCode {
    let start = Instant::now();
    let Some(mpirun) = find_mpirun() else {
        eprintln!("mpirun not found on PATH: install Open MPI with scripts/install-mpi.sh");
        println!("test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out");
        return ExitCode::FAILURE;
    };
    let exe = std::env::current_exe().expect("the test's own path");
    let ranks = 1..=4;
    println!("\nrunning {} tests", ranks.clone().count());
    let mut failed = Vec::new();
    for k in ranks.clone() {
        let name = format!("mpirun_n{k}");
        match run_job(&mpirun, &exe, k) {
            Ok(()) => println!("test {name} ... ok"),
            Err(output) => {
                println!("test {name} ... FAILED");
                eprintln!("---- {name} ----\n{output}");
                failed.push(name);
            }
        }
    }
    let passed = ranks.count() - failed.len();
    let status = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {status}. {passed} passed; {} failed; 0 ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        failed.len(),
        start.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs this executable as a K-rank job; on failure, what it printed.
fn run_job(mpirun: &std::path::Path, exe: &std::path::Path, k: usize) -> Result<(), String> {
    let mut cmd = Command::new(mpirun);
    cmd.args(["--oversubscribe", "--allow-run-as-root", "--timeout", &JOB_TIMEOUT_SECS.to_string()])
        .args(["-n", &k.to_string(), "-x", &format!("{CHILD}=1")])
        .arg(exe)
        .env(CHILD, "1")
        // For Open MPI started as root (containers, CI).
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = format!("{cmd:?}");
    let mut child = cmd.spawn().map_err(|e| format!("{shown}: cannot start: {e}"))?;
    // Read both pipes on threads so a chatty job cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    // mpirun's own --timeout should end a hung job; this is the backstop.
    let deadline = Instant::now() + Duration::from_secs(JOB_TIMEOUT_SECS + 60);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err("killed after the deadline".to_string());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => break Err(e.to_string()),
        }
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let oks = out.lines().filter(|l| l.ends_with(": ok")).count();
    match status {
        Ok(s) if s.success() && oks == k => Ok(()),
        Ok(s) => Err(format!("{shown}: {s}, {oks} of {k} ranks ok\nstdout:\n{out}\nstderr:\n{err}")),
        Err(e) => Err(format!("{shown}: {e}\nstdout:\n{out}\nstderr:\n{err}")),
    }
}
