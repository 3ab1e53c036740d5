//! After the end: Spark's own History Server over the jobs' event logs. This room is its
//! one owner: started on demand (two callers at once start one), linked to the event log
//! of each job asked about (`links.rs`), stopped after [`EngineConfig::history_idle`]
//! without a request, on [`Engine::shutdown`] and when the engine is dropped.
//!
//! [`EngineConfig::history_idle`]: crate::config::EngineConfig::history_idle

mod links;
mod server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::job::JobState;
use crate::runtime::local::EVENTS_DIR;
use server::{ServerFiles, ServerProcess};

pub use server::MAIN_CLASS as HISTORY_SERVER_CLASS;

/// The longest [`Engine::history_url`] waits for the server to list an application.
const APP_TIMEOUT: Duration = Duration::from_secs(60);

/// The engine's History Server, when one runs.
pub(crate) struct HistoryServer {
    /// Held while a server starts: a second caller waits and uses it.
    start_lock: tokio::sync::Mutex<()>,
    process: Mutex<Option<ServerProcess>>,
    last_used: Mutex<Instant>,
    /// `history_url` calls under way: the server is not idle while one waits on it.
    callers: AtomicUsize,
    http: reqwest::Client,
}

/// Counts one `history_url` call while it lasts; its end counts as a use.
struct Caller<'a>(&'a HistoryServer);

impl<'a> Caller<'a> {
    fn new(history: &'a HistoryServer) -> Self {
        history.callers.fetch_add(1, Ordering::SeqCst);
        Self(history)
    }
}

impl Drop for Caller<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.callers.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for HistoryServer {
    fn default() -> Self {
        Self {
            start_lock: tokio::sync::Mutex::new(()),
            process: Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            callers: AtomicUsize::new(0),
            // Loopback only: no proxy from the environment.
            http: reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap_or_default(),
        }
    }
}

impl HistoryServer {
    fn running_url(&self) -> Option<String> {
        let mut process = self.process.lock().unwrap_or_else(PoisonError::into_inner);
        if process.as_mut().is_some_and(ServerProcess::is_running) {
            return process.as_ref().map(ServerProcess::url);
        }
        // Exited on its own (or never started): dropping reaps it.
        *process = None;
        None
    }

    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// Stops the server (kills its process group and reaps it).
    pub(crate) fn stop(&self) {
        let taken = self.process.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(taken);
    }

    fn pid(&self) -> Option<u32> {
        self.process.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(ServerProcess::pid)
    }
}

impl Engine {
    /// The page of a job's application in Spark's History Server, once the server lists
    /// it: `http://127.0.0.1:PORT/history/<appId>/`. Starts the server when none runs.
    /// A job without a Spark application (it never started) or without an event log is
    /// a conflict saying so.
    pub async fn history_url(&self, job_id: &str) -> Result<String> {
        let record = self.job_record(job_id).await?;
        let Some(app_id) = record.job.app_id.clone() else {
            let state = record.job.state;
            return Err(EngineError::Conflict(match state {
                JobState::Submitted | JobState::Starting => {
                    format!("job {job_id} has not started yet (state {}): it has no Spark application to show", state.as_str())
                }
                _ => format!("job {job_id} never started a Spark application (state {}): there is no history to show", state.as_str()),
            }));
        };
        let events = self.job_dir(job_id).join(EVENTS_DIR);
        let history = &self.inner().history;
        let files = self.history_files();
        let link = || -> Result<()> {
            let log = links::event_log_of(&events, &app_id).ok_or_else(|| {
                EngineError::Conflict(format!(
                    "job {job_id} has no event log of {app_id} in {}: its driver ran with spark.eventLog.enabled=false or its own spark.eventLog.dir",
                    events.display()
                ))
            })?;
            links::link(&files.links(), &log).map_err(|e| EngineError::io(format!("cannot link {} for the History Server", log.display()), e))
        };
        link()?;
        let _caller = Caller::new(history);
        let base = self.history_server().await?;
        let app = format!("{base}/api/v1/applications/{app_id}");
        let deadline = Instant::now() + APP_TIMEOUT;
        loop {
            if let Ok(response) = history.http.get(&app).send().await
                && response.status().is_success()
            {
                let attempt = response.json::<serde_json::Value>().await.ok().and_then(|v| last_attempt_id(&v));
                return Ok(match attempt {
                    Some(attempt) => format!("{base}/history/{app_id}/{attempt}/"),
                    None => format!("{base}/history/{app_id}/"),
                });
            }
            if history.running_url().is_none() {
                return Err(EngineError::Unavailable(format!(
                    "Spark's History Server stopped before it listed application {app_id} (its output: {}/history-server.log)",
                    files.dir.display()
                )));
            }
            if Instant::now() > deadline {
                return Err(EngineError::Unavailable(format!(
                    "Spark's History Server has not listed application {app_id} after {} s (its output: {}/history-server.log)",
                    APP_TIMEOUT.as_secs(),
                    files.dir.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            // A running driver's `.inprogress` log is renamed when it ends.
            link()?;
        }
    }

    /// The process id of the engine's History Server, while one runs.
    pub fn history_server_pid(&self) -> Option<u32> {
        self.inner().history.pid()
    }

    fn history_files(&self) -> ServerFiles {
        ServerFiles { dir: self.data_dir().join("history") }
    }

    /// The running server's base URL, started first when none runs.
    async fn history_server(&self) -> Result<String> {
        let history = &self.inner().history;
        let _starting = history.start_lock.lock().await;
        if let Some(url) = history.running_url() {
            return Ok(url);
        }
        if self.is_shutting_down() {
            return Err(EngineError::Unavailable("the engine is shutting down: the History Server is not started".into()));
        }
        let env = self.spark_env().await.map_err(EngineError::Unavailable)?;
        let process = ServerProcess::start(&self.history_files(), &env, &history.http).await?;
        let (url, pid) = (process.url(), process.pid());
        tracing::info!(%url, pid, "History Server started");
        *history.process.lock().unwrap_or_else(PoisonError::into_inner) = Some(process);
        // Stored before this look: a shutdown that began during the start stops it either
        // way (its flag is set before its stop).
        if self.is_shutting_down() {
            history.stop();
            return Err(EngineError::Unavailable("the engine is shutting down: the History Server was stopped".into()));
        }
        history.touch();
        self.watch_history_idle(pid);
        Ok(url)
    }

    /// Stops the server `pid` once it has gone [`EngineConfig::history_idle`] without a
    /// request (or when it is no longer the engine's server, or the engine is gone).
    ///
    /// [`EngineConfig::history_idle`]: crate::config::EngineConfig::history_idle
    fn watch_history_idle(&self, pid: u32) {
        let weak = self.downgrade();
        let idle = self.config().history_idle;
        let every = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(engine) = Engine::upgrade(&weak) else { return };
                let history = &engine.inner().history;
                if history.pid() != Some(pid) {
                    return;
                }
                let idle_for = history.last_used.lock().unwrap_or_else(PoisonError::into_inner).elapsed();
                if idle_for >= idle && history.callers.load(Ordering::SeqCst) == 0 {
                    let _starting = history.start_lock.lock().await;
                    if history.pid() == Some(pid) && history.callers.load(Ordering::SeqCst) == 0 {
                        tracing::info!(pid, idle_s = idle_for.as_secs(), "History Server unused; stopping it");
                        history.stop();
                    }
                    return;
                }
            }
        });
    }
}

/// The id of an application's last attempt, when it has one (YARN and some cluster
/// managers number attempts; local and standalone applications have none).
fn last_attempt_id(app: &serde_json::Value) -> Option<String> {
    app.get("attempts")?.as_array()?.first()?.get("attemptId")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_id_only_when_the_application_has_one() {
        let local = serde_json::json!({"id": "local-1", "attempts": [{"completed": true}]});
        assert_eq!(last_attempt_id(&local), None);
        let yarn = serde_json::json!({"id": "application_1_1", "attempts": [{"attemptId": "2"}, {"attemptId": "1"}]});
        assert_eq!(last_attempt_id(&yarn), Some("2".into()));
    }
}
