//! `citizens.parquet`: the final state of every citizen (or of a sample),
//! streamed in record batches so that a national population is never held
//! in memory as rows. Which activities a citizen was ever denied is one
//! boolean column per activity, `ever_denied_<activity>`, so a query is a
//! plain `WHERE ever_denied_flight` in SQL, pandas or polars.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float32Builder, Int64Builder, StringBuilder, UInt32Builder, UInt8Builder};
use arrow_array::{Array, ArrayRef, BooleanArray, Float32Array, Int64Array, StringArray, UInt32Array, UInt8Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use scorelab_engine::metrics::CitizenRow;

use crate::error::StoreError;
use crate::names::unique_column;
use crate::table::{
    key_value, make_batch, read_batches, row_groups_with_u32, write_batch, write_parquet_grouped, Columns, BATCH_ROWS,
    ROW_GROUP_ROWS,
};

/// Columns before the `ever_denied_<activity>` ones, with their types.
const HEAD: [(&str, DataType, bool); 18] = [
    ("id", DataType::UInt32, false),
    ("age", DataType::UInt32, false),
    ("region", DataType::UInt8, false),
    ("urban", DataType::Boolean, false),
    ("income_decile", DataType::UInt8, false),
    ("aware", DataType::Boolean, false),
    ("compliance", DataType::Float32, false),
    ("dissent", DataType::Float32, false),
    ("guardian", DataType::UInt32, true),
    ("friends", DataType::UInt32, false),
    ("own_score_milli", DataType::Int64, false),
    ("effective_score_milli", DataType::Int64, false),
    ("grade", DataType::Utf8, false),
    ("gains_milli", DataType::Int64, false),
    ("losses_milli", DataType::Int64, false),
    ("erroneous_losses_milli", DataType::Int64, false),
    ("blacklisted", DataType::Boolean, false),
    ("listing_backed", DataType::Boolean, false),
];

/// The last column.
const TAIL: &str = "denied_school_as_child";

/// The `ever_denied_<activity>` column names for the activities, in order.
pub fn ever_denied_columns(activities: &[String]) -> Vec<String> {
    let mut used: BTreeSet<String> = HEAD.iter().map(|(n, _, _)| n.to_string()).collect();
    used.insert(TAIL.to_string());
    activities.iter().map(|a| unique_column("ever_denied_", a, &mut used)).collect()
}

/// Every column of `citizens.parquet`, in file order.
pub fn citizen_columns(activities: &[String]) -> Vec<String> {
    let mut all: Vec<String> = HEAD.iter().map(|(n, _, _)| n.to_string()).collect();
    all.extend(ever_denied_columns(activities));
    all.push(TAIL.to_string());
    all
}

fn schema(ever_denied: &[String]) -> SchemaRef {
    let mut fields: Vec<Field> = HEAD.iter().map(|(n, t, nullable)| Field::new(*n, t.clone(), *nullable)).collect();
    fields.extend(ever_denied.iter().map(|n| Field::new(n, DataType::Boolean, false)));
    fields.push(Field::new(TAIL, DataType::Boolean, false));
    Arc::new(Schema::new(fields))
}

/// Column builders for one record batch.
struct Builders {
    id: UInt32Builder,
    age: UInt32Builder,
    region: UInt8Builder,
    urban: BooleanBuilder,
    income_decile: UInt8Builder,
    aware: BooleanBuilder,
    compliance: Float32Builder,
    dissent: Float32Builder,
    guardian: UInt32Builder,
    friends: UInt32Builder,
    own: Int64Builder,
    effective: Int64Builder,
    grade: StringBuilder,
    gains: Int64Builder,
    losses: Int64Builder,
    erroneous_losses: Int64Builder,
    blacklisted: BooleanBuilder,
    listing_backed: BooleanBuilder,
    ever_denied: Vec<BooleanBuilder>,
    school: BooleanBuilder,
    rows: usize,
}

impl Builders {
    fn new(activities: usize) -> Builders {
        let n = BATCH_ROWS;
        Builders {
            id: UInt32Builder::with_capacity(n),
            age: UInt32Builder::with_capacity(n),
            region: UInt8Builder::with_capacity(n),
            urban: BooleanBuilder::with_capacity(n),
            income_decile: UInt8Builder::with_capacity(n),
            aware: BooleanBuilder::with_capacity(n),
            compliance: Float32Builder::with_capacity(n),
            dissent: Float32Builder::with_capacity(n),
            guardian: UInt32Builder::with_capacity(n),
            friends: UInt32Builder::with_capacity(n),
            own: Int64Builder::with_capacity(n),
            effective: Int64Builder::with_capacity(n),
            grade: StringBuilder::with_capacity(n, n * 2),
            gains: Int64Builder::with_capacity(n),
            losses: Int64Builder::with_capacity(n),
            erroneous_losses: Int64Builder::with_capacity(n),
            blacklisted: BooleanBuilder::with_capacity(n),
            listing_backed: BooleanBuilder::with_capacity(n),
            ever_denied: (0..activities).map(|_| BooleanBuilder::with_capacity(n)).collect(),
            school: BooleanBuilder::with_capacity(n),
            rows: 0,
        }
    }

    fn append(&mut self, row: &CitizenRow, denied: &[bool]) {
        self.id.append_value(row.id);
        self.age.append_value(row.age);
        self.region.append_value(row.region);
        self.urban.append_value(row.urban);
        self.income_decile.append_value(row.income_decile);
        self.aware.append_value(row.aware);
        self.compliance.append_value(row.compliance);
        self.dissent.append_value(row.dissent);
        self.guardian.append_option(row.guardian);
        self.friends.append_value(row.friends);
        self.own.append_value(row.own_score_milli);
        self.effective.append_value(row.effective_score_milli);
        self.grade.append_value(&row.grade);
        self.gains.append_value(row.gains_milli);
        self.losses.append_value(row.losses_milli);
        self.erroneous_losses.append_value(row.erroneous_losses_milli);
        self.blacklisted.append_value(row.blacklisted);
        self.listing_backed.append_value(row.listing_backed);
        for (builder, &d) in self.ever_denied.iter_mut().zip(denied) {
            builder.append_value(d);
        }
        self.school.append_value(row.denied_school_as_child);
        self.rows += 1;
    }

    /// The columns of the rows appended since the last call; empties the builders.
    fn finish(&mut self) -> Vec<ArrayRef> {
        self.rows = 0;
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.age.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.urban.finish()),
            Arc::new(self.income_decile.finish()),
            Arc::new(self.aware.finish()),
            Arc::new(self.compliance.finish()),
            Arc::new(self.dissent.finish()),
            Arc::new(self.guardian.finish()),
            Arc::new(self.friends.finish()),
            Arc::new(self.own.finish()),
            Arc::new(self.effective.finish()),
            Arc::new(self.grade.finish()),
            Arc::new(self.gains.finish()),
            Arc::new(self.losses.finish()),
            Arc::new(self.erroneous_losses.finish()),
            Arc::new(self.blacklisted.finish()),
            Arc::new(self.listing_backed.finish()),
        ];
        arrays.extend(self.ever_denied.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        arrays.push(Arc::new(self.school.finish()));
        arrays
    }
}

/// Writes `citizens.parquet` at `path` from a stream of rows, in batches of
/// [`BATCH_ROWS`]; returns the number of rows written.
pub(crate) fn write(
    path: &Path,
    activities: &[String],
    rows: impl Iterator<Item = CitizenRow>,
) -> Result<u64, StoreError> {
    write_grouped(path, activities, rows, ROW_GROUP_ROWS)
}

/// [`write`] with row groups of at most `row_group_rows` rows.
pub(crate) fn write_grouped(
    path: &Path,
    activities: &[String],
    rows: impl Iterator<Item = CitizenRow>,
    row_group_rows: usize,
) -> Result<u64, StoreError> {
    let columns = ever_denied_columns(activities);
    let schema = schema(&columns);
    let index: BTreeMap<&str, usize> = activities.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
    let mut written = 0u64;
    let metadata = vec![key_value(crate::daily::META_FORMAT_VERSION, crate::manifest::FORMAT_VERSION)];
    write_parquet_grouped(path, schema.clone(), metadata, row_group_rows, |w| {
        let mut builders = Builders::new(activities.len());
        let mut denied = vec![false; activities.len()];
        for row in rows {
            denied.fill(false);
            for name in &row.ever_denied {
                let &i = index.get(name.as_str()).ok_or_else(|| {
                    StoreError::internal(path, format!("citizen {} was denied an unknown activity `{name}`", row.id))
                })?;
                denied[i] = true;
            }
            builders.append(&row, &denied);
            if builders.rows == BATCH_ROWS {
                written += BATCH_ROWS as u64;
                write_batch(w, path, &make_batch(path, &schema, builders.finish())?)?;
            }
        }
        if builders.rows > 0 {
            written += builders.rows as u64;
            write_batch(w, path, &make_batch(path, &schema, builders.finish())?)?;
        }
        Ok(())
    })?;
    Ok(written)
}

/// Reads the row of citizen `id`, decoding only the row groups whose `id`
/// statistics may contain it.
pub(crate) fn read_one(path: &Path, activities: &[String], id: u32) -> Result<Option<CitizenRow>, StoreError> {
    let batches = read_batches(path, |builder| row_groups_with_u32(path, builder, "id", id))?;
    let ever_denied = ever_denied_columns(activities);
    for batch in &batches {
        let c = Columns::new(path, batch);
        let ids = c.required::<UInt32Array>("id")?;
        if let Some(i) = (0..batch.num_rows()).find(|&i| ids.value(i) == id) {
            return row_at(&c, activities, &ever_denied, i).map(Some);
        }
    }
    Ok(None)
}

/// Reads every row, in file order (for tests and tools; a national-size
/// file is read whole).
pub(crate) fn read_all(path: &Path, activities: &[String]) -> Result<Vec<CitizenRow>, StoreError> {
    let batches = read_batches(path, |_| Ok(None))?;
    let ever_denied = ever_denied_columns(activities);
    let mut rows = Vec::new();
    for batch in &batches {
        let c = Columns::new(path, batch);
        for i in 0..batch.num_rows() {
            rows.push(row_at(&c, activities, &ever_denied, i)?);
        }
    }
    Ok(rows)
}

fn row_at(c: &Columns<'_>, activities: &[String], ever_denied: &[String], i: usize) -> Result<CitizenRow, StoreError> {
    let u32_at = |n: &str| c.required::<UInt32Array>(n).map(|a| a.value(i));
    let u8_at = |n: &str| c.required::<UInt8Array>(n).map(|a| a.value(i));
    let bool_at = |n: &str| c.required::<BooleanArray>(n).map(|a| a.value(i));
    let f32_at = |n: &str| c.required::<Float32Array>(n).map(|a| a.value(i));
    let i64_at = |n: &str| c.required::<Int64Array>(n).map(|a| a.value(i));
    let guardian = c.nullable::<UInt32Array>("guardian")?;
    let mut denied = Vec::new();
    for (name, column) in activities.iter().zip(ever_denied) {
        if bool_at(column)? {
            denied.push(name.clone());
        }
    }
    Ok(CitizenRow {
        id: u32_at("id")?,
        age: u32_at("age")?,
        region: u8_at("region")?,
        urban: bool_at("urban")?,
        income_decile: u8_at("income_decile")?,
        aware: bool_at("aware")?,
        compliance: f32_at("compliance")?,
        dissent: f32_at("dissent")?,
        guardian: if guardian.is_null(i) { None } else { Some(guardian.value(i)) },
        friends: u32_at("friends")?,
        own_score_milli: i64_at("own_score_milli")?,
        effective_score_milli: i64_at("effective_score_milli")?,
        grade: c.required::<StringArray>("grade")?.value(i).to_string(),
        gains_milli: i64_at("gains_milli")?,
        losses_milli: i64_at("losses_milli")?,
        erroneous_losses_milli: i64_at("erroneous_losses_milli")?,
        blacklisted: bool_at("blacklisted")?,
        listing_backed: bool_at("listing_backed")?,
        ever_denied: denied,
        denied_school_as_child: bool_at(TAIL)?,
    })
}
