//! A CODE group's languages over HTTP, without Spark: a server whose clusters run on the
//! scripted runtime and whose drivers answer as a stand-in agent on loopback. A request's
//! `language` reaches the agent, and the instance shows back `language`, `data` (the SQL
//! table shape) and, through the progress route, 1 once ended.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::{get, post};
use common::call;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig};
use sparkdeck_server::{AllowedHosts, router, serve, token};
use tempfile::TempDir;
use tokio::sync::oneshot;

/// What a SQL interpreter answers to `SELECT 1 AS x`, as the agent protocol shapes it.
fn sql_table() -> Value {
    json!({
        "text/plain": "x\n1",
        "application/json": {
            "schema": {"type": "struct", "fields": [{"name": "x", "type": "integer", "nullable": false, "metadata": {}}]},
            "data": [[1]],
            "truncated": false,
        },
    })
}

/// READY at once; `table` answers [`sql_table`], anything else `<language>:<code>`.
async fn start_agent() -> u16 {
    async fn execute(axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
        let code = body["code"].as_str().unwrap_or_default();
        if code == "table" {
            return axum::Json(json!({"result": "x\n1", "data": sql_table()}));
        }
        axum::Json(json!({ "result": format!("{}:{code}", body["language"].as_str().unwrap_or("none")) }))
    }
    let router = axum::Router::new()
        .route("/health", get(|| async { axum::Json(json!({"state": "READY", "appId": "app-stand-in", "progress": null})) }))
        .route("/execute", post(execute));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

struct Server {
    addr: SocketAddr,
    token: String,
    client: reqwest::Client,
    engine: Engine,
    _stop: oneshot::Sender<()>,
    _dir: TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let runtime = ScriptedRuntime::new();
        runtime.serve_agents_on(start_agent().await);
        let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime).await.unwrap();
        let token = token::load_or_create(dir.path()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(engine.clone(), token.clone(), AllowedHosts::for_bind(addr.ip()));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, app, async move {
            let _ = stopped.await;
        }));
        Self { addr, token, client: reqwest::Client::new(), engine, _stop: stop, _dir: dir }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("http://{}/api/v1{path}", self.addr)).bearer_auth(&self.token)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.engine.shutdown();
    }
}

async fn ready_code_group(s: &Server, language: &str) -> String {
    let form = Form::new().text("name", format!("cells-{language}")).text("kind", "CODE").text("language", language.to_string());
    let (status, body) = call(s.request(reqwest::Method::POST, "/group").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().unwrap().to_string();
    let wait = async {
        loop {
            let (_, g) = call(s.request(reqwest::Method::GET, &format!("/group/{id}"))).await;
            if g["jobs"].as_array().is_some_and(|j| j.iter().any(|d| d["state"] == "READY")) {
                return g;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let g = tokio::time::timeout(Duration::from_secs(20), wait).await.expect("a READY driver within 20 s");
    assert_eq!(g["language"], language);
    id
}

#[tokio::test]
async fn code_requests_name_their_language_and_show_it_with_their_data() {
    let s = Server::start().await;
    let id = ready_code_group(&s, "SQL").await;
    let execute = |body: Value| s.request(reqwest::Method::POST, &format!("/group/{id}/job/execute")).json(&body);

    let (status, table) = call(execute(json!({"type": "interactive_code_execute", "code": "table"}))).await;
    assert_eq!(status, 200, "{table}");
    assert_eq!((table["state"].as_str(), table["language"].as_str()), (Some("FINISHED"), Some("SQL")), "{table}");
    assert_eq!(table["result"], "x\n1");
    assert_eq!(table["data"], sql_table(), "the bundle as the agent sent it");

    let (_, scala) = call(execute(json!({"type": "interactive_code_execute", "code": "1", "language": "scala"}))).await;
    assert_eq!((scala["result"].as_str(), scala["language"].as_str()), (Some("SCALA:1"), Some("SCALA")), "{scala}");
    assert!(scala["data"].is_null(), "text only: {scala}");
    let (_, completed) = call(execute(json!({"type": "interactive_code_complete", "code": "sp", "language": "PYTHON"}))).await;
    assert_eq!((completed["result"].as_str(), completed["language"].as_str()), (Some("PYTHON:sp"), Some("PYTHON")), "{completed}");

    // Stored as shown: the result list and the progress of an ended request.
    let instance = table["jobInstanceId"].as_str().unwrap();
    let (_, page) = call(s.request(reqwest::Method::GET, &format!("/group/{id}/job/result"))).await;
    let listed = page["content"].as_array().unwrap().iter().find(|i| i["jobInstanceId"] == instance).cloned().unwrap();
    assert_eq!((&listed["data"], &listed["language"]), (&sql_table(), &json!("SQL")));
    let (status, progress) = call(s.request(reqwest::Method::GET, &format!("/group/{id}/job/{instance}/progress"))).await;
    assert_eq!((status, progress), (200, json!({"progress": 1.0})));
    let other = ready_code_group(&s, "PYTHON").await;
    let (status, _) = call(s.request(reqwest::Method::GET, &format!("/group/{other}/job/{instance}/progress"))).await;
    assert_eq!(status, 404, "another group's instance");
}
