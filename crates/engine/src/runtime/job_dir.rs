//! The layout of a driver's job directory, the same for every runtime: what the driver
//! (or the copies of its cluster's logs) writes there, and how it is read back.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
/// Written with spark-submit's exit code when a local driver ends.
pub(crate) const EXIT_FILE: &str = "exit-code";
/// The variable a driver agent reads its secret from.
pub const AGENT_SECRET_ENV: &str = "SPARKDECK_DRIVER_SECRET";
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

/// Rotates the driver's logs in a job directory that are past `max_bytes`, keeping `keep`
/// older parts (see [`crate::log_rotate`]). Called by the one task that polls the driver.
pub(crate) async fn rotate_driver_logs(job_dir: &Path, max_bytes: u64, keep: usize) {
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
