//! A cell's result table saved as CSV. The rows come from the engine's stored instance, never
//! from the UI, so the file holds what the driver answered; the UI sends only which result and
//! the path the user chose in the save dialog (`files::pick_save_file`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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
    let (headers, rows) = table_of(instance.data.as_ref()).ok_or_else(|| {
        EngineError::invalid("instanceId", format!("the result of {} holds no table", instance.job_instance_id))
    })?;
    let target = PathBuf::from(&path);
    if !target.is_absolute() {
        return Err(EngineError::invalid("path", format!("{path} is not an absolute path")).into());
    }
    let count = rows.len();
    let text = csv_text(&headers, &rows).map_err(|e| EngineError::Internal(format!("cannot write CSV: {e}")))?;
    write_replacing(&target, &text).map_err(|e| EngineError::invalid("path", format!("cannot write {path}: {e}")))?;
    Ok(SavedCsv { path, rows: u32::try_from(count).unwrap_or(u32::MAX) })
}

/// The column names and rows of a result's table; `None` when its bundle holds none.
fn table_of(data: Option<&Map<String, Value>>) -> Option<(Vec<String>, Vec<Vec<Value>>)> {
    let data = data?;
    let (headers, rows) = if let Some(fields) = data.get(SQL_TABLE).and_then(|t| t.pointer("/schema/fields")).and_then(Value::as_array) {
        (fields, &data[SQL_TABLE]["data"])
    } else if let Some(headers) = data.get(LIVY_TABLE).and_then(|t| t.get("headers")).and_then(Value::as_array) {
        (headers, &data[LIVY_TABLE]["data"])
    } else {
        return None;
    };
    let names = headers.iter().map(|h| h.get("name").and_then(Value::as_str).unwrap_or_default().to_string()).collect();
    let rows = rows.as_array().map(|rows| rows.iter().filter_map(|r| r.as_array().cloned()).collect()).unwrap_or_default();
    Some((names, rows))
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
/// The file is readable by others (0644), as a file the user saves usually is; the temporary
/// one is created 0600.
fn write_replacing(target: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = target.parent().ok_or_else(|| std::io::Error::other("it has no parent folder"))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    file.as_file().sync_all()?;
    file.persist(target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn bundle(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_sql_result_and_a_livy_table_are_tables_and_text_or_json_is_not() {
        let sql = bundle(json!({"application/json": {"schema": {"type": "struct", "fields": [{"name": "id"}, {"name": "s"}]},
            "data": [[1, "a"], "not a row", [2, null]], "truncated": false}}));
        assert_eq!(table_of(Some(&sql)), Some((vec!["id".into(), "s".into()], vec![vec![json!(1), json!("a")], vec![json!(2), Value::Null]])));
        let livy = bundle(json!({"application/vnd.livy.table.v1+json": {"headers": [{"name": "k", "type": "STRING_TYPE"}], "data": [["x"]]}}));
        assert_eq!(table_of(Some(&livy)), Some((vec!["k".into()], vec![vec![json!("x")]])));
        assert_eq!(table_of(Some(&bundle(json!({"application/json": {"answer": 42}})))), None);
        assert_eq!(table_of(Some(&bundle(json!({"text/plain": "3"})))), None);
        assert_eq!(table_of(None), None);
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says_and_nested_values_are_json() {
        let rows = vec![vec![json!("a,b"), json!("say \"x\""), json!(1.5), json!(true), Value::Null, json!({"k": [1]})]];
        let headers: Vec<String> = ["c1", "c2", "c3", "c4", "c5", "c6"].map(String::from).to_vec();
        assert_eq!(csv_text(&headers, &rows).unwrap(), "c1,c2,c3,c4,c5,c6\r\n\"a,b\",\"say \"\"x\"\"\",1.5,true,,\"{\"\"k\"\":[1]}\"\r\n");
    }
}
