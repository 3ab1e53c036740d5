//! Settings and the built-in REST server.

use sparkdeck_engine::{Engine, ErrorCode};
use sparkdeck_engine::settings::Settings;
use tauri::State;

use crate::error::IpcError;
use crate::rest_server::{RestServer, RestServerStatus};

/// The settings, with where the data lives (read-only: chosen at start).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub settings: Settings,
    pub data_dir: String,
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(engine: State<'_, Engine>) -> Result<SettingsView, IpcError> {
    Ok(SettingsView { settings: engine.settings(), data_dir: engine.data_dir().display().to_string() })
}

/// Saves the settings and brings the REST server in line with them. Invalid settings or a
/// port that cannot be used are refused before anything changes.
#[tauri::command]
#[specta::specta]
pub async fn update_settings(
    engine: State<'_, Engine>,
    server: State<'_, RestServer>,
    mut settings: Settings,
) -> Result<SettingsView, IpcError> {
    // The Spark folder has its own commands (`spark.rs`): a form loaded before a folder was
    // picked must not put the old one back.
    settings.spark = engine.settings().spark;
    engine.validate_settings(&settings).await?;
    let rest = &settings.rest_server;
    server.apply(&engine, rest.enabled, rest.port).await.map_err(|message| IpcError {
        code: ErrorCode::Invalid,
        message,
        field: Some("restServer.port".into()),
    })?;
    let livy = &settings.livy;
    server.apply_livy(&engine, livy.enabled, livy.port).await.map_err(|message| IpcError {
        code: ErrorCode::Invalid,
        message,
        field: Some("livy.port".into()),
    })?;
    let settings = engine.update_settings(settings).await?;
    Ok(SettingsView { settings, data_dir: engine.data_dir().display().to_string() })
}

#[tauri::command]
#[specta::specta]
pub async fn rest_server_status(engine: State<'_, Engine>, server: State<'_, RestServer>) -> Result<RestServerStatus, IpcError> {
    Ok(server.status(&engine).await)
}
