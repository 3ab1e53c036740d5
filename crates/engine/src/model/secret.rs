//! Secrets (keys, passwords, tokens) are stored but never shown: `Debug` redacts them,
//! and views replace them with [`MASK`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// What responses carry in place of a secret that is set.
pub const MASK: &str = "******";

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The masked form for views: `None` when unset, [`MASK`] otherwise.
    pub fn masked(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| MASK.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(unset)" } else { "Secret(***)" })
    }
}

/// Whether a Spark setting holds a secret, judged by its key (case-insensitively):
/// `*secret*`, `*password*`, `*token*`, `*credential*`, and the keys of S3A
/// (`fs.s3a.*key*`, e.g. `spark.hadoop.fs.s3a.secret.key`).
pub fn is_secret_setting(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "password", "token", "credential"].iter().any(|word| key.contains(word))
        || key.find("fs.s3a.").is_some_and(|at| key[at..].contains("key"))
}

/// Spark settings as views show them: the values of secret settings (see
/// [`is_secret_setting`]) replaced with [`MASK`]; an empty value stays empty.
pub fn mask_settings(settings: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    settings
        .iter()
        .map(|(key, value)| {
            let shown = if is_secret_setting(key) && !value.is_empty() { MASK.to_string() } else { value.clone() };
            (key.clone(), shown)
        })
        .collect()
}

/// Settings sent back from a view: a secret setting whose value is [`MASK`] keeps its
/// stored value, as the secret fields do. The mask with nothing stored under that key is
/// refused rather than stored as the value.
pub fn unmask_settings(field: &str, mut sent: BTreeMap<String, String>, stored: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    for (key, value) in sent.iter_mut().filter(|(key, value)| *value == MASK && is_secret_setting(key)) {
        *value = stored
            .get(key)
            .cloned()
            .ok_or_else(|| EngineError::invalid(field, format!("'{key}' is masked ({MASK}) but no value is stored for it: send the value")))?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.masked().as_deref(), Some(MASK));
        assert_eq!(Secret::default().masked(), None);
    }

    #[test]
    fn secret_settings_are_known_by_their_key() {
        for key in [
            "spark.hadoop.fs.s3a.secret.key",
            "spark.hadoop.fs.s3a.access.key",
            "spark.hadoop.fs.s3a.bucket.b.session.KEY",
            "spark.authenticate.secret",
            "spark.ssl.keyStorePassword",
            "spark.kubernetes.authenticate.submission.oauthToken",
            "spark.hadoop.google.cloud.auth.service.account.json.keyfile.Credential",
        ] {
            assert!(is_secret_setting(key), "{key}");
        }
        for key in ["spark.executor.memory", "spark.kubernetes.namespace", "spark.hadoop.fs.s3a.endpoint", "spark.keytab.dir"] {
            assert!(!is_secret_setting(key), "{key}");
        }
        let settings = BTreeMap::from([
            ("spark.hadoop.fs.s3a.secret.key".to_string(), "s3cr3t".to_string()),
            ("spark.ssl.password".to_string(), String::new()),
            ("spark.executor.memory".to_string(), "2g".to_string()),
        ]);
        let shown = mask_settings(&settings);
        assert_eq!(shown["spark.hadoop.fs.s3a.secret.key"], MASK);
        assert_eq!((shown["spark.ssl.password"].as_str(), shown["spark.executor.memory"].as_str()), ("", "2g"));
        assert_eq!(unmask_settings("c", shown.clone(), &settings).unwrap(), settings);
        let err = unmask_settings("c", shown, &BTreeMap::new()).unwrap_err();
        assert_eq!(err.field(), Some("c"));
    }
}
