//! `scorelab bench --mpi`: launches mpirun for each rank count and reports
//! strong and weak scaling with the bytes each rank sends per day.
//! The measurement needs the `mpi` feature and Open MPI
//! (scripts/install-mpi.sh); without the feature, `--mpi` says how to get it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure message

use std::process::{Command, Output};

fn scorelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scorelab"))
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[cfg(feature = "mpi")]
#[test]
fn bench_mpi_reports_strong_and_weak_scaling_with_bytes_sent() {
    let o = scorelab(&["bench", "--mpi", "--citizens", "20000", "--days", "10", "--ranks", "1,2", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON");
    assert_eq!(report["threads_per_rank"], 1, "one thread per rank unless --threads");
    for (kind, totals) in [("strong", [20_000, 20_000]), ("weak", [20_000, 40_000])] {
        let table = &report[kind];
        assert_eq!(table["kind"], kind);
        let rows = table["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{kind}: one row per rank count: {table}");
        for (row, (ranks, citizens)) in rows.iter().zip([(1, totals[0]), (2, totals[1])]) {
            assert_eq!(row["ranks"], ranks, "{kind}: {row}");
            assert_eq!(row["citizens"], citizens, "{kind}: {row}");
            assert!(row["citizen_days_per_second"].as_f64().unwrap() > 0.0, "{kind}: {row}");
            assert!(row["population_seconds"].as_f64().unwrap() > 0.0, "{kind}: {row}");
            assert_eq!(row["per_rank"].as_array().unwrap().len(), ranks, "{kind}: {row}");
            assert_eq!(row["bytes_sent_per_rank_by_day"].as_array().unwrap().len(), 10, "{kind}: {row}");
            let seconds = row["seconds_by_day"].as_array().unwrap();
            assert_eq!(seconds.len(), 10, "{kind}: {row}");
            assert!(seconds.iter().all(|s| s.as_f64().unwrap() > 0.0), "{kind}: {row}");
        }
        let sent = |row: &serde_json::Value| row["bytes_sent_per_rank_per_day"].as_f64().unwrap();
        assert_eq!(sent(&rows[0]), 0.0, "{kind}: one rank sends nothing to others");
        assert!(sent(&rows[1]) > 0.0, "{kind}: two ranks exchange records and friends' scores");
        assert!(
            rows[1]["bytes_summed_per_rank_per_day"].as_f64().unwrap() > 0.0,
            "{kind}: the day's figures are summed"
        );
        assert_eq!(rows[0]["speed_up"], 1.0, "{kind}: relative to one rank");
    }
    // Rank counts of 1 hold the same citizens in both tables: one job.
    assert_eq!(report["strong"]["rows"][0]["per_rank"], report["weak"]["rows"][0]["per_rank"]);
}

#[test]
fn bench_mpi_refuses_bad_rank_lists_with_the_valid_range() {
    let o = scorelab(&["bench", "--mpi", "--citizens", "1000", "--days", "5", "--ranks", "0,2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("between 1 and"), "{}", text(&o));
    let o = scorelab(&["bench", "--ranks", "1,2"]);
    assert_eq!(o.status.code(), Some(2), "--ranks without --mpi: {}", text(&o));
    assert!(text(&o).contains("only with --mpi"), "{}", text(&o));
}

#[cfg(not(feature = "mpi"))]
#[test]
fn bench_mpi_without_the_feature_says_how_to_build_it() {
    let o = scorelab(&["bench", "--mpi", "--citizens", "1000", "--days", "5", "--ranks", "1,2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cargo build --release --features mpi"), "{}", text(&o));
}
