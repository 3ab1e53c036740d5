//! Clusters: where Spark work runs. The stored [`Cluster`] holds secrets; the
//! [`ClusterView`] shown to clients masks them. What create and update accept, and its
//! validation, is in `cluster_input.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::secret::{Secret, mask_settings};
use crate::error::{EngineError, Result};

pub use super::cluster_input::{ClusterInput, ConfigInput, StorageInput, ValidCluster, validate_name};

/// The cluster every job uses when none is named; it exists from first start.
pub const DEFAULT_CLUSTER: &str = "default";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum ClusterType {
    /// Spark inside this machine (`local[threads]`).
    Local,
    /// A Spark standalone master (`spark://host:7077`).
    Standalone,
    /// A Kubernetes API server.
    K8s,
}

impl ClusterType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Standalone => "standalone",
            Self::K8s => "k8s",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "local" => Ok(Self::Local),
            "standalone" => Ok(Self::Standalone),
            "k8s" => Ok(Self::K8s),
            other => Err(EngineError::invalid(
                "type",
                format!("'{other}' is not a cluster type (local, standalone or k8s)"),
            )),
        }
    }
}

/// An object store a cluster reads jobs' files from (only S3 and its look-alikes so far).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    pub spark_bucket: String,
    pub data_bucket: String,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: Secret,
}

/// Everything about a cluster but its identity; stored as JSON beside the indexed columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterSpec {
    pub url: String,
    pub threads: Option<u32>,
    pub rest_url: String,
    pub web_ui_url: String,
    pub ca_cert: String,
    pub client_cert: String,
    pub client_key: Secret,
    pub client_key_algorithm: String,
    pub client_key_passphrase: Secret,
    pub username: String,
    pub password: Secret,
    pub token: Secret,
    pub storages: BTreeMap<String, Storage>,
    pub spark_storage: String,
    pub default_application_config: BTreeMap<String, String>,
}

/// A stored cluster, secrets included. Never serialised to clients: use [`ClusterView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    pub description: String,
    pub cluster_type: ClusterType,
    pub spec: ClusterSpec,
    pub created_time: i64,
    pub updated_time: i64,
}

impl Cluster {
    /// The `--master` value Spark is given for this cluster.
    pub fn spark_master(&self) -> String {
        match self.cluster_type {
            ClusterType::Local => format!("local[{}]", self.spec.threads.unwrap_or(1)),
            ClusterType::Standalone => self.spec.url.clone(),
            ClusterType::K8s => format!("k8s://{}", self.spec.url),
        }
    }
}

/// A storage as clients see it: the secret key masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StorageView {
    #[serde(rename = "type")]
    pub storage_type: String,
    pub spark_bucket: String,
    pub data_bucket: String,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: Option<String>,
}

/// A cluster as clients see it (API `clusterInfo`): secrets (and secret Spark settings)
/// masked, derived fields added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    pub id: String,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub cluster_type: ClusterType,
    pub spark_master: String,
    pub spark_deploy_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    pub url: String,
    pub rest_url: String,
    pub web_ui_url: String,
    pub ca_cert: String,
    pub client_cert: String,
    pub client_key: Option<String>,
    pub client_key_algorithm: String,
    pub client_key_passphrase: Option<String>,
    pub username: String,
    pub password: Option<String>,
    pub token: Option<String>,
    pub storages: BTreeMap<String, StorageView>,
    pub spark_storage: String,
    pub default_application_config: BTreeMap<String, String>,
    pub created_time: i64,
    pub updated_time: i64,
}

impl From<&Cluster> for ClusterView {
    fn from(c: &Cluster) -> Self {
        let s = &c.spec;
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            cluster_type: c.cluster_type,
            spark_master: c.spark_master(),
            spark_deploy_mode: match c.cluster_type {
                ClusterType::K8s => "cluster".into(),
                ClusterType::Local | ClusterType::Standalone => "client".into(),
            },
            threads: s.threads,
            url: s.url.clone(),
            rest_url: s.rest_url.clone(),
            web_ui_url: s.web_ui_url.clone(),
            ca_cert: s.ca_cert.clone(),
            client_cert: s.client_cert.clone(),
            client_key: s.client_key.masked(),
            client_key_algorithm: s.client_key_algorithm.clone(),
            client_key_passphrase: s.client_key_passphrase.masked(),
            username: s.username.clone(),
            password: s.password.masked(),
            token: s.token.masked(),
            storages: s
                .storages
                .iter()
                .map(|(k, st)| {
                    (k.clone(), StorageView {
                        storage_type: "s3".into(),
                        spark_bucket: st.spark_bucket.clone(),
                        data_bucket: st.data_bucket.clone(),
                        endpoint: st.endpoint.clone(),
                        access_key: st.access_key.clone(),
                        secret_key: st.secret_key.masked(),
                    })
                })
                .collect(),
            spark_storage: s.spark_storage.clone(),
            default_application_config: mask_settings(&s.default_application_config),
            created_time: c.created_time,
            updated_time: c.updated_time,
        }
    }
}
