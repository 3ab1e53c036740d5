//! A cell's result table saved as CSV. The rows come from the engine's stored instance, never
//! from the UI, so the file holds what the driver answered; the UI sends only which result and
//! the path the user chose in the save dialog (`files::pick_save_file`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sparkdeck_engine::model::group::JobInstance;
use sparkdeck_engine::{Engine, EngineError};
use tauri::State;

use crate::error::IpcError;

/// A SQL result or a DataFrame (contract of the driver agent): `{schema: {fields: [{name}]}, data, truncated}`.
const SQL_TABLE: &str = "application/json";
/// Python's `%table`: `{headers: [{name, type}], data}`.
const LIVY_TABLE: &str = "application/vnd.livy.table.v1+json";

/// What was written.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SavedCsv {
    pub path: String,
    pub rows: u32,
}

/// Writes the result table of group `id`'s request `instance_id` to `path` as CSV (RFC 4180,
/// CRLF, a header record first), replacing the file only once the whole text is written.
#[tauri::command]
#[specta::specta]
pub async fn save_result_csv(engine: State<'_, Engine>, id: String, instance_id: String, path: String) -> Result<SavedCsv, IpcError> {
    let instance = engine.get_instance(&id, &instance_id).await?;
    let (headers, rows) = table_of(&instance)?;
    let target = PathBuf::from(&path);
    if !target.is_absolute() {
        return Err(EngineError::invalid("path", format!("{path} is not an absolute path")).into());
    }
    let count = rows.len();
    let text = csv_text(&headers, &rows).map_err(|e| EngineError::Internal(format!("cannot write CSV: {e}")))?;
    write_replacing(&target, &text).map_err(|e| EngineError::invalid("path", format!("cannot write {path}: {e}")))?;
    Ok(SavedCsv { path, rows: u32::try_from(count).unwrap_or(u32::MAX) })
}

/// The column names and rows of the instance's table, or why it has none.
fn table_of(instance: &JobInstance) -> Result<(Vec<String>, Vec<Vec<Value>>), EngineError> {
    let none = || EngineError::invalid("instanceId", format!("the result of {} holds no table", instance.job_instance_id));
    let data: &Map<String, Value> = instance.data.as_ref().ok_or_else(none)?;
    let (headers, rows) = if let Some(fields) = data.get(SQL_TABLE).and_then(|t| t.pointer("/schema/fields")).and_then(Value::as_array) {
        (fields, &data[SQL_TABLE]["data"])
    } else if let Some(headers) = data.get(LIVY_TABLE).and_then(|t| t.get("headers")).and_then(Value::as_array) {
        (headers, &data[LIVY_TABLE]["data"])
    } else {
        return Err(none());
    };
    let names = headers.iter().map(|h| h.get("name").and_then(Value::as_str).unwrap_or_default().to_string()).collect();
    let rows = rows.as_array().map(|rows| rows.iter().filter_map(|r| r.as_array().cloned()).collect()).unwrap_or_default();
    Ok((names, rows))
}

/// One CSV field as the console's "Copy as CSV" writes it: null empty, text as is, nested values as JSON.
fn field(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn csv_text(headers: &[String], rows: &[Vec<Value>]) -> Result<String, csv::Error> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(Vec::new());
    writer.write_record(headers)?;
    for row in rows {
        writer.write_record(row.iter().map(field))?;
    }
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes beside the target, then renames over it: a failed write leaves any old file as it was.
fn write_replacing(target: &Path, text: &str) -> std::io::Result<()> {
    let dir = target.parent().ok_or_else(|| std::io::Error::other("it has no parent folder"))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(target).map_err(|e| e.error)?;
    Ok(())
}
