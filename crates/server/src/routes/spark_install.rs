//! `/spark/install` (an extension): install Spark 4.3.0 into the data directory, cancel it,
//! and follow its progress. A POST while an install runs joins it; the progress is also in
//! `GET /status` as `sparkInstall`.

use std::convert::Infallible;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use sparkdeck_engine::EngineEvent;
use sparkdeck_engine::spark_install::SparkInstallStatus;

use crate::error::ApiResult;
use crate::{AppState, sse};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/spark/install", post(start).delete(cancel))
        .route("/spark/install/updates", get(updates))
}

/// 202 with the install's status: started now, or the one already running.
async fn start(State(s): State<AppState>) -> (StatusCode, Json<SparkInstallStatus>) {
    (StatusCode::ACCEPTED, Json(s.engine.start_spark_install()))
}

/// 409 when no install runs.
async fn cancel(State(s): State<AppState>) -> ApiResult<Json<SparkInstallStatus>> {
    Ok(Json(s.engine.cancel_spark_install()?))
}

/// One `data:` event per change of the install's status (and `resync`, see [`sse`]).
async fn updates(State(s): State<AppState>, closing: Option<Extension<sse::Closing>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    sse::stream(s.engine.subscribe(), closing.map(|Extension(c)| c), |event| match event {
        EngineEvent::SparkInstallChanged { install } => Some(install),
        _ => None,
    })
}
