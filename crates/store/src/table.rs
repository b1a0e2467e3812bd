//! Parquet plumbing shared by the four tables: writer properties chosen for
//! determinism and for pandas / polars / DuckDB, atomic Parquet writing,
//! and checked reading (a damaged file or an unexpected column is an error
//! naming the file, never a panic).

use std::cell::Cell;
use std::fs::File;
use std::io::BufWriter;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Once};

use arrow_array::{Array, RecordBatch, UInt32Array};
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
#[cfg(test)]
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;

use crate::atomic::write_atomic;
use crate::error::StoreError;

/// Rows per record batch when streaming, and per batch when reading.
pub(crate) const BATCH_ROWS: usize = 64 * 1024;

/// Rows per row group: large enough for good compression and few groups,
/// small enough that the writer's buffer stays modest (~tens of MB) and
/// that a reader looking for one citizen decodes one group only.
pub(crate) const ROW_GROUP_ROWS: usize = 1024 * 1024;

/// The writer of one Parquet file inside [`write_parquet`].
pub(crate) type TableWriter<'a> = ArrowWriter<&'a mut BufWriter<File>>;

fn writer_properties(key_values: Vec<KeyValue>, row_group_rows: usize) -> WriterProperties {
    // No timestamps or random ids go into the file: `created_by` is the
    // library's fixed version string, and the key-value metadata only holds
    // what the caller passes, so the same input gives the same bytes.
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(row_group_rows)
        .set_key_value_metadata(if key_values.is_empty() { None } else { Some(key_values) })
        .build()
}

/// Writes a Parquet file atomically: `fill` writes the record batches.
pub(crate) fn write_parquet<F>(
    path: &Path,
    schema: SchemaRef,
    key_values: Vec<KeyValue>,
    fill: F,
) -> Result<(), StoreError>
where
    F: FnOnce(&mut TableWriter<'_>) -> Result<(), StoreError>,
{
    write_parquet_grouped(path, schema, key_values, ROW_GROUP_ROWS, fill)
}

/// [`write_parquet`] with row groups of at most `row_group_rows` rows.
pub(crate) fn write_parquet_grouped<F>(
    path: &Path,
    schema: SchemaRef,
    key_values: Vec<KeyValue>,
    row_group_rows: usize,
    fill: F,
) -> Result<(), StoreError>
where
    F: FnOnce(&mut TableWriter<'_>) -> Result<(), StoreError>,
{
    write_atomic(path, |out| {
        let mut writer = ArrowWriter::try_new(out, schema, Some(writer_properties(key_values, row_group_rows)))
            .map_err(|e| StoreError::parquet("write", path, e))?;
        fill(&mut writer)?;
        writer.close().map_err(|e| StoreError::parquet("write", path, e))?;
        Ok(())
    })
}

/// Writes one batch, naming the file on error.
pub(crate) fn write_batch(writer: &mut TableWriter<'_>, path: &Path, batch: &RecordBatch) -> Result<(), StoreError> {
    writer.write(batch).map_err(|e| StoreError::parquet("write", path, e))
}

/// Assembles a record batch; a failure is a bug in this crate (a column
/// whose type or length does not match its schema).
pub(crate) fn make_batch(
    path: &Path,
    schema: &SchemaRef,
    columns: Vec<Arc<dyn Array>>,
) -> Result<RecordBatch, StoreError> {
    RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| StoreError::internal(path, format!("cannot assemble a record batch: {e}")))
}

thread_local! {
    /// Set while this thread runs the Parquet decoder under [`guarded`].
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once) a panic hook that stays silent for a panic raised inside
/// [`guarded`], which becomes an error message, and hands every other
/// panic to the hook that was there before (the default one, or a
/// fuzzer's, which aborts).
fn quiet_decoder_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic inside the Parquet decoder into an error that
/// names the file. Known versions of the decoder still assert on some
/// damaged inputs instead of returning an error (e.g. parquet 57's RLE
/// dictionary decoder indexes out of bounds on a damaged page; found by the
/// `run_dir` fuzzer, replayed by `tests/fuzz_regressions.rs`). The panic is
/// not printed: the user gets the error, which says which file is damaged.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    quiet_decoder_panics();
    let outer = DECODING.with(|d| d.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    DECODING.with(|d| d.set(outer));
    match result {
        Ok(result) => result,
        Err(_) => Err(StoreError::Parquet {
            path: path.to_path_buf(),
            message: "the Parquet decoder gave up on this file".to_string(),
        }),
    }
}

/// Opens a Parquet file for reading.
fn open_builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
    guarded(path, || ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| StoreError::parquet("read", path, e)))
}

/// Reads the footer metadata of a Parquet file.
#[cfg(test)]
pub(crate) fn read_metadata(path: &Path) -> Result<Arc<ParquetMetaData>, StoreError> {
    Ok(open_builder(path)?.metadata().clone())
}

/// Reads every record batch of a Parquet file.
pub(crate) fn read_all(path: &Path) -> Result<Vec<RecordBatch>, StoreError> {
    read_batches(path, |_| Ok(None))
}

/// Reads the record batches of a Parquet file; `row_groups` picks which
/// row groups to decode (all when it returns `None`), from the footer's
/// metadata and schema.
pub(crate) fn read_batches(
    path: &Path,
    row_groups: impl FnOnce(&ParquetRecordBatchReaderBuilder<File>) -> Result<Option<Vec<usize>>, StoreError>,
) -> Result<Vec<RecordBatch>, StoreError> {
    let builder = open_builder(path)?;
    let chosen = guarded(path, || row_groups(&builder))?;
    guarded(path, || {
        let mut builder = builder.with_batch_size(BATCH_ROWS);
        if let Some(groups) = chosen {
            builder = builder.with_row_groups(groups);
        }
        let reader = builder.build().map_err(|e| StoreError::parquet("read", path, e))?;
        reader.map(|batch| batch.map_err(|e| StoreError::arrow("read", path, e))).collect()
    })
}

/// The row groups whose statistics for the `UInt32` column `column` allow
/// `value` (a group without statistics is kept); `None` (all groups) when
/// the file has no usable statistics for that column.
pub(crate) fn row_groups_with_u32(
    path: &Path,
    builder: &ParquetRecordBatchReaderBuilder<File>,
    column: &str,
    value: u32,
) -> Result<Option<Vec<usize>>, StoreError> {
    if builder.schema().column_with_name(column).is_none() {
        // Decode everything: the caller then reports the missing column.
        return Ok(None);
    }
    let converter = StatisticsConverter::try_new(column, builder.schema(), builder.parquet_schema())
        .map_err(|e| StoreError::parquet("read", path, e))?;
    let groups = builder.metadata().row_groups();
    let mins = converter.row_group_mins(groups).map_err(|e| StoreError::parquet("read", path, e))?;
    let maxes = converter.row_group_maxes(groups).map_err(|e| StoreError::parquet("read", path, e))?;
    let (Some(mins), Some(maxes)) =
        (mins.as_any().downcast_ref::<UInt32Array>(), maxes.as_any().downcast_ref::<UInt32Array>())
    else {
        return Ok(None);
    };
    let keep = (0..groups.len())
        .filter(|&g| mins.is_null(g) || maxes.is_null(g) || (mins.value(g) <= value && value <= maxes.value(g)))
        .collect();
    Ok(Some(keep))
}

/// Typed access to the columns of a batch read back, with errors that name
/// the file and the column.
pub(crate) struct Columns<'a> {
    pub(crate) path: &'a Path,
    pub(crate) batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    /// Wraps a batch of the file at `path`.
    pub(crate) fn new(path: &'a Path, batch: &'a RecordBatch) -> Self {
        Columns { path, batch }
    }

    /// The column `name` as array type `A`, which may hold nulls.
    pub(crate) fn nullable<A: Array + 'static>(&self, name: &str) -> Result<&'a A, StoreError> {
        let column = self
            .batch
            .column_by_name(name)
            .ok_or_else(|| StoreError::format(self.path, format!("no column `{name}`")))?;
        column.as_any().downcast_ref::<A>().ok_or_else(|| {
            StoreError::format(
                self.path,
                format!("column `{name}` has type {}, expected {}", column.data_type(), std::any::type_name::<A>()),
            )
        })
    }

    /// The column `name` as array type `A`, which must not hold nulls.
    pub(crate) fn required<A: Array + 'static>(&self, name: &str) -> Result<&'a A, StoreError> {
        let array = self.nullable::<A>(name)?;
        if array.null_count() > 0 {
            return Err(StoreError::format(self.path, format!("column `{name}` has nulls")));
        }
        Ok(array)
    }
}

/// Key-value metadata entry.
pub(crate) fn key_value(key: &str, value: impl ToString) -> KeyValue {
    KeyValue::new(key.to_string(), Some(value.to_string()))
}
