//! The `/api/v1` routes, one module per resource.

mod clusters;
mod form;
mod groups;
mod history;
mod jobs;
mod schedules;
mod spark_app;
mod spark_install;
mod status;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::error::message;

pub(crate) fn api(max_upload: u64) -> Router<AppState> {
    Router::new()
        .merge(clusters::routes())
        .merge(jobs::routes(max_upload))
        .merge(groups::routes(max_upload))
        .merge(history::routes())
        .merge(schedules::routes(max_upload))
        .merge(spark_app::routes())
        .merge(status::routes())
        .merge(spark_install::routes())
}

pub(crate) async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "no such endpoint; the API is under /api/v1")
}
