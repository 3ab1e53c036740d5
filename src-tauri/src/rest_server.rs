//! The REST API served from inside the app (Settings → REST server): the same router as
//! `sparkdeck-server`, on 127.0.0.1, with the data directory's token.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};
use sparkdeck_engine::Engine;
use sparkdeck_server::{AllowedHosts, router, serve, token};
use tokio::sync::{Mutex, oneshot};

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RestServerStatus {
    pub running: bool,
    /// `http://127.0.0.1:<port>/api/v1` while running.
    pub url: Option<String>,
    /// The bearer token clients send.
    pub token: Option<String>,
    /// Why it is not running although enabled (e.g. the port is taken).
    pub error: Option<String>,
}

struct Running {
    port: u16,
    url: String,
    stop: oneshot::Sender<()>,
}

#[derive(Default)]
pub struct RestServer {
    running: Mutex<Option<Running>>,
    last_error: Mutex<Option<String>>,
}

impl RestServer {
    /// Starts, moves to another port, or stops the server to match `enabled`/`port`. A new
    /// port is bound before the old server stops, so a port that cannot be used leaves the
    /// running server as it was.
    pub async fn apply(&self, engine: &Engine, enabled: bool, port: u16) -> Result<(), String> {
        let mut running = self.running.lock().await;
        if running.as_ref().is_some_and(|r| enabled && r.port == port) {
            return Ok(());
        }
        let started = if enabled { Some(start(engine, port).await) } else { None };
        if let Some(Err(error)) = &started {
            *self.last_error.lock().await = Some(error.clone());
            return Err(error.clone());
        }
        *self.last_error.lock().await = None;
        if let Some(current) = running.take() {
            let _ = current.stop.send(());
        }
        *running = started.and_then(Result::ok);
        Ok(())
    }

    pub async fn status(&self, engine: &Engine) -> RestServerStatus {
        let running = self.running.lock().await;
        let token = running.as_ref().and_then(|_| token::load_or_create(engine.data_dir()).ok());
        RestServerStatus {
            running: running.is_some(),
            url: running.as_ref().map(|r| r.url.clone()),
            token,
            error: self.last_error.lock().await.clone(),
        }
    }
}

async fn start(engine: &Engine, port: u16) -> Result<Running, String> {
    let token = token::load_or_create(engine.data_dir()).map_err(|e| format!("cannot create the API token: {e}"))?;
    let bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(bind, port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let url = format!("http://127.0.0.1:{port}/api/v1");
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(engine.clone(), token, AllowedHosts::for_bind(bind));
    tauri::async_runtime::spawn(async move {
        if let Err(error) = serve(listener, app, async move {
            let _ = stopped.await;
        })
        .await
        {
            tracing::error!(%error, "built-in REST server stopped");
        }
    });
    tracing::info!(%url, "built-in REST server listening");
    Ok(Running { port, url, stop })
}
