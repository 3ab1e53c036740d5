//! The Kubernetes [`ClusterRuntime`]: launch uploads the job's files to the cluster's
//! `sparkStorage` and creates the driver pod (no local Spark or JVM). From its first poll
//! on, each driver pod has a background watcher (`follow::watch_driver`) that stores the
//! pod as last seen; poll answers from that, with no request of its own, and keeps one
//! background copy of the driver's and executors' logs per pod running, so the logs are
//! in the job directory before the job ends and outlive the pods. Both tasks end with the
//! job or the runtime. Stop deletes the pod. Recovery needs nothing more than the stored [`DriverRef::Pod`].
//! A group driver's pod runs the driver agent; [`ClusterRuntime::agent_endpoint`] keeps a
//! port-forward to it while the pod runs (see `forward.rs`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Preconditions};
use futures::StreamExt;
use tokio::task::JoinHandle;

use super::errors::{cluster_error, describe_watch, status_code};
use super::follow::{DriverPhase, IMAGE_FAILURES, driver_phase, watch_driver};
use super::logs::copy_app_logs;
use super::forward::Forwarder;
use super::agent_package::pack_agent_package;
use super::manifests::{AgentSpec, K8sDriverPlan, LABEL_APP_ID, driver_manifests};
use super::storage::{
    delete_prefix, download_prefix, events_prefix, job_prefix, put_events_marker, s3_credentials, s3a_conf, spark_storage, upload_artifacts,
};
use super::submit::submit_driver;
use crate::error::{EngineError, Result};
use crate::model::cluster::Cluster;
use crate::runtime::event_log::event_log_conf;
use crate::runtime::local::{EVENTS_DIR, foreign};
use crate::runtime::job_dir::RemoteLaunch;
use crate::runtime::{BoxFuture, ClusterRuntime, DriverPlan, DriverRef, Exit, LaunchTrace, Launched, Liveness};

/// Where the driver agent listens in a group driver's pod (the pod has its own network,
/// so a fixed port cannot clash; the agent's secret guards it).
pub(crate) const AGENT_PORT: u16 = 7090;

/// An API server unreachable this long while a job runs ends the job (FAILED); shorter
/// outages (a restart, a network blip) only log warnings.
const UNREACHABLE_LIMIT: Duration = Duration::from_secs(15 * 60);
/// How long the end of a job waits for its log copies to reach the end of the logs.
const LOG_DRAIN: Duration = Duration::from_secs(30);
/// How long the end of a job waits for its event log to be copied back from the storage.
const EVENT_LOG_COPY: Duration = Duration::from_secs(120);
/// A log copy that broke off while the driver runs is started again, at most this often.
const LOG_RETRY: Duration = Duration::from_secs(10);
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Spark's UI port when `spark.ui.port` is not set.
const DEFAULT_UI_PORT: u16 = 4040;

/// The port a pod's first container declares under `name`.
fn declared_port(pod: &Pod, name: &str) -> Option<u16> {
    let container = pod.spec.as_ref()?.containers.first()?;
    let port = container.ports.as_ref()?.iter().find(|p| p.name.as_deref() == Some(name))?;
    u16::try_from(port.container_port).ok()
}

pub(crate) struct K8sRuntime {
    cluster: Cluster,
    client: kube::Client,
    /// What this runtime knows of each driver pod it polls, by pod uid; shared with the
    /// pods' watcher tasks, which write what they see into it.
    drivers: Arc<Mutex<HashMap<String, Tracked>>>,
}

#[derive(Default)]
struct Tracked {
    /// The pod's watcher task, feeding `seen` and `unreachable_since`.
    watch: Option<JoinHandle<()>>,
    seen: Seen,
    /// The background `copy_app_logs` task and when it started.
    logs: Option<(Instant, JoinHandle<()>)>,
    app_reported: bool,
    /// Since when the watcher's lists or watches fail, and why; cleared by its next event.
    unreachable_since: Option<Instant>,
    cause: String,
    warned: Option<Instant>,
    /// The pod was Running at the last poll: only then is there an agent to reach.
    pod_running: bool,
    /// The port-forward to a group driver's agent; dropped with the driver.
    forward: Option<Forwarder>,
    /// The port-forward to the driver's Spark UI, opened while the pod runs; dropped
    /// with the driver (its end, a stop, the runtime).
    ui_forward: Option<Forwarder>,
}

/// The driver pod as its watcher last saw it.
#[derive(Default)]
enum Seen {
    /// The watcher's first list has not arrived yet.
    #[default]
    Listing,
    Pod(Box<Pod>),
    /// Deleted, or the name now belongs to another pod.
    Gone,
}

impl Drop for Tracked {
    /// A job that ended, or a dropped runtime, leaves no task behind; a later runtime
    /// (engine restart, edited cluster) watches and copies the logs again.
    fn drop(&mut self) {
        if let Some(task) = &self.watch {
            task.abort();
        }
        if let Some((_, task)) = &self.logs {
            task.abort();
        }
    }
}

fn lock(drivers: &Mutex<HashMap<String, Tracked>>) -> MutexGuard<'_, HashMap<String, Tracked>> {
    drivers.lock().unwrap_or_else(PoisonError::into_inner)
}

impl K8sRuntime {
    pub(crate) fn new(cluster: &Cluster) -> Result<Self> {
        Ok(Self { cluster: cluster.clone(), client: super::client_for(cluster)?, drivers: Arc::default() })
    }

    fn url(&self) -> &str {
        &self.cluster.spec.url
    }

    fn tracked<T>(&self, uid: &str, f: impl FnOnce(&mut Tracked) -> T) -> T {
        f(lock(&self.drivers).entry(uid.to_string()).or_default())
    }

    async fn launch_pod(&self, plan: &DriverPlan) -> Result<Launched> {
        // Everything that can be refused by field is checked before anything is uploaded.
        let storage = spark_storage(&self.cluster)?;
        let conf = pod_conf(plan);
        let mut pod_plan =
            K8sDriverPlan::new(&self.cluster, &plan.app_name, plan.main_class.clone(), String::new(), plan.args.clone(), &conf, plan.python)?;
        let job_id = plan.job_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut py_files = plan.py_files.clone();
        if let Some(secret) = &plan.agent_secret {
            // The agent runs from storage, its `ilum` package zipped beside it, and listens on
            // the pod's network (where the port-forward arrives), not on loopback.
            let package = pack_agent_package(&plan.main, &plan.job_dir).map_err(|e| EngineError::io("cannot pack the driver agent", e))?;
            py_files.insert(0, package);
            pod_plan.agent = Some(AgentSpec { port: AGENT_PORT, secret: secret.clone() });
            pod_plan.env.push(("SPARKDECK_DRIVER_PORT".into(), AGENT_PORT.to_string()));
            pod_plan.env.push(("SPARKDECK_DRIVER_HOST".into(), "0.0.0.0".into()));
        }
        let groups = [std::slice::from_ref(&plan.main), &plan.jars[..], &py_files[..], &plan.files[..]];
        let uploads: Vec<(PathBuf, String)> =
            groups.iter().flat_map(|g| g.iter()).map(|p| (p.clone(), object_name(&plan.job_dir, p))).collect();
        let mut urls = upload_artifacts(storage, &job_prefix(&job_id), &uploads).await?.into_iter();
        pod_plan.main_resource = urls.next().unwrap_or_default();
        for (key, group) in [("spark.jars", &plan.jars), ("spark.submit.pyFiles", &py_files), ("spark.files", &plan.files)] {
            let ours: Vec<String> = urls.by_ref().take(group.len()).collect();
            append_list(&mut pod_plan.conf, key, &ours);
        }
        pod_plan.conf.extend(s3a_conf(storage));
        if !conf.contains_key("spark.eventLog.enabled") && !conf.contains_key("spark.eventLog.dir") {
            // The event log goes to the storage and is copied back when the job ends.
            let events = events_prefix(&job_id);
            put_events_marker(storage, &events).await?;
            for (key, value) in event_log_conf(&format!("s3a://{}/{events}", storage.spark_bucket), plan.interactive) {
                pod_plan.conf.insert(key.into(), value);
            }
        }
        pod_plan.s3_credentials = s3_credentials(storage);
        pod_plan.env.extend(plan.env.iter().cloned());
        let manifests = driver_manifests(&pod_plan)?;
        RemoteLaunch::Pod {
            namespace: manifests.pod.metadata.namespace.clone().unwrap_or_default(),
            name: manifests.pod.metadata.name.clone().unwrap_or_default(),
            app_id: manifests.pod.metadata.labels.as_ref().and_then(|l| l.get(LABEL_APP_ID)).cloned().unwrap_or_default(),
        }
        .write(&plan.job_dir)?;
        let pod = submit_driver(&self.client, self.url(), manifests).await?;
        tracing::info!(pod = %pod.name, namespace = %pod.namespace, app = %pod.app_id, "driver pod created");
        Ok(Launched { driver: DriverRef::Pod { namespace: pod.namespace, name: pod.name, uid: pod.uid }, child: None })
    }

    /// The pod a launch into `job_dir` created, found by the name it recorded first.
    async fn find_pod(&self, job_dir: &Path) -> LaunchTrace {
        let Some(RemoteLaunch::Pod { namespace, name, app_id }) = RemoteLaunch::read(job_dir) else {
            return LaunchTrace::NotStarted;
        };
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        match pods.get_opt(&name).await {
            Ok(Some(pod)) if pod.metadata.labels.as_ref().and_then(|l| l.get(LABEL_APP_ID)) == Some(&app_id) => {
                match pod.metadata.uid {
                    Some(uid) => LaunchTrace::Driver(DriverRef::Pod { namespace, name, uid }),
                    None => LaunchTrace::Unknown,
                }
            }
            // Never created (a pod of that name for another app refused ours).
            Ok(_) => LaunchTrace::NotStarted,
            Err(e) => {
                tracing::warn!(pod = %name, error = %cluster_error(self.url(), &e), "cannot look up a pod whose launch was not recorded");
                LaunchTrace::Unknown
            }
        }
    }

    async fn poll_pod(&self, namespace: &str, name: &str, uid: &str, job_dir: &Path) -> Liveness {
        let seen = self.tracked(uid, |t| {
            if t.watch.is_none() {
                t.watch = Some(self.spawn_watch(namespace, name, uid));
            }
            if let Some(since) = t.unreachable_since {
                return Err((since, t.cause.clone()));
            }
            Ok(match &t.seen {
                Seen::Listing => None,
                Seen::Pod(pod) => Some((pod.metadata.labels.as_ref().and_then(|l| l.get(LABEL_APP_ID).cloned()), driver_phase(pod))),
                Seen::Gone => Some((None, DriverPhase::Gone)),
            })
        });
        let (app_id, phase) = match seen {
            Ok(Some(seen)) => seen,
            // No GET meanwhile: the list is one round trip away, and a GET would need its own
            // error path for what the watcher reports anyway.
            Ok(None) => return Liveness::Running { app_id: None },
            Err((since, cause)) => return self.unreachable(uid, since, &cause),
        };
        if phase != DriverPhase::Gone {
            self.ensure_log_copy(namespace, name, uid, app_id.as_deref().unwrap_or_default(), job_dir, !phase.is_final());
        }
        let pod_running = phase == DriverPhase::Running;
        let liveness = match phase {
            DriverPhase::Starting => Liveness::Running { app_id: None },
            DriverPhase::Running => {
                self.tracked(uid, |t| t.app_reported = true);
                Liveness::Running { app_id }
            }
            // A driver that ran and ended between two polls still reports its app id once,
            // so the job passes through BUSY with it; the next poll ends it.
            DriverPhase::Succeeded | DriverPhase::Failed { .. }
                if ran(&phase) && app_id.is_some() && !self.tracked(uid, |t| std::mem::replace(&mut t.app_reported, true)) =>
            {
                Liveness::Running { app_id }
            }
            ended => {
                self.drain_logs(uid).await;
                if ran(&ended) {
                    self.copy_event_log(job_dir).await;
                }
                lock(&self.drivers).remove(uid);
                return Liveness::Ended(Exit::Reported(match ended {
                    DriverPhase::Failed { reason, message } if message.contains(&reason) => Err(message),
                    DriverPhase::Failed { reason, message } => Err(format!("{reason}: {message}")),
                    DriverPhase::Gone => Err("the driver pod was deleted".into()),
                    _ => Ok(()),
                }));
            }
        };
        self.tracked(uid, |t| t.pod_running = pod_running);
        liveness
    }

    /// The pod's watcher: stores each sighting of the pod (or its absence) and each failed
    /// list or watch into the pod's entry; aborted when the entry goes.
    fn spawn_watch(&self, namespace: &str, name: &str, uid: &str) -> JoinHandle<()> {
        let (drivers, url, uid) = (Arc::clone(&self.drivers), self.url().to_string(), uid.to_string());
        let mut events = watch_driver(self.client.clone(), namespace, name);
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let mut drivers = lock(&drivers);
                let Some(t) = drivers.get_mut(&uid) else { return };
                match event {
                    Ok(pod) => {
                        // Same name, other uid: ours was deleted and someone made a new one.
                        t.seen = match pod.filter(|p| p.metadata.uid.as_deref() == Some(uid.as_str())) {
                            Some(pod) => Seen::Pod(Box::new(pod)),
                            None => Seen::Gone,
                        };
                        t.unreachable_since = None;
                    }
                    Err(e) => {
                        t.unreachable_since.get_or_insert_with(Instant::now);
                        t.cause = describe_watch(&url, &e);
                    }
                }
            }
        })
    }

    /// The watcher fails to list or watch: the job keeps running (warned about once a
    /// minute) unless the API server has been unreachable for [`UNREACHABLE_LIMIT`].
    fn unreachable(&self, uid: &str, since: Instant, cause: &str) -> Liveness {
        if since.elapsed() >= UNREACHABLE_LIMIT {
            // Ends the watcher and the log copy too: there is nothing left to drain.
            lock(&self.drivers).remove(uid);
            return Liveness::Ended(Exit::Reported(Err(format!(
                "lost contact with the Kubernetes API server for {} minutes ({cause}); the driver pod may still be running",
                UNREACHABLE_LIMIT.as_secs() / 60
            ))));
        }
        let warn = self.tracked(uid, |t| {
            let warn = t.warned.is_none_or(|w| w.elapsed() >= WARN_EVERY);
            if warn {
                t.warned = Some(Instant::now());
            }
            warn
        });
        if warn {
            tracing::warn!(uid, "cannot watch the driver pod, still waiting: {cause}");
        }
        Liveness::Running { app_id: None }
    }

    /// Keeps one log copy per pod running (and restarts one that broke off while the
    /// driver still runs).
    fn ensure_log_copy(&self, namespace: &str, name: &str, uid: &str, app_id: &str, job_dir: &Path, running: bool) {
        self.tracked(uid, |t| {
            let restart = match &t.logs {
                None => true,
                Some((started, task)) => running && task.is_finished() && started.elapsed() >= LOG_RETRY,
            };
            if !restart {
                return;
            }
            let (client, url, namespace, name, app_id, dir) =
                (self.client.clone(), self.url().to_string(), namespace.to_string(), name.to_string(), app_id.to_string(), job_dir.to_path_buf());
            let task = tokio::spawn(async move {
                if let Err(e) = copy_app_logs(&client, &url, &namespace, &name, &app_id, &dir).await {
                    tracing::warn!(pod = %name, "copying the job's logs: {e}");
                }
            });
            t.logs = Some((Instant::now(), task));
        });
    }

    /// Lets the log copy reach the end of the logs, so they are complete once the job ends.
    async fn drain_logs(&self, uid: &str) {
        let Some((_, mut task)) = self.tracked(uid, |t| t.logs.take()) else { return };
        if tokio::time::timeout(LOG_DRAIN, &mut task).await.is_err() {
            tracing::warn!(uid, "the job's logs were still being copied after {} s; stopped", LOG_DRAIN.as_secs());
            task.abort();
        }
    }

    /// Copies the driver's event log from the storage into the job's `events/` folder, where
    /// the History Server reads it. A copy that fails is logged: the log stays in the
    /// storage (until the job is deleted) and the job ends as it did.
    async fn copy_event_log(&self, job_dir: &Path) {
        let Ok(storage) = spark_storage(&self.cluster) else { return };
        let job_id = job_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = events_prefix(&job_id);
        match tokio::time::timeout(EVENT_LOG_COPY, download_prefix(storage, &prefix, &job_dir.join(EVENTS_DIR))).await {
            Ok(Ok(copied)) => tracing::info!(job = %job_id, copied, "event log copied back from the storage"),
            Ok(Err(e)) => tracing::warn!(job = %job_id, "cannot copy the event log back: {e}"),
            Err(_) => tracing::warn!(job = %job_id, "the event log was still being copied back after {} s; stopped", EVENT_LOG_COPY.as_secs()),
        }
    }

    /// The local port of the port-forward to a running group driver's agent, started on
    /// first use. `None` while the pod is not Running (or the listener cannot be opened).
    async fn agent_port(&self, namespace: &str, name: &str, uid: &str) -> Option<u16> {
        let (running, port) = self.tracked(uid, |t| (t.pod_running, t.forward.as_ref().map(Forwarder::port)));
        if !running {
            return None;
        }
        if port.is_some() {
            return port;
        }
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        match Forwarder::start(api, name.to_string(), AGENT_PORT, "driver agent").await {
            Ok(forward) => {
                let port = forward.port();
                tracing::info!(pod = name, port, "port-forward to the driver agent listening");
                self.tracked(uid, |t| t.forward = Some(forward));
                Some(port)
            }
            Err(e) => {
                tracing::warn!(pod = name, "cannot listen for a port-forward to the driver agent: {e}");
                None
            }
        }
    }

    /// The loopback URL of the port-forward to a running driver pod's Spark UI (the port
    /// its container declares as `spark-ui`: `spark.ui.port`, else 4040), opened on first
    /// use. `None` while the pod is not Running.
    async fn ui_url(&self, namespace: &str, name: &str, uid: &str) -> Option<String> {
        let (running, ui_port, local) = self.tracked(uid, |t| {
            let ui_port = match &t.seen {
                Seen::Pod(pod) => declared_port(pod, "spark-ui"),
                _ => None,
            };
            (t.pod_running, ui_port, t.ui_forward.as_ref().map(Forwarder::port))
        });
        if !running {
            return None;
        }
        if let Some(port) = local {
            return Some(format!("http://127.0.0.1:{port}"));
        }
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        match Forwarder::start(api, name.to_string(), ui_port.unwrap_or(DEFAULT_UI_PORT), "Spark UI").await {
            Ok(forward) => {
                let port = forward.port();
                tracing::info!(pod = name, port, "port-forward to the Spark UI listening");
                self.tracked(uid, |t| t.ui_forward = Some(forward));
                Some(format!("http://127.0.0.1:{port}"))
            }
            Err(e) => {
                tracing::warn!(pod = name, "cannot listen for a port-forward to the Spark UI: {e}");
                None
            }
        }
    }

    async fn stop_pod(&self, namespace: &str, name: &str, uid: &str, grace: Duration) -> Result<()> {
        // Nothing talks to a driver being stopped.
        self.tracked(uid, |t| {
            t.forward = None;
            t.ui_forward = None;
        });
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let params = DeleteParams {
            grace_period_seconds: Some(u32::try_from(grace.as_secs()).unwrap_or(u32::MAX)),
            // Never a newer pod that took the name.
            preconditions: Some(Preconditions { uid: Some(uid.to_string()), resource_version: None }),
            ..DeleteParams::default()
        };
        match api.delete(name, &params).await {
            Ok(_) => {}
            // 404: already gone; 409: the name now belongs to another pod.
            Err(e) if matches!(status_code(&e), Some(404 | 409)) => return Ok(()),
            Err(e) => return Err(cluster_error(self.url(), &e)),
        }
        // The kubelet kills the container after the grace period; a little more for the
        // API object to go.
        let deadline = Instant::now() + grace + Duration::from_secs(5);
        while Instant::now() < deadline {
            match api.get_opt(name).await {
                Ok(None) => return Ok(()),
                Ok(Some(pod)) if pod.metadata.uid.as_deref() != Some(uid) => return Ok(()),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        tracing::warn!(pod = name, "the driver pod is still terminating after {} s", grace.as_secs());
        Ok(())
    }
}

impl Drop for K8sRuntime {
    fn drop(&mut self) {
        // The watcher tasks hold the map too: clearing it aborts them (see `Tracked`).
        lock(&self.drivers).clear();
    }
}

/// Whether the driver container ran (an image that never pulled did not).
fn ran(phase: &DriverPhase) -> bool {
    match phase {
        DriverPhase::Succeeded => true,
        DriverPhase::Failed { reason, .. } => !IMAGE_FAILURES.contains(&reason.as_str()),
        _ => false,
    }
}

/// The plan's conf for the pod. Entries whose value names a path in this machine's data
/// directory (the `file:` event log directory and the virtualenv's `spark.pyspark.python`
/// a local driver gets) mean nothing in a pod: they are dropped. The engine adds neither
/// for Kubernetes; this keeps it so. The user's own conf passes unchanged.
fn pod_conf(plan: &DriverPlan) -> BTreeMap<String, String> {
    let data_dir = plan.job_dir.parent().and_then(Path::parent).map(|d| d.to_string_lossy().into_owned()).filter(|d| d.len() > 1);
    plan.conf
        .iter()
        .filter(|(key, value)| {
            let local = data_dir.as_ref().is_some_and(|d| value.contains(d.as_str()));
            if local {
                tracing::info!(key = %key, "not passed to the driver pod: it names a path on this machine");
            }
            !local
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `jars/app.jar` for `<job dir>/jars/app.jar`: the object's name under the job's prefix.
fn object_name(job_dir: &Path, path: &Path) -> String {
    match path.strip_prefix(job_dir) {
        Ok(relative) => relative.to_string_lossy().into_owned(),
        Err(_) => path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

/// Appends `urls` to a comma-separated conf list, after what the user set.
fn append_list(conf: &mut BTreeMap<String, String>, key: &str, urls: &[String]) {
    if urls.is_empty() {
        return;
    }
    let mut items: Vec<String> = conf.get(key).into_iter().flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    items.extend(urls.iter().cloned());
    conf.insert(key.to_string(), items.join(","));
}

impl ClusterRuntime for K8sRuntime {
    fn launch<'a>(&'a self, plan: &'a DriverPlan) -> BoxFuture<'a, Result<Launched>> {
        Box::pin(self.launch_pod(plan))
    }

    fn poll<'a>(&'a self, driver: &'a DriverRef, job_dir: &'a Path) -> BoxFuture<'a, Liveness> {
        Box::pin(async move {
            match driver {
                DriverRef::Pod { namespace, name, uid } => self.poll_pod(namespace, name, uid, job_dir).await,
                other => foreign(other),
            }
        })
    }

    fn stop<'a>(&'a self, driver: &'a DriverRef, grace: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match driver {
                DriverRef::Pod { namespace, name, uid } => self.stop_pod(namespace, name, uid, grace).await,
                _ => Ok(()),
            }
        })
    }

    fn agent_endpoint<'a>(&'a self, driver: &'a DriverRef, _job_dir: &'a Path) -> BoxFuture<'a, Option<u16>> {
        Box::pin(async move {
            match driver {
                DriverRef::Pod { namespace, name, uid } => self.agent_port(namespace, name, uid).await,
                _ => None,
            }
        })
    }

    /// A port-forward to the pod's UI port, owned here and dropped when the job ends.
    fn spark_ui<'a>(&'a self, driver: &'a DriverRef, _job_dir: &'a Path) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            match driver {
                DriverRef::Pod { namespace, name, uid } => self.ui_url(namespace, name, uid).await,
                _ => None,
            }
        })
    }

    fn find_launched<'a>(&'a self, job_dir: &'a Path) -> BoxFuture<'a, LaunchTrace> {
        Box::pin(self.find_pod(job_dir))
    }

    fn remove_job_files<'a>(&'a self, job_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            // A cluster without a storage any more has nowhere the files could be.
            let Ok(storage) = spark_storage(&self.cluster) else { return Ok(()) };
            delete_prefix(storage, &job_prefix(job_id)).await
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(super::test_k8s_connection(&self.cluster))
    }

    fn needs_local_spark(&self) -> bool {
        false
    }

    /// Resolved here by the engine, with this machine's Spark, and uploaded with the jobs'
    /// jars (the cluster may reach no repository).
    fn resolves_packages(&self, _python: bool) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_stay_out_of_the_pod_conf_and_lists_append() {
        let plan = DriverPlan {
            app_name: "a".into(),
            master: "k8s://https://k:6443".into(),
            conf: BTreeMap::from([
                ("spark.eventLog.dir".into(), "file:/data/sparkdeck/jobs/j1/events".into()),
                ("spark.pyspark.python".into(), "/data/sparkdeck/venvs/abc/bin/python".into()),
                ("spark.executor.instances".into(), "2".into()),
            ]),
            main: "/data/sparkdeck/jobs/j1/jars/app.jar".into(),
            main_class: Some("a.B".into()),
            args: vec![],
            jars: vec![],
            py_files: vec![],
            files: vec![],
            python: false,
            interactive: false,
            agent_secret: None,
            spark_submit: PathBuf::new(),
            env: vec![],
            venv: None,
            packages: None,
            job_dir: "/data/sparkdeck/jobs/j1".into(),
        };
        let conf = pod_conf(&plan);
        assert_eq!(conf.keys().collect::<Vec<_>>(), ["spark.executor.instances"]);
        assert_eq!(object_name(&plan.job_dir, &plan.main), "jars/app.jar");
        let mut conf = BTreeMap::from([("spark.jars".to_string(), "s3a://b/mine.jar".to_string())]);
        append_list(&mut conf, "spark.jars", &["s3a://b/x.jar".into()]);
        append_list(&mut conf, "spark.files", &[]);
        assert_eq!(conf["spark.jars"], "s3a://b/mine.jar,s3a://b/x.jar");
        assert!(!conf.contains_key("spark.files"));
    }
}
