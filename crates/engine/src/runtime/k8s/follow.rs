//! Following a driver pod: its phase as the watcher sees it, and its executors.

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

/// The driver's phases as they change, ending after a final one. The watcher re-lists
/// after a 410 Gone or a broken stream, so a long job survives API server hiccups.
pub fn follow_driver(client: kube::Client, namespace: &str, name: &str) -> BoxStream<'static, DriverPhase> {
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let events = watcher(api, config).default_backoff().boxed();
    let name = name.to_string();
    futures::stream::unfold((events, None::<DriverPhase>, false), move |(mut events, mut last, mut listed)| {
        let name = name.clone();
        async move {
            if last.as_ref().is_some_and(DriverPhase::is_final) {
                return None;
            }
            loop {
                let phase = match events.next().await? {
                    Ok(Event::Init) => {
                        listed = false;
                        continue;
                    }
                    Ok(Event::InitApply(pod)) => {
                        listed = true;
                        driver_phase(&pod)
                    }
                    Ok(Event::InitDone) if listed => continue,
                    Ok(Event::InitDone) | Ok(Event::Delete(_)) => DriverPhase::Gone,
                    Ok(Event::Apply(pod)) => driver_phase(&pod),
                    Err(e) => {
                        tracing::warn!(pod = %name, "watching the driver pod: {e}; retrying");
                        continue;
                    }
                };
                if last.as_ref() != Some(&phase) {
                    last = Some(phase.clone());
                    return Some((phase, (events, last, listed)));
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
