//! Where local jobs' Spark comes from: install Spark 4.3.0 into the data directory (the
//! first-run screen, Settings), follow and cancel that install, or use a Spark folder the
//! user picks (validated by the engine; the reason shown when refused). The install's
//! progress reaches the UI as the engine's `sparkInstallChanged` events.

use std::path::PathBuf;

use sparkdeck_engine::Engine;
use sparkdeck_engine::spark_env::SparkStatus;
use sparkdeck_engine::spark_install::SparkInstallStatus;
use tauri::State;

use super::files::{FilePicker, PickRequest};
use crate::error::IpcError;

#[tauri::command]
#[specta::specta]
pub async fn spark_install_status(engine: State<'_, Engine>) -> Result<SparkInstallStatus, IpcError> {
    Ok(engine.spark_install_status())
}

/// Starts the install, or joins the one running.
#[tauri::command]
#[specta::specta]
pub async fn start_spark_install(engine: State<'_, Engine>) -> Result<SparkInstallStatus, IpcError> {
    Ok(engine.start_spark_install())
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_spark_install(engine: State<'_, Engine>) -> Result<SparkInstallStatus, IpcError> {
    Ok(engine.cancel_spark_install()?)
}

/// Uses the Spark in `folder` (or, with none, forgets the picked folder), then answers what
/// jobs now run with. A folder that is not Spark 3.5+/4.x is refused on `spark.folder`.
#[tauri::command]
#[specta::specta]
pub async fn use_spark_folder(engine: State<'_, Engine>, folder: Option<String>) -> Result<SparkStatus, IpcError> {
    engine.set_spark_folder(folder.map(PathBuf::from)).await?;
    Ok(engine.spark_status().await)
}

/// The native folder dialog, then [`use_spark_folder`]; `None` when the user cancels.
#[tauri::command]
#[specta::specta]
pub async fn pick_spark_folder(engine: State<'_, Engine>, picker: State<'_, FilePicker>) -> Result<Option<SparkStatus>, IpcError> {
    let request = PickRequest { title: "Choose a Spark folder".into(), extensions: Vec::new(), multiple: false, folder: true, save_as: None };
    let Some(folder) = picker.pick(request).await.into_iter().next() else { return Ok(None) };
    engine.set_spark_folder(Some(folder)).await?;
    Ok(Some(engine.spark_status().await))
}
