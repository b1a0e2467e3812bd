//! The JSON API under `/api/` (documented in `docs/api.md`): the runs of
//! the folder, and each run's manifest, summary, daily figures, group
//! figures, progress and tracked citizens, plus the comparison of two runs.
//! Errors come back as `{"error": "...", "status": N}` with the HTTP status.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use scorelab_engine::metrics::{AuditRow, CitizenRow, DayMetrics, GroupRow};
use scorelab_store::{files, Manifest, Progress, Summary};
use serde::Serialize;

use crate::error::AppError;
use crate::pages::citizen::{active_rules, ActiveRule};
use crate::pages::compare::{self, Comparison};
use crate::pages::runs_list::{self, RunInfo};
use crate::runs::{RunFiles, RunState};
use crate::server::{blocking, citizen_view, AppState, CompareQuery};

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/runs", get(runs))
        .route("/api/runs/{run}", get(run))
        .route("/api/runs/{run}/manifest", get(manifest))
        .route("/api/runs/{run}/summary", get(summary))
        .route("/api/runs/{run}/daily", get(daily))
        .route("/api/runs/{run}/groups", get(groups))
        .route("/api/runs/{run}/progress", get(progress))
        .route("/api/runs/{run}/citizens/{id}", get(citizen))
        .route("/api/compare", get(compare))
}

async fn runs(State(state): State<AppState>) -> Result<Json<Vec<RunInfo>>, AppError> {
    blocking(move || {
        let runs = state.root.runs().map_err(|e| AppError::internal("cannot list the runs folder", e.to_string()))?;
        Ok(Json(runs.iter().map(runs_list::info).collect()))
    })
    .await
}

async fn run(State(state): State<AppState>, Path(run): Path<String>) -> Result<Json<RunInfo>, AppError> {
    blocking(move || Ok(Json(runs_list::info(&state.root.open_run(&run)?)))).await
}

async fn manifest(State(state): State<AppState>, Path(run): Path<String>) -> Result<Json<Manifest>, AppError> {
    blocking(move || Ok(Json(state.root.complete(&run)?.manifest().clone()))).await
}

/// `summary.json`, with the chilling effect filled in by the dashboard
/// when the run has none in its file but a like-for-like baseline run is
/// in the folder.
async fn summary(State(state): State<AppState>, Path(run): Path<String>) -> Result<Json<Summary>, AppError> {
    blocking(move || {
        let dir = state.root.complete(&run)?;
        let mut s = dir.read_summary().map_err(|e| AppError::store(&run, files::SUMMARY, &e))?;
        if s.chilling.is_none() {
            if let Ok(c) = state.root.chilling(&run, &dir, &s) {
                s.chilling = Some(c.rows);
                s.baseline_run = Some(c.baseline);
            }
        }
        Ok(Json(s))
    })
    .await
}

async fn daily(State(state): State<AppState>, Path(run): Path<String>) -> Result<Json<Vec<DayMetrics>>, AppError> {
    blocking(move || {
        let dir = state.root.complete(&run)?;
        Ok(Json(dir.read_daily().map_err(|e| AppError::store(&run, files::DAILY, &e))?))
    })
    .await
}

async fn groups(State(state): State<AppState>, Path(run): Path<String>) -> Result<Json<Vec<GroupRow>>, AppError> {
    blocking(move || {
        let dir = state.root.complete(&run)?;
        Ok(Json(dir.read_groups().map_err(|e| AppError::store(&run, files::GROUPS, &e))?))
    })
    .await
}

/// The state of a run folder: complete, or how far it got.
#[derive(Debug, Serialize)]
struct ProgressJson {
    status: &'static str,
    progress: Option<Progress>,
}

async fn progress(State(state): State<AppState>, Path(run): Path<String>) -> Result<Json<ProgressJson>, AppError> {
    blocking(move || {
        let opened = state.root.open_run(&run)?;
        Ok(Json(match opened.state {
            RunState::Complete(_) => ProgressJson { status: "complete", progress: None },
            RunState::InProgress(p) => ProgressJson { status: "in_progress", progress: p },
            RunState::Unreadable(message) => return Err(AppError::internal(message, "unreadable manifest")),
        }))
    })
    .await
}

/// One citizen of a run.
#[derive(Debug, Serialize)]
struct CitizenJson {
    run: String,
    citizen: u32,
    /// Whether the run tracked the citizen (`events` holds its history).
    tracked: bool,
    /// Final state; null when `citizens.parquet` holds a sample without it.
    state: Option<CitizenRow>,
    /// Every event of a tracked citizen, in order; empty otherwise.
    events: Vec<AuditRow>,
    /// The sanctions and rewards the final state triggers, per activity.
    active: Vec<ActiveRule>,
    /// For an untracked citizen: the command that replays its story.
    explain: Option<String>,
}

async fn citizen(
    State(state): State<AppState>,
    Path((run, id)): Path<(String, String)>,
) -> Result<Json<CitizenJson>, AppError> {
    blocking(move || {
        let v = citizen_view(&state.root, &run, &id)?;
        let row = v.state?;
        let events = v.events?;
        let active = match (&v.scenario, &row) {
            (Some(sc), Some(r)) => active_rules(sc, r),
            _ => Vec::new(),
        };
        let explain = (!v.tracked).then(|| format!("scorelab explain {} --citizen {}", v.run_path, v.id));
        Ok(Json(CitizenJson { run: v.run, citizen: v.id, tracked: v.tracked, state: row, events, active, explain }))
    })
    .await
}

async fn compare(State(state): State<AppState>, Query(q): Query<CompareQuery>) -> Result<Json<Comparison>, AppError> {
    blocking(move || {
        let (Some(a), Some(b)) = (q.a, q.b) else {
            return Err(AppError::bad_request("give two runs: /api/compare?a=RUN&b=RUN"));
        };
        let fa = RunFiles::read(&a, state.root.complete(&a)?);
        let fb = RunFiles::read(&b, state.root.complete(&b)?);
        let sa = fa.summary.clone()?;
        let sb = fb.summary.clone()?;
        let pa = crate::runs::has_pressure(fa.run.manifest());
        let pb = crate::runs::has_pressure(fb.run.manifest());
        Ok(Json(compare::compare(&a, &sa, &b, &sb, pa, pb)))
    })
    .await
}
