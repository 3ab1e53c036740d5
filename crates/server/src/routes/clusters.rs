//! `/cluster`: create, list, get, update, delete, names.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use sparkdeck_engine::clusters::ClusterQuery;
use sparkdeck_engine::model::cluster::{ClusterInput, ClusterView};
use sparkdeck_engine::model::paging::Page;

use crate::AppState;
use crate::error::ApiResult;
use crate::json::JsonBody;
use crate::query::ListQuery;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cluster", get(list).post(create))
        .route("/cluster/names", get(names))
        .route("/cluster/{cluster_id}", get(one).put(update).delete(remove))
}

async fn create(State(s): State<AppState>, JsonBody(input): JsonBody<ClusterInput>) -> ApiResult<Json<Value>> {
    let cluster = s.engine.create_cluster(&input).await?;
    Ok(Json(json!({ "clusterId": cluster.id })))
}

async fn list(State(s): State<AppState>, q: ListQuery) -> ApiResult<Json<Page<ClusterView>>> {
    let query = ClusterQuery { search: q.search(), page: q.page_request()? };
    Ok(Json(s.engine.list_clusters(&query).await?))
}

async fn one(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<ClusterView>> {
    Ok(Json(s.engine.get_cluster(&id).await?))
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ClusterInput>,
) -> ApiResult<()> {
    s.engine.update_cluster(&id, &input).await?;
    Ok(())
}

async fn remove(State(s): State<AppState>, Path(id): Path<String>, q: ListQuery) -> ApiResult<()> {
    s.engine.delete_cluster(&id, q.force()?).await?;
    Ok(())
}

async fn names(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "names": s.engine.cluster_names().await? })))
}
