//! `/schedule`: schedules of single jobs (create and update as multipart forms), their
//! lifecycle (pause, resume, stop → DISABLED), the extension `POST /schedule/{id}/run`,
//! and the SSE stream of their changes (`/schedule/updates`).

use std::convert::Infallible;

use axum::Extension;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use serde_json::{Value, json};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::model::paging::Page;
use sparkdeck_engine::model::schedule::{Schedule, ScheduleState};
use sparkdeck_engine::{EngineError, EngineEvent, JobSubmission, ScheduleForm, ScheduleQuery, ScheduleUpdate};

use super::form::{self, FORM_OVERHEAD};
use super::jobs::tags;
use crate::error::ApiResult;
use crate::query::{ListQuery, split_list};
use crate::{AppState, sse};

/// The text fields of `scheduleCreation` this server takes, and the extensions.
const CREATE_TEXT: &[&str] = &[
    "name", "description", "cron", "tags", "language", "clusterName", "jobClass", "jobConfig", "args", "pyRequirements", "packages",
    "startTime", "endTime", "maxRetries", "timeZone", "overlapPolicy", "catchUp", "catchUpHorizon",
    "driverMemory", "executorMemory", "driverCores", "executorCores", "executors",
    "dynamicAllocation", "initialExecutors", "minExecutors", "maxExecutors",
];
/// The text fields of `scheduleUpdate` this server takes, and the extensions.
const UPDATE_TEXT: &[&str] = &[
    "description", "tags", "jobConfig", "cron", "args", "jobClass", "pyRequirements", "packages", "startTime", "endTime", "maxRetries",
    "timeZone", "overlapPolicy", "catchUp", "catchUpHorizon",
    "driverMemory", "executorMemory", "driverCores", "executorCores", "executors",
    "dynamicAllocation", "initialExecutors", "minExecutors", "maxExecutors",
];

pub(crate) fn routes(max_upload: u64) -> Router<AppState> {
    let body_limit = usize::try_from(max_upload.saturating_add(FORM_OVERHEAD)).unwrap_or(usize::MAX);
    Router::new()
        .route("/schedule", get(list).post(create).layer(DefaultBodyLimit::max(body_limit)))
        .route("/schedule/updates", get(updates))
        .route("/schedule/name/{schedule_name}", get(by_name))
        .route("/schedule/{schedule_id}", get(one).put(update).delete(remove))
        .route("/schedule/{schedule_id}/pause", post(pause))
        .route("/schedule/{schedule_id}/resume", post(resume))
        .route("/schedule/{schedule_id}/stop", post(stop))
        .route("/schedule/{schedule_id}/run", post(run_now))
}

async fn create(State(s): State<AppState>, multipart: Result<Multipart, MultipartRejection>) -> ApiResult<Json<Value>> {
    let mut f = form::read(&s.engine, multipart, CREATE_TEXT).await?;
    let job = JobSubmission {
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
        ..JobSubmission::default()
    };
    let form = ScheduleForm {
        description: f.text("description"),
        cron: f.text("cron"),
        time_zone: f.text("timeZone"),
        start_time: f.text("startTime"),
        end_time: f.text("endTime"),
        overlap_policy: f.text("overlapPolicy"),
        catch_up: f.text("catchUp"),
        catch_up_horizon: f.text("catchUpHorizon"),
        job: JobSubmission { jars: f.jars, files: f.files, py_files: f.py_files, ..job },
    };
    let schedule = s.engine.create_schedule(form).await?;
    Ok(Json(json!({ "scheduleId": schedule.id })))
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<()> {
    let mut f = form::read(&s.engine, multipart, UPDATE_TEXT).await?;
    for (field, files) in [("jars", f.jars.len()), ("files", f.files.len()), ("pyFiles", f.py_files.len())] {
        if files > 0 {
            return Err(EngineError::invalid(field, "a schedule's files are set when it is created; an update takes none").into());
        }
    }
    let update = ScheduleUpdate {
        description: f.text("description"),
        tags: f.text("tags"),
        job_config: f.text("jobConfig"),
        cron: f.text("cron"),
        args: f.text("args"),
        job_class: f.text("jobClass"),
        py_requirements: f.text("pyRequirements"),
        packages: f.text("packages"),
        memory: f.memory_settings(),
        start_time: f.text("startTime"),
        end_time: f.text("endTime"),
        max_retries: f.text("maxRetries"),
        time_zone: f.text("timeZone"),
        overlap_policy: f.text("overlapPolicy"),
        catch_up: f.text("catchUp"),
        catch_up_horizon: f.text("catchUpHorizon"),
    };
    s.engine.update_schedule(&id, update).await?;
    Ok(())
}

/// `scheduleStates` defaults to `ENABLED`, as the document says.
async fn list(State(s): State<AppState>, q: ListQuery) -> ApiResult<Json<Page<Schedule>>> {
    let states = match split_list(&q.schedule_states) {
        given if given.is_empty() => vec![ScheduleState::Enabled],
        given => given.iter().map(|t| ScheduleState::parse("scheduleStates", t)).collect::<Result<_, _>>()?,
    };
    let query = ScheduleQuery {
        states,
        crons: q.schedule_crons.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect(),
        job_states: split_list(&q.job_states).iter().map(|t| JobState::parse("jobStates", t)).collect::<Result<_, _>>()?,
        cluster_names: split_list(&q.cluster_names),
        tags: tags(&q)?,
        search: q.search(),
        page: q.page_request()?,
    };
    Ok(Json(s.engine.list_schedules(&query).await?))
}

async fn one(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Schedule>> {
    Ok(Json(s.engine.get_schedule(&id).await?))
}

async fn by_name(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<Schedule>> {
    Ok(Json(s.engine.get_schedule_by_name(&name).await?))
}

async fn remove(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.delete_schedule(&id).await?;
    Ok(())
}

async fn pause(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.pause_schedule(&id).await?;
    Ok(())
}

async fn resume(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.resume_schedule(&id).await?;
    Ok(())
}

async fn stop(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.stop_schedule(&id).await?;
    Ok(())
}

/// Extension: a run now, as a job with the schedule's `scheduleId`.
async fn run_now(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let job = s.engine.run_schedule_now(&id).await?;
    Ok(Json(json!({ "jobId": job.job_id })))
}

/// One `data:` event per schedule change (`scheduleIds` narrows them; deletions come as
/// `{"id", "deleted": true}`), and `resync` as on the other streams.
async fn updates(
    State(s): State<AppState>,
    closing: Option<Extension<sse::Closing>>,
    q: ListQuery,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let ids = split_list(&q.schedule_ids);
    Ok(sse::stream(s.engine.subscribe(), closing.map(|Extension(c)| c), move |event| match event {
        EngineEvent::ScheduleChanged { schedule } if ids.is_empty() || ids.contains(&schedule.id) => {
            Some(serde_json::to_value(&*schedule).unwrap_or(Value::Null))
        }
        EngineEvent::ScheduleDeleted { id, name } if ids.is_empty() || ids.contains(&id) => {
            Some(json!({ "id": id, "name": name, "deleted": true }))
        }
        _ => None,
    }))
}
