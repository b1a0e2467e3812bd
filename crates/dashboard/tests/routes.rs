//! Every page and API route of the dashboard, as a person (or a script)
//! would use them, through the router without a server: the pages and
//! their charts, the citizen search, 404s, runs with a missing or damaged
//! file, a run still being written, and every way of asking for something
//! outside the runs folder.

#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{get, interesting, send, with_method, Fixture, BASELINE, CITIZENS, DAYS, RUN};

/// Number of inline SVG charts in a page.
fn charts(body: &str) -> usize {
    body.matches("<svg class=\"chart").count()
}

#[tokio::test]
async fn runs_page_lists_every_run_with_its_figures() {
    let f = Fixture::new();
    let got = get(&f.app(), "/").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.content_type().starts_with("text/html"));
    got.has(&[
        "href=\"/runs/seed-article-1\"",
        "href=\"/runs/baseline-1\"",
        "seed-article",
        "3,000",
        "250",
        "2023-11-14 22:13 UTC",
        "Compare two runs",
        "<script src=\"/assets/app.js\"",
    ]);
    // The secret run outside the folder is not listed.
    assert!(!got.body.contains("secret"));
}

#[tokio::test]
async fn population_page_shows_every_section_with_charts() {
    let f = Fixture::new();
    let got = get(&f.app(), &format!("/runs/{RUN}")).await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&[
        "Run seed-article-1",
        "How the scores spread",
        "Effective score: percentiles and mean",
        "Distribution of effective scores, day by day",
        "Adults per grade",
        "Citizens on the blacklist",
        "Listings and appeals since day 0",
        "Denials since day 0, by activity",
        "Wrongful share of denials",
        "Denials by income decile",
        "Denials by urban or rural",
        "Denials by age band",
        "Denials by region",
        "What reaches the children",
        "The chilling effect",
        // The run was made without its baseline: the dashboard computes
        // the chilling effect from the baseline run beside it.
        "Behaviour compared with the baseline",
        "href=\"/runs/baseline-1\"",
        "Computed by the dashboard",
        "/compare?a=seed-article-1&amp;b=baseline-1",
        // Axis descriptions with units.
        "effective score (points)",
        "denials per 1,000 citizens",
        "action=\"/runs/seed-article-1/citizens\"",
    ]);
    assert!(charts(&got.body) >= 13, "{} charts", charts(&got.body));
    assert!(!got.body.contains("class=\"problem\""), "a section reports a problem");
}

#[tokio::test]
async fn baseline_run_has_no_chilling_effect_of_its_own() {
    let f = Fixture::new();
    get(&f.app(), &format!("/runs/{BASELINE}")).await.has(&["it is itself a baseline"]);
}

#[tokio::test]
async fn a_factor_score_shows_each_factor_of_a_tracked_citizen() {
    let f = Fixture::new();
    f.add_run("sesame", "sesame-1"); // tracks citizen 0
    let got = get(&f.app(), "/runs/sesame-1/citizens/0").await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&[
        "Score factors on day",
        "credit history",
        "behaviour and preferences",
        "fulfilment capacity",
        "identity characteristics",
        "interpersonal relationships (friends)",
    ]);
    // A scenario without factors has no such section.
    let got = get(&f.app(), &format!("/runs/{RUN}/citizens/0")).await;
    assert!(!got.body.contains("Score factors"));
}

#[tokio::test]
async fn a_scenario_without_a_score_shows_no_score_charts() {
    let f = Fixture::new();
    f.add_run("court-blacklist", "court-blacklist-1");
    let got = get(&f.app(), "/runs/court-blacklist-1").await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&["This scenario keeps no score", "Citizens on the blacklist", "Denials by income decile"]);
    assert!(!got.body.contains("Effective score: percentiles and mean"));
    assert!(!got.body.contains("mean effective score on day"));
}

#[tokio::test]
async fn without_a_baseline_the_page_says_how_to_make_one() {
    let f = Fixture::new();
    fs::remove_dir_all(f.run(BASELINE)).unwrap();
    let got = get(&f.app(), &format!("/runs/{RUN}")).await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&["No such baseline run is in this folder", "scorelab run baseline --seed 1 --citizens 3000 --days 250"]);
}

#[tokio::test]
async fn citizen_page_of_a_tracked_citizen_tells_its_story() {
    let f = Fixture::new();
    let id = interesting().record.expect("a tracked citizen with a record");
    let got = get(&f.app(), &format!("/runs/{RUN}/citizens/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&[
        &format!("Citizen #{id}"),
        "Effective score on day 249",
        &format!("Score of citizen #{id} over time"),
        "Sanctions and rewards that apply now",
        "Records",
        "Denials and rewards",
        "Appeals",
    ]);
    assert_eq!(charts(&got.body), 2, "the gauge and the score over time");
    assert!(!got.body.contains("was not tracked"));
}

#[tokio::test]
async fn denials_and_erroneous_records_are_marked() {
    let f = Fixture::new();
    let app = f.app();
    let found = interesting();
    if let Some(id) = found.denial {
        get(&app, &format!("/runs/{RUN}/citizens/{id}")).await.has(&["<span class=\"tag bad\">denied</span>"]);
    }
    let id = found.erroneous.expect("some tracked citizen has an erroneous record in 250 days");
    get(&app, &format!("/runs/{RUN}/citizens/{id}")).await.has(&["<tr class=\"erroneous\">", ">erroneous</span>"]);
}

#[tokio::test]
async fn untracked_citizen_page_explains_how_to_see_the_story() {
    let f = Fixture::new();
    let got = get(&f.app(), &format!("/runs/{RUN}/citizens/7")).await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&[
        "was not tracked in this run",
        "scorelab explain ",
        "--citizen 7",
        "--track 7",
        "Effective score on day",
    ]);
}

#[tokio::test]
async fn citizen_search_redirects_to_the_citizen() {
    let f = Fixture::new();
    let app = f.app();
    let got = get(&app, &format!("/runs/{RUN}/citizens?id=42")).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    assert_eq!(got.headers[header::LOCATION], "/runs/seed-article-1/citizens/42");
    let index = get(&app, &format!("/runs/{RUN}/citizens")).await;
    assert_eq!(index.status, StatusCode::OK);
    index.has(&["Citizens of run seed-article-1", "href=\"/runs/seed-article-1/citizens/0\"", "name=\"id\""]);
    // An empty search shows the index again.
    assert_eq!(get(&app, &format!("/runs/{RUN}/citizens?id=")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_citizen_indices_get_a_clear_message() {
    let f = Fixture::new();
    let app = f.app();
    for (uri, status, text) in [
        (format!("/runs/{RUN}/citizens?id=abc"), StatusCode::BAD_REQUEST, "is not a citizen index"),
        (format!("/runs/{RUN}/citizens?id=-1"), StatusCode::BAD_REQUEST, "is not a citizen index"),
        (format!("/runs/{RUN}/citizens?id={CITIZENS}"), StatusCode::NOT_FOUND, "numbered 0 to 2,999"),
        (format!("/runs/{RUN}/citizens/{CITIZENS}"), StatusCode::NOT_FOUND, "there is no citizen #3000"),
        (format!("/runs/{RUN}/citizens/99999999999"), StatusCode::BAD_REQUEST, "is not a citizen index"),
        (format!("/runs/{RUN}/citizens/1e3"), StatusCode::BAD_REQUEST, "is not a citizen index"),
        (format!("/api/runs/{RUN}/citizens/{CITIZENS}"), StatusCode::NOT_FOUND, "there is no citizen"),
    ] {
        let got = get(&app, &uri).await;
        assert_eq!(got.status, status, "{uri}");
        got.has(&[text]);
    }
}

#[tokio::test]
async fn compare_page_sets_two_runs_side_by_side() {
    let f = Fixture::new();
    let app = f.app();
    let form = get(&app, "/compare").await;
    assert_eq!(form.status, StatusCode::OK);
    form.has(&["Compare two runs", "<select name=\"a\""]);
    let got = get(&app, &format!("/compare?a={RUN}&b={BASELINE}")).await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&[
        "Compare seed-article-1 with baseline-1",
        "Same seed, population and length",
        "median effective score",
        "denials: flight",
        "Median effective score",
        "A: seed-article-1",
        "B: baseline-1",
        "Behaviour compared with the baseline",
    ]);
    assert!(charts(&got.body) >= 5);
    let missing = get(&app, &format!("/compare?a={RUN}&b=nope")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    missing.has(&["there is no run called “nope”"]);
}

#[tokio::test]
async fn api_serves_every_resource_as_json() {
    let f = Fixture::new();
    let app = f.app();
    let runs = get(&app, "/api/runs").await;
    assert!(runs.content_type().starts_with("application/json"));
    let runs = runs.json();
    assert_eq!(runs.as_array().unwrap().len(), 2);
    assert_eq!(runs[1]["name"], RUN);
    assert_eq!(runs[1]["status"], "complete");
    assert!(runs[1]["headline"]["denials"].is_u64());

    assert_eq!(get(&app, &format!("/api/runs/{RUN}")).await.json()["scenario"], "seed-article");
    assert_eq!(get(&app, &format!("/api/runs/{RUN}/manifest")).await.json()["days"], DAYS);
    let summary = get(&app, &format!("/api/runs/{RUN}/summary")).await.json();
    assert_eq!(summary["citizens"], CITIZENS);
    assert_eq!(summary["baseline_run"], BASELINE, "chilling filled in from the baseline beside it");
    assert!(summary["chilling"].as_array().is_some_and(|c| !c.is_empty()));
    let daily = get(&app, &format!("/api/runs/{RUN}/daily")).await.json();
    assert_eq!(daily.as_array().unwrap().len(), DAYS as usize);
    assert_eq!(daily[0]["day"], 0);
    let groups = get(&app, &format!("/api/runs/{RUN}/groups")).await.json();
    assert!(groups.as_array().unwrap().iter().any(|g| g["dimension"] == "income_decile"));
    assert_eq!(get(&app, &format!("/api/runs/{RUN}/progress")).await.json()["status"], "complete");

    let tracked = get(&app, &format!("/api/runs/{RUN}/citizens/0")).await.json();
    assert_eq!(tracked["tracked"], true);
    assert!(tracked["events"].as_array().unwrap().iter().any(|e| e["kind"] == "score"));
    assert_eq!(tracked["active"].as_array().unwrap().len(), f.manifest().activities.len());
    let untracked = get(&app, &format!("/api/runs/{RUN}/citizens/1")).await.json();
    assert_eq!(untracked["tracked"], false);
    assert!(untracked["explain"].as_str().unwrap().ends_with("--citizen 1"));

    let cmp = get(&app, &format!("/api/compare?a={RUN}&b={BASELINE}")).await.json();
    assert_eq!(cmp["paired"], true);
    assert!(cmp["chilling"]["rows"].as_array().is_some());
    let bad = get(&app, "/api/compare?a=x").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("give two runs"));
}

#[tokio::test]
async fn unknown_addresses_are_404_pages_or_json() {
    let f = Fixture::new();
    let app = f.app();
    for uri in ["/nothing", "/runs", "/runs/nope", "/runs/nope/citizens/1", &format!("/runs/{RUN}/other")] {
        let got = get(&app, uri).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(got.content_type().starts_with("text/html"), "{uri}");
        got.has(&["404 Not Found", "Back to the list of runs"]);
    }
    for uri in ["/api/nothing", "/api/runs/nope", "/api/runs/nope/summary", &format!("/api/runs/{RUN}/other")] {
        let got = get(&app, uri).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(got.json()["status"], 404, "{uri}");
        assert!(got.json()["error"].is_string());
    }
}

#[tokio::test]
async fn nothing_outside_the_runs_folder_can_be_reached() {
    let f = Fixture::new();
    // A symbolic link inside the runs folder to a complete run outside it.
    #[cfg(unix)]
    std::os::unix::fs::symlink(f.tmp.path().join("secret"), f.runs().join("linked")).unwrap();
    let app = f.app();
    let attempts = [
        "/runs/..",
        "/runs/.",
        "/runs/%2e%2e",
        "/runs/%2E%2E/secret",
        "/runs/..%2fsecret",
        "/runs/..%2Fsecret",
        "/runs/..%2F..%2F..%2Fetc%2Fpasswd",
        "/runs/%2Fetc%2Fpasswd",
        "/runs/%2Ftmp",
        "/runs/..%5Csecret",
        "/runs/%5C%5Cserver%5Cshare",
        "/runs/%252e%252e",
        "/runs/%252e%252e%252fsecret",
        "/runs/.hidden",
        "/runs/a%00b",
        "/runs/C:%5Cwindows",
        "/runs/linked",
        "/runs/linked/citizens/0",
        "/runs/secret",
        "/runs/../secret",
        "/runs/seed-article-1/../../secret",
        "/assets/../secret.txt",
        "/assets/%2e%2e/secret.txt",
        "/secret.txt",
        "/../secret.txt",
        "/compare?a=..&b=../secret",
        "/compare?a=%2Fetc&b=seed-article-1",
        "/compare?a=linked&b=seed-article-1",
        "/api/runs/..%2Fsecret/summary",
        "/api/runs/%2e%2e/manifest",
        "/api/runs/linked/summary",
        "/api/runs/secret/daily",
        "/api/compare?a=..%2Fsecret&b=seed-article-1",
    ];
    for uri in attempts {
        let got = get(&app, uri).await;
        assert!(
            got.status == StatusCode::BAD_REQUEST || got.status == StatusCode::NOT_FOUND,
            "{uri}: {} {}",
            got.status,
            got.body
        );
        assert!(!got.body.contains("TOP-SECRET"), "{uri}");
        assert!(!got.body.contains("Run secret") && !got.body.contains("\"scenario\""), "{uri} served a run");
        assert!(!got.body.contains(&f.tmp.path().display().to_string()), "{uri} shows a server path");
    }
    // The listing never shows the link either.
    let runs = get(&app, "/api/runs").await.json();
    assert!(runs.as_array().unwrap().iter().all(|r| r["name"] != "linked"));
}

#[tokio::test]
async fn a_missing_daily_file_is_explained_where_the_charts_would_be() {
    let f = Fixture::new();
    fs::remove_file(f.run(RUN).join("daily.parquet")).unwrap();
    let app = f.app();
    let got = get(&app, &format!("/runs/{RUN}")).await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&[
        "class=\"problem\"",
        "run “seed-article-1” has no daily.parquet: the file is missing from its folder",
        // What does not need the file is still there.
        "Denials by income decile",
        "blacklisted on the last day",
    ]);
    let api = get(&app, &format!("/api/runs/{RUN}/daily")).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.json()["error"].as_str().unwrap().contains("has no daily.parquet"));
    // The comparison still has its table.
    get(&app, &format!("/compare?a={RUN}&b={BASELINE}")).await.has(&["median effective score", "class=\"problem\""]);
}

#[tokio::test]
async fn damaged_files_are_explained_not_crashed_on() {
    let f = Fixture::new();
    fs::write(f.run(RUN).join("groups.parquet"), b"PAR1 this is not parquet").unwrap();
    fs::write(f.run(RUN).join("summary.json"), b"{\"scenario\": ").unwrap();
    fs::write(f.run(RUN).join("audit.parquet"), b"").unwrap();
    let app = f.app();
    let got = get(&app, &format!("/runs/{RUN}")).await;
    assert_eq!(got.status, StatusCode::OK);
    got.has(&[
        "groups.parquet of run “seed-article-1” is damaged or not a Parquet file",
        "summary.json of run “seed-article-1” is damaged or not a scorelab file",
        "Effective score: percentiles and mean",
    ]);
    let groups = get(&app, &format!("/api/runs/{RUN}/groups")).await;
    assert_eq!(groups.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(groups.json()["error"].as_str().unwrap().contains("groups.parquet"));
    get(&app, "/").await.has(&["summary unreadable"]);
    let citizen = get(&app, &format!("/runs/{RUN}/citizens/0")).await;
    assert_eq!(citizen.status, StatusCode::OK);
    citizen.has(&["history cannot be shown", "audit.parquet"]);
    let api = get(&app, &format!("/api/runs/{RUN}/citizens/0")).await;
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(api.json()["error"].as_str().unwrap().contains("audit.parquet"));
}

#[tokio::test]
async fn a_damaged_manifest_is_reported_on_the_list_and_the_run_page() {
    let f = Fixture::new();
    fs::write(f.run(RUN).join("manifest.json"), b"not json").unwrap();
    let app = f.app();
    get(&app, "/").await.has(&["unreadable", "manifest.json of run “seed-article-1” is damaged"]);
    let page = get(&app, &format!("/runs/{RUN}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.has(&["This run cannot be shown", "manifest.json"]);
    let api = get(&app, &format!("/api/runs/{RUN}/summary")).await;
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(api.json()["error"].as_str().unwrap().contains("manifest.json"));
}

#[tokio::test]
async fn a_run_being_written_shows_its_progress_live() {
    let f = Fixture::new();
    f.add_in_progress("court-blacklist-7", 120);
    let app = f.app();
    get(&app, "/").await.has(&[
        "data-progress-run=\"court-blacklist-7\"",
        "<progress max=\"365\" value=\"120\">",
        "day 120 of 365 (32%)",
        "data-watch-runs",
    ]);
    get(&app, "/runs/court-blacklist-7").await.has(&["being written", "reloads by itself"]);
    let p = get(&app, "/api/runs/court-blacklist-7/progress").await.json();
    assert_eq!(p["status"], "in_progress");
    assert_eq!(p["progress"]["day"], 120);
    let summary = get(&app, "/api/runs/court-blacklist-7/summary").await;
    assert_eq!(summary.status, StatusCode::CONFLICT);
    assert!(summary.json()["error"].as_str().unwrap().contains("still being written (day 120 of 365)"));
    // The live script asks /api/runs for this.
    let runs = get(&app, "/api/runs").await.json();
    let run = runs.as_array().unwrap().iter().find(|r| r["name"] == "court-blacklist-7").unwrap().clone();
    assert_eq!(run["status"], "in_progress");
    assert_eq!(run["progress"]["days"], 365);
}

#[tokio::test]
async fn only_reads_are_answered() {
    let f = Fixture::new();
    let app = f.app();
    let post = with_method(&app, Method::POST, "/").await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    post.has(&["read-only"]);
    let api = with_method(&app, Method::DELETE, &format!("/api/runs/{RUN}")).await;
    assert_eq!(api.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(api.json()["error"].as_str().unwrap().contains("read-only"));
    let head = with_method(&app, Method::HEAD, "/").await;
    assert_eq!(head.status, StatusCode::OK);
    let big = send(
        &app,
        Request::get("/").header(header::CONTENT_LENGTH, "1000000").body(Body::from(vec![b'x'; 1_000_000])).unwrap(),
    )
    .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn foreign_host_names_are_refused() {
    let f = Fixture::new();
    let app = f.app();
    let request = |host: &str| Request::get("/api/runs").header(header::HOST, host).body(Body::empty()).unwrap();
    assert_eq!(send(&app, request("127.0.0.1:8000")).await.status, StatusCode::OK);
    assert_eq!(send(&app, request("localhost:8000")).await.status, StatusCode::OK);
    let evil = send(&app, request("attacker.example:8000")).await;
    assert_eq!(evil.status, StatusCode::MISDIRECTED_REQUEST);
    assert!(evil.json()["error"].as_str().unwrap().contains("--bind"));
}

#[tokio::test]
async fn pages_load_nothing_from_elsewhere() {
    let f = Fixture::new();
    let app = f.app();
    for uri in ["/".to_string(), format!("/runs/{RUN}"), format!("/runs/{RUN}/citizens/0"), "/compare".to_string()] {
        let got = get(&app, &uri).await;
        let csp = got.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{uri}");
        assert_eq!(got.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "url("] {
            assert!(!got.body.contains(external), "{uri} refers to {external}");
        }
    }
    let css = get(&app, "/assets/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type().starts_with("text/css"));
    assert!(!css.body.contains("url(") && !css.body.contains("@import"));
    let js = get(&app, "/assets/app.js").await;
    assert!(js.content_type().starts_with("text/javascript"));
    js.has(&["/api/runs"]);
    assert!(get(&app, "/assets/favicon.svg").await.content_type().starts_with("image/svg+xml"));
    assert_eq!(get(&app, "/favicon.ico").await.status, StatusCode::OK);
}

#[tokio::test]
async fn names_from_the_folder_are_escaped() {
    let f = Fixture::new();
    let evil = "\"><img src=x onerror=alert(1)>";
    f.add_in_progress(evil, 3);
    let got = get(&f.app(), "/").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(!got.body.contains("<img src=x"), "unescaped name");
    got.has(&["&lt;img src=x onerror=alert(1)&gt;"]);
}

#[tokio::test]
async fn an_empty_folder_says_how_to_make_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let app = scorelab_dashboard::app(scorelab_dashboard::RunsRoot::open(dir.path()).unwrap());
    get(&app, "/").await.has(&["There is no run in this folder yet", "scorelab run"]);
    assert_eq!(get(&app, "/api/runs").await.body, "[]");
    get(&app, "/compare").await.has(&["Comparing needs two complete runs"]);
}

/// A run deleted, then written again, while the same server keeps serving:
/// every request reads the folder afresh, so the deleted run is a clear 404
/// and the rewritten one is served as it now is.
#[tokio::test]
async fn a_run_deleted_or_rewritten_while_serving_is_handled() {
    let f = Fixture::new();
    let app = f.app();
    assert_eq!(get(&app, &format!("/runs/{BASELINE}")).await.status, StatusCode::OK);
    fs::remove_dir_all(f.run(BASELINE)).unwrap();
    let gone = get(&app, &format!("/runs/{BASELINE}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(!gone.body.is_empty(), "the 404 page explains itself");
    let listed = get(&app, "/").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(!listed.body.contains(&format!("href=\"/runs/{BASELINE}\"")));
    // Rewritten: the same name now holds a copy of another run.
    let from = f.run(RUN);
    let to = f.run(BASELINE);
    fs::create_dir_all(&to).unwrap();
    for entry in fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let back = get(&app, &format!("/runs/{BASELINE}")).await;
    assert_eq!(back.status, StatusCode::OK);
    back.has(&["seed-article"]);
    // Half-written (no manifest yet): reported as incomplete, not as a run.
    fs::remove_file(to.join("manifest.json")).unwrap();
    let half = get(&app, &format!("/api/runs/{BASELINE}/summary")).await;
    assert_ne!(half.status, StatusCode::OK, "{}", half.body);
}
