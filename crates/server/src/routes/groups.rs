//! `/group`: groups of interactive drivers (create and update as multipart forms), their
//! lifecycle, the requests sent to them (execute, submit, results, cancel) and the SSE
//! stream of job instances.

use std::convert::Infallible;
use std::path::PathBuf;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::Extension;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use serde_json::{Value, json};
use sparkdeck_engine::{EngineError, EngineEvent};
use sparkdeck_engine::{GroupForm, GroupQuery, InstanceWatch};
use sparkdeck_engine::model::group::{Group, GroupKind, GroupRequest, GroupState, JobInstance, parse_scale};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::model::paging::Page;

use super::form::{self, FORM_OVERHEAD};
use super::jobs::tags;
use crate::{AppState, sse};
use crate::error::ApiResult;
use crate::json::JsonBody;
use crate::query::{ListQuery, split_list};

pub(crate) fn routes(max_upload: u64) -> Router<AppState> {
    let body_limit = usize::try_from(max_upload.saturating_add(FORM_OVERHEAD)).unwrap_or(usize::MAX);
    Router::new()
        .route("/group", get(list).post(create).layer(DefaultBodyLimit::max(body_limit)))
        .route("/group/job/result/updates", get(updates))
        .route("/group/name/{group_name}", get(by_name))
        .route("/group/{group_id}", get(one).put(update).delete(remove))
        .route("/group/{group_id}/stop", post(stop))
        .route("/group/{group_id}/restart", post(restart))
        .route("/group/{group_id}/pause", post(pause))
        .route("/group/{group_id}/resume", post(resume))
        .route("/group/{group_id}/rescale/{scale}", post(rescale))
        .route("/group/{group_id}/job/execute", post(execute))
        .route("/group/{group_id}/job/submit", post(submit))
        .route("/group/{group_id}/job/result", get(results))
        .route("/group/{group_id}/job/{instance_id}/cancel", post(cancel))
        .route("/group/{group_id}/job/{instance_id}/progress", get(progress))
}

/// The text fields of the group form, which create and update read alike (update refuses
/// the ones that cannot change, by name); every other part is a 409 (`form::read`).
const TEXT: &[&str] = &[
    "name", "description", "kind", "tags", "language", "clusterName", "jobConfig", "pyRequirements", "scale", "jarPaths", "watchJars",
    "autoPause", "packages", "driverMemory", "executorMemory", "driverCores", "executorCores", "executors",
    "dynamicAllocation", "initialExecutors", "minExecutors", "maxExecutors",
];

/// Extension: `jarPaths` are `;`-separated absolute paths on this machine (the API is
/// loopback-only), read like uploads; `watchJars=true` redeploys them when rebuilt.
fn group_form(mut f: form::Form) -> Result<GroupForm, EngineError> {
    let jar_paths = f.text("jarPaths").unwrap_or_default().split(';').map(str::trim).filter(|p| !p.is_empty()).map(PathBuf::from).collect();
    let watch_jars = boolean("watchJars", f.text("watchJars"))?.unwrap_or(false);
    // Blank is not given: off on create, unchanged on update.
    let auto_pause = boolean("autoPause", f.text("autoPause"))?;
    Ok(GroupForm {
        name: f.text("name"),
        description: f.text("description"),
        kind: f.text("kind"),
        tags: f.text("tags"),
        language: f.text("language"),
        cluster_name: f.text("clusterName"),
        job_config: f.text("jobConfig"),
        py_requirements: f.text("pyRequirements"),
        packages: f.text("packages"),
        memory: f.memory_settings(),
        // A blank scale is not given (the default on create, unchanged on update).
        scale: f.text("scale").filter(|s| !s.trim().is_empty()).map(|s| parse_scale("scale", &s)).transpose()?,
        jars: f.jars,
        files: f.files,
        py_files: f.py_files,
        jar_paths,
        watch_jars,
        auto_pause,
    })
}

/// A `true`/`false` field; absent or blank is `None`.
fn boolean(field: &str, value: Option<String>) -> Result<Option<bool>, EngineError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(EngineError::invalid(field, format!("'{other}' is not true or false"))),
    }
}

async fn create(State(s): State<AppState>, multipart: Result<Multipart, MultipartRejection>) -> ApiResult<Json<Value>> {
    let f = form::read(&s.engine, multipart, TEXT).await?;
    let group = s.engine.create_group(group_form(f)?).await?;
    Ok(Json(json!({ "groupId": group.id })))
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<()> {
    let f = form::read(&s.engine, multipart, TEXT).await?;
    s.engine.update_group(&id, group_form(f)?).await?;
    Ok(())
}

async fn list(State(s): State<AppState>, q: ListQuery) -> ApiResult<Json<Page<Group>>> {
    let query = GroupQuery {
        states: split_list(&q.group_states).iter().map(|t| GroupState::parse("groupStates", t)).collect::<Result<_, _>>()?,
        kinds: split_list(&q.group_kinds).iter().map(|t| GroupKind::parse("groupKinds", t)).collect::<Result<_, _>>()?,
        job_states: split_list(&q.job_states).iter().map(|t| JobState::parse("jobStates", t)).collect::<Result<_, _>>()?,
        cluster_names: split_list(&q.cluster_names),
        tags: tags(&q)?,
        search: q.search(),
        page: q.page_request()?,
    };
    Ok(Json(s.engine.list_groups(&query).await?))
}

async fn one(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Group>> {
    Ok(Json(s.engine.get_group(&id).await?))
}

async fn by_name(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<Group>> {
    Ok(Json(s.engine.get_group_by_name(&name).await?))
}

async fn remove(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.delete_group(&id).await?;
    Ok(())
}

async fn stop(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.stop_group(&id).await?;
    Ok(())
}

async fn restart(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.restart_group(&id).await?;
    Ok(())
}

async fn pause(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.pause_group(&id).await?;
    Ok(())
}

async fn resume(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    s.engine.resume_group(&id).await?;
    Ok(())
}

async fn rescale(State(s): State<AppState>, Path((id, scale)): Path<(String, String)>) -> ApiResult<()> {
    s.engine.rescale_group(&id, parse_scale("scale", &scale)?).await?;
    Ok(())
}

async fn execute(State(s): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<Value>) -> ApiResult<Json<JobInstance>> {
    let (request, options) = GroupRequest::from_body(&body)?;
    Ok(Json(s.engine.execute_instance_with(&id, request, options).await?))
}

async fn submit(State(s): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<Value>) -> ApiResult<Json<Value>> {
    let (request, options) = GroupRequest::from_body(&body)?;
    let instance = s.engine.submit_instance_with(&id, request, options).await?;
    Ok(Json(json!({ "jobInstanceId": instance.job_instance_id })))
}

async fn results(State(s): State<AppState>, Path(id): Path<String>, q: ListQuery) -> ApiResult<Json<Page<JobInstance>>> {
    let search = q.search();
    Ok(Json(s.engine.list_instances(&id, search.as_deref(), &q.page_request()?).await?))
}

async fn cancel(State(s): State<AppState>, Path((id, instance)): Path<(String, String)>) -> ApiResult<Json<JobInstance>> {
    Ok(Json(s.engine.cancel_instance(&id, &instance).await?))
}

/// Extension: how far a request is, `{"progress": 0..1}` (0 queued, 1 ended).
async fn progress(State(s): State<AppState>, Path((id, instance)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    // Only the group's own instances.
    s.engine.get_instance(&id, &instance).await?;
    Ok(Json(json!({ "progress": s.engine.instance_progress(&instance).await? })))
}

/// One `data:` event per change of a matching job instance.
async fn updates(
    State(s): State<AppState>,
    closing: Option<Extension<sse::Closing>>,
    q: ListQuery,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let watch = InstanceWatch {
        job_ids: split_list(&q.job_ids),
        group_ids: split_list(&q.group_ids),
        cluster_names: split_list(&q.cluster_names),
        group_names: split_list(&q.group_names),
        tags: tags(&q)?,
    };
    Ok(sse::stream(s.engine.subscribe(), closing.map(|Extension(c)| c), move |event| match event {
        EngineEvent::JobInstanceChanged { instance, group_name, cluster_name, tags }
            if watch.matches(&instance, &group_name, &cluster_name, &tags) =>
        {
            Some(instance)
        }
        _ => None,
    }))
}
