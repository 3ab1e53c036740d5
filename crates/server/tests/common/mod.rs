//! A real server on an ephemeral loopback port, with a real engine on a temp directory.

#![allow(dead_code)] // each test file uses part of it

pub mod binary;
pub mod livy;

use std::net::SocketAddr;

use reqwest::{Client, RequestBuilder};
use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig, EngineError};
use sparkdeck_server::{AllowedHosts, router, serve, token};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestServer {
    pub addr: SocketAddr,
    pub token: String,
    pub client: Client,
    pub engine: Engine,
    /// The test double its clusters run on, if it was started with one.
    pub runtime: Option<ScriptedRuntime>,
    _stop: oneshot::Sender<()>,
    /// Taken by [`TestServer::restart`], which keeps it for the next server.
    _dir: Option<TempDir>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose engine configuration `adjust` changes first (limits, concurrency).
    pub async fn start_with(adjust: impl FnOnce(&mut EngineConfig)) -> Self {
        Self::start_on(tempfile::tempdir().expect("temp dir"), None, adjust).await
    }

    /// A server on `dir`, its clusters on `runtime` when given (else the real runtimes).
    /// A previous engine on `dir` lets go of it once its background tasks notice.
    pub async fn start_on(dir: TempDir, runtime: Option<ScriptedRuntime>, adjust: impl FnOnce(&mut EngineConfig)) -> Self {
        let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
        adjust(&mut config);
        let engine = loop {
            let opened = match &runtime {
                Some(runtime) => Engine::open_with_runtime(config.clone(), runtime.clone()).await,
                None => Engine::open(config.clone()).await,
            };
            match opened {
                Ok(engine) => break engine,
                Err(EngineError::DataDirLocked { .. }) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                Err(e) => panic!("engine: {e}"),
            }
        };
        let token = token::load_or_create(dir.path()).expect("token");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = router(engine.clone(), token.clone(), AllowedHosts::for_bind(addr.ip()));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve(listener, app, async move {
            let _ = stopped.await;
        }));
        Self { addr, token, client: Client::new(), engine, runtime, _stop: stop, _dir: Some(dir) }
    }

    /// Stops this server as a shutdown does (its drivers keep running) and starts another
    /// on the same data directory and runtime.
    pub async fn restart(mut self) -> Self {
        self.engine.shutdown();
        let dir = self._dir.take().expect("data dir");
        let runtime = self.runtime.take();
        drop(self);
        Self::start_on(dir, runtime, |_| {}).await
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

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.as_ref().expect("data dir").path()
    }
}

impl Drop for TestServer {
    /// Drivers outlive the engine on purpose (they are re-attached after a restart); a
    /// test must not leave them running, so every process started for this data
    /// directory is killed with its process group.
    fn drop(&mut self) {
        // Restarted: the next server on the directory owns its drivers.
        let Some(dir) = &self._dir else { return };
        // The engine lives on until the test's runtime ends: it must not start a driver
        // (a replacement for one killed here) after the kill.
        self.engine.shutdown();
        kill_processes_of(dir.path());
        // A launch that was under way completes after the first kill.
        std::thread::sleep(std::time::Duration::from_millis(300));
        kill_processes_of(dir.path());
    }
}

/// Kills the process group of every process whose environment or command line names
/// `dir` (drivers carry their info file's path in `SPARKDECK_DRIVER_INFO`).
pub fn kill_processes_of(dir: &std::path::Path) {
    let needle = dir.to_string_lossy().into_owned();
    let mut groups = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let mentions = ["environ", "cmdline"].iter().any(|f| {
            std::fs::read(entry.path().join(f)).is_ok_and(|b| String::from_utf8_lossy(&b).contains(&needle))
        });
        if !mentions || pid == std::process::id() as i32 {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let pgrp = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(2)).and_then(|g| g.parse::<i32>().ok());
        if let Some(pgrp) = pgrp.filter(|g| *g > 1) {
            groups.insert(pgrp);
        }
    }
    let own_group = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| s.rsplit(')').next().and_then(|r| r.split_whitespace().nth(2)).and_then(|g| g.parse::<i32>().ok()));
    for group in groups.into_iter().filter(|g| Some(*g) != own_group) {
        let _ = std::process::Command::new("kill").args(["-9", "--", &format!("-{group}")]).status();
    }
}

/// A `multipart/form-data` file part.
pub fn file_part(name: &str, bytes: impl Into<Vec<u8>>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes.into()).file_name(name.to_string())
}

/// Reads Server-Sent Events from `request` and hands each `data:` JSON to `each` until
/// it returns false.
pub async fn read_sse(request: RequestBuilder, mut each: impl FnMut(serde_json::Value) -> bool) {
    use futures::StreamExt;
    let response = request.send().await.expect("stream opens");
    assert_eq!(response.status().as_u16(), 200);
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    while let Some(chunk) = stream.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("stream chunk")));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            for line in event.lines() {
                if let Some(data) = line.strip_prefix("data:")
                    && !each(serde_json::from_str(data.trim()).expect("JSON event"))
                {
                    return;
                }
            }
        }
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
