//! Groups on the scripted runtime with a stand-in agent on loopback (no Spark): the
//! engine, a group, requests, and waiting for the drivers' announced states.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sparkdeck_engine::model::group::{Group, GroupRequest};
use sparkdeck_engine::model::job::{JobState, Language};
use sparkdeck_engine::testing::{ScriptedDriver, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, GroupForm};
use tokio::sync::oneshot;

/// Requests the stand-in runs that a cancel ends, by request id.
type Cancellable = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

/// The progress the stand-in's `/health` reports while it runs a request.
pub const RUNNING_PROGRESS: f64 = 0.25;

/// The bytes of the `text/plain` in the stand-in's answer to `big-data`: over the 4 MiB
/// (`MAX_RESULT_BYTES`) a bundle may take.
pub const BIG_DATA_BYTES: usize = 4 * 1024 * 1024 + 1;

#[derive(Clone, Default)]
struct Agent {
    cancellable: Cancellable,
    /// Requests it is running now.
    running: Arc<AtomicUsize>,
}

/// Counts a request as running while it lives.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The answer a SQL interpreter gives to `SELECT 1 AS x` (the agent protocol's shape).
pub fn sql_table() -> Value {
    json!({
        "text/plain": "+---+\n|  x|\n+---+\n|  1|\n+---+",
        "application/json": {
            "schema": {
                "type": "struct",
                "fields": [{"name": "x", "type": "integer", "nullable": false, "metadata": {}}],
            },
            "data": [[1]],
            "truncated": false,
        },
    })
}

/// A stand-in agent that is READY at once. By the request's code: `wait:<ms>` answers
/// after that many milliseconds; `until-cancel` runs until it is cancelled (then answers
/// with an error); `stuck` never answers, cancel or not (native code a cancel cannot
/// interrupt); `cut` starts an answer and breaks the connection; `language?` answers with
/// the `language` the request carried (`none` without one); `table` answers [`sql_table`]
/// as its `data`; `big-data` a `text/plain` of [`BIG_DATA_BYTES`]; anything else answers
/// at once. The result is the code. While it runs a request its `/health` reports
/// [`RUNNING_PROGRESS`], else a null progress.
pub async fn start_agent() -> u16 {
    async fn execute(State(agent): State<Agent>, axum::Json(body): axum::Json<Value>) -> Response {
        let _running = Running::new(&agent.running);
        let cancellable = agent.cancellable;
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
            "language?" => {
                let language = body["language"].as_str().unwrap_or("none");
                return axum::Json(json!({ "result": language })).into_response();
            }
            "table" => {
                let answer = json!({"result": sql_table()["text/plain"], "data": sql_table()});
                return axum::Json(answer).into_response();
            }
            "big-data" => {
                let answer =
                    json!({"result": "big", "data": {"text/plain": "x".repeat(BIG_DATA_BYTES)}});
                return axum::Json(answer).into_response();
            }
            _ => {}
        }
        axum::Json(json!({ "result": code })).into_response()
    }
    async fn health(State(agent): State<Agent>) -> axum::Json<Value> {
        let busy = agent.running.load(Ordering::SeqCst) > 0;
        let progress = busy.then_some(RUNNING_PROGRESS);
        axum::Json(json!({"state": "READY", "appId": "app-stand-in", "progress": progress}))
    }
    async fn cancel(
        State(agent): State<Agent>,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::Json<Value> {
        let request = body["requestId"].as_str().unwrap_or_default();
        let running = agent.cancellable.lock().unwrap().remove(request);
        // A `stuck` request is "running" too: the cancel is accepted and changes nothing.
        let cancelled = running.map(|tx| tx.send(())).is_some();
        axum::Json(json!({ "cancelled": cancelled }))
    }
    let router = axum::Router::new()
        .route("/health", get(health))
        .route("/execute", post(execute))
        .route("/cancel", post(cancel))
        .with_state(Agent::default());
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

/// A CODE group named `name` with `scale` drivers (of the default language, SCALA).
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

/// A code cell for the interpreter of `language`.
pub fn code_in(language: Language, text: &str) -> GroupRequest {
    GroupRequest::InteractiveCodeExecute { code: text.into(), language: Some(language) }
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
