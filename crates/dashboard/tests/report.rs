//! `scorelab report`'s library side: one self-contained HTML file with the
//! population page's content.

#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use common::{Fixture, BASELINE, RUN};

#[test]
fn the_report_is_one_self_contained_file() {
    let f = Fixture::new();
    let html = scorelab_dashboard::report_html(&f.run(RUN)).unwrap();
    for text in [
        "<style>",
        "Run seed-article-1",
        "Effective score: percentiles and mean",
        "Denials by income decile",
        "Behaviour compared with the baseline",
        "default-src 'none'",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    assert!(html.matches("<svg class=\"chart\"").count() >= 13);
    // Nothing to fetch, nothing to run, no links back to a server.
    for absent in ["<script", "<link", "src=\"", "href=\"/"] {
        assert!(!html.contains(absent), "{absent} present");
    }
}

#[test]
fn write_report_writes_the_file_atomically() {
    let f = Fixture::new();
    let out = f.tmp.path().join("report.html");
    let bytes = scorelab_dashboard::write_report(&f.run(RUN), &out).unwrap();
    assert_eq!(fs::metadata(&out).unwrap().len() as usize, bytes);
    assert!(!f.tmp.path().join("report.html.tmp").exists());
    assert_eq!(scorelab_dashboard::default_report_path(&f.run(RUN)).to_str(), Some("seed-article-1-report.html"));
}

#[test]
fn a_report_of_a_baseline_or_of_a_damaged_run_still_says_what_it_can() {
    let f = Fixture::new();
    assert!(scorelab_dashboard::report_html(&f.run(BASELINE)).unwrap().contains("it is itself a baseline"));
    fs::remove_file(f.run(RUN).join("groups.parquet")).unwrap();
    let html = scorelab_dashboard::report_html(&f.run(RUN)).unwrap();
    assert!(html.contains("has no groups.parquet"));
    let missing = scorelab_dashboard::report_html(&f.tmp.path().join("nope")).unwrap_err();
    assert!(missing.is_bad_input());
    assert!(missing.to_string().contains("no run folder"), "{missing}");
}
