//! The Livy API on a server whose clusters run on the scripted runtime, its drivers
//! answering as a stand-in agent on loopback (no Spark): shapes, states, ids and refusals
//! in milliseconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use reqwest::RequestBuilder;
use serde_json::{Value, json};
use sparkdeck_engine::testing::ScriptedRuntime;
use tokio::sync::oneshot;

use super::{TestServer, call};

/// Requests a cancel ends, by request id.
type Cancellable = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

/// A stand-in agent that is READY at once. A code request answers by its code:
/// `until-cancel` runs until cancelled; `raise:<message>` fails with that message (and a
/// two-line stack trace); `table` answers a SQL-shaped `application/json` bundle; anything
/// else answers with the code and the language it was asked in (`<LANGUAGE>:<code>`). A
/// completion answers `[<language>:<code>]`. `/health` reports progress 0.5 while busy.
pub async fn start_agent() -> u16 {
    async fn execute(State(cancellable): State<Cancellable>, axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
        let code = body["code"].as_str().unwrap_or_default().to_string();
        let language = body["language"].as_str().unwrap_or("PYTHON").to_string();
        if body["kind"] == "complete" {
            return axum::Json(json!({ "completions": [format!("{language}:{code}")] }));
        }
        if code == "until-cancel" {
            let (tx, rx) = oneshot::channel();
            let request = body["requestId"].as_str().unwrap_or_default().to_string();
            cancellable.lock().unwrap_or_else(PoisonError::into_inner).insert(request, tx);
            let _ = rx.await;
            return axum::Json(json!({"error": {"message": "KeyboardInterrupt: cancelled", "stackTrace": ""}}));
        }
        if code == "table" {
            let table = json!({"schema": {"type": "struct", "fields": [{"name": "n", "type": "long", "nullable": false, "metadata": {}}]},
                               "data": [[1], [2]], "truncated": false});
            return axum::Json(json!({ "result": "n\n1\n2", "data": {"text/plain": "n\n1\n2", "application/json": table} }));
        }
        if let Some(message) = code.strip_prefix("raise:") {
            return axum::Json(json!({"error": {"message": message, "stackTrace": "line 1\nline 2"}}));
        }
        axum::Json(json!({ "result": format!("{language}:{code}") }))
    }
    async fn cancel(State(cancellable): State<Cancellable>, axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
        let request = body["requestId"].as_str().unwrap_or_default();
        let running = cancellable.lock().unwrap_or_else(PoisonError::into_inner).remove(request);
        axum::Json(json!({ "cancelled": running.map(|tx| tx.send(())).is_some() }))
    }
    async fn health(State(cancellable): State<Cancellable>) -> axum::Json<Value> {
        let busy = !cancellable.lock().unwrap_or_else(PoisonError::into_inner).is_empty();
        axum::Json(json!({"state": "READY", "appId": "app-stand-in", "progress": if busy { json!(0.5) } else { Value::Null }}))
    }
    let router = axum::Router::new()
        .route("/health", get(health))
        .route("/execute", post(execute))
        .route("/cancel", post(cancel))
        .with_state(Cancellable::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

/// A server whose drivers are the stand-in agent.
pub async fn scripted_server() -> TestServer {
    let runtime = ScriptedRuntime::new();
    runtime.serve_agents_on(start_agent().await);
    TestServer::start_on(tempfile::tempdir().expect("temp dir"), Some(runtime), |_| {}).await
}

impl TestServer {
    pub fn livy_url(&self, path: &str) -> String {
        format!("http://{}/livy{path}", self.addr)
    }

    pub fn livy_get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.livy_url(path)).bearer_auth(&self.token)
    }

    pub fn livy_post(&self, path: &str, body: Value) -> RequestBuilder {
        self.client.post(self.livy_url(path)).bearer_auth(&self.token).json(&body)
    }

    pub fn livy_delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.livy_url(path)).bearer_auth(&self.token)
    }

    /// GETs `path` until `until` holds for its body; the guard only turns a hang into a failure.
    pub async fn livy_until(&self, path: &str, what: &str, until: impl Fn(&Value) -> bool) -> Value {
        let wait = async {
            loop {
                let (status, body) = call(self.livy_get(path)).await;
                assert_eq!(status, 200, "{path}: {body}");
                if until(&body) {
                    return body;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(20), wait).await.unwrap_or_else(|_| panic!("{what} within 20 s"))
    }

    /// Creates a session and waits until it is idle; its id.
    pub async fn idle_session(&self, body: Value) -> u64 {
        let (status, session) = call(self.livy_post("/sessions", body)).await;
        assert_eq!(status, 201, "{session}");
        let id = session["id"].as_u64().expect("id");
        self.livy_until(&format!("/sessions/{id}"), "the session idle", |s| s["state"] == "idle").await;
        id
    }

    /// Runs a statement to its end; the statement.
    pub async fn run_statement(&self, session: u64, body: Value) -> Value {
        let (status, statement) = call(self.livy_post(&format!("/sessions/{session}/statements"), body)).await;
        assert_eq!(status, 201, "{statement}");
        let path = format!("/sessions/{session}/statements/{}", statement["id"]);
        self.livy_until(&path, "the statement ended", |s| ["available", "error", "cancelled"].contains(&s["state"].as_str().unwrap_or(""))).await
    }
}
