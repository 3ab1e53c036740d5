//! Groups on the scripted runtime with a stand-in agent on loopback (no Spark): the
//! engine, a group, requests, and waiting for the drivers' announced states.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sparkdeck_engine::model::group::{Group, GroupRequest};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::testing::{ScriptedDriver, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, GroupForm};
use tokio::sync::oneshot;

/// Requests the stand-in runs that a cancel ends, by request id.
type Cancellable = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

/// A stand-in agent that is READY at once. By the request's code: `wait:<ms>` answers
/// after that many milliseconds; `until-cancel` runs until it is cancelled (then answers
/// with an error); `stuck` never answers, cancel or not (native code a cancel cannot
/// interrupt); `cut` starts an answer and breaks the connection; anything else answers at
/// once. The result is the code.
pub async fn start_agent() -> u16 {
    async fn execute(
        State(cancellable): State<Cancellable>,
        axum::Json(body): axum::Json<Value>,
    ) -> Response {
        let code = body["code"].as_str().unwrap_or_default().to_string();
        let request = body["requestId"].as_str().unwrap_or_default().to_string();
        if let Some(ms) = code.strip_prefix("wait:").and_then(|ms| ms.parse().ok()) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        match code.as_str() {
            "stuck" => std::future::pending::<()>().await,
            "until-cancel" => {
                let (tx, rx) = oneshot::channel();
                cancellable.lock().unwrap().insert(request, tx);
                let _ = rx.await;
                let error =
                    json!({"error": {"message": "the request was cancelled", "stackTrace": ""}});
                return axum::Json(error).into_response();
            }
            "cut" => {
                let broken = futures::stream::once(async {
                    Err::<Vec<u8>, _>(std::io::Error::other("connection cut"))
                });
                return Response::builder()
                    .header("content-type", "application/json")
                    .body(Body::from_stream(broken))
                    .unwrap();
            }
            _ => {}
        }
        axum::Json(json!({ "result": code })).into_response()
    }
    async fn cancel(
        State(cancellable): State<Cancellable>,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::Json<Value> {
        let request = body["requestId"].as_str().unwrap_or_default();
        let running = cancellable.lock().unwrap().remove(request);
        // A `stuck` request is "running" too: the cancel is accepted and changes nothing.
        let cancelled = running.map(|tx| tx.send(())).is_some();
        axum::Json(json!({ "cancelled": cancelled }))
    }
    let router = axum::Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(json!({"state": "READY", "appId": "app-stand-in"})) }),
        )
        .route("/execute", post(execute))
        .route("/cancel", post(cancel))
        .with_state(Cancellable::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

/// An engine on a temporary directory whose clusters run on the scripted runtime, its
/// group drivers answering as the stand-in agent; `configure` adjusts the limits.
pub async fn world(
    configure: impl FnOnce(&mut EngineConfig),
) -> (tempfile::TempDir, ScriptedRuntime, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.serve_agents_on(start_agent().await);
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    configure(&mut config);
    let engine = Engine::open_with_runtime(config, runtime.clone())
        .await
        .unwrap();
    (dir, runtime, engine)
}

/// A CODE group named `name` with `scale` drivers.
pub async fn create_named(engine: &Engine, name: &str, scale: u32) -> Group {
    let form = GroupForm {
        name: Some(name.into()),
        kind: Some("CODE".into()),
        scale: Some(scale),
        ..GroupForm::default()
    };
    engine.create_group(form).await.unwrap()
}

pub async fn create(engine: &Engine, scale: u32) -> Group {
    create_named(engine, "notebook", scale).await
}

pub fn code(text: &str) -> GroupRequest {
    GroupRequest::InteractiveCodeExecute { code: text.into(), language: None }
}

/// Waits until `until` holds for the group's drivers that have not ended (as the engine
/// reports them). The guard only turns a hang into a failure.
pub async fn drivers_until(
    engine: &Engine,
    id: &str,
    what: &str,
    until: impl Fn(&[JobState]) -> bool,
) -> Vec<JobState> {
    let wait = async {
        loop {
            let group = engine.get_group(id).await.unwrap();
            let states: Vec<JobState> = group
                .jobs
                .iter()
                .filter(|j| !j.state.is_terminal())
                .map(|j| j.state)
                .collect();
            if until(&states) {
                return states;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("{what} within 20 s"))
}

/// The drivers the scripted runtime still runs.
pub fn live(runtime: &ScriptedRuntime) -> Vec<ScriptedDriver> {
    runtime
        .drivers()
        .into_iter()
        .filter(|d| d.ended.is_none())
        .collect()
}

/// Waits until `until` holds; the guard only turns a hang into a failure.
pub async fn wait_for(what: &str, until: impl Fn() -> bool) {
    let wait = async {
        while !until() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("{what} within 20 s"));
}

/// `future`, failing the test instead of hanging when it does not end in 20 s.
pub async fn within_20s<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .unwrap_or_else(|_| panic!("{what} within 20 s"))
}
