//! The engine's way to a group driver's agent in its pod: a listener on 127.0.0.1 whose
//! every accepted connection is bridged to a new port-forward stream (`pods/portforward`,
//! a WebSocket through the API server) to the agent's port. The driver client then talks
//! to the agent as it does to a local one. A stream that breaks closes its connection, so
//! the client sees an error (and health checks miss) instead of waiting forever.

use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A running forward; dropping it closes the listener and every bridged connection.
pub(crate) struct Forwarder {
    port: u16,
    task: JoinHandle<()>,
}

impl Forwarder {
    /// Listens on a free loopback port and forwards what connects there to `remote` of `pod`.
    pub(crate) async fn start(api: Api<Pod>, pod: String, remote: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            // Owned here, so aborting this task aborts the bridges too.
            let mut bridges = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((tcp, _)) => {
                            bridges.spawn(bridge(api.clone(), pod.clone(), remote, tcp));
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
async fn bridge(api: Api<Pod>, pod: String, remote: u16, mut tcp: TcpStream) {
    let mut forward = match api.portforward(&pod, &[remote]).await {
        Ok(forward) => forward,
        Err(e) => {
            tracing::warn!(pod, port = remote, "cannot open a port-forward to the driver agent: {e}");
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
        Some(message) = error => {
            tracing::warn!(pod, port = remote, "the port-forward to the driver agent failed: {message}");
        }
    }
    // The WebSocket is not reused: each local connection has its own.
    forward.abort();
}
