//! Reading a job's logs: windows of lines through the line index (no scan of the file),
//! and a follow stream of new lines while the job runs.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use tokio::sync::mpsc;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::log_index::{self, LineIndex};
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
        let dir = self.job_dir(id);
        let mut out = Vec::new();
        for resource in log_resources(&dir) {
            let engine = self.clone();
            let path = resource.path.clone();
            let (lines, total) = tokio::task::spawn_blocking(move || engine.read_log(&path, from, size))
                .await
                .map_err(|e| EngineError::io("log reader failed", std::io::Error::other(e)))??;
            out.push(JobLog {
                name: resource.name,
                log_type: resource.log_type.to_string(),
                role: resource.role.to_string(),
                state: record.job.state,
                from,
                log_size: lines.len() as u64,
                total_lines: total,
                file_name: resource.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                log: lines,
            });
        }
        Ok(out)
    }

    /// Lines `[from, from + size)` of a log and its line count, through its index.
    fn read_log(&self, path: &Path, from: u64, size: u64) -> Result<(Vec<String>, u64)> {
        if !path.exists() {
            return Ok((Vec::new(), 0));
        }
        let index = self.inner().log_indexes.index(path)?;
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let lines = log_index::read_window(path, &index, from, size)
            .map_err(|e| EngineError::io(format!("cannot read {}", path.display()), e))?;
        Ok((lines, index.total_lines(len)))
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
            let mut pos = None;
            loop {
                let Some(engine) = Engine::upgrade(&weak) else { return };
                let ended = engine.job_record(&id).await.map(|r| r.job.state.is_terminal()).unwrap_or(true);
                if pos.is_none() && path.exists() {
                    let start = engine.inner().log_indexes.index(&path).and_then(|index| {
                        log_index::line_start(&path, &index, from).map_err(|e| EngineError::io("cannot read log", e))
                    });
                    pos = Some(start.unwrap_or(0));
                }
                drop(engine);
                if let Some(at) = pos.as_mut() {
                    match read_new_lines(&path, at) {
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
                if ended || tx.is_closed() {
                    return;
                }
                tokio::time::sleep(POLL).await;
            }
        });
        Ok(rx)
    }
}

/// Complete lines appended after byte `pos`; advances `pos` past them.
fn read_new_lines(path: &Path, pos: &mut u64) -> std::io::Result<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    file.seek(SeekFrom::Start(*pos))?;
    let mut bytes = Vec::new();
    file.take(4 << 20).read_to_end(&mut bytes)?;
    let Some(end) = bytes.iter().rposition(|b| *b == b'\n') else { return Ok(Vec::new()) };
    *pos += end as u64 + 1;
    Ok(String::from_utf8_lossy(&bytes[..end]).lines().map(str::to_string).collect())
}
