//! [`ClusterRuntime`] for a Spark standalone cluster.
//!
//! - JVM single jobs run in cluster deploy mode through the master's REST submission
//!   server: the master picks a worker that starts the driver. The job's jar is passed as
//!   its path in the job directory, which only works when the workers share this
//!   machine's filesystem (a cluster on loopback, or a shared mount); a remote cluster
//!   would need the jar on storage the workers can fetch from.
//! - Python single jobs and interactive group drivers run in client mode (standalone
//!   refuses Python in cluster mode, and group drivers must be reachable from here):
//!   `spark-submit --master spark://…` on this machine, through the local runtime's
//!   process machinery. Group drivers get dynamic allocation, so an idle group gives its
//!   executors' cores back to the cluster.
//!
//! Either way, every poll copies what is new in the driver's (cluster mode) and the
//! executors' logs from the workers into the job directory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::cluster_json::master_state;
use super::connection::{reach_master, test_standalone_connection};
use super::endpoints::Endpoints;
use super::http;
use super::log_copy::{JobLogs, app_id_in_driver_log};
use super::rest::{CreateSubmissionRequest, DriverState, RestClient, Submission};
use crate::runtime::job_dir::{DRIVER_INFO, DriverInfo, RemoteLaunch};
use crate::error::{EngineError, Result};
use crate::model::cluster::Cluster;
use crate::model::driver::ProcessRef;
use crate::runtime::local::{LocalRuntime, foreign};
use crate::runtime::job_dir::DRIVER_STDERR;
use crate::runtime::spark_ui::bound_ui_in_job_dir;
use crate::runtime::{BoxFuture, ClusterRuntime, DriverPlan, DriverRef, Exit, LaunchTrace, Launched, Liveness};

/// Settings an interactive driver gets unless the user set them: executors come when
/// requests need them and leave after idling, so an idle group holds no cores.
/// Shuffle tracking stands in for the external shuffle service standalone lacks.
const GROUP_DYNAMIC_ALLOCATION: [(&str, &str); 4] = [
    ("spark.dynamicAllocation.enabled", "true"),
    ("spark.dynamicAllocation.shuffleTracking.enabled", "true"),
    ("spark.dynamicAllocation.shuffleTracking.timeout", "15s"),
    ("spark.dynamicAllocation.executorIdleTimeout", "10s"),
];
/// Logs are copied at most this often while a driver runs (polls come every 250 ms).
const LOG_SYNC_EVERY: Duration = Duration::from_secs(1);
/// How long the REST server may stay unreachable before a driver counts as lost.
const LOST_AFTER: Duration = Duration::from_secs(120);
/// How long after a kill the master may take to end the driver and its application.
const KILL_SETTLE: Duration = Duration::from_secs(30);
/// The app id is announced in the first lines of a driver's stderr.
const APP_ID_SEARCH_BYTES: u64 = 1 << 20;

pub(crate) struct StandaloneRuntime {
    cluster: Cluster,
    endpoints: Endpoints,
    http: reqwest::Client,
    rest: RestClient,
    /// Per job directory: its log copies and how contact with the cluster is going.
    follows: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<Follow>>>>,
}

struct Follow {
    logs: JobLogs,
    last_sync: Option<Instant>,
    unreachable_since: Option<Instant>,
}

impl StandaloneRuntime {
    pub(crate) fn new(cluster: &Cluster) -> Result<Self> {
        let endpoints = Endpoints::of(cluster).ok_or_else(|| {
            EngineError::invalid("url", format!("'{}' is not a master URL such as spark://host:7077", cluster.spec.url))
        })?;
        let http = http::client();
        let rest = RestClient::new(http.clone(), &endpoints.rest);
        Ok(Self { cluster: cluster.clone(), endpoints, http, rest, follows: Mutex::new(HashMap::new()) })
    }

    fn follow_of(&self, job_dir: &Path) -> Arc<tokio::sync::Mutex<Follow>> {
        let mut follows = self.follows.lock().unwrap_or_else(PoisonError::into_inner);
        follows
            .entry(job_dir.to_path_buf())
            .or_insert_with(|| {
                Arc::new(tokio::sync::Mutex::new(Follow {
                    logs: JobLogs::new(job_dir, &self.endpoints.web_ui),
                    last_sync: None,
                    unreachable_since: None,
                }))
            })
            .clone()
    }

    fn forget(&self, job_dir: &Path) {
        self.follows.lock().unwrap_or_else(PoisonError::into_inner).remove(job_dir);
    }

    /// Copies new log bytes: at most every [`LOG_SYNC_EVERY`], or now when `last`.
    async fn sync_logs(&self, follow: &mut Follow, last: bool) {
        if !last && follow.last_sync.is_some_and(|t| t.elapsed() < LOG_SYNC_EVERY) {
            return;
        }
        follow.last_sync = Some(Instant::now());
        if let Err(e) = follow.logs.sync(&self.http).await {
            tracing::debug!(cluster = %self.cluster.name, error = %e, "standalone log copy incomplete");
        }
    }

    /// A JVM single job: its driver in cluster mode, through the REST server.
    async fn submit(&self, plan: &DriverPlan) -> Result<Launched> {
        let main_class = plan.main_class.clone().ok_or_else(|| EngineError::invalid("jobClass", "is required"))?;
        // The event log goes to the job directory as for a local driver: on loopback the
        // worker shares this filesystem (a multi-host cluster needs a shared
        // `spark.eventLog.dir`: docs/ARCHITECTURE.md).
        let mut properties = plan.conf.clone();
        if !plan.files.is_empty() {
            properties.insert("spark.files".into(), join(&plan.files));
        }
        let spark_version = plan
            .env
            .iter()
            .find(|(k, _)| k == "SPARK_HOME")
            .and_then(|(_, home)| crate::spark_env::spark_version(Path::new(home)))
            .unwrap_or_default();
        let request = CreateSubmissionRequest::new(Submission {
            master: self.endpoints.master.clone(),
            app_name: plan.app_name.clone(),
            // A path on this machine: see the module's doc.
            app_resource: plan.main.to_string_lossy().into_owned(),
            main_class,
            args: plan.args.clone(),
            jars: plan.jars.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
            properties,
            // This machine's SPARK_HOME/JAVA_HOME mean nothing on a worker.
            env: BTreeMap::new(),
            spark_version,
        });
        RemoteLaunch::Submission { id: None }.write(&plan.job_dir)?;
        let id = self.rest.create(&request).await?;
        RemoteLaunch::Submission { id: Some(id.clone()) }.write(&plan.job_dir)?;
        tracing::info!(cluster = %self.cluster.name, submission = id, "driver submitted");
        Ok(Launched { driver: DriverRef::Submission { id }, child: None })
    }

    /// A Python single job or a group's driver: `spark-submit` here, in client mode.
    fn client_mode(&self, plan: &DriverPlan) -> Result<Launched> {
        let mut plan = plan.clone();
        plan.master = self.endpoints.master.clone();
        // Standalone refuses Python drivers in cluster mode, and Sparkdeck follows
        // client-mode drivers as local processes: the mode is not the user's to pick here.
        plan.conf.insert("spark.submit.deployMode".into(), "client".into());
        if plan.interactive {
            for (key, value) in GROUP_DYNAMIC_ALLOCATION {
                plan.conf.entry(key.to_string()).or_insert_with(|| value.to_string());
            }
        }
        LocalRuntime::spawn(&plan)
    }

    async fn poll_process(&self, process: ProcessRef, job_dir: &Path) -> Liveness {
        let liveness = LocalRuntime::process_liveness(process, job_dir);
        let follow = self.follow_of(job_dir);
        let mut follow = follow.lock().await;
        let app_id = match &liveness {
            Liveness::Running { app_id: Some(id) } => Some(id.clone()),
            // Group drivers run without an event log; the agent reports its app id.
            _ => DriverInfo::read(&job_dir.join(DRIVER_INFO)).and_then(|i| i.app_id),
        };
        if let Some(app_id) = app_id.filter(|_| follow.logs.app_id().is_none()) {
            follow.logs.follow_app(&app_id);
        }
        let ended = matches!(liveness, Liveness::Ended(_));
        self.sync_logs(&mut follow, ended).await;
        drop(follow);
        if ended {
            self.forget(job_dir);
        }
        liveness
    }

    async fn poll_submission(&self, id: &str, job_dir: &Path) -> Liveness {
        let follow = self.follow_of(job_dir);
        let mut follow = follow.lock().await;
        follow.logs.follow_driver(id);
        let status = match self.rest.status(id).await {
            Ok(status) => {
                follow.unreachable_since = None;
                status
            }
            Err(e) => {
                let since = *follow.unreachable_since.get_or_insert_with(Instant::now);
                if since.elapsed() < LOST_AFTER {
                    tracing::debug!(submission = id, error = %e, "cannot read the driver's state; retrying");
                    return Liveness::Running { app_id: follow.logs.app_id().map(str::to_string) };
                }
                drop(follow);
                self.forget(job_dir);
                return Liveness::Ended(Exit::Reported(Err(format!(
                    "lost track of driver {id} for {} s, its outcome is unknown: {e}",
                    LOST_AFTER.as_secs()
                ))));
            }
        };
        let ended = status.state.is_final();
        self.sync_logs(&mut follow, ended).await;
        if follow.logs.app_id().is_none()
            && let Some(app_id) = app_id_in_driver_log(&head_text(&job_dir.join(DRIVER_STDERR), APP_ID_SEARCH_BYTES))
        {
            follow.logs.follow_app(&app_id);
            // The executors' logs from this round on (the driver's were just copied).
            self.sync_logs(&mut follow, true).await;
        }
        let app_id = follow.logs.app_id().map(str::to_string);
        drop(follow);
        if !ended {
            return Liveness::Running { app_id };
        }
        self.forget(job_dir);
        let on = status.worker_host_port.as_deref().map(|w| format!(" on worker {w}")).unwrap_or_default();
        let detail = status.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
        Liveness::Ended(Exit::Reported(match status.state {
            DriverState::Finished => Ok(()),
            DriverState::Killed => Err(format!("driver {id} was killed{on}{detail}")),
            DriverState::Error => Err(format!("the worker could not start driver {id}{on}{detail}")),
            _ => Err(format!("driver {id} failed{on}{detail}")),
        }))
    }

    /// The application of a followed cluster-mode driver, once its log named it.
    async fn app_of_driver(&self, id: &str) -> Option<String> {
        let follows: Vec<_> = self.follows.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
        for follow in follows {
            let follow = follow.lock().await;
            if follow.logs.driver() == Some(id) {
                return follow.logs.app_id().map(str::to_string);
            }
        }
        None
    }

    /// Kills a cluster-mode driver and waits until the master reports it and its
    /// application ended, so its cores are free when this returns.
    async fn kill(&self, id: &str, grace: Duration) -> Result<()> {
        if let Err(kill_error) = self.rest.kill(id).await {
            // Refused because it already ended is fine; anything else is not.
            match self.rest.status(id).await {
                Ok(status) if status.state.is_final() => return Ok(()),
                _ => return Err(kill_error),
            }
        }
        let app_id = self.app_of_driver(id).await;
        let deadline = Instant::now() + grace + KILL_SETTLE;
        loop {
            let status_final = self.rest.status(id).await.is_ok_and(|s| s.state.is_final());
            // The application ends after its driver; until then its executors hold cores.
            let app_running = match (&app_id, status_final) {
                (Some(app_id), true) => master_state(&self.http, &self.endpoints.web_ui)
                    .await
                    .map_or(true, |m| m.activeapps.iter().any(|a| &a.id == app_id)),
                _ => false,
            };
            if status_final && !app_running {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(EngineError::Conflict(format!(
                    "driver {id} did not end within {} s of being killed through {}",
                    (grace + KILL_SETTLE).as_secs(),
                    self.rest.base()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// The first `max` bytes of a file as text (empty when it cannot be read).
fn head_text(path: &Path, max: u64) -> String {
    use std::io::Read;
    let mut bytes = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(max).read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn join(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join(",")
}

impl ClusterRuntime for StandaloneRuntime {
    fn launch<'a>(&'a self, plan: &'a DriverPlan) -> BoxFuture<'a, Result<Launched>> {
        Box::pin(async move {
            // Fail now, naming the master, rather than leave a driver retrying for a minute.
            reach_master(&self.endpoints).await?;
            if plan.python || plan.interactive { self.client_mode(plan) } else { self.submit(plan).await }
        })
    }

    /// Client-mode drivers start here; for JVM jobs (the master's REST server) the engine
    /// resolves them and passes the jars by path.
    fn resolves_packages(&self, python: bool) -> bool {
        python
    }

    fn poll<'a>(&'a self, driver: &'a DriverRef, job_dir: &'a Path) -> BoxFuture<'a, Liveness> {
        Box::pin(async move {
            match driver {
                DriverRef::Process(process) => self.poll_process(*process, job_dir).await,
                DriverRef::Submission { id } => self.poll_submission(id, job_dir).await,
                other => foreign(other),
            }
        })
    }

    /// Client-mode drivers run here (their UI on loopback, as local ones); a cluster-mode
    /// driver's UI is on its worker: at the address its copied log names, or at the
    /// worker's host when it bound every interface.
    fn spark_ui<'a>(&'a self, driver: &'a DriverRef, job_dir: &'a Path) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let bound = bound_ui_in_job_dir(job_dir)?;
            match driver {
                DriverRef::Submission { .. } => {
                    let host = match bound.host.as_str() {
                        "0.0.0.0" | "::" | "0:0:0:0:0:0:0:0" => {
                            // Only a driver being followed (no entry is made for one that ended).
                            let follow = self.follows.lock().unwrap_or_else(PoisonError::into_inner).get(job_dir).cloned()?;
                            follow.lock().await.logs.driver_host()?.to_string()
                        }
                        named => named.to_string(),
                    };
                    Some(format!("http://{}:{}", url_host(&host), bound.port))
                }
                _ => Some(bound.loopback_url()),
            }
        })
    }

    fn stop<'a>(&'a self, driver: &'a DriverRef, grace: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match driver {
                DriverRef::Process(process) => LocalRuntime::stop_process(*process, grace).await,
                DriverRef::Submission { id } => self.kill(id, grace).await,
                DriverRef::Pod { .. } => Ok(()),
            }
        })
    }

    /// Client-mode drivers are local processes and can be found; a cluster-mode submission
    /// whose id was never recorded cannot be told from others on the master.
    /// Client-mode drivers are found as local ones are, cluster-mode ones by the
    /// submission id recorded as soon as the master answered. A submission the master
    /// may have taken without its answer arriving cannot be told from none.
    fn find_launched<'a>(&'a self, job_dir: &'a Path) -> BoxFuture<'a, LaunchTrace> {
        Box::pin(async move {
            if let Some(trace) = crate::runtime::local::local_launch_trace(job_dir) {
                return trace;
            }
            match RemoteLaunch::read(job_dir) {
                Some(RemoteLaunch::Submission { id: Some(id) }) => LaunchTrace::Driver(DriverRef::Submission { id }),
                Some(_) => LaunchTrace::Unknown,
                None => LaunchTrace::NotStarted,
            }
        })
    }

    fn check(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(test_standalone_connection(&self.cluster))
    }
}

/// A host as a URL names it (an IPv6 address in brackets).
fn url_host(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_string() }
}
