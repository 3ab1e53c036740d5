//! Resubmitting a single job: the same files, settings and arguments as a new job. The
//! stored artifacts are linked again, so nothing is uploaded twice.

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::job::{Job, JobRecord, JobType};

use super::new_single_job;

impl Engine {
    pub async fn resubmit_job(&self, id: &str) -> Result<Job> {
        let old = self.job_record(id).await?;
        if old.job.job_type != JobType::Single {
            return Err(EngineError::Conflict(format!("job '{id}' is a driver of a group; restart the group instead")));
        }
        let cluster = match self.store().cluster_by_id(&old.cluster_id).await? {
            Some(cluster) => cluster,
            None => return Err(EngineError::not_found("cluster", old.job.cluster_name.clone())),
        };
        let job = Job {
            tags: old.job.tags.clone(),
            language: old.job.language,
            settings: old.spec.shown(),
            max_retries: old.job.max_retries,
            ..new_single_job(&old.job.job_name, &cluster.name)
        };
        let record = JobRecord::new(job, cluster.id, old.spec.clone());
        self.add_job(&record, Vec::new()).await?;
        tracing::info!(id = %record.job.job_id, from = %id, "job resubmitted");
        Ok(record.job)
    }
}
