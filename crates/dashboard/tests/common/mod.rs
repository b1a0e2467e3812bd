//! Fixtures for the dashboard's tests: small runs made in-process by the
//! engine and the store (never by the binary), copied into a fresh folder
//! for each test so that a test can damage its own copy; and a helper that
//! sends one request to the router without a server.

#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use scorelab_engine::metrics::{AuditKind, DayMetrics};
use scorelab_engine::{RunConfig, Simulation};
use scorelab_store::{Manifest, Progress, RunDir, RunStatus, RunWriter, Summary, FORMAT_VERSION};
use tower::ServiceExt;

/// Citizens, days and seed of the fixture runs: long enough (250 days)
/// for the school enrolment of day 243 to happen.
pub const CITIZENS: u32 = 3000;
pub const DAYS: u32 = 250;
pub const SEED: u64 = 1;

/// The policy run's name and its baseline's.
pub const RUN: &str = "seed-article-1";
pub const BASELINE: &str = "baseline-1";

/// The files of a run, in memory.
type RunFiles = Vec<(String, Vec<u8>)>;

/// Tracked citizens of the policy run with something to show, found in
/// the audit rows as they were written.
#[derive(Debug, Clone, Default)]
pub struct Interesting {
    /// One with a record.
    pub record: Option<u32>,
    /// One with a denial.
    pub denial: Option<u32>,
    /// One with an erroneous record.
    pub erroneous: Option<u32>,
}

/// Runs `scenario` and writes it into `out` as `scorelab run` does.
fn simulate(scenario_name: &str, out: &Path, tracked: Vec<u32>) -> Interesting {
    let scenario = scorelab_scenario::load(scenario_name).unwrap();
    let toml = scorelab_scenario::resolved_toml(scenario_name).unwrap();
    // DAYS reported days, after the scenario's burn-in if it has one.
    let config =
        RunConfig { citizens: CITIZENS, days: scenario.burn_in_days + DAYS, seed: SEED, tracked: tracked.clone() };
    let writer = RunWriter::create(out, false).unwrap();
    let mut sim = Simulation::new(&scenario, config).unwrap();
    let mut days: Vec<DayMetrics> = Vec::new();
    while !sim.is_done() {
        days.push(sim.step());
    }
    let spec = sim.histogram_spec();
    writer.write_daily(&scenario, spec, &days).unwrap();
    writer.write_groups(&sim.groups()).unwrap();
    writer.write_citizens(&scenario, sim.citizens(1)).unwrap();
    let audit = sim.take_audit();
    let first = |f: &dyn Fn(&scorelab_engine::AuditRow) -> bool| audit.iter().find(|r| f(r)).map(|r| r.citizen);
    let interesting = Interesting {
        record: first(&|r| r.kind == AuditKind::Record),
        denial: first(&|r| r.kind == AuditKind::Denial),
        erroneous: first(&|r| r.kind == AuditKind::Record && r.erroneous == Some(true)),
    };
    writer.write_audit(&audit).unwrap();
    let summary = Summary::build(&scenario, SEED, &sim.totals(), days.last().unwrap());
    writer.write_summary(&summary).unwrap();
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        scorelab_version: "0.1.0".into(),
        git_commit: "test".into(),
        scenario: scenario.name.clone(),
        scenario_toml: toml,
        seed: SEED,
        citizens: u64::from(CITIZENS),
        days: DAYS,
        threads: 1,
        ranks: 1,
        tracked,
        histogram: spec,
        histogram_bin_points: scorelab_engine::HISTOGRAM_BIN_POINTS,
        behaviours: scenario.behaviours.iter().map(|b| b.name.clone()).collect(),
        activities: scenario.activities.iter().map(|a| a.name.clone()).collect(),
        grades: scenario.score.grades.iter().map(|g| g.name.clone()).collect(),
        citizens_sampled: false,
        citizens_sample_every: 1,
        started_unix: 1_700_000_000,
        wall_seconds: 0.5,
        peak_memory_bytes: 0,
        status: RunStatus::Complete,
        baseline: None,
    };
    writer.finish(&manifest).unwrap();
    interesting
}

fn read_all(dir: &Path) -> RunFiles {
    let mut files: RunFiles = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().into_string().unwrap(), fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

struct Made {
    runs: Vec<(String, RunFiles)>,
    interesting: Interesting,
}

/// The two fixture runs, simulated once per test binary.
fn made() -> &'static Made {
    static MADE: OnceLock<Made> = OnceLock::new();
    MADE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        // Every even citizen is tracked: the odd ones test the page of an
        // untracked citizen.
        let interesting = simulate("seed-article", &tmp.path().join(RUN), (0..CITIZENS).step_by(2).collect());
        simulate("baseline", &tmp.path().join(BASELINE), vec![0, 2]);
        let runs = vec![
            (RUN.to_string(), read_all(&tmp.path().join(RUN))),
            (BASELINE.to_string(), read_all(&tmp.path().join(BASELINE))),
        ];
        Made { runs, interesting }
    })
}

fn runs() -> &'static [(String, RunFiles)] {
    &made().runs
}

/// Tracked citizens of the policy run with a record, a denial, an erroneous record.
pub fn interesting() -> Interesting {
    made().interesting.clone()
}

/// A fresh folder holding `runs/` with both fixture runs, and a sibling
/// `secret/` outside it that no request may reach.
pub struct Fixture {
    pub tmp: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("runs")).unwrap();
        for (name, files) in runs() {
            let dir = tmp.path().join("runs").join(name);
            fs::create_dir(&dir).unwrap();
            for (file, bytes) in files {
                fs::write(dir.join(file), bytes).unwrap();
            }
        }
        // A complete run outside the runs folder, with a secret in it.
        let secret = tmp.path().join("secret");
        fs::create_dir(&secret).unwrap();
        for (file, bytes) in &runs()[0].1 {
            fs::write(secret.join(file), bytes).unwrap();
        }
        fs::write(tmp.path().join("secret.txt"), "TOP-SECRET-CONTENT").unwrap();
        Fixture { tmp }
    }

    /// The runs folder.
    pub fn runs(&self) -> PathBuf {
        self.tmp.path().join("runs")
    }

    /// A run's folder.
    pub fn run(&self, name: &str) -> PathBuf {
        self.runs().join(name)
    }

    /// The router over the runs folder.
    pub fn app(&self) -> Router {
        scorelab_dashboard::app(scorelab_dashboard::RunsRoot::open(&self.runs()).unwrap())
    }

    /// Adds a run folder that is still being written (progress.json only).
    pub fn add_in_progress(&self, name: &str, day: u32) {
        let dir = self.run(name);
        fs::create_dir(&dir).unwrap();
        let p = Progress { day, days: 365, citizens: 1000, started_unix: 1_700_000_000 };
        fs::write(dir.join("progress.json"), serde_json::to_vec(&p).unwrap()).unwrap();
    }

    /// Simulates another run of `scenario` (same size and seed) into the
    /// runs folder, under `name`.
    pub fn add_run(&self, scenario: &str, name: &str) {
        simulate(scenario, &self.run(name), vec![0]);
    }

    /// The manifest of the policy run.
    pub fn manifest(&self) -> Manifest {
        RunDir::open(&self.run(RUN)).unwrap().manifest().clone()
    }
}

/// A response, read whole.
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Got {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap()).unwrap_or("")
    }

    /// Asserts the body holds every one of `texts`.
    pub fn has(&self, texts: &[&str]) -> &Self {
        for t in texts {
            assert!(self.body.contains(t), "{t:?} not found in:\n{}", &self.body[..self.body.len().min(4000)]);
        }
        self
    }
}

/// Sends one request through the router, no server involved.
pub async fn send(app: &Router, request: Request<Body>) -> Got {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20).await.unwrap();
    Got { status, headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
}

/// GET `uri`.
pub async fn get(app: &Router, uri: &str) -> Got {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// A request with another method.
pub async fn with_method(app: &Router, method: Method, uri: &str) -> Got {
    send(app, Request::builder().method(method).uri(uri).body(Body::empty()).unwrap()).await
}
