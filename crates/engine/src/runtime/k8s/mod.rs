//! The Kubernetes runtime: a job's driver runs as a pod that Sparkdeck creates itself, the
//! way `spark-submit --deploy-mode cluster` would (same pod, ConfigMap, Service and
//! NetworkPolicy), so no local Spark or JVM is needed to submit.
//!
//! - [`client`]: a `kube::Client` from a stored cluster's fields.
//! - [`kubeconfig`]: one importable cluster per kubeconfig context.
//! - [`connection`]: the "test connection" check.
//! - [`manifests`]: the driver's objects, typed.
//! - [`submit`], [`follow`], [`logs`]: create, watch, copy logs, stop.
//! - [`storage`]: job files to the cluster's S3 storage, and the `s3a` conf to read them.
//! - `agent_package`: the agent's Python package zipped for a group driver pod.
//! - `forward`: a loopback port bridged to a group driver's agent by port-forwards.
//! - `runtime`: all of the above behind the engine's `ClusterRuntime`.

mod agent_package;
pub mod client;
pub mod connection;
mod errors;
pub mod follow;
mod forward;
pub mod kubeconfig;
pub mod logs;
pub mod manifests;
pub(crate) mod runtime;
pub mod storage;
pub mod submit;

pub use client::client_for;
pub use connection::test_k8s_connection;
pub use kubeconfig::{KubeContext, kubeconfig_contexts};

/// The namespace a cluster's jobs run in: `spark.kubernetes.namespace`, else `default`.
pub fn namespace_of(cluster: &crate::model::cluster::Cluster) -> String {
    cluster
        .spec
        .default_application_config
        .get("spark.kubernetes.namespace")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string()
}
