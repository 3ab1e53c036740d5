//! Where jobs run. One [`ClusterRuntime`] per cluster type; only `local` exists so far
//! (standalone and Kubernetes will add theirs behind the same trait).

pub(crate) mod local;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use crate::error::Result;
use crate::model::job::ProcessRef;

/// Everything needed to start one driver, already resolved to paths and arguments.
#[derive(Debug, Clone)]
pub(crate) struct LaunchSpec {
    /// `spark-submit` and its arguments.
    pub(crate) argv: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) work_dir: PathBuf,
    pub(crate) stdout: PathBuf,
    pub(crate) stderr: PathBuf,
    /// Written with the exit code when the driver ends, even if the app is gone by then.
    pub(crate) exit_file: PathBuf,
    /// A virtualenv to build (when missing) before the driver starts.
    pub(crate) venv: Option<VenvSpec>,
}

#[derive(Debug, Clone)]
pub(crate) struct VenvSpec {
    pub(crate) dir: PathBuf,
    pub(crate) base_python: PathBuf,
    pub(crate) requirements_file: PathBuf,
}

/// A launched driver: what recovery needs, and (when this process started it) the child
/// to reap.
pub(crate) struct Launched {
    pub(crate) process: ProcessRef,
    pub(crate) child: Option<tokio::process::Child>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    Running,
    /// Ended: the exit code when the wrapper recorded one.
    Ended(Option<i32>),
}

/// Log resources a runtime produces for a job: (name, type, role, path).
pub(crate) struct LogResource {
    pub(crate) name: &'static str,
    pub(crate) log_type: &'static str,
    pub(crate) role: &'static str,
    pub(crate) path: PathBuf,
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub(crate) trait ClusterRuntime: Send + Sync {
    /// Starts the driver. Its output goes straight to the spec's log files.
    fn launch(&self, spec: &LaunchSpec) -> Result<Launched>;
    /// Whether the driver recorded as `process` still runs; `exit_file` as in the spec.
    fn liveness(&self, process: ProcessRef, exit_file: &std::path::Path) -> Liveness;
    /// Stops the driver and everything it started: politely, then after `grace` by force.
    /// Returns once nothing of it is left.
    fn stop(&self, process: ProcessRef, grace: Duration) -> BoxFuture<'_, Result<()>>;
    /// The logs a job's directory holds.
    fn log_resources(&self, job_dir: &std::path::Path) -> Vec<LogResource>;
}
