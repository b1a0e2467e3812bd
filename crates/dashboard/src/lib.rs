//! The scorelab dashboard: a read-only web server over a folder of runs
//! (`scorelab serve`) and the self-contained HTML report of one run
//! (`scorelab report`).
//!
//! Pages are rendered on the server as HTML with inline SVG charts
//! (plotters' SVG backend); the stylesheet, the one small script and the
//! icon are embedded in the binary. Nothing is fetched from elsewhere, so
//! the dashboard works with no internet. The JSON API the pages use is
//! under `/api/` (see `docs/api.md`).
//!
//! | page | address |
//! | --- | --- |
//! | runs in the folder, live progress of runs being written | `/` |
//! | a run's population: scores, grades, blacklist, denials, groups, children, chilling | `/runs/{run}` |
//! | search box and tracked citizens | `/runs/{run}/citizens` |
//! | one citizen: gauge, score over time, records, sanctions, denials, appeals | `/runs/{run}/citizens/{id}` |
//! | two runs side by side | `/compare?a={run}&b={run}` |
//!
//! Invariants: only the dashboard knows HTTP; it never writes into the runs
//! folder; it opens only run folders that are listed in the runs folder,
//! by a plain name (see [`runs`]); every error reaches the user as a page
//! or a JSON message with the right status, never as a dropped connection;
//! no page asks about or shows anything but synthetic citizens.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower::ServiceExt;
//! let dir = tempfile::tempdir()?;
//! let app = scorelab_dashboard::app(scorelab_dashboard::RunsRoot::open(dir.path())?);
//! let request = axum::http::Request::get("/api/runs").body(axum::body::Body::empty())?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod api;
pub mod charts;
mod error;
mod fmt;
pub mod pages;
mod report;
pub mod runs;
mod server;
mod url;

pub use error::{AppError, DashboardError};
pub use report::{default_report_path, report_html, write_report};
pub use runs::RunsRoot;
pub use server::{app, serve, ServeOptions, MAX_BODY};
