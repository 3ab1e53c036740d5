//! Installing Spark on first start: a virtualenv with `pyspark==4.3.0` from the package
//! index (the machine's pip configuration: index, mirror, cache) in `<data dir>/spark/`.
//!
//! One install at a time: a second request while one runs joins it. Its progress is
//! engine state with one writer (the install's task), published as
//! [`EngineEvent::SparkInstallChanged`]; a cancel kills the install's process group and
//! the temporary directory goes with it. Layout and crash clean-up: `layout.rs`; reading
//! pip: `pip_output.rs`; the steps: `run.rs`.

mod layout;
mod pip_output;
mod run;

use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, watch};

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;

pub use layout::{INSTALL_DIR, installed_venv};
pub(crate) use layout::remove_incomplete;

/// The Spark an install sets up.
pub const SPARK_VERSION: &str = "4.3.0";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum InstallState {
    /// No install ran since the engine opened.
    #[default]
    Idle,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl InstallState {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum InstallStep {
    CreateEnvironment,
    Download,
    Install,
    Check,
}

impl InstallStep {
    pub fn describe(self) -> &'static str {
        match self {
            Self::CreateEnvironment => "creating the Python environment",
            Self::Download => "downloading pyspark",
            Self::Install => "installing pyspark",
            Self::Check => "checking the installed pyspark",
        }
    }
}

/// Where an install is: `GET /api/v1/status`'s `sparkInstall`, the first-run screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SparkInstallStatus {
    pub state: InstallState,
    pub step: Option<InstallStep>,
    /// Bytes of the current download, where pip tells them.
    pub bytes_done: Option<u64>,
    pub bytes_total: Option<u64>,
    /// What failed, when `state` is `failed` or `cancelled`.
    pub error: Option<String>,
    /// The installed environment, once `succeeded`.
    pub spark_dir: Option<PathBuf>,
}

/// The install's live state: written by the running install's task (and by `start`, which
/// creates that task), read by everyone.
pub(crate) struct SparkInstaller {
    status: watch::Sender<SparkInstallStatus>,
    cancel: Mutex<Option<oneshot::Sender<()>>>,
}

impl Default for SparkInstaller {
    fn default() -> Self {
        Self { status: watch::Sender::new(SparkInstallStatus::default()), cancel: Mutex::new(None) }
    }
}

impl Engine {
    pub fn spark_install_status(&self) -> SparkInstallStatus {
        self.inner().spark_install.status.borrow().clone()
    }

    /// Starts installing Spark into the data directory, or joins the install that runs.
    /// Returns at once; follow it with [`Engine::wait_spark_install`] or the events.
    pub fn start_spark_install(&self) -> SparkInstallStatus {
        let installer = &self.inner().spark_install;
        let started = installer.status.send_if_modified(|status| {
            if status.state == InstallState::Running {
                return false;
            }
            *status = SparkInstallStatus { state: InstallState::Running, step: Some(InstallStep::CreateEnvironment), ..Default::default() };
            true
        });
        if started {
            let (cancel, cancelled) = oneshot::channel();
            *installer.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cancel);
            self.announce_spark_install();
            tokio::spawn(run::install(self.clone(), cancelled));
        }
        self.spark_install_status()
    }

    /// Cancels the running install: its processes are killed and its temporary directory
    /// removed; nothing is left that is taken for Spark.
    pub fn cancel_spark_install(&self) -> Result<SparkInstallStatus> {
        let cancel = self.inner().spark_install.cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        match cancel {
            Some(cancel) if self.spark_install_status().state == InstallState::Running => {
                let _ = cancel.send(());
                Ok(self.spark_install_status())
            }
            _ => Err(EngineError::Conflict("no Spark install is running".into())),
        }
    }

    /// The install's status once it has ended (at once when none runs).
    pub async fn wait_spark_install(&self) -> SparkInstallStatus {
        let mut status = self.inner().spark_install.status.subscribe();
        let ended = status.wait_for(|s| s.state != InstallState::Running).await.map(|s| s.clone());
        ended.unwrap_or_else(|_| self.spark_install_status())
    }

    /// The one writer's update, then its announcement.
    fn update_spark_install(&self, change: impl FnOnce(&mut SparkInstallStatus) -> bool) {
        if self.inner().spark_install.status.send_if_modified(change) {
            self.announce_spark_install();
        }
    }

    fn announce_spark_install(&self) {
        self.publish(EngineEvent::SparkInstallChanged { install: self.spark_install_status() });
    }
}

