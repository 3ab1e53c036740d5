//! "Test connection" for a standalone cluster: the master's RPC port accepts
//! connections, its web UI's `/json/` says ALIVE, how many workers and cores are alive,
//! and the REST submission server answers (when `restUrl` is set).

use std::time::Duration;

use super::cluster_json::master_state;
use super::endpoints::Endpoints;
use super::http;
use super::rest::RestClient;
use crate::error::{EngineError, Result};
use crate::model::cluster::Cluster;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the master's RPC port accepts connections: a dead master fails fast with a
/// clear message instead of `spark-submit` retrying for a minute.
pub(crate) async fn reach_master(endpoints: &Endpoints) -> Result<()> {
    let fail = |cause: String| EngineError::Unavailable(format!("cannot reach the standalone master at {}: {cause}", endpoints.master));
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&endpoints.master_host_port)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Err(_) => Err(fail("timed out".into())),
    }
}

/// One sentence on success; on failure an error naming the URL that failed and why.
pub async fn test_standalone_connection(cluster: &Cluster) -> Result<String> {
    let endpoints = Endpoints::of(cluster).ok_or_else(|| {
        EngineError::invalid("url", format!("cluster '{}' is not a standalone cluster with a spark://host:port master URL", cluster.name))
    })?;
    let client = http::client();

    reach_master(&endpoints).await?;

    let master = master_state(&client, &endpoints.web_ui).await?;
    if master.status != "ALIVE" {
        return Err(EngineError::Conflict(format!(
            "the standalone master at {} is {}, not ALIVE (a standby master cannot run jobs)",
            endpoints.web_ui,
            if master.status.is_empty() { "in an unknown state" } else { &master.status }
        )));
    }
    let alive: Vec<_> = master.alive_workers().collect();
    let cores: u32 = alive.iter().map(|w| w.cores).sum();
    let used: u32 = alive.iter().map(|w| w.coresused).sum();
    let mut summary = format!(
        "Master {} is ALIVE with {} alive worker{} ({cores} cores, {used} in use)",
        if master.url.is_empty() { &endpoints.master } else { &master.url },
        alive.len(),
        if alive.len() == 1 { "" } else { "s" },
    );
    if alive.is_empty() {
        summary.push_str(": jobs will wait until a worker registers");
    }

    if endpoints.rest_configured {
        RestClient::new(client.clone(), &endpoints.rest).probe().await?;
        summary.push_str(&format!("; REST submission server at {} answers", endpoints.rest));
    }
    summary.push('.');
    Ok(summary)
}
