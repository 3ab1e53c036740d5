//! Inside a job's Spark application (extensions): `/job/{id}/stages`, `/job/{id}/executors`
//! and `/job/{id}/compare/{otherId}`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use sparkdeck_engine::model::stages::{JobComparison, JobExecutors, JobStages};

use crate::AppState;
use crate::error::ApiResult;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/job/{job_id}/stages", get(stages))
        .route("/job/{job_id}/executors", get(executors))
        .route("/job/{job_id}/compare/{other_id}", get(compare))
}

async fn stages(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<JobStages>> {
    Ok(Json(s.engine.job_stages(&id).await?))
}

async fn executors(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<JobExecutors>> {
    Ok(Json(s.engine.job_executors(&id).await?))
}

async fn compare(State(s): State<AppState>, Path((id, other)): Path<(String, String)>) -> ApiResult<Json<JobComparison>> {
    Ok(Json(s.engine.compare_jobs(&id, &other).await?))
}
