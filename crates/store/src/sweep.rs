//! `sweep.parquet`: one row per run of a parameter sweep, with the values
//! the sweep set, the run's seed and every headline figure of its
//! [`Summary`], so that a whole sweep is one table for DuckDB, pandas or R.
//!
//! The headline figures are listed once, by [`headline_figures`], and used
//! for the table's columns, the CLI's confidence intervals and its paired
//! comparisons, so the three always agree. Column names are plain
//! identifiers (see [`crate::column_part`]), like the other tables.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::StoreError;
use crate::names::{column_part, unique_column};
use crate::summary::Summary;
use crate::table::{key_value, make_batch, read_all, write_batch, write_parquet};

/// File name of the sweep table inside a sweep folder.
pub const SWEEP_TABLE: &str = "sweep.parquet";

/// The columns every row has before the swept values: the cell's folder
/// name, the run's folder relative to the sweep folder, and its seed.
pub const SWEEP_RUN_COLUMNS: [&str; 3] = ["cell", "run", "seed"];

/// Key of the Parquet metadata entry listing the swept keys (JSON array), in column order.
pub const META_SWEEP_KEYS: &str = "scorelab.sweep.keys";

/// A figure's value: a count (stored as `uint64`) or a real number
/// (`float64`: scores, shares, the Gini coefficient).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FigureValue {
    /// A count of citizens, events or denials.
    Count(u64),
    /// A score in points, a share in [0, 1], or a Gini coefficient (NaN when undefined, e.g. no adults).
    Real(f64),
}

impl FigureValue {
    /// The value as a number for statistics.
    pub fn as_f64(self) -> f64 {
        match self {
            FigureValue::Count(n) => n as f64,
            FigureValue::Real(x) => x,
        }
    }
}

/// One headline figure of a run: its column name in `sweep.parquet` and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Plain-identifier column name, e.g. `wrongful_denials_flight`.
    pub column: String,
    /// The value.
    pub value: FigureValue,
}

/// Every headline figure of a run, in a fixed order: the last day's adults,
/// adults per grade (`grade_<g>`) and their shares (`grade_share_<g>`),
/// the blacklist (`blacklisted`, `blacklisted_erroneous`,
/// `ever_blacklisted`), the effective score (`score_mean`, `score_p10`,
/// `score_p50`, `score_p90`, `score_gini`), per activity `denials_<a>`,
/// `wrongful_denials_<a>`, `grants_<a>`, `unique_denied_<a>`, per behaviour
/// `events_<b>`, `records_correct_<b>`, `records_erroneous_<b>`, then
/// `unique_denied_any`, `school_denials`, `children_denied_school`,
/// `appeals`, `appeals_won`. Names that clash get `_2`, `_3`, ... as in
/// the other tables.
///
/// ```
/// # use scorelab_store::headline_figures;
/// # fn summary() -> scorelab_store::Summary {
/// #   serde_json::from_str(r#"{"scenario":"s","seed":1,"citizens":10,"days":1,
/// #   "final_day":{"day":0,"adults":8,"grades":[{"grade":"A","adults":8,"share":1.0}],
/// #   "blacklisted":0,"blacklisted_erroneous":0,"score_mean":1000.0,"score_p10":1000.0,
/// #   "score_p50":1000.0,"score_p90":1000.0,"score_gini":0.0},
/// #   "activities":[{"activity":"flight","denials":2,"wrongful_denials":1,"wrongful_share":0.5,"grants":0,"unique_denied":2}],
/// #   "behaviours":[],"unique_denied_any":2,"ever_blacklisted":0,"school_denials":0,
/// #   "children_denied_school":0,"appeals":0,"appeals_won":0}"#).unwrap()
/// # }
/// let figures = headline_figures(&summary());
/// let flight = figures.iter().find(|f| f.column == "wrongful_denials_flight").unwrap();
/// assert_eq!(flight.value.as_f64(), 1.0);
/// ```
pub fn headline_figures(s: &Summary) -> Vec<Figure> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    for c in SWEEP_RUN_COLUMNS {
        used.insert(c.to_string());
    }
    let mut out: Vec<Figure> = Vec::new();
    let mut push = |used: &mut BTreeSet<String>, prefix: &str, name: &str, value: FigureValue| {
        let column = if name.is_empty() {
            // Fixed names: registered as they are (they never clash with each other).
            used.insert(prefix.to_string());
            prefix.to_string()
        } else {
            unique_column(prefix, name, used)
        };
        out.push(Figure { column, value });
    };
    let d = &s.final_day;
    push(&mut used, "adults", "", FigureValue::Count(d.adults));
    for g in &d.grades {
        push(&mut used, "grade_", &g.grade, FigureValue::Count(g.adults));
    }
    for g in &d.grades {
        push(&mut used, "grade_share_", &g.grade, FigureValue::Real(g.share));
    }
    push(&mut used, "blacklisted", "", FigureValue::Count(d.blacklisted));
    push(&mut used, "blacklisted_erroneous", "", FigureValue::Count(d.blacklisted_erroneous));
    push(&mut used, "ever_blacklisted", "", FigureValue::Count(s.ever_blacklisted));
    push(&mut used, "score_mean", "", FigureValue::Real(d.score_mean));
    push(&mut used, "score_p10", "", FigureValue::Real(d.score_p10));
    push(&mut used, "score_p50", "", FigureValue::Real(d.score_p50));
    push(&mut used, "score_p90", "", FigureValue::Real(d.score_p90));
    push(&mut used, "score_gini", "", FigureValue::Real(d.score_gini));
    for a in &s.activities {
        push(&mut used, "denials_", &a.activity, FigureValue::Count(a.denials));
        push(&mut used, "wrongful_denials_", &a.activity, FigureValue::Count(a.wrongful_denials));
        push(&mut used, "grants_", &a.activity, FigureValue::Count(a.grants));
        push(&mut used, "unique_denied_", &a.activity, FigureValue::Count(a.unique_denied));
    }
    for b in &s.behaviours {
        push(&mut used, "events_", &b.behaviour, FigureValue::Count(b.true_events));
        push(&mut used, "records_correct_", &b.behaviour, FigureValue::Count(b.correct_records));
        push(&mut used, "records_erroneous_", &b.behaviour, FigureValue::Count(b.erroneous_records));
    }
    push(&mut used, "unique_denied_any", "", FigureValue::Count(s.unique_denied_any));
    push(&mut used, "school_denials", "", FigureValue::Count(s.school_denials));
    push(&mut used, "children_denied_school", "", FigureValue::Count(s.children_denied_school));
    push(&mut used, "appeals", "", FigureValue::Count(s.appeals));
    push(&mut used, "appeals_won", "", FigureValue::Count(s.appeals_won));
    out
}

/// A value a sweep set, typed for its column.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepValue {
    /// A whole number (`int64` when every value of the key is one).
    Int(i64),
    /// A number (`float64` when every value of the key is a number).
    Float(f64),
    /// A boolean (`boolean` when every value of the key is one).
    Bool(bool),
    /// Anything else, as the user wrote it (`string`).
    Text(String),
}

impl SweepValue {
    /// The value as text, as it would be written after `--set KEY=`.
    pub fn text(&self) -> String {
        match self {
            SweepValue::Int(n) => n.to_string(),
            SweepValue::Float(x) => format!("{x:?}"),
            SweepValue::Bool(b) => b.to_string(),
            SweepValue::Text(s) => s.clone(),
        }
    }
}

/// One run of a sweep: its cell, seed, the value of every swept key (in
/// the order of the keys) and its summary.
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// The cell's folder name.
    pub cell: String,
    /// The run's folder relative to the sweep folder, e.g. `points=-100/seed-3`.
    pub run: String,
    /// The run's seed.
    pub seed: u64,
    /// The value of every swept key, in the order of the keys.
    pub settings: Vec<SweepValue>,
    /// The run's headline figures.
    pub summary: Summary,
}

/// The column type of a swept key: the narrowest that holds every value.
fn setting_type(values: &[&SweepValue]) -> DataType {
    if values.iter().all(|v| matches!(v, SweepValue::Int(_))) {
        DataType::Int64
    } else if values.iter().all(|v| matches!(v, SweepValue::Int(_) | SweepValue::Float(_))) {
        DataType::Float64
    } else if values.iter().all(|v| matches!(v, SweepValue::Bool(_))) {
        DataType::Boolean
    } else {
        DataType::Utf8
    }
}

/// The column names of the swept keys: `column_part` of the dotted key
/// (`appeals.win_probability` → `appeals_win_probability`), after the run
/// columns and the figures' names, so a clash gives the key a `_2`.
pub fn setting_columns(keys: &[String], figure_columns: &[String]) -> Vec<String> {
    let mut used: BTreeSet<String> = SWEEP_RUN_COLUMNS.iter().map(|c| c.to_string()).collect();
    used.extend(figure_columns.iter().cloned());
    keys.iter().map(|k| unique_column("", &column_part(k), &mut used)).collect()
}

/// Writes `sweep.parquet` at `path`: the run columns, one column per swept
/// key, then every headline figure, one row per run in the order given.
/// Every run must have the same figures (the same scenario names), which
/// holds when the sweep only changes values.
pub fn write_sweep_table(path: &Path, keys: &[String], runs: &[SweepRun]) -> Result<(), StoreError> {
    let figures: Vec<Vec<Figure>> = runs.iter().map(|r| headline_figures(&r.summary)).collect();
    let columns: Vec<String> =
        figures.first().map(|f| f.iter().map(|x| x.column.clone()).collect()).unwrap_or_default();
    for (run, f) in runs.iter().zip(&figures) {
        if f.len() != columns.len() || f.iter().zip(&columns).any(|(x, c)| &x.column != c) {
            return Err(StoreError::internal(
                path,
                format!("run {} has other figures than the first run (its scenario has other names)", run.run),
            ));
        }
        if run.settings.len() != keys.len() {
            return Err(StoreError::internal(
                path,
                format!("run {} has {} values for {} keys", run.run, run.settings.len(), keys.len()),
            ));
        }
    }
    let setting_names = setting_columns(keys, &columns);
    let mut fields = vec![
        Field::new("cell", DataType::Utf8, false),
        Field::new("run", DataType::Utf8, false),
        Field::new("seed", DataType::UInt64, false),
    ];
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(runs.iter().map(|r| r.cell.as_str()))),
        Arc::new(StringArray::from_iter_values(runs.iter().map(|r| r.run.as_str()))),
        Arc::new(UInt64Array::from_iter_values(runs.iter().map(|r| r.seed))),
    ];
    for (k, name) in setting_names.iter().enumerate() {
        let values: Vec<&SweepValue> = runs.iter().map(|r| &r.settings[k]).collect();
        let ty = setting_type(&values);
        let array: ArrayRef = match ty {
            DataType::Int64 => Arc::new(Int64Array::from_iter_values(values.iter().map(|v| match v {
                SweepValue::Int(n) => *n,
                _ => 0,
            }))),
            DataType::Float64 => Arc::new(Float64Array::from_iter_values(values.iter().map(|v| match v {
                SweepValue::Int(n) => *n as f64,
                SweepValue::Float(x) => *x,
                _ => f64::NAN,
            }))),
            DataType::Boolean => Arc::new(BooleanArray::from(
                values.iter().map(|v| matches!(v, SweepValue::Bool(true))).collect::<Vec<bool>>(),
            )),
            _ => Arc::new(StringArray::from_iter_values(values.iter().map(|v| v.text()))),
        };
        fields.push(Field::new(name, ty, false));
        arrays.push(array);
    }
    for (i, column) in columns.iter().enumerate() {
        let first = figures.first().and_then(|f| f.get(i)).map(|f| f.value);
        match first {
            Some(FigureValue::Count(_)) => {
                fields.push(Field::new(column, DataType::UInt64, false));
                arrays.push(Arc::new(UInt64Array::from_iter_values(figures.iter().map(|f| match f[i].value {
                    FigureValue::Count(n) => n,
                    FigureValue::Real(x) => x as u64,
                }))));
            }
            _ => {
                fields.push(Field::new(column, DataType::Float64, false));
                arrays.push(Arc::new(Float64Array::from_iter_values(figures.iter().map(|f| f[i].value.as_f64()))));
            }
        }
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let batch = make_batch(path, &schema, arrays)?;
    let keys_json = serde_json::to_string(keys).map_err(|e| StoreError::internal(path, e.to_string()))?;
    let metadata = vec![
        key_value(crate::daily::META_FORMAT_VERSION, crate::manifest::FORMAT_VERSION),
        key_value(META_SWEEP_KEYS, keys_json),
    ];
    write_parquet(path, schema, metadata, |w| write_batch(w, path, &batch))
}

/// A cell of `sweep.parquet` read back.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepCell {
    /// A `uint64` column (the seed, counts).
    UInt(u64),
    /// An `int64` column (whole swept values).
    Int(i64),
    /// A `float64` column.
    Float(f64),
    /// A `boolean` column.
    Bool(bool),
    /// A `string` column.
    Text(String),
}

impl SweepCell {
    /// The cell as a number (`None` for text).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SweepCell::UInt(n) => Some(*n as f64),
            SweepCell::Int(n) => Some(*n as f64),
            SweepCell::Float(x) => Some(*x),
            SweepCell::Bool(b) => Some(f64::from(u8::from(*b))),
            SweepCell::Text(_) => None,
        }
    }
}

/// `sweep.parquet` read back: its column names and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepTable {
    /// Column names, in file order.
    pub columns: Vec<String>,
    /// One row per run, cells in column order.
    pub rows: Vec<Vec<SweepCell>>,
}

impl SweepTable {
    /// The index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// Reads `sweep.parquet` back (for tests and tools; the CLI itself reads the runs).
pub fn read_sweep_table(path: &Path) -> Result<SweepTable, StoreError> {
    let batches = read_all(path)?;
    let mut table = SweepTable { columns: Vec::new(), rows: Vec::new() };
    for batch in &batches {
        let schema = batch.schema();
        if table.columns.is_empty() {
            table.columns = schema.fields().iter().map(|f| f.name().clone()).collect();
        }
        let mut rows: Vec<Vec<SweepCell>> = vec![Vec::with_capacity(table.columns.len()); batch.num_rows()];
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            if array.null_count() > 0 {
                return Err(StoreError::format(path, format!("column `{}` has nulls", field.name())));
            }
            let any = array.as_any();
            let cells: Vec<SweepCell> = if let Some(a) = any.downcast_ref::<UInt64Array>() {
                a.values().iter().map(|v| SweepCell::UInt(*v)).collect()
            } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                a.values().iter().map(|v| SweepCell::Int(*v)).collect()
            } else if let Some(a) = any.downcast_ref::<Float64Array>() {
                a.values().iter().map(|v| SweepCell::Float(*v)).collect()
            } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
                (0..a.len()).map(|i| SweepCell::Bool(a.value(i))).collect()
            } else if let Some(a) = any.downcast_ref::<StringArray>() {
                (0..a.len()).map(|i| SweepCell::Text(a.value(i).to_string())).collect()
            } else {
                return Err(StoreError::format(
                    path,
                    format!(
                        "column `{}` has type {}, which sweep.parquet does not use",
                        field.name(),
                        field.data_type()
                    ),
                ));
            };
            for (row, cell) in rows.iter_mut().zip(cells) {
                row.push(cell);
            }
        }
        table.rows.extend(rows);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary built from JSON, so that it keeps compiling when fields with defaults are added.
    fn summary(seed: u64, denials: u64) -> Summary {
        serde_json::from_value(serde_json::json!({
            "scenario": "s", "seed": seed, "citizens": 10, "days": 2,
            "final_day": {
                "day": 1, "adults": 8,
                "grades": [{"grade": "A+", "adults": 6, "share": 0.75}, {"grade": "a", "adults": 2, "share": 0.25}],
                "blacklisted": 1, "blacklisted_erroneous": 0, "score_mean": 990.5, "score_p10": 900.0,
                "score_p50": 1000.0, "score_p90": 1010.0, "score_gini": 0.01
            },
            "activities": [{"activity": "high-speed rail", "denials": denials, "wrongful_denials": 1,
                            "wrongful_share": 0.5, "grants": 3, "unique_denied": 2}],
            "behaviours": [{"behaviour": "fake_news_post", "true_events": 40, "correct_records": 30,
                            "erroneous_records": 1}],
            "unique_denied_any": 2, "ever_blacklisted": 1, "school_denials": 0, "children_denied_school": 0,
            "appeals": 4, "appeals_won": 1
        }))
        .unwrap()
    }

    #[test]
    fn figures_have_plain_unique_names() {
        let f = headline_figures(&summary(1, 2));
        let names: Vec<&str> = f.iter().map(|x| x.column.as_str()).collect();
        assert!(names.iter().all(|n| crate::is_plain_identifier(n)), "{names:?}");
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.contains(&"grade_a_plus") && names.contains(&"grade_a") && names.contains(&"grade_share_a"));
        assert!(names.contains(&"wrongful_denials_high_speed_rail") && names.contains(&"events_fake_news_post"));
    }

    #[test]
    fn the_table_round_trips_with_typed_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SWEEP_TABLE);
        let keys = vec!["appeals.win_probability".to_string(), "appeals.enabled".to_string(), "x.label".to_string()];
        let runs: Vec<SweepRun> = (0..4)
            .map(|i| SweepRun {
                cell: format!("c{}", i / 2),
                run: format!("c{}/seed-{}", i / 2, 1 + i % 2),
                seed: 1 + i % 2,
                settings: vec![
                    if i < 2 { SweepValue::Int(0) } else { SweepValue::Float(0.5) },
                    SweepValue::Bool(i < 2),
                    SweepValue::Text(format!("t{i}")),
                ],
                summary: summary(1 + i % 2, 10 * i),
            })
            .collect();
        write_sweep_table(&path, &keys, &runs).unwrap();
        let t = read_sweep_table(&path).unwrap();
        assert_eq!(t.rows.len(), 4);
        assert_eq!(&t.columns[..6], ["cell", "run", "seed", "appeals_win_probability", "appeals_enabled", "x_label"]);
        let row = &t.rows[3];
        assert_eq!(row[0], SweepCell::Text("c1".into()));
        assert_eq!(row[2], SweepCell::UInt(2));
        assert_eq!(row[3], SweepCell::Float(0.5));
        assert_eq!(row[4], SweepCell::Bool(false));
        assert_eq!(row[5], SweepCell::Text("t3".into()));
        let denials = t.column("denials_high_speed_rail").unwrap();
        assert_eq!(row[denials], SweepCell::UInt(30));
        assert_eq!(t.rows[0][t.column("score_mean").unwrap()], SweepCell::Float(990.5));
        // The same input gives the same bytes.
        let first = std::fs::read(&path).unwrap();
        write_sweep_table(&path, &keys, &runs).unwrap();
        assert_eq!(first, std::fs::read(&path).unwrap());
    }

    #[test]
    fn a_key_that_clashes_with_a_figure_gets_a_suffix() {
        let figures = vec!["appeals".to_string()];
        assert_eq!(setting_columns(&["appeals".into(), "seed".into()], &figures), ["appeals_2", "seed_2"]);
    }
}
