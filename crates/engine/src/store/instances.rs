//! SQL for job instances (the requests sent to groups). An instance and the driver that
//! runs it change together, in one transaction.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, begin_write};
use super::jobs::update_active_job_in;
use super::livy_ids::number_livy_statement;
use super::sql::{Filter, Listing, decode_readable, fetch_one_by, from_json, to_json};
use crate::error::Result;
use crate::model::group::{InstanceError, JobInstance, RequestType};
use crate::model::job::{JobRecord, JobState, Language};
use crate::model::paging::PageRequest;

/// A group's instances: API sort field → column, newest first by default.
pub(crate) const LISTING: Listing = Listing {
    table: "job_instances",
    sortable: &[
        ("jobInstanceId", "id"),
        ("jobId", "job_id"),
        ("groupId", "group_id"),
        ("type", "request_type"),
        ("state", "state"),
        ("jobClass", "job_class"),
        ("submitTime", "submit_time"),
        ("startTime", "start_time"),
        ("endTime", "end_time"),
    ],
    default_order: "submit_time DESC",
};

fn from_row(row: &SqliteRow) -> Result<JobInstance> {
    let config: String = row.try_get("job_config")?;
    let completions: Option<String> = row.try_get("completions")?;
    let message: Option<String> = row.try_get("error_message")?;
    let stack: Option<String> = row.try_get("error_stack")?;
    let cursor: Option<i64> = row.try_get("cursor")?;
    let language: Option<String> = row.try_get("language")?;
    let data: Option<String> = row.try_get("data")?;
    Ok(JobInstance {
        job_instance_id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        group_id: row.try_get("group_id")?,
        request_type: RequestType::parse("type", &row.try_get::<String, _>("request_type")?)?,
        state: JobState::parse("state", &row.try_get::<String, _>("state")?)?,
        job_class: row.try_get("job_class")?,
        job_config: from_json("job instance jobConfig", &config)?,
        code: row.try_get("code")?,
        cursor: cursor.and_then(|c| u32::try_from(c).ok()),
        result: row.try_get("result")?,
        completions: completions.map(|c| from_json("job instance completions", &c)).transpose()?,
        language: language.map(|l| Language::parse("language", &l)).transpose()?,
        data: data.map(|d| from_json("job instance data", &d)).transpose()?,
        error: message.map(|message| InstanceError { message, stack_trace: stack.unwrap_or_default() }),
        submit_time: row.try_get("submit_time")?,
        start_time: row.try_get("start_time")?,
        end_time: row.try_get("end_time")?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    to_json("job instance", value)
}

impl Store {
    /// Stores a queued instance and, for a Livy statement (`livy_kind`), its statement
    /// number in the same transaction, so a crash never leaves one without the other.
    pub(crate) async fn insert_instance(&self, i: &JobInstance, livy_kind: Option<&str>) -> Result<Option<u32>> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO job_instances (id, group_id, job_id, request_type, state, job_class, job_config, code, cursor, language,
                                        submit_time, start_time, end_time)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&i.job_instance_id)
        .bind(&i.group_id)
        .bind(&i.job_id)
        .bind(i.request_type.as_str())
        .bind(i.state.as_str())
        .bind(&i.job_class)
        .bind(json(&i.job_config)?)
        .bind(&i.code)
        .bind(i.cursor.map(i64::from))
        .bind(i.language.map(Language::as_str))
        .bind(i.submit_time)
        .bind(i.start_time)
        .bind(i.end_time)
        .execute(&mut *tx)
        .await?;
        let statement = match livy_kind {
            Some(kind) => Some(number_livy_statement(&mut tx, &i.group_id, &i.job_instance_id, kind).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(statement)
    }

    /// Writes an instance that has not ended (false when it had: the first end wins) and,
    /// in the same transaction, its driver's new state (when given and still active).
    pub(crate) async fn update_instance(&self, i: &JobInstance, driver: Option<&JobRecord>) -> Result<(bool, bool)> {
        let mut tx = begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE job_instances SET job_id = ?, state = ?, result = ?, completions = ?, data = ?, error_message = ?, error_stack = ?,
                                      start_time = ?, end_time = ?
             WHERE id = ? AND state IN ('SUBMITTED', 'BUSY')",
        )
        .bind(&i.job_id)
        .bind(i.state.as_str())
        .bind(&i.result)
        .bind(i.completions.as_ref().map(json).transpose()?)
        .bind(i.data.as_ref().map(json).transpose()?)
        .bind(i.error.as_ref().map(|e| e.message.as_str()))
        .bind(i.error.as_ref().map(|e| e.stack_trace.as_str()))
        .bind(i.start_time)
        .bind(i.end_time)
        .bind(&i.job_instance_id)
        .execute(&mut *tx)
        .await?;
        let instance_saved = done.rows_affected() == 1;
        let driver_saved = match driver {
            Some(d) if instance_saved => update_active_job_in(&mut tx, d).await?,
            _ => false,
        };
        tx.commit().await?;
        Ok((instance_saved, driver_saved))
    }

    pub(crate) async fn instance_by_id(&self, id: &str) -> Result<Option<JobInstance>> {
        fetch_one_by(&self.pool, "SELECT * FROM job_instances WHERE id = ?", id, from_row).await
    }

    /// Instances of a group that have not ended, oldest first.
    pub(crate) async fn active_instances(&self, group_id: &str) -> Result<Vec<JobInstance>> {
        let rows = sqlx::query(
            "SELECT * FROM job_instances WHERE group_id = ? AND state IN ('SUBMITTED', 'BUSY') ORDER BY submit_time, id",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_readable("job_instances", &rows, from_row))
    }

    /// A page of a group's instances; `search` matches the job class or the code.
    pub(crate) async fn instance_page(
        &self,
        group_id: &str,
        search: Option<&str>,
        page: &PageRequest,
    ) -> Result<(u64, Vec<JobInstance>)> {
        let mut filter = Filter::new();
        filter.eq("group_id", group_id).search(&["job_class", "code"], search);
        LISTING.page(&self.pool, &filter, page, from_row).await
    }
}
