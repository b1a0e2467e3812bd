//! The router, its middleware and the server loop.
//!
//! Every request goes through two layers: [`guard`] (only GET and HEAD
//! reach the pages; bodies over [`MAX_BODY`] are refused; on a loopback
//! address, a `Host` that is not this machine's is refused, which stops
//! DNS-rebinding pages from reading the dashboard) and [`finish`] (security
//! headers on every response; errors rendered as an HTML page, or as JSON
//! under `/api/`, whatever produced them: a handler's [`AppError`], an
//! extractor's rejection, or a 405).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use maud::html;
use scorelab_store::files;
use serde::Deserialize;

use crate::api;
use crate::error::{AppError, DashboardError, ErrorInfo};
use crate::pages::layout::{self, Mode, Page};
use crate::pages::{citizen, compare, population, runs_list};
use crate::runs::{RunFiles, RunState, RunsRoot};
use crate::url;

/// Largest request body accepted, in bytes: the dashboard is read-only
/// and no route takes a body, so this only bounds what a client can send.
pub const MAX_BODY: u64 = 16 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub(crate) root: Arc<RunsRoot>,
    /// Refuse requests whose `Host` is not a loopback name (set when the
    /// server listens on a loopback address).
    loopback_hosts_only: bool,
}

/// The router over the runs folder `root`, as [`serve`] runs it on a
/// loopback address. Tests call it directly with `tower::ServiceExt::oneshot`.
pub fn app(root: RunsRoot) -> Router {
    app_with(root, true)
}

fn app_with(root: RunsRoot, loopback_hosts_only: bool) -> Router {
    let state = AppState { root: Arc::new(root), loopback_hosts_only };
    Router::new()
        .route("/", get(runs_page))
        .route("/runs/{run}", get(population_page))
        .route("/runs/{run}/citizens", get(citizens_page))
        .route("/runs/{run}/citizens/{id}", get(citizen_page))
        .route("/compare", get(compare_page))
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", layout::CSS) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", layout::JS) }))
        .route("/assets/favicon.svg", get(|| async { asset("image/svg+xml", layout::FAVICON) }))
        .route("/favicon.ico", get(|| async { asset("image/svg+xml", layout::FAVICON) }))
        .merge(api::routes())
        .fallback(|| async { AppError::not_found("there is no page at this address") })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn(finish))
        .with_state(state)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Whether a `Host` header names this machine: `localhost`, an address in
/// 127.0.0.0/8 or `::1`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host })
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses what a read-only local dashboard never needs.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return AppError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "this dashboard is read-only: only GET requests are answered",
        )
        .into_response();
    }
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) || request.headers().contains_key(header::TRANSFER_ENCODING) {
        return AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "request bodies are not accepted here").into_response();
    }
    if state.loopback_hosts_only {
        if let Some(host) = request.headers().get(header::HOST) {
            let host = host.to_str().unwrap_or("");
            if !is_loopback_host(host) {
                return AppError::new(
                    StatusCode::MISDIRECTED_REQUEST,
                    "this dashboard answers only to this machine's own names (localhost, 127.0.0.1); to reach it from elsewhere, start it with --bind",
                )
                .into_response();
            }
        }
    }
    // No route reads a body; dropping it keeps a slow client from holding
    // the connection with one.
    let (parts, _) = request.into_parts();
    next.run(Request::from_parts(parts, Body::empty())).await
}

/// Security headers on every response, and every error rendered for
/// whoever asked: JSON under `/api/`, an HTML page elsewhere.
async fn finish(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/") || request.uri().path() == "/api";
    let response = next.run(request).await;
    let status = response.status();
    let mut response = if status.is_client_error() || status.is_server_error() {
        let info = response.extensions().get::<ErrorInfo>().cloned();
        let message = match info {
            Some(i) => i.message,
            // An extractor's rejection or a 405 from the router: keep its
            // short text, which says what was wrong with the request.
            None => {
                let bytes = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes).trim().to_string();
                if text.is_empty() {
                    status.canonical_reason().unwrap_or("error").to_lowercase()
                } else {
                    text
                }
            }
        };
        if api {
            let body = serde_json::json!({ "error": message, "status": status.as_u16() });
            (status, Json(body)).into_response()
        } else {
            (status, Html(layout::error_page(status, &message))).into_response()
        }
    } else {
        response
    };
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Runs `f` (which reads files) off the async threads; a panic in it
/// becomes a 500 with a message, not a dropped connection.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        AppError::internal("this page could not be made (an internal error; see the server's log)", e.to_string())
    })?
}

fn page(title: &str, crumbs: Vec<(String, String)>, body: maud::Markup) -> Html<String> {
    Html(layout::render(Mode::Served, Page { title, crumbs, body, watch_runs: None }))
}

fn crumbs(run: Option<&str>) -> Vec<(String, String)> {
    let mut c = vec![("Runs".to_string(), "/".to_string())];
    if let Some(r) = run {
        c.push((r.to_string(), url::run(r)));
    }
    c
}

async fn runs_page(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    blocking(move || {
        let runs = state.root.runs().map_err(|e| AppError::internal("cannot list the runs folder", e.to_string()))?;
        let infos: Vec<_> = runs.iter().map(runs_list::info).collect();
        let names = infos.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join("\n");
        Ok(Html(layout::render(
            Mode::Served,
            Page {
                title: "runs",
                crumbs: Vec::new(),
                body: runs_list::body(&state.root, &infos),
                watch_runs: Some(names),
            },
        )))
    })
    .await
}

async fn population_page(State(state): State<AppState>, Path(run): Path<String>) -> Result<Html<String>, AppError> {
    blocking(move || {
        let opened = state.root.open_run(&run)?;
        let body = match opened.state {
            RunState::Complete(dir) => {
                let files = RunFiles::read(&run, *dir);
                let chilling = match &files.summary {
                    Ok(s) => state.root.chilling(&run, &files.run, s),
                    Err(_) => Err(crate::runs::NoChilling::NoBaseline { hint: String::new() }),
                };
                population::body(&files, &chilling, Mode::Served)
            }
            RunState::InProgress(progress) => html! {
                h1 { "Run " (run) }
                div.notice data-progress-run=(run) {
                    p {
                        span.tag.warn { "being written" } " "
                        @if let Some(p) = progress {
                            progress max=(p.days) value=(p.day) {} " "
                            span.progress-text { "day " (p.day) " of " (p.days) }
                        } @else { span.progress-text { "starting…" } }
                    }
                    p { "This run has no manifest.json yet: it is still running, or it was interrupted. "
                        "This page reloads by itself when the run is complete." }
                }
            },
            RunState::Unreadable(message) => layout::problem("This run", &message),
        };
        Ok(page(&run, crumbs(None), body))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct CitizenQuery {
    id: Option<String>,
}

/// A citizen index from a URL: a whole number below the run's size.
pub(crate) fn parse_citizen(text: &str, citizens: u64) -> Result<u32, AppError> {
    let text = text.trim();
    let id: u32 = text.parse().map_err(|_| {
        AppError::bad_request(format!(
            "“{text}” is not a citizen index: give a whole number from 0 to {}",
            citizens.saturating_sub(1)
        ))
    })?;
    if u64::from(id) >= citizens {
        return Err(AppError::not_found(format!(
            "there is no citizen #{id}: this run has {} citizens, numbered 0 to {}",
            crate::fmt::count(citizens),
            crate::fmt::count(citizens.saturating_sub(1))
        )));
    }
    Ok(id)
}

async fn citizens_page(
    State(state): State<AppState>,
    Path(run): Path<String>,
    Query(q): Query<CitizenQuery>,
) -> Result<Response, AppError> {
    blocking(move || {
        let dir = state.root.complete(&run)?;
        let m = dir.manifest();
        if let Some(id) = q.id.as_deref().filter(|s| !s.trim().is_empty()) {
            let id = parse_citizen(id, m.citizens)?;
            return Ok(Redirect::to(&url::citizen(&run, id)).into_response());
        }
        Ok(page(&format!("citizens of {run}"), crumbs(Some(&run)), citizen::index_body(&run, m)).into_response())
    })
    .await
}

/// What the citizen page and `/api/runs/{run}/citizens/{id}` read.
pub(crate) fn citizen_view(root: &RunsRoot, run: &str, id: &str) -> Result<citizen::CitizenView, AppError> {
    let dir = root.complete(run)?;
    let m = dir.manifest().clone();
    let id = parse_citizen(id, m.citizens)?;
    let tracked = m.tracked.contains(&id);
    let state = dir.read_citizen(id).map_err(|e| AppError::store(run, files::CITIZENS, &e));
    let events = if tracked {
        dir.read_audit_for(id).map_err(|e| AppError::store(run, files::AUDIT, &e))
    } else {
        Ok(Vec::new())
    };
    for e in [state.as_ref().err(), events.as_ref().err()].into_iter().flatten() {
        e.log();
    }
    Ok(citizen::CitizenView {
        run: run.to_string(),
        run_path: dir.path().display().to_string(),
        scenario: crate::runs::scenario_of(&m),
        manifest: m,
        id,
        tracked,
        state,
        events,
    })
}

async fn citizen_page(
    State(state): State<AppState>,
    Path((run, id)): Path<(String, String)>,
) -> Result<Html<String>, AppError> {
    blocking(move || {
        let view = citizen_view(&state.root, &run, &id)?;
        Ok(page(&format!("citizen #{} of {run}", view.id), crumbs(Some(&run)), citizen::body(&view)))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct CompareQuery {
    pub a: Option<String>,
    pub b: Option<String>,
}

async fn compare_page(State(state): State<AppState>, Query(q): Query<CompareQuery>) -> Result<Html<String>, AppError> {
    blocking(move || {
        let complete: Vec<String> = state
            .root
            .runs()
            .map_err(|e| AppError::internal("cannot list the runs folder", e.to_string()))?
            .into_iter()
            .filter(|r| matches!(r.state, RunState::Complete(_)))
            .map(|r| r.name)
            .collect();
        let form = runs_list::compare_form(&complete, q.a.as_deref(), q.b.as_deref());
        let body = match (q.a.as_deref(), q.b.as_deref()) {
            (Some(a), Some(b)) => {
                let fa = RunFiles::read(a, state.root.complete(a)?);
                let fb = RunFiles::read(b, state.root.complete(b)?);
                compare::body(&fa, &fb, form)
            }
            _ => html! {
                h1 { "Compare two runs" }
                @if complete.len() < 2 {
                    p.notice { "Comparing needs two complete runs in this folder." }
                } @else {
                    p.lead { "Pick two runs. With a run and its same-seed baseline, the page shows the chilling effect." }
                    (form)
                }
            },
        };
        Ok(page("compare", crumbs(None), body))
    })
    .await
}

/// Options of [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The folder of runs.
    pub runs: std::path::PathBuf,
    /// Address to listen on (127.0.0.1 unless told otherwise).
    pub bind: IpAddr,
    /// Port (0: any free port).
    pub port: u16,
}

/// Serves the dashboard until Ctrl-C. `ready` is called with the address
/// once the server listens (the CLI prints it).
pub fn serve(options: &ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), DashboardError> {
    let root = RunsRoot::open(&options.runs)
        .map_err(|source| DashboardError::RunsFolder { path: options.runs.clone(), source })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()
        .map_err(|source| DashboardError::Io { action: "start the server's runtime".into(), source })?;
    runtime.block_on(async {
        let addr = SocketAddr::new(options.bind, options.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| DashboardError::Bind { addr: addr.to_string(), source })?;
        let local = listener.local_addr().map_err(|source| DashboardError::Bind { addr: addr.to_string(), source })?;
        ready(local);
        let app = app_with(root, options.bind.is_loopback());
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // If the signal handler cannot be installed, run until killed.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            })
            .await
            .map_err(|source| DashboardError::Io { action: "serve".into(), source })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "localhost",
            "localhost:8000",
            "127.0.0.1",
            "127.0.0.1:9",
            "127.1.2.3:80",
            "[::1]:8000",
            "[::1]",
            "LOCALHOST:1",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in ["evil.example", "evil.example:8000", "10.0.0.1:8000", "localhost.evil.example", "[::2]:80", ""] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
