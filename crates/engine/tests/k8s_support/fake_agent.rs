//! A fake driver agent on loopback: the HTTP protocol of `driver/sparkdeck_driver.py`
//! (`/health`, `/execute`, `/cancel`, `/shutdown`, bearer secret) with canned answers and
//! no Spark. The simulator's port-forwards reach it in place of the agent in a pod.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};

use super::simulator::Simulator;
use super::tls::serve_http;

#[derive(Clone)]
pub struct FakeAgent {
    sim: Simulator,
    /// The secrets presented with accepted requests, in order.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl FakeAgent {
    /// Serves on a free loopback port and points the simulator's forwards at it.
    pub async fn start(sim: &Simulator) -> (Self, SocketAddr) {
        let agent = Self { sim: sim.clone(), seen: Arc::default() };
        let router = axum::Router::new()
            .route("/health", get(health))
            .route("/execute", post(execute))
            .route("/cancel", post(|| async { axum::Json(json!({"cancelled": false})) }))
            .route("/shutdown", post(|| async { axum::Json(json!({"stopping": true})) }))
            .with_state(agent.clone());
        let addr = serve_http(router).await;
        sim.set_agent(addr);
        (agent, addr)
    }

    /// Only a secret one of the driver pods' Secrets holds is accepted, as the real agent
    /// accepts only the one it was started with.
    fn authorised(&self, headers: &HeaderMap) -> bool {
        let presented = headers.get("authorization").and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
        let mut known = self.sim.others().into_iter().filter(|o| o["kind"] == "Secret").filter_map(|s| {
            let encoded = s["data"]["secret"].as_str()?.to_string();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).ok()?).ok()
        });
        let ok = !presented.is_empty() && known.any(|k| k == presented);
        if ok {
            self.seen.lock().unwrap().push(presented.to_string());
        }
        ok
    }
}

fn refused() -> Response {
    (StatusCode::UNAUTHORIZED, axum::Json(json!({"message": "wrong driver secret"}))).into_response()
}

async fn health(axum::extract::State(agent): axum::extract::State<FakeAgent>, headers: HeaderMap) -> Response {
    if !agent.authorised(&headers) {
        return refused();
    }
    axum::Json(json!({"state": "READY", "appId": "spark-fake-agent", "sparkVersion": "4.3.0", "pid": 1})).into_response()
}

async fn execute(axum::extract::State(agent): axum::extract::State<FakeAgent>, headers: HeaderMap, axum::Json(body): axum::Json<Value>) -> Response {
    if !agent.authorised(&headers) {
        return refused();
    }
    let code = body["code"].as_str().unwrap_or_default();
    axum::Json(json!({"result": format!("fake agent ran: {code}")})).into_response()
}
