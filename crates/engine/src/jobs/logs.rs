//! Reading a job's logs: windows of lines through the line index (no scan of the file),
//! and a follow stream of new lines while the job runs.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use tokio::sync::mpsc;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::log_index::{self, FollowCursor, LineIndex, Window};
use crate::log_rotate::Rotations;
use crate::model::job::JobLog;
use crate::runtime::job_dir::log_resources;

use super::POLL;

/// The line indexes of the logs read so far, by path (a job's are dropped with it).
#[derive(Default)]
pub(crate) struct LogIndexes(Mutex<HashMap<PathBuf, LineIndex>>);

impl LogIndexes {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, LineIndex>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The index of a log, extended to its current end (and saved when it grew).
    fn index(&self, path: &Path) -> Result<LineIndex> {
        let cached = self.map().get(path).cloned();
        let mut index = cached.unwrap_or_else(|| LineIndex::load(path));
        let rotations = Rotations::of(path).count;
        if index.rotations != rotations {
            index = LineIndex { rotations, ..LineIndex::default() };
        }
        let grew = index.extend(path).map_err(|e| EngineError::io(format!("cannot index {}", path.display()), e))?;
        if grew && let Err(e) = index.save(path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot save log index");
        }
        self.map().insert(path.to_path_buf(), index.clone());
        Ok(index)
    }

    /// Forgets the indexes of the logs under a (deleted) job directory.
    pub(crate) fn forget_dir(&self, dir: &Path) {
        self.map().retain(|path, _| !path.starts_with(dir));
    }
}

impl Engine {
    /// A window of each log of a job: `size` lines (default 100) from line `from`
    /// (default 0), counted from the start.
    pub async fn job_logs(&self, id: &str, from: Option<i64>, size: Option<i64>) -> Result<Vec<JobLog>> {
        self.job_log_windows(id, None, from, size).await
    }

    /// As [`Engine::job_logs`], for one log (`log`, e.g. `driver-stderr`) or all of them.
    /// The lines of one answer together stay within `max_log_window_bytes`: a log whose
    /// window reaches it ends early and is marked `truncated`, and so is every log after it.
    pub async fn job_log_windows(&self, id: &str, log: Option<&str>, from: Option<i64>, size: Option<i64>) -> Result<Vec<JobLog>> {
        let from = match from {
            None => 0,
            Some(f) => u64::try_from(f).map_err(|_| EngineError::invalid("from", format!("{f} is negative")))?,
        };
        let max = self.config().max_log_lines;
        let size = match size {
            None => 100.min(max),
            Some(s) => match u64::try_from(s) {
                Ok(s) if s <= max => s,
                _ => return Err(EngineError::invalid("logSize", format!("{s} is not between 0 and {max}"))),
            },
        };
        let record = self.job_record(id).await?;
        let mut resources = log_resources(&self.job_dir(id));
        if let Some(name) = log {
            let names = resources.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
            resources.retain(|r| r.name == name);
            if resources.is_empty() {
                return Err(EngineError::invalid("log", format!("'{name}' is not a log of this job ({names})")));
            }
        }
        let mut budget = self.config().max_log_window_bytes;
        let mut out = Vec::new();
        for resource in resources {
            let engine = self.clone();
            let path = resource.path.clone();
            let rotated_lines = Rotations::of(&resource.path).lines;
            let (window, total) = tokio::task::spawn_blocking(move || engine.read_log(&path, from, size, budget))
                .await
                .map_err(|e| EngineError::io("log reader failed", std::io::Error::other(e)))??;
            budget = budget.saturating_sub(window.lines.iter().map(String::len).sum::<usize>());
            out.push(JobLog {
                name: resource.name,
                log_type: resource.log_type.to_string(),
                role: resource.role.to_string(),
                state: record.job.state,
                from,
                log_size: window.lines.len() as u64,
                total_lines: total,
                file_name: resource.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                log: window.lines,
                truncated: window.cut_by_budget,
                rotated_lines,
            });
        }
        Ok(out)
    }

    /// Lines `[from, from + size)` of a log, at most `max_bytes` of them, and its line
    /// count, through its index.
    fn read_log(&self, path: &Path, from: u64, size: u64, max_bytes: usize) -> Result<(Window, u64)> {
        if !path.exists() {
            return Ok((Window::default(), 0));
        }
        let index = self.inner().log_indexes.index(path)?;
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let window = log_index::read_window_within(path, &index, from, size, max_bytes)
            .map_err(|e| EngineError::io(format!("cannot read {}", path.display()), e))?;
        Ok((window, index.total_lines(len)))
    }

    /// Follows one log of a job (`driver-stdout` or `driver-stderr`) from line `from`:
    /// every line already there, then new ones as they are written, until the job has
    /// ended and the log is read to its end (or the receiver is dropped).
    pub async fn follow_log(&self, id: &str, resource: &str, from: u64) -> Result<mpsc::Receiver<String>> {
        self.job_record(id).await?;
        let resources = log_resources(&self.job_dir(id));
        let names = resources.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
        let path = resources
            .iter()
            .find(|r| r.name == resource)
            .map(|r| r.path.clone())
            .ok_or_else(|| EngineError::invalid("resource", format!("'{resource}' is not a log of this job ({names})")))?;
        let (tx, rx) = mpsc::channel(1024);
        let weak = self.downgrade();
        let id = id.to_string();
        tokio::spawn(async move {
            let mut cursor = None;
            loop {
                let Some(engine) = Engine::upgrade(&weak) else { return };
                let ended = engine.job_record(&id).await.map(|r| r.job.state.is_terminal()).unwrap_or(true);
                if cursor.is_none() && path.exists() {
                    let start = engine.inner().log_indexes.index(&path).and_then(|index| {
                        log_index::line_start(&path, &index, from).map_err(|e| EngineError::io("cannot read log", e))
                    });
                    cursor = Some(FollowCursor::at(&path, start.unwrap_or(0)));
                }
                drop(engine);
                if let Some(cursor) = cursor.as_mut() {
                    match cursor.read_new(&path) {
                        Ok(lines) => {
                            for line in lines {
                                if tx.send(line).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Err(_) => return,
                    }
                }
                let caught_up = cursor.as_ref().is_none_or(FollowCursor::caught_up);
                if (ended && caught_up) || tx.is_closed() {
                    return;
                }
                if caught_up {
                    tokio::time::sleep(POLL).await;
                }
            }
        });
        Ok(rx)
    }
}
