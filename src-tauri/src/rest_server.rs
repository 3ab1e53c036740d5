//! The REST API served from inside the app (Settings → REST server): the same router as
//! `sparkdeck-server`, on 127.0.0.1, with the data directory's token; the Livy API is at
//! `/livy` on it, and at the root of its own port when Settings → Livy is on. Both ports
//! share one `Livy` (its heartbeat sees the requests of either).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sparkdeck_engine::Engine;
use sparkdeck_server::{AllowedHosts, Livy, Router, router_with_livy, serve, token};
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
    /// Where Livy clients connect: the Livy port's root while it runs, else `/livy` on the
    /// REST API's port while that runs.
    pub livy_url: Option<String>,
    /// Why the Livy port is not served although enabled.
    pub livy_error: Option<String>,
}

struct Running {
    port: u16,
    url: String,
    stop: oneshot::Sender<()>,
}

/// One listener kept to its settings: started, moved or stopped by `apply`.
#[derive(Default)]
struct Listener {
    running: Mutex<Option<Running>>,
    last_error: Mutex<Option<String>>,
}

impl Listener {
    /// Starts, moves to another port, or stops the listener to match `enabled`/`port`. A
    /// new port is bound before the old listener stops, so a port that cannot be used
    /// leaves the running one as it was.
    async fn apply(&self, engine: &Engine, enabled: bool, port: u16, what: &str, app: impl FnOnce(String) -> (Router, String)) -> Result<(), String> {
        let mut running = self.running.lock().await;
        if running.as_ref().is_some_and(|r| enabled && r.port == port) {
            return Ok(());
        }
        let started = if enabled { Some(start(engine, port, what, app).await) } else { None };
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

    async fn url(&self) -> Option<String> {
        self.running.lock().await.as_ref().map(|r| r.url.clone())
    }
}

#[derive(Default)]
pub struct RestServer {
    api: Listener,
    livy_port: Listener,
    livy: OnceLock<Livy>,
}

impl RestServer {
    fn livy(&self, engine: &Engine) -> Livy {
        self.livy.get_or_init(|| Livy::new(engine.clone())).clone()
    }

    /// The REST API (and `/livy` on it) to match `enabled`/`port`.
    pub async fn apply(&self, engine: &Engine, enabled: bool, port: u16) -> Result<(), String> {
        let livy = self.livy(engine);
        let engine_for_router = engine.clone();
        self.api
            .apply(engine, enabled, port, "REST", move |token| {
                let bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
                (router_with_livy(engine_for_router, token, AllowedHosts::for_bind(bind), &livy), format!("http://127.0.0.1:{port}/api/v1"))
            })
            .await
    }

    /// The Livy API at the root of its own port to match `Settings.livy`.
    pub async fn apply_livy(&self, engine: &Engine, enabled: bool, port: u16) -> Result<(), String> {
        let livy = self.livy(engine);
        self.livy_port
            .apply(engine, enabled, port, "Livy", move |token| {
                (livy.router(token, AllowedHosts::for_bind(IpAddr::V4(Ipv4Addr::LOCALHOST))), format!("http://127.0.0.1:{port}"))
            })
            .await
    }

    pub async fn status(&self, engine: &Engine) -> RestServerStatus {
        let url = self.api.url().await;
        let livy_port = self.livy_port.url().await;
        let serving = url.is_some() || livy_port.is_some();
        let token = if serving { token::load_or_create(engine.data_dir()).ok() } else { None };
        RestServerStatus {
            running: url.is_some(),
            livy_url: livy_port.or_else(|| url.as_ref().map(|u| u.replace("/api/v1", "/livy"))),
            url,
            token,
            error: self.api.last_error.lock().await.clone(),
            livy_error: self.livy_port.last_error.lock().await.clone(),
        }
    }
}

async fn start(engine: &Engine, port: u16, what: &str, app: impl FnOnce(String) -> (Router, String)) -> Result<Running, String> {
    let token = token::load_or_create(engine.data_dir()).map_err(|e| format!("cannot create the API token: {e}"))?;
    let bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(bind, port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let (app, url) = app(token);
    let (stop, stopped) = oneshot::channel::<()>();
    let what = what.to_string();
    let label = what.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(error) = serve(listener, app, async move {
            let _ = stopped.await;
        })
        .await
        {
            tracing::error!(%error, server = %label, "built-in server stopped");
        }
    });
    tracing::info!(%url, server = %what, "built-in server listening");
    Ok(Running { port, url, stop })
}
