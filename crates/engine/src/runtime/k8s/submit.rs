//! Creating and deleting a driver: the pod first, then its ConfigMap, Service,
//! NetworkPolicy (and a group driver's Secret) owned by it (deleting the pod removes them
//! and the executors; the pod waits for the Secret it references).

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, PostParams};
use serde::{Serialize, de::DeserializeOwned};

use super::errors::{cluster_error, status_code};
use super::manifests::{DriverManifests, LABEL_APP_ID};
use crate::error::{EngineError, Result};

/// A driver pod that exists: what following, stopping and recovery need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverPod {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub app_id: String,
}

/// Creates the driver. A retry with the same manifests finds its own objects (409) and
/// succeeds; any other failure after the pod exists deletes the pod again.
pub async fn submit_driver(client: &kube::Client, url: &str, mut manifests: DriverManifests) -> Result<DriverPod> {
    let namespace = manifests.pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let name = manifests.pod.metadata.name.clone().unwrap_or_default();
    let app_id = manifests.pod.metadata.labels.as_ref().and_then(|l| l.get(LABEL_APP_ID)).cloned().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let created = match pods.create(&PostParams::default(), &manifests.pod).await {
        Ok(pod) => pod,
        Err(e) if status_code(&e) == Some(409) => {
            let existing = pods.get(&name).await.map_err(|e| cluster_error(url, &e))?;
            let existing_app = existing.metadata.labels.as_ref().and_then(|l| l.get(LABEL_APP_ID));
            if existing_app != Some(&app_id) {
                return Err(EngineError::Conflict(format!(
                    "a pod named '{name}' already exists in namespace '{namespace}' for another application"
                )));
            }
            existing
        }
        Err(e) => return Err(submit_error(url, &namespace, &e)),
    };
    let uid = created.metadata.uid.clone().ok_or_else(|| EngineError::Unavailable(format!("the API server at {url} created pod '{name}' without a uid")))?;
    manifests.owned_by(&name, &uid);
    let rest = async {
        if let Some(secret) = &manifests.secret {
            create_or_keep(client, &namespace, secret).await?;
        }
        create_or_keep(client, &namespace, &manifests.config_map).await?;
        create_or_keep(client, &namespace, &manifests.service).await?;
        create_or_keep(client, &namespace, &manifests.network_policy).await
    };
    if let Err(e) = rest.await {
        if let Err(delete_error) = pods.delete(&name, &DeleteParams::default()).await {
            tracing::warn!(pod = %name, "could not delete the driver pod after a failed submit: {delete_error}");
        }
        return Err(submit_error(url, &namespace, &e));
    }
    Ok(DriverPod { namespace, name, uid, app_id })
}

/// Creates `object`; one that already exists (an earlier attempt) is kept.
async fn create_or_keep<K>(client: &kube::Client, namespace: &str, object: &K) -> Result<(), kube::Error>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + std::fmt::Debug + Serialize + DeserializeOwned,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    match api.create(&PostParams::default(), object).await {
        Err(e) if status_code(&e) == Some(409) => Ok(()),
        other => other.map(|_| ()),
    }
}

fn submit_error(url: &str, namespace: &str, error: &kube::Error) -> EngineError {
    match status_code(error) {
        Some(403) => EngineError::Unavailable(format!(
            "the credentials may not create the driver's objects in namespace '{namespace}' (403 Forbidden): {}",
            super::errors::describe(url, error)
        )),
        _ => cluster_error(url, error),
    }
}

/// Deletes the driver pod (and with it everything it owns). `false`: it was already gone.
pub async fn stop_driver(client: &kube::Client, url: &str, namespace: &str, name: &str) -> Result<bool> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match pods.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(true),
        Err(e) if status_code(&e) == Some(404) => Ok(false),
        Err(e) => Err(cluster_error(url, &e)),
    }
}
