//! SQL for schedules. The ticker is the one writer of `last_due` and `queued_due`: each
//! change of them is a compare-and-set in the transaction that inserts the runs it stands
//! for, so a due time is run once, also across a crash.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::artifacts::SCHEDULE_ARTIFACTS;
use super::jobs::insert_job_in;
use super::sql::{Filter, Listing, SCHEDULE_TAGS, decode_readable, fetch_one_by, from_json, narrow, to_json};
use super::{Store, begin_write};
use crate::error::Result;
use crate::model::job::{JobRecord, JobSpec, JobState, Language};
use crate::model::paging::PageRequest;
use crate::model::schedule::{CatchUp, OverlapPolicy, ScheduleRecord, ScheduleState};

/// `GET /schedule`: API sort field → column, newest first by default.
pub(crate) const LISTING: Listing = Listing {
    table: "schedules",
    sortable: &[
        ("id", "id"),
        ("name", "name"),
        ("description", "description"),
        ("cron", "cron"),
        ("language", "language"),
        ("clusterName", "cluster_name"),
        ("state", "state"),
        ("startTime", "start_time"),
        ("endTime", "end_time"),
        ("createdTime", "created_time"),
    ],
    default_order: "created_time DESC",
};

/// The filters of `GET /schedule`; empty lists match everything.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScheduleFilter<'a> {
    pub(crate) states: &'a [ScheduleState],
    pub(crate) crons: &'a [String],
    pub(crate) job_states: &'a [JobState],
    pub(crate) cluster_names: &'a [String],
    pub(crate) tags: Option<&'a BTreeMap<String, String>>,
    pub(crate) search: Option<&'a str>,
}

impl<'a> ScheduleFilter<'a> {
    fn to_sql(&self) -> Filter<'a> {
        let mut f = Filter::new();
        f.any_of("state", self.states, |s| s.as_str())
            .any_of("cron", self.crons, String::as_str)
            .any_of("cluster_name", self.cluster_names, String::as_str)
            .tags(&SCHEDULE_TAGS, self.tags)
            .search(&["name", "description"], self.search);
        if !self.job_states.is_empty() {
            let mut runs = Filter::new();
            runs.raw("schedule_id IS NOT NULL").any_of("state", self.job_states, |s| s.as_str());
            f.in_select("id", "SELECT schedule_id FROM jobs", runs);
        }
        f
    }
}

fn from_row(row: &SqliteRow) -> Result<ScheduleRecord> {
    let text = |name: &str| -> Result<String> { Ok(row.try_get(name)?) };
    let horizon: i64 = row.try_get("catch_up_horizon")?;
    Ok(ScheduleRecord {
        id: text("id")?,
        name: text("name")?,
        description: text("description")?,
        cron: text("cron")?,
        time_zone: text("time_zone")?,
        state: ScheduleState::parse("state", &text("state")?)?,
        overlap_policy: OverlapPolicy::parse("overlapPolicy", &text("overlap_policy")?)?,
        catch_up: CatchUp::parse("catchUp", &text("catch_up")?)?,
        catch_up_horizon: narrow("schedule catchUpHorizon", horizon)?,
        tags: from_json("schedule tags", &text("tags")?)?,
        language: Language::parse("language", &text("language")?)?,
        cluster_id: text("cluster_id")?,
        cluster_name: text("cluster_name")?,
        start_time: row.try_get("start_time")?,
        end_time: row.try_get("end_time")?,
        max_retries: narrow("schedule maxRetries", row.try_get("max_retries")?)?,
        created_time: row.try_get("created_time")?,
        updated_time: row.try_get("updated_time")?,
        disabled_time: row.try_get("disabled_time")?,
        last_due: row.try_get("last_due")?,
        queued_due: row.try_get("queued_due")?,
        spec: from_json::<JobSpec>("schedule spec", &text("spec")?)?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    to_json("schedule", value)
}

impl Store {
    pub(crate) async fn insert_schedule(&self, r: &ScheduleRecord) -> Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO schedules (id, name, description, cron, time_zone, state, overlap_policy, catch_up, catch_up_horizon,
                                    language, cluster_id, cluster_name, job_name, start_time, end_time, max_retries,
                                    created_time, updated_time, disabled_time, last_due, queued_due, tags, spec)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&r.id)
        .bind(&r.name)
        .bind(&r.description)
        .bind(&r.cron)
        .bind(&r.time_zone)
        .bind(r.state.as_str())
        .bind(r.overlap_policy.as_str())
        .bind(r.catch_up.as_str())
        .bind(i64::try_from(r.catch_up_horizon).unwrap_or(i64::MAX))
        .bind(r.language.as_str())
        .bind(&r.cluster_id)
        .bind(&r.cluster_name)
        .bind(&r.name)
        .bind(r.start_time)
        .bind(r.end_time)
        .bind(i64::from(r.max_retries))
        .bind(r.created_time)
        .bind(r.updated_time)
        .bind(r.disabled_time)
        .bind(r.last_due)
        .bind(r.queued_due)
        .bind(json(&r.tags)?)
        .bind(json(&r.spec)?)
        .execute(&mut *tx)
        .await?;
        SCHEDULE_TAGS.replace(&mut tx, &r.id, &r.tags).await?;
        let shas: Vec<&str> = r.spec.artifacts().map(|a| a.sha256.as_str()).collect();
        SCHEDULE_ARTIFACTS.add(&mut tx, &r.id, &shas).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes what a change (update, pause, resume, stop) may change; the due state stays
    /// the ticker's, except that a resume moves `last_due` to `resumed_at` (the times due
    /// while it was off are not caught up). False when there is no such schedule.
    pub(crate) async fn update_schedule(&self, r: &ScheduleRecord, resumed_at: Option<i64>) -> Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE schedules SET description = ?, cron = ?, time_zone = ?, state = ?, overlap_policy = ?, catch_up = ?,
                    catch_up_horizon = ?, start_time = ?, end_time = ?, max_retries = ?, updated_time = ?, disabled_time = ?,
                    tags = ?, spec = ?, last_due = COALESCE(?, last_due), queued_due = CASE WHEN ? THEN 0 ELSE queued_due END
             WHERE id = ?",
        )
        .bind(&r.description)
        .bind(&r.cron)
        .bind(&r.time_zone)
        .bind(r.state.as_str())
        .bind(r.overlap_policy.as_str())
        .bind(r.catch_up.as_str())
        .bind(i64::try_from(r.catch_up_horizon).unwrap_or(i64::MAX))
        .bind(r.start_time)
        .bind(r.end_time)
        .bind(i64::from(r.max_retries))
        .bind(r.updated_time)
        .bind(r.disabled_time)
        .bind(json(&r.tags)?)
        .bind(json(&r.spec)?)
        .bind(resumed_at)
        .bind(r.state != ScheduleState::Enabled)
        .bind(&r.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        SCHEDULE_TAGS.replace(&mut tx, &r.id, &r.tags).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Moves a schedule's due state from what the ticker read (`seen_last_due`,
    /// `seen_queued`) to `last_due`/`queued_due` and inserts `runs` — all or, when another
    /// writer moved it meanwhile or the schedule is no longer ENABLED, nothing (false).
    pub(crate) async fn advance_schedule(
        &self,
        id: &str,
        (seen_last_due, seen_queued): (i64, i64),
        (last_due, queued_due): (i64, i64),
        runs: &[JobRecord],
    ) -> Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE schedules SET last_due = ?, queued_due = ?
             WHERE id = ? AND last_due = ? AND queued_due = ? AND state = 'ENABLED'",
        )
        .bind(last_due)
        .bind(queued_due)
        .bind(id)
        .bind(seen_last_due)
        .bind(seen_queued)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        for run in runs {
            insert_job_in(&mut tx, run).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn schedule_by_id(&self, id: &str) -> Result<Option<ScheduleRecord>> {
        fetch_one_by(&self.pool, "SELECT * FROM schedules WHERE id = ?", id, from_row).await
    }

    pub(crate) async fn schedule_by_name(&self, name: &str) -> Result<Option<ScheduleRecord>> {
        fetch_one_by(&self.pool, "SELECT * FROM schedules WHERE name = ?", name, from_row).await
    }

    pub(crate) async fn has_enabled_schedules(&self) -> Result<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM schedules WHERE state = 'ENABLED')").fetch_one(&self.pool).await?)
    }

    /// Every ENABLED schedule (what the ticker looks at).
    pub(crate) async fn enabled_schedules(&self) -> Result<Vec<ScheduleRecord>> {
        let rows = sqlx::query("SELECT * FROM schedules WHERE state = 'ENABLED'").fetch_all(&self.pool).await?;
        Ok(decode_readable("schedules", &rows, from_row))
    }

    pub(crate) async fn schedule_page(&self, filter: &ScheduleFilter<'_>, page: &PageRequest) -> Result<(u64, Vec<ScheduleRecord>)> {
        LISTING.page(&self.pool, &filter.to_sql(), page, from_row).await
    }

    /// Deletes a schedule (its runs stay as jobs) and returns the artifacts nothing
    /// references any more.
    pub(crate) async fn delete_schedule(&self, id: &str) -> Result<Option<Vec<String>>> {
        SCHEDULE_ARTIFACTS.delete_owner(&self.pool, id).await
    }
}
