use sparkdeck_engine::Engine;
use sparkdeck_engine::clusters::ClusterQuery;
use sparkdeck_engine::model::cluster::{ClusterInput, ClusterView};
use sparkdeck_engine::model::paging::Page;
use tauri::State;

use crate::error::IpcError;

#[tauri::command]
#[specta::specta]
pub async fn list_clusters(engine: State<'_, Engine>, query: ClusterQuery) -> Result<Page<ClusterView>, IpcError> {
    Ok(engine.list_clusters(&query).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_cluster(engine: State<'_, Engine>, id: String) -> Result<ClusterView, IpcError> {
    Ok(engine.get_cluster(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn create_cluster(engine: State<'_, Engine>, input: ClusterInput) -> Result<ClusterView, IpcError> {
    Ok(engine.create_cluster(&input).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_cluster(engine: State<'_, Engine>, id: String, input: ClusterInput) -> Result<ClusterView, IpcError> {
    Ok(engine.update_cluster(&id, &input).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_cluster(engine: State<'_, Engine>, id: String, force: bool) -> Result<(), IpcError> {
    Ok(engine.delete_cluster(&id, force).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn cluster_names(engine: State<'_, Engine>) -> Result<Vec<String>, IpcError> {
    Ok(engine.cluster_names().await?)
}

/// Checks that a cluster as entered in the form can be reached, without saving it; `id`
/// when editing, so masked secrets keep their stored values.
#[tauri::command]
#[specta::specta]
pub async fn test_cluster_connection(
    engine: State<'_, Engine>,
    id: Option<String>,
    input: ClusterInput,
) -> Result<String, IpcError> {
    Ok(engine.test_cluster_connection(id.as_deref(), &input).await?)
}
