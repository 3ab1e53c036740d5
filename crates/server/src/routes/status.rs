//! `/status` (an extension): the Sparkdeck version and the Java and Spark local jobs use.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/status", get(status))
}

async fn status(State(s): State<AppState>) -> Json<Value> {
    let spark = s.engine.spark_status().await;
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "sparkHome": spark.env.as_ref().map(|e| e.spark_home.display().to_string()),
        "sparkVersion": spark.env.as_ref().map(|e| e.spark_version.clone()),
        "javaVersion": spark.env.as_ref().map(|e| e.java_version.clone()),
        "java": spark.env.as_ref().map(|e| e.java.display().to_string()),
        "python": spark.env.as_ref().map(|e| e.python.display().to_string()),
        "error": spark.error,
    }))
}
