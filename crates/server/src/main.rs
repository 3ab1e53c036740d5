//! `sparkdeck-server`: the REST API without a window.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use sparkdeck_engine::limits::MAX_REQUEST_TIMEOUT_SECONDS;
use sparkdeck_engine::config::parse_driver_lease;
use sparkdeck_engine::{Engine, EngineConfig};
use sparkdeck_server::{AllowedHosts, Livy, router_with_livy, serve, token};
use tokio::net::TcpListener;

mod install_spark;

#[derive(Parser)]
#[command(name = "sparkdeck-server", version, about = "Sparkdeck's REST API (/api/v1) without the desktop window")]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "SPARKDECK_PORT", default_value_t = 9888)]
    port: u16,
    /// Address to bind. Anything but loopback exposes the API (token-protected) to the network.
    #[arg(long, env = "SPARKDECK_BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Where state lives [default: the platform's data directory].
    #[arg(long, env = "SPARKDECK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// How long a group request may run on a driver unless it sends `timeoutSeconds`.
    #[arg(long, env = "SPARKDECK_REQUEST_TIMEOUT_SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REQUEST_TIMEOUT_SECONDS)))]
    request_timeout_seconds: u32,
    /// Seconds a group driver lives without hearing from this server; one restarted within
    /// it re-attaches to its drivers [default: 600, at least 30].
    #[arg(long, env = "SPARKDECK_DRIVER_LEASE_SECONDS", value_parser = parse_driver_lease)]
    driver_lease_seconds: Option<Duration>,
    /// Seconds a request to a group may wait in its queue for a free driver.
    #[arg(long, env = "SPARKDECK_QUEUE_TIMEOUT_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    queue_timeout_seconds: u64,
    /// Seconds the drivers of a group with `autoPause` may be idle before it is paused.
    #[arg(long, env = "SPARKDECK_AUTO_PAUSE_IDLE_SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    auto_pause_idle_seconds: u64,
    /// Milliseconds a failed attempt of a job with `maxRetries` waits before its retry;
    /// each further retry waits twice as long.
    #[arg(long, env = "SPARKDECK_RETRY_BACKOFF_MS", default_value_t = 10_000)]
    retry_backoff_ms: u64,
    /// Also serve the Livy API (always at /livy) at the root of this loopback port, where
    /// Livy clients configured for http://localhost:8998 find it.
    #[arg(long, env = "SPARKDECK_LIVY_PORT")]
    livy_port: Option<u16>,
    /// Install Spark 4.3.0 into the data directory (a virtualenv with pyspark from the
    /// package index pip is configured for), printing progress, then exit; serves nothing.
    #[arg(long)]
    install_spark: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPARKDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sparkdeck-server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = EngineConfig::new(args.data_dir);
    config.request_timeout = Duration::from_secs(u64::from(args.request_timeout_seconds));
    if let Some(lease) = args.driver_lease_seconds {
        config.driver_lease = lease;
    }
    config.auto_pause_idle = Duration::from_secs(args.auto_pause_idle_seconds);
    config.queue_timeout = Duration::from_secs(args.queue_timeout_seconds);
    config.retry_backoff = Duration::from_millis(args.retry_backoff_ms);
    let engine = Engine::open(config).await?;
    if args.install_spark {
        return install_spark::run(&engine).await;
    }
    let token = token::load_or_create(engine.data_dir())
        .map_err(|e| format!("cannot create the API token in {}: {e}", engine.data_dir().display()))?;
    let listener = TcpListener::bind(SocketAddr::new(args.bind, args.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.bind, args.port))?;
    let addr = listener.local_addr()?;
    if !args.bind.is_loopback() {
        tracing::warn!(%addr, "the API is reachable from the network; only the token protects it");
    }
    let livy = Livy::new(engine.clone());
    let (stop_livy, livy_stopped) = tokio::sync::watch::channel(false);
    let livy_server = match args.livy_port {
        Some(port) => {
            let loopback = IpAddr::from([127, 0, 0, 1]);
            let livy_listener = TcpListener::bind(SocketAddr::new(loopback, port))
                .await
                .map_err(|e| format!("cannot listen on 127.0.0.1:{port} for the Livy API: {e}"))?;
            let livy_addr = livy_listener.local_addr()?;
            let app = livy.router(token.clone(), AllowedHosts::for_bind(loopback));
            let mut stopped = livy_stopped;
            let serving = tokio::spawn(serve(livy_listener, app, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }));
            Some((livy_addr, serving))
        }
        None => None,
    };
    // Scripts and tests read these lines.
    println!("sparkdeck-server listening on http://{addr}/api/v1");
    println!("token: {token} (also in {})", engine.data_dir().join(token::FILE_NAME).display());
    if let Some((livy_addr, _)) = &livy_server {
        println!("livy listening on http://{livy_addr}");
    }
    let app = router_with_livy(engine.clone(), token, AllowedHosts::for_bind(args.bind), &livy);
    serve(listener, app, shutdown_signal()).await?;
    let _ = stop_livy.send(true);
    if let Some((_, serving)) = livy_server {
        serving.await??;
    }
    // Launch nothing more; running drivers stay for the next start to re-attach.
    engine.shutdown();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
