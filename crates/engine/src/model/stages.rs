//! What a Spark application did, stage by stage and executor by executor (`GET /job/{id}/stages`,
//! `/executors`), and how two runs of a job differ (`/compare/{otherId}`). Read from the live
//! application's REST API or from its event log (`spark_app/`). Times are epoch milliseconds,
//! byte counts bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Minimum, median and maximum of the durations of a stage's successful tasks (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TaskDurations {
    pub min: i64,
    pub median: i64,
    pub max: i64,
}

/// One attempt of one stage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StageSummary {
    pub stage_id: i64,
    pub attempt_id: i64,
    pub name: String,
    /// As Spark names it: ACTIVE, COMPLETE, FAILED, PENDING or SKIPPED.
    pub status: String,
    pub num_tasks: i64,
    /// Tasks of this attempt that ended successfully (Spark's `numCompleteTasks`).
    pub completed_tasks: i64,
    pub failed_tasks: i64,
    /// 0 until submitted / completed.
    pub submission_time: i64,
    pub completion_time: i64,
    /// `completionTime - submissionTime` (till now while it runs; 0 before it starts).
    pub duration_ms: i64,
    pub input_bytes: i64,
    pub output_bytes: i64,
    pub shuffle_read_bytes: i64,
    pub shuffle_write_bytes: i64,
    pub memory_spilled_bytes: i64,
    pub disk_spilled_bytes: i64,
    pub executor_run_time_ms: i64,
    pub jvm_gc_time_ms: i64,
    /// Null before any task of the attempt succeeded.
    pub task_duration_ms: Option<TaskDurations>,
    /// Why the attempt failed, as Spark says it.
    pub failure_reason: Option<String>,
}

/// One executor (`driver` for the driver's own block manager, as Spark lists it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ExecutorSummary {
    pub id: String,
    pub host: String,
    pub is_active: bool,
    pub total_cores: i64,
    pub add_time: i64,
    /// 0 while it is there.
    pub remove_time: i64,
    pub remove_reason: Option<String>,
    pub active_tasks: i64,
    pub completed_tasks: i64,
    pub failed_tasks: i64,
    pub total_tasks: i64,
    /// Sum of its tasks' durations.
    pub total_duration_ms: i64,
    pub total_gc_time_ms: i64,
    pub total_input_bytes: i64,
    pub total_shuffle_read_bytes: i64,
    pub total_shuffle_write_bytes: i64,
    /// Storage memory of its block manager.
    pub max_memory: i64,
}

/// Where an answer came from: the running application's REST API or the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StagesSource {
    Live,
    EventLog,
    /// Nothing to read: the job never started, or it left no event log.
    None,
}

/// `GET /job/{id}/stages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct JobStages {
    pub stages: Vec<StageSummary>,
    pub source: StagesSource,
    /// What could not be read (a missing, cut or corrupt event log), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `GET /job/{id}/executors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct JobExecutors {
    pub executors: Vec<ExecutorSummary>,
    pub source: StagesSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A stage of one run matched with the stage of the same name in the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StageDelta {
    pub name: String,
    /// Null when the stage is only in the other run.
    pub stage_id: Option<i64>,
    pub other_stage_id: Option<i64>,
    pub duration_ms: i64,
    pub other_duration_ms: i64,
    /// `durationMs - otherDurationMs`.
    pub delta_ms: i64,
    pub input_bytes: i64,
    pub other_input_bytes: i64,
}

/// One setting whose value differs (null: not set in that run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SettingDiff {
    pub key: String,
    pub value: Option<String>,
    pub other_value: Option<String>,
}

/// `GET /job/{id}/compare/{otherId}`: this run against the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct JobComparison {
    pub job_id: String,
    pub other_job_id: String,
    /// `endTime - startTime` (till now while running; 0 before it starts).
    pub duration_ms: i64,
    pub other_duration_ms: i64,
    pub delta_ms: i64,
    pub input_bytes: i64,
    pub other_input_bytes: i64,
    /// Stages matched by name (in order where one name repeats), this run's order first.
    pub stages: Vec<StageDelta>,
    /// The name of the matched stage that grew most in time (null if none grew).
    pub slowest_stage: Option<String>,
    /// `jobConfig` keys whose value differs (secret values masked, as in the job view).
    pub config_diffs: Vec<SettingDiff>,
    pub args: Vec<String>,
    pub other_args: Vec<String>,
    /// What could not be read of either run's stages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `jobConfig` keys whose value differs between two runs, in key order.
pub fn config_diffs(this: &BTreeMap<String, String>, other: &BTreeMap<String, String>) -> Vec<SettingDiff> {
    let keys: std::collections::BTreeSet<&String> = this.keys().chain(other.keys()).collect();
    keys.into_iter()
        .filter(|k| this.get(*k) != other.get(*k))
        .map(|k| SettingDiff { key: k.clone(), value: this.get(k).cloned(), other_value: other.get(k).cloned() })
        .collect()
}
