//! The layout of a driver's job directory, the same for every runtime: what the driver
//! (or the copies of its cluster's logs) writes there, and how it is read back.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::{log_index, log_rotate};

/// The driver's logs, in its job directory, for every runtime.
pub(crate) const DRIVER_STDOUT: &str = "stdout.log";
pub(crate) const DRIVER_STDERR: &str = "stderr.log";
/// Executors' logs copied from the cluster: `executors/<executor id>/{stdout,stderr}.log`.
pub(crate) const EXECUTORS_DIR: &str = "executors";
/// The longest executor id that names a directory (a Kubernetes pod name has at most 253).
const MAX_EXECUTOR_ID: usize = 253;
/// The Spark settings a local spark-submit reads (`--properties-file`, 0600).
pub(crate) const SPARK_PROPERTIES: &str = "spark-submit.properties";
/// The 0600 settings of a driver's packages resolution, and the empty script it runs.
pub(crate) const PACKAGES_PROPERTIES: &str = "packages-resolve.properties";
pub(crate) const PACKAGES_PROBE: &str = "packages-resolve.py";
/// Written with spark-submit's exit code when a local driver ends.
pub(crate) const EXIT_FILE: &str = "exit-code";
/// Written by a local driver's wrapper before anything else: a job directory without it
/// (and without a running wrapper) belongs to a launch that never started.
pub(crate) const LAUNCH_MARK: &str = "launched";
/// The variable a driver agent reads its secret from.
pub const AGENT_SECRET_ENV: &str = "SPARKDECK_DRIVER_SECRET";
/// The variable a driver agent reads its lease from (seconds without contact before it
/// shuts itself down).
pub const AGENT_LEASE_ENV: &str = "SPARKDECK_DRIVER_LEASE_SECONDS";
/// The interpreters (`PYTHON,SQL,SCALA`) a group driver's agent warms up before READY.
pub const AGENT_INTERPRETERS_ENV: &str = "SPARKDECK_DRIVER_INTERPRETERS";
/// Where a driver agent writes `{port, pid, appId, ...}` once it is ready.
pub(crate) const DRIVER_INFO: &str = "driver-info.json";
/// How much of a log's end is searched for the error summary.
const ERROR_TAIL_BYTES: u64 = 256 * 1024;

/// What `SPARKDECK_DRIVER_INFO` holds once the agent is ready.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DriverInfo {
    pub(crate) port: u16,
    #[serde(default)]
    pub(crate) app_id: Option<String>,
}

impl DriverInfo {
    pub(crate) fn read(path: &Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }
}

/// What a runtime whose drivers start elsewhere is about to create, written before it asks
/// the cluster (and completed with the cluster's answer): when a crash keeps the launch's
/// `DriverRef` from being recorded, recovery looks the driver up by it instead of
/// launching the job twice. No file means the cluster was never asked.
pub(crate) const REMOTE_LAUNCH: &str = "remote-launch.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum RemoteLaunch {
    /// A driver pod about to be created (its name is fixed before the request).
    #[serde(rename_all = "camelCase")]
    Pod { namespace: String, name: String, app_id: String },
    /// A standalone REST submission: the id once the master answered.
    Submission { id: Option<String> },
}

impl RemoteLaunch {
    pub(crate) fn write(&self, job_dir: &Path) -> Result<()> {
        let path = job_dir.join(REMOTE_LAUNCH);
        let tmp = job_dir.join(format!("{REMOTE_LAUNCH}.tmp"));
        let json = serde_json::to_vec(self).map_err(|e| EngineError::Internal(format!("cannot encode a launch record: {e}")))?;
        fs::write(&tmp, json)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| EngineError::io(format!("cannot write {}", path.display()), e))
    }

    pub(crate) fn read(job_dir: &Path) -> Option<Self> {
        serde_json::from_slice(&fs::read(job_dir.join(REMOTE_LAUNCH)).ok()?).ok()
    }
}

/// Rotates the driver's logs in a job directory that are past `max_bytes`, keeping `keep`
/// older parts (see [`crate::log_rotate`]), and bounds its rolling event log
/// ([`super::event_log::bound_rolling_logs`]). Called by the one task that polls the driver.
pub(crate) async fn rotate_driver_logs(job_dir: &Path, max_bytes: u64, keep: usize) {
    let events = job_dir.join(super::local::EVENTS_DIR);
    let _ = tokio::task::spawn_blocking(move || super::event_log::bound_rolling_logs(&events, super::event_log::MAX_ROLLED_FILES)).await;
    for log in [job_dir.join(DRIVER_STDOUT), job_dir.join(DRIVER_STDERR)] {
        let path = log.clone();
        let rotated = tokio::task::spawn_blocking(move || log_rotate::rotate_if_over(&path, max_bytes, keep)).await;
        match rotated {
            Ok(Ok(true)) => tracing::info!(log = %log.display(), max_bytes, "log rotated"),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(log = %log.display(), error = %e, "cannot rotate log"),
            Err(e) => tracing::warn!(log = %log.display(), error = %e, "log rotation failed"),
        }
    }
}

/// One log of a job, as found in its directory.
pub(crate) struct LogResource {
    pub(crate) name: String,
    pub(crate) log_type: &'static str,
    pub(crate) role: &'static str,
    pub(crate) path: PathBuf,
}

/// The logs a job's directory holds, whichever runtime wrote them: the driver's
/// `stdout.log`/`stderr.log`, then `executors/<id>/{stdout,stderr}.log` for each executor
/// whose logs were copied from the cluster.
pub(crate) fn log_resources(job_dir: &Path) -> Vec<LogResource> {
    let mut out = vec![
        LogResource { name: "driver-stdout".into(), log_type: "stdout", role: "driver", path: job_dir.join(DRIVER_STDOUT) },
        LogResource { name: "driver-stderr".into(), log_type: "stderr", role: "driver", path: job_dir.join(DRIVER_STDERR) },
    ];
    let mut executors: Vec<String> = fs::read_dir(job_dir.join(EXECUTORS_DIR))
        .map(|dir| dir.flatten().filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    executors.sort_by(|a, b| natural_key(a).cmp(&natural_key(b)));
    for executor in executors {
        for (log_type, file) in [("stdout", DRIVER_STDOUT), ("stderr", DRIVER_STDERR)] {
            out.push(LogResource {
                name: format!("executor-{executor}-{log_type}"),
                log_type,
                role: "executor",
                path: job_dir.join(EXECUTORS_DIR).join(&executor).join(file),
            });
        }
    }
    out
}

/// Whether an executor id can name its directory under `executors/`. Ids come from the
/// cluster (a worker's `/json/`, the API server's pod names), which is not trusted to keep
/// copies inside the job directory: only a plain name is one path component.
pub(crate) fn is_safe_executor_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_EXECUTOR_ID
        && id != "."
        && id != ".."
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Where `file` of an executor's logs is copied, or `None` when its id is not safe (the
/// caller skips that executor).
pub(crate) fn executor_log(job_dir: &Path, executor_id: &str, file: &str) -> Option<PathBuf> {
    is_safe_executor_id(executor_id).then(|| job_dir.join(EXECUTORS_DIR).join(executor_id).join(file))
}

/// Sorts executor ids numerically when they are numbers (`2` before `10`).
fn natural_key(id: &str) -> (u64, &str) {
    (id.parse().unwrap_or(u64::MAX), id)
}

/// The summary line of the error a driver printed last (an exception, a pip failure), from
/// the first of `logs` that has one.
pub(crate) fn error_summary(job_dir: &Path, logs: [&str; 2]) -> Option<String> {
    logs.iter().find_map(|name| log_index::error_summary(&log_index::tail_text(&job_dir.join(name), ERROR_TAIL_BYTES)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executors_logs_follow_the_driver_in_numeric_order() {
        let dir = tempfile::tempdir().unwrap();
        for executor in ["10", "2", "1"] {
            fs::create_dir_all(dir.path().join(EXECUTORS_DIR).join(executor)).unwrap();
        }
        let names: Vec<String> = log_resources(dir.path()).into_iter().map(|r| r.name).collect();
        assert_eq!(
            names,
            [
                "driver-stdout", "driver-stderr", "executor-1-stdout", "executor-1-stderr", "executor-2-stdout",
                "executor-2-stderr", "executor-10-stdout", "executor-10-stderr",
            ]
        );
        let executor = &log_resources(dir.path())[2];
        assert_eq!((executor.role, executor.log_type), ("executor", "stdout"));
        assert_eq!(executor.path, dir.path().join("executors/1/stdout.log"));
    }

    #[test]
    fn only_plain_executor_ids_name_a_directory() {
        for id in ["0", "12", "spark-pi-1a2b-exec-1", "a_b.c", "...x"] {
            assert!(is_safe_executor_id(id), "{id}");
        }
        let long = "a".repeat(MAX_EXECUTOR_ID + 1);
        for id in ["", ".", "..", "../..", "/etc", "a/b", "a\\b", "x\0", "é", " 1", long.as_str()] {
            assert!(!is_safe_executor_id(id), "{id:?}");
            assert_eq!(executor_log(Path::new("/j"), id, DRIVER_STDOUT), None);
        }
        assert_eq!(executor_log(Path::new("/j"), "3", DRIVER_STDERR), Some(PathBuf::from("/j/executors/3/stderr.log")));
    }
}
