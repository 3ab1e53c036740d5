//! `/job`: submit (multipart), list, get, stop, delete, logs, and the SSE stream of changes.

use std::convert::Infallible;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::Extension;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use serde_json::{Value, json};
use sparkdeck_engine::EngineError;
use sparkdeck_engine::EngineEvent;
use sparkdeck_engine::{JobQuery, JobSubmission, JobWatch};
use sparkdeck_engine::model::job::{Job, JobLog, JobState, JobType};
use sparkdeck_engine::model::paging::Page;
use sparkdeck_engine::model::wire::parse_pairs;

use crate::{AppState, sse};
use super::form::{self, FORM_OVERHEAD};
use crate::error::ApiResult;
use crate::query::{ListQuery, split_list};

pub(crate) fn routes(max_upload: u64) -> Router<AppState> {
    let body_limit = usize::try_from(max_upload.saturating_add(FORM_OVERHEAD)).unwrap_or(usize::MAX);
    Router::new()
        .route("/job", get(list))
        .route("/job/submit", post(submit).layer(DefaultBodyLimit::max(body_limit)))
        .route("/job/updates", get(updates))
        .route("/job/{job_id}", get(one).delete(remove))
        .route("/job/{job_id}/stop", post(stop))
        .route("/job/{job_id}/resubmit", post(resubmit))
        .route("/job/{job_id}/logs", get(logs))
}

async fn submit(
    State(s): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    // The text fields of this form; every other part is a 409 (`form::read`).
    const TEXT: &[&str] = &[
        "name", "tags", "language", "clusterName", "jobClass", "jobConfig", "pyRequirements", "args", "packages", "maxRetries",
        "driverMemory", "executorMemory", "driverCores", "executorCores", "executors",
        "dynamicAllocation", "initialExecutors", "minExecutors", "maxExecutors",
    ];
    let mut f = form::read(&s.engine, multipart, TEXT).await?;
    let submission = JobSubmission {
        name: f.text("name"),
        tags: f.text("tags"),
        language: f.text("language"),
        cluster_name: f.text("clusterName"),
        job_class: f.text("jobClass"),
        job_config: f.text("jobConfig"),
        py_requirements: f.text("pyRequirements"),
        args: f.text("args"),
        packages: f.text("packages"),
        memory: f.memory_settings(),
        max_retries: f.text("maxRetries"),
        jars: f.jars,
        files: f.files,
        py_files: f.py_files,
    };
    let job = s.engine.submit_job(submission).await?;
    Ok(Json(json!({ "jobId": job.job_id })))
}

pub(crate) fn tags(q: &ListQuery) -> Result<std::collections::BTreeMap<String, String>, EngineError> {
    parse_pairs("tags", q.tags.as_deref().unwrap_or(""))
}

async fn list(State(s): State<AppState>, q: ListQuery) -> ApiResult<Json<Page<Job>>> {
    let query = JobQuery {
        job_types: split_list(&q.job_types).iter().map(|t| JobType::parse("jobTypes", t)).collect::<Result<_, _>>()?,
        states: split_list(&q.job_states).iter().map(|t| JobState::parse("jobStates", t)).collect::<Result<_, _>>()?,
        cluster_names: split_list(&q.cluster_names),
        tags: tags(&q)?,
        search: q.search(),
        page: q.page_request()?,
    };
    Ok(Json(s.engine.list_jobs(&query).await?))
}

async fn one(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Job>> {
    Ok(Json(s.engine.get_job(&id).await?))
}

async fn stop(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.stop_job(&id).await?;
    Ok(())
}

/// Extension: the same job again, as a new job with the same files and settings.
async fn resubmit(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let job = s.engine.resubmit_job(&id).await?;
    Ok(Json(json!({ "jobId": job.job_id })))
}

async fn remove(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.delete_job(&id).await?;
    Ok(())
}

async fn logs(State(s): State<AppState>, Path(id): Path<String>, q: ListQuery) -> ApiResult<Json<Vec<JobLog>>> {
    let from = q.int("from", &q.from)?;
    let size = q.int("logSize", &q.log_size)?;
    let log = q.log.as_deref().map(str::trim).filter(|l| !l.is_empty());
    Ok(Json(s.engine.job_log_windows(&id, log, from, size).await?))
}

/// One `data:` event per job change that matches the filters (and `resync`, see [`sse`]).
async fn updates(
    State(s): State<AppState>,
    closing: Option<Extension<sse::Closing>>,
    q: ListQuery,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let watch = JobWatch {
        job_ids: split_list(&q.job_ids),
        group_ids: split_list(&q.group_ids),
        cluster_names: split_list(&q.cluster_names),
        tags: tags(&q)?,
    };
    Ok(sse::stream(s.engine.subscribe(), closing.map(|Extension(c)| c), move |event| match event {
        EngineEvent::JobChanged { job } if watch.matches(&job) => Some(job),
        _ => None,
    }))
}
