//! A real server on an ephemeral loopback port, with a real engine on a temp directory.

#![allow(dead_code)] // each test file uses part of it

use std::net::SocketAddr;

use reqwest::{Client, RequestBuilder};
use sparkdeck_engine::{Engine, EngineConfig};
use sparkdeck_server::{AllowedHosts, router, serve, token};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestServer {
    pub addr: SocketAddr,
    pub token: String,
    pub client: Client,
    pub engine: Engine,
    _stop: oneshot::Sender<()>,
    _dir: TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.expect("engine");
        let token = token::load_or_create(dir.path()).expect("token");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = router(engine.clone(), token.clone(), AllowedHosts::for_bind(addr.ip()));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, app, async move {
            let _ = stopped.await;
        }));
        Self { addr, token, client: Client::new(), engine, _stop: stop, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(&self.token)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.client.put(self.url(path)).bearer_auth(&self.token)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(&self.token)
    }
}

/// Sends a request and returns the status and the JSON body (`Null` when empty).
pub async fn call(request: RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text).expect("JSON body") };
    (status, body)
}
