//! Inside a job's Spark application: its stages and executors, the previous run of its name,
//! and the comparison of two runs (the job window's Stages tab).

use sparkdeck_engine::Engine;
use sparkdeck_engine::model::job::Job;
use sparkdeck_engine::model::stages::{JobComparison, JobExecutors, JobStages};
use tauri::State;

use crate::error::IpcError;

#[tauri::command]
#[specta::specta]
pub async fn job_stages(engine: State<'_, Engine>, id: String) -> Result<JobStages, IpcError> {
    Ok(engine.job_stages(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn job_executors(engine: State<'_, Engine>, id: String) -> Result<JobExecutors, IpcError> {
    Ok(engine.job_executors(&id).await?)
}

/// The last ended run of the same name before this one (null: none).
#[tauri::command]
#[specta::specta]
pub async fn previous_run(engine: State<'_, Engine>, id: String) -> Result<Option<Job>, IpcError> {
    Ok(engine.previous_run(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn compare_jobs(engine: State<'_, Engine>, id: String, other_id: String) -> Result<JobComparison, IpcError> {
    Ok(engine.compare_jobs(&id, &other_id).await?)
}
