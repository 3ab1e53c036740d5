//! SQL for clusters. Filters and sorting use indexed columns; the spec is JSON.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::Store;
use crate::error::{EngineError, Result};
use crate::model::cluster::{Cluster, ClusterSpec, ClusterType};
use crate::model::paging::PageRequest;

/// API sort field → column.
pub(crate) const SORTABLE: &[(&str, &str)] = &[
    ("id", "id"),
    ("name", "name"),
    ("description", "description"),
    ("type", "type"),
    ("createdTime", "created_time"),
    ("updatedTime", "updated_time"),
];

fn from_row(row: &SqliteRow) -> Result<Cluster> {
    let spec: String = row.try_get("spec")?;
    let type_text: String = row.try_get("type")?;
    Ok(Cluster {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        cluster_type: ClusterType::parse(&type_text)?,
        spec: serde_json::from_str::<ClusterSpec>(&spec)
            .map_err(|e| EngineError::Conflict(format!("stored cluster spec is unreadable: {e}")))?,
        created_time: row.try_get("created_time")?,
        updated_time: row.try_get("updated_time")?,
    })
}

fn spec_json(spec: &ClusterSpec) -> Result<String> {
    serde_json::to_string(spec).map_err(|e| EngineError::Conflict(format!("cluster spec cannot be stored: {e}")))
}

/// `LIKE` pattern for one search word, with the wildcards in it escaped.
pub(crate) fn like_pattern(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    pub(crate) async fn insert_cluster(&self, c: &Cluster) -> Result<()> {
        sqlx::query(
            "INSERT INTO clusters (id, name, description, type, spec, created_time, updated_time)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(&c.description)
        .bind(c.cluster_type.as_str())
        .bind(spec_json(&c.spec)?)
        .bind(c.created_time)
        .bind(c.updated_time)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn update_cluster(&self, c: &Cluster) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE clusters SET name = ?, description = ?, type = ?, spec = ?, updated_time = ? WHERE id = ?",
        )
        .bind(&c.name)
        .bind(&c.description)
        .bind(c.cluster_type.as_str())
        .bind(spec_json(&c.spec)?)
        .bind(c.updated_time)
        .bind(&c.id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn delete_cluster(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM clusters WHERE id = ?").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn cluster_by_id(&self, id: &str) -> Result<Option<Cluster>> {
        let row = sqlx::query("SELECT * FROM clusters WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn cluster_by_name(&self, name: &str) -> Result<Option<Cluster>> {
        let row = sqlx::query("SELECT * FROM clusters WHERE name = ?").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub(crate) async fn cluster_names(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM clusters ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.try_get("name").map_err(Into::into)).collect()
    }

    pub(crate) async fn cluster_page(&self, search: Option<&str>, page: &PageRequest) -> Result<(u64, Vec<Cluster>)> {
        let order = page.order_by(SORTABLE, "name ASC", "id")?;
        let filter = "(?1 IS NULL OR name LIKE ?1 ESCAPE '\\' OR description LIKE ?1 ESCAPE '\\')";
        let pattern = search.map(like_pattern);
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM clusters WHERE {filter}"))
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(&format!("SELECT * FROM clusters WHERE {filter} {order} LIMIT ?2 OFFSET ?3"))
            .bind(&pattern)
            .bind(i64::from(page.size))
            .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let clusters = rows.iter().map(from_row).collect::<Result<_>>()?;
        Ok((u64::try_from(total).unwrap_or(0), clusters))
    }
}
