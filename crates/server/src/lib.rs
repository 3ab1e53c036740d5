//! Sparkdeck's REST API (`/api/v1`, as documented in API.md) over the engine.
//!
//! Every request passes the loopback `Host` check, the no-cross-origin check and the
//! bearer token check in [`guard`] before it reaches a route. Routes parse and validate
//! the wire format, call one engine operation and shape its answer.

mod error;
pub mod guard;
mod json;
mod livy;
mod query;
mod routes;
mod sse;
pub mod token;

use std::net::SocketAddr;
use std::sync::Arc;

use sparkdeck_engine::Engine;
use tokio::net::TcpListener;

/// What [`router`] and [`Livy::router`] make, for those who serve them.
pub use axum::Router;
pub use guard::AllowedHosts;
pub use livy::Livy;

/// What every route handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) engine: Engine,
}

/// The API with its guard, ready to serve: `/api/v1`, and the Livy API at `/livy` (its
/// own guard, which also takes the token as a Basic password). `token` is what clients send.
pub fn router(engine: Engine, token: String, hosts: AllowedHosts) -> Router {
    let livy = Livy::new(engine.clone());
    router_with_livy(engine, token, hosts, &livy)
}

/// As [`router`], sharing `livy` with another port that serves it ([`Livy::router`]).
pub fn router_with_livy(engine: Engine, token: String, hosts: AllowedHosts, livy: &Livy) -> Router {
    let guard = Arc::new(guard::Guard::new(token.clone(), hosts.clone()));
    let api = Router::new()
        .nest("/api/v1", routes::api(engine.max_upload_bytes()))
        .fallback(routes::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(json::MAX_JSON_BODY))
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
        .with_state(AppState { engine });
    Router::new().nest("/livy", livy.router(token, hosts)).merge(api)
}

/// Serves until `shutdown` resolves. Then the event streams end (they would keep their
/// clients, and so the graceful shutdown, waiting forever) and requests under way finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (close_streams, closing) = sse::Closing::new();
    let router = router.layer(axum::Extension(closing));
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = close_streams.send(true);
        })
        .await
}
