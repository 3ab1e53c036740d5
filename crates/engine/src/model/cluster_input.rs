//! What cluster create and update accept ([`ClusterInput`]) and its validation:
//! [`ClusterInput::validate`] turns it into a [`ClusterSpec`] or names the bad field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cluster::{Cluster, ClusterSpec, ClusterType, Storage};
use super::form::{UnknownFields, bounded_text, refuse_unknown, refuse_unknown_but, text};
use super::secret::{MASK, Secret, unmask_settings};
use super::wire::parse_pairs;
use crate::error::{EngineError, Result};

/// `defaultApplicationConfig` arrives either as a JSON object or as `k=v;k2=v2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(untagged)]
pub enum ConfigInput {
    Map(BTreeMap<String, String>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct StorageInput {
    #[serde(rename = "type")]
    pub storage_type: Option<String>,
    pub spark_bucket: Option<String>,
    pub data_bucket: Option<String>,
    pub endpoint: Option<String>,
    pub access_key: Option<String>,
    /// Omitted or the mask keeps the stored key on update.
    pub secret_key: Option<String>,
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// The fields of [`super::cluster::ClusterView`] that are derived, not set: a client sending
/// the view back (GET, edit, PUT) may carry them, and they are ignored.
pub const VIEW_ONLY_FIELDS: &[&str] = &["sparkMaster", "sparkDeployMode", "createdTime", "updatedTime"];

/// The body of create and update. An unknown field is refused by name, but for the view's
/// derived ones ([`VIEW_ONLY_FIELDS`]), so a view sent back is accepted. Secret fields on update: omitted or the
/// mask keeps the stored value, `""` clears it, anything else replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterInput {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub cluster_type: Option<String>,
    pub url: Option<String>,
    pub threads: Option<u32>,
    pub rest_url: Option<String>,
    pub web_ui_url: Option<String>,
    pub ca_cert: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub client_key_algorithm: Option<String>,
    pub client_key_passphrase: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub storages: Option<BTreeMap<String, StorageInput>>,
    pub spark_storage: Option<String>,
    pub default_application_config: Option<ConfigInput>,
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// The validated parts of an input, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCluster {
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub cluster_type: ClusterType,
    pub spec: ClusterSpec,
}

const MAX_NAME: usize = 64;
const MAX_DESCRIPTION: usize = 2000;

/// Names appear in URLs (`/group/name/{name}`) and comma-separated filters, so they are
/// restricted to a safe alphabet.
pub fn validate_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(EngineError::invalid(field, "is required"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(EngineError::invalid(field, format!("is longer than {MAX_NAME} characters")));
    }
    let valid = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(EngineError::invalid(
            field,
            format!("'{name}' may only contain letters, digits, '-', '_' and '.', starting with a letter or digit"),
        ));
    }
    Ok(())
}

fn validate_http_url(field: &str, url: &str) -> Result<()> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) => Ok(()),
        _ => Err(EngineError::invalid(field, format!("'{url}' is not an http(s):// URL"))),
    }
}

/// The scheme, host and port of an http(s) URL (lowercase, the port defaulted), which
/// decide where the credentials sent to it go; the path does not.
fn origin(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match hostport.rsplit_once(':') {
        // `[::1]` alone has colons but no port.
        Some((host, port)) if !port.contains(']') => (host, Some(port.parse::<u16>().ok()?)),
        _ => (hostport, None),
    };
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    Some((scheme, host.to_ascii_lowercase(), port.unwrap_or(default_port)))
}

/// The stored credentials were entered for the old API server: a cluster whose URL now
/// points elsewhere keeps none of them unless they are sent again, or a changed URL
/// would receive the old server's token.
fn refuse_secrets_for_a_new_server(input: &ClusterInput, old: &ClusterSpec, new_url: &str) -> Result<()> {
    if old.url.is_empty() || origin(&old.url) == origin(new_url) {
        return Ok(());
    }
    let secrets = [
        ("token", &input.token, &old.token),
        ("password", &input.password, &old.password),
        ("clientKey", &input.client_key, &old.client_key),
        ("clientKeyPassphrase", &input.client_key_passphrase, &old.client_key_passphrase),
    ];
    for (field, sent, stored) in secrets {
        if matches!(sent.as_deref(), None | Some(MASK)) && !stored.is_empty() {
            return Err(EngineError::invalid(field, "must be sent again because the API server URL changed"));
        }
    }
    Ok(())
}

/// `spark://host:port`, or several masters for ZooKeeper HA: `spark://h1:7077,h2:7077`.
fn validate_spark_url(url: &str) -> Result<()> {
    let bad = || EngineError::invalid("url", format!("'{url}' is not a master URL such as spark://host:7077"));
    let hosts = url.strip_prefix("spark://").ok_or_else(bad)?;
    for hostport in hosts.split(',') {
        let (host, port) = hostport.rsplit_once(':').ok_or_else(bad)?;
        if host.is_empty() || host.contains(['/', ' ']) || port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(bad());
        }
    }
    Ok(())
}

/// Checks PEM text holds at least one block and every block has an expected tag.
fn validate_pem(field: &str, value: &str, expect: fn(&str) -> bool, what: &str) -> Result<()> {
    let blocks = pem::parse_many(value)
        .map_err(|e| EngineError::invalid(field, format!("is not valid PEM: {e}")))?;
    if blocks.is_empty() {
        return Err(EngineError::invalid(field, format!("holds no PEM block (expected {what})")));
    }
    if let Some(block) = blocks.iter().find(|b| !expect(b.tag())) {
        return Err(EngineError::invalid(field, format!("holds a '{}' block, expected {what}", block.tag())));
    }
    Ok(())
}

fn is_certificate(tag: &str) -> bool {
    tag == "CERTIFICATE"
}

fn is_private_key(tag: &str) -> bool {
    tag.ends_with("PRIVATE KEY")
}

/// S3 bucket naming rules (3–63 lowercase letters, digits, '.', '-').
fn validate_bucket(field: &str, bucket: &str) -> Result<()> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok { Ok(()) } else { Err(EngineError::invalid(field, format!("'{bucket}' is not a valid bucket name"))) }
}

/// Resolves a secret field of the input against the stored value (see [`ClusterInput`]).
fn secret(input: &Option<String>, stored: Option<&Secret>) -> Secret {
    match input.as_deref() {
        None => stored.cloned().unwrap_or_default(),
        Some(MASK) => stored.cloned().unwrap_or_default(),
        Some(value) => Secret::new(value.trim()),
    }
}

impl ClusterInput {
    /// Validates the input. `existing` is the stored cluster on update, whose secrets are
    /// kept where the input leaves them out.
    pub fn validate(&self, existing: Option<&Cluster>, default_threads: u32) -> Result<ValidCluster> {
        refuse_unknown_but::<Self>("", &self.unknown, VIEW_ONLY_FIELDS)?;
        let name = text(&self.name).to_string();
        validate_name("name", &name)?;
        let id = match text(&self.id) {
            "" => None,
            id => {
                let ok = id.len() <= MAX_NAME && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !ok {
                    return Err(EngineError::invalid("id", format!("'{id}' may only contain letters, digits, '-' and '_'")));
                }
                Some(id.to_string())
            }
        };
        let description = bounded_text("description", &self.description, MAX_DESCRIPTION)?;
        let cluster_type = match text(&self.cluster_type) {
            "" => match existing {
                Some(c) => c.cluster_type,
                None => return Err(EngineError::invalid("type", "is required (local, standalone or k8s)")),
            },
            t => ClusterType::parse(t)?,
        };
        let old = existing.map(|c| &c.spec);
        let mut spec = ClusterSpec {
            url: text(&self.url).to_string(),
            threads: self.threads,
            rest_url: text(&self.rest_url).trim_end_matches('/').to_string(),
            web_ui_url: text(&self.web_ui_url).trim_end_matches('/').to_string(),
            ca_cert: text(&self.ca_cert).to_string(),
            client_cert: text(&self.client_cert).to_string(),
            client_key: secret(&self.client_key, old.map(|s| &s.client_key)),
            client_key_algorithm: text(&self.client_key_algorithm).to_ascii_uppercase(),
            client_key_passphrase: secret(&self.client_key_passphrase, old.map(|s| &s.client_key_passphrase)),
            username: text(&self.username).to_string(),
            password: secret(&self.password, old.map(|s| &s.password)),
            token: secret(&self.token, old.map(|s| &s.token)),
            storages: BTreeMap::new(),
            spark_storage: text(&self.spark_storage).to_string(),
            default_application_config: match &self.default_application_config {
                None => BTreeMap::new(),
                Some(ConfigInput::Text(t)) => parse_pairs("defaultApplicationConfig", t)?,
                Some(ConfigInput::Map(m)) => {
                    for key in m.keys() {
                        if key.trim().is_empty() || key.chars().any(char::is_whitespace) {
                            return Err(EngineError::invalid(
                                "defaultApplicationConfig",
                                format!("'{key}' is not a property name"),
                            ));
                        }
                    }
                    m.clone()
                }
            },
        };
        // Views mask secret settings: a view sent back keeps the stored values.
        let stored_config = old.map(|s| &s.default_application_config).cloned().unwrap_or_default();
        spec.default_application_config =
            unmask_settings("defaultApplicationConfig", std::mem::take(&mut spec.default_application_config), &stored_config)?;
        for (key, storage) in self.storages.iter().flatten() {
            let stored = old.and_then(|s| s.storages.get(key));
            spec.storages.insert(key.clone(), validate_storage(key, storage, stored)?);
        }
        validate_spec_for_type(cluster_type, &mut spec, default_threads)?;
        if let (ClusterType::K8s, Some(old)) = (cluster_type, old) {
            refuse_secrets_for_a_new_server(self, old, &spec.url)?;
        }
        Ok(ValidCluster { id, name, description, cluster_type, spec })
    }
}

fn validate_storage(key: &str, input: &StorageInput, stored: Option<&Storage>) -> Result<Storage> {
    let field = |f: &str| format!("storages.{key}.{f}");
    refuse_unknown::<StorageInput>(&format!("storages.{key}."), &input.unknown)?;
    validate_name(&format!("storages.{key}"), key)?;
    match text(&input.storage_type) {
        "" | "s3" => {}
        other => {
            return Err(EngineError::invalid(field("type"), format!("'{other}' is not supported (only s3)")));
        }
    }
    let spark_bucket = text(&input.spark_bucket).to_string();
    if spark_bucket.is_empty() {
        return Err(EngineError::invalid(field("sparkBucket"), "is required"));
    }
    validate_bucket(&field("sparkBucket"), &spark_bucket)?;
    let data_bucket = text(&input.data_bucket).to_string();
    if !data_bucket.is_empty() {
        validate_bucket(&field("dataBucket"), &data_bucket)?;
    }
    let endpoint = text(&input.endpoint).trim_end_matches('/').to_string();
    if !endpoint.is_empty() {
        validate_http_url(&field("endpoint"), &endpoint)?;
    }
    let access_key = text(&input.access_key).to_string();
    let secret_key = secret(&input.secret_key, stored.map(|s| &s.secret_key));
    if access_key.is_empty() != secret_key.is_empty() {
        return Err(EngineError::invalid(field("secretKey"), "accessKey and secretKey go together"));
    }
    Ok(Storage { spark_bucket, data_bucket, endpoint, access_key, secret_key })
}

/// Fields only Kubernetes clusters use; any other type refuses them rather than ignoring.
fn k8s_only_fields(spec: &ClusterSpec) -> Vec<&'static str> {
    let mut set = Vec::new();
    let checks: [(&'static str, bool); 8] = [
        ("caCert", !spec.ca_cert.is_empty()),
        ("clientCert", !spec.client_cert.is_empty()),
        ("clientKey", !spec.client_key.is_empty()),
        ("clientKeyAlgorithm", !spec.client_key_algorithm.is_empty()),
        ("clientKeyPassphrase", !spec.client_key_passphrase.is_empty()),
        ("username", !spec.username.is_empty()),
        ("password", !spec.password.is_empty()),
        ("token", !spec.token.is_empty()),
    ];
    for (name, present) in checks {
        if present {
            set.push(name);
        }
    }
    set
}

fn refuse(fields: &[&str], cluster_type: ClusterType) -> Result<()> {
    match fields.first() {
        Some(field) => Err(EngineError::invalid(
            *field,
            format!("does not apply to a {} cluster", cluster_type.as_str()),
        )),
        None => Ok(()),
    }
}

fn validate_spec_for_type(cluster_type: ClusterType, spec: &mut ClusterSpec, default_threads: u32) -> Result<()> {
    if !spec.spark_storage.is_empty() && !spec.storages.contains_key(&spec.spark_storage) {
        return Err(EngineError::invalid(
            "sparkStorage",
            format!("'{}' is not one of this cluster's storages", spec.spark_storage),
        ));
    }
    match cluster_type {
        ClusterType::Local => {
            refuse(&k8s_only_fields(spec), cluster_type)?;
            if !spec.url.is_empty() {
                return Err(EngineError::invalid("url", "does not apply to a local cluster (it runs on this machine)"));
            }
            refuse(&[("restUrl", &spec.rest_url), ("webUiUrl", &spec.web_ui_url)]
                .iter().filter(|(_, v)| !v.is_empty()).map(|(n, _)| *n).collect::<Vec<_>>(), cluster_type)?;
            let threads = spec.threads.unwrap_or(default_threads);
            if !(1..=1024).contains(&threads) {
                return Err(EngineError::invalid("threads", format!("{threads} is not between 1 and 1024")));
            }
            spec.threads = Some(threads);
        }
        ClusterType::Standalone => {
            refuse(&k8s_only_fields(spec), cluster_type)?;
            if spec.threads.is_some() {
                return Err(EngineError::invalid("threads", "applies to local clusters only"));
            }
            if spec.url.is_empty() {
                return Err(EngineError::invalid("url", "is required: the master URL, e.g. spark://host:7077"));
            }
            validate_spark_url(&spec.url)?;
            if !spec.rest_url.is_empty() {
                validate_http_url("restUrl", &spec.rest_url)?;
            }
            if !spec.web_ui_url.is_empty() {
                validate_http_url("webUiUrl", &spec.web_ui_url)?;
            }
        }
        ClusterType::K8s => {
            if spec.threads.is_some() {
                return Err(EngineError::invalid("threads", "applies to local clusters only"));
            }
            if spec.url.is_empty() {
                return Err(EngineError::invalid("url", "is required: the API server URL, e.g. https://host:6443"));
            }
            validate_http_url("url", &spec.url)?;
            // The API server gets the bearer token, password or client key: never in clear.
            if !spec.url.starts_with("https://") {
                return Err(EngineError::invalid("url", format!("'{}' must be an https:// URL: the API server receives the cluster's credentials", spec.url)));
            }
            spec.url = spec.url.trim_end_matches('/').to_string();
            for (field, value) in [("restUrl", &spec.rest_url), ("webUiUrl", &spec.web_ui_url)] {
                if !value.is_empty() {
                    return Err(EngineError::invalid(field, "applies to standalone clusters only"));
                }
            }
            if !spec.ca_cert.is_empty() {
                validate_pem("caCert", &spec.ca_cert, is_certificate, "a CERTIFICATE")?;
            }
            if !spec.client_cert.is_empty() {
                validate_pem("clientCert", &spec.client_cert, is_certificate, "a CERTIFICATE")?;
            }
            if !spec.client_key.is_empty() {
                validate_pem("clientKey", spec.client_key.expose(), is_private_key, "a PRIVATE KEY")?;
            }
            if spec.client_cert.is_empty() != spec.client_key.is_empty() {
                let missing = if spec.client_cert.is_empty() { "clientCert" } else { "clientKey" };
                return Err(EngineError::invalid(missing, "clientCert and clientKey go together"));
            }
            if !matches!(spec.client_key_algorithm.as_str(), "" | "RSA" | "EC") {
                return Err(EngineError::invalid(
                    "clientKeyAlgorithm",
                    format!("'{}' is not RSA or EC", spec.client_key_algorithm),
                ));
            }
            if !spec.client_key_passphrase.is_empty() && spec.client_key.is_empty() {
                return Err(EngineError::invalid("clientKeyPassphrase", "is set but there is no clientKey"));
            }
            if spec.username.is_empty() != spec.password.is_empty() {
                let missing = if spec.username.is_empty() { "username" } else { "password" };
                return Err(EngineError::invalid(missing, "username and password go together"));
            }
        }
    }
    Ok(())
}
