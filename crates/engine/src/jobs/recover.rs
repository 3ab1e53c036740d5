//! Recovery of single jobs when the engine opens: each stored `DriverRef` is polled again.

use std::fs;
use std::path::Path;

use crate::engine::Engine;
use crate::error::Result;
use crate::model::job::{JobRecord, JobState, JobType};
use crate::runtime::job_dir::EXIT_FILE;
use crate::runtime::local::{EVENTS_DIR, app_id_in};
use crate::runtime::{Exit, LaunchTrace, Liveness};
use crate::time::now_ms;

use super::follow::outcome;

impl Engine {
    /// Reconciles every job that had not ended when the engine last stopped: a driver
    /// still running (same pid and start time) is followed again; one that ended is
    /// given the outcome its wrapper recorded; a launch that never started is queued
    /// again; anything else becomes UNKNOWN. Queued jobs stay queued.
    pub(crate) async fn recover_jobs(&self) -> Result<()> {
        for mut record in self.store().active_jobs().await? {
            // Interactive drivers come back with their groups (see `recover_groups`).
            if record.job.state == JobState::Submitted || record.job.job_type == JobType::Interactive {
                continue;
            }
            let id = record.job.job_id.clone();
            let dir = self.job_dir(&id);
            let runtime = self.job_runtime(&record).await;
            let driver = match record.driver.clone() {
                Some(driver) => driver,
                // Launched, but its driver was never recorded: see what the launch left.
                None => match runtime.find_launched(&dir).await {
                    LaunchTrace::Driver(found) => {
                        tracing::info!(id, driver = ?found, "adopted a driver whose launch was not recorded");
                        record.driver = Some(found.clone());
                        self.record_driver(&record).await?;
                        found
                    }
                    LaunchTrace::Ended(exit) => {
                        self.settle_unfollowed(&mut record, &exit).await?;
                        continue;
                    }
                    LaunchTrace::NotStarted => {
                        tracing::info!(id, "queued again: its launch had not started when Sparkdeck stopped");
                        record.job.state = JobState::Submitted;
                        record.job.start_time = 0;
                        self.save_active(&record).await?;
                        continue;
                    }
                    LaunchTrace::Unknown => {
                        record.job.state = JobState::Unknown;
                        record.job.error = Some("Sparkdeck stopped while the job was being launched, and no driver of it was found".into());
                        record.job.end_time = now_ms();
                        self.save_active(&record).await?;
                        continue;
                    }
                },
            };
            match runtime.poll(&driver, &dir).await {
                Liveness::Running { .. } => {
                    tracing::info!(id, ?driver, "re-attached to a running job");
                    self.follow(id, driver, None, runtime);
                }
                Liveness::Ended(exit) => self.settle_unfollowed(&mut record, &exit).await?,
            }
        }
        Ok(())
    }

    /// Records the end of a driver that ended while Sparkdeck was not running: the
    /// outcome its wrapper recorded, or UNKNOWN when it left none.
    async fn settle_unfollowed(&self, record: &mut JobRecord, exit: &Exit) -> Result<()> {
        let dir = self.job_dir(&record.job.job_id);
        if *exit == Exit::Code(None) {
            record.job.state = JobState::Unknown;
            record.job.error = Some("the job's driver ended while Sparkdeck was not running and left no exit code".into());
            record.job.end_time = now_ms();
        } else {
            if record.job.app_id.is_none() {
                record.job.app_id = app_id_in(&dir.join(EVENTS_DIR));
            }
            outcome(exit, record.job.language, &dir).apply(&mut record.job);
            record.job.end_time = file_mtime_ms(&dir.join(EXIT_FILE)).unwrap_or_else(now_ms);
        }
        self.save_end(record).await?;
        Ok(())
    }
}

fn file_mtime_ms(path: &Path) -> Option<i64> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    let ms = modified.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    i64::try_from(ms).ok()
}
