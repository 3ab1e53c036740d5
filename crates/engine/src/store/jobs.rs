//! SQL for jobs. Every filter of `GET /job` is an indexed column or the `job_tags` table;
//! sorting goes through the whitelist below.

use std::collections::{BTreeMap, HashMap};

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::Store;
use super::clusters::like_pattern;
use crate::error::{EngineError, Result};
use crate::model::driver::ProcessRef;
use crate::model::job::{Job, JobRecord, JobSpec, JobState, JobType, Language};
use crate::model::driver::DriverRef;
use crate::model::paging::PageRequest;

/// API sort field → column.
pub(crate) const SORTABLE: &[(&str, &str)] = &[
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
];

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

fn bad_row(what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Conflict(format!("stored job {what} is unreadable: {e}"))
}

fn from_row(row: &SqliteRow) -> Result<JobRecord> {
    let tags: String = row.try_get("tags")?;
    let spec: String = row.try_get("spec")?;
    let state: String = row.try_get("state")?;
    let job_type: String = row.try_get("job_type")?;
    let language: String = row.try_get("language")?;
    let driver: Option<String> = row.try_get("driver")?;
    let driver = match driver {
        Some(json) => Some(serde_json::from_str::<DriverRef>(&json).map_err(|e| bad_row("driver", e))?),
        None => {
            let pid: Option<i64> = row.try_get("pid")?;
            let pid_start: Option<i64> = row.try_get("pid_start")?;
            match (pid.and_then(|p| i32::try_from(p).ok()), pid_start.and_then(|s| u64::try_from(s).ok())) {
                (Some(pid), Some(start_ticks)) => Some(DriverRef::Process(ProcessRef { pid, start_ticks })),
                _ => None,
            }
        }
    };
    Ok(JobRecord {
        job: Job {
            job_id: row.try_get("id")?,
            group_id: row.try_get("group_id")?,
            job_name: row.try_get("name")?,
            job_type: JobType::parse("jobType", &job_type)?,
            tags: serde_json::from_str(&tags).map_err(|e| bad_row("tags", e))?,
            language: Language::parse("language", &language)?,
            cluster_name: row.try_get("cluster_name")?,
            app_id: row.try_get("app_id")?,
            state: JobState::parse("state", &state)?,
            error: row.try_get("error")?,
            submit_time: row.try_get("submit_time")?,
            start_time: row.try_get("start_time")?,
            end_time: row.try_get("end_time")?,
        },
        cluster_id: row.try_get("cluster_id")?,
        spec: serde_json::from_str::<JobSpec>(&spec).map_err(|e| bad_row("spec", e))?,
        driver,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| EngineError::Conflict(format!("job cannot be stored: {e}")))
}

fn active_list() -> String {
    JobState::ACTIVE.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

fn push_filter<'a>(q: &mut QueryBuilder<'a, Sqlite>, f: &JobFilter<'a>, pattern: &'a Option<String>) {
    q.push(" WHERE 1 = 1");
    fn any_of<'a, T: 'a>(
        q: &mut QueryBuilder<'a, Sqlite>,
        column: &str,
        values: &'a [T],
        text: impl Fn(&'a T) -> &'a str,
    ) {
        if values.is_empty() {
            return;
        }
        q.push(format!(" AND {column} IN ("));
        let mut list = q.separated(", ");
        for v in values {
            list.push_bind(text(v));
        }
        list.push_unseparated(")");
    }
    any_of(q, "id", f.job_ids, String::as_str);
    any_of(q, "group_id", f.group_ids, String::as_str);
    any_of(q, "job_type", f.job_types, |t| t.as_str());
    any_of(q, "state", f.states, |s| s.as_str());
    any_of(q, "cluster_name", f.cluster_names, String::as_str);
    if let Some(tags) = f.tags {
        for (key, value) in tags {
            q.push(" AND id IN (SELECT job_id FROM job_tags WHERE key = ")
                .push_bind(key.as_str())
                .push(" AND value = ")
                .push_bind(value.as_str())
                .push(")");
        }
    }
    if let Some(pattern) = pattern {
        q.push(" AND name LIKE ").push_bind(pattern.as_str()).push(" ESCAPE '\\'");
    }
}

impl Store {
    pub(crate) async fn insert_job(&self, r: &JobRecord) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let j = &r.job;
        sqlx::query(
            "INSERT INTO jobs (id, group_id, name, job_type, language, cluster_id, cluster_name, app_id, state, error,
                               submit_time, start_time, end_time, tags, spec)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .bind(j.submit_time)
        .bind(j.start_time)
        .bind(j.end_time)
        .bind(json(&j.tags)?)
        .bind(json(&r.spec)?)
        .execute(&mut *tx)
        .await?;
        for (key, value) in &j.tags {
            sqlx::query("INSERT INTO job_tags (job_id, key, value) VALUES (?, ?, ?)")
                .bind(&j.job_id)
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        for artifact in r.spec.artifacts() {
            sqlx::query("INSERT OR IGNORE INTO job_artifacts (job_id, sha256) VALUES (?, ?)")
                .bind(&j.job_id)
                .bind(&artifact.sha256)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes the changing columns of an active job. Returns false (and writes nothing)
    /// when the stored job has already reached a final state: the first end wins.
    pub(crate) async fn update_active_job(&self, r: &JobRecord) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        update_active_job_in(&mut conn, r).await
    }

    pub(crate) async fn job_by_id(&self, id: &str) -> Result<Option<JobRecord>> {
        let row = sqlx::query("SELECT * FROM jobs WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn job_page(&self, filter: &JobFilter<'_>, page: &PageRequest) -> Result<(u64, Vec<Job>)> {
        let order = page.order_by(SORTABLE, "submit_time DESC", "id")?;
        let pattern = filter.search.map(like_pattern);
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM jobs");
        push_filter(&mut count, filter, &pattern);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let mut select = QueryBuilder::<Sqlite>::new("SELECT * FROM jobs");
        push_filter(&mut select, filter, &pattern);
        select
            .push(format!(" {order} LIMIT "))
            .push_bind(i64::from(page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
        let rows = select.build().fetch_all(&self.pool).await?;
        let jobs = rows.iter().map(|r| from_row(r).map(|r| r.job)).collect::<Result<_>>()?;
        Ok((u64::try_from(total).unwrap_or(0), jobs))
    }

    /// Jobs that have not ended, oldest first.
    pub(crate) async fn active_jobs(&self) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query(&format!("SELECT * FROM jobs WHERE state IN ({}) ORDER BY submit_time, id", active_list()))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
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
                Ok((r.try_get("cluster_id")?, usize::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    /// Deletes a job (its tags and artifact references go with it) and returns the
    /// artifacts no job references any more.
    pub(crate) async fn delete_job(&self, id: &str) -> Result<Option<Vec<String>>> {
        let mut tx = self.pool.begin().await?;
        let shas: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM job_artifacts WHERE job_id = ?")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM jobs WHERE id = ?").bind(id).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let orphans = unreferenced(&mut tx, shas).await?;
        tx.commit().await?;
        Ok(Some(orphans))
    }

    /// The drivers of a group, newest first (at most `limit`).
    pub(crate) async fn group_drivers(&self, group_id: &str, limit: u32) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query("SELECT * FROM jobs WHERE group_id = ? ORDER BY submit_time DESC, id LIMIT ?")
            .bind(group_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
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
        rows.iter().map(from_row).collect()
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
        "UPDATE jobs SET state = ?, app_id = ?, error = ?, start_time = ?, end_time = ?, driver = ?
         WHERE id = ? AND state IN ({})",
        active_list()
    ))
    .bind(j.state.as_str())
    .bind(&j.app_id)
    .bind(&j.error)
    .bind(j.start_time)
    .bind(j.end_time)
    .bind(r.driver.as_ref().map(json).transpose()?)
    .bind(&j.job_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Of `shas`, those neither a job nor a group references any more.
pub(crate) async fn unreferenced(tx: &mut sqlx::Transaction<'_, Sqlite>, shas: Vec<String>) -> Result<Vec<String>> {
    let mut orphans = Vec::new();
    for sha in shas {
        let used: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM job_artifacts WHERE sha256 = ?1) + (SELECT COUNT(*) FROM group_artifacts WHERE sha256 = ?1)",
        )
        .bind(&sha)
        .fetch_one(&mut **tx)
        .await?;
        if used == 0 {
            orphans.push(sha);
        }
    }
    Ok(orphans)
}
