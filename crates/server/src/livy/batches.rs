//! `/batches`: a batch is a single job tagged `livy=batch` (a `.py` script, or a jar with
//! `className`), shown in the Jobs page; DELETE stops it and forgets its Livy id (the job
//! stays in the job list, as any ended job does).

use std::path::Path as FsPath;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use sparkdeck_engine::livy_ids::{LivyEntry, LivyIdKind, NewLivyEntry};
use sparkdeck_engine::model::job::Job;
use sparkdeck_engine::{EngineError, JobSubmission};

use super::Livy;
use super::errors::{LivyError, LivyResult};
use super::logs::driver_log;
use super::forms::{check_proxy_user, create_with_id, job_config, local_path, local_paths, memory_form, read_files, take_cluster};
use super::wire::{self, Body, PagingQuery, batch_state, path_id};

pub(crate) fn routes() -> Router<Livy> {
    Router::new()
        .route("/batches", get(list).post(create))
        .route("/batches/{id}", get(one).delete(remove))
        .route("/batches/{id}/state", get(state))
        .route("/batches/{id}/log", get(log))
}

const FIELDS: &[&str] = &[
    "file", "className", "args", "name", "proxyUser", "conf", "jars", "pyFiles", "files", "driverMemory", "driverCores",
    "executorMemory", "executorCores", "numExecutors",
];

/// The job form's field names that Livy's body calls otherwise.
const FORM_NAMES: &[(&str, &str)] = &[
    ("jobClass", "className"),
    ("jobConfig", "conf"),
    ("clusterName", "conf.sparkdeck.clusterName"),
    ("executors", "numExecutors"),
];

struct Batch {
    entry: LivyEntry,
    job: Job,
}

async fn find(livy: &Livy, raw: &str) -> LivyResult<Batch> {
    let not_found = || LivyError::not_found(format!("Batch '{raw}' not found."));
    let id = path_id("Batch", raw)?;
    let entry = livy.engine().livy_entry(LivyIdKind::Batch, id).await?.ok_or_else(not_found)?;
    match livy.engine().get_job(&entry.target_id).await {
        Ok(job) => Ok(Batch { entry, job }),
        Err(EngineError::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

async fn view(livy: &Livy, batch: &Batch) -> LivyResult<Value> {
    let job = &batch.job;
    let spark_ui = if job.state.is_terminal() { None } else { livy.engine().live_spark_ui(&job.job_id).await.ok().flatten() };
    let log = driver_log(livy.engine(), Some(&job.job_id), wire::Paging::default(), 10).await?.lines;
    Ok(json!({
        "id": batch.entry.id,
        "name": batch.entry.name,
        "owner": super::owner(),
        "proxyUser": batch.entry.proxy_user,
        "state": batch_state(job),
        "appId": job.app_id,
        "appInfo": { "driverLogUrl": null, "sparkUiUrl": spark_ui },
        "log": log,
        // Extension: the job this batch is.
        "jobId": job.job_id,
    }))
}

async fn list(State(livy): State<Livy>, Query(q): Query<PagingQuery>) -> LivyResult<Json<Value>> {
    let paging = q.read()?;
    let from = paging.from.unwrap_or(0);
    let (total, entries) = livy.engine().livy_entries(LivyIdKind::Batch, from, paging.size.unwrap_or(100).min(1000)).await?;
    let mut sessions = Vec::new();
    for entry in entries {
        if let Ok(job) = livy.engine().get_job(&entry.target_id).await {
            sessions.push(view(&livy, &Batch { entry, job }).await?);
        }
    }
    Ok(Json(json!({ "from": from, "total": total, "sessions": sessions })))
}

async fn one(State(livy): State<Livy>, Path(id): Path<String>) -> LivyResult<Json<Value>> {
    let batch = find(&livy, &id).await?;
    Ok(Json(view(&livy, &batch).await?))
}

async fn state(State(livy): State<Livy>, Path(id): Path<String>) -> LivyResult<Json<Value>> {
    let batch = find(&livy, &id).await?;
    Ok(Json(json!({ "id": batch.entry.id, "state": batch_state(&batch.job) })))
}

async fn log(State(livy): State<Livy>, Path(id): Path<String>, Query(q): Query<PagingQuery>) -> LivyResult<Json<Value>> {
    let paging = q.read()?;
    let batch = find(&livy, &id).await?;
    let page = driver_log(livy.engine(), Some(&batch.job.job_id), paging, 100).await?;
    Ok(Json(json!({ "id": batch.entry.id, "from": page.from, "total": page.total, "log": page.lines })))
}

async fn remove(State(livy): State<Livy>, Path(id): Path<String>) -> LivyResult<Json<Value>> {
    let batch = find(&livy, &id).await?;
    if !batch.job.state.is_terminal() {
        match livy.engine().stop_job(&batch.job.job_id).await {
            Ok(_) | Err(EngineError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    livy.engine().release_livy_id(LivyIdKind::Batch, batch.entry.id).await?;
    Ok(Json(json!({ "msg": "deleted" })))
}

/// The main file: an absolute path to an existing `.py` file or jar.
fn main_file(body: &Map<String, Value>) -> LivyResult<(std::path::PathBuf, bool)> {
    let file = wire::text(body, "file")?.ok_or_else(|| LivyError::field("file", "is required: the .py script or jar to run"))?;
    let path = local_path("file", &file)?;
    let python = match path.extension().and_then(|e| e.to_str()) {
        Some("py") => true,
        Some("jar") => false,
        _ => return Err(LivyError::field("file", format!("'{file}' is not a .py file or a jar"))),
    };
    if !FsPath::new(&path).is_file() {
        return Err(LivyError::field("file", format!("'{file}' does not exist on this machine")));
    }
    Ok((path, python))
}

async fn create(State(livy): State<Livy>, Body(body): Body) -> LivyResult<(StatusCode, Json<Value>)> {
    wire::refuse_unknown(&body, FIELDS)?;
    let engine = livy.engine();
    let (file, python) = main_file(&body)?;
    let class_name = wire::text(&body, "className")?;
    if python && class_name.is_some() {
        return Err(LivyError::field("className", "is for jars; a .py file runs as a script"));
    }
    let args = wire::strings(&body, "args")?;
    if let Some(bad) = args.iter().find(|a| a.contains(';')) {
        return Err(LivyError::field("args", format!("'{bad}' contains ';', which Sparkdeck's argument list cannot hold")));
    }
    let mut conf = wire::conf(&body)?;
    let cluster = take_cluster(&mut conf);
    let name = wire::text(&body, "name")?;
    let proxy_user = check_proxy_user(wire::text(&body, "proxyUser")?)?;
    let memory = memory_form(&body)?;
    let (mut jars, mut py_files) = (local_paths(&body, "jars")?, local_paths(&body, "pyFiles")?);
    let files = local_paths(&body, "files")?;
    if python {
        py_files.insert(0, file.clone());
    } else {
        jars.insert(0, file.clone());
    }
    let jars = read_files(engine, "jars", jars).await?;
    let py_files = read_files(engine, "pyFiles", py_files).await?;
    let files = read_files(engine, "files", files).await?;
    let reservation = NewLivyEntry { kind: LivyIdKind::Batch, livy_kind: None, name: name.clone(), proxy_user, heartbeat_seconds: 0 };
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("batch");
    let submission = |id: u32| JobSubmission {
        name: Some(name.unwrap_or_else(|| format!("livy-batch-{id}-{stem}"))),
        tags: Some(format!("livy=batch;livyId={id}")),
        language: Some(if python { "PYTHON" } else { "SCALA" }.into()),
        cluster_name: cluster,
        job_class: class_name,
        job_config: Some(job_config(&conf)),
        args: Some(args.join(";")),
        memory,
        jars,
        files,
        py_files,
        ..JobSubmission::default()
    };
    let (id, job) =
        create_with_id(engine, &reservation, FORM_NAMES, |id| engine.submit_job(submission(id)), |j: &Job| j.job_id.as_str()).await?;
    tracing::info!(batch = id, job = %job.job_id, "Livy batch submitted");
    let batch = find(&livy, &id.to_string()).await?;
    Ok((StatusCode::CREATED, Json(view(&livy, &batch).await?)))
}
