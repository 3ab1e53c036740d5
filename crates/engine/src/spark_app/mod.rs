//! Inside a job's Spark application: its stages and executors (`/stages`, `/executors`) from
//! its event log (`event_log.rs` finds and streams it, `parser.rs` folds the events), and the
//! comparison of two runs (`compare.rs`).

mod compare;
mod live;
pub(crate) mod event_log;
mod parser;
#[cfg(any(test, feature = "testing"))]
pub mod synthetic;

use std::path::Path;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::job::JobRecord;
use crate::model::stages::{ExecutorSummary, JobExecutors, JobStages, StageSummary, StagesSource};
use crate::runtime::local::EVENTS_DIR;
use crate::time::now_ms;

use self::event_log::ReadProblems;
use self::parser::AppParser;

/// What an application's event log says, and what of it could not be read.
#[derive(Debug, Default)]
pub(crate) struct AppReport {
    pub stages: Vec<StageSummary>,
    pub executors: Vec<ExecutorSummary>,
    /// Null when the log was read whole.
    pub message: Option<String>,
    /// Whether there was a log at all.
    pub found: bool,
    /// Bytes held for task durations at the end (the part that grows with the log);
    /// printed by the stages benchmark (feature `testing`).
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub held_bytes: usize,
}

/// Reads the event log of `app_id` (or the newest) in `events_dir`, streaming. Blocking.
pub(crate) fn read_app(events_dir: &Path, app_id: Option<&str>) -> AppReport {
    let Some(log) = event_log::find(events_dir, app_id) else {
        return AppReport { message: Some("the job left no event log".into()), ..AppReport::default() };
    };
    if !event_log::readable_codec(log.codec.as_deref()) {
        let codec = log.codec.unwrap_or_default();
        return AppReport {
            message: Some(format!(
                "the event log is compressed with {codec}, which Sparkdeck does not read (zstd or none: set spark.eventLog.compression.codec=zstd)"
            )),
            found: true,
            ..AppReport::default()
        };
    }
    let mut app = AppParser::default();
    let problems = event_log::for_each_line(&log.files, log.codec.as_deref(), |line| app.line(line));
    AppReport {
        stages: app.stages(now_ms()),
        executors: app.executors(),
        message: problem_message(&problems, log.in_progress),
        found: true,
        held_bytes: app.held_duration_bytes(),
    }
}

fn problem_message(p: &ReadProblems, in_progress: bool) -> Option<String> {
    let mut parts = Vec::new();
    if p.corrupt_lines > 0 {
        let first = p.first_corrupt.as_deref().unwrap_or("?");
        parts.push(format!("{} lines of the event log are not Spark events and were skipped (the first: {first})", p.corrupt_lines));
    }
    if p.long_lines > 0 {
        parts.push(format!("{} lines longer than {} MiB were skipped", p.long_lines, event_log::MAX_LINE >> 20));
    }
    if p.cut_last_line && !in_progress {
        parts.push("the event log ends in a cut line (the driver may have died while writing it)".into());
    }
    for file in &p.unreadable {
        parts.push(format!("cannot read {file}"));
    }
    if parts.is_empty() { None } else { Some(parts.join("; ")) }
}

fn join_messages(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

impl Engine {
    /// The stages of a job's application: from the running application's REST API while it
    /// runs (`live.rs`), else (or when that does not answer) from its event log; empty for a
    /// job that never started.
    pub async fn job_stages(&self, job_id: &str) -> Result<JobStages> {
        let record = self.job_record(job_id).await?;
        let mut fallback = None;
        if let Some(ui) = self.live_ui(&record).await {
            match live::stages(&ui, record.job.app_id.as_deref(), now_ms()).await {
                Ok(stages) => return Ok(JobStages { stages, source: StagesSource::Live, message: None }),
                Err(e) => fallback = Some(format!("the running application did not answer ({e}); read from its event log")),
            }
        }
        let Some(report) = self.app_report(&record).await? else {
            return Ok(JobStages { stages: Vec::new(), source: StagesSource::None, message: None });
        };
        let source = if report.found { StagesSource::EventLog } else { StagesSource::None };
        Ok(JobStages { stages: report.stages, source, message: join_messages(fallback, report.message) })
    }

    /// The executors of a job's application, as [`Engine::job_stages`].
    pub async fn job_executors(&self, job_id: &str) -> Result<JobExecutors> {
        let record = self.job_record(job_id).await?;
        let mut fallback = None;
        if let Some(ui) = self.live_ui(&record).await {
            match live::executors(&ui, record.job.app_id.as_deref()).await {
                Ok(executors) => return Ok(JobExecutors { executors, source: StagesSource::Live, message: None }),
                Err(e) => fallback = Some(format!("the running application did not answer ({e}); read from its event log")),
            }
        }
        let Some(report) = self.app_report(&record).await? else {
            return Ok(JobExecutors { executors: Vec::new(), source: StagesSource::None, message: None });
        };
        let source = if report.found { StagesSource::EventLog } else { StagesSource::None };
        Ok(JobExecutors { executors: report.executors, source, message: join_messages(fallback, report.message) })
    }

    /// The Spark UI of a job that is still running, if it has one.
    async fn live_ui(&self, record: &JobRecord) -> Option<String> {
        if record.job.state.is_terminal() {
            return None;
        }
        self.live_spark_ui(&record.job.job_id).await.ok().flatten()
    }

    /// The event log's report, or None for a job that never started (no driver was launched).
    pub(crate) async fn app_report(&self, record: &JobRecord) -> Result<Option<AppReport>> {
        if record.driver.is_none() && record.job.app_id.is_none() {
            return Ok(None);
        }
        let events = self.job_dir(&record.job.job_id).join(EVENTS_DIR);
        let app_id = record.job.app_id.clone();
        let report = tokio::task::spawn_blocking(move || read_app(&events, app_id.as_deref()))
            .await
            .map_err(|e| EngineError::Internal(format!("event log reader stopped: {e}")))?;
        Ok(Some(report))
    }
}

#[cfg(test)]
mod tests;
