//! Importing Kubernetes clusters from a kubeconfig file. The file is read in Rust twice (to
//! list its contexts, then to import the chosen ones), so credentials never cross IPC.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sparkdeck_engine::model::cluster::{ClusterView, ConfigInput};
use sparkdeck_engine::{Engine, ErrorCode, KubeContext, kubeconfig_contexts};
use tauri::State;

use super::files::{FilePicker, PickRequest};
use crate::error::IpcError;

/// Kubeconfig files are a few KiB, even with inline certificates.
const MAX_KUBECONFIG: u64 = 4 * 1024 * 1024;

/// A context as the import dialog lists it: no credentials, only what identifies it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KubeContextSummary {
    pub context: String,
    /// The cluster name proposed for it (context names may hold characters names cannot).
    pub name: String,
    pub url: String,
    pub namespace: Option<String>,
    /// How it authenticates: "client certificate", "token", "username and password" or "none".
    pub auth: String,
    /// Why it cannot be imported.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct Kubeconfig {
    pub path: String,
    pub contexts: Vec<KubeContextSummary>,
}

/// One context to import, under the cluster name the user chose.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct KubeImport {
    pub context: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct KubeImportOutcome {
    pub context: String,
    pub cluster: Option<ClusterView>,
    pub error: Option<IpcError>,
}

/// Lets the user pick a kubeconfig file and lists its contexts; `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn pick_kubeconfig(picker: State<'_, FilePicker>) -> Result<Option<Kubeconfig>, IpcError> {
    let request = PickRequest { title: "Choose a kubeconfig file".into(), extensions: Vec::new(), multiple: false, folder: false, save_as: None };
    let Some(path) = picker.pick(request).await.into_iter().next() else { return Ok(None) };
    let contexts = read_contexts(&path)?.into_iter().map(summary).collect();
    Ok(Some(Kubeconfig { path: path.display().to_string(), contexts }))
}

/// Creates a cluster for each chosen context of the file; each outcome on its own, so one
/// refused name does not stop the others.
#[tauri::command]
#[specta::specta]
pub async fn import_kubeconfig(
    engine: State<'_, Engine>,
    path: String,
    imports: Vec<KubeImport>,
) -> Result<Vec<KubeImportOutcome>, IpcError> {
    let contexts = read_contexts(Path::new(&path))?;
    let mut outcomes = Vec::with_capacity(imports.len());
    for import in imports {
        let result = match contexts.iter().find(|c| c.context == import.context) {
            None => Err(invalid("kubeconfig", format!("the file has no context '{}' any more", import.context))),
            Some(KubeContext { error: Some(error), .. }) => Err(invalid("kubeconfig", error.clone())),
            Some(found) => {
                let mut input = found.cluster.clone();
                input.name = Some(import.name.clone());
                engine.create_cluster(&input).await.map_err(IpcError::from)
            }
        };
        let (cluster, error) = match result {
            Ok(view) => (Some(view), None),
            Err(error) => (None, Some(error)),
        };
        outcomes.push(KubeImportOutcome { context: import.context, cluster, error });
    }
    Ok(outcomes)
}

fn read_contexts(path: &Path) -> Result<Vec<KubeContext>, IpcError> {
    let size = std::fs::metadata(path).map_err(|e| invalid("kubeconfig", format!("cannot read {}: {e}", path.display())))?.len();
    if size > MAX_KUBECONFIG {
        return Err(invalid("kubeconfig", format!("{} is {size} bytes; a kubeconfig file is at most 4 MiB", path.display())));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid("kubeconfig", format!("cannot read {} as text: {e}", path.display())))?;
    let base: Option<PathBuf> = path.parent().map(Path::to_path_buf);
    Ok(kubeconfig_contexts(&text, base.as_deref())?)
}

fn summary(found: KubeContext) -> KubeContextSummary {
    let input = &found.cluster;
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let auth = if given(&input.client_cert) && given(&input.client_key) {
        "client certificate"
    } else if given(&input.token) {
        "token"
    } else if given(&input.username) {
        "username and password"
    } else {
        "none"
    };
    let namespace = match &input.default_application_config {
        Some(ConfigInput::Map(map)) => map.get("spark.kubernetes.namespace").cloned(),
        _ => None,
    };
    KubeContextSummary {
        context: found.context,
        name: input.name.clone().unwrap_or_default(),
        url: input.url.clone().unwrap_or_default(),
        namespace,
        auth: auth.into(),
        error: found.error,
    }
}

fn invalid(field: &str, message: String) -> IpcError {
    IpcError { code: ErrorCode::Invalid, message, field: Some(field.into()) }
}
