//! Native file picking. The dialog runs in Rust; text files (certificates, keys) come back
//! as their text, job files as paths the submit command then stages, a file to save as its path.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sparkdeck_engine::ErrorCode;
use tauri::State;
use tokio::sync::oneshot;

use crate::error::IpcError;

/// Certificates and keys are a few KiB; anything this large is the wrong file.
const MAX_TEXT_FILE: u64 = 1024 * 1024;

/// What an "open file" dialog is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickRequest {
    pub title: String,
    /// File name extensions offered (without dots); empty offers every file.
    pub extensions: Vec<String>,
    pub multiple: bool,
    /// A folder instead of files.
    pub folder: bool,
    /// A "save file" dialog proposing this file name, instead of an "open" one.
    pub save_as: Option<String>,
}

type PickFn = dyn Fn(PickRequest) -> oneshot::Receiver<Vec<PathBuf>> + Send + Sync;

/// Shows an "open file" dialog and answers the chosen paths (none when the user cancels).
/// The app installs the native dialog; tests install their own.
pub struct FilePicker(Box<PickFn>);

impl FilePicker {
    pub fn new(pick: impl Fn(PickRequest) -> oneshot::Receiver<Vec<PathBuf>> + Send + Sync + 'static) -> Self {
        Self(Box::new(pick))
    }

    pub(crate) async fn pick(&self, request: PickRequest) -> Vec<PathBuf> {
        (self.0)(request).await.unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct PickedFile {
    pub path: String,
    pub text: String,
}

/// Lets the user pick a text file (a certificate or key) and returns its contents; `None`
/// when cancelled. `field` is the form field it is for, so a refusal is shown next to it.
#[tauri::command]
#[specta::specta]
pub async fn pick_text_file(picker: State<'_, FilePicker>, title: String, field: String) -> Result<Option<PickedFile>, IpcError> {
    let request = PickRequest { title, extensions: Vec::new(), multiple: false, folder: false, save_as: None };
    let Some(path) = picker.pick(request).await.into_iter().next() else { return Ok(None) };
    let invalid = |message: String| IpcError { code: ErrorCode::Invalid, message, field: Some(field.clone()) };
    let size = std::fs::metadata(&path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?.len();
    if size > MAX_TEXT_FILE {
        return Err(invalid(format!("{} is {size} bytes; a certificate or key is at most 1 MiB", path.display())));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| invalid(format!("cannot read {} as text: {e}", path.display())))?;
    Ok(Some(PickedFile { path: path.display().to_string(), text }))
}

/// Lets the user pick files for a job (jars, Python files, data files); their paths, or an
/// empty list when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn pick_job_files(picker: State<'_, FilePicker>, title: String, extensions: Vec<String>) -> Result<Vec<String>, IpcError> {
    let request = PickRequest { title, extensions, multiple: true, folder: false, save_as: None };
    Ok(picker.pick(request).await.into_iter().map(|p| p.display().to_string()).collect())
}

/// Lets the user choose where to save a file (`file_name` proposed); its path, or `None` when
/// cancelled. The command that writes it is told the path, as the user chose it.
#[tauri::command]
#[specta::specta]
pub async fn pick_save_file(
    picker: State<'_, FilePicker>,
    title: String,
    file_name: String,
    extensions: Vec<String>,
) -> Result<Option<String>, IpcError> {
    let request = PickRequest { title, extensions, multiple: false, folder: false, save_as: Some(file_name) };
    Ok(picker.pick(request).await.into_iter().next().map(|p| p.display().to_string()))
}
