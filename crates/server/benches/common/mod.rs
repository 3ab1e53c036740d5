//! What the server benches share: the real server on a fresh data directory, on this
//! machine's Spark, and how durations are printed.

use std::net::SocketAddr;
use std::time::Duration;

use sparkdeck_engine::spark_env::SparkEnv;
use sparkdeck_engine::{Engine, EngineConfig};
use sparkdeck_server::{AllowedHosts, router, serve, token};

/// The server of one bench run; its data directory goes with it.
pub struct BenchServer {
    pub dir: tempfile::TempDir,
    pub env: SparkEnv,
    pub addr: SocketAddr,
    pub token: String,
}

/// The REST router on a free loopback port, served for the rest of the run.
pub async fn start() -> BenchServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.expect("engine");
    let env = engine.spark_env().await.expect("Spark is installed (make setup)");
    let token = token::load_or_create(dir.path()).expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(engine, token.clone(), AllowedHosts::for_bind(addr.ip()));
    tokio::spawn(serve(listener, app, std::future::pending()));
    BenchServer { dir, env, addr, token }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
