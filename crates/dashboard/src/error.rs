//! [`AppError`], the one error type of the web service, and
//! [`DashboardError`], what `serve` and `report` return to the CLI.
//!
//! An `AppError` carries a status, a short message for the person at the
//! browser and, optionally, a detail for the log (a path, an OS error).
//! It renders as an HTML error page; the server's error middleware renders
//! the same error as JSON on `/api/` routes (it finds the message in the
//! response's extensions), so every handler simply returns `AppError`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use scorelab_store::StoreError;

use crate::pages::layout;

/// An error answered to a request: what the user sees and what the log gets.
#[derive(Debug, Clone)]
pub struct AppError {
    status: StatusCode,
    message: String,
    detail: Option<String>,
}

/// The error's message, left in the response's extensions for
/// the middleware that renders `/api/` errors as JSON.
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    pub message: String,
}

impl AppError {
    /// An error with a status and a message for the user.
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError { status, message: message.into(), detail: None }
    }

    /// 404: nothing at this address.
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, message)
    }

    /// 400: the request itself is wrong (a malformed run name or citizen id).
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 500 with a detail that goes to the log only.
    pub fn internal(message: impl Into<String>, detail: impl Into<String>) -> AppError {
        AppError { status: StatusCode::INTERNAL_SERVER_ERROR, message: message.into(), detail: Some(detail.into()) }
    }

    /// An error reading `file` of the run called `run`, said in terms of the
    /// run (never the server's absolute paths): a missing file is a 404, a
    /// run still being written a 409, a damaged file or an OS error a 500.
    pub fn store(run: &str, file: &str, e: &StoreError) -> AppError {
        let detail = Some(e.to_string());
        let (status, message) = match e {
            StoreError::NoRunDir { .. } => {
                (StatusCode::NOT_FOUND, format!("there is no run called “{run}” in this folder"))
            }
            StoreError::Incomplete { progress, .. } => (
                StatusCode::CONFLICT,
                match progress {
                    Some((day, days)) => {
                        format!("run “{run}” is still being written (day {day} of {days}) or was interrupted")
                    }
                    None => format!("run “{run}” is still being written or was interrupted: it has no manifest.json"),
                },
            ),
            StoreError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                (StatusCode::NOT_FOUND, format!("run “{run}” has no {file}: the file is missing from its folder"))
            }
            StoreError::Json { source, .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{file} of run “{run}” is damaged or not a scorelab file ({source})"),
            ),
            StoreError::Parquet { message, .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{file} of run “{run}” is damaged or not a Parquet file ({message})"),
            ),
            StoreError::Format { message, .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{file} of run “{run}” has an unexpected layout ({message})"),
            ),
            StoreError::Io { source, .. } | StoreError::DiskFull { source, .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {file} of run “{run}” ({})", source.kind()))
            }
            other => (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot read {file} of run “{run}”: {other}")),
        };
        AppError { status, message, detail }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message for the user.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Writes the detail to the log (standard error) for server errors
    /// and for any error that carries one.
    pub(crate) fn log(&self) {
        if self.status.is_server_error() || self.detail.is_some() {
            eprintln!(
                "scorelab serve: {} {}{}",
                self.status.as_u16(),
                self.message,
                self.detail.as_deref().map(|d| format!(" [{d}]")).unwrap_or_default()
            );
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let body = layout::error_page(self.status, &self.message);
        let mut response = (self.status, Html(body)).into_response();
        response.extensions_mut().insert(ErrorInfo { message: self.message });
        response
    }
}

/// What can stop `serve` or `report`, for the command line: each says
/// whose fault it is through [`DashboardError::is_bad_input`].
#[derive(Debug)]
pub enum DashboardError {
    /// The runs folder given to `serve` does not exist or cannot be listed.
    RunsFolder {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The address to listen on is taken or not allowed.
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        source: io::Error,
    },
    /// The run given to `report` cannot be read.
    Run(StoreError),
    /// Writing the report or running the server failed.
    Io {
        /// What was being done.
        action: String,
        /// The OS error.
        source: io::Error,
    },
    /// Writing the report file failed.
    Write(StoreError),
}

impl DashboardError {
    /// Whether the user's input is at fault (exit code 2) rather than the
    /// machine (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            DashboardError::RunsFolder { .. } => true,
            DashboardError::Bind { source, .. } => {
                matches!(
                    source.kind(),
                    io::ErrorKind::AddrInUse | io::ErrorKind::AddrNotAvailable | io::ErrorKind::PermissionDenied
                )
            }
            DashboardError::Run(e) => matches!(
                e,
                StoreError::NoRunDir { .. }
                    | StoreError::Incomplete { .. }
                    | StoreError::Json { .. }
                    | StoreError::Format { .. }
            ),
            DashboardError::Io { .. } | DashboardError::Write(_) => false,
        }
    }
}

impl fmt::Display for DashboardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DashboardError::RunsFolder { path, source } => write!(
                f,
                "cannot serve {}: {source} (give a folder of runs, e.g. `scorelab serve runs`, after `scorelab run`)",
                path.display()
            ),
            DashboardError::Bind { addr, source } => {
                write!(f, "cannot listen on {addr}: {source} (choose another port with --port)")
            }
            DashboardError::Run(e) => write!(f, "{e}"),
            DashboardError::Io { action, source } => write!(f, "cannot {action}: {source}"),
            DashboardError::Write(e) => write!(f, "{e}"),
        }
    }
}

/// The message already includes the cause, so `source` stays empty (the
/// CLI would otherwise print it twice).
impl std::error::Error for DashboardError {}
