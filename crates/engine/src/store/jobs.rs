//! SQL for jobs. Every filter of `GET /job` is an indexed column or the `job_tags` table;
//! sorting goes through the whitelist below.

use std::collections::{BTreeMap, HashMap};

use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{Store, begin_write};
use super::artifacts::JOB_ARTIFACTS;
use super::sql::{Filter, JOB_TAGS, Listing, decode_readable, fetch_one_by, from_json, narrow, to_json};
use crate::error::Result;
use crate::model::driver::{DriverRef, ProcessRef};
use crate::model::job::{Job, JobRecord, JobSpec, JobState, JobType, Language};
use crate::model::paging::PageRequest;

/// `GET /job`: API sort field → column, newest first by default.
pub(crate) const LISTING: Listing = Listing {
    table: "jobs",
    sortable: &[
        ("jobId", "id"),
        ("groupId", "group_id"),
        ("jobName", "name"),
        ("jobType", "job_type"),
        ("language", "language"),
        ("clusterName", "cluster_name"),
        ("appId", "app_id"),
        ("state", "state"),
        ("error", "error"),
        ("submitTime", "submit_time"),
        ("startTime", "start_time"),
        ("endTime", "end_time"),
    ],
    default_order: "submit_time DESC",
};

/// The filters of `GET /job` and `GET /job/updates`; empty lists match everything.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobFilter<'a> {
    pub(crate) job_ids: &'a [String],
    pub(crate) group_ids: &'a [String],
    pub(crate) job_types: &'a [JobType],
    pub(crate) states: &'a [JobState],
    pub(crate) cluster_names: &'a [String],
    pub(crate) tags: Option<&'a BTreeMap<String, String>>,
    pub(crate) search: Option<&'a str>,
}

fn from_row(row: &SqliteRow) -> Result<JobRecord> {
    let tags: String = row.try_get("tags")?;
    let spec: String = row.try_get("spec")?;
    let state: String = row.try_get("state")?;
    let job_type: String = row.try_get("job_type")?;
    let language: String = row.try_get("language")?;
    let driver: Option<String> = row.try_get("driver")?;
    let driver = match driver {
        Some(json) => Some(from_json::<DriverRef>("job driver", &json)?),
        None => {
            let pid: Option<i64> = row.try_get("pid")?;
            let pid_start: Option<i64> = row.try_get("pid_start")?;
            match (pid.and_then(|p| i32::try_from(p).ok()), pid_start.and_then(|s| u64::try_from(s).ok())) {
                (Some(pid), Some(start_ticks)) => Some(DriverRef::Process(ProcessRef { pid, start_ticks })),
                _ => None,
            }
        }
    };
    let spec = from_json::<JobSpec>("job spec", &spec)?;
    let state = JobState::parse("state", &state)?;
    Ok(JobRecord {
        job: Job {
            job_id: row.try_get("id")?,
            group_id: row.try_get("group_id")?,
            job_name: row.try_get("name")?,
            job_type: JobType::parse("jobType", &job_type)?,
            tags: from_json("job tags", &tags)?,
            language: Language::parse("language", &language)?,
            cluster_name: row.try_get("cluster_name")?,
            app_id: row.try_get("app_id")?,
            state,
            error: row.try_get("error")?,
            error_cause: row.try_get::<Option<String>, _>("error_cause")?.map(|json| from_json("job error cause", &json)).transpose()?,
            // An ended job has no live UI, whatever a row written before its end says.
            spark_ui_url: if state.is_terminal() { None } else { row.try_get("spark_ui_url")? },
            submit_time: row.try_get("submit_time")?,
            start_time: row.try_get("start_time")?,
            end_time: row.try_get("end_time")?,
            settings: spec.shown(),
            schedule_id: row.try_get("schedule_id")?,
            attempt: narrow("job attempt", row.try_get("attempt")?)?,
            max_retries: narrow("job maxRetries", row.try_get("max_retries")?)?,
        },
        cluster_id: row.try_get("cluster_id")?,
        spec,
        driver,
        not_before: row.try_get("not_before")?,
        due_time: row.try_get("due_time")?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    to_json("job", value)
}

fn active_list() -> String {
    JobState::ACTIVE.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

impl<'a> JobFilter<'a> {
    fn to_sql(&self) -> Filter<'a> {
        let mut f = Filter::new();
        f.any_of("id", self.job_ids, String::as_str)
            .any_of("group_id", self.group_ids, String::as_str)
            .any_of("job_type", self.job_types, |t| t.as_str())
            .any_of("state", self.states, |s| s.as_str())
            .any_of("cluster_name", self.cluster_names, String::as_str)
            .tags(&JOB_TAGS, self.tags)
            .search(&["name"], self.search);
        f
    }
}

impl Store {
    pub(crate) async fn insert_job(&self, r: &JobRecord) -> Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        insert_job_in(&mut tx, r).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes a job's end and, when it failed with retries left, inserts its next attempt —
    /// in one transaction, so a crash never loses the retry nor makes two. False (nothing
    /// written) when the job had already ended.
    pub(crate) async fn end_job(&self, ended: &JobRecord, next_attempt: Option<&JobRecord>) -> Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        if !update_active_job_in(&mut tx, ended).await? {
            return Ok(false);
        }
        if let Some(next) = next_attempt {
            insert_job_in(&mut tx, next).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// A schedule's runs, newest first (at most `limit`).
    pub(crate) async fn schedule_runs(&self, schedule_id: &str, limit: u32) -> Result<Vec<Job>> {
        let rows = sqlx::query("SELECT * FROM jobs WHERE schedule_id = ? ORDER BY submit_time DESC, id DESC LIMIT ?")
            .bind(schedule_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_readable("jobs", &rows, from_row).into_iter().map(|r| r.job).collect())
    }

    /// The newest runs (at most `limit` each) of several schedules, newest first, in one query.
    pub(crate) async fn runs_of_schedules(&self, ids: &[&str], limit: u32) -> Result<HashMap<String, Vec<Job>>> {
        let mut runs: HashMap<String, Vec<Job>> = HashMap::new();
        if ids.is_empty() {
            return Ok(runs);
        }
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY schedule_id ORDER BY submit_time DESC, id DESC) AS nth
             FROM jobs WHERE schedule_id IN (",
        );
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(")) WHERE nth <= ").push_bind(i64::from(limit)).push(" ORDER BY schedule_id, submit_time DESC, id DESC");
        let rows = q.build().fetch_all(&self.pool).await?;
        for record in decode_readable("jobs", &rows, from_row) {
            if let Some(id) = record.job.schedule_id.clone() {
                runs.entry(id).or_default().push(record.job);
            }
        }
        Ok(runs)
    }

    /// A schedule's runs that have not ended (queued retries included).
    pub(crate) async fn active_schedule_runs(&self, schedule_id: &str) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query(&format!("SELECT * FROM jobs WHERE schedule_id = ? AND state IN ({})", active_list()))
            .bind(schedule_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_readable("jobs", &rows, from_row))
    }

    /// Ids of the schedules with a run that has not ended.
    pub(crate) async fn schedules_with_active_runs(&self) -> Result<std::collections::HashSet<String>> {
        let sql = format!("SELECT DISTINCT schedule_id FROM jobs WHERE schedule_id IS NOT NULL AND state IN ({})", active_list());
        Ok(sqlx::query_scalar(&sql).fetch_all(&self.pool).await?.into_iter().collect())
    }
}

/// Inserts a job with its tags and artifact references on `conn` (inside a transaction).
pub(crate) async fn insert_job_in(conn: &mut sqlx::SqliteConnection, r: &JobRecord) -> Result<()> {
    {
        let j = &r.job;
        sqlx::query(
            "INSERT INTO jobs (id, group_id, name, job_type, language, cluster_id, cluster_name, app_id, state, error,
                               error_cause, submit_time, start_time, end_time, tags, spec, schedule_id, attempt, max_retries, not_before, due_time)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&j.job_id)
        .bind(&j.group_id)
        .bind(&j.job_name)
        .bind(j.job_type.as_str())
        .bind(j.language.as_str())
        .bind(&r.cluster_id)
        .bind(&j.cluster_name)
        .bind(&j.app_id)
        .bind(j.state.as_str())
        .bind(&j.error)
        .bind(j.error_cause.as_ref().map(json).transpose()?)
        .bind(j.submit_time)
        .bind(j.start_time)
        .bind(j.end_time)
        .bind(json(&j.tags)?)
        .bind(json(&r.spec)?)
        .bind(&j.schedule_id)
        .bind(i64::from(j.attempt))
        .bind(i64::from(j.max_retries))
        .bind(r.not_before)
        .bind(r.due_time)
        .execute(&mut *conn)
        .await?;
        JOB_TAGS.replace(&mut *conn, &j.job_id, &j.tags).await?;
        let shas: Vec<&str> = r.spec.artifacts().map(|a| a.sha256.as_str()).collect();
        JOB_ARTIFACTS.add(&mut *conn, &j.job_id, &shas).await?;
    }
    Ok(())
}

impl Store {

    /// Writes the changing columns of an active job. Returns false (and writes nothing)
    /// when the stored job has already reached a final state: the first end wins.
    pub(crate) async fn update_active_job(&self, r: &JobRecord) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        update_active_job_in(&mut conn, r).await
    }

    pub(crate) async fn job_by_id(&self, id: &str) -> Result<Option<JobRecord>> {
        fetch_one_by(&self.pool, "SELECT * FROM jobs WHERE id = ?", id, from_row).await
    }

    pub(crate) async fn job_page(&self, filter: &JobFilter<'_>, page: &PageRequest) -> Result<(u64, Vec<Job>)> {
        LISTING.page(&self.pool, &filter.to_sql(), page, |row| from_row(row).map(|r| r.job)).await
    }

    /// Jobs that have not ended, oldest first.
    pub(crate) async fn active_jobs(&self) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query(&format!("SELECT * FROM jobs WHERE state IN ({}) ORDER BY submit_time, id", active_list()))
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_readable("jobs", &rows, from_row))
    }

    /// Ids of the jobs that have not ended on one cluster.
    pub(crate) async fn active_job_ids_on_cluster(&self, cluster_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(&format!("SELECT id FROM jobs WHERE cluster_id = ? AND state IN ({})", active_list()))
            .bind(cluster_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.try_get("id").map_err(Into::into)).collect()
    }

    /// Launched, not ended single jobs per cluster id (interactive drivers are the
    /// groups' business and do not take single-job slots).
    pub(crate) async fn running_counts(&self) -> Result<HashMap<String, usize>> {
        let rows = sqlx::query(
            "SELECT cluster_id, COUNT(*) AS n FROM jobs WHERE state IN ('STARTING', 'READY', 'BUSY') AND job_type = 'SINGLE'
             GROUP BY cluster_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                Ok((r.try_get("cluster_id")?, narrow("running job count", n)?))
            })
            .collect()
    }

    /// Deletes a job (its tags and artifact references go with it) and returns the
    /// artifacts no job references any more.
    pub(crate) async fn delete_job(&self, id: &str) -> Result<Option<Vec<String>>> {
        JOB_ARTIFACTS.delete_owner(&self.pool, id).await
    }

    /// The drivers of a group, newest first (at most `limit`).
    pub(crate) async fn group_drivers(&self, group_id: &str, limit: u32) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query("SELECT * FROM jobs WHERE group_id = ? ORDER BY submit_time DESC, id LIMIT ?")
            .bind(group_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_readable("jobs", &rows, from_row))
    }

    /// Every driver of a group that has not ended.
    pub(crate) async fn active_group_drivers(&self, group_id: &str) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM jobs WHERE group_id = ? AND state IN ({}) ORDER BY submit_time, id",
            active_list()
        ))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_readable("jobs", &rows, from_row))
    }

    /// Ids of every driver a group ever had.
    pub(crate) async fn group_driver_ids(&self, group_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM jobs WHERE group_id = ?").bind(group_id).fetch_all(&self.pool).await?)
    }
}

/// Writes an active job's changing columns on `conn` (e.g. inside a transaction).
pub(crate) async fn update_active_job_in(conn: &mut sqlx::SqliteConnection, r: &JobRecord) -> Result<bool> {
    let j = &r.job;
    let done = sqlx::query(&format!(
        "UPDATE jobs SET state = ?, app_id = ?, error = ?, error_cause = ?, spark_ui_url = ?, start_time = ?, end_time = ?, driver = ?
         WHERE id = ? AND state IN ({})",
        active_list()
    ))
    .bind(j.state.as_str())
    .bind(&j.app_id)
    .bind(&j.error)
    .bind(j.error_cause.as_ref().map(json).transpose()?)
    .bind(j.spark_ui_url.as_ref().filter(|_| !j.state.is_terminal()))
    .bind(j.start_time)
    .bind(j.end_time)
    .bind(r.driver.as_ref().map(json).transpose()?)
    .bind(&j.job_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
