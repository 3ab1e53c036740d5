//! Native file picking. The dialog runs in Rust and only the chosen file's text crosses to
//! the web view, so the UI never reads arbitrary paths.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sparkdeck_engine::ErrorCode;
use tauri::State;
use tokio::sync::oneshot;

use crate::error::IpcError;

/// Certificates and keys are a few KiB; anything this large is the wrong file.
const MAX_TEXT_FILE: u64 = 1024 * 1024;

type PickFn = dyn Fn(String) -> oneshot::Receiver<Option<PathBuf>> + Send + Sync;

/// Shows an "open file" dialog with a title and answers the chosen path (`None` when the
/// user cancels). The app installs the native dialog; tests install their own.
pub struct FilePicker(Box<PickFn>);

impl FilePicker {
    pub fn new(pick: impl Fn(String) -> oneshot::Receiver<Option<PathBuf>> + Send + Sync + 'static) -> Self {
        Self(Box::new(pick))
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
    let Some(path) = (picker.0)(title).await.ok().flatten() else { return Ok(None) };
    let invalid = |message: String| IpcError { code: ErrorCode::Invalid, message, field: Some(field.clone()) };
    let size = std::fs::metadata(&path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?.len();
    if size > MAX_TEXT_FILE {
        return Err(invalid(format!("{} is {size} bytes; a certificate or key is at most 1 MiB", path.display())));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| invalid(format!("cannot read {} as text: {e}", path.display())))?;
    Ok(Some(PickedFile { path: path.display().to_string(), text }))
}
