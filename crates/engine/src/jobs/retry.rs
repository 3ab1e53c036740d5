//! Retries: a FAILED attempt of a single job with retries left (`maxRetries`) gets its next
//! attempt — a job of the same name, files and settings with `attempt` one higher —
//! inserted in the same transaction that writes the failure, queued until its backoff has
//! passed (`retry_backoff`, doubling with each attempt). A stopped attempt (CANCELED) or a
//! stopped queued attempt ends the chain: only FAILED is retried.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::engine::Engine;
use crate::error::Result;
use crate::events::EngineEvent;
use crate::model::job::{Job, JobRecord, JobState, JobType};
use crate::time::now_ms;

use super::new_single_job;

impl Engine {
    /// Writes an active job's end and announces it (false when it had already ended);
    /// a failure with retries left commits the next attempt with it.
    pub(crate) async fn save_end(&self, record: &JobRecord) -> Result<bool> {
        let Some(next) = self.next_attempt(record) else {
            return self.save_active(record).await;
        };
        let dir = self.job_dir(&next.job.job_id);
        let saved = {
            let _artifacts = self.inner().artifact_lock.lock().await;
            self.link_spec(&next.spec, &dir).and(Ok(()))?;
            let saved = self.store().end_job(record, Some(&next)).await;
            if !matches!(saved, Ok(true)) {
                let _ = std::fs::remove_dir_all(&dir);
            }
            saved?
        };
        if saved {
            self.publish(EngineEvent::JobChanged { job: record.job.clone() });
            tracing::info!(id = %next.job.job_id, after = %record.job.job_id, attempt = next.job.attempt, "retry queued");
            self.publish(EngineEvent::JobChanged { job: next.job.clone() });
            self.dispatch_at(next.not_before);
        }
        Ok(saved)
    }

    /// The attempt after a failed one, if it has retries left.
    fn next_attempt(&self, failed: &JobRecord) -> Option<JobRecord> {
        let j = &failed.job;
        if j.state != JobState::Failed || j.job_type != JobType::Single || j.attempt > j.max_retries {
            return None;
        }
        let wait = retry_wait(self.config().retry_backoff, j.attempt);
        let job = Job {
            tags: j.tags.clone(),
            language: j.language,
            schedule_id: j.schedule_id.clone(),
            attempt: j.attempt + 1,
            max_retries: j.max_retries,
            ..new_single_job(&j.job_name, &j.cluster_name)
        };
        let mut next = JobRecord::new(job, failed.cluster_id.clone(), failed.spec.clone());
        next.not_before = now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        next.due_time = failed.due_time;
        Some(next)
    }

    /// Runs the queue at `when` (epoch ms), unless a run is already set for no later.
    pub(crate) fn dispatch_at(&self, when: i64) {
        let armed = &self.inner().retry_wake;
        let current = armed.load(Ordering::SeqCst);
        if current != 0 && current <= when {
            return;
        }
        armed.store(when, Ordering::SeqCst);
        let weak = self.downgrade();
        tokio::spawn(async move {
            let wait = u64::try_from(when.saturating_sub(now_ms())).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let Some(engine) = Engine::upgrade(&weak) else { return };
            let _ = engine.inner().retry_wake.compare_exchange(when, 0, Ordering::SeqCst, Ordering::SeqCst);
            Box::pin(engine.dispatch()).await;
        });
    }
}

/// The wait before the retry of attempt `attempt` (1-based): `backoff`, doubling each time.
pub(crate) fn retry_wait(backoff: Duration, attempt: u32) -> Duration {
    backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_the_first_retry() {
        let base = Duration::from_secs(10);
        let waits: Vec<u64> = (1..=4).map(|a| retry_wait(base, a).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 80]);
    }
}
