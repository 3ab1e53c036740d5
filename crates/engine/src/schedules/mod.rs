//! Schedules: a cron in a time zone and a checked job form (`Engine::check_submission`);
//! each run is an ordinary single job made of it, with `scheduleId` and `attempt`. Here:
//! create, update, pause/resume/stop, delete, run now, views and lists. The ticker
//! (`ticker.rs`) is the one writer of each schedule's due state and makes the runs.

mod next_runs;
mod ticker;

use uuid::Uuid;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::jobs::{JobSubmission, packages_need_local_spark};
use crate::limits::{DEFAULT_CATCH_UP_HORIZON_SECS, MAX_CATCH_UP_HORIZON_SECS, SCHEDULE_VIEW_RUNS};
use crate::model::form::{bounded_text, no_nul, text};
use crate::model::job::{ArtifactRef, Job, JobRecord, Language, validate_class_name};
use crate::model::memory_settings::MemorySettingsForm;
use crate::model::packages::parse_packages;
use crate::model::paging::Page;
use crate::model::query::ScheduleQuery;
use crate::model::secret::unmask_settings;
use crate::model::schedule::{
    CatchUp, OverlapPolicy, Schedule, ScheduleRecord, ScheduleState, machine_time_zone, parse_cron, parse_epoch_ms,
    parse_max_retries, parse_time_zone, preview_run_times,
};
use crate::model::wire::{parse_args, parse_pairs, parse_requirements};
use crate::store::schedules::ScheduleFilter;

pub(crate) use next_runs::NextRuns;
pub(crate) use ticker::Ticker;

const MAX_DESCRIPTION: usize = 2000;

/// `POST /schedule`: the job part as a submit form (its `name` is the schedule's and its
/// runs'; for PYTHON, `jobClass` names the main script among `pyFiles`), and the
/// schedule's own fields as sent. Blank fields take their defaults.
#[derive(Default)]
pub struct ScheduleForm {
    pub job: JobSubmission,
    pub description: Option<String>,
    pub cron: Option<String>,
    pub time_zone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub overlap_policy: Option<String>,
    pub catch_up: Option<String>,
    /// Seconds before now whose missed times `catchUp=ALL` runs.
    pub catch_up_horizon: Option<String>,
}

/// `PUT /schedule/{id}`: each field given replaces the stored one; absent ones stay.
#[derive(Default)]
pub struct ScheduleUpdate {
    pub description: Option<String>,
    pub tags: Option<String>,
    pub job_config: Option<String>,
    pub cron: Option<String>,
    pub args: Option<String>,
    pub job_class: Option<String>,
    pub py_requirements: Option<String>,
    /// Maven coordinates, comma-separated.
    pub packages: Option<String>,
    /// Each memory field given replaces the stored one (blank clears it).
    pub memory: MemorySettingsForm,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub max_retries: Option<String>,
    pub time_zone: Option<String>,
    pub overlap_policy: Option<String>,
    pub catch_up: Option<String>,
    pub catch_up_horizon: Option<String>,
}

/// The schedule's own fields, checked.
struct Timing {
    cron: String,
    time_zone: String,
    start_time: i64,
    end_time: i64,
    overlap_policy: OverlapPolicy,
    catch_up: CatchUp,
    catch_up_horizon: u64,
}

fn check_timing(r: &Timing) -> Result<()> {
    parse_cron("cron", &r.cron)?;
    parse_time_zone("timeZone", &r.time_zone)?;
    if r.end_time != 0 && r.end_time < r.start_time {
        return Err(EngineError::invalid("endTime", format!("{} is before startTime {}", r.end_time, r.start_time)));
    }
    if r.catch_up_horizon == 0 || r.catch_up_horizon > MAX_CATCH_UP_HORIZON_SECS {
        return Err(EngineError::invalid(
            "catchUpHorizon",
            format!("{} s is out of range (1 to {MAX_CATCH_UP_HORIZON_SECS} s)", r.catch_up_horizon),
        ));
    }
    Ok(())
}

fn parse_horizon(value: &str) -> Result<u64> {
    match value.trim() {
        "" => Ok(DEFAULT_CATCH_UP_HORIZON_SECS),
        v => v.parse().map_err(|_| EngineError::invalid("catchUpHorizon", format!("'{v}' is not a whole number of seconds"))),
    }
}

/// PYTHON: `jobClass` names the main script among the Python files; it goes first (the
/// job form's main script) and is not passed on as a class.
fn main_script_first<T>(job_class: &str, py_files: &mut [T], name_of: impl Fn(&T) -> &str) -> Result<()> {
    if job_class.is_empty() {
        return Ok(());
    }
    let Some(at) = py_files.iter().position(|f| name_of(f) == job_class) else {
        let names: Vec<&str> = py_files.iter().map(&name_of).collect();
        return Err(EngineError::invalid(
            "jobClass",
            format!("a PYTHON schedule's jobClass names its main script among pyFiles; '{job_class}' is not one of [{}]", names.join(", ")),
        ));
    };
    py_files[..=at].rotate_right(1);
    Ok(())
}

impl Engine {
    pub async fn create_schedule(&self, mut form: ScheduleForm) -> Result<Schedule> {
        let timing = Timing {
            cron: text(&form.cron).to_string(),
            time_zone: match text(&form.time_zone) {
                "" => machine_time_zone(),
                zone => zone.to_string(),
            },
            start_time: parse_epoch_ms("startTime", text(&form.start_time))?,
            end_time: parse_epoch_ms("endTime", text(&form.end_time))?,
            overlap_policy: match text(&form.overlap_policy) {
                "" => OverlapPolicy::Skip,
                p => OverlapPolicy::parse("overlapPolicy", p)?,
            },
            catch_up: match text(&form.catch_up) {
                "" => CatchUp::Latest,
                c => CatchUp::parse("catchUp", c)?,
            },
            catch_up_horizon: parse_horizon(text(&form.catch_up_horizon))?,
        };
        check_timing(&timing)?;
        let description = bounded_text("description", &form.description, MAX_DESCRIPTION)?;
        let python = text(&form.job.language).eq_ignore_ascii_case(Language::Python.as_str());
        if python {
            let main = text(&form.job.job_class).to_string();
            main_script_first(&main, &mut form.job.py_files, |f| f.name.as_str())?;
            form.job.job_class = None;
        }
        let checked = self.check_submission(&form.job).await?;
        if self.store().schedule_by_name(&checked.name).await?.is_some() {
            return Err(EngineError::invalid("name", format!("a schedule named '{}' already exists", checked.name)));
        }
        let now = self.config().clock.wall_ms();
        let record = ScheduleRecord {
            id: Uuid::new_v4().to_string(),
            name: checked.name.clone(),
            description,
            cron: timing.cron,
            time_zone: timing.time_zone,
            state: ScheduleState::Enabled,
            overlap_policy: timing.overlap_policy,
            catch_up: timing.catch_up,
            catch_up_horizon: timing.catch_up_horizon,
            tags: checked.tags.clone(),
            language: checked.language,
            cluster_id: checked.cluster.id.clone(),
            cluster_name: checked.cluster.name.clone(),
            start_time: timing.start_time,
            end_time: timing.end_time,
            max_retries: checked.max_retries,
            created_time: now,
            updated_time: now,
            disabled_time: 0,
            last_due: now,
            queued_due: 0,
            spec: checked.spec.clone(),
        };
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            // Dropped without `keep` on an error: the uploads it added are removed.
            let mut stored = self.storing_uploads();
            for upload in form.job.jars.into_iter().chain(form.job.files).chain(form.job.py_files) {
                stored.store(upload)?;
            }
            self.store().insert_schedule(&record).await.map_err(|e| match &e {
                EngineError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                    EngineError::invalid("name", "a schedule with this name already exists")
                }
                _ => e,
            })?;
            stored.keep();
        }
        tracing::info!(id = %record.id, name = %record.name, cron = %record.cron, "schedule created");
        let schedule = self.announce_schedule(&record).await?;
        Ok(schedule)
    }

    /// The next due times of a cron in a time zone (blank: the machine's) from now, as a
    /// schedule would show them; or the error naming the part at fault. Nothing is stored.
    pub fn preview_cron(&self, cron: &str, time_zone: &str) -> Result<Vec<i64>> {
        preview_run_times(cron, time_zone, self.config().clock.wall_ms(), crate::limits::NEXT_RUN_TIMES)
    }

    pub async fn get_schedule(&self, id: &str) -> Result<Schedule> {
        let record = self.schedule_record(id).await?;
        self.schedule_view(&record).await
    }

    pub async fn get_schedule_by_name(&self, name: &str) -> Result<Schedule> {
        let record = self.store().schedule_by_name(name.trim()).await?.ok_or_else(|| EngineError::not_found("schedule", name))?;
        self.schedule_view(&record).await
    }

    pub async fn list_schedules(&self, query: &ScheduleQuery) -> Result<Page<Schedule>> {
        let search = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let filter = ScheduleFilter {
            states: &query.states,
            crons: &query.crons,
            job_states: &query.job_states,
            cluster_names: &query.cluster_names,
            tags: Some(&query.tags).filter(|t| !t.is_empty()),
            search,
        };
        let (total, records) = self.store().schedule_page(&filter, &query.page).await?;
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        let mut runs = self.store().runs_of_schedules(&ids, SCHEDULE_VIEW_RUNS).await?;
        let now = self.config().clock.wall_ms();
        let views = records.iter().map(|r| r.view(self.inner().next_runs.get(r, now), runs.remove(&r.id).unwrap_or_default())).collect();
        Ok(Page::new(&query.page, total, views))
    }

    pub async fn update_schedule(&self, id: &str, update: ScheduleUpdate) -> Result<Schedule> {
        let mut r = self.schedule_record(id).await?;
        let mut timing = Timing {
            cron: r.cron.clone(),
            time_zone: r.time_zone.clone(),
            start_time: r.start_time,
            end_time: r.end_time,
            overlap_policy: r.overlap_policy,
            catch_up: r.catch_up,
            catch_up_horizon: r.catch_up_horizon,
        };
        if let Some(cron) = &update.cron {
            timing.cron = cron.trim().to_string();
        }
        if let Some(zone) = &update.time_zone {
            timing.time_zone = zone.trim().to_string();
        }
        if let Some(start) = &update.start_time {
            timing.start_time = parse_epoch_ms("startTime", start)?;
        }
        if let Some(end) = &update.end_time {
            timing.end_time = parse_epoch_ms("endTime", end)?;
        }
        if let Some(policy) = &update.overlap_policy {
            timing.overlap_policy = OverlapPolicy::parse("overlapPolicy", policy)?;
        }
        if let Some(catch_up) = &update.catch_up {
            timing.catch_up = CatchUp::parse("catchUp", catch_up)?;
        }
        if let Some(horizon) = &update.catch_up_horizon {
            timing.catch_up_horizon = parse_horizon(horizon)?;
        }
        check_timing(&timing)?;
        if update.description.is_some() {
            r.description = bounded_text("description", &update.description, MAX_DESCRIPTION)?;
        }
        if let Some(tags) = &update.tags {
            r.tags = parse_pairs("tags", tags)?;
            no_nul("tags", r.tags.values())?;
        }
        if let Some(config) = &update.job_config {
            let config = parse_pairs("jobConfig", config)?;
            no_nul("jobConfig", config.values())?;
            // The view masks secret settings: sent back, they keep the stored values.
            r.spec.config = unmask_settings("jobConfig", config, &r.spec.config)?;
        }
        if let Some(args) = &update.args {
            r.spec.args = parse_args(args);
            no_nul("args", &r.spec.args)?;
        }
        if let Some(requirements) = &update.py_requirements {
            let requirements = parse_requirements("pyRequirements", requirements)?;
            if r.language == Language::Scala && !requirements.is_empty() {
                return Err(EngineError::invalid("pyRequirements", "only PYTHON jobs take Python requirements"));
            }
            r.spec.requirements = requirements;
        }
        if let Some(class) = update.job_class.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            match r.language {
                // A schedule is never SQL (refused when created).
                Language::Scala | Language::Sql => {
                    validate_class_name("jobClass", class)?;
                    r.spec.job_class = Some(class.to_string());
                }
                Language::Python => main_script_first(class, &mut r.spec.py_files, |f: &ArtifactRef| f.name.as_str())?,
            }
        }
        if let Some(packages) = &update.packages {
            let packages = parse_packages("packages", packages)?;
            if !packages.is_empty()
                && let Some(cluster) = self.store().cluster_by_id(&r.cluster_id).await?
                && !self.runtime_for(&cluster)?.needs_local_spark()
            {
                self.spark_env().await.map_err(|why| packages_need_local_spark(cluster.cluster_type.as_str(), &why))?;
            }
            r.spec.packages = packages;
        }
        // Checked against the jobConfig the runs will have, new or kept.
        r.spec.memory = r.spec.memory.updated(&update.memory)?;
        r.spec.memory.check_config(&r.spec.config)?;
        if let Some(retries) = &update.max_retries {
            r.max_retries = parse_max_retries("maxRetries", retries)?;
        }
        r.cron = timing.cron;
        r.time_zone = timing.time_zone;
        r.start_time = timing.start_time;
        r.end_time = timing.end_time;
        r.overlap_policy = timing.overlap_policy;
        r.catch_up = timing.catch_up;
        r.catch_up_horizon = timing.catch_up_horizon;
        self.save_schedule(r, None).await
    }

    /// PAUSED: no runs until resumed (what runs keeps running).
    pub async fn pause_schedule(&self, id: &str) -> Result<Schedule> {
        let mut r = self.schedule_record(id).await?;
        r.state = ScheduleState::Paused;
        self.save_schedule(r, None).await
    }

    /// ENABLED again. The times that came due while it was paused or disabled are not
    /// caught up: it runs from its next due time on.
    pub async fn resume_schedule(&self, id: &str) -> Result<Schedule> {
        let mut r = self.schedule_record(id).await?;
        if r.state == ScheduleState::Enabled {
            return self.schedule_view(&r).await;
        }
        r.state = ScheduleState::Enabled;
        r.disabled_time = 0;
        let now = self.config().clock.wall_ms();
        self.save_schedule(r, Some(now)).await
    }

    /// DISABLED (the platform's stop), with its `disabledTime`; its runs go on.
    pub async fn stop_schedule(&self, id: &str) -> Result<Schedule> {
        let mut r = self.schedule_record(id).await?;
        if r.state != ScheduleState::Disabled {
            r.state = ScheduleState::Disabled;
            r.disabled_time = self.config().clock.wall_ms();
        }
        self.save_schedule(r, None).await
    }

    /// Removes a schedule; its runs stay as jobs (with its id as `scheduleId`).
    pub async fn delete_schedule(&self, id: &str) -> Result<()> {
        let record = self.schedule_record(id).await?;
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            let orphans = self.store().delete_schedule(id).await?.ok_or_else(|| EngineError::not_found("schedule", id))?;
            self.remove_artifacts(&orphans);
        }
        self.inner().next_runs.forget(id);
        tracing::info!(id, name = %record.name, "schedule deleted");
        self.publish(EngineEvent::ScheduleDeleted { id: id.to_string(), name: record.name });
        Ok(())
    }

    /// A run now, whatever the schedule's state and its runs (extension `POST /schedule/{id}/run`).
    pub async fn run_schedule_now(&self, id: &str) -> Result<Job> {
        let record = self.schedule_record(id).await?;
        let run = schedule_run(&record, 0);
        self.add_job(&run, Vec::new()).await?;
        tracing::info!(id, job = %run.job.job_id, "schedule run now");
        Ok(run.job)
    }

    async fn save_schedule(&self, mut r: ScheduleRecord, resumed_at: Option<i64>) -> Result<Schedule> {
        r.updated_time = self.config().clock.wall_ms();
        if !self.store().update_schedule(&r, resumed_at).await? {
            return Err(EngineError::not_found("schedule", r.id));
        }
        let stored = self.schedule_record(&r.id).await?;
        self.announce_schedule(&stored).await
    }

    /// Announces a committed change and lets the ticker look at it.
    async fn announce_schedule(&self, record: &ScheduleRecord) -> Result<Schedule> {
        let schedule = self.schedule_view(record).await?;
        self.publish(EngineEvent::ScheduleChanged { schedule: Box::new(schedule.clone()) });
        self.inner().ticker.wake();
        Ok(schedule)
    }

    pub(crate) async fn schedule_view(&self, record: &ScheduleRecord) -> Result<Schedule> {
        let runs = self.store().schedule_runs(&record.id, SCHEDULE_VIEW_RUNS).await?;
        Ok(record.view(self.inner().next_runs.get(record, self.config().clock.wall_ms()), runs))
    }

    pub(crate) async fn schedule_record(&self, id: &str) -> Result<ScheduleRecord> {
        self.store().schedule_by_id(id).await?.ok_or_else(|| EngineError::not_found("schedule", id))
    }
}

/// A new SUBMITTED run of a schedule, for the due time `due` (0: run now).
pub(crate) fn schedule_run(s: &ScheduleRecord, due: i64) -> JobRecord {
    let job = Job {
        tags: s.tags.clone(),
        language: s.language,
        schedule_id: Some(s.id.clone()),
        max_retries: s.max_retries,
        ..crate::jobs::new_single_job(&s.name, &s.cluster_name)
    };
    let mut run = JobRecord::new(job, s.cluster_id.clone(), s.spec.clone());
    run.due_time = due;
    run
}
