//! Groups of interactive drivers: create, read, list, update, rescale, pause, resume,
//! restart, stop, delete, and recovery on open. Every change is committed, then
//! announced; the group's supervisor (`group_supervisor.rs`) brings its drivers to the
//! new target.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use uuid::Uuid;

use crate::artifacts::{Uploaded, ZIP_MAGIC};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::group_supervisor::{DriverLive, GroupLive, Queued, wanted};
use crate::model::cluster::{ClusterType, DEFAULT_CLUSTER};
use crate::model::group::{
    Group, GroupKind, GroupRecord, GroupState, InstanceError, MAX_LISTED_DRIVERS, parse_scale, validate_group_name,
};
use crate::model::job::{JobSpec, JobState, JobType, Language};
use crate::model::paging::{Page, PageRequest};
use crate::model::wire::{parse_pairs, parse_requirements};
use crate::runtime::Liveness;
use crate::store::groups::GroupFilter;
use crate::time::now_ms;

/// A create or update form: the text fields as sent (absent = not given), and uploads.
#[derive(Default)]
pub struct GroupForm {
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub tags: Option<String>,
    pub language: Option<String>,
    pub cluster_name: Option<String>,
    pub job_config: Option<String>,
    pub py_requirements: Option<String>,
    pub scale: Option<String>,
    pub jars: Vec<Uploaded>,
    pub files: Vec<Uploaded>,
    pub py_files: Vec<Uploaded>,
    /// Jars read from this machine (desktop app; REST `jarPaths`), absolute paths.
    pub jar_paths: Vec<PathBuf>,
    /// Redeploy a file of `jar_paths` when it is rebuilt (REST `watchJars`).
    pub watch_jars: bool,
}

/// The filters `GET /group` offers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct GroupQuery {
    pub states: Vec<GroupState>,
    pub kinds: Vec<GroupKind>,
    pub job_states: Vec<JobState>,
    pub cluster_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub search: Option<String>,
    pub page: PageRequest,
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

fn no_nul(field: &str, values: impl IntoIterator<Item = impl AsRef<str>>) -> Result<()> {
    if values.into_iter().any(|v| v.as_ref().contains('\0')) {
        return Err(EngineError::invalid(field, "may not contain NUL characters"));
    }
    Ok(())
}

fn check_uploads(field: &str, uploads: &[Uploaded], jar: bool) -> Result<()> {
    for (i, u) in uploads.iter().enumerate() {
        if uploads[..i].iter().any(|other| other.name == u.name) {
            return Err(EngineError::invalid(field, format!("'{}' is uploaded twice", u.name)));
        }
        if jar && (u.size == 0 || u.head != ZIP_MAGIC) {
            return Err(EngineError::invalid(field, format!("'{}' is not a jar (it has no zip signature)", u.name)));
        }
    }
    Ok(())
}

fn description(value: &Option<String>) -> Result<String> {
    let d = text(value).to_string();
    if d.chars().count() > 2000 {
        return Err(EngineError::invalid("description", "is longer than 2000 characters"));
    }
    no_nul("description", [&d])?;
    Ok(d)
}

impl Engine {
    pub async fn create_group(&self, mut form: GroupForm) -> Result<Group> {
        let name = text(&form.name).to_string();
        validate_group_name("name", &name)?;
        let description = description(&form.description)?;
        let kind = match text(&form.kind) {
            "" => GroupKind::Job,
            k => GroupKind::parse("kind", k)?,
        };
        let tags = parse_pairs("tags", text(&form.tags))?;
        no_nul("tags", tags.values())?;
        let language = match (text(&form.language), kind) {
            ("", GroupKind::Code) => Language::Python,
            ("", GroupKind::Job) => Language::Scala,
            (l, _) => Language::parse("language", l)?,
        };
        if kind == GroupKind::Code && language != Language::Python {
            return Err(EngineError::invalid("language", "CODE groups run Python code; use language=PYTHON"));
        }
        let config = parse_pairs("jobConfig", text(&form.job_config))?;
        no_nul("jobConfig", config.values())?;
        let requirements = parse_requirements("pyRequirements", text(&form.py_requirements))?;
        let scale = match text(&form.scale) {
            "" => 1,
            s => parse_scale("scale", s, self.config().max_scale)?,
        };
        if form.watch_jars && form.jar_paths.is_empty() {
            return Err(EngineError::invalid("watchJars", "needs jarPaths: only jars read from local files can be watched"));
        }
        let jar_paths = std::mem::take(&mut form.jar_paths);
        let staged = self.stage_jar_paths(&jar_paths).await?;
        check_uploads("jarPaths", &staged, true)?;
        form.jars.extend(staged);
        check_uploads("jars", &form.jars, true)?;
        check_uploads("files", &form.files, false)?;
        check_uploads("pyFiles", &form.py_files, false)?;
        if let Some(bad) = form.py_files.iter().find(|f| !f.name.ends_with(".py") && !f.name.ends_with(".zip") && !f.name.ends_with(".egg")) {
            return Err(EngineError::invalid("pyFiles", format!("'{}' is not a .py, .zip or .egg file", bad.name)));
        }
        let cluster_name = match text(&form.cluster_name) {
            "" => DEFAULT_CLUSTER,
            other => other,
        };
        let cluster = self.store().cluster_by_name(cluster_name).await?.ok_or_else(|| EngineError::not_found("cluster", cluster_name))?;
        if cluster.cluster_type == ClusterType::K8s && !requirements.is_empty() {
            return Err(crate::job_launch::remote_requirements_error(cluster.cluster_type.as_str()));
        }
        if self.store().group_by_name(&name).await?.is_some() {
            return Err(EngineError::invalid("name", format!("a group named '{name}' already exists")));
        }
        if cluster.cluster_type == ClusterType::K8s {
            // The pods run the agent from the cluster's storage: no local Spark needed.
            crate::spark_env::driver_agent_files().map_err(EngineError::Conflict)?;
        } else {
            self.spark_env().await.and_then(|env| env.driver_agent().map(|_| ())).map_err(EngineError::Conflict)?;
        }
        let now = now_ms();
        let mut record = GroupRecord {
            group: Group {
                id: Uuid::new_v4().to_string(),
                name,
                description,
                kind,
                tags,
                language,
                cluster_name: cluster.name.clone(),
                state: GroupState::Active,
                scale,
                job_config: config.clone(),
                py_requirements: requirements.clone(),
                paused: false,
                created_time: now,
                updated_time: now,
                archived_time: 0,
                jobs: Vec::new(),
            },
            cluster_id: cluster.id.clone(),
            spec: JobSpec { config, requirements, ..JobSpec::default() },
            jar_paths,
            watch_jars: form.watch_jars,
        };
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            for (uploads, refs) in
                [(form.jars, &mut record.spec.jars), (form.files, &mut record.spec.files), (form.py_files, &mut record.spec.py_files)]
            {
                for upload in uploads {
                    refs.push(self.store_upload(upload)?);
                }
            }
            self.store().insert_group(&record).await.map_err(|e| match &e {
                EngineError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                    EngineError::invalid("name", "a group with this name already exists")
                }
                _ => e,
            })?;
        }
        tracing::info!(id = %record.group.id, name = %record.group.name, scale, "group created");
        self.publish(EngineEvent::GroupChanged { group: Box::new(record.group.clone()) });
        self.supervise(GroupLive::new(&record));
        self.sync_jar_watch(&record);
        Ok(record.group)
    }

    pub async fn get_group(&self, id: &str) -> Result<Group> {
        let record = self.group_record(id).await?;
        self.with_drivers(record.group).await
    }

    pub async fn get_group_by_name(&self, name: &str) -> Result<Group> {
        let record = self.store().group_by_name(name).await?.ok_or_else(|| EngineError::not_found("group", name))?;
        self.with_drivers(record.group).await
    }

    pub async fn list_groups(&self, query: &GroupQuery) -> Result<Page<Group>> {
        let search = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let filter = GroupFilter {
            states: &query.states,
            kinds: &query.kinds,
            job_states: &query.job_states,
            cluster_names: &query.cluster_names,
            tags: Some(&query.tags).filter(|t| !t.is_empty()),
            search,
        };
        let (total, records) = self.store().group_page(&filter, &query.page).await?;
        let mut groups = Vec::with_capacity(records.len());
        for record in records {
            groups.push(self.with_drivers(record.group).await?);
        }
        Ok(Page::new(&query.page, total, groups))
    }

    /// Changes description, tags, jobConfig, pyRequirements and scale (each only when
    /// given). New Spark settings and requirements apply to drivers started afterwards
    /// (`restart` applies them to all).
    pub async fn update_group(&self, id: &str, form: GroupForm) -> Result<Group> {
        let mut record = self.group_record(id).await?;
        for (field, given) in [("name", &form.name), ("kind", &form.kind), ("language", &form.language), ("clusterName", &form.cluster_name)] {
            if given.as_deref().is_some_and(|v| !v.trim().is_empty()) {
                return Err(EngineError::invalid(field, "cannot be changed; create a new group"));
            }
        }
        if !(form.jars.is_empty() && form.files.is_empty() && form.py_files.is_empty()) {
            return Err(EngineError::invalid("jars", "files cannot be changed; create a new group"));
        }
        if !form.jar_paths.is_empty() || form.watch_jars {
            let field = if form.jar_paths.is_empty() { "watchJars" } else { "jarPaths" };
            return Err(EngineError::invalid(field, "cannot be changed; create a new group"));
        }
        let g = &mut record.group;
        if form.description.is_some() {
            g.description = description(&form.description)?;
        }
        if form.tags.is_some() {
            g.tags = parse_pairs("tags", text(&form.tags))?;
            no_nul("tags", g.tags.values())?;
        }
        if form.job_config.is_some() {
            let config = parse_pairs("jobConfig", text(&form.job_config))?;
            no_nul("jobConfig", config.values())?;
            record.spec.config = config.clone();
            g.job_config = config;
        }
        if form.py_requirements.is_some() {
            let requirements = parse_requirements("pyRequirements", text(&form.py_requirements))?;
            if !requirements.is_empty()
                && let Some(cluster) = self.store().cluster_by_id(&record.cluster_id).await?
                && cluster.cluster_type == ClusterType::K8s
            {
                return Err(crate::job_launch::remote_requirements_error(cluster.cluster_type.as_str()));
            }
            record.spec.requirements = requirements.clone();
            g.py_requirements = requirements;
        }
        if form.scale.is_some() {
            g.scale = parse_scale("scale", text(&form.scale), self.config().max_scale)?;
        }
        self.save_group(&mut record).await
    }

    pub async fn rescale_group(&self, id: &str, scale: &str) -> Result<Group> {
        let mut record = self.group_record(id).await?;
        record.group.scale = parse_scale("scale", scale, self.config().max_scale)?;
        self.save_group(&mut record).await
    }

    /// Stops the drivers; the group stays ACTIVE and `resume` starts them again.
    pub async fn pause_group(&self, id: &str) -> Result<Group> {
        let mut record = self.group_record(id).await?;
        if record.group.state == GroupState::Archived {
            return Err(EngineError::invalid("state", format!("group '{}' is ARCHIVED; there is nothing to pause", record.group.name)));
        }
        record.group.paused = true;
        let group = self.save_group(&mut record).await?;
        if let Some(live) = self.group_live(id) {
            self.halt_drivers(&live, "the group was paused").await;
        }
        Ok(group)
    }

    pub async fn resume_group(&self, id: &str) -> Result<Group> {
        let mut record = self.group_record(id).await?;
        if record.group.state == GroupState::Archived {
            return Err(EngineError::invalid("state", format!("group '{}' is ARCHIVED; restart it instead", record.group.name)));
        }
        record.group.paused = false;
        self.save_group(&mut record).await
    }

    /// Replaces every driver with a new one (new settings apply). An ARCHIVED group
    /// becomes ACTIVE again.
    pub async fn restart_group(&self, id: &str) -> Result<Group> {
        let mut record = self.group_record(id).await?;
        if let Some(live) = self.group_live(id) {
            self.halt_drivers(&live, "the group was restarted").await;
        }
        record.group.state = GroupState::Active;
        record.group.archived_time = 0;
        record.group.paused = false;
        self.save_group(&mut record).await
    }

    /// Stops the drivers and archives the group.
    pub async fn stop_group(&self, id: &str) -> Result<Group> {
        let mut record = self.group_record(id).await?;
        if record.group.state == GroupState::Active {
            record.group.state = GroupState::Archived;
            record.group.archived_time = now_ms();
        }
        let group = self.save_group(&mut record).await?;
        if let Some(live) = self.group_live(id) {
            self.halt_drivers(&live, "the group was stopped").await;
        }
        Ok(group)
    }

    /// Stops the drivers, then removes the group, its instances, its drivers' rows and
    /// logs, and the uploads nothing else uses.
    pub async fn delete_group(&self, id: &str) -> Result<()> {
        let record = self.group_record(id).await?;
        self.stop_jar_watch(id);
        if let Some(live) = self.group_live(id) {
            {
                let mut state = live.lock();
                state.target = 0;
                state.closing = true;
            }
            self.halt_drivers(&live, "the group was deleted").await;
        }
        for driver in self.store().group_driver_ids(id).await? {
            match self.delete_job(&driver).await {
                Ok(()) | Err(EngineError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            let orphans = self.store().delete_group(id).await?.ok_or_else(|| EngineError::not_found("group", id))?;
            self.remove_artifacts(&orphans);
        }
        tracing::info!(id, name = %record.group.name, "group deleted");
        self.publish(EngineEvent::GroupDeleted { id: id.to_string(), name: record.group.name });
        Ok(())
    }

    /// Commits a changed group, announces it and gives its supervisor the new target.
    async fn save_group(&self, record: &mut GroupRecord) -> Result<Group> {
        record.group.updated_time = now_ms().max(record.group.updated_time);
        if !self.store().update_group(record).await? {
            return Err(EngineError::not_found("group", &record.group.id));
        }
        let group = self.with_drivers(record.group.clone()).await?;
        self.publish(EngineEvent::GroupChanged { group: Box::new(group.clone()) });
        match self.group_live(&record.group.id) {
            Some(live) => {
                {
                    let mut state = live.lock();
                    state.target = wanted(record);
                    state.scope.tags = record.group.tags.clone();
                }
                live.wake.notify_one();
            }
            None if wanted(record) > 0 => self.supervise(GroupLive::new(record)),
            None => {}
        }
        self.sync_jar_watch(record);
        Ok(group)
    }

    async fn with_drivers(&self, mut group: Group) -> Result<Group> {
        group.jobs = self.store().group_drivers(&group.id, MAX_LISTED_DRIVERS).await?.into_iter().map(|r| r.job).collect();
        Ok(group)
    }

    pub(crate) async fn group_record(&self, id: &str) -> Result<GroupRecord> {
        self.store().group_by_id(id).await?.ok_or_else(|| EngineError::not_found("group", id))
    }

    /// Stops (with force) the groups of a cluster about to be deleted.
    pub(crate) async fn stop_groups_on_cluster(&self, cluster_id: &str) -> Result<()> {
        for g in self.store().active_groups_on_cluster(cluster_id).await? {
            self.stop_group(&g.group.id).await?;
        }
        Ok(())
    }

    /// Brings every ACTIVE group back after a restart of Sparkdeck: drivers still running
    /// (same pid and start time) are re-attached through their info file and secret;
    /// ended ones are recorded and replaced; queued requests queue again; a request that
    /// was running is failed (its answer is lost) and cancelled on its driver.
    pub(crate) async fn recover_groups(&self) -> Result<()> {
        let active = self.store().active_groups().await?;
        for record in &active {
            let live = GroupLive::new(record);
            let instances = self.store().active_instances(&record.group.id).await?;
            for mut driver in self.store().active_group_drivers(&record.group.id).await? {
                let id = driver.job.job_id.clone();
                let runtime = self.job_runtime(&driver).await;
                let alive = match &driver.driver {
                    Some(handle) => matches!(runtime.poll(handle, &self.job_dir(&id)).await, Liveness::Running { .. }),
                    None => false,
                };
                if alive {
                    tracing::info!(group = %record.group.id, driver = id, "re-attaching driver");
                    let mut d = DriverLive::attached(driver, runtime);
                    d.orphan = instances
                        .iter()
                        .find(|i| i.state == JobState::Busy && i.job_id.as_deref() == Some(id.as_str()))
                        .map(|i| i.job_instance_id.clone());
                    live.lock().drivers.insert(id, d);
                } else {
                    driver.job.state = JobState::Failed;
                    driver.job.error = Some("the driver ended while Sparkdeck was not running".into());
                    driver.job.end_time = now_ms();
                    self.save_active(&driver).await?;
                }
            }
            for instance in instances {
                if instance.state == JobState::Submitted {
                    let deadline = Instant::now() + self.config().queue_timeout;
                    live.lock().queue.push_back(Queued { instance, deadline });
                    continue;
                }
                let alive = instance.job_id.as_ref().is_some_and(|j| live.lock().drivers.contains_key(j));
                let reason = if alive {
                    "Sparkdeck restarted while this request ran; its answer was lost and the request was cancelled"
                } else {
                    "Sparkdeck restarted while this request ran and its driver is gone"
                };
                self.fail_instance(&live, &instance.job_instance_id, InstanceError::new(reason)).await;
            }
            self.supervise(live);
            self.sync_jar_watch(record);
        }
        // Drivers of groups that are no longer active (stopped, or deleted mid-way) end.
        for job in self.store().active_jobs().await? {
            let orphaned = job.job.job_type == JobType::Interactive
                && !active.iter().any(|g| Some(&g.group.id) == job.job.group_id.as_ref());
            if orphaned {
                let engine = self.clone();
                tokio::spawn(async move {
                    let _ = engine.stop_job(&job.job.job_id).await;
                });
            }
        }
        Ok(())
    }
}
