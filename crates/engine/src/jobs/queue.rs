//! The queue of single jobs: SUBMITTED jobs wait until their cluster has a free slot
//! (local clusters run 2 at once, remote ones 8), then their driver is launched through
//! the cluster's runtime, the `DriverRef` committed, and a follower started.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::cluster::{Cluster, ClusterType};
use crate::model::job::{JobRecord, JobState};
use crate::runtime::{ClusterRuntime, Launched};
use super::plan::packages_need_local_spark;
use crate::time::now_ms;

/// How often a launched driver's reference is written again before recovery is left to find it.
const RECORD_ATTEMPTS: u32 = 3;

impl Engine {
    /// Launches queued jobs while their clusters have free slots, oldest first.
    pub(crate) async fn dispatch(&self) {
        let _dispatch = self.inner().dispatch_lock.lock().await;
        if self.is_shutting_down() {
            return;
        }
        let (active, mut counts) = match (self.store().active_jobs().await, self.store().running_counts().await) {
            (Ok(active), Ok(counts)) => (active, counts),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot read the job queue");
                return;
            }
        };
        let mut limits: HashMap<String, usize> = HashMap::new();
        let now = now_ms();
        let (queued, deferred): (Vec<JobRecord>, Vec<JobRecord>) =
            active.into_iter().filter(|r| r.job.state == JobState::Submitted).partition(|r| r.not_before <= now);
        // Retries waiting for their backoff: the queue runs again when the first is due.
        if let Some(first) = deferred.iter().map(|r| r.not_before).min() {
            self.dispatch_at(first);
        }
        for record in queued {
            if !limits.contains_key(&record.cluster_id) {
                let local = match self.store().cluster_by_id(&record.cluster_id).await {
                    Ok(cluster) => cluster.is_none_or(|c| c.cluster_type == ClusterType::Local),
                    Err(_) => true,
                };
                let limit = if local { self.config().local_concurrency } else { self.config().remote_concurrency };
                limits.insert(record.cluster_id.clone(), limit.max(1));
            }
            let limit = limits.get(&record.cluster_id).copied().unwrap_or(1);
            let running = counts.entry(record.cluster_id.clone()).or_default();
            if *running >= limit {
                continue;
            }
            *running += 1;
            let id = record.job.job_id.clone();
            if let Err(e) = self.launch(record).await {
                tracing::error!(id, error = %e, "cannot launch job; trying again in a second");
                self.dispatch_later();
            }
        }
    }

    /// Launches one job. STARTING is committed first, so a launch whose record cannot be
    /// written does not happen (the job stays queued), and a crash after it leaves a
    /// STARTING job that recovery looks for (`ClusterRuntime::find_launched`) instead of
    /// launching it again.
    async fn launch(&self, mut record: JobRecord) -> Result<()> {
        let id = record.job.job_id.clone();
        record.job.state = JobState::Starting;
        record.job.start_time = now_ms();
        if !self.save_active(&record).await? {
            return Ok(()); // ended meanwhile (a stop)
        }
        let launched = match self.store().cluster_by_id(&record.cluster_id).await? {
            None => Err(format!("its cluster '{}' no longer exists", record.job.cluster_name)),
            Some(cluster) => self.launch_on(&record, &cluster).await.map_err(|e| e.to_string()),
        };
        match launched {
            Ok((launched, runtime)) => {
                record.driver = Some(launched.driver.clone());
                // Not announced: the driver is not part of what clients see.
                if let Err(e) = self.record_driver(&record).await {
                    tracing::error!(id, error = %e, "cannot record a launched driver; recovery will look for it");
                }
                tracing::info!(id, driver = ?launched.driver, "job launched");
                self.follow(id, launched.driver, launched.child, runtime);
            }
            Err(error) => {
                record.job.state = JobState::Failed;
                record.job.error = Some(error);
                record.job.end_time = now_ms();
                if let Err(e) = self.save_end(&record).await {
                    // Until it is written the job stays STARTING and holds its slot.
                    tracing::error!(id, error = %e, "cannot record a failed launch; retrying");
                    self.record_failed_launch_later(record);
                }
            }
        }
        Ok(())
    }

    /// Writes a failed launch's end again every second until the database takes it, then
    /// runs the queue (the job's slot is free).
    fn record_failed_launch_later(&self, record: JobRecord) {
        let weak = self.downgrade();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let Some(engine) = Engine::upgrade(&weak) else { return };
                match engine.save_end(&record).await {
                    Ok(_) => return Box::pin(engine.dispatch()).await,
                    Err(e) => tracing::warn!(id = record.job.job_id, error = %e, "still cannot record a failed launch"),
                }
            }
        });
    }

    /// Writes a launched driver's reference, trying a few times: until it is written, only
    /// this engine's follower knows the driver.
    pub(crate) async fn record_driver(&self, record: &JobRecord) -> Result<()> {
        let mut attempt = 0;
        loop {
            match self.store().update_active_job(record).await {
                Ok(_) => return Ok(()),
                Err(e) if attempt >= RECORD_ATTEMPTS => return Err(e),
                Err(_) => attempt += 1,
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Starts a job's (or a group driver's) driver on its cluster.
    pub(crate) async fn launch_on(&self, record: &JobRecord, cluster: &Cluster) -> Result<(Launched, Arc<dyn ClusterRuntime>)> {
        let runtime = self.runtime_for(cluster)?;
        let env = match runtime.needs_local_spark() {
            true => Some(self.spark_env().await.map_err(EngineError::Unavailable)?),
            false => None,
        };
        let mut plan = self.driver_plan(record, cluster, env.as_ref())?;
        if !record.spec.packages.is_empty() && !runtime.resolves_packages(plan.python) {
            // No wrapper of ours starts this driver: resolve here, ship the jars with the job's.
            let here = match env {
                Some(env) => env,
                None => self.spark_env().await.map_err(|why| packages_need_local_spark(cluster.cluster_type.as_str(), &why))?,
            };
            let packages = match plan.packages.take() {
                Some(packages) => packages,
                None => self.packages_for(&record.spec.packages, &plan.conf, &here)?,
            };
            plan.jars.extend(self.resolve_packages_here(&packages, &here, &plan).await?);
        }
        let launched = runtime.launch(&plan).await?;
        Ok((launched, runtime))
    }

    /// Runs the queue again in a second (after a launch whose record could not be written).
    fn dispatch_later(&self) {
        let weak = self.downgrade();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if let Some(engine) = Engine::upgrade(&weak) {
                Box::pin(engine.dispatch()).await;
            }
        });
    }
}
