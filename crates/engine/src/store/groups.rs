//! SQL for groups. Filters use indexed columns, `group_tags`, and (for `jobStates`) the
//! drivers in `jobs`; sorting goes through the whitelist below.

use std::collections::BTreeMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::Store;
use super::clusters::like_pattern;
use crate::error::{EngineError, Result};
use crate::model::group::{Group, GroupKind, GroupRecord, GroupState};
use crate::model::job::{JobSpec, JobState, Language};
use crate::model::paging::PageRequest;

/// API sort field → column.
pub(crate) const SORTABLE: &[(&str, &str)] = &[
    ("id", "id"),
    ("name", "name"),
    ("description", "description"),
    ("kind", "kind"),
    ("language", "language"),
    ("clusterName", "cluster_name"),
    ("state", "state"),
    ("scale", "scale"),
    ("createdTime", "created_time"),
    ("updatedTime", "updated_time"),
    ("archivedTime", "archived_time"),
];

/// The filters of `GET /group`; empty lists match everything.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupFilter<'a> {
    pub(crate) states: &'a [GroupState],
    pub(crate) kinds: &'a [GroupKind],
    pub(crate) job_states: &'a [JobState],
    pub(crate) cluster_names: &'a [String],
    pub(crate) tags: Option<&'a BTreeMap<String, String>>,
    pub(crate) search: Option<&'a str>,
}

fn bad_row(what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Conflict(format!("stored group {what} is unreadable: {e}"))
}

fn from_row(row: &SqliteRow) -> Result<GroupRecord> {
    let tags: String = row.try_get("tags")?;
    let spec: String = row.try_get("spec")?;
    let spec = serde_json::from_str::<JobSpec>(&spec).map_err(|e| bad_row("spec", e))?;
    let scale: i64 = row.try_get("scale")?;
    let paused: i64 = row.try_get("paused")?;
    let jar_paths: String = row.try_get("jar_paths")?;
    let watch_jars: i64 = row.try_get("watch_jars")?;
    Ok(GroupRecord {
        group: Group {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            kind: GroupKind::parse("kind", &row.try_get::<String, _>("kind")?)?,
            tags: serde_json::from_str(&tags).map_err(|e| bad_row("tags", e))?,
            language: Language::parse("language", &row.try_get::<String, _>("language")?)?,
            cluster_name: row.try_get("cluster_name")?,
            state: GroupState::parse("state", &row.try_get::<String, _>("state")?)?,
            scale: u32::try_from(scale).unwrap_or(0),
            job_config: spec.config.clone(),
            py_requirements: spec.requirements.clone(),
            paused: paused != 0,
            created_time: row.try_get("created_time")?,
            updated_time: row.try_get("updated_time")?,
            archived_time: row.try_get("archived_time")?,
            jobs: Vec::new(),
        },
        cluster_id: row.try_get("cluster_id")?,
        spec,
        jar_paths: serde_json::from_str(&jar_paths).map_err(|e| bad_row("jar paths", e))?,
        watch_jars: watch_jars != 0,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| EngineError::Conflict(format!("group cannot be stored: {e}")))
}

fn push_filter<'a>(q: &mut QueryBuilder<'a, Sqlite>, f: &GroupFilter<'a>, pattern: &'a Option<String>) {
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
    any_of(q, "state", f.states, |s| s.as_str());
    any_of(q, "kind", f.kinds, |k| k.as_str());
    any_of(q, "cluster_name", f.cluster_names, String::as_str);
    if !f.job_states.is_empty() {
        q.push(" AND id IN (SELECT group_id FROM jobs WHERE group_id IS NOT NULL");
        any_of(q, "state", f.job_states, |s| s.as_str());
        q.push(")");
    }
    if let Some(tags) = f.tags {
        for (key, value) in tags {
            q.push(" AND id IN (SELECT group_id FROM group_tags WHERE key = ")
                .push_bind(key.as_str())
                .push(" AND value = ")
                .push_bind(value.as_str())
                .push(")");
        }
    }
    if let Some(pattern) = pattern {
        q.push(" AND (name LIKE ")
            .push_bind(pattern.as_str())
            .push(" ESCAPE '\\' OR description LIKE ")
            .push_bind(pattern.as_str())
            .push(" ESCAPE '\\')");
    }
}

impl Store {
    pub(crate) async fn insert_group(&self, r: &GroupRecord) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let g = &r.group;
        sqlx::query(
            "INSERT INTO groups (id, name, description, kind, language, cluster_id, cluster_name, state, paused, scale,
                                 created_time, updated_time, archived_time, tags, spec, jar_paths, watch_jars)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&g.id)
        .bind(&g.name)
        .bind(&g.description)
        .bind(g.kind.as_str())
        .bind(g.language.as_str())
        .bind(&r.cluster_id)
        .bind(&g.cluster_name)
        .bind(g.state.as_str())
        .bind(i64::from(g.paused))
        .bind(i64::from(g.scale))
        .bind(g.created_time)
        .bind(g.updated_time)
        .bind(g.archived_time)
        .bind(json(&g.tags)?)
        .bind(json(&r.spec)?)
        .bind(json(&r.jar_paths)?)
        .bind(i64::from(r.watch_jars))
        .execute(&mut *tx)
        .await?;
        replace_tags(&mut tx, &g.id, &g.tags).await?;
        for artifact in r.spec.artifacts() {
            sqlx::query("INSERT OR IGNORE INTO group_artifacts (group_id, sha256) VALUES (?, ?)")
                .bind(&g.id)
                .bind(&artifact.sha256)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes the changeable settings and states of a group (not its artifacts).
    pub(crate) async fn update_group(&self, r: &GroupRecord) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let g = &r.group;
        let done = sqlx::query(
            "UPDATE groups SET description = ?, state = ?, paused = ?, scale = ?, updated_time = ?, archived_time = ?,
                               tags = ?, spec = ? WHERE id = ?",
        )
        .bind(&g.description)
        .bind(g.state.as_str())
        .bind(i64::from(g.paused))
        .bind(i64::from(g.scale))
        .bind(g.updated_time)
        .bind(g.archived_time)
        .bind(json(&g.tags)?)
        .bind(json(&r.spec)?)
        .bind(&g.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        replace_tags(&mut tx, &g.id, &g.tags).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Swaps one of a group's jars for its rebuilt version (`old` → the spec's new one)
    /// and returns the artifacts nothing references any more.
    pub(crate) async fn replace_group_jar(&self, r: &GroupRecord, old: &str, new: &str) -> Result<Option<Vec<String>>> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE groups SET spec = ?, updated_time = ? WHERE id = ?")
            .bind(json(&r.spec)?)
            .bind(r.group.updated_time)
            .bind(&r.group.id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        sqlx::query("INSERT OR IGNORE INTO group_artifacts (group_id, sha256) VALUES (?, ?)")
            .bind(&r.group.id)
            .bind(new)
            .execute(&mut *tx)
            .await?;
        if !r.spec.artifacts().any(|a| a.sha256 == old) {
            sqlx::query("DELETE FROM group_artifacts WHERE group_id = ? AND sha256 = ?")
                .bind(&r.group.id)
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        let orphans = super::jobs::unreferenced(&mut tx, vec![old.to_string()]).await?;
        tx.commit().await?;
        Ok(Some(orphans))
    }

    pub(crate) async fn group_by_id(&self, id: &str) -> Result<Option<GroupRecord>> {
        let row = sqlx::query("SELECT * FROM groups WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn group_by_name(&self, name: &str) -> Result<Option<GroupRecord>> {
        let row = sqlx::query("SELECT * FROM groups WHERE name = ?").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn active_groups(&self) -> Result<Vec<GroupRecord>> {
        let rows = sqlx::query("SELECT * FROM groups WHERE state = 'ACTIVE' ORDER BY created_time, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The active groups on one cluster.
    pub(crate) async fn active_groups_on_cluster(&self, cluster_id: &str) -> Result<Vec<GroupRecord>> {
        let rows = sqlx::query("SELECT * FROM groups WHERE cluster_id = ? AND state = 'ACTIVE'")
            .bind(cluster_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub(crate) async fn group_page(&self, filter: &GroupFilter<'_>, page: &PageRequest) -> Result<(u64, Vec<GroupRecord>)> {
        let order = page.order_by(SORTABLE, "created_time DESC", "id")?;
        let pattern = filter.search.map(like_pattern);
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM groups");
        push_filter(&mut count, filter, &pattern);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let mut select = QueryBuilder::<Sqlite>::new("SELECT * FROM groups");
        push_filter(&mut select, filter, &pattern);
        select
            .push(format!(" {order} LIMIT "))
            .push_bind(i64::from(page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
        let rows = select.build().fetch_all(&self.pool).await?;
        let groups = rows.iter().map(from_row).collect::<Result<_>>()?;
        Ok((u64::try_from(total).unwrap_or(0), groups))
    }

    /// Deletes a group (its tags, artifact references and instances go with it) and
    /// returns the artifacts neither a job nor a group references any more.
    pub(crate) async fn delete_group(&self, id: &str) -> Result<Option<Vec<String>>> {
        let mut tx = self.pool.begin().await?;
        let shas: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM group_artifacts WHERE group_id = ?")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM groups WHERE id = ?").bind(id).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let orphans = super::jobs::unreferenced(&mut tx, shas).await?;
        tx.commit().await?;
        Ok(Some(orphans))
    }
}

async fn replace_tags(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    sqlx::query("DELETE FROM group_tags WHERE group_id = ?").bind(id).execute(&mut **tx).await?;
    for (key, value) in tags {
        sqlx::query("INSERT INTO group_tags (group_id, key, value) VALUES (?, ?, ?)")
            .bind(id)
            .bind(key)
            .bind(value)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
