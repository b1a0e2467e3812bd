//! `groups.parquet`: per-run denials, wrongful denials, grants and distinct
//! citizens denied, by (dimension, group, activity), in long form.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use scorelab_engine::metrics::{GroupDimension, GroupRow};

use crate::error::StoreError;
use crate::table::{key_value, make_batch, read_all, write_batch, write_parquet, Columns};

/// Columns of `groups.parquet`, in file order. The group's label is in
/// `group_name`, not `group`, which is a reserved word in SQL.
pub const GROUP_COLUMNS: [&str; 8] =
    ["dimension", "group_name", "activity", "citizens", "denials", "wrongful_denials", "grants", "unique_denied"];

fn schema() -> SchemaRef {
    let fields: Vec<Field> = GROUP_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, name)| Field::new(*name, if i < 3 { DataType::Utf8 } else { DataType::UInt64 }, false))
        .collect();
    Arc::new(Schema::new(fields))
}

/// Writes `groups.parquet` at `path`, rows in the order given.
pub(crate) fn write(path: &Path, rows: &[GroupRow]) -> Result<(), StoreError> {
    let schema = schema();
    let u64s = |f: fn(&GroupRow) -> u64| -> ArrayRef { Arc::new(UInt64Array::from_iter_values(rows.iter().map(f))) };
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.dimension.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.group.as_str()))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.activity.as_str()))),
        u64s(|r| r.citizens),
        u64s(|r| r.denials),
        u64s(|r| r.wrongful_denials),
        u64s(|r| r.grants),
        u64s(|r| r.unique_denied),
    ];
    let batch = make_batch(path, &schema, arrays)?;
    let metadata = vec![key_value(crate::daily::META_FORMAT_VERSION, crate::manifest::FORMAT_VERSION)];
    write_parquet(path, schema, metadata, |w| write_batch(w, path, &batch))
}

/// The dimension whose file name is `text`.
fn dimension(text: &str) -> Option<GroupDimension> {
    GroupDimension::ALL.into_iter().find(|d| d.as_str() == text)
}

/// Reads `groups.parquet` back.
pub(crate) fn read(path: &Path) -> Result<Vec<GroupRow>, StoreError> {
    let mut rows = Vec::new();
    for batch in read_all(path)? {
        let c = Columns::new(path, &batch);
        let s = |name: &str| c.required::<StringArray>(name);
        let u = |name: &str| c.required::<UInt64Array>(name);
        let (dim, group, activity) = (s("dimension")?, s("group_name")?, s("activity")?);
        let (citizens, denials, wrongful, grants, unique) =
            (u("citizens")?, u("denials")?, u("wrongful_denials")?, u("grants")?, u("unique_denied")?);
        for i in 0..batch.num_rows() {
            let dimension = dimension(dim.value(i)).ok_or_else(|| {
                StoreError::format(path, format!("unknown dimension `{}` in column `dimension`", dim.value(i)))
            })?;
            rows.push(GroupRow {
                dimension,
                group: group.value(i).to_string(),
                activity: activity.value(i).to_string(),
                citizens: citizens.value(i),
                denials: denials.value(i),
                wrongful_denials: wrongful.value(i),
                grants: grants.value(i),
                unique_denied: unique.value(i),
            });
        }
    }
    Ok(rows)
}
