//! SQL for groups. Filters use indexed columns, `group_tags`, and (for `jobStates`) the
//! drivers in `jobs`; sorting goes through the whitelist below.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, begin_write};
use super::artifacts::{GROUP_ARTIFACTS, unreferenced};
use super::sql::{Filter, GROUP_TAGS, Listing, decode_readable, fetch_one_by, from_json, narrow, to_json};
use crate::error::Result;
use crate::model::group::{Group, GroupKind, GroupRecord, GroupState};
use crate::model::job::{JobSpec, JobState, Language};
use crate::model::paging::PageRequest;
use crate::model::secret::mask_settings;

/// `GET /group`: API sort field → column, newest first by default.
pub(crate) const LISTING: Listing = Listing {
    table: "groups",
    sortable: &[
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
    ],
    default_order: "created_time DESC",
};

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

fn from_row(row: &SqliteRow) -> Result<GroupRecord> {
    let tags: String = row.try_get("tags")?;
    let spec: String = row.try_get("spec")?;
    let spec = from_json::<JobSpec>("group spec", &spec)?;
    let scale: i64 = row.try_get("scale")?;
    let paused: i64 = row.try_get("paused")?;
    let jar_paths: String = row.try_get("jar_paths")?;
    let watch_jars: i64 = row.try_get("watch_jars")?;
    let auto_pause: i64 = row.try_get("auto_pause")?;
    Ok(GroupRecord {
        group: Group {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            kind: GroupKind::parse("kind", &row.try_get::<String, _>("kind")?)?,
            tags: from_json("group tags", &tags)?,
            language: Language::parse("language", &row.try_get::<String, _>("language")?)?,
            cluster_name: row.try_get("cluster_name")?,
            state: GroupState::parse("state", &row.try_get::<String, _>("state")?)?,
            scale: narrow("group scale", scale)?,
            job_config: mask_settings(&spec.config),
            py_requirements: spec.requirements.clone(),
            packages: spec.packages.join(","),
            memory_settings: spec.memory.clone(),
            paused: paused != 0,
            auto_pause: auto_pause != 0,
            created_time: row.try_get("created_time")?,
            updated_time: row.try_get("updated_time")?,
            archived_time: row.try_get("archived_time")?,
            jobs: Vec::new(),
        },
        cluster_id: row.try_get("cluster_id")?,
        spec,
        jar_paths: from_json("group jar paths", &jar_paths)?,
        watch_jars: watch_jars != 0,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    to_json("group", value)
}

impl<'a> GroupFilter<'a> {
    fn to_sql(&self) -> Filter<'a> {
        let mut f = Filter::new();
        f.any_of("state", self.states, |s| s.as_str())
            .any_of("kind", self.kinds, |k| k.as_str())
            .any_of("cluster_name", self.cluster_names, String::as_str);
        if !self.job_states.is_empty() {
            let mut drivers = Filter::new();
            drivers.raw("group_id IS NOT NULL").any_of("state", self.job_states, |s| s.as_str());
            f.in_select("id", "SELECT group_id FROM jobs", drivers);
        }
        f.tags(&GROUP_TAGS, self.tags).search(&["name", "description"], self.search);
        f
    }
}

impl Store {
    pub(crate) async fn insert_group(&self, r: &GroupRecord) -> Result<()> {
        let mut tx = begin_write(&self.pool).await?;
        let g = &r.group;
        sqlx::query(
            "INSERT INTO groups (id, name, description, kind, language, cluster_id, cluster_name, state, paused, scale,
                                 created_time, updated_time, archived_time, tags, spec, jar_paths, watch_jars, auto_pause)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .bind(i64::from(g.auto_pause))
        .execute(&mut *tx)
        .await?;
        GROUP_TAGS.replace(&mut tx, &g.id, &g.tags).await?;
        let shas: Vec<&str> = r.spec.artifacts().map(|a| a.sha256.as_str()).collect();
        GROUP_ARTIFACTS.add(&mut tx, &g.id, &shas).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes the changeable settings and states of a group (not its artifacts).
    pub(crate) async fn update_group(&self, r: &GroupRecord) -> Result<bool> {
        let mut tx = begin_write(&self.pool).await?;
        let g = &r.group;
        let done = sqlx::query(
            "UPDATE groups SET description = ?, state = ?, paused = ?, auto_pause = ?, scale = ?, updated_time = ?,
                               archived_time = ?, tags = ?, spec = ? WHERE id = ?",
        )
        .bind(&g.description)
        .bind(g.state.as_str())
        .bind(i64::from(g.paused))
        .bind(i64::from(g.auto_pause))
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
        GROUP_TAGS.replace(&mut tx, &g.id, &g.tags).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Swaps one of a group's jars for its rebuilt version (`old` → the spec's new one)
    /// and returns the artifacts nothing references any more.
    pub(crate) async fn replace_group_jar(&self, r: &GroupRecord, old: &str, new: &str) -> Result<Option<Vec<String>>> {
        let mut tx = begin_write(&self.pool).await?;
        let done = sqlx::query("UPDATE groups SET spec = ?, updated_time = ? WHERE id = ?")
            .bind(json(&r.spec)?)
            .bind(r.group.updated_time)
            .bind(&r.group.id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        GROUP_ARTIFACTS.add(&mut tx, &r.group.id, &[new]).await?;
        if !r.spec.artifacts().any(|a| a.sha256 == old) {
            sqlx::query("DELETE FROM group_artifacts WHERE group_id = ? AND sha256 = ?")
                .bind(&r.group.id)
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        let orphans = unreferenced(&mut tx, vec![old.to_string()]).await?;
        tx.commit().await?;
        Ok(Some(orphans))
    }

    pub(crate) async fn group_by_id(&self, id: &str) -> Result<Option<GroupRecord>> {
        fetch_one_by(&self.pool, "SELECT * FROM groups WHERE id = ?", id, from_row).await
    }

    pub(crate) async fn group_by_name(&self, name: &str) -> Result<Option<GroupRecord>> {
        fetch_one_by(&self.pool, "SELECT * FROM groups WHERE name = ?", name, from_row).await
    }

    pub(crate) async fn active_groups(&self) -> Result<Vec<GroupRecord>> {
        let rows = sqlx::query("SELECT * FROM groups WHERE state = 'ACTIVE' ORDER BY created_time, id")
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_readable("groups", &rows, from_row))
    }

    /// Ids of the active groups, readable or not.
    pub(crate) async fn active_group_ids(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM groups WHERE state = 'ACTIVE'").fetch_all(&self.pool).await?)
    }

    /// The active groups on one cluster.
    pub(crate) async fn active_groups_on_cluster(&self, cluster_id: &str) -> Result<Vec<GroupRecord>> {
        let rows = sqlx::query("SELECT * FROM groups WHERE cluster_id = ? AND state = 'ACTIVE'")
            .bind(cluster_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_readable("groups", &rows, from_row))
    }

    pub(crate) async fn group_page(&self, filter: &GroupFilter<'_>, page: &PageRequest) -> Result<(u64, Vec<GroupRecord>)> {
        LISTING.page(&self.pool, &filter.to_sql(), page, from_row).await
    }

    /// Deletes a group (its tags, artifact references and instances go with it) and
    /// returns the artifacts neither a job nor a group references any more.
    pub(crate) async fn delete_group(&self, id: &str) -> Result<Option<Vec<String>>> {
        GROUP_ARTIFACTS.delete_owner(&self.pool, id).await
    }
}
