//! `/status` (an extension): the Sparkdeck version, the Java and Spark local jobs use (and
//! where that Spark was found), and the Spark install's progress.

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
        "sparkSource": spark.env.as_ref().map(|e| e.source),
        "error": spark.error,
        "sparkInstall": s.engine.spark_install_status(),
    }))
}
