//! "Test connection": the API server answers `/version`, and the job namespace is
//! reachable with the stored credentials.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use super::errors::{cluster_error, status_code};
use crate::error::{EngineError, Result};
use crate::model::cluster::{Cluster, ClusterType};

/// The whole check may take this long; each connection attempt has its own shorter limit.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// E.g. `Kubernetes v1.33.1; namespace 'spark' reachable`, or an error naming the cause.
pub async fn test_k8s_connection(cluster: &Cluster) -> Result<String> {
    if cluster.cluster_type != ClusterType::K8s {
        return Err(EngineError::invalid("type", format!("'{}' is not a Kubernetes cluster", cluster.name)));
    }
    let client = super::client_for(cluster)?;
    let namespace = super::namespace_of(cluster);
    tokio::time::timeout(CHECK_TIMEOUT, check(client, &cluster.spec.url, &namespace))
        .await
        .map_err(|_| EngineError::Unavailable(format!("the API server at {} did not answer within {} s", cluster.spec.url, CHECK_TIMEOUT.as_secs())))?
}

/// The check over any client (the tests give it a mock).
pub async fn check(client: kube::Client, url: &str, namespace: &str) -> Result<String> {
    let version = client.apiserver_version().await.map_err(|e| cluster_error(url, &e))?;
    let pods: Api<Pod> = Api::namespaced(client, namespace);
    pods.list(&ListParams::default().limit(1)).await.map_err(|e| match status_code(&e) {
        Some(403) => EngineError::Unavailable(format!(
            "the credentials cannot list pods in namespace '{namespace}' (403 Forbidden): grant access to it or set spark.kubernetes.namespace"
        )),
        Some(404) => EngineError::Unavailable(format!("namespace '{namespace}' does not exist (404)")),
        _ => cluster_error(url, &e),
    })?;
    Ok(format!("Kubernetes {}; namespace '{namespace}' reachable", version.git_version))
}
