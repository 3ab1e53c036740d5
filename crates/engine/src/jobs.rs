//! Single jobs: submit, queue, launch, follow, stop, delete, logs and recovery.
//!
//! Every state change is written to SQLite first (only while the job is still active:
//! the first end wins) and announced after. A job waits in SUBMITTED until its cluster
//! has a free slot; the launched driver is followed by one task that notices the app id
//! (→ BUSY) and the exit (→ FINISHED, FAILED or CANCELED).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use uuid::Uuid;

use crate::artifacts::{Uploaded, ZIP_MAGIC};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::logs;
use crate::model::cluster::{Cluster, ClusterType, DEFAULT_CLUSTER};
use crate::model::job::{
    Job, JobRecord, JobSpec, JobState, JobType, Language, validate_class_name,
    validate_job_name,
};
use crate::model::paging::{Page, PageRequest};
use crate::model::wire::{parse_args, parse_pairs, parse_requirements};
use crate::runtime::local::{EVENTS_DIR, app_id_in};
use crate::runtime::{ClusterRuntime, DRIVER_STDERR, DRIVER_STDOUT, DriverRef, EXIT_FILE, Exit, Launched, Liveness};
use crate::spark_env::SparkStatus;
use crate::store::jobs::JobFilter;
use crate::time::now_ms;

/// A submit form: the text fields as sent, and the finished uploads.
#[derive(Default)]
pub struct JobSubmission {
    pub name: Option<String>,
    pub tags: Option<String>,
    pub language: Option<String>,
    pub cluster_name: Option<String>,
    pub job_class: Option<String>,
    pub job_config: Option<String>,
    pub py_requirements: Option<String>,
    pub args: Option<String>,
    pub jars: Vec<Uploaded>,
    pub files: Vec<Uploaded>,
    pub py_files: Vec<Uploaded>,
}

/// The filters `GET /job` offers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct JobQuery {
    pub job_types: Vec<JobType>,
    pub states: Vec<JobState>,
    pub cluster_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub search: Option<String>,
    pub page: PageRequest,
}

/// Which job changes a listener wants (`GET /job/updates`); empty lists match all.
#[derive(Debug, Clone, Default)]
pub struct JobWatch {
    pub job_ids: Vec<String>,
    pub group_ids: Vec<String>,
    pub cluster_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl JobWatch {
    pub fn matches(&self, job: &Job) -> bool {
        (self.job_ids.is_empty() || self.job_ids.contains(&job.job_id))
            && (self.group_ids.is_empty() || job.group_id.as_ref().is_some_and(|g| self.group_ids.contains(g)))
            && (self.cluster_names.is_empty()
                || self.cluster_names.iter().any(|c| c.eq_ignore_ascii_case(&job.cluster_name)))
            && self.tags.iter().all(|(k, v)| job.tags.get(k) == Some(v))
    }
}

/// What the engine keeps about a job it follows.
#[derive(Default)]
pub(crate) struct Running {
    stop_requested: AtomicBool,
    exited: Notify,
}

pub(crate) const POLL: Duration = Duration::from_millis(250);
/// Where a driver agent writes `{port, pid, appId, ...}` once it is ready (in its job directory).
pub(crate) const DRIVER_INFO: &str = "driver-info.json";
/// How much of a log's end is searched for the error summary.
pub(crate) const ERROR_TAIL_BYTES: u64 = 256 * 1024;

fn text(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

fn no_nul(field: &str, values: impl IntoIterator<Item = impl AsRef<str>>) -> Result<()> {
    if values.into_iter().any(|v| v.as_ref().contains('\0')) {
        return Err(EngineError::invalid(field, "may not contain NUL characters"));
    }
    Ok(())
}

fn check_unique(field: &str, uploads: &[Uploaded]) -> Result<()> {
    for (i, u) in uploads.iter().enumerate() {
        if uploads[..i].iter().any(|other| other.name == u.name) {
            return Err(EngineError::invalid(field, format!("'{}' is uploaded twice", u.name)));
        }
    }
    Ok(())
}

impl Engine {
    pub async fn submit_job(&self, form: JobSubmission) -> Result<Job> {
        let name = text(&form.name);
        validate_job_name("name", name)?;
        let tags = parse_pairs("tags", text(&form.tags))?;
        no_nul("tags", tags.values())?;
        let language = match text(&form.language) {
            "" => Language::Scala,
            other => Language::parse("language", other)?,
        };
        let config = parse_pairs("jobConfig", text(&form.job_config))?;
        no_nul("jobConfig", config.values())?;
        let requirements = parse_requirements("pyRequirements", text(&form.py_requirements))?;
        let args = parse_args(form.args.as_deref().unwrap_or(""));
        no_nul("args", &args)?;
        let job_class = Some(text(&form.job_class)).filter(|c| !c.is_empty()).map(str::to_string);
        check_unique("jars", &form.jars)?;
        check_unique("files", &form.files)?;
        check_unique("pyFiles", &form.py_files)?;
        for jar in &form.jars {
            if jar.size == 0 {
                return Err(EngineError::invalid("jars", format!("'{}' is empty", jar.name)));
            }
            if jar.head != ZIP_MAGIC {
                return Err(EngineError::invalid("jars", format!("'{}' is not a jar (it has no zip signature)", jar.name)));
            }
        }
        match language {
            Language::Python => {
                let Some(main) = form.py_files.first() else {
                    return Err(EngineError::invalid("pyFiles", "is required for a PYTHON job: the first file is the main script"));
                };
                if !main.name.ends_with(".py") {
                    return Err(EngineError::invalid("pyFiles", format!("the main script '{}' must be a .py file", main.name)));
                }
                if job_class.is_some() {
                    return Err(EngineError::invalid("jobClass", "only SCALA jobs take a main class"));
                }
            }
            Language::Scala => {
                let Some(class) = &job_class else {
                    return Err(EngineError::invalid("jobClass", "is required for a SCALA job"));
                };
                validate_class_name("jobClass", class)?;
                if form.jars.is_empty() {
                    return Err(EngineError::invalid("jars", "is required for a SCALA job: the first jar holds jobClass"));
                }
                if !form.py_files.is_empty() {
                    return Err(EngineError::invalid("pyFiles", "only PYTHON jobs take Python files"));
                }
                if !requirements.is_empty() {
                    return Err(EngineError::invalid("pyRequirements", "only PYTHON jobs take Python requirements"));
                }
            }
        }
        let cluster_name = match text(&form.cluster_name) {
            "" => DEFAULT_CLUSTER,
            other => other,
        };
        let cluster = self
            .store()
            .cluster_by_name(cluster_name)
            .await?
            .ok_or_else(|| EngineError::not_found("cluster", cluster_name))?;
        if self.runtime_for(&cluster)?.needs_local_spark() {
            self.spark_env().await.map_err(EngineError::Conflict)?;
        }

        let spec = JobSpec {
            job_class,
            jars: form.jars.iter().map(Uploaded::reference).collect(),
            files: form.files.iter().map(Uploaded::reference).collect(),
            py_files: form.py_files.iter().map(Uploaded::reference).collect(),
            config,
            requirements,
            args,
            driver_secret: None,
        };
        let record = JobRecord {
            job: Job {
                job_id: Uuid::new_v4().to_string(),
                group_id: None,
                job_name: name.to_string(),
                job_type: JobType::Single,
                tags,
                language,
                cluster_name: cluster.name.clone(),
                app_id: None,
                state: JobState::Submitted,
                error: None,
                submit_time: now_ms(),
                start_time: 0,
                end_time: 0,
            },
            cluster_id: cluster.id.clone(),
            spec,
            driver: None,
        };
        let dir = self.job_dir(&record.job.job_id);
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            let stored = self.place_uploads(form, &dir).map(|()| record.clone());
            let inserted = match stored {
                Ok(record) => self.store().insert_job(&record).await,
                Err(e) => Err(e),
            };
            if let Err(e) = inserted {
                let _ = fs::remove_dir_all(&dir);
                return Err(e);
            }
        }
        tracing::info!(id = %record.job.job_id, name = %record.job.job_name, cluster = %cluster.name, "job submitted");
        self.publish(EngineEvent::JobChanged { job: record.job.clone() });
        self.dispatch().await;
        Ok(record.job)
    }

    fn place_uploads(&self, form: JobSubmission, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("cannot create {}", dir.display()), e))?;
        for (sub, uploads) in [("jars", form.jars), ("files", form.files), ("pyfiles", form.py_files)] {
            for upload in uploads {
                self.commit_upload(upload, &dir.join(sub))?;
            }
        }
        Ok(())
    }

    pub async fn get_job(&self, id: &str) -> Result<Job> {
        Ok(self.job_record(id).await?.job)
    }

    pub async fn list_jobs(&self, query: &JobQuery) -> Result<Page<Job>> {
        let search = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let filter = JobFilter {
            job_types: &query.job_types,
            states: &query.states,
            cluster_names: &query.cluster_names,
            tags: Some(&query.tags).filter(|t| !t.is_empty()),
            search,
            ..JobFilter::default()
        };
        let (total, jobs) = self.store().job_page(&filter, &query.page).await?;
        Ok(Page::new(&query.page, total, jobs))
    }

    /// Stops a job: a queued one is simply canceled; a running one gets SIGTERM, then
    /// SIGKILL after the grace period, and is CANCELED once nothing of it is left.
    pub async fn stop_job(&self, id: &str) -> Result<Job> {
        let record = self.job_record(id).await?;
        if record.job.state.is_terminal() {
            return Err(EngineError::Conflict(format!(
                "job '{id}' has already ended ({}); only active jobs can be stopped",
                record.job.state.as_str()
            )));
        }
        {
            let _dispatch = self.inner().dispatch_lock.lock().await;
            let mut record = self.job_record(id).await?;
            if record.job.state == JobState::Submitted {
                record.job.state = JobState::Canceled;
                record.job.end_time = now_ms();
                self.save_active(&record).await?;
                return Ok(self.job_record(id).await?.job);
            }
        }
        if let Some(running) = self.running(id) {
            running.stop_requested.store(true, Ordering::SeqCst);
        }
        if let Some(driver) = &record.driver {
            self.job_runtime(&record).await.stop(driver, self.config().stop_grace).await?;
        }
        let mut record = self.job_record(id).await?;
        if !record.job.state.is_terminal() {
            record.job.state = JobState::Canceled;
            record.job.end_time = now_ms();
            self.save_active(&record).await?;
            tracing::info!(id, "job stopped");
        }
        Ok(self.job_record(id).await?.job)
    }

    /// Stops the job if it runs, then removes it, its logs and the artifacts no other job
    /// uses.
    pub async fn delete_job(&self, id: &str) -> Result<()> {
        let record = self.job_record(id).await?;
        if !record.job.state.is_terminal() {
            match self.stop_job(id).await {
                Ok(_) | Err(EngineError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            let orphans = self.store().delete_job(id).await?.ok_or_else(|| EngineError::not_found("job", id))?;
            self.remove_artifacts(&orphans);
        }
        let dir = self.job_dir(id);
        if let Ok(mut indexes) = self.inner().log_indexes.lock() {
            indexes.retain(|path, _| !path.starts_with(&dir));
        }
        if let Err(e) = fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot remove job directory");
            }
        tracing::info!(id, "job deleted");
        self.publish(EngineEvent::JobDeleted { id: id.to_string() });
        Ok(())
    }

    /// Java and Spark as found on this machine, or why they were not.
    pub async fn spark_status(&self) -> SparkStatus {
        match self.spark_env().await {
            Ok(env) => SparkStatus { env: Some(env), error: None },
            Err(error) => SparkStatus { env: None, error: Some(error) },
        }
    }

    pub(crate) async fn job_record(&self, id: &str) -> Result<JobRecord> {
        self.store().job_by_id(id).await?.ok_or_else(|| EngineError::not_found("job", id))
    }

    pub(crate) fn job_dir(&self, id: &str) -> PathBuf {
        self.data_dir().join("jobs").join(id)
    }

    fn running(&self, id: &str) -> Option<Arc<Running>> {
        self.inner().running.lock().ok().and_then(|m| m.get(id).cloned())
    }

    /// Writes an active job's new state, then announces it. False when the job had
    /// already ended (nothing written, nothing announced).
    pub(crate) async fn save_active(&self, record: &JobRecord) -> Result<bool> {
        let saved = self.store().update_active_job(record).await?;
        if saved {
            self.publish(EngineEvent::JobChanged { job: record.job.clone() });
        }
        Ok(saved)
    }

    /// Stops the active jobs of a cluster (before the cluster is deleted with force).
    pub(crate) async fn stop_jobs_on_cluster(&self, cluster_id: &str) -> Result<usize> {
        let ids = self.store().active_job_ids_on_cluster(cluster_id).await?;
        for id in &ids {
            match self.stop_job(id).await {
                Ok(_) | Err(EngineError::Conflict(_)) | Err(EngineError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ids.len())
    }

    pub(crate) async fn active_jobs_on_cluster(&self, cluster_id: &str) -> Result<Vec<String>> {
        self.store().active_job_ids_on_cluster(cluster_id).await
    }

    /// Launches queued jobs while their clusters have free slots, oldest first.
    pub(crate) async fn dispatch(&self) {
        let _dispatch = self.inner().dispatch_lock.lock().await;
        let (active, mut counts) = match (self.store().active_jobs().await, self.store().running_counts().await) {
            (Ok(active), Ok(counts)) => (active, counts),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot read the job queue");
                return;
            }
        };
        let mut limits: HashMap<String, usize> = HashMap::new();
        for record in active.into_iter().filter(|r| r.job.state == JobState::Submitted) {
            if !limits.contains_key(&record.cluster_id) {
                let local = match self.store().cluster_by_id(&record.cluster_id).await {
                    Ok(cluster) => cluster.is_none_or(|c| c.cluster_type == ClusterType::Local),
                    Err(_) => true,
                };
                let limit = if local { self.config().local_concurrency } else { self.config().remote_concurrency };
                limits.insert(record.cluster_id.clone(), limit.max(1));
            }
            let limit = limits.get(&record.cluster_id).copied().unwrap_or(1);
            let running = counts.entry(record.cluster_id.clone()).or_default();
            if *running >= limit {
                continue;
            }
            *running += 1;
            let id = record.job.job_id.clone();
            if let Err(e) = self.launch(record).await {
                tracing::error!(id, error = %e, "cannot launch job");
            }
        }
    }

    async fn launch(&self, mut record: JobRecord) -> Result<()> {
        let id = record.job.job_id.clone();
        let launched = match self.store().cluster_by_id(&record.cluster_id).await? {
            None => Err(format!("its cluster '{}' no longer exists", record.job.cluster_name)),
            Some(cluster) => self.launch_on(&record, &cluster).await.map_err(|e| e.to_string()),
        };
        match launched {
            Ok((launched, runtime)) => {
                record.job.state = JobState::Starting;
                record.job.start_time = now_ms();
                record.driver = Some(launched.driver.clone());
                self.save_active(&record).await?;
                tracing::info!(id, driver = ?launched.driver, "job launched");
                self.follow(id, launched.driver, launched.child, runtime);
            }
            Err(error) => {
                record.job.state = JobState::Failed;
                record.job.error = Some(error);
                record.job.end_time = now_ms();
                self.save_active(&record).await?;
            }
        }
        Ok(())
    }

    /// Starts a job's (or a group driver's) driver on its cluster.
    pub(crate) async fn launch_on(&self, record: &JobRecord, cluster: &Cluster) -> Result<(Launched, Arc<dyn ClusterRuntime>)> {
        let runtime = self.runtime_for(cluster)?;
        let env = match runtime.needs_local_spark() {
            true => Some(self.spark_env().await.map_err(EngineError::Conflict)?),
            false => None,
        };
        let plan = self.driver_plan(record, cluster, env.as_ref())?;
        let launched = runtime.launch(&plan).await?;
        Ok((launched, runtime))
    }

    /// Follows a launched driver until it ends, in the background.
    fn follow(&self, id: String, driver: DriverRef, child: Option<tokio::process::Child>, runtime: Arc<dyn ClusterRuntime>) {
        let running = Arc::new(Running::default());
        if let Ok(mut map) = self.inner().running.lock() {
            map.insert(id.clone(), running.clone());
        }
        if let Some(mut child) = child {
            let running = running.clone();
            tokio::spawn(async move {
                let _ = child.wait().await;
                running.exited.notify_one();
            });
        }
        let weak = self.downgrade();
        tokio::spawn(async move {
            let Some(dir) = Engine::upgrade(&weak).map(|engine| engine.job_dir(&id)) else { return };
            let mut app_id_seen = false;
            loop {
                let liveness = runtime.poll(&driver, &dir).await;
                let Some(engine) = Engine::upgrade(&weak) else { return };
                match liveness {
                    Liveness::Running { app_id: Some(app_id) } if !app_id_seen => {
                        app_id_seen = true;
                        if let Err(e) = engine.mark_busy(&id, app_id).await {
                            tracing::error!(id, error = %e, "cannot record the app id");
                        }
                    }
                    Liveness::Running { .. } => {}
                    Liveness::Ended(exit) => {
                        if let Err(e) = engine.finish(&id, exit, &running).await {
                            tracing::error!(id, error = %e, "cannot record the end of a job");
                        }
                        return;
                    }
                }
                drop(engine);
                tokio::select! {
                    () = running.exited.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        });
    }

    async fn mark_busy(&self, id: &str, app_id: String) -> Result<()> {
        let mut record = self.job_record(id).await?;
        if record.job.state.is_terminal() {
            return Ok(());
        }
        record.job.app_id = Some(app_id);
        if record.job.state.can_become(JobState::Busy) {
            record.job.state = JobState::Busy;
        }
        self.save_active(&record).await.map(|_| ())
    }

    async fn finish(&self, id: &str, exit: Exit, running: &Running) -> Result<()> {
        if let Ok(mut map) = self.inner().running.lock() {
            map.remove(id);
        }
        let Some(mut record) = self.store().job_by_id(id).await? else { return Ok(()) };
        if !record.job.state.is_terminal() {
            let dir = self.job_dir(id);
            if record.job.app_id.is_none() {
                record.job.app_id = app_id_in(&dir.join(EVENTS_DIR));
            }
            let (state, error) = if running.stop_requested.load(Ordering::SeqCst) {
                (JobState::Canceled, None)
            } else {
                outcome(&exit, record.job.language, &dir)
            };
            record.job.state = state;
            record.job.error = error;
            record.job.end_time = now_ms();
            self.save_active(&record).await?;
            tracing::info!(id, state = state.as_str(), "job ended");
        }
        self.dispatch().await;
        Ok(())
    }

    /// Reconciles every job that had not ended when the engine last stopped: a driver
    /// still running (same pid and start time) is followed again; one that ended is
    /// given the outcome its wrapper recorded; anything else becomes UNKNOWN. Queued
    /// jobs stay queued.
    pub(crate) async fn recover_jobs(&self) -> Result<()> {
        for mut record in self.store().active_jobs().await? {
            // Interactive drivers come back with their groups (see `recover_groups`).
            if record.job.state == JobState::Submitted || record.job.job_type == JobType::Interactive {
                continue;
            }
            let id = record.job.job_id.clone();
            let dir = self.job_dir(&id);
            let Some(driver) = record.driver.clone() else {
                record.job.state = JobState::Unknown;
                record.job.error = Some("Sparkdeck stopped while the job was being launched".into());
                record.job.end_time = now_ms();
                self.save_active(&record).await?;
                continue;
            };
            let runtime = self.job_runtime(&record).await;
            match runtime.poll(&driver, &dir).await {
                Liveness::Running { .. } => {
                    tracing::info!(id, ?driver, "re-attached to a running job");
                    self.follow(id, driver, None, runtime);
                }
                Liveness::Ended(Exit::Code(None)) => {
                    record.job.state = JobState::Unknown;
                    record.job.error = Some(
                        "the job's driver ended while Sparkdeck was not running and left no exit code".into(),
                    );
                    record.job.end_time = now_ms();
                    self.save_active(&record).await?;
                }
                Liveness::Ended(exit) => {
                    if record.job.app_id.is_none() {
                        record.job.app_id = app_id_in(&dir.join(EVENTS_DIR));
                    }
                    let (state, error) = outcome(&exit, record.job.language, &dir);
                    record.job.state = state;
                    record.job.error = error;
                    record.job.end_time = file_mtime_ms(&dir.join(EXIT_FILE)).unwrap_or_else(now_ms);
                    self.save_active(&record).await?;
                }
            }
        }
        Ok(())
    }
}

/// The final state for an exit code, with the error summary from the driver's output.
pub(crate) fn outcome(exit: &Exit, language: Language, dir: &Path) -> (JobState, Option<String>) {
    let fallback = match exit {
        Exit::Code(Some(0)) | Exit::Reported(Ok(())) => return (JobState::Finished, None),
        Exit::Code(Some(c)) => format!("spark-submit exited with code {c}"),
        Exit::Code(None) => "the job's processes were killed before spark-submit could record an exit code".into(),
        Exit::Reported(Err(reason)) => reason.clone(),
    };
    // Python drivers print tracebacks on stdout (spark-submit merges them there); the JVM
    // and pip write to stderr.
    let logs = match language {
        Language::Python => [dir.join(DRIVER_STDOUT), dir.join(DRIVER_STDERR)],
        Language::Scala => [dir.join(DRIVER_STDERR), dir.join(DRIVER_STDOUT)],
    };
    let summary = logs.iter().find_map(|p| logs::error_summary(&logs::tail_text(p, ERROR_TAIL_BYTES)));
    (JobState::Failed, Some(summary.unwrap_or(fallback)))
}

fn file_mtime_ms(path: &Path) -> Option<i64> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    let ms = modified.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    i64::try_from(ms).ok()
}
