//! `daily.parquet`: one row per day with every daily figure of MODEL.md
//! section 9, wide columns per grade, behaviour and activity, and the score
//! histogram as a list column.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, UInt64Builder};
use arrow_array::{Array, ArrayRef, Float64Array, ListArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use scorelab_engine::metrics::{DayMetrics, HistogramSpec, HISTOGRAM_BIN_POINTS};

use crate::error::StoreError;
use crate::names::{unique_column, Names};
use crate::table::{key_value, make_batch, read_all, write_batch, write_parquet, Columns};

/// Key of the Parquet key-value metadata entry holding the first bin's lower edge, in points.
pub const META_HISTOGRAM_ORIGIN: &str = "scorelab.histogram.origin_points";
/// Key of the entry holding the width of a bin, in points.
pub const META_HISTOGRAM_BIN_POINTS: &str = "scorelab.histogram.bin_points";
/// Key of the entry holding the number of bins.
pub const META_HISTOGRAM_BINS: &str = "scorelab.histogram.bins";
/// Key of the entry holding the run directory format version.
pub const META_FORMAT_VERSION: &str = "scorelab.format_version";

/// Fixed columns of `daily.parquet` before the wide ones: name and whether it is a float.
const FIXED: [(&str, bool); 13] = [
    ("day", false),
    ("adults", false),
    ("score_mean", true),
    ("score_p10", true),
    ("score_p50", true),
    ("score_p90", true),
    ("score_gini", true),
    ("blacklisted", false),
    ("blacklisted_erroneous", false),
    ("listings_started", false),
    ("listings_ended", false),
    ("appeals", false),
    ("appeals_won", false),
];

/// The histogram column, last.
const HISTOGRAM: &str = "score_histogram";

/// The column names of `daily.parquet` for a scenario's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyColumns {
    /// `grade_<grade>`, highest grade first.
    pub grades: Vec<String>,
    /// `events_<behaviour>`.
    pub events: Vec<String>,
    /// `records_correct_<behaviour>`.
    pub records_correct: Vec<String>,
    /// `records_erroneous_<behaviour>`.
    pub records_erroneous: Vec<String>,
    /// `denials_<activity>`.
    pub denials: Vec<String>,
    /// `wrongful_denials_<activity>`.
    pub wrongful_denials: Vec<String>,
    /// `grants_<activity>`.
    pub grants: Vec<String>,
}

impl DailyColumns {
    /// The wide columns made from `names` (see [`crate::column_part`]).
    pub fn new(names: &Names) -> DailyColumns {
        let mut used: BTreeSet<String> = FIXED.iter().map(|(n, _)| n.to_string()).collect();
        used.insert(HISTOGRAM.to_string());
        let mut family = |prefix: &str, list: &[String]| -> Vec<String> {
            list.iter().map(|n| unique_column(prefix, n, &mut used)).collect()
        };
        DailyColumns {
            grades: family("grade_", &names.grades),
            events: family("events_", &names.behaviours),
            records_correct: family("records_correct_", &names.behaviours),
            records_erroneous: family("records_erroneous_", &names.behaviours),
            denials: family("denials_", &names.activities),
            wrongful_denials: family("wrongful_denials_", &names.activities),
            grants: family("grants_", &names.activities),
        }
    }

    /// Every column of `daily.parquet`, in file order.
    pub fn all(&self) -> Vec<String> {
        let mut all: Vec<String> = FIXED.iter().map(|(n, _)| n.to_string()).collect();
        for family in self.wide() {
            all.extend(family.iter().cloned());
        }
        all.push(HISTOGRAM.to_string());
        all
    }

    fn wide(&self) -> [&Vec<String>; 7] {
        [
            &self.grades,
            &self.events,
            &self.records_correct,
            &self.records_erroneous,
            &self.denials,
            &self.wrongful_denials,
            &self.grants,
        ]
    }

    fn schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = FIXED
            .iter()
            .map(|&(name, float)| {
                let ty = if name == "day" {
                    DataType::UInt32
                } else if float {
                    DataType::Float64
                } else {
                    DataType::UInt64
                };
                Field::new(name, ty, false)
            })
            .collect();
        for family in self.wide() {
            fields.extend(family.iter().map(|n| Field::new(n, DataType::UInt64, false)));
        }
        fields.push(Field::new(HISTOGRAM, DataType::List(Arc::new(histogram_item())), false));
        Arc::new(Schema::new(fields))
    }
}

fn histogram_item() -> Field {
    Field::new("item", DataType::UInt64, false)
}

/// Writes `daily.parquet` at `path`.
pub(crate) fn write(path: &Path, names: &Names, spec: HistogramSpec, days: &[DayMetrics]) -> Result<(), StoreError> {
    for d in days {
        check_day(path, names, spec, d)?;
    }
    let columns = DailyColumns::new(names);
    let schema = columns.schema();

    let u64s =
        |f: &dyn Fn(&DayMetrics) -> u64| -> ArrayRef { Arc::new(UInt64Array::from_iter_values(days.iter().map(f))) };
    let f64s =
        |f: &dyn Fn(&DayMetrics) -> f64| -> ArrayRef { Arc::new(Float64Array::from_iter_values(days.iter().map(f))) };
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(days.iter().map(|d| d.day))),
        u64s(&|d| d.adults),
        f64s(&|d| d.score_mean),
        f64s(&|d| d.score_p10),
        f64s(&|d| d.score_p50),
        f64s(&|d| d.score_p90),
        f64s(&|d| d.score_gini),
        u64s(&|d| d.blacklisted),
        u64s(&|d| d.blacklisted_erroneous),
        u64s(&|d| d.listings_started),
        u64s(&|d| d.listings_ended),
        u64s(&|d| d.appeals),
        u64s(&|d| d.appeals_won),
    ];
    let vectors: [fn(&DayMetrics) -> &Vec<u64>; 7] = [
        |d| &d.grade_counts,
        |d| &d.true_events,
        |d| &d.correct_records,
        |d| &d.erroneous_records,
        |d| &d.denials,
        |d| &d.wrongful_denials,
        |d| &d.grants,
    ];
    for (family, get) in columns.wide().into_iter().zip(vectors) {
        for j in 0..family.len() {
            // check_day made every vector as long as its family.
            arrays.push(u64s(&|d| get(d).get(j).copied().unwrap_or(0)));
        }
    }
    let mut histogram =
        ListBuilder::new(UInt64Builder::with_capacity(days.len() * spec.bins)).with_field(histogram_item());
    for d in days {
        histogram.values().append_slice(&d.score_histogram);
        histogram.append(true);
    }
    arrays.push(Arc::new(histogram.finish()));

    let batch = make_batch(path, &schema, arrays)?;
    let metadata = vec![
        key_value(META_FORMAT_VERSION, crate::manifest::FORMAT_VERSION),
        key_value(META_HISTOGRAM_ORIGIN, spec.origin_points),
        key_value(META_HISTOGRAM_BIN_POINTS, HISTOGRAM_BIN_POINTS),
        key_value(META_HISTOGRAM_BINS, spec.bins),
    ];
    write_parquet(path, schema, metadata, |w| write_batch(w, path, &batch))
}

fn check_day(path: &Path, names: &Names, spec: HistogramSpec, d: &DayMetrics) -> Result<(), StoreError> {
    let checks: [(&str, usize, usize); 8] = [
        ("score_histogram (bins)", d.score_histogram.len(), spec.bins),
        ("grade_counts (grades)", d.grade_counts.len(), names.grades.len()),
        ("true_events (behaviours)", d.true_events.len(), names.behaviours.len()),
        ("correct_records (behaviours)", d.correct_records.len(), names.behaviours.len()),
        ("erroneous_records (behaviours)", d.erroneous_records.len(), names.behaviours.len()),
        ("denials (activities)", d.denials.len(), names.activities.len()),
        ("wrongful_denials (activities)", d.wrongful_denials.len(), names.activities.len()),
        ("grants (activities)", d.grants.len(), names.activities.len()),
    ];
    for (what, got, expected) in checks {
        if got != expected {
            return Err(StoreError::internal(
                path,
                format!("day {}: {what} has {got} entries, expected {expected}", d.day),
            ));
        }
    }
    Ok(())
}

/// Reads `daily.parquet` back into the metrics it was written from.
pub(crate) fn read(path: &Path, names: &Names) -> Result<Vec<DayMetrics>, StoreError> {
    let columns = DailyColumns::new(names);
    let mut days = Vec::new();
    for batch in read_all(path)? {
        let c = Columns::new(path, &batch);
        let day = c.required::<UInt32Array>("day")?;
        let u = |name: &str| c.required::<UInt64Array>(name);
        let f = |name: &str| c.required::<Float64Array>(name);
        let (adults, blacklisted, blacklisted_erroneous) =
            (u("adults")?, u("blacklisted")?, u("blacklisted_erroneous")?);
        let (listings_started, listings_ended) = (u("listings_started")?, u("listings_ended")?);
        let (appeals, appeals_won) = (u("appeals")?, u("appeals_won")?);
        let (mean, p10, p50, p90, gini) =
            (f("score_mean")?, f("score_p10")?, f("score_p50")?, f("score_p90")?, f("score_gini")?);
        let family =
            |list: &Vec<String>| -> Result<Vec<&UInt64Array>, StoreError> { list.iter().map(|n| u(n)).collect() };
        let grades = family(&columns.grades)?;
        let events = family(&columns.events)?;
        let correct = family(&columns.records_correct)?;
        let erroneous = family(&columns.records_erroneous)?;
        let denials = family(&columns.denials)?;
        let wrongful = family(&columns.wrongful_denials)?;
        let grants = family(&columns.grants)?;
        let histogram = c.required::<ListArray>(HISTOGRAM)?;
        let pick = |arrays: &[&UInt64Array], i: usize| -> Vec<u64> { arrays.iter().map(|a| a.value(i)).collect() };
        for i in 0..batch.num_rows() {
            let bins = histogram.value(i);
            let bins = bins.as_any().downcast_ref::<UInt64Array>().ok_or_else(|| {
                StoreError::format(path, format!("column `{HISTOGRAM}` holds {}, expected UInt64", bins.data_type()))
            })?;
            if bins.null_count() > 0 {
                return Err(StoreError::format(path, format!("column `{HISTOGRAM}` has null bins")));
            }
            days.push(DayMetrics {
                day: day.value(i),
                adults: adults.value(i),
                score_histogram: bins.values().to_vec(),
                score_mean: mean.value(i),
                score_p10: p10.value(i),
                score_p50: p50.value(i),
                score_p90: p90.value(i),
                score_gini: gini.value(i),
                grade_counts: pick(&grades, i),
                blacklisted: blacklisted.value(i),
                blacklisted_erroneous: blacklisted_erroneous.value(i),
                listings_started: listings_started.value(i),
                listings_ended: listings_ended.value(i),
                true_events: pick(&events, i),
                correct_records: pick(&correct, i),
                erroneous_records: pick(&erroneous, i),
                denials: pick(&denials, i),
                wrongful_denials: pick(&wrongful, i),
                grants: pick(&grants, i),
                appeals: appeals.value(i),
                appeals_won: appeals_won.value(i),
            });
        }
    }
    Ok(days)
}
