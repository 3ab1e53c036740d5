//! The engine's way to a port of a driver pod — a group driver's agent, a driver's Spark
//! UI: a listener on 127.0.0.1 whose
//! every accepted connection is bridged to a new port-forward stream (`pods/portforward`,
//! a WebSocket through the API server) to that port. The driver client then talks
//! to the agent as it does to a local one. A stream that breaks closes its connection, so
//! the client sees an error (and health checks miss) instead of waiting forever.
//!
//! While the agent warms up, the pod runs but nothing listens on its port: every attach
//! attempt would open a WebSocket that fails at once. After a failure, connections are
//! closed without a new forward for [`RETRY`], so a driver costs the API server at most
//! one forward a second then, and warnings come at most once a minute.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

const RETRY: Duration = Duration::from_secs(1);
const WARN_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Failures {
    last: Option<Instant>,
    warned: Option<Instant>,
}

impl Failures {
    fn record(failures: &Mutex<Self>, pod: &str, to: &str, what: &str) {
        let mut f = failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f.last = Some(Instant::now());
        if f.warned.is_none_or(|w| w.elapsed() >= WARN_EVERY) {
            f.warned = Some(Instant::now());
            tracing::warn!(pod, "the port-forward to the {to} failed: {what}");
        } else {
            tracing::debug!(pod, "the port-forward to the {to} failed: {what}");
        }
    }

    fn recent(failures: &Mutex<Self>) -> bool {
        let f = failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f.last.is_some_and(|at| at.elapsed() < RETRY)
    }
}

/// A running forward; dropping it closes the listener and every bridged connection.
pub(crate) struct Forwarder {
    port: u16,
    task: JoinHandle<()>,
}

impl Forwarder {
    /// Listens on a free loopback port and forwards what connects there to `remote` of `pod`
    /// (`to` names it in warnings: "driver agent", "Spark UI").
    pub(crate) async fn start(api: Api<Pod>, pod: String, remote: u16, to: &'static str) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            // Owned here, so aborting this task aborts the bridges too.
            let mut bridges = JoinSet::new();
            let failures = Arc::new(Mutex::new(Failures::default()));
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        // Dropped at once: the client gets an error, as it would from the forward.
                        Ok(_) if Failures::recent(&failures) => {}
                        Ok((tcp, _)) => {
                            bridges.spawn(bridge(api.clone(), pod.clone(), remote, to, tcp, failures.clone()));
                        }
                        Err(e) => {
                            // Out of descriptors and the like: the clients retry.
                            tracing::warn!(pod, "the port-forward listener cannot accept: {e}");
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        }
                    },
                    Some(_) = bridges.join_next(), if !bridges.is_empty() => {}
                }
            }
        });
        Ok(Self { port, task })
    }

    /// The local port to connect to.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies between one local connection and one port-forward stream until either ends or
/// the API server reports an error for the port (e.g. nothing listens there).
async fn bridge(api: Api<Pod>, pod: String, remote: u16, to: &str, mut tcp: TcpStream, failures: Arc<Mutex<Failures>>) {
    let mut forward = match api.portforward(&pod, &[remote]).await {
        Ok(forward) => forward,
        Err(e) => {
            Failures::record(&failures, &pod, to, &format!("cannot open it to port {remote}: {e}"));
            return;
        }
    };
    let (Some(mut stream), Some(error)) = (forward.take_stream(remote), forward.take_error(remote)) else {
        forward.abort();
        return;
    };
    tokio::select! {
        copied = tokio::io::copy_bidirectional(&mut tcp, &mut stream) => {
            if let Err(e) = copied {
                tracing::debug!(pod, "a port-forward connection ended: {e}");
            }
        }
        // `None`: the forward ended without an error message; the copy notices on its own.
        Some(message) = error => Failures::record(&failures, &pod, to, &message),
    }
    // The WebSocket is not reused: each local connection has its own.
    forward.abort();
}
