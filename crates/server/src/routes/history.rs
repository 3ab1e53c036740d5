//! `/job/{id}/history` (an extension): the job's application page in Spark's History
//! Server, which the engine starts on demand.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiResult;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/job/{id}/history", get(history))
}

async fn history(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "url": s.engine.history_url(&id).await? })))
}
