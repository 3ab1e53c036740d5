//! Cluster operations: validate, commit, then announce.

use uuid::Uuid;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::model::cluster::{Cluster, ClusterInput, ClusterView, DEFAULT_CLUSTER};
use crate::runtime;
use crate::model::paging::{Page, PageRequest};
use crate::time::now_ms;

/// The filters `GET /cluster` offers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClusterQuery {
    pub search: Option<String>,
    pub page: PageRequest,
}

impl Engine {
    pub async fn create_cluster(&self, input: &ClusterInput) -> Result<ClusterView> {
        let valid = input.validate(None, self.default_threads())?;
        if self.store().cluster_by_name(&valid.name).await?.is_some() {
            return Err(EngineError::invalid("name", format!("a cluster named '{}' already exists", valid.name)));
        }
        let id = valid.id.unwrap_or_else(|| Uuid::new_v4().to_string());
        if self.store().cluster_by_id(&id).await?.is_some() {
            return Err(EngineError::invalid("id", format!("a cluster with id '{id}' already exists")));
        }
        let now = now_ms();
        let cluster = Cluster {
            id,
            name: valid.name,
            description: valid.description,
            cluster_type: valid.cluster_type,
            spec: valid.spec,
            created_time: now,
            updated_time: now,
        };
        self.store().insert_cluster(&cluster).await.map_err(unique_name_race)?;
        tracing::info!(id = %cluster.id, name = %cluster.name, kind = cluster.cluster_type.as_str(), "cluster created");
        let view = ClusterView::from(&cluster);
        self.publish(EngineEvent::ClusterChanged { cluster: Box::new(view.clone()) });
        Ok(view)
    }

    pub async fn update_cluster(&self, id: &str, input: &ClusterInput) -> Result<ClusterView> {
        let existing = self.cluster(id).await?;
        let valid = input.validate(Some(&existing), self.default_threads())?;
        if valid.id.as_deref().is_some_and(|new| new != existing.id) {
            return Err(EngineError::invalid("id", "cannot be changed"));
        }
        if existing.name == DEFAULT_CLUSTER && valid.name != DEFAULT_CLUSTER {
            return Err(EngineError::invalid("name", "the default cluster cannot be renamed"));
        }
        if !valid.name.eq_ignore_ascii_case(&existing.name) && self.store().cluster_by_name(&valid.name).await?.is_some() {
            return Err(EngineError::invalid("name", format!("a cluster named '{}' already exists", valid.name)));
        }
        let cluster = Cluster {
            name: valid.name,
            description: valid.description,
            cluster_type: valid.cluster_type,
            spec: valid.spec,
            updated_time: now_ms().max(existing.updated_time),
            ..existing
        };
        if !self.store().update_cluster(&cluster).await.map_err(unique_name_race)? {
            return Err(EngineError::not_found("cluster", id));
        }
        tracing::info!(id = %cluster.id, name = %cluster.name, "cluster updated");
        let view = ClusterView::from(&cluster);
        self.publish(EngineEvent::ClusterChanged { cluster: Box::new(view.clone()) });
        Ok(view)
    }

    /// Deletes a cluster. The default cluster stays: it is what jobs run on when they name
    /// none. A cluster with jobs that have not ended is refused unless `force`, which
    /// stops those jobs first.
    pub async fn delete_cluster(&self, id: &str, force: bool) -> Result<()> {
        let cluster = self.cluster(id).await?;
        if cluster.name == DEFAULT_CLUSTER {
            return Err(EngineError::Conflict(
                "the default cluster cannot be deleted: jobs that name no cluster run on it".into(),
            ));
        }
        let groups = self.store().active_groups_on_cluster(id).await?;
        if !groups.is_empty() && !force {
            let names: Vec<&str> = groups.iter().map(|g| g.group.name.as_str()).collect();
            return Err(EngineError::Conflict(format!(
                "cluster '{}' is used by {} active group(s) ({}); stop them or delete with force=true",
                cluster.name,
                names.len(),
                names.join(", ")
            )));
        }
        let active = self.active_jobs_on_cluster(id).await?;
        if !active.is_empty() && !force {
            return Err(EngineError::Conflict(format!(
                "cluster '{}' is used by {} job(s) that have not ended ({}); stop them or delete with force=true",
                cluster.name,
                active.len(),
                active.join(", ")
            )));
        }
        if force {
            self.stop_groups_on_cluster(id).await?;
            self.stop_jobs_on_cluster(id).await?;
        }
        if !self.store().delete_cluster(id).await? {
            return Err(EngineError::not_found("cluster", id));
        }
        tracing::info!(id = %cluster.id, name = %cluster.name, "cluster deleted");
        self.publish(EngineEvent::ClusterDeleted { id: cluster.id, name: cluster.name });
        Ok(())
    }

    /// Checks that a cluster as entered (a new one, or `id` with its edits: masked secrets
    /// keep their stored values) can be reached and run jobs, without saving anything.
    /// Returns a sentence describing what was found; the error names the cause.
    pub async fn test_cluster_connection(&self, id: Option<&str>, input: &ClusterInput) -> Result<String> {
        let existing = match id {
            Some(id) => Some(self.cluster(id).await?),
            None => None,
        };
        let valid = input.validate(existing.as_ref(), self.default_threads())?;
        let cluster = Cluster {
            id: existing.as_ref().map_or_else(|| "connection-test".to_string(), |c| c.id.clone()),
            name: valid.name,
            description: valid.description,
            cluster_type: valid.cluster_type,
            spec: valid.spec,
            created_time: 0,
            // Never the cached runtime of the stored cluster: the edits are what is tested.
            updated_time: -1,
        };
        let runtime = runtime::for_cluster(&cluster)?;
        let mut found = Vec::new();
        if runtime.needs_local_spark() {
            // Drivers (or spark-submit) run on this machine for local and standalone clusters.
            let env = self.spark_env().await.map_err(EngineError::Unavailable)?;
            found.push(format!("Spark {} with Java {} on this machine", env.spark_version, env.java_version));
        }
        found.push(runtime.check().await?);
        Ok(found.join("; "))
    }

    pub async fn get_cluster(&self, id: &str) -> Result<ClusterView> {
        Ok(ClusterView::from(&self.cluster(id).await?))
    }

    pub async fn list_clusters(&self, query: &ClusterQuery) -> Result<Page<ClusterView>> {
        let search = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let (total, clusters) = self.store().cluster_page(search, &query.page).await?;
        Ok(Page::new(&query.page, total, clusters).map(|c| ClusterView::from(&c)))
    }

    pub async fn cluster_names(&self) -> Result<Vec<String>> {
        self.store().cluster_names().await
    }

    /// The stored cluster (secrets included) for the engine's own use.
    pub(crate) async fn cluster(&self, id: &str) -> Result<Cluster> {
        self.store().cluster_by_id(id).await?.ok_or_else(|| EngineError::not_found("cluster", id))
    }

    /// Creates the `default` local cluster on first start.
    pub(crate) async fn ensure_default_cluster(&self) -> Result<()> {
        if self.store().cluster_by_name(DEFAULT_CLUSTER).await?.is_some() {
            return Ok(());
        }
        let input = ClusterInput {
            id: Some(DEFAULT_CLUSTER.into()),
            name: Some(DEFAULT_CLUSTER.into()),
            description: Some("Spark on this machine".into()),
            cluster_type: Some("local".into()),
            ..ClusterInput::default()
        };
        self.create_cluster(&input).await.map(|_| ())
    }
}

/// Two creates racing on one name: the loser hits the UNIQUE index; say so by field.
fn unique_name_race(e: EngineError) -> EngineError {
    match &e {
        EngineError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            EngineError::invalid("name", "a cluster with this name already exists")
        }
        _ => e,
    }
}
