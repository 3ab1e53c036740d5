//! Single jobs: submit, queue, launch, follow, stop, delete, logs and recovery.
//!
//! Every state change is written to SQLite first (only while the job is still active:
//! the first end wins) and announced after. A job waits in SUBMITTED until its cluster
//! has a free slot; the launched driver is followed by one task that notices the app id
//! (→ BUSY) and the exit (→ FINISHED, FAILED or CANCELED).

mod failure_cause;
mod follow;
pub(crate) mod live;
pub(crate) mod logs;
mod packages;
mod plan;
mod queue;
mod recover;
mod resubmit;
mod retry;
mod spark_ui;

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use uuid::Uuid;

use crate::artifacts::{FileKind, Uploaded, check_uploads};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::model::cluster::{Cluster, DEFAULT_CLUSTER};
use crate::model::form::{no_nul, text, text_or};
use crate::model::memory_settings::{MemorySettings, MemorySettingsForm};
use crate::model::packages::parse_packages;
use crate::model::job::{Job, JobRecord, JobSpec, JobState, JobType, Language, validate_class_name, validate_job_name};
use crate::model::paging::Page;
use crate::model::schedule::parse_max_retries;
use crate::model::query::JobQuery;
use crate::model::wire::{parse_args, parse_pairs, parse_requirements};
use crate::spark_env::SparkStatus;
use crate::store::jobs::JobFilter;
use crate::time::now_ms;

pub(crate) use follow::POLL;
pub(crate) use plan::{packages_need_local_spark, remote_requirements_error};

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
    /// Maven coordinates, comma-separated.
    pub packages: Option<String>,
    pub memory: MemorySettingsForm,
    /// How often a failed attempt is submitted again (0–10; blank: 0).
    pub max_retries: Option<String>,
    pub jars: Vec<Uploaded>,
    pub files: Vec<Uploaded>,
    pub py_files: Vec<Uploaded>,
}

/// A submit form whose every field was checked: what a new job (or each run of a
/// schedule) is made of. The uploads are still the form's, not yet stored.
pub(crate) struct CheckedJob {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub language: Language,
    pub cluster: Cluster,
    pub spec: JobSpec,
    pub max_retries: u32,
}

impl CheckedJob {
    /// A new SUBMITTED job of this form.
    pub(crate) fn new_record(&self) -> JobRecord {
        let job = Job {
            tags: self.tags.clone(),
            language: self.language,
            settings: self.spec.shown(),
            max_retries: self.max_retries,
            ..new_single_job(&self.name, &self.cluster.name)
        };
        JobRecord::new(job, self.cluster.id.clone(), self.spec.clone())
    }
}

impl Engine {
    pub async fn submit_job(&self, form: JobSubmission) -> Result<Job> {
        let checked = self.check_submission(&form).await?;
        let record = checked.new_record();
        let uploads = form.jars.into_iter().chain(form.files).chain(form.py_files).collect();
        self.add_job(&record, uploads).await?;
        tracing::info!(id = %record.job.job_id, name = %record.job.job_name, cluster = %checked.cluster.name, "job submitted");
        Ok(record.job)
    }

    /// Checks every field of a submit form (nothing is stored): each bad one is an
    /// `Invalid` naming it, an unknown cluster is `NotFound`.
    pub(crate) async fn check_submission(&self, form: &JobSubmission) -> Result<CheckedJob> {
        let name = text(&form.name);
        validate_job_name("name", name)?;
        let tags = parse_pairs("tags", text(&form.tags))?;
        no_nul("tags", tags.values())?;
        let language = match text(&form.language) {
            "" => Language::Scala,
            other => Language::parse_for_jobs("language", other)?,
        };
        let config = parse_pairs("jobConfig", text(&form.job_config))?;
        no_nul("jobConfig", config.values())?;
        let requirements = parse_requirements("pyRequirements", text(&form.py_requirements))?;
        let args = parse_args(form.args.as_deref().unwrap_or(""));
        no_nul("args", &args)?;
        let packages = parse_packages("packages", text(&form.packages))?;
        let memory = MemorySettings::parse(&form.memory)?;
        memory.check_config(&config)?;
        let max_retries = parse_max_retries("maxRetries", text(&form.max_retries))?;
        let job_class = Some(text(&form.job_class)).filter(|c| !c.is_empty()).map(str::to_string);
        check_uploads("jars", &form.jars, FileKind::Jar)?;
        check_uploads("files", &form.files, FileKind::Any)?;
        check_uploads("pyFiles", &form.py_files, FileKind::Any)?;
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
            Language::Sql => return Err(EngineError::invalid("language", "SQL runs only as cells of a CODE group")),
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
        let cluster_name = text_or(&form.cluster_name, DEFAULT_CLUSTER);
        let cluster = self
            .store()
            .cluster_by_name(cluster_name)
            .await?
            .ok_or_else(|| EngineError::not_found("cluster", cluster_name))?;
        let runtime = self.runtime_for(&cluster)?;
        if !packages.is_empty() && !runtime.needs_local_spark() {
            // Resolved on this machine whatever runs the driver.
            self.spark_env().await.map_err(|why| packages_need_local_spark(cluster.cluster_type.as_str(), &why))?;
        }
        if runtime.needs_local_spark() {
            self.spark_env().await.map_err(EngineError::Unavailable)?;
        }

        let spec = JobSpec {
            job_class,
            jars: form.jars.iter().map(Uploaded::reference).collect(),
            files: form.files.iter().map(Uploaded::reference).collect(),
            py_files: form.py_files.iter().map(Uploaded::reference).collect(),
            config,
            requirements,
            args,
            packages,
            memory,
            driver_secret: None,
        };
        Ok(CheckedJob { name: name.to_string(), tags, language, cluster, spec, max_retries })
    }

    /// Stores a new single job's uploads, links its files into its directory and inserts
    /// it — all of it or, on failure, none — then announces it and lets the queue launch it.
    pub(crate) async fn add_job(&self, record: &JobRecord, uploads: Vec<Uploaded>) -> Result<()> {
        let dir = self.job_dir(&record.job.job_id);
        {
            // Held so a concurrent delete cannot remove an artifact this job now uses.
            let _artifacts = self.inner().artifact_lock.lock().await;
            let mut stored = self.storing_uploads();
            let placed = uploads.into_iter().try_for_each(|upload| stored.store(upload).map(drop));
            let inserted = match placed.and_then(|()| self.link_spec(&record.spec, &dir)) {
                Ok(()) => self.store().insert_job(record).await,
                Err(e) => Err(e),
            };
            if let Err(e) = inserted {
                let _ = fs::remove_dir_all(&dir);
                return Err(e); // dropping `stored` removes the uploads it added
            }
            stored.keep();
        }
        self.publish(EngineEvent::JobChanged { job: record.job.clone() });
        self.dispatch().await;
        Ok(())
    }

    pub async fn get_job(&self, id: &str) -> Result<Job> {
        let mut job = [self.job_record(id).await?.job];
        self.store().mark_slow_runs(&mut job).await?;
        let [job] = job;
        Ok(job)
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
        let (total, mut jobs) = self.store().job_page(&filter, &query.page).await?;
        self.store().mark_slow_runs(&mut jobs).await?;
        Ok(Page::new(&query.page, total, jobs))
    }

    /// Stops a job: a queued one is simply canceled; a running one gets SIGTERM, then
    /// SIGKILL after the grace period, and is CANCELED once nothing of it is left.
    pub async fn stop_job(&self, id: &str) -> Result<Job> {
        let ended = |record: &JobRecord| {
            EngineError::Conflict(format!(
                "job '{id}' has already ended ({}); only active jobs can be stopped",
                record.job.state.as_str()
            ))
        };
        let record = self.job_record(id).await?;
        if record.job.state.is_terminal() {
            return Err(ended(&record));
        }
        // Read again once no launch is under way: a job that was being launched has its
        // driver recorded by now, and that driver is what must be stopped.
        let record = {
            let _dispatch = self.inner().dispatch_lock.lock().await;
            let mut record = self.job_record(id).await?;
            if record.job.state.is_terminal() {
                return Err(ended(&record));
            }
            if record.job.state == JobState::Submitted {
                record.job.state = JobState::Canceled;
                record.job.end_time = now_ms();
                self.save_active(&record).await?;
                return Ok(self.job_record(id).await?.job);
            }
            record
        };
        if let Some(running) = self.inner().running.get(id) {
            running.request_stop();
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
    /// uses. A driver that cannot be stopped keeps its job (and the refusal says why):
    /// forgetting it would leave it running with nobody to follow or stop it.
    pub async fn delete_job(&self, id: &str) -> Result<()> {
        let record = self.job_record(id).await?;
        if !record.job.state.is_terminal()
            && let Err(e) = self.stop_job(id).await
        {
            // It may have ended meanwhile (the stop then answers "already ended").
            let ended = self.job_record(id).await.is_ok_and(|r| r.job.state.is_terminal());
            if !ended {
                let kept = format!("job '{id}' is kept: its driver could not be stopped: {e}");
                return Err(match e {
                    EngineError::Unavailable(_) => EngineError::Unavailable(kept),
                    _ => EngineError::Conflict(kept),
                });
            }
        }
        // Its files on the cluster (Kubernetes: in the storage) go first: once the row is
        // gone nothing would know they are there. The job is kept when they cannot.
        if let Err(e) = self.job_runtime(&record).await.remove_job_files(id).await {
            return Err(EngineError::Unavailable(format!("job '{id}' is kept: {e}")));
        }
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            let orphans = self.store().delete_job(id).await?.ok_or_else(|| EngineError::not_found("job", id))?;
            self.remove_artifacts(&orphans);
        }
        let dir = self.job_dir(id);
        self.inner().log_indexes.forget_dir(&dir);
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

    /// Writes an active job's new state, then announces it. False when the job had
    /// already ended (nothing written, nothing announced).
    pub(crate) async fn save_active(&self, record: &JobRecord) -> Result<bool> {
        let saved = self.store().update_active_job(record).await?;
        if saved {
            let mut job = record.job.clone();
            if job.state.is_terminal() {
                // As stored: an ended job has no live UI.
                job.spark_ui_url = None;
            }
            self.publish(EngineEvent::JobChanged { job });
        }
        Ok(saved)
    }

    /// Stops the active jobs of a cluster (before the cluster is deleted with force). With
    /// force, a driver that cannot be stopped (the cluster is unreachable, or refuses) does
    /// not keep the cluster: that is what force asks for.
    pub(crate) async fn stop_jobs_on_cluster(&self, cluster_id: &str) -> Result<usize> {
        let ids = self.store().active_job_ids_on_cluster(cluster_id).await?;
        for id in &ids {
            match self.stop_job(id).await {
                Ok(_) | Err(EngineError::Conflict(_) | EngineError::Unavailable(_) | EngineError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ids.len())
    }

    pub(crate) async fn active_jobs_on_cluster(&self, cluster_id: &str) -> Result<Vec<String>> {
        self.store().active_job_ids_on_cluster(cluster_id).await
    }

}

/// A single job as it is submitted: a new id, SUBMITTED now, nothing run yet.
pub(crate) fn new_single_job(name: &str, cluster_name: &str) -> Job {
    Job {
        job_id: Uuid::new_v4().to_string(),
        group_id: None,
        job_name: name.to_string(),
        job_type: JobType::Single,
        tags: Default::default(),
        language: Language::Scala,
        cluster_name: cluster_name.to_string(),
        app_id: None,
        state: JobState::Submitted,
        error: None,
        error_cause: None,
        spark_ui_url: None,
        submit_time: now_ms(),
        start_time: 0,
        end_time: 0,
        settings: Default::default(),
        schedule_id: None,
        attempt: 1,
        max_retries: 0,
        usual_duration_ms: None,
        slower_than_usual: false,
    }
}
