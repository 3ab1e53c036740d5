//! Interactive groups: create from local files, list, inspect, scale, lifecycle, and the
//! requests their drivers run.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sparkdeck_engine::Engine;
use sparkdeck_engine::{GroupForm, GroupQuery};
use sparkdeck_engine::model::form::{UnknownFields, refuse_unknown};
use sparkdeck_engine::model::group::{Group, GroupRequest, JobInstance};
use sparkdeck_engine::model::memory_settings::MemorySettingsForm;
use sparkdeck_engine::model::paging::{Page, PageRequest};
use tauri::State;

use super::staging::stage_files;
use crate::error::IpcError;

/// The create form as the desktop sends it: text fields as in the REST form, and the
/// paths of the files the user dropped or picked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupCreateForm {
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub tags: Option<String>,
    pub language: Option<String>,
    pub cluster_name: Option<String>,
    pub job_config: Option<String>,
    pub py_requirements: Option<String>,
    /// Maven coordinates, comma-separated.
    pub packages: Option<String>,
    /// `driverMemory`, `executors`, …: the same fields as in the REST form.
    #[serde(flatten)]
    pub memory: MemorySettingsForm,
    pub scale: Option<u32>,
    pub jars: Vec<String>,
    pub files: Vec<String>,
    pub py_files: Vec<String>,
    /// Redeploy the group when one of its jars is rebuilt on disk.
    pub watch_jars: bool,
    /// Pause once idle, resume on the next request.
    pub auto_pause: bool,
    /// Keys the form has no field for: refused by name (no setting is dropped silently).
    #[serde(flatten, skip_serializing)]
    #[specta(skip)]
    pub unknown: UnknownFields,
}

/// What `PUT /group/{id}` changes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupUpdateForm {
    pub description: Option<String>,
    pub tags: Option<String>,
    pub job_config: Option<String>,
    pub py_requirements: Option<String>,
    pub packages: Option<String>,
    /// Given fields replace the group's; an empty one clears it.
    #[serde(flatten)]
    pub memory: MemorySettingsForm,
    pub scale: Option<u32>,
    pub auto_pause: Option<bool>,
    /// Keys the form has no field for: refused by name (no setting is dropped silently).
    #[serde(flatten, skip_serializing)]
    #[specta(skip)]
    pub unknown: UnknownFields,
}

#[tauri::command]
#[specta::specta]
pub async fn create_group(engine: State<'_, Engine>, form: GroupCreateForm) -> Result<Group, IpcError> {
    // Both sides spelled out: a field added to either form does not compile until it is
    // passed on, so none is dropped on the way.
    let GroupCreateForm {
        name, description, kind, tags, language, cluster_name, job_config, py_requirements, packages, memory, scale, jars, files, py_files,
        watch_jars, auto_pause, unknown,
    } = form;
    refuse_unknown::<GroupCreateForm>("", &unknown)?;
    // Jars are read by the engine from where they are, so they can be watched; other
    // files are copied in.
    let staged = stage_files(&engine, Vec::new(), files, py_files).await?;
    let form = GroupForm {
        name,
        description,
        kind,
        tags,
        language,
        cluster_name,
        job_config,
        py_requirements,
        packages,
        memory,
        scale,
        jars: Vec::new(),
        files: staged.files,
        py_files: staged.py_files,
        jar_paths: jars.into_iter().map(PathBuf::from).collect(),
        watch_jars,
        auto_pause: Some(auto_pause),
    };
    Ok(engine.create_group(form).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_group(engine: State<'_, Engine>, id: String, form: GroupUpdateForm) -> Result<Group, IpcError> {
    let GroupUpdateForm { description, tags, job_config, py_requirements, packages, memory, scale, auto_pause, unknown } = form;
    refuse_unknown::<GroupUpdateForm>("", &unknown)?;
    let form = GroupForm { description, tags, job_config, py_requirements, packages, memory, scale, auto_pause, ..GroupForm::default() };
    Ok(engine.update_group(&id, form).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_groups(engine: State<'_, Engine>, query: GroupQuery) -> Result<Page<Group>, IpcError> {
    Ok(engine.list_groups(&query).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_group(engine: State<'_, Engine>, id: String) -> Result<Group, IpcError> {
    Ok(engine.get_group(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn rescale_group(engine: State<'_, Engine>, id: String, scale: u32) -> Result<Group, IpcError> {
    Ok(engine.rescale_group(&id, scale).await?)
}

/// The lifecycle actions of `/group/{id}/{action}`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum GroupAction {
    Pause,
    Resume,
    Restart,
    Stop,
}

#[tauri::command]
#[specta::specta]
pub async fn group_action(engine: State<'_, Engine>, id: String, action: GroupAction) -> Result<Group, IpcError> {
    let group = match action {
        GroupAction::Pause => engine.pause_group(&id).await?,
        GroupAction::Resume => engine.resume_group(&id).await?,
        GroupAction::Restart => engine.restart_group(&id).await?,
        GroupAction::Stop => engine.stop_group(&id).await?,
    };
    Ok(group)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_group(engine: State<'_, Engine>, id: String) -> Result<(), IpcError> {
    Ok(engine.delete_group(&id).await?)
}

/// Runs a request on one of the group's drivers: `wait` answers when it has ended
/// (execute), otherwise as soon as it is queued (submit).
#[tauri::command]
#[specta::specta]
pub async fn run_group_request(
    engine: State<'_, Engine>,
    id: String,
    request: GroupRequest,
    wait: bool,
) -> Result<JobInstance, IpcError> {
    let instance = if wait { engine.execute_instance(&id, request).await? } else { engine.submit_instance(&id, request).await? };
    Ok(instance)
}

#[tauri::command]
#[specta::specta]
pub async fn list_group_results(
    engine: State<'_, Engine>,
    id: String,
    search: Option<String>,
    page: PageRequest,
) -> Result<Page<JobInstance>, IpcError> {
    Ok(engine.list_instances(&id, search.as_deref(), &page).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_group_request(engine: State<'_, Engine>, id: String, instance_id: String) -> Result<JobInstance, IpcError> {
    Ok(engine.cancel_instance(&id, &instance_id).await?)
}
