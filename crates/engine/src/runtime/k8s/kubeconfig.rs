//! Importing clusters from a kubeconfig file: one [`ClusterInput`] per context, with the
//! certificates inlined (stored clusters carry their PEM text, not file paths).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kube::config::{AuthInfo, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::model::cluster::{ClusterInput, ConfigInput};

/// One context of a kubeconfig, as a cluster ready to create (or why it cannot be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct KubeContext {
    pub context: String,
    pub cluster: ClusterInput,
    /// Why this context cannot be imported (then `cluster` holds only its name and URL).
    pub error: Option<String>,
}

/// Parses kubeconfig text. Relative certificate paths resolve against `base_dir` (the
/// kubeconfig's directory). A context whose user authenticates through an exec plugin or
/// an auth provider is refused per context (its `error`): Sparkdeck cannot run plugins.
pub fn kubeconfig_contexts(text: &str, base_dir: Option<&Path>) -> Result<Vec<KubeContext>> {
    let config = Kubeconfig::from_yaml(text)
        .map_err(|e| EngineError::invalid("kubeconfig", format!("is not a kubeconfig file: {e}")))?;
    if config.contexts.is_empty() {
        return Err(EngineError::invalid("kubeconfig", "has no contexts"));
    }
    Ok(config
        .contexts
        .iter()
        .map(|named| match context_input(&config, named, base_dir) {
            Ok(cluster) => KubeContext { context: named.name.clone(), cluster, error: None },
            Err(e) => KubeContext {
                context: named.name.clone(),
                cluster: ClusterInput {
                    name: Some(cluster_name(&named.name)),
                    cluster_type: Some("k8s".into()),
                    url: server_of(&config, named),
                    ..ClusterInput::default()
                },
                error: Some(e.to_string()),
            },
        })
        .collect())
}

fn server_of(config: &Kubeconfig, named: &NamedContext) -> Option<String> {
    let context = named.context.as_ref()?;
    find(&config.clusters, &context.cluster, |c: &NamedCluster| &c.name)?.cluster.as_ref()?.server.clone()
}

fn context_input(config: &Kubeconfig, named: &NamedContext, base_dir: Option<&Path>) -> Result<ClusterInput> {
        let field = format!("contexts.{}", named.name);
        let context = named.context.as_ref().ok_or_else(|| EngineError::invalid(&field, "is empty"))?;
        let cluster = find(&config.clusters, &context.cluster, |c: &NamedCluster| &c.name)
            .and_then(|c| c.cluster.as_ref())
            .ok_or_else(|| EngineError::invalid(&field, format!("names cluster '{}', which the file does not define", context.cluster)))?;
        let user = match &context.user {
            Some(user) => find(&config.auth_infos, user, |a: &NamedAuthInfo| &a.name)
                .map(|a| a.auth_info.clone().unwrap_or_default())
                .ok_or_else(|| EngineError::invalid(&field, format!("names user '{user}', which the file does not define")))?,
            None => AuthInfo::default(),
        };
        let server = cluster.server.clone().filter(|s| !s.is_empty())
            .ok_or_else(|| EngineError::invalid(&field, format!("cluster '{}' has no server URL", context.cluster)))?;
        let ca_cert = pem_field(&field, "certificate-authority", cluster.certificate_authority_data.as_deref(), cluster.certificate_authority.as_deref(), base_dir)?;
        let input = user_fields(&field, &user, base_dir)?;
        let mut app_config = BTreeMap::new();
        if let Some(ns) = context.namespace.as_ref().filter(|ns| !ns.is_empty()) {
            app_config.insert("spark.kubernetes.namespace".to_string(), ns.clone());
        }
        Ok(ClusterInput {
            name: Some(cluster_name(&named.name)),
            cluster_type: Some("k8s".into()),
            url: Some(server),
            ca_cert,
            default_application_config: (!app_config.is_empty()).then_some(ConfigInput::Map(app_config)),
            ..input
        })
}

fn find<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    items.iter().find(|item| key(item) == name)
}

/// Cluster names allow letters, digits, '-', '_' and '.': context names such as
/// `arn:aws:eks:…/prod` or `user@cluster` become `arn-aws-eks-…-prod`, `user-cluster`.
fn cluster_name(context: &str) -> String {
    let mut name: String = context
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    name = name.trim_start_matches(['-', '_', '.']).chars().take(64).collect();
    if name.is_empty() { "k8s".into() } else { name }
}

fn user_fields(field: &str, user: &AuthInfo, base_dir: Option<&Path>) -> Result<ClusterInput> {
    if user.exec.is_some() {
        return Err(EngineError::invalid(field, "authenticates with an exec plugin (users[].user.exec), which Sparkdeck cannot run; use a token or client certificate instead"));
    }
    if user.auth_provider.is_some() {
        return Err(EngineError::invalid(field, "authenticates with an auth-provider plugin, which Sparkdeck cannot run; use a token or client certificate instead"));
    }
    let key_data = user.client_key_data.as_ref().map(|s| s.expose_secret().to_string());
    let token = match (&user.token, &user.token_file) {
        (Some(token), _) => Some(token.expose_secret().trim().to_string()),
        (None, Some(file)) => Some(read_file(field, "tokenFile", file, base_dir)?.trim().to_string()),
        (None, None) => None,
    };
    Ok(ClusterInput {
        client_cert: pem_field(field, "client-certificate", user.client_certificate_data.as_deref(), user.client_certificate.as_deref(), base_dir)?,
        client_key: pem_field(field, "client-key", key_data.as_deref(), user.client_key.as_deref(), base_dir)?,
        token,
        username: user.username.clone(),
        password: user.password.as_ref().map(|p| p.expose_secret().to_string()),
        ..ClusterInput::default()
    })
}

/// The PEM text of `<name>-data` (base64) or of the file `<name>` names.
fn pem_field(field: &str, name: &str, data: Option<&str>, file: Option<&str>, base_dir: Option<&Path>) -> Result<Option<String>> {
    if let Some(data) = data.filter(|d| !d.is_empty()) {
        let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = STANDARD
            .decode(compact)
            .map_err(|e| EngineError::invalid(field, format!("{name}-data is not base64: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|_| EngineError::invalid(field, format!("{name}-data is not PEM text")))?;
        return Ok(Some(text));
    }
    match file.filter(|f| !f.is_empty()) {
        Some(file) => read_file(field, name, file, base_dir).map(Some),
        None => Ok(None),
    }
}

fn read_file(field: &str, name: &str, file: &str, base_dir: Option<&Path>) -> Result<String> {
    let path = PathBuf::from(file);
    let path = match base_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    };
    std::fs::read_to_string(&path)
        .map_err(|e| EngineError::invalid(field, format!("{name} {} cannot be read: {e}", path.display())))
}
