//! The user's settings: kept as one small JSON file in the data directory (written to a
//! temp file and renamed), validated like any other input.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::job::Language;
use crate::model::form::{UnknownFields, refuse_unknown};
use crate::model::wire::parse_pairs;

const FILE_NAME: &str = "settings.json";

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub rest_server: RestServerSettings,
    pub job_defaults: JobDefaults,
    pub spark: SparkSettings,
    pub livy: LivySettings,
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// The REST API served by the desktop app itself (the headless server has its own flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct RestServerSettings {
    pub enabled: bool,
    pub port: u16,
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// The Livy API (`/livy` on the REST API's port) also at the root of its own loopback
/// port, where clients configured for `http://localhost:8998` find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct LivySettings {
    pub enabled: bool,
    pub port: u16,
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

impl Default for LivySettings {
    fn default() -> Self {
        Self { enabled: false, port: 8998, unknown: UnknownFields::new() }
    }
}

/// What a new job's form starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct JobDefaults {
    pub cluster_name: String,
    pub language: Language,
    /// Spark properties, `k=v;k2=v2`.
    pub job_config: String,
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

/// Where local jobs' Spark comes from, when not from `SPARK_HOME`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct SparkSettings {
    /// A Spark folder picked by the user (a distribution or a virtualenv with pyspark);
    /// none: the Spark installed into the data directory, or what the machine has.
    pub folder: Option<PathBuf>,
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub unknown: UnknownFields,
}

impl Default for RestServerSettings {
    fn default() -> Self {
        Self { enabled: false, port: 9888, unknown: UnknownFields::new() }
    }
}

impl Default for JobDefaults {
    fn default() -> Self {
        Self {
            cluster_name: crate::model::cluster::DEFAULT_CLUSTER.into(),
            language: Language::Python,
            job_config: String::new(),
            unknown: UnknownFields::new(),
        }
    }
}

impl Engine {
    /// The saved settings, or the defaults when none were saved (or the file is unreadable).
    pub fn settings(&self) -> Settings {
        let path = self.data_dir().join(FILE_NAME);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "settings unreadable; using defaults");
                Settings::default()
            }),
            Err(_) => Settings::default(),
        }
    }

    pub async fn update_settings(&self, settings: Settings) -> Result<Settings> {
        self.validate_settings(&settings).await?;
        let path = self.data_dir().join(FILE_NAME);
        let tmp = self.data_dir().join(format!(".{FILE_NAME}.tmp"));
        let json = serde_json::to_vec_pretty(&settings).map_err(|e| EngineError::Conflict(format!("settings cannot be saved: {e}")))?;
        let spark_changed = self.settings().spark != settings.spark;
        fs::write(&tmp, json)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| EngineError::io(format!("cannot save {}", path.display()), e))?;
        if spark_changed {
            self.forget_spark_env().await;
        }
        Ok(settings)
    }

    /// Uses the Spark in `folder` from now on (validated first), or with `None` forgets the
    /// picked folder; the other settings stay as saved.
    pub async fn set_spark_folder(&self, folder: Option<PathBuf>) -> Result<Settings> {
        let mut settings = self.settings();
        settings.spark.folder = folder;
        self.update_settings(settings).await
    }

    /// Checks settings without saving them (the desktop shell checks before it applies).
    pub async fn validate_settings(&self, settings: &Settings) -> Result<()> {
        refuse_unknown::<Settings>("", &settings.unknown)?;
        refuse_unknown::<RestServerSettings>("restServer.", &settings.rest_server.unknown)?;
        refuse_unknown::<JobDefaults>("jobDefaults.", &settings.job_defaults.unknown)?;
        refuse_unknown::<SparkSettings>("spark.", &settings.spark.unknown)?;
        refuse_unknown::<LivySettings>("livy.", &settings.livy.unknown)?;
        if let Some(folder) = &settings.spark.folder {
            crate::spark_env::check_spark_folder(folder).map_err(|reason| EngineError::invalid("spark.folder", reason))?;
        }
        if settings.rest_server.port == 0 {
            return Err(EngineError::invalid("restServer.port", "must be between 1 and 65535"));
        }
        if settings.livy.port == 0 {
            return Err(EngineError::invalid("livy.port", "must be between 1 and 65535"));
        }
        if settings.livy.enabled && settings.rest_server.enabled && settings.livy.port == settings.rest_server.port {
            return Err(EngineError::invalid("livy.port", format!("{} is the REST API's port; pick another", settings.livy.port)));
        }
        let cluster = settings.job_defaults.cluster_name.trim();
        if self.store().cluster_by_name(cluster).await?.is_none() {
            return Err(EngineError::invalid("jobDefaults.clusterName", format!("there is no cluster named '{cluster}'")));
        }
        parse_pairs("jobDefaults.jobConfig", &settings.job_defaults.job_config)?;
        if settings.job_defaults.language == Language::Sql {
            return Err(EngineError::invalid("jobDefaults.language", "SQL runs only as cells of a CODE group; a job is SCALA or PYTHON"));
        }
        Ok(())
    }
}
