//! Schedules: create from local files, list, inspect, change, lifecycle (pause, resume,
//! stop), run now, delete, and the preview of a cron's next run times for the form.

use serde::{Deserialize, Serialize};
use sparkdeck_engine::model::form::{UnknownFields, refuse_unknown};
use sparkdeck_engine::model::job::Job;
use sparkdeck_engine::model::memory_settings::MemorySettingsForm;
use sparkdeck_engine::model::paging::Page;
use sparkdeck_engine::model::schedule::Schedule;
use sparkdeck_engine::{Engine, JobSubmission, ScheduleForm, ScheduleQuery, ScheduleUpdate};
use tauri::State;

use super::staging::stage_files;
use crate::error::IpcError;

/// The create form as the desktop sends it: the job's fields as in the submit form (for
/// PYTHON the first of `pyFiles` is the main script), the schedule's own, and the paths
/// of the files the user dropped or picked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleCreateForm {
    pub name: Option<String>,
    pub description: Option<String>,
    pub cron: Option<String>,
    /// IANA name; blank: the machine's.
    pub time_zone: Option<String>,
    /// Epoch ms; blank: now / never.
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub overlap_policy: Option<String>,
    pub catch_up: Option<String>,
    pub catch_up_horizon: Option<String>,
    pub tags: Option<String>,
    pub language: Option<String>,
    pub cluster_name: Option<String>,
    pub job_class: Option<String>,
    pub job_config: Option<String>,
    pub py_requirements: Option<String>,
    pub args: Option<String>,
    /// Maven coordinates, comma-separated.
    pub packages: Option<String>,
    #[serde(flatten)]
    pub memory: MemorySettingsForm,
    pub max_retries: Option<String>,
    pub jars: Vec<String>,
    pub files: Vec<String>,
    pub py_files: Vec<String>,
    /// Keys the form has no field for: refused by name (no setting is dropped silently).
    #[serde(flatten, skip_serializing)]
    #[specta(skip)]
    pub unknown: UnknownFields,
}

/// What `PUT /schedule/{id}` changes: each field given replaces the stored one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleUpdateForm {
    pub description: Option<String>,
    pub cron: Option<String>,
    pub time_zone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub overlap_policy: Option<String>,
    pub catch_up: Option<String>,
    pub catch_up_horizon: Option<String>,
    pub tags: Option<String>,
    pub job_class: Option<String>,
    pub job_config: Option<String>,
    pub py_requirements: Option<String>,
    pub args: Option<String>,
    pub packages: Option<String>,
    /// Given fields replace the schedule's; an empty one clears it.
    #[serde(flatten)]
    pub memory: MemorySettingsForm,
    pub max_retries: Option<String>,
    #[serde(flatten, skip_serializing)]
    #[specta(skip)]
    pub unknown: UnknownFields,
}

#[tauri::command]
#[specta::specta]
pub async fn create_schedule(engine: State<'_, Engine>, form: ScheduleCreateForm) -> Result<Schedule, IpcError> {
    // Both sides spelled out: a field added to either form does not compile until it is
    // passed on, so none is dropped on the way.
    let ScheduleCreateForm {
        name, description, cron, time_zone, start_time, end_time, overlap_policy, catch_up, catch_up_horizon, tags, language,
        cluster_name, job_class, job_config, py_requirements, args, packages, memory, max_retries, jars, files, py_files, unknown,
    } = form;
    refuse_unknown::<ScheduleCreateForm>("", &unknown)?;
    let staged = stage_files(&engine, jars, files, py_files).await?;
    let job = JobSubmission {
        name, tags, language, cluster_name, job_class, job_config, py_requirements, args, packages, memory, max_retries,
        jars: staged.jars,
        files: staged.files,
        py_files: staged.py_files,
    };
    let form = ScheduleForm { job, description, cron, time_zone, start_time, end_time, overlap_policy, catch_up, catch_up_horizon };
    Ok(engine.create_schedule(form).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_schedule(engine: State<'_, Engine>, id: String, form: ScheduleUpdateForm) -> Result<Schedule, IpcError> {
    let ScheduleUpdateForm {
        description, cron, time_zone, start_time, end_time, overlap_policy, catch_up, catch_up_horizon, tags, job_class, job_config,
        py_requirements, args, packages, memory, max_retries, unknown,
    } = form;
    refuse_unknown::<ScheduleUpdateForm>("", &unknown)?;
    let update = ScheduleUpdate {
        description, tags, job_config, cron, args, job_class, py_requirements, packages, memory, start_time, end_time, max_retries,
        time_zone, overlap_policy, catch_up, catch_up_horizon,
    };
    Ok(engine.update_schedule(&id, update).await?)
}

/// A page of schedules; no state filter lists all of them (REST defaults to ENABLED).
#[tauri::command]
#[specta::specta]
pub async fn list_schedules(engine: State<'_, Engine>, query: ScheduleQuery) -> Result<Page<Schedule>, IpcError> {
    Ok(engine.list_schedules(&query).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_schedule(engine: State<'_, Engine>, id: String) -> Result<Schedule, IpcError> {
    Ok(engine.get_schedule(&id).await?)
}

/// What a schedule's buttons do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ScheduleAction {
    Pause,
    Resume,
    /// DISABLED: no runs until resumed.
    Stop,
}

#[tauri::command]
#[specta::specta]
pub async fn schedule_action(engine: State<'_, Engine>, id: String, action: ScheduleAction) -> Result<Schedule, IpcError> {
    Ok(match action {
        ScheduleAction::Pause => engine.pause_schedule(&id).await?,
        ScheduleAction::Resume => engine.resume_schedule(&id).await?,
        ScheduleAction::Stop => engine.stop_schedule(&id).await?,
    })
}

/// A run now, whatever the schedule's state and its runs.
#[tauri::command]
#[specta::specta]
pub async fn run_schedule_now(engine: State<'_, Engine>, id: String) -> Result<Job, IpcError> {
    Ok(engine.run_schedule_now(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_schedule(engine: State<'_, Engine>, id: String) -> Result<(), IpcError> {
    Ok(engine.delete_schedule(&id).await?)
}

/// The next run times (epoch ms) of a cron in a time zone (blank: the machine's), or the
/// error naming the part at fault (`field` is `cron` or `timeZone`).
#[tauri::command]
#[specta::specta]
pub fn preview_cron(engine: State<'_, Engine>, cron: String, time_zone: String) -> Result<Vec<i64>, IpcError> {
    Ok(engine.preview_cron(&cron, &time_zone)?)
}
