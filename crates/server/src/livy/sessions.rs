//! `/sessions`: a Livy session is a CODE group of scale 1 tagged `livy=session`, its kind
//! the group's language, on the cluster `conf["sparkdeck.clusterName"]` names.

use std::path::PathBuf;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use sparkdeck_engine::livy_ids::{LivyEntry, LivyIdKind, NewLivyEntry};
use sparkdeck_engine::model::group::Group;
use sparkdeck_engine::model::memory_settings::MemorySettingsForm;
use sparkdeck_engine::{Engine, GroupForm};

use super::Livy;
use super::errors::{LivyError, LivyResult};
use super::forms::{check_proxy_user, create_with_id, job_config, local_paths, memory_form, read_files, take_cluster};
use super::logs::driver_log;
use super::wire::{self, Body, Kind, PagingQuery, path_id, session_state};

pub(crate) fn routes() -> Router<Livy> {
    Router::new()
        .route("/sessions", get(list).post(create))
        .route("/sessions/{id}", get(one).delete(remove))
        .route("/sessions/{id}/state", get(state))
        .route("/sessions/{id}/log", get(log))
        .route("/sessions/{id}/completion", post(completion))
}

/// The group form's field names that Livy's body calls otherwise.
const FORM_NAMES: &[(&str, &str)] = &[
    ("jarPaths", "jars"),
    ("jobConfig", "conf"),
    ("clusterName", "conf.sparkdeck.clusterName"),
    ("executors", "numExecutors"),
    ("language", "kind"),
];

const FIELDS: &[&str] = &[
    "kind", "name", "proxyUser", "conf", "jars", "pyFiles", "files", "driverMemory", "driverCores", "executorMemory",
    "executorCores", "numExecutors", "heartbeatTimeoutInSecond",
];

/// A session that exists: its id, what Livy keeps of it and its group.
pub(crate) struct Session {
    pub(crate) entry: LivyEntry,
    pub(crate) group: Group,
}

impl Session {
    pub(crate) fn kind(&self) -> Kind {
        self.entry.livy_kind.as_deref().and_then(|k| Kind::parse("kind", k).ok()).unwrap_or(Kind::PySpark)
    }

    /// The newest driver's job id.
    pub(crate) fn driver(&self) -> Option<&str> {
        self.group.jobs.first().map(|j| j.job_id.as_str())
    }

    /// Its Livy state (`busy` while its newest statement is queued or running).
    pub(crate) async fn state(&self, engine: &Engine) -> LivyResult<&'static str> {
        let last = engine.last_livy_statement(&self.group.id).await?;
        let running = match last {
            Some(statement) => engine.get_instance(&self.group.id, &statement.instance_id).await.is_ok_and(|i| !i.state.is_terminal()),
            None => false,
        };
        Ok(session_state(&self.group, running))
    }
}

/// Finds session `raw` (a path segment) and counts the call as its client's heartbeat.
pub(crate) async fn find(livy: &Livy, raw: &str) -> LivyResult<Session> {
    let not_found = || LivyError::not_found(format!("Session '{raw}' not found."));
    let id = path_id("Session", raw)?;
    let entry = livy.engine().livy_entry(LivyIdKind::Session, id).await?.ok_or_else(not_found)?;
    let group = match livy.engine().get_group(&entry.target_id).await {
        Ok(group) => group,
        Err(sparkdeck_engine::EngineError::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    livy.heartbeats().seen(id);
    Ok(Session { entry, group })
}

async fn view(livy: &Livy, session: &Session) -> LivyResult<Value> {
    let engine = livy.engine();
    let state = session.state(engine).await?;
    let driver = session.group.jobs.first();
    let spark_ui = match driver {
        Some(job) if !job.state.is_terminal() => engine.live_spark_ui(&job.job_id).await.ok().flatten(),
        _ => None,
    };
    let log = driver_log(engine, session.driver(), wire::Paging::default(), 10).await?.lines;
    let group = &session.group;
    let memory = &group.memory_settings;
    let conf: Map<String, Value> = group.job_config.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    // Jars by the path given; files and Python files by name (they were copied in).
    let files = engine.group_files(&group.id).await?;
    Ok(json!({
        "id": session.entry.id,
        "name": session.entry.name,
        "appId": driver.and_then(|j| j.app_id.clone()),
        "owner": super::owner(),
        "proxyUser": session.entry.proxy_user,
        "state": state,
        "kind": session.kind().as_str(),
        "appInfo": { "driverLogUrl": null, "sparkUiUrl": spark_ui },
        "log": log,
        "ttl": null,
        "idleTimeout": null,
        "driverMemory": memory.driver_memory,
        "driverCores": memory.driver_cores.unwrap_or(0),
        "executorMemory": memory.executor_memory,
        "executorCores": memory.executor_cores.unwrap_or(0),
        "numExecutors": memory.executors.unwrap_or(0),
        "conf": conf,
        "archives": [],
        "jars": files.jars,
        "pyFiles": files.py_files,
        "files": files.files,
        "heartbeatTimeoutInSecond": session.entry.heartbeat_seconds,
        "queue": null,
        // Extensions: the group this session is, and its cluster.
        "groupId": group.id,
        "clusterName": group.cluster_name,
    }))
}

async fn list(State(livy): State<Livy>, Query(q): Query<PagingQuery>) -> LivyResult<Json<Value>> {
    let paging = q.read()?;
    let from = paging.from.unwrap_or(0);
    let (total, entries) = livy.engine().livy_entries(LivyIdKind::Session, from, paging.size.unwrap_or(100).min(1000)).await?;
    let mut sessions = Vec::new();
    for entry in entries {
        // A group deleted through the platform API is no longer a session.
        if let Ok(group) = livy.engine().get_group(&entry.target_id).await {
            sessions.push(view(&livy, &Session { entry, group }).await?);
        }
    }
    Ok(Json(json!({ "from": from, "total": total, "sessions": sessions })))
}

async fn one(State(livy): State<Livy>, Path(id): Path<String>) -> LivyResult<Json<Value>> {
    let session = find(&livy, &id).await?;
    Ok(Json(view(&livy, &session).await?))
}

async fn state(State(livy): State<Livy>, Path(id): Path<String>) -> LivyResult<Json<Value>> {
    let session = find(&livy, &id).await?;
    Ok(Json(json!({ "id": session.entry.id, "state": session.state(livy.engine()).await? })))
}

async fn log(State(livy): State<Livy>, Path(id): Path<String>, Query(q): Query<PagingQuery>) -> LivyResult<Json<Value>> {
    let paging = q.read()?;
    let session = find(&livy, &id).await?;
    let page = driver_log(livy.engine(), session.driver(), paging, 100).await?;
    Ok(Json(json!({ "id": session.entry.id, "from": page.from, "total": page.total, "log": page.lines })))
}

async fn remove(State(livy): State<Livy>, Path(id): Path<String>) -> LivyResult<Json<Value>> {
    let session = find(&livy, &id).await?;
    delete_session(livy.engine(), &session.entry).await?;
    livy.heartbeats().forget(session.entry.id);
    Ok(Json(json!({ "msg": "deleted" })))
}

/// Deletes the session's group (its drivers stopped first) and unbinds its id.
pub(crate) async fn delete_session(engine: &Engine, entry: &LivyEntry) -> LivyResult<()> {
    match engine.delete_group(&entry.target_id).await {
        Ok(()) | Err(sparkdeck_engine::EngineError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    engine.release_livy_id(LivyIdKind::Session, entry.id).await?;
    tracing::info!(session = entry.id, group = %entry.target_id, "Livy session deleted");
    Ok(())
}

async fn completion(State(livy): State<Livy>, Path(id): Path<String>, Body(body): Body) -> LivyResult<Json<Value>> {
    let session = find(&livy, &id).await?;
    let code = wire::text(&body, "code")?.ok_or_else(|| LivyError::field("code", "is required"))?;
    let kind = Kind::from_body(&body, "kind")?.unwrap_or(session.kind());
    let cursor = wire::whole(&body, "cursor")?;
    let request = super::statements::complete_request(code, cursor, kind);
    let instance = livy.engine().execute_instance(&session.group.id, request).await?;
    Ok(Json(json!({ "candidates": instance.completions.unwrap_or_default() })))
}

/// A create body, checked before anything is stored.
struct NewSession {
    kind: Kind,
    name: Option<String>,
    proxy_user: Option<String>,
    conf: Vec<(String, String)>,
    cluster: Option<String>,
    jars: Vec<PathBuf>,
    py_files: Vec<PathBuf>,
    files: Vec<PathBuf>,
    memory: MemorySettingsForm,
    heartbeat_seconds: u32,
}

impl NewSession {
    fn read(body: &Map<String, Value>) -> LivyResult<Self> {
        wire::refuse_unknown(body, FIELDS)?;
        let kind = Kind::from_body(body, "kind")?.unwrap_or(Kind::PySpark);
        let mut conf = wire::conf(body)?;
        let cluster = take_cluster(&mut conf);
        Ok(Self {
            kind,
            name: wire::text(body, "name")?,
            proxy_user: check_proxy_user(wire::text(body, "proxyUser")?)?,
            conf,
            cluster,
            jars: local_paths(body, "jars")?,
            py_files: local_paths(body, "pyFiles")?,
            files: local_paths(body, "files")?,
            memory: memory_form(body)?,
            heartbeat_seconds: wire::whole(body, "heartbeatTimeoutInSecond")?.unwrap_or(0),
        })
    }
}

async fn create(State(livy): State<Livy>, Body(body): Body) -> LivyResult<(StatusCode, Json<Value>)> {
    let new = NewSession::read(&body)?;
    let engine = livy.engine();
    let files = read_files(engine, "files", new.files.clone()).await?;
    let py_files = read_files(engine, "pyFiles", new.py_files.clone()).await?;
    let reservation = NewLivyEntry {
        kind: LivyIdKind::Session,
        livy_kind: Some(new.kind.as_str().to_string()),
        name: new.name.clone(),
        proxy_user: new.proxy_user.clone(),
        heartbeat_seconds: new.heartbeat_seconds,
    };
    // Every statement kind runs on the driver; only the session's own interpreter is warmed
    // before it is idle (Scala costs seconds): the others start at their first statement,
    // unless `conf` names them in `sparkdeck.interpreters`.
    let group_form = |id: u32| GroupForm {
        name: Some(new.name.clone().unwrap_or_else(|| format!("livy-session-{id}"))),
        description: Some(format!("Livy session {id} ({})", new.kind.as_str())),
        kind: Some("CODE".into()),
        tags: Some(format!("livy=session;livyId={id}")),
        language: Some(super::statements::language(new.kind).as_str().into()),
        cluster_name: new.cluster.clone(),
        job_config: Some(job_config(&new.conf)),
        memory: new.memory,
        scale: Some(1),
        files,
        py_files,
        jar_paths: new.jars,
        ..GroupForm::default()
    };
    let (id, group) =
        create_with_id(engine, &reservation, FORM_NAMES, |id| engine.create_group(group_form(id)), |g: &Group| g.id.as_str()).await?;
    tracing::info!(session = id, group = %group.id, kind = new.kind.as_str(), "Livy session created");
    let session = find(&livy, &id.to_string()).await?;
    Ok((StatusCode::CREATED, Json(view(&livy, &session).await?)))
}

