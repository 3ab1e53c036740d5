//! Following a launched driver: one task per job polls its runtime, records the app id
//! (→ BUSY) and the end (→ FINISHED, FAILED with the error's summary, or CANCELED after a
//! stop), then lets the queue launch the next job.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;
use crate::error::Result;
use crate::model::error_cause::ErrorCause;
use crate::model::job::{Job, JobState, Language};
use crate::runtime::job_dir::{self, DRIVER_STDERR, DRIVER_STDOUT};
use crate::runtime::local::{EVENTS_DIR, app_id_in};
use crate::runtime::spark_ui::UiSearch;
use crate::runtime::{ClusterRuntime, DriverRef, Exit, Liveness};
use crate::time::now_ms;

use super::failure_cause::read_cause;
use super::live::Running;

/// How often a follower polls its driver when nothing wakes it.
pub(crate) const POLL: Duration = Duration::from_millis(250);

impl Engine {
    /// Follows a launched driver until it ends, in the background.
    pub(super) fn follow(&self, id: String, driver: DriverRef, child: Option<tokio::process::Child>, runtime: Arc<dyn ClusterRuntime>) {
        let running = self.inner().running.insert(&id);
        if let Some(mut child) = child {
            let running = running.clone();
            tokio::spawn(async move {
                let _ = child.wait().await;
                running.notify_exited();
            });
        }
        let weak = self.downgrade();
        tokio::spawn(async move {
            let Some(dir) = Engine::upgrade(&weak).map(|engine| engine.job_dir(&id)) else { return };
            let mut app_id_seen = false;
            let mut ui = UiSearch::default();
            loop {
                let liveness = runtime.poll(&driver, &dir).await;
                let Some(engine) = Engine::upgrade(&weak) else { return };
                if matches!(liveness, Liveness::Running { .. }) {
                    let config = engine.config();
                    job_dir::rotate_driver_logs(&dir, config.max_log_file_bytes, config.log_parts_kept).await;
                }
                if matches!(liveness, Liveness::Running { .. })
                    && let Some(url) = ui.look(runtime.as_ref(), &driver, &dir, app_id_seen).await
                    && let Err(e) = engine.record_spark_ui(&id, url).await
                {
                    tracing::error!(id, error = %e, "cannot record the Spark UI's address");
                }
                match liveness {
                    Liveness::Running { app_id: Some(app_id) } if !app_id_seen => {
                        app_id_seen = true;
                        if let Err(e) = engine.mark_busy(&id, app_id).await {
                            tracing::error!(id, error = %e, "cannot record the app id");
                        }
                    }
                    Liveness::Running { .. } => {}
                    Liveness::Ended(exit) => match engine.finish(&id, exit, &running).await {
                        Ok(()) => return,
                        // Until its end is written the job holds its slot: try again on the
                        // next poll (the driver stays ended, so the poll says so again).
                        Err(e) => tracing::error!(id, error = %e, "cannot record the end of a job; retrying"),
                    },
                }
                drop(engine);
                tokio::select! {
                    () = running.exited() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        });
    }

    /// Records where a running job's Spark UI answers (announced with the job), when it
    /// changed.
    pub(crate) async fn record_spark_ui(&self, id: &str, url: String) -> Result<()> {
        let mut record = self.job_record(id).await?;
        if record.job.state.is_terminal() || record.job.spark_ui_url.as_deref() == Some(url.as_str()) {
            return Ok(());
        }
        tracing::info!(id, url, "Spark UI bound");
        record.job.spark_ui_url = Some(url);
        self.save_active(&record).await.map(|_| ())
    }

    async fn mark_busy(&self, id: &str, app_id: String) -> Result<()> {
        let mut record = self.job_record(id).await?;
        if record.job.state.is_terminal() {
            return Ok(());
        }
        record.job.app_id = Some(app_id);
        if record.job.state.can_become(JobState::Busy) {
            record.job.state = JobState::Busy;
        }
        self.save_active(&record).await.map(|_| ())
    }

    async fn finish(&self, id: &str, exit: Exit, running: &Running) -> Result<()> {
        let Some(mut record) = self.store().job_by_id(id).await? else {
            self.inner().running.remove(id);
            return Ok(());
        };
        if !record.job.state.is_terminal() {
            let dir = self.job_dir(id);
            if record.job.app_id.is_none() {
                record.job.app_id = app_id_in(&dir.join(EVENTS_DIR));
            }
            let ended = if running.stop_requested() { Outcome::canceled() } else { outcome(&exit, record.job.language, &dir) };
            let state = ended.state;
            ended.apply(&mut record.job);
            record.job.end_time = now_ms();
            self.save_end(&record).await?;
            tracing::info!(id, state = state.as_str(), "job ended");
        }
        self.inner().running.remove(id);
        self.dispatch().await;
        Ok(())
    }
}

/// How a driver's job ended: its final state, the error's one line and, for a failure a
/// known cause explains, that cause.
pub(crate) struct Outcome {
    pub(crate) state: JobState,
    error: Option<String>,
    cause: Option<Box<ErrorCause>>,
}

impl Outcome {
    fn canceled() -> Self {
        Self { state: JobState::Canceled, error: None, cause: None }
    }

    pub(crate) fn apply(self, job: &mut Job) {
        job.state = self.state;
        job.error = self.error;
        job.error_cause = self.cause;
    }
}

/// The final state for an exit code, with the error summary from the driver's output and
/// its cause (read once here, from bounded log tails, so lists never read logs).
pub(crate) fn outcome(exit: &Exit, language: Language, dir: &Path) -> Outcome {
    let fallback = match exit {
        Exit::Code(Some(0)) | Exit::Reported(Ok(())) => return Outcome { state: JobState::Finished, error: None, cause: None },
        Exit::Code(Some(c)) => format!("spark-submit exited with code {c}"),
        Exit::Code(None) => "the job's processes were killed before spark-submit could record an exit code".into(),
        Exit::Reported(Err(reason)) => reason.clone(),
    };
    // Python drivers print tracebacks on stdout (spark-submit merges them there); the JVM
    // and pip write to stderr.
    let logs = match language {
        // A group driver is the Python agent whatever its cells' language.
        Language::Python | Language::Sql => [DRIVER_STDOUT, DRIVER_STDERR],
        Language::Scala => [DRIVER_STDERR, DRIVER_STDOUT],
    };
    let error = job_dir::error_summary(dir, logs).unwrap_or(fallback);
    Outcome { state: JobState::Failed, error: Some(error), cause: read_cause(exit, dir).map(Box::new) }
}
