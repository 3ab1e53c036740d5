//! `/job`: submit (multipart), list, get, stop, delete, logs, and the SSE stream of changes.

use std::convert::Infallible;

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use sparkdeck_engine::EngineError;
use sparkdeck_engine::EngineEvent;
use sparkdeck_engine::jobs::{JobQuery, JobSubmission, JobWatch};
use sparkdeck_engine::model::job::{Job, JobLog, JobState, JobType};
use sparkdeck_engine::model::paging::Page;
use sparkdeck_engine::model::wire::parse_pairs;
use tokio_stream::wrappers::BroadcastStream;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::query::{ListQuery, split_list};

/// Room for the text fields and multipart framing beyond the upload limit itself.
const FORM_OVERHEAD: u64 = 1024 * 1024;

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

fn form_error(field: &str, e: &MultipartError) -> ApiError {
    ApiError(EngineError::invalid(field, format!("the form could not be read: {}", e.body_text())))
}

async fn text_field(field: Field<'_>, name: &str) -> Result<String, ApiError> {
    field.text().await.map_err(|e| form_error(name, &e))
}

async fn submit(
    State(s): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    let mut multipart = multipart
        .map_err(|e| ApiError(EngineError::invalid("Content-Type", format!("a multipart/form-data body is expected: {}", e.body_text()))))?;
    let limit = s.engine.max_upload_bytes();
    let mut received: u64 = 0;
    let mut form = JobSubmission::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(form_error("body", &e)),
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "jars" | "files" | "pyFiles" => {
                let file_name = field.file_name().unwrap_or("").to_string();
                let mut upload = s.engine.begin_upload(&name, &file_name)?;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            received += chunk.len() as u64;
                            if received > limit {
                                return Err(ApiError(EngineError::invalid(
                                    name.as_str(),
                                    format!("the uploads are larger than the {limit} bytes allowed"),
                                )));
                            }
                            upload.write(&chunk)?;
                        }
                        Ok(None) => break,
                        Err(e) => return Err(form_error(&name, &e)),
                    }
                }
                let done = upload.finish()?;
                match name.as_str() {
                    "jars" => form.jars.push(done),
                    "files" => form.files.push(done),
                    _ => form.py_files.push(done),
                }
            }
            "name" => form.name = Some(text_field(field, &name).await?),
            "tags" => form.tags = Some(text_field(field, &name).await?),
            "language" => form.language = Some(text_field(field, &name).await?),
            "clusterName" => form.cluster_name = Some(text_field(field, &name).await?),
            "jobClass" => form.job_class = Some(text_field(field, &name).await?),
            "jobConfig" => form.job_config = Some(text_field(field, &name).await?),
            "pyRequirements" => form.py_requirements = Some(text_field(field, &name).await?),
            "args" => form.args = Some(text_field(field, &name).await?),
            // Unknown fields are ignored, as unknown JSON fields are elsewhere.
            _ => {}
        }
    }
    let job = s.engine.submit_job(form).await?;
    Ok(Json(json!({ "jobId": job.job_id })))
}

fn tags(q: &ListQuery) -> Result<std::collections::BTreeMap<String, String>, EngineError> {
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
    Ok(Json(s.engine.job_logs(&id, from, size).await?))
}

/// One `data:` event per job change that matches the filters.
async fn updates(
    State(s): State<AppState>,
    q: ListQuery,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let watch = JobWatch {
        job_ids: split_list(&q.job_ids),
        group_ids: split_list(&q.group_ids),
        cluster_names: split_list(&q.cluster_names),
        tags: tags(&q)?,
    };
    let events = BroadcastStream::new(s.engine.subscribe()).filter_map(move |event| {
        let out = match event {
            Ok(EngineEvent::JobChanged { job }) if watch.matches(&job) => {
                Event::default().json_data(&job).ok().map(Ok)
            }
            Ok(_) => None,
            Err(lagged) => {
                tracing::warn!(%lagged, "a job update stream fell behind; some changes were skipped");
                None
            }
        };
        std::future::ready(out)
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
