//! Single jobs: submit from local files, list, inspect, stop, delete, read and follow logs.

use serde::{Deserialize, Serialize};
use sparkdeck_engine::{JobQuery, JobSubmission};
use sparkdeck_engine::model::form::{UnknownFields, refuse_unknown};
use sparkdeck_engine::model::job::{Job, JobLog};
use sparkdeck_engine::model::memory_settings::MemorySettingsForm;
use sparkdeck_engine::model::paging::Page;
use sparkdeck_engine::spark_env::SparkStatus;
use sparkdeck_engine::Engine;
use tauri::ipc::Channel;
use tauri::State;

use super::staging::stage_files;
use crate::error::IpcError;

/// The submit form as the desktop sends it: text fields as in the REST form, and the
/// paths of the files the user dropped or picked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct JobForm {
    pub name: Option<String>,
    pub tags: Option<String>,
    pub language: Option<String>,
    pub cluster_name: Option<String>,
    pub job_class: Option<String>,
    pub job_config: Option<String>,
    pub py_requirements: Option<String>,
    pub args: Option<String>,
    /// Maven coordinates, comma-separated.
    pub packages: Option<String>,
    /// `driverMemory`, `executors`, …: the same fields as in the REST form.
    #[serde(flatten)]
    pub memory: MemorySettingsForm,
    /// How often a failed attempt is submitted again (0–10).
    pub max_retries: Option<String>,
    pub jars: Vec<String>,
    pub files: Vec<String>,
    pub py_files: Vec<String>,
    /// Keys the form has no field for: refused by name (no setting is dropped silently).
    #[serde(flatten, skip_serializing)]
    #[specta(skip)]
    pub unknown: UnknownFields,
}

/// Copies the chosen files into the engine's artifact store and submits.
#[tauri::command]
#[specta::specta]
pub async fn submit_job(engine: State<'_, Engine>, form: JobForm) -> Result<Job, IpcError> {
    let JobForm {
        name, tags, language, cluster_name, job_class, job_config, py_requirements, args, packages, memory, max_retries, jars, files, py_files,
        unknown,
    } = form;
    refuse_unknown::<JobForm>("", &unknown)?;
    let staged = stage_files(&engine, jars, files, py_files).await?;
    let submission = JobSubmission {
        name,
        tags,
        language,
        cluster_name,
        job_class,
        job_config,
        py_requirements,
        args,
        packages,
        memory,
        max_retries,
        jars: staged.jars,
        files: staged.files,
        py_files: staged.py_files,
    };
    Ok(engine.submit_job(submission).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_jobs(engine: State<'_, Engine>, query: JobQuery) -> Result<Page<Job>, IpcError> {
    Ok(engine.list_jobs(&query).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_job(engine: State<'_, Engine>, id: String) -> Result<Job, IpcError> {
    Ok(engine.get_job(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn stop_job(engine: State<'_, Engine>, id: String) -> Result<Job, IpcError> {
    Ok(engine.stop_job(&id).await?)
}

/// The same job again, as a new job with the same files and settings.
#[tauri::command]
#[specta::specta]
pub async fn resubmit_job(engine: State<'_, Engine>, id: String) -> Result<Job, IpcError> {
    Ok(engine.resubmit_job(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_job(engine: State<'_, Engine>, id: String) -> Result<(), IpcError> {
    Ok(engine.delete_job(&id).await?)
}

/// A window of every log of a job, as `GET /job/{id}/logs` answers.
#[tauri::command]
#[specta::specta]
pub async fn job_logs(engine: State<'_, Engine>, id: String, from: Option<i64>, size: Option<i64>) -> Result<Vec<JobLog>, IpcError> {
    Ok(engine.job_logs(&id, from, size).await?)
}

/// Streams one log from line `from`: what is there, then new lines as they are written,
/// in batches, until the job ends or the window stops listening.
#[tauri::command]
#[specta::specta]
pub async fn follow_job_log(
    engine: State<'_, Engine>,
    id: String,
    resource: String,
    from: u32,
    on_lines: Channel<Vec<String>>,
) -> Result<(), IpcError> {
    let mut lines = engine.follow_log(&id, &resource, u64::from(from)).await?;
    tauri::async_runtime::spawn(async move {
        let mut batch = Vec::with_capacity(512);
        while lines.recv_many(&mut batch, 2048).await > 0 {
            if on_lines.send(std::mem::take(&mut batch)).is_err() {
                break; // the window closed
            }
        }
    });
    Ok(())
}

/// Java and Spark as found on this machine (for Settings), or what is missing.
#[tauri::command]
#[specta::specta]
pub async fn spark_status(engine: State<'_, Engine>) -> Result<SparkStatus, IpcError> {
    Ok(engine.spark_status().await)
}
