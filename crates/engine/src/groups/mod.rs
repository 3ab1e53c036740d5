//! Groups of interactive drivers: create, read, list, update, rescale, pause, resume,
//! restart, stop, delete. Every change is committed, then announced; the group's
//! supervisor (`supervisor.rs`) brings its drivers to the new target.

pub(crate) mod agent_client;
mod auto_pause;
mod change_lock;
mod jar_watch;
pub(crate) mod live;
mod quit;
mod recover;
mod requests;
mod scale;
mod supervisor;

use std::path::PathBuf;

use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use crate::artifacts::{FileKind, Uploaded, check_uploads};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::jobs::{packages_need_local_spark, remote_requirements_error};
use crate::model::cluster::DEFAULT_CLUSTER;
use crate::model::form::{bounded_text, no_nul, text, text_or};
use crate::model::group::{
    Group, GroupKind, GroupRecord, GroupState, MAX_LISTED_DRIVERS, check_scale, driver_interpreters, group_language, validate_group_name,
};
use crate::model::job::JobSpec;
use crate::model::memory_settings::{MemorySettings, MemorySettingsForm};
use crate::model::packages::parse_packages;
use crate::model::paging::Page;
use crate::model::query::GroupQuery;
use crate::model::secret::{mask_settings, unmask_settings};
use crate::model::wire::{parse_pairs, parse_requirements};
use crate::store::groups::GroupFilter;
use crate::time::now_ms;

use live::{GroupLive, wanted};

pub(crate) use change_lock::GroupLocks;
pub(crate) use jar_watch::JarWatches;
pub use quit::RunningDrivers;

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
    /// Maven coordinates, comma-separated.
    pub packages: Option<String>,
    pub memory: MemorySettingsForm,
    pub scale: Option<u32>,
    pub jars: Vec<Uploaded>,
    pub files: Vec<Uploaded>,
    pub py_files: Vec<Uploaded>,
    /// Jars read from this machine (desktop app; REST `jarPaths`), absolute paths.
    pub jar_paths: Vec<PathBuf>,
    /// Redeploy a file of `jar_paths` when it is rebuilt (REST `watchJars`).
    pub watch_jars: bool,
    /// Pause once idle, resume on the next request (`autoPause`; off when not given on
    /// create, unchanged when not given on update).
    pub auto_pause: Option<bool>,
}

/// The most characters of a group's description.
const MAX_DESCRIPTION: usize = 2000;

fn description(value: &Option<String>) -> Result<String> {
    bounded_text("description", value, MAX_DESCRIPTION)
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
        let language = group_language(kind, text(&form.language))?;
        let config = parse_pairs("jobConfig", text(&form.job_config))?;
        no_nul("jobConfig", config.values())?;
        driver_interpreters(kind, language, &config)?;
        let requirements = parse_requirements("pyRequirements", text(&form.py_requirements))?;
        let packages = parse_packages("packages", text(&form.packages))?;
        let memory = MemorySettings::parse(&form.memory)?;
        memory.check_config(&config)?;
        let scale = check_scale("scale", form.scale.unwrap_or(1), self.config().max_scale)?;
        if form.watch_jars && form.jar_paths.is_empty() {
            return Err(EngineError::invalid("watchJars", "needs jarPaths: only jars read from local files can be watched"));
        }
        let jar_paths = std::mem::take(&mut form.jar_paths);
        let staged = self.stage_jar_paths(&jar_paths).await?;
        check_uploads("jarPaths", &staged, FileKind::Jar)?;
        form.jars.extend(staged);
        check_uploads("jars", &form.jars, FileKind::Jar)?;
        check_uploads("files", &form.files, FileKind::Any)?;
        check_uploads("pyFiles", &form.py_files, FileKind::Any)?;
        if let Some(bad) = form.py_files.iter().find(|f| !f.name.ends_with(".py") && !f.name.ends_with(".zip") && !f.name.ends_with(".egg")) {
            return Err(EngineError::invalid("pyFiles", format!("'{}' is not a .py, .zip or .egg file", bad.name)));
        }
        let cluster_name = text_or(&form.cluster_name, DEFAULT_CLUSTER);
        let cluster = self.store().cluster_by_name(cluster_name).await?.ok_or_else(|| EngineError::not_found("cluster", cluster_name))?;
        // Requirements become a virtualenv built on this machine: only runtimes whose
        // drivers start here can use one.
        let local_spark = self.runtime_for(&cluster)?.needs_local_spark();
        if !local_spark && !requirements.is_empty() {
            return Err(remote_requirements_error(cluster.cluster_type.as_str()));
        }
        if !packages.is_empty() && !local_spark {
            self.spark_env().await.map_err(|why| packages_need_local_spark(cluster.cluster_type.as_str(), &why))?;
        }
        if self.store().group_by_name(&name).await?.is_some() {
            return Err(EngineError::invalid("name", format!("a group named '{name}' already exists")));
        }
        if local_spark {
            self.spark_env().await.and_then(|env| env.driver_agent().map(|_| ())).map_err(EngineError::Unavailable)?;
        } else {
            // The cluster runs the agent from its storage: only the agent's files are needed.
            crate::spark_env::driver_agent_files().map_err(EngineError::Unavailable)?;
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
                job_config: mask_settings(&config),
                py_requirements: requirements.clone(),
                packages: packages.join(","),
                memory_settings: memory.clone(),
                paused: false,
                auto_pause: form.auto_pause.unwrap_or(false),
                created_time: now,
                updated_time: now,
                archived_time: 0,
                jobs: Vec::new(),
            },
            cluster_id: cluster.id.clone(),
            spec: JobSpec { config, requirements, packages, memory, ..JobSpec::default() },
            jar_paths,
            watch_jars: form.watch_jars,
        };
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            // Dropped without `keep` on an error: the uploads it added are removed.
            let mut stored = self.storing_uploads();
            for (uploads, refs) in
                [(form.jars, &mut record.spec.jars), (form.files, &mut record.spec.files), (form.py_files, &mut record.spec.py_files)]
            {
                for upload in uploads {
                    refs.push(stored.store(upload)?);
                }
            }
            self.store().insert_group(&record).await.map_err(|e| match &e {
                EngineError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                    EngineError::invalid("name", "a group with this name already exists")
                }
                _ => e,
            })?;
            stored.keep();
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

    /// The files its drivers are launched with (see [`GroupFiles`]).
    pub async fn group_files(&self, id: &str) -> Result<crate::model::group::GroupFiles> {
        Ok(self.group_record(id).await?.files())
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

    /// Changes description, tags, jobConfig, pyRequirements, packages, the memory settings
    /// and scale (each only when given). New Spark settings and requirements apply to drivers started afterwards
    /// (`restart` applies them to all).
    pub async fn update_group(&self, id: &str, form: GroupForm) -> Result<Group> {
        let (_change, mut record) = self.lock_group(id).await?;
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
            // The view masks secret settings: sent back, they keep the stored values.
            let config = unmask_settings("jobConfig", config, &record.spec.config)?;
            driver_interpreters(g.kind, g.language, &config)?;
            g.job_config = mask_settings(&config);
            record.spec.config = config;
        }
        if form.py_requirements.is_some() {
            let requirements = parse_requirements("pyRequirements", text(&form.py_requirements))?;
            if !requirements.is_empty()
                && let Some(cluster) = self.store().cluster_by_id(&record.cluster_id).await?
                && !self.runtime_for(&cluster)?.needs_local_spark()
            {
                return Err(remote_requirements_error(cluster.cluster_type.as_str()));
            }
            record.spec.requirements = requirements.clone();
            g.py_requirements = requirements;
        }
        if form.packages.is_some() {
            let packages = parse_packages("packages", text(&form.packages))?;
            if !packages.is_empty()
                && let Some(cluster) = self.store().cluster_by_id(&record.cluster_id).await?
                && !self.runtime_for(&cluster)?.needs_local_spark()
            {
                self.spark_env().await.map_err(|why| packages_need_local_spark(cluster.cluster_type.as_str(), &why))?;
            }
            g.packages = packages.join(",");
            record.spec.packages = packages;
        }
        // Checked against the jobConfig it will run with, new or kept.
        let memory = record.spec.memory.updated(&form.memory)?;
        memory.check_config(&record.spec.config)?;
        g.memory_settings = memory.clone();
        record.spec.memory = memory;
        if let Some(scale) = form.scale {
            g.scale = check_scale("scale", scale, self.config().max_scale)?;
        }
        if let Some(auto_pause) = form.auto_pause {
            g.auto_pause = auto_pause;
        }
        self.save_group(&mut record).await
    }

    pub async fn rescale_group(&self, id: &str, scale: u32) -> Result<Group> {
        let (_change, mut record) = self.lock_group(id).await?;
        record.group.scale = check_scale("scale", scale, self.config().max_scale)?;
        self.save_group(&mut record).await
    }

    /// Stops the drivers; the group stays ACTIVE and `resume` starts them again.
    pub async fn pause_group(&self, id: &str) -> Result<Group> {
        let (_change, mut record) = self.lock_group(id).await?;
        if record.group.state == GroupState::Archived {
            return Err(EngineError::invalid("state", format!("group '{}' is ARCHIVED; there is nothing to pause", record.group.name)));
        }
        self.pause_locked(&mut record, "the group was paused").await
    }

    /// Pauses a group whose change lock the caller holds (the user's pause, and
    /// `auto_pause.rs`): committed and announced, then its drivers are stopped.
    async fn pause_locked(&self, record: &mut GroupRecord, reason: &str) -> Result<Group> {
        record.group.paused = true;
        let group = self.save_group(record).await?;
        if let Some(live) = self.group_live(&record.group.id) {
            self.halt_drivers(&live, reason).await;
        }
        Ok(group)
    }

    pub async fn resume_group(&self, id: &str) -> Result<Group> {
        let (_change, mut record) = self.lock_group(id).await?;
        if record.group.state == GroupState::Archived {
            return Err(EngineError::invalid("state", format!("group '{}' is ARCHIVED; restart it instead", record.group.name)));
        }
        self.resume_locked(&mut record).await
    }

    /// Resumes a group whose change lock the caller holds (the user's resume, and a
    /// request to a paused group with autoPause).
    async fn resume_locked(&self, record: &mut GroupRecord) -> Result<Group> {
        record.group.paused = false;
        self.save_group(record).await
    }

    /// Replaces every driver with a new one (new settings apply). An ARCHIVED group
    /// becomes ACTIVE again.
    pub async fn restart_group(&self, id: &str) -> Result<Group> {
        let (_change, mut record) = self.lock_group(id).await?;
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
        let (_change, mut record) = self.lock_group(id).await?;
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
        let (_change, record) = self.lock_group(id).await?;
        self.stop_jar_watch(id);
        if let Some(live) = self.group_live(id) {
            live.lock().close();
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
        self.inner().group_locks.forget(id);
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
        // A supervisor that already ended (its group was archived) takes no change: a
        // group that wants drivers again gets a new one.
        let supervised = self.group_live(&record.group.id).is_some_and(|live| {
            let taken = live.lock().update(record);
            live.wake.notify_one();
            taken
        });
        if !supervised && wanted(record) > 0 {
            self.supervise(GroupLive::new(record));
        }
        self.sync_jar_watch(record);
        Ok(group)
    }

    async fn with_drivers(&self, mut group: Group) -> Result<Group> {
        group.jobs = self.store().group_drivers(&group.id, MAX_LISTED_DRIVERS).await?.into_iter().map(|r| r.job).collect();
        Ok(group)
    }

    /// Reads a group for a change, holding its change lock (`change_lock.rs`): the caller
    /// keeps the guard until the committed change is handed to the supervisor.
    async fn lock_group(&self, id: &str) -> Result<(OwnedMutexGuard<()>, GroupRecord)> {
        let guard = self.inner().group_locks.lock(id).await;
        match self.group_record(id).await {
            Ok(record) => Ok((guard, record)),
            Err(e) => {
                if matches!(e, EngineError::NotFound { .. }) {
                    self.inner().group_locks.forget(id);
                }
                Err(e)
            }
        }
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
}
