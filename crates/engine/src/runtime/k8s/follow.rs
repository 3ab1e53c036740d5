//! Following a driver pod: the pod and its phase as the watcher sees them, and its executors.

use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::runtime::watcher::{self, Event, watcher};
use kube::runtime::WatchStreamExt;

use super::errors::cluster_error;
use super::manifests::{LABEL_APP_ID, LABEL_ROLE};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverPhase {
    /// Scheduled or pulling its image.
    Starting,
    Running,
    Succeeded,
    /// `reason` is Kubernetes' word (`Error`, `OOMKilled`, `ImagePullBackOff`…), `message`
    /// a sentence for the user.
    Failed { reason: String, message: String },
    /// The pod no longer exists (stopped, or deleted by someone else).
    Gone,
}

impl DriverPhase {
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Starting | Self::Running)
    }
}

/// Waiting reasons that will not resolve by themselves.
pub(crate) const IMAGE_FAILURES: [&str; 4] = ["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"];

/// The phase of a driver pod from its status.
pub fn driver_phase(pod: &Pod) -> DriverPhase {
    let Some(status) = &pod.status else { return DriverPhase::Starting };
    let containers = status.container_statuses.as_deref().unwrap_or_default();
    match status.phase.as_deref() {
        Some("Running") => DriverPhase::Running,
        Some("Succeeded") => DriverPhase::Succeeded,
        Some("Failed") => {
            let terminated = containers.iter().find_map(|c| c.state.as_ref()?.terminated.as_ref());
            match terminated {
                Some(t) => {
                    let reason = t.reason.clone().unwrap_or_else(|| "Error".into());
                    let mut message = format!("the driver exited with code {} ({reason})", t.exit_code);
                    if let Some(detail) = t.message.as_ref().filter(|m| !m.trim().is_empty()) {
                        message.push_str(": ");
                        message.push_str(detail.trim());
                    }
                    DriverPhase::Failed { reason, message }
                }
                None => DriverPhase::Failed {
                    reason: status.reason.clone().unwrap_or_else(|| "Failed".into()),
                    message: status.message.clone().unwrap_or_else(|| "the driver pod failed".into()),
                },
            }
        }
        _ => {
            for c in containers {
                let Some(waiting) = c.state.as_ref().and_then(|s| s.waiting.as_ref()) else { continue };
                let reason = waiting.reason.clone().unwrap_or_default();
                if IMAGE_FAILURES.contains(&reason.as_str()) {
                    let detail = waiting.message.as_deref().map(|m| format!(": {}", m.trim())).unwrap_or_default();
                    return DriverPhase::Failed { message: format!("image {} cannot be pulled ({reason}){detail}", c.image), reason };
                }
            }
            DriverPhase::Starting
        }
    }
}

/// A driver pod as its watcher sees it: `Ok(Some(pod))` the pod as it is now, `Ok(None)`
/// once no pod has the name (deleted, or missing from a re-list), `Err` a failed list or
/// watch. The watcher retries after errors (backing off) and re-lists after a 410 Gone or
/// a broken stream, so a long job survives API server hiccups. The caller checks the uid:
/// the name may be taken by a newer pod.
pub fn watch_driver(client: kube::Client, namespace: &str, name: &str) -> BoxStream<'static, Result<Option<Pod>, watcher::Error>> {
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let events = watcher(api, config).default_backoff();
    // `listed`: whether the current (re-)list had the pod; an empty list means it is gone.
    events
        .scan(false, |listed, event| {
            let seen = match event {
                Ok(Event::Init) => {
                    *listed = false;
                    None
                }
                Ok(Event::InitApply(pod)) => {
                    *listed = true;
                    Some(Ok(Some(pod)))
                }
                Ok(Event::InitDone) if *listed => None,
                Ok(Event::InitDone | Event::Delete(_)) => Some(Ok(None)),
                Ok(Event::Apply(pod)) => Some(Ok(Some(pod))),
                Err(e) => Some(Err(e)),
            };
            std::future::ready(Some(seen))
        })
        .filter_map(std::future::ready)
        .boxed()
}

/// The driver's phases as they change, ending after a final one; watch errors are logged
/// and retried (see [`watch_driver`]).
pub fn follow_driver(client: kube::Client, namespace: &str, name: &str) -> BoxStream<'static, DriverPhase> {
    let pod = name.to_string();
    let seen = watch_driver(client, namespace, name);
    futures::stream::unfold((seen, None::<DriverPhase>), move |(mut seen, mut last)| {
        let pod = pod.clone();
        async move {
            // Ends right after a final phase, without waiting for another event.
            if last.as_ref().is_some_and(DriverPhase::is_final) {
                return None;
            }
            loop {
                let phase = match seen.next().await? {
                    Ok(seen) => seen.as_ref().map_or(DriverPhase::Gone, driver_phase),
                    Err(e) => {
                        tracing::warn!(%pod, "watching the driver pod: {e}; retrying");
                        continue;
                    }
                };
                if last.as_ref() != Some(&phase) {
                    last = Some(phase.clone());
                    return Some((phase, (seen, last)));
                }
            }
        }
    })
    .boxed()
}

/// The label selector of an app's executor pods.
pub fn executor_selector(app_id: &str) -> String {
    format!("{LABEL_APP_ID}={app_id},{LABEL_ROLE}=executor")
}

pub async fn executor_pods(client: &kube::Client, url: &str, namespace: &str, app_id: &str) -> Result<Vec<Pod>> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let list = api.list(&ListParams::default().labels(&executor_selector(app_id))).await.map_err(|e| cluster_error(url, &e))?;
    Ok(list.items)
}
