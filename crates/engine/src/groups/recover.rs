//! Recovery of groups when the engine opens: drivers still running are re-attached,
//! ended ones recorded (and replaced by the supervisor), queued requests queue again.

use crate::engine::Engine;
use crate::error::Result;
use crate::model::group::InstanceError;
use crate::model::job::{JobState, JobType};
use crate::runtime::{LaunchTrace, Liveness};
use crate::time::now_ms;

use super::live::{DriverLive, GroupLive};

impl Engine {
    /// Brings every ACTIVE group back after a restart of Sparkdeck: drivers still running
    /// (same pid and start time) are re-attached through their info file and secret;
    /// ended ones are recorded and replaced; queued requests queue again; a request that
    /// was running is failed (its answer is lost) and cancelled on its driver.
    pub(crate) async fn recover_groups(&self) -> Result<()> {
        let active = self.store().active_groups().await?;
        for record in &active {
            let live = GroupLive::new(record);
            let instances = self.store().active_instances(&record.group.id).await?;
            for mut driver in self.store().active_group_drivers(&record.group.id).await? {
                let id = driver.job.job_id.clone();
                let runtime = self.job_runtime(&driver).await;
                let dir = self.job_dir(&id);
                if driver.driver.is_none()
                    && let LaunchTrace::Driver(found) = runtime.find_launched(&dir).await
                {
                    // Launched, but never recorded: adopt it rather than leave it running.
                    driver.driver = Some(found);
                    self.record_driver(&driver).await?;
                }
                let alive = match &driver.driver {
                    Some(handle) => matches!(runtime.poll(handle, &dir).await, Liveness::Running { .. }),
                    None => false,
                };
                if alive {
                    tracing::info!(group = %record.group.id, driver = id, "re-attaching driver");
                    let orphan = instances
                        .iter()
                        .find(|i| i.state == JobState::Busy && i.job_id.as_deref() == Some(id.as_str()))
                        .map(|i| i.job_instance_id.clone());
                    live.lock().add_driver(DriverLive::new(driver, runtime, orphan));
                } else {
                    driver.job.state = JobState::Failed;
                    driver.job.error = Some("the driver ended while Sparkdeck was not running".into());
                    driver.job.end_time = now_ms();
                    self.save_active(&driver).await?;
                }
            }
            for instance in instances {
                if instance.state == JobState::Submitted {
                    // An ACTIVE group's new live state is not closing: this queues it.
                    let _queued = live.lock().enqueue(instance, self.config().queue_timeout, self.config().request_timeout);
                    continue;
                }
                let alive = instance.job_id.as_ref().is_some_and(|j| live.lock().has_driver(j));
                let reason = if alive {
                    "Sparkdeck restarted while this request ran; its answer was lost and the request was cancelled"
                } else {
                    "Sparkdeck restarted while this request ran and its driver is gone"
                };
                self.fail_instance(&live, &instance.job_instance_id, InstanceError::new(reason)).await;
            }
            self.supervise(live);
            self.sync_jar_watch(record);
        }
        // Drivers of groups that are no longer active (stopped, or deleted mid-way) end;
        // those of an active group whose row cannot be read are left alone.
        let active_ids = self.store().active_group_ids().await?;
        for job in self.store().active_jobs().await? {
            let orphaned = job.job.job_type == JobType::Interactive
                && !active_ids.iter().any(|id| Some(id) == job.job.group_id.as_ref());
            if orphaned {
                let engine = self.clone();
                tokio::spawn(async move {
                    let _ = engine.stop_job(&job.job.job_id).await;
                });
            }
        }
        Ok(())
    }
}
