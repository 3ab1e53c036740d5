//! SQL for clusters. Filters and sorting use indexed columns; the spec is JSON.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::Store;
use super::sql::{Filter, Listing, fetch_one_by, from_json, to_json};
use crate::error::Result;
use crate::model::cluster::{Cluster, ClusterSpec, ClusterType};
use crate::model::paging::PageRequest;

/// `GET /cluster`: API sort field → column, by name by default.
pub(crate) const LISTING: Listing = Listing {
    table: "clusters",
    sortable: &[
        ("id", "id"),
        ("name", "name"),
        ("description", "description"),
        ("type", "type"),
        ("createdTime", "created_time"),
        ("updatedTime", "updated_time"),
    ],
    default_order: "name ASC",
};

fn from_row(row: &SqliteRow) -> Result<Cluster> {
    let spec: String = row.try_get("spec")?;
    let type_text: String = row.try_get("type")?;
    Ok(Cluster {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        cluster_type: ClusterType::parse(&type_text)?,
        spec: from_json::<ClusterSpec>("cluster spec", &spec)?,
        created_time: row.try_get("created_time")?,
        updated_time: row.try_get("updated_time")?,
    })
}

fn spec_json(spec: &ClusterSpec) -> Result<String> {
    to_json("cluster spec", spec)
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
        fetch_one_by(&self.pool, "SELECT * FROM clusters WHERE id = ?", id, from_row).await
    }

    pub(crate) async fn cluster_by_name(&self, name: &str) -> Result<Option<Cluster>> {
        fetch_one_by(&self.pool, "SELECT * FROM clusters WHERE name = ?", name, from_row).await
    }

    pub(crate) async fn cluster_names(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM clusters ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.try_get("name").map_err(Into::into)).collect()
    }

    pub(crate) async fn cluster_page(&self, search: Option<&str>, page: &PageRequest) -> Result<(u64, Vec<Cluster>)> {
        let mut filter = Filter::new();
        filter.search(&["name", "description"], search);
        LISTING.page(&self.pool, &filter, page, from_row).await
    }
}
