//! Apache Livy's REST API over groups and jobs (`/livy` on the API port, or the root of
//! its own port): a session is a CODE group of scale 1, its statements the group's code
//! requests, a batch a single job. Livy's integer ids are the engine's (`livy_ids`).
//!
//! - `auth.rs` the guard (loopback, no web origins, token as Bearer or Basic password)
//! - `errors.rs` Livy's `{"msg"}` errors · `wire.rs` kinds, states, outputs, paging
//! - `sessions.rs` · `statements.rs` · `batches.rs` the routes · `forms.rs` what create
//!   bodies share · `logs.rs` driver logs as Livy pages them · `heartbeat.rs` deletes
//!   sessions whose client went away

mod auth;
mod batches;
mod errors;
mod forms;
mod heartbeat;
mod logs;
mod sessions;
mod statements;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Json;
use serde_json::{Value, json};
use sparkdeck_engine::Engine;

use crate::guard::AllowedHosts;

/// The version `GET /version` reports: clients compare it with Livy's (pylivy picks its
/// session kinds by it; 0.5 and later take `sql` and shared sessions).
pub(crate) const LIVY_VERSION: &str = "0.8.0-incubating";

/// The Livy API's shared part: one per engine, whichever ports serve it, so the
/// heartbeat sees every request naming a session. Cheap to clone.
#[derive(Clone)]
pub struct Livy(Arc<LivyShared>);

pub(crate) struct LivyShared {
    pub(crate) engine: Engine,
    pub(crate) heartbeats: heartbeat::Heartbeats,
}

impl Livy {
    /// Starts the heartbeat task, which holds the engine only while a clone of this lives.
    pub fn new(engine: Engine) -> Self {
        let shared = Arc::new(LivyShared { engine, heartbeats: heartbeat::Heartbeats::default() });
        heartbeat::spawn(Arc::downgrade(&shared));
        Self(shared)
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.0.engine
    }

    pub(crate) fn heartbeats(&self) -> &heartbeat::Heartbeats {
        &self.0.heartbeats
    }

    /// The Livy routes at the root, behind their guard.
    pub fn router(&self, token: String, hosts: AllowedHosts) -> Router {
        let guard = Arc::new(auth::LivyGuard::new(token, hosts));
        Router::new()
            .route("/version", get(version))
            .merge(sessions::routes())
            .merge(statements::routes())
            .merge(batches::routes())
            .fallback(not_found)
            .layer(axum::extract::DefaultBodyLimit::max(crate::json::MAX_JSON_BODY))
            .layer(axum::middleware::from_fn_with_state(guard, auth::check))
            .with_state(self.clone())
    }
}

/// The user Sparkdeck runs as: every session's `owner`, and the one `proxyUser` allowed.
pub(crate) fn owner() -> &'static str {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER.get_or_init(|| {
        nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default()
    })
}

async fn version() -> Json<Value> {
    Json(json!({ "version": LIVY_VERSION, "sparkdeck": env!("CARGO_PKG_VERSION") }))
}

async fn not_found() -> Response {
    errors::msg(StatusCode::NOT_FOUND, "no such Livy endpoint (sessions, batches, version)")
}
