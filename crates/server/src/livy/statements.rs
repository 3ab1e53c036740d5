//! `/sessions/{id}/statements`: a statement is a code request to the session's group,
//! numbered per session from 0; its `kind` picks the driver's interpreter.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sparkdeck_engine::Engine;
use sparkdeck_engine::livy_ids::LivyStatementRef;
use sparkdeck_engine::model::group::{GroupRequest, JobInstance};
use sparkdeck_engine::model::job::Language;

use super::Livy;
use super::errors::{LivyError, LivyResult};
use super::sessions::{Session, find};
use super::wire::{self, Body, Kind, PagingQuery, is_ended, path_id, statement_output, statement_state};

pub(crate) fn routes() -> Router<Livy> {
    Router::new()
        .route("/sessions/{id}/statements", get(list).post(create))
        .route("/sessions/{id}/statements/{sid}", get(one))
        .route("/sessions/{id}/statements/{sid}/cancel", post(cancel))
}

/// The interpreter of a kind: the group's language, or a request's.
pub(crate) fn language(kind: Kind) -> Language {
    match kind {
        Kind::PySpark => Language::Python,
        Kind::Spark => Language::Scala,
        Kind::Sql => Language::Sql,
    }
}

pub(crate) fn code_request(code: String, kind: Kind) -> GroupRequest {
    GroupRequest::InteractiveCodeExecute { code, language: Some(language(kind)) }
}

pub(crate) fn complete_request(code: String, cursor: Option<u32>, kind: Kind) -> GroupRequest {
    GroupRequest::InteractiveCodeComplete { code, cursor, language: Some(language(kind)) }
}

/// Livy's progress: 0 while waiting, Spark's job progress while running, 1 once ended.
async fn progress(engine: &Engine, instance: &JobInstance) -> f64 {
    if instance.state.is_terminal() {
        return 1.0;
    }
    engine.instance_progress(&instance.job_instance_id).await.unwrap_or(0.0)
}

async fn view(engine: &Engine, statement: &LivyStatementRef, instance: &JobInstance) -> Value {
    json!({
        "id": statement.id,
        "code": instance.code,
        "state": statement_state(instance, statement.cancel_requested),
        "output": statement_output(statement.id, instance),
        "progress": progress(engine, instance).await,
        "started": instance.start_time,
        "completed": instance.end_time,
        // Extensions: the interpreter it ran in, and the group request it is.
        "kind": statement.livy_kind,
        "jobInstanceId": instance.job_instance_id,
    })
}

async fn statement_of(livy: &Livy, session: &Session, raw: &str) -> LivyResult<(LivyStatementRef, JobInstance)> {
    let not_found = || LivyError::not_found(format!("Statement '{raw}' not found in session {}.", session.entry.id));
    let sid = path_id("Statement", raw)?;
    let statement = livy.engine().livy_statement(&session.group.id, sid).await?.ok_or_else(not_found)?;
    let instance = match livy.engine().get_instance(&session.group.id, &statement.instance_id).await {
        Ok(instance) => instance,
        Err(sparkdeck_engine::EngineError::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    Ok((statement, instance))
}

async fn create(State(livy): State<Livy>, Path(id): Path<String>, Body(body): Body) -> LivyResult<(StatusCode, Json<Value>)> {
    let session = find(&livy, &id).await?;
    wire::refuse_unknown(&body, &["code", "kind"])?;
    let code = wire::text(&body, "code")?.unwrap_or_default();
    if code.trim().is_empty() {
        return Err(LivyError::field("code", "is empty: a statement needs code to run"));
    }
    let kind = Kind::from_body(&body, "kind")?.unwrap_or(session.kind());
    let state = session.state(livy.engine()).await?;
    if is_ended(state) {
        return Err(LivyError::bad_request(format!("session {} is {state}: it takes no statements", session.entry.id)));
    }
    let (instance, sid) = livy
        .engine()
        .submit_livy_statement(&session.group.id, code_request(code, kind), kind.as_str())
        .await
        .map_err(|e| LivyError::from_form(e, &[]))?;
    let statement = LivyStatementRef { id: sid, instance_id: instance.job_instance_id.clone(), livy_kind: kind.as_str().into(), cancel_requested: false };
    Ok((StatusCode::CREATED, Json(view(livy.engine(), &statement, &instance).await)))
}

async fn list(State(livy): State<Livy>, Path(id): Path<String>, Query(q): Query<PagingQuery>) -> LivyResult<Json<Value>> {
    let (paging, newest_first) = (q.read()?, q.newest_first()?);
    let session = find(&livy, &id).await?;
    let (from, size) = (paging.from.unwrap_or(0), paging.size.unwrap_or(1000).min(1000));
    let (total, statements) = livy.engine().livy_statements(&session.group.id, from, size, newest_first).await?;
    let mut out = Vec::new();
    for statement in statements {
        if let Ok(instance) = livy.engine().get_instance(&session.group.id, &statement.instance_id).await {
            out.push(view(livy.engine(), &statement, &instance).await);
        }
    }
    Ok(Json(json!({ "total_statements": total, "statements": out })))
}

async fn one(State(livy): State<Livy>, Path((id, sid)): Path<(String, String)>) -> LivyResult<Json<Value>> {
    let session = find(&livy, &id).await?;
    let (statement, instance) = statement_of(&livy, &session, &sid).await?;
    Ok(Json(view(livy.engine(), &statement, &instance).await))
}

/// Cancels the request (queued: at once; running: the driver is asked to stop it, and the
/// statement is `cancelling` until it ended). One that already ended is left as it is.
async fn cancel(State(livy): State<Livy>, Path((id, sid)): Path<(String, String)>) -> LivyResult<Json<Value>> {
    let session = find(&livy, &id).await?;
    let (statement, instance) = statement_of(&livy, &session, &sid).await?;
    if !instance.state.is_terminal() {
        livy.engine().mark_livy_cancel(&session.group.id, statement.id).await?;
        match livy.engine().cancel_instance(&session.group.id, &instance.job_instance_id).await {
            // It ended meanwhile: nothing to cancel.
            Ok(_) | Err(sparkdeck_engine::EngineError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(json!({ "msg": "canceled" })))
}
