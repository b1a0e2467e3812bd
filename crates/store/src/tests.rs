//! Tests of the whole run directory: round trips of every file, bytes that
//! do not change between identical runs, refusal to overwrite, incomplete
//! and damaged runs, and column names that DuckDB accepts unquoted.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use scorelab_engine::metrics::{
    AuditKind, AuditRow, CitizenRow, DayMetrics, GroupDimension, GroupRow, HistogramSpec, RunTotals,
};

use crate::table::read_metadata;
use crate::*;

fn names() -> Names {
    Names {
        behaviours: vec!["speeding".into(), "online_speech".into(), "volunteering".into()],
        activities: vec!["flight".into(), "high_speed_rail".into(), "school_enrolment".into()],
        grades: ["AAA", "AA", "A", "B", "C", "D"].iter().map(|s| s.to_string()).collect(),
    }
}

const SPEC: HistogramSpec = HistogramSpec { origin_points: 600, bins: 50 };

fn day(d: u32, names: &Names) -> DayMetrics {
    let k = u64::from(d);
    let nb = names.behaviours.len();
    let na = names.activities.len();
    DayMetrics {
        day: d,
        adults: 1000 + k,
        score_histogram: (0..SPEC.bins as u64).map(|b| (b * 7 + k) % 13).collect(),
        score_mean: 1000.0 + f64::from(d) * 0.25,
        score_p10: 960.5,
        score_p50: 1000.0,
        score_p90: 1031.2,
        score_gini: 0.0123 * f64::from(d + 1),
        grade_counts: (0..names.grades.len() as u64).map(|g| g * 10 + k).collect(),
        blacklisted: 3 + k,
        blacklisted_erroneous: k % 2,
        listings_started: k % 3,
        listings_ended: k % 4,
        true_events: (0..nb as u64).map(|b| 100 * b + k).collect(),
        correct_records: (0..nb as u64).map(|b| 90 * b + k).collect(),
        erroneous_records: (0..nb as u64).map(|b| b + k % 5).collect(),
        denials: (0..na as u64).map(|a| 5 * a + k).collect(),
        wrongful_denials: (0..na as u64).collect(),
        grants: (0..na as u64).map(|a| 2 * a + 1).collect(),
        appeals: k % 6,
        appeals_won: k % 3,
    }
}

fn days(n: u32) -> Vec<DayMetrics> {
    let names = names();
    (0..n).map(|d| day(d, &names)).collect()
}

fn totals() -> RunTotals {
    RunTotals {
        citizens: 5000,
        days: 30,
        true_events: vec![300, 20, 0],
        correct_records: vec![200, 18, 0],
        erroneous_records: vec![3, 1, 0],
        denials: vec![40, 0, 7],
        wrongful_denials: vec![4, 0, 7],
        grants: vec![1, 2, 3],
        unique_denied: vec![30, 0, 5],
        unique_denied_any: 33,
        ever_blacklisted: 12,
        school_denials: 7,
        children_denied_school: 5,
        appeals: 9,
        appeals_won: 4,
    }
}

fn groups() -> Vec<GroupRow> {
    let mut rows = Vec::new();
    for dimension in GroupDimension::ALL {
        for (g, group) in ["1", "urban", "25-44"].iter().enumerate() {
            rows.push(GroupRow {
                dimension,
                group: group.to_string(),
                activity: "flight".into(),
                citizens: 100 + g as u64,
                denials: 10,
                wrongful_denials: 1,
                grants: 2,
                unique_denied: 8,
            });
        }
    }
    rows
}

fn citizen(id: u32, activities: &[String]) -> CitizenRow {
    let ever_denied =
        activities.iter().enumerate().filter(|(a, _)| (id as usize + a) % 3 == 0).map(|(_, n)| n.clone()).collect();
    CitizenRow {
        id,
        age: id % 90,
        region: (id % 31) as u8,
        urban: id % 2 == 0,
        income_decile: (id % 10 + 1) as u8,
        aware: id % 5 != 0,
        compliance: (id % 100) as f32 / 100.0,
        dissent: (id % 7) as f32 / 7.0,
        guardian: (id % 90 < 18).then_some(id / 2),
        friends: id % 40,
        own_score_milli: 1_000_000 - i64::from(id % 5000),
        effective_score_milli: 990_000 + i64::from(id % 3000),
        grade: ["AAA", "A", "D"][(id % 3) as usize].to_string(),
        gains_milli: i64::from(id % 11) * 1000,
        losses_milli: -i64::from(id % 13) * 1000,
        erroneous_losses_milli: -i64::from(id % 2) * 500,
        blacklisted: id % 97 == 0,
        listing_backed: id % 194 == 0,
        ever_denied,
        denied_school_as_child: id % 301 == 0,
    }
}

fn audit_rows() -> Vec<AuditRow> {
    let mut rows = Vec::new();
    for citizen in [3u32, 17, 4_000_000] {
        for d in 0..4 {
            let mut r = AuditRow::new(citizen, d, AuditKind::Record);
            r.behaviour = Some("speeding".into());
            r.source = Some("traffic_cameras".into());
            r.points_milli = Some(-5000);
            r.erroneous = Some(d == 2);
            r.detail = Some(if d == 2 { "misattributed" } else { "correct" }.into());
            r.actor = (d == 2).then_some(99);
            rows.push(r);
            let mut r = AuditRow::new(citizen, d, AuditKind::Denial);
            r.activity = Some("school_enrolment".into());
            r.rule = Some("blacklisted; grade <= C".into());
            r.wrongful = Some(false);
            r.other = Some(citizen + 1);
            rows.push(r);
            rows.push(AuditRow::new(citizen, d, AuditKind::Appeal));
            let mut r = AuditRow::new(citizen, d, AuditKind::Score);
            r.own_score_milli = Some(995_000);
            r.effective_score_milli = Some(990_500);
            r.grade = Some("A".into());
            rows.push(r);
        }
    }
    rows
}

fn manifest(names: &Names) -> Manifest {
    Manifest {
        format_version: FORMAT_VERSION,
        scorelab_version: "0.1.0".into(),
        git_commit: "abc123".into(),
        scenario: "seed-article".into(),
        scenario_toml: "name = \"seed-article\"\n".into(),
        seed: 42,
        citizens: 5000,
        days: 30,
        threads: 4,
        ranks: 1,
        tracked: vec![3, 17, 4_000_000],
        histogram: SPEC,
        histogram_bin_points: 10,
        behaviours: names.behaviours.clone(),
        activities: names.activities.clone(),
        grades: names.grades.clone(),
        citizens_sampled: false,
        citizens_sample_every: 1,
        started_unix: 1_700_000_000,
        wall_seconds: 1.5,
        peak_memory_bytes: 1 << 20,
        status: RunStatus::Complete,
        baseline: None,
    }
}

/// Writes a whole run into `dir` and returns it.
fn write_run(dir: &Path, citizens: u32) -> PathBuf {
    let names = names();
    let w = RunWriter::create(dir, false).unwrap();
    w.write_progress(&Progress { day: 3, days: 30, citizens: 5000, started_unix: 1 }).unwrap();
    let days = days(30);
    w.write_daily_with_names(&names, SPEC, &days).unwrap();
    w.write_groups(&groups()).unwrap();
    let written = w.write_citizens_with_names(&names.activities, (0..citizens).map(|i| citizen(i, &names.activities)));
    assert_eq!(written.unwrap(), u64::from(citizens));
    w.write_audit(&audit_rows()).unwrap();
    let summary = Summary::from_names("seed-article", &names, 42, &totals(), &days[29]);
    w.write_summary(&summary).unwrap();
    w.finish(&manifest(&names)).unwrap()
}

fn listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn a_complete_run_has_exactly_its_files_and_no_tmp() {
    let tmp = tempfile::tempdir().unwrap();
    let run = write_run(&tmp.path().join("r"), 100);
    let expected: BTreeSet<String> =
        [files::MANIFEST, files::DAILY, files::GROUPS, files::CITIZENS, files::AUDIT, files::SUMMARY]
            .iter()
            .map(|s| s.to_string())
            .collect();
    assert_eq!(listing(&run), expected, "progress.json and .tmp files must be gone");
}

#[test]
fn daily_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let run = RunDir::open(&write_run(tmp.path(), 10)).unwrap();
    assert_eq!(run.read_daily().unwrap(), days(30));
}

#[test]
fn daily_has_histogram_metadata_and_expected_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let run = write_run(tmp.path(), 10);
    let meta = read_metadata(&run.join(files::DAILY)).unwrap();
    let kv: Vec<(String, Option<String>)> =
        meta.file_metadata().key_value_metadata().unwrap().iter().map(|k| (k.key.clone(), k.value.clone())).collect();
    let get = |key: &str| kv.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.clone());
    assert_eq!(get(META_HISTOGRAM_ORIGIN).as_deref(), Some("600"));
    assert_eq!(get(META_HISTOGRAM_BIN_POINTS).as_deref(), Some("10"));
    assert_eq!(get(META_HISTOGRAM_BINS).as_deref(), Some("50"));
    let columns = DailyColumns::new(&names()).all();
    assert_eq!(&columns[..3], ["day", "adults", "score_mean"]);
    assert!(columns.contains(&"grade_aaa".to_string()));
    assert!(columns.contains(&"records_erroneous_online_speech".to_string()));
    assert!(columns.contains(&"wrongful_denials_school_enrolment".to_string()));
    assert_eq!(columns.last().map(String::as_str), Some("score_histogram"));
    let in_file: Vec<String> =
        meta.file_metadata().schema_descr().root_schema().get_fields().iter().map(|f| f.name().to_string()).collect();
    assert_eq!(in_file, columns);
}

#[test]
fn groups_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let run = RunDir::open(&write_run(tmp.path(), 10)).unwrap();
    assert_eq!(run.read_groups().unwrap(), groups());
}

#[test]
fn summary_and_manifest_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let run = RunDir::open(&write_run(tmp.path(), 10)).unwrap();
    assert_eq!(run.manifest(), &manifest(&names()));
    let summary = run.read_summary().unwrap();
    assert_eq!(summary, Summary::from_names("seed-article", &names(), 42, &totals(), &days(30)[29]));
    assert_eq!(summary.final_day.grades[0].grade, "AAA");
    assert_eq!(summary.activities[0].wrongful_share, Some(0.1));
    assert_eq!(summary.activities[1].wrongful_share, None);
    assert_eq!(summary.children_denied_school, 5);
}

#[test]
fn citizens_round_trip_across_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 150_000u32; // more than two record batches of 64k
    let run = RunDir::open(&write_run(tmp.path(), n)).unwrap();
    let activities = names().activities;
    for id in [0, 1, 17, 65_535, 65_536, 131_072, n - 1] {
        assert_eq!(run.read_citizen(id).unwrap(), Some(citizen(id, &activities)), "citizen {id}");
    }
    assert_eq!(run.read_citizen(n).unwrap(), None);
    assert_eq!(run.read_citizen(u32::MAX).unwrap(), None);
}

#[test]
fn citizen_lookup_decodes_only_the_row_group_holding_the_id() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(files::CITIZENS);
    let activities = names().activities;
    let n = 50_000u32;
    citizens::write_grouped(&path, &activities, (0..n).map(|i| citizen(i, &activities)), 8192).unwrap();
    assert_eq!(read_metadata(&path).unwrap().num_row_groups(), 7);
    let chosen = std::cell::Cell::new(None);
    crate::table::read_batches(&path, |builder| {
        let groups = crate::table::row_groups_with_u32(&path, builder, "id", 20_000)?;
        chosen.set(groups.clone());
        Ok(groups)
    })
    .unwrap();
    assert_eq!(chosen.take(), Some(vec![2]));
    for id in [0, 8191, 8192, 20_000, n - 1] {
        assert_eq!(citizens::read_one(&path, &activities, id).unwrap(), Some(citizen(id, &activities)));
    }
}

#[test]
fn audit_is_filtered_by_citizen_in_file_order() {
    let tmp = tempfile::tempdir().unwrap();
    let run = RunDir::open(&write_run(tmp.path(), 10)).unwrap();
    for c in [3u32, 17, 4_000_000] {
        let expected: Vec<AuditRow> = audit_rows().into_iter().filter(|r| r.citizen == c).collect();
        assert_eq!(run.read_audit_for(c).unwrap(), expected);
    }
    assert!(run.read_audit_for(4).unwrap().is_empty());
}

#[test]
fn same_inputs_give_identical_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write_run(&tmp.path().join("a"), 70_000);
    let b = write_run(&tmp.path().join("b"), 70_000);
    for name in listing(&a) {
        assert_eq!(fs::read(a.join(&name)).unwrap(), fs::read(b.join(&name)).unwrap(), "{name} differs");
    }
}

#[test]
fn create_refuses_a_complete_run_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let run = write_run(tmp.path(), 10);
    let err = RunWriter::create(&run, false).unwrap_err();
    assert!(matches!(err, StoreError::RunExists { .. }));
    assert!(err.to_string().contains("--force"), "{err}");
    // Nothing was touched.
    assert!(RunDir::open(&run).is_ok());
}

#[test]
fn create_with_force_removes_the_previous_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = write_run(tmp.path(), 10);
    fs::write(run.join("notes.txt"), "mine").unwrap();
    fs::write(run.join("daily.parquet.tmp"), "stale").unwrap();
    let w = RunWriter::create(&run, true).unwrap();
    assert_eq!(listing(&run), BTreeSet::from(["notes.txt".to_string()]));
    assert!(matches!(RunDir::open(w.dir()), Err(StoreError::Incomplete { progress: None, .. })));
}

#[test]
fn create_fails_early_when_the_folder_cannot_be_made() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let err = RunWriter::create(&file.join("run"), false).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("a-file"), "{err}");
}

#[test]
fn incomplete_runs_are_detected_with_their_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let w = RunWriter::create(&dir, false).unwrap();
    w.write_progress(&Progress { day: 12, days: 30, citizens: 10, started_unix: 5 }).unwrap();
    w.write_daily_with_names(&names(), SPEC, &days(2)).unwrap();
    assert_eq!(read_progress(&dir).unwrap(), Some(Progress { day: 12, days: 30, citizens: 10, started_unix: 5 }));
    let err = RunDir::open(&dir).unwrap_err();
    assert!(matches!(err, StoreError::Incomplete { progress: Some((12, 30)), .. }));
    let text = err.to_string();
    assert!(
        text.contains("incomplete run") && text.contains("no manifest.json") && text.contains("12 of 30"),
        "{text}"
    );

    // An interrupted run can be written again without --force.
    drop(w);
    let w = RunWriter::create(&dir, false).unwrap();
    assert!(listing(&dir).is_empty());
    drop(w);
}

#[test]
fn missing_folder_and_damaged_manifest_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let err = RunDir::open(&tmp.path().join("nope")).unwrap_err();
    assert!(matches!(err, StoreError::NoRunDir { .. }) && err.to_string().contains("nope"), "{err}");

    let run = write_run(&tmp.path().join("r"), 10);
    fs::write(run.join(files::MANIFEST), "{\"format_version\": 1, ").unwrap();
    let err = RunDir::open(&run).unwrap_err();
    assert!(matches!(err, StoreError::Json { .. }));
    assert!(err.to_string().contains("manifest.json"), "{err}");

    let mut m = manifest(&names());
    m.format_version = 99;
    fs::write(run.join(files::MANIFEST), serde_json::to_string(&m).unwrap()).unwrap();
    let err = RunDir::open(&run).unwrap_err();
    assert!(matches!(err, StoreError::Format { .. }) && err.to_string().contains("99"), "{err}");
}

#[test]
fn damaged_parquet_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let run = write_run(tmp.path(), 1000);
    let open = || RunDir::open(&run).unwrap();

    let daily = run.join(files::DAILY);
    let bytes = fs::read(&daily).unwrap();
    for cut in [0, 3, 8, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1] {
        fs::write(&daily, &bytes[..cut]).unwrap();
        let err = open().read_daily().unwrap_err();
        assert!(err.to_string().contains("daily.parquet"), "cut {cut}: {err}");
    }
    // Garbage, and garbage between valid magic numbers.
    let mut garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    fs::write(&daily, &garbage).unwrap();
    assert!(open().read_daily().unwrap_err().to_string().contains("daily.parquet"));
    garbage[..4].copy_from_slice(b"PAR1");
    let len = garbage.len();
    garbage[len - 4..].copy_from_slice(b"PAR1");
    fs::write(&daily, &garbage).unwrap();
    assert!(open().read_daily().unwrap_err().to_string().contains("daily.parquet"));

    // A body damaged in the middle but with an intact footer.
    let mut flipped = bytes.clone();
    for b in flipped.iter_mut().skip(4).take(bytes.len() / 2) {
        *b ^= 0x5a;
    }
    fs::write(&daily, &flipped).unwrap();
    assert!(open().read_daily().is_err());

    let citizens = run.join(files::CITIZENS);
    let bytes = fs::read(&citizens).unwrap();
    fs::write(&citizens, &bytes[..bytes.len() / 3]).unwrap();
    assert!(open().read_citizen(1).unwrap_err().to_string().contains("citizens.parquet"));

    fs::remove_file(run.join(files::AUDIT)).unwrap();
    let err = open().read_audit_for(3).unwrap_err();
    assert!(err.to_string().contains("audit.parquet"), "{err}");

    fs::write(run.join(files::SUMMARY), "not json").unwrap();
    assert!(open().read_summary().unwrap_err().to_string().contains("summary.json"));
}

#[test]
fn a_parquet_file_with_other_columns_is_a_format_error() {
    let tmp = tempfile::tempdir().unwrap();
    let run = write_run(tmp.path(), 10);
    // groups.parquet where daily.parquet should be.
    fs::copy(run.join(files::GROUPS), run.join(files::DAILY)).unwrap();
    let err = RunDir::open(&run).unwrap().read_daily().unwrap_err();
    assert!(matches!(err, StoreError::Format { .. }), "{err:?}");
    assert!(err.to_string().contains("no column `day`"), "{err}");
}

#[test]
fn inconsistent_input_is_an_internal_error_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let w = RunWriter::create(tmp.path(), false).unwrap();
    let mut bad = days(3);
    bad[1].score_histogram.pop();
    let err = w.write_daily_with_names(&names(), SPEC, &bad).unwrap_err();
    assert!(matches!(err, StoreError::Internal { .. }) && err.to_string().contains("day 1"), "{err}");

    let mut row = citizen(1, &names().activities);
    row.ever_denied.push("moon_landing".into());
    let err = w.write_citizens_with_names(&names().activities, std::iter::once(row)).unwrap_err();
    assert!(err.to_string().contains("moon_landing"), "{err}");
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
}

/// DuckDB's reserved keywords and type/function-name keywords (`SELECT
/// keyword_name FROM duckdb_keywords() WHERE keyword_category IN
/// ('reserved', 'type_function')`, DuckDB 2.0 plus a few from earlier
/// versions): none may be a column name. Unreserved keywords such as `day`
/// and `source` are fine unquoted.
const DUCKDB_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "anti",
    "any",
    "array",
    "as",
    "asc",
    "asof",
    "asymmetric",
    "at",
    "authorization",
    "binary",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "default",
    "deferrable",
    "desc",
    "describe",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "generated",
    "glob",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lambda",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "map",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "pivot",
    "pivot_longer",
    "pivot_wider",
    "placing",
    "positional",
    "primary",
    "qualify",
    "references",
    "returning",
    "right",
    "select",
    "semi",
    "show",
    "similar",
    "some",
    "struct",
    "summarize",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "try_cast",
    "union",
    "unique",
    "unpack",
    "unpivot",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

fn assert_friendly(columns: &[String]) {
    let mut seen = BTreeSet::new();
    for c in columns {
        assert!(is_plain_identifier(c), "`{c}` is not a plain identifier");
        assert!(!DUCKDB_KEYWORDS.contains(&c.as_str()), "`{c}` is a DuckDB keyword");
        assert!(seen.insert(c.clone()), "`{c}` appears twice");
    }
}

#[test]
fn column_names_are_duckdb_friendly_even_for_awkward_scenario_names() {
    let awkward = Names {
        behaviours: vec!["Online Speech".into(), "online-speech".into(), "优秀".into(), "x".into()],
        activities: vec!["Flight!".into(), "flight".into(), "group".into(), "select".into()],
        grades: vec!["AAA".into(), "aaa".into(), "A+".into(), "A".into(), "A-".into(), "".into()],
    };
    for names in [names(), awkward.clone()] {
        assert_friendly(&DailyColumns::new(&names).all());
        assert_friendly(&citizen_columns(&names.activities));
    }
    assert_friendly(&GROUP_COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_friendly(&audit_columns().iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let daily = DailyColumns::new(&awkward);
    assert_eq!(daily.grades, ["grade_aaa", "grade_aaa_2", "grade_a_plus", "grade_a", "grade_a_2", "grade_x"]);

    // And the awkward names survive a round trip through the files.
    let tmp = tempfile::tempdir().unwrap();
    let w = RunWriter::create(tmp.path(), false).unwrap();
    let day = DayMetrics {
        grade_counts: vec![1, 2, 3, 4, 5, 6],
        true_events: vec![1, 2, 3, 4],
        correct_records: vec![1, 2, 3, 4],
        erroneous_records: vec![0, 0, 0, 1],
        denials: vec![4, 3, 2, 1],
        wrongful_denials: vec![0, 1, 0, 1],
        grants: vec![0; 4],
        ..days(1).remove(0)
    };
    w.write_daily_with_names(&awkward, SPEC, std::slice::from_ref(&day)).unwrap();
    let mut m = manifest(&awkward);
    m.behaviours = awkward.behaviours.clone();
    w.finish(&m).unwrap();
    assert_eq!(RunDir::open(tmp.path()).unwrap().read_daily().unwrap(), vec![day]);
}

#[test]
fn summary_survives_nan_scores_and_computes_chilling() {
    let names = names();
    let mut last = days(1).remove(0);
    last.adults = 0;
    last.grade_counts = vec![0; 6];
    last.score_mean = f64::NAN;
    let run = Summary::from_names("seed-article", &names, 42, &totals(), &last);
    assert_eq!(run.final_day.grades[0].share, 0.0);
    let text = serde_json::to_string(&run).unwrap();
    let back: Summary = serde_json::from_str(&text).unwrap();
    assert!(back.final_day.score_mean.is_nan());

    let mut base_totals = totals();
    base_totals.true_events = vec![600, 0];
    let base_names = Names { behaviours: vec!["speeding".into(), "online_speech".into()], ..names.clone() };
    let baseline = Summary::from_names("baseline", &base_names, 42, &base_totals, &days(1)[0]);
    assert_eq!(run.baseline_mismatch(&baseline), None);
    let chilled = run.with_chilling(&baseline, "runs/baseline");
    let rows = chilled.chilling.as_ref().unwrap();
    assert_eq!(chilled.baseline_run.as_deref(), Some("runs/baseline"));
    assert_eq!(
        rows[0],
        ChillingRow {
            behaviour: "speeding".into(),
            events: 300,
            baseline_events: 600,
            in_baseline: true,
            ratio: Some(0.5)
        }
    );
    assert_eq!(rows[1].ratio, None);
    assert!(rows[1].in_baseline);
    assert!(!rows[2].in_baseline && rows[2].ratio.is_none());

    let mut other = baseline.clone();
    other.seed = 7;
    assert!(chilled.baseline_mismatch(&other).unwrap().contains("seed 42 vs 7"));
}

#[test]
fn scenario_entry_points_use_the_scenario_names() {
    let scenario = scorelab_scenario::load_builtin("seed-article").unwrap();
    let names = Names::of(&scenario);
    assert_eq!(names.grades.first().map(String::as_str), Some("AAA"));
    let tmp = tempfile::tempdir().unwrap();
    let w = RunWriter::create(tmp.path(), false).unwrap();
    let spec = HistogramSpec::for_range(scenario.score.min_milli, scenario.score.max_milli);
    let nb = names.behaviours.len();
    let na = names.activities.len();
    let day = DayMetrics {
        day: 0,
        adults: 1,
        score_histogram: vec![0; spec.bins],
        score_mean: 1000.0,
        score_p10: 1000.0,
        score_p50: 1000.0,
        score_p90: 1000.0,
        score_gini: 0.0,
        grade_counts: vec![0; names.grades.len()],
        blacklisted: 0,
        blacklisted_erroneous: 0,
        listings_started: 0,
        listings_ended: 0,
        true_events: vec![1; nb],
        correct_records: vec![1; nb],
        erroneous_records: vec![0; nb],
        denials: vec![0; na],
        wrongful_denials: vec![0; na],
        grants: vec![0; na],
        appeals: 0,
        appeals_won: 0,
    };
    w.write_daily(&scenario, spec, std::slice::from_ref(&day)).unwrap();
    let row = CitizenRow { ever_denied: vec![names.activities[0].clone()], ..citizen(1, &[]) };
    assert_eq!(w.write_citizens(&scenario, std::iter::once(row.clone())).unwrap(), 1);
    let totals =
        RunTotals { days: 1, true_events: vec![1; nb], correct_records: vec![1; nb], ..RunTotals::empty(1, nb, na) };
    let summary = Summary::build(&scenario, 1, &totals, &day);
    assert_eq!(summary.behaviours.len(), nb);
    assert_eq!(summary.scenario, scenario.name);
    let mut m = manifest(&names);
    m.histogram = spec;
    w.finish(&m).unwrap();
    let run = RunDir::open(tmp.path()).unwrap();
    assert_eq!(run.read_daily().unwrap(), vec![day]);
    assert_eq!(run.read_citizen(1).unwrap(), Some(row));
}
