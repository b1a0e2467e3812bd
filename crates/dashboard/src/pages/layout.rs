//! The page shell shared by every page (header, footer, stylesheet and
//! script), in two modes: served by `scorelab serve`, or written as one
//! self-contained file by `scorelab report` (stylesheet inline, no script,
//! no links back to a server, a content security policy that forbids
//! loading anything).

use axum::http::StatusCode;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The stylesheet, embedded in the binary.
pub const CSS: &str = include_str!("../../assets/app.css");
/// The only script: live progress of runs being written.
pub const JS: &str = include_str!("../../assets/app.js");
/// The icon.
pub const FAVICON: &str = include_str!("../../assets/favicon.svg");

/// Where a page will be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Served by `scorelab serve`: links to other pages and the API work.
    Served,
    /// A self-contained file: everything inline, no links to a server.
    Report,
}

impl Mode {
    /// Whether links to other pages of the server make sense.
    pub fn links(self) -> bool {
        self == Mode::Served
    }
}

/// A page to render.
pub struct Page<'a> {
    /// The document title (after "scorelab · ").
    pub title: &'a str,
    /// The breadcrumb trail: (label, link).
    pub crumbs: Vec<(String, String)>,
    /// The content of `<main>`.
    pub body: Markup,
    /// Attributes for the live script on `<body>`: the run names known when
    /// the page was made, to reload when they change (runs page only).
    pub watch_runs: Option<String>,
}

/// The whole HTML document of a page.
pub fn render(mode: Mode, page: Page<'_>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if mode == Mode::Report {
                    meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                }
                title { "scorelab · " (page.title) }
                @match mode {
                    Mode::Served => {
                        link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
                        link rel="stylesheet" href="/assets/app.css";
                        script src="/assets/app.js" defer {}
                    }
                    Mode::Report => {
                        style { (PreEscaped(CSS)) }
                    }
                }
            }
            body data-watch-runs[page.watch_runs.is_some()] data-runs=[page.watch_runs.as_deref()] {
                header.top {
                    @if mode.links() {
                        a.brand href="/" { "scorelab" }
                        nav {
                            a href="/" { "Runs" }
                            a href="/compare" { "Compare" }
                            a href="/api/runs" { "API" }
                        }
                    } @else {
                        span.brand { "scorelab report" }
                    }
                    span.sim { "A simulation: every citizen here is synthetic, an index in a generated population." }
                }
                main {
                    @if mode.links() && !page.crumbs.is_empty() {
                        div.crumbs {
                            @for (i, (label, href)) in page.crumbs.iter().enumerate() {
                                @if i > 0 { " / " }
                                a href=(href) { (label) }
                            }
                        }
                    }
                    (page.body)
                }
                footer {
                    "scorelab " (version) " · a laboratory for social credit systems. "
                    "It simulates a points score, a blacklist and sanctions on synthetic citizens and measures what they do; "
                    "no input is about a real person and nothing here decides anything about one."
                }
            }
        }
    }
    .into_string()
}

/// The error page for a status and a message.
pub fn error_page(status: StatusCode, message: &str) -> String {
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("error"));
    render(
        Mode::Served,
        Page {
            title: &title,
            crumbs: vec![("Runs".into(), "/".into())],
            body: html! {
                h1 { (title) }
                div.problem { p { (message) } }
                p { a href="/" { "Back to the list of runs" } }
            },
            watch_runs: None,
        },
    )
}

/// A message in place of a part of a page whose data could not be read.
pub fn problem(what: &str, message: &str) -> Markup {
    html! {
        div.problem role="alert" {
            strong { (what) " cannot be shown. " }
            (message)
        }
    }
}

/// A chart in its frame, with an optional caption under it.
pub fn figure(svg: String, caption: Option<&str>) -> Markup {
    html! {
        figure.chart {
            (PreEscaped(svg))
            @if let Some(c) = caption { figcaption { (c) } }
        }
    }
}
