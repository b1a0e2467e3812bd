//! `audit.parquet`: every record, listing, denial, grant, appeal and daily
//! score of the tracked citizens, one row per event, in the order the
//! caller gives (by citizen, then day, then the engine's order within a
//! day). Fields that do not apply to a kind are null.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, Int64Array, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use scorelab_engine::metrics::{AuditKind, AuditRow};

use crate::error::StoreError;
use crate::table::{
    key_value, make_batch, read_batches, row_groups_with_u32, write_batch, write_parquet, Columns, BATCH_ROWS,
};

/// Columns of `audit.parquet`, in file order, with their types; the first
/// three are never null.
const COLUMNS: [(&str, DataType); 17] = [
    ("citizen", DataType::UInt32),
    ("day", DataType::UInt32),
    ("kind", DataType::Utf8),
    ("behaviour", DataType::Utf8),
    ("source", DataType::Utf8),
    ("points_milli", DataType::Int64),
    ("erroneous", DataType::Boolean),
    ("detail", DataType::Utf8),
    ("actor", DataType::UInt32),
    ("activity", DataType::Utf8),
    ("rule", DataType::Utf8),
    ("wrongful", DataType::Boolean),
    ("other", DataType::UInt32),
    ("won", DataType::Boolean),
    ("own_score_milli", DataType::Int64),
    ("effective_score_milli", DataType::Int64),
    ("grade", DataType::Utf8),
];

/// Names of the columns of `audit.parquet`, in file order.
pub fn audit_columns() -> Vec<&'static str> {
    COLUMNS.iter().map(|(n, _)| *n).collect()
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(
        COLUMNS.iter().enumerate().map(|(i, (n, t))| Field::new(*n, t.clone(), i >= 3)).collect::<Vec<_>>(),
    ))
}

fn strs(rows: &[AuditRow], f: fn(&AuditRow) -> Option<&str>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<StringArray>())
}
fn u32s(rows: &[AuditRow], f: fn(&AuditRow) -> Option<u32>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<UInt32Array>())
}
fn i64s(rows: &[AuditRow], f: fn(&AuditRow) -> Option<i64>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<Int64Array>())
}
fn bools(rows: &[AuditRow], f: fn(&AuditRow) -> Option<bool>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<BooleanArray>())
}

fn arrays(rows: &[AuditRow]) -> Vec<ArrayRef> {
    vec![
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.citizen))),
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.day))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.kind.as_str()))),
        strs(rows, |r| r.behaviour.as_deref()),
        strs(rows, |r| r.source.as_deref()),
        i64s(rows, |r| r.points_milli),
        bools(rows, |r| r.erroneous),
        strs(rows, |r| r.detail.as_deref()),
        u32s(rows, |r| r.actor),
        strs(rows, |r| r.activity.as_deref()),
        strs(rows, |r| r.rule.as_deref()),
        bools(rows, |r| r.wrongful),
        u32s(rows, |r| r.other),
        bools(rows, |r| r.won),
        i64s(rows, |r| r.own_score_milli),
        i64s(rows, |r| r.effective_score_milli),
        strs(rows, |r| r.grade.as_deref()),
    ]
}

/// Writes `audit.parquet` at `path`, rows in the order given.
pub(crate) fn write(path: &Path, rows: &[AuditRow]) -> Result<(), StoreError> {
    let schema = schema();
    let metadata = vec![key_value(crate::daily::META_FORMAT_VERSION, crate::manifest::FORMAT_VERSION)];
    write_parquet(path, schema.clone(), metadata, |w| {
        for chunk in rows.chunks(BATCH_ROWS) {
            write_batch(w, path, &make_batch(path, &schema, arrays(chunk))?)?;
        }
        Ok(())
    })
}

fn kind(text: &str) -> Option<AuditKind> {
    const ALL: [AuditKind; 7] = [
        AuditKind::Record,
        AuditKind::Listed,
        AuditKind::Delisted,
        AuditKind::Denial,
        AuditKind::Grant,
        AuditKind::Appeal,
        AuditKind::Score,
    ];
    ALL.into_iter().find(|k| k.as_str() == text)
}

/// Reads the rows of one citizen, in file order, decoding only the row
/// groups whose `citizen` statistics may contain it.
pub(crate) fn read_for(path: &Path, citizen: u32) -> Result<Vec<AuditRow>, StoreError> {
    let batches = read_batches(path, |builder| row_groups_with_u32(path, builder, "citizen", citizen))?;
    let mut rows = Vec::new();
    for batch in &batches {
        let c = Columns::new(path, batch);
        let citizens = c.required::<UInt32Array>("citizen")?;
        let days = c.required::<UInt32Array>("day")?;
        let kinds = c.required::<StringArray>("kind")?;
        let s = |n: &str| c.nullable::<StringArray>(n);
        let u = |n: &str| c.nullable::<UInt32Array>(n);
        let i = |n: &str| c.nullable::<Int64Array>(n);
        let b = |n: &str| c.nullable::<BooleanArray>(n);
        let (behaviour, source, detail, activity, rule, grade) =
            (s("behaviour")?, s("source")?, s("detail")?, s("activity")?, s("rule")?, s("grade")?);
        let (actor, other) = (u("actor")?, u("other")?);
        let (points, own, effective) = (i("points_milli")?, i("own_score_milli")?, i("effective_score_milli")?);
        let (erroneous, wrongful, won) = (b("erroneous")?, b("wrongful")?, b("won")?);
        for r in (0..batch.num_rows()).filter(|&r| citizens.value(r) == citizen) {
            let text = kinds.value(r);
            let kind = kind(text)
                .ok_or_else(|| StoreError::format(path, format!("unknown kind `{text}` in column `kind`")))?;
            rows.push(AuditRow {
                citizen,
                day: days.value(r),
                kind,
                behaviour: opt_str(behaviour, r),
                source: opt_str(source, r),
                points_milli: opt(points, r, |a, r| a.value(r)),
                erroneous: opt(erroneous, r, |a, r| a.value(r)),
                detail: opt_str(detail, r),
                actor: opt(actor, r, |a, r| a.value(r)),
                activity: opt_str(activity, r),
                rule: opt_str(rule, r),
                wrongful: opt(wrongful, r, |a, r| a.value(r)),
                other: opt(other, r, |a, r| a.value(r)),
                won: opt(won, r, |a, r| a.value(r)),
                own_score_milli: opt(own, r, |a, r| a.value(r)),
                effective_score_milli: opt(effective, r, |a, r| a.value(r)),
                grade: opt_str(grade, r),
            });
        }
    }
    Ok(rows)
}

fn opt<A: Array, T>(array: &A, row: usize, value: fn(&A, usize) -> T) -> Option<T> {
    if array.is_null(row) {
        None
    } else {
        Some(value(array, row))
    }
}

fn opt_str(array: &StringArray, row: usize) -> Option<String> {
    opt(array, row, |a, r| a.value(r).to_string())
}
