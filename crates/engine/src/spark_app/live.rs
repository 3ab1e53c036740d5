//! The running application's own REST API (`{ui}/api/v1/applications/{appId}/…`, served by
//! its Spark UI): stages, each stage's task-duration quantiles (`taskSummary`), and all
//! executors. Every request has a short timeout: a slow or gone driver makes the caller fall
//! back to the event log instead of hanging a page.

use std::sync::LazyLock;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use crate::model::stages::{ExecutorSummary, StageSummary, TaskDurations};

/// One request to the driver's UI; the whole answer is a few of them, partly in parallel.
const TIMEOUT: Duration = Duration::from_millis(1500);
/// Quantile requests at once, and for how many stages (the newest; older ones get none).
const PARALLEL: usize = 8;
const MAX_QUANTILE_STAGES: usize = 200;

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder().timeout(TIMEOUT).no_proxy().build().unwrap_or_else(|_| reqwest::Client::new())
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StageData {
    stage_id: i64,
    #[serde(default)]
    attempt_id: i64,
    #[serde(default)]
    name: String,
    status: String,
    #[serde(default)]
    num_tasks: i64,
    #[serde(default)]
    num_complete_tasks: i64,
    #[serde(default)]
    num_failed_tasks: i64,
    submission_time: Option<String>,
    completion_time: Option<String>,
    failure_reason: Option<String>,
    #[serde(default)]
    executor_run_time: i64,
    #[serde(default)]
    jvm_gc_time: i64,
    #[serde(default)]
    input_bytes: i64,
    #[serde(default)]
    output_bytes: i64,
    #[serde(default)]
    shuffle_read_bytes: i64,
    #[serde(default)]
    shuffle_write_bytes: i64,
    #[serde(default)]
    memory_bytes_spilled: i64,
    #[serde(default)]
    disk_bytes_spilled: i64,
}

#[derive(Deserialize)]
struct TaskSummary {
    #[serde(default)]
    duration: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutorData {
    id: String,
    #[serde(default)]
    host_port: String,
    #[serde(default)]
    is_active: bool,
    #[serde(default)]
    total_cores: i64,
    add_time: Option<String>,
    remove_time: Option<String>,
    remove_reason: Option<String>,
    #[serde(default)]
    active_tasks: i64,
    #[serde(default)]
    completed_tasks: i64,
    #[serde(default)]
    failed_tasks: i64,
    #[serde(default)]
    total_tasks: i64,
    #[serde(default)]
    total_duration: i64,
    #[serde(rename = "totalGCTime", default)]
    total_gc_time: i64,
    #[serde(default)]
    total_input_bytes: i64,
    #[serde(default)]
    total_shuffle_read: i64,
    #[serde(default)]
    total_shuffle_write: i64,
    #[serde(default)]
    max_memory: i64,
}

#[derive(Deserialize)]
struct Application {
    id: String,
}

/// Spark's REST dates (`2026-12-01T15:52:49.611GMT`) as epoch ms; 0 when absent or odd.
fn epoch_ms(date: Option<&str>) -> i64 {
    date.and_then(|d| chrono::NaiveDateTime::parse_from_str(d.trim_end_matches("GMT"), "%Y-%m-%dT%H:%M:%S%.3f").ok())
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

async fn get<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    let answer = CLIENT.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = answer.status();
    if !status.is_success() {
        return Err(format!("{url}: HTTP {status}"));
    }
    answer.json().await.map_err(|e| format!("{url}: {e}"))
}

/// The application's id at `ui`: `known` when the engine has it, else the one it serves.
async fn app_id(ui: &str, known: Option<&str>) -> Result<String, String> {
    if let Some(id) = known {
        return Ok(id.to_string());
    }
    let apps: Vec<Application> = get(&format!("{ui}/api/v1/applications")).await?;
    apps.into_iter().next().map(|a| a.id).ok_or_else(|| "the Spark UI lists no application".to_string())
}

/// The stages of the application served at `ui` (its Spark UI's base URL).
pub(crate) async fn stages(ui: &str, known_app: Option<&str>, now: i64) -> Result<Vec<StageSummary>, String> {
    let app = format!("{ui}/api/v1/applications/{}", app_id(ui, known_app).await?);
    let data: Vec<StageData> = get(&format!("{app}/stages")).await?;
    let mut stages: Vec<StageSummary> = data.into_iter().map(|d| summary(d, now)).collect();
    stages.sort_by_key(|s| (s.stage_id, s.attempt_id));
    // Quantiles of the newest stages that ran a task.
    let wanted: Vec<usize> =
        (0..stages.len()).rev().filter(|i| stages[*i].completed_tasks > 0).take(MAX_QUANTILE_STAGES).collect();
    let quantiles: Vec<(usize, Option<TaskDurations>)> = futures::stream::iter(wanted)
        .map(|i| {
            let url = format!("{app}/stages/{}/{}/taskSummary?quantiles=0,0.5,1.0", stages[i].stage_id, stages[i].attempt_id);
            async move {
                let summary: TaskSummary = get(&url).await?;
                let q = |n: usize| summary.duration.get(n).map(|v| *v as i64);
                Ok::<_, String>((i, q(0).zip(q(1)).zip(q(2)).map(|((min, median), max)| TaskDurations { min, median, max })))
            }
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    for (i, q) in quantiles {
        stages[i].task_duration_ms = q;
    }
    Ok(stages)
}

fn summary(d: StageData, now: i64) -> StageSummary {
    let submission_time = epoch_ms(d.submission_time.as_deref());
    let completion_time = epoch_ms(d.completion_time.as_deref());
    let until = if completion_time > 0 { completion_time } else { now };
    StageSummary {
        stage_id: d.stage_id,
        attempt_id: d.attempt_id,
        name: d.name,
        status: d.status,
        num_tasks: d.num_tasks,
        completed_tasks: d.num_complete_tasks,
        failed_tasks: d.num_failed_tasks,
        submission_time,
        completion_time,
        duration_ms: if submission_time > 0 { (until - submission_time).max(0) } else { 0 },
        input_bytes: d.input_bytes,
        output_bytes: d.output_bytes,
        shuffle_read_bytes: d.shuffle_read_bytes,
        shuffle_write_bytes: d.shuffle_write_bytes,
        memory_spilled_bytes: d.memory_bytes_spilled,
        disk_spilled_bytes: d.disk_bytes_spilled,
        executor_run_time_ms: d.executor_run_time,
        jvm_gc_time_ms: d.jvm_gc_time,
        task_duration_ms: None,
        failure_reason: d.failure_reason,
    }
}

/// Every executor the application had (`allexecutors`: removed ones too), the driver first.
pub(crate) async fn executors(ui: &str, known_app: Option<&str>) -> Result<Vec<ExecutorSummary>, String> {
    let app = format!("{ui}/api/v1/applications/{}", app_id(ui, known_app).await?);
    let data: Vec<ExecutorData> = get(&format!("{app}/allexecutors")).await?;
    let mut list: Vec<ExecutorSummary> = data
        .into_iter()
        .map(|x| ExecutorSummary {
            host: x.host_port.rsplit_once(':').map_or(x.host_port.clone(), |(h, _)| h.to_string()),
            id: x.id,
            is_active: x.is_active,
            total_cores: x.total_cores,
            add_time: epoch_ms(x.add_time.as_deref()),
            remove_time: epoch_ms(x.remove_time.as_deref()),
            remove_reason: x.remove_reason,
            active_tasks: x.active_tasks,
            completed_tasks: x.completed_tasks,
            failed_tasks: x.failed_tasks,
            total_tasks: x.total_tasks,
            total_duration_ms: x.total_duration,
            total_gc_time_ms: x.total_gc_time,
            total_input_bytes: x.total_input_bytes,
            total_shuffle_read_bytes: x.total_shuffle_read,
            total_shuffle_write_bytes: x.total_shuffle_write,
            max_memory: x.max_memory,
        })
        .collect();
    list.sort_by_key(|x| (x.id != "driver", x.id.parse::<u64>().unwrap_or(u64::MAX), x.id.clone()));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_rest_dates_are_epoch_ms() {
        assert_eq!(epoch_ms(Some("1970-01-01T00:00:01.250GMT")), 1250);
        assert_eq!(epoch_ms(Some("not a date")), 0);
        assert_eq!(epoch_ms(None), 0);
    }

    /// A stand-in for a driver's Spark UI answering as Spark 4 does (fields as its REST API
    /// documents them), and one that does not answer at all.
    #[tokio::test]
    async fn stages_quantiles_and_executors_from_a_spark_ui() {
        use axum::routing::get as route;
        let app = axum::Router::new()
            .route("/api/v1/applications", route(|| async { axum::Json(serde_json::json!([{"id": "local-1", "name": "x"}])) }))
            .route(
                "/api/v1/applications/local-1/stages",
                route(|| async {
                    axum::Json(serde_json::json!([
                        {"status": "ACTIVE", "stageId": 1, "attemptId": 0, "numTasks": 4, "numCompleteTasks": 1, "numFailedTasks": 0,
                         "submissionTime": "1970-01-01T00:00:10.000GMT", "name": "collect at x.py:3", "shuffleReadBytes": 70, "unknown": 1},
                        {"status": "COMPLETE", "stageId": 0, "attemptId": 0, "numTasks": 2, "numCompleteTasks": 2,
                         "submissionTime": "1970-01-01T00:00:01.000GMT", "completionTime": "1970-01-01T00:00:03.500GMT",
                         "name": "map at x.py:2", "shuffleWriteBytes": 70, "memoryBytesSpilled": 5}
                    ]))
                }),
            )
            .route(
                "/api/v1/applications/local-1/stages/{id}/{attempt}/taskSummary",
                route(|axum::extract::Path((id, _)): axum::extract::Path<(i64, i64)>| async move {
                    axum::Json(serde_json::json!({"quantiles": [0.0, 0.5, 1.0], "duration": [id as f64 * 10.0, 20.0, 900.4]}))
                }),
            )
            .route(
                "/api/v1/applications/local-1/allexecutors",
                route(|| async {
                    axum::Json(serde_json::json!([
                        {"id": "1", "hostPort": "10.0.0.2:4000", "isActive": false, "totalCores": 2, "removeReason": "lost",
                         "addTime": "1970-01-01T00:00:01.000GMT", "removeTime": "1970-01-01T00:00:09.000GMT", "totalTasks": 3, "totalGCTime": 7},
                        {"id": "driver", "hostPort": "127.0.0.1:4001", "isActive": true, "maxMemory": 1000}
                    ]))
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ui = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        let listed = stages(&ui, None, 12_000).await.unwrap();
        let got: Vec<(i64, &str, i64, Option<TaskDurations>)> =
            listed.iter().map(|s| (s.stage_id, s.status.as_str(), s.duration_ms, s.task_duration_ms)).collect();
        assert_eq!(got, [
            (0, "COMPLETE", 2500, Some(TaskDurations { min: 0, median: 20, max: 900 })),
            (1, "ACTIVE", 2000, Some(TaskDurations { min: 10, median: 20, max: 900 })),
        ]);
        assert_eq!((listed[0].shuffle_write_bytes, listed[0].memory_spilled_bytes, listed[1].shuffle_read_bytes), (70, 5, 70));
        let all = executors(&ui, Some("local-1")).await.unwrap();
        let ids: Vec<(&str, &str, bool)> = all.iter().map(|x| (x.id.as_str(), x.host.as_str(), x.is_active)).collect();
        assert_eq!(ids, [("driver", "127.0.0.1", true), ("1", "10.0.0.2", false)]);
        assert_eq!((all[1].remove_time, all[1].total_gc_time_ms, all[1].remove_reason.as_deref()), (9000, 7, Some("lost")));
        assert!(stages(&ui, Some("other-app"), 0).await.unwrap_err().contains("404"));
        server.abort();

        let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", gone.local_addr().unwrap());
        drop(gone);
        assert!(stages(&url, None, 0).await.is_err(), "a UI that is gone is an error to fall back from");
    }
}
