//! Copying pod logs into the job directory while they run, so they outlive the pods:
//! the driver's to `<job_dir>/stdout.log`, each executor's to
//! `<job_dir>/executors/<pod>/stdout.log`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use futures::{AsyncReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube::runtime::watcher::{self, Event, watcher};
use kube::runtime::WatchStreamExt;
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

use super::errors::cluster_error;
use super::follow::{DriverPhase, executor_selector, follow_driver};
use crate::error::{EngineError, Result};
use crate::runtime::job_dir::{DRIVER_STDOUT, executor_log};

pub fn driver_log_path(job_dir: &Path) -> PathBuf {
    job_dir.join(DRIVER_STDOUT)
}

/// Where an executor pod's log is copied, or `None` for a pod name that is not a plain
/// name (the API server is not trusted to keep copies inside the job directory).
pub fn executor_log_path(job_dir: &Path, pod: &str) -> Option<PathBuf> {
    executor_log(job_dir, pod, DRIVER_STDOUT)
}

/// Follows one pod's log into `path` (replaced: a re-follow copies from the start) until
/// the container ends. Returns the bytes copied.
pub async fn copy_pod_log(client: &kube::Client, url: &str, namespace: &str, pod: &str, path: &Path) -> Result<u64> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = LogParams { follow: true, ..LogParams::default() };
    let mut stream = api.log_stream(pod, &params).await.map_err(|e| cluster_error(url, &e))?;
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
    }
    let mut file = tokio::fs::File::create(path).await.map_err(|e| EngineError::io(format!("creating {}", path.display()), e))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| EngineError::Unavailable(format!("the log of pod '{pod}' broke off: {e}")))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).await.map_err(|e| EngineError::io(format!("writing {}", path.display()), e))?;
        total += n as u64;
    }
    file.flush().await.map_err(|e| EngineError::io(format!("writing {}", path.display()), e))?;
    Ok(total)
}

/// Copies the driver's log and every executor's log as they appear, returning when the
/// driver's log has ended and every executor log started meanwhile has ended too.
pub async fn copy_app_logs(client: &kube::Client, url: &str, namespace: &str, driver: &str, app_id: &str, job_dir: &Path) -> Result<()> {
    // Logs exist once the container started; a driver that never ran has none.
    let started = follow_driver(client.clone(), namespace, driver)
        .filter(|p| std::future::ready(*p != DriverPhase::Starting))
        .next()
        .await;
    if matches!(started, None | Some(DriverPhase::Gone)) {
        return Ok(());
    }
    if let Some(DriverPhase::Failed { reason, .. }) = &started
        && reason.starts_with("ImagePull") | reason.starts_with("ErrImage") | (reason == "InvalidImageName")
    {
        return Ok(());
    }
    let driver_log = driver_log_path(job_dir);
    let driver_copy = copy_pod_log(client, url, namespace, driver, &driver_log);
    tokio::pin!(driver_copy);
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut executors = watcher(api, watcher::Config::default().labels(&executor_selector(app_id))).default_backoff().boxed();
    let mut copying = HashSet::new();
    let mut copies = JoinSet::new();
    let driver_result = loop {
        tokio::select! {
            result = &mut driver_copy => break result,
            event = executors.next() => match event {
                Some(Ok(Event::Apply(pod) | Event::InitApply(pod))) => {
                    let started = pod.status.as_ref().and_then(|s| s.phase.as_deref()).is_some_and(|p| p != "Pending");
                    let Some(name) = pod.metadata.name.clone() else { continue };
                    if started && copying.insert(name.clone()) {
                        let Some(path) = executor_log_path(job_dir, &name) else {
                            tracing::warn!(pod = ?name, "skipping the log of an executor pod whose name is not a plain name");
                            continue;
                        };
                        let (client, url, namespace) = (client.clone(), url.to_string(), namespace.to_string());
                        copies.spawn(async move {
                            if let Err(e) = copy_pod_log(&client, &url, &namespace, &name, &path).await {
                                tracing::warn!(pod = %name, "copying an executor log: {e}");
                            }
                        });
                    }
                }
                Some(Err(e)) => tracing::warn!("watching executors: {e}; retrying"),
                Some(Ok(_)) => {}
                None => {}
            },
        }
    };
    while copies.join_next().await.is_some() {}
    driver_result.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executor_pod_logs_stay_in_the_job_directory() {
        let job_dir = Path::new("/data/jobs/j1");
        assert_eq!(executor_log_path(job_dir, "pi-exec-1"), Some(job_dir.join("executors/pi-exec-1/stdout.log")));
        for pod in ["..", "../../x", "/etc", "a/b"] {
            assert_eq!(executor_log_path(job_dir, pod), None, "{pod}");
        }
    }
}
