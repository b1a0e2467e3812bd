//! `scorelab report`: the population page of one run as a single HTML
//! file, with its stylesheet inline and its charts as inline SVG, for
//! sending by mail. It loads nothing when opened (its content security
//! policy forbids it) and runs no script.

use std::io::Write;
use std::path::{Path, PathBuf};

use maud::html;
use scorelab_store::{write_atomic, RunDir, StoreError};

use crate::error::DashboardError;
use crate::pages::layout::{self, Mode, Page};
use crate::pages::population;
use crate::runs::{NoChilling, RunFiles, RunsRoot};

/// The report of the run in `run_dir`, as one HTML document. The chilling
/// effect is taken from the run's summary or computed against a
/// like-for-like baseline run beside it (in the same parent folder).
pub fn report_html(run_dir: &Path) -> Result<String, DashboardError> {
    let run = RunDir::open(run_dir).map_err(DashboardError::Run)?;
    let name = run_dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| run_dir.display().to_string());
    let files = RunFiles::read(&name, run);
    let parent = run_dir.canonicalize().ok().and_then(|p| p.parent().map(Path::to_path_buf));
    let chilling = match (&files.summary, parent.and_then(|p| RunsRoot::open(&p).ok())) {
        (Ok(s), Some(root)) => root.chilling(&name, &files.run, s),
        _ => Err(NoChilling::NoBaseline { hint: String::new() }),
    };
    let body = html! {
        (population::body(&files, &chilling, Mode::Report))
        p.note { "Made with " code { "scorelab report " (run_dir.display()) } ". For every citizen's story, open the run in the dashboard: " code { "scorelab serve" } "." }
    };
    let title = format!("report of run {name}");
    Ok(layout::render(Mode::Report, Page { title: &title, crumbs: Vec::new(), body, watch_runs: None }))
}

/// Where `scorelab report RUN` writes without `--out`: `<run name>-report.html`
/// in the current folder.
pub fn default_report_path(run_dir: &Path) -> PathBuf {
    let name = run_dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "run".to_string());
    PathBuf::from(format!("{name}-report.html"))
}

/// Writes the report of `run_dir` to `out` (atomically: a failed write
/// leaves no half file) and returns its size in bytes.
pub fn write_report(run_dir: &Path, out: &Path) -> Result<usize, DashboardError> {
    let html = report_html(run_dir)?;
    write_atomic(out, |w| w.write_all(html.as_bytes()).map_err(|e| StoreError::io("write", out, e)))
        .map_err(DashboardError::Write)?;
    Ok(html.len())
}
