//! Copies drivers' and executors' logs from the workers' `/log/` pages into the job's
//! directory, incrementally (by byte offset), so they can be read and followed like local
//! logs and outlive the cluster: the driver's to `<job_dir>/stdout.log|stderr.log`, each
//! executor's to `<job_dir>/executors/<executor id>/stdout.log|stderr.log`.
//!
//! What Spark 4.3.0 serves there is plain text: one header line
//! `==== Bytes <start>-<end> of <total> of <path> ====`, then the bytes decoded as UTF-8.
//! A log that does not exist (yet) is `Bytes 0-0 of 0` followed by
//! `Error: invalid log directory …`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::cluster_json::{master_state, worker_state};
use super::http::cause;
use crate::error::{EngineError, Result};
use crate::runtime::job_dir::{DRIVER_STDERR, DRIVER_STDOUT, executor_log};
#[cfg(test)]
use crate::runtime::job_dir::EXECUTORS_DIR;

/// Bytes asked for per request: big enough that a busy log catches up in a few rounds.
const CHUNK: u64 = 1 << 20;
const LOG_TYPES: [&str; 2] = ["stdout", "stderr"];

/// Whose log a copy follows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LogOwner {
    Driver(String),
    Executor { app_id: String, executor_id: String },
}

/// One parsed `/log/` answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LogPage<'a> {
    Chunk { start: u64, end: u64, total: u64, text: &'a str },
    /// The worker has no such log (not started yet, or cleaned up).
    Missing(&'a str),
}

pub(crate) fn parse_log_page(body: &str) -> Option<LogPage<'_>> {
    let (header, text) = body.split_once('\n').unwrap_or((body, ""));
    let range = header.strip_prefix("==== Bytes ")?;
    let (start, range) = range.split_once('-')?;
    let (end, range) = range.split_once(" of ")?;
    let total = range.split(' ').next()?;
    let (start, end, total) = (start.parse().ok()?, end.parse().ok()?, total.parse().ok()?);
    if total == 0 && text.starts_with("Error:") {
        return Some(LogPage::Missing(text.trim()));
    }
    Some(LogPage::Chunk { start, end, total, text })
}

/// One log followed into one local file.
#[derive(Debug)]
pub(crate) struct LogCopy {
    owner: LogOwner,
    log_type: &'static str,
    worker_ui: String,
    dest: PathBuf,
    /// Bytes of the source already copied; starts at the local file's size, so a copy
    /// resumes where an earlier one (e.g. before a restart) stopped.
    offset: Option<u64>,
    /// The source is complete (its executor ended): one more pull and the copy is done,
    /// so a long-lived app does not re-read the logs of every executor it ever had.
    source_ended: bool,
    done: bool,
}

impl LogCopy {
    pub(crate) fn new(owner: LogOwner, log_type: &'static str, worker_ui: &str, dest: PathBuf) -> Self {
        Self {
            owner,
            log_type,
            worker_ui: worker_ui.trim_end_matches('/').to_string(),
            dest,
            offset: None,
            source_ended: false,
            done: false,
        }
    }

    pub(crate) fn dest(&self) -> &Path {
        &self.dest
    }

    fn url(&self, offset: u64) -> String {
        let who = match &self.owner {
            LogOwner::Driver(id) => format!("driverId={id}"),
            LogOwner::Executor { app_id, executor_id } => format!("appId={app_id}&executorId={executor_id}"),
        };
        format!("{}/log/?{who}&logType={}&offset={offset}&byteLength={CHUNK}", self.worker_ui, self.log_type)
    }

    /// Appends whatever the worker has beyond what was copied; returns the bytes added.
    pub(crate) async fn pull(&mut self, http: &reqwest::Client) -> Result<u64> {
        let mut offset = match self.offset {
            Some(o) => o,
            None => fs::metadata(&self.dest).map(|m| m.len()).unwrap_or(0),
        };
        let mut added = 0;
        loop {
            let url = self.url(offset);
            let fail = |what: String| EngineError::Unavailable(format!("cannot copy the log at {url}: {what}"));
            let response = http.get(&url).send().await.map_err(|e| fail(cause(&e)))?;
            if !response.status().is_success() {
                return Err(fail(format!("HTTP {}", response.status())));
            }
            let body = response.text().await.map_err(|e| fail(cause(&e)))?;
            let (start, end, total, text) = match parse_log_page(&body) {
                Some(LogPage::Chunk { start, end, total, text }) => (start, end, total, text),
                Some(LogPage::Missing(_)) => break,
                None => return Err(fail("the worker's answer has no '==== Bytes' header".into())),
            };
            if total < offset {
                // The source shrank (the worker restarted and reused the directory):
                // keep what was copied and follow the new file from its start.
                offset = 0;
                continue;
            }
            if end <= offset {
                self.append(b"")?;
                break;
            }
            let (text, consumed) = whole_lines_if_cut(text, start, end, total);
            self.append(text.as_bytes())?;
            added += consumed;
            offset = start + consumed;
            if consumed == 0 || offset >= total {
                break;
            }
        }
        self.offset = Some(offset);
        Ok(added)
    }

    fn append(&self, bytes: &[u8]) -> Result<()> {
        if let Some(dir) = self.dest.parent() {
            fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("cannot create {}", dir.display()), e))?;
        }
        let mut file = File::options()
            .create(true)
            .append(true)
            .open(&self.dest)
            .map_err(|e| EngineError::io(format!("cannot open {}", self.dest.display()), e))?;
        file.write_all(bytes).map_err(|e| EngineError::io(format!("cannot write {}", self.dest.display()), e))
    }
}

/// The part of a chunk to keep and how many source bytes it stands for. Spark decodes
/// each chunk as UTF-8 on its own, so a chunk that ends inside a multi-byte character
/// comes back with a replacement character instead of its last bytes: then only the
/// complete lines are kept and the rest is asked for again from its first byte.
fn whole_lines_if_cut(text: &str, start: u64, end: u64, total: u64) -> (&str, u64) {
    let span = end - start;
    if text.len() as u64 == span || end >= total {
        return (text, span);
    }
    match text.rfind('\n') {
        Some(i) if !text[..=i].contains('\u{FFFD}') => (&text[..=i], (i + 1) as u64),
        // No clean cut: keep it all rather than stall on a line longer than a chunk.
        _ => (text, span),
    }
}

/// Every log of one submission or application, copied on each [`JobLogs::sync`].
pub(crate) struct JobLogs {
    job_dir: PathBuf,
    master_ui: String,
    driver: Option<String>,
    /// The host of the worker running the cluster-mode driver, once found.
    driver_host: Option<String>,
    app_id: Option<String>,
    copies: BTreeMap<(LogOwner, &'static str), LogCopy>,
    /// Executors skipped for an unsafe id, so each is warned about once.
    skipped: BTreeSet<String>,
}

impl JobLogs {
    pub(crate) fn new(job_dir: &Path, master_ui: &str) -> Self {
        Self { job_dir: job_dir.to_path_buf(), master_ui: master_ui.to_string(), driver: None, driver_host: None, app_id: None, copies: BTreeMap::new(), skipped: BTreeSet::new() }
    }

    /// Follow the logs of a cluster-mode driver (a REST submission).
    pub(crate) fn follow_driver(&mut self, submission_id: &str) {
        self.driver = Some(submission_id.to_string());
    }

    /// Follow the executors' logs of an application.
    pub(crate) fn follow_app(&mut self, app_id: &str) {
        self.app_id = Some(app_id.to_string());
    }

    pub(crate) fn driver(&self) -> Option<&str> {
        self.driver.as_deref()
    }

    /// The host of the worker the cluster-mode driver runs on, once a sync found it.
    pub(crate) fn driver_host(&self) -> Option<&str> {
        self.driver_host.as_deref()
    }

    pub(crate) fn app_id(&self) -> Option<&str> {
        self.app_id.as_deref()
    }

    /// One round: finds the workers that hold the driver and the app's executors, then
    /// copies what is new. Logs of an unreachable worker are retried on the next round;
    /// the first error is returned after everything else was copied.
    pub(crate) async fn sync(&mut self, http: &reqwest::Client) -> Result<()> {
        let mut first_error = None;
        if self.driver.is_some() || self.app_id.is_some() {
            match master_state(http, &self.master_ui).await {
                Ok(master) => {
                    if let Some(driver) = &self.driver {
                        let worker = master.driver(driver).and_then(|d| master.worker(&d.worker));
                        if let Some(worker) = worker.filter(|w| !w.host.is_empty()) {
                            self.driver_host = Some(worker.host.clone());
                        }
                        if let Some(worker) = worker.filter(|w| !w.webuiaddress.is_empty()) {
                            for log_type in LOG_TYPES {
                                let key = (LogOwner::Driver(driver.clone()), log_type);
                                let dest = self.job_dir.join(if log_type == "stdout" { DRIVER_STDOUT } else { DRIVER_STDERR });
                                self.copies
                                    .entry(key.clone())
                                    .or_insert_with(|| LogCopy::new(key.0, log_type, &worker.webuiaddress, dest));
                            }
                        }
                    }
                    if let Some(app_id) = &self.app_id {
                        for worker in master.workers.iter().filter(|w| !w.webuiaddress.is_empty()) {
                            let state = match worker_state(http, &worker.webuiaddress).await {
                                Ok(state) => state,
                                // A dead worker's logs are gone with it; others still count.
                                Err(e) if worker.state == "ALIVE" => {
                                    first_error.get_or_insert(e);
                                    continue;
                                }
                                Err(_) => continue,
                            };
                            for (executor_id, ended) in state.executors_of(app_id) {
                                for log_type in LOG_TYPES {
                                    let owner = LogOwner::Executor { app_id: app_id.clone(), executor_id: executor_id.to_string() };
                                    let file = if log_type == "stdout" { DRIVER_STDOUT } else { DRIVER_STDERR };
                                    // The id comes from the worker: one that is not a plain
                                    // name could point the copy outside the job directory.
                                    let Some(dest) = executor_log(&self.job_dir, executor_id, file) else {
                                        if self.skipped.insert(executor_id.to_string()) {
                                            tracing::warn!(executor = ?executor_id, worker = %worker.webuiaddress, "skipping the logs of an executor whose id is not a plain name");
                                        }
                                        continue;
                                    };
                                    let copy = self
                                        .copies
                                        .entry((owner.clone(), log_type))
                                        .or_insert_with(|| LogCopy::new(owner, log_type, &worker.webuiaddress, dest));
                                    copy.source_ended |= ended;
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        for copy in self.copies.values_mut().filter(|c| !c.done) {
            match copy.pull(http).await {
                Ok(_) => copy.done = copy.source_ended,
                Err(e) => {
                    tracing::debug!(dest = %copy.dest().display(), error = %e, "log copy failed; retrying next round");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// The application id a driver's log announces once it registered with the master.
pub(crate) fn app_id_in_driver_log(text: &str) -> Option<String> {
    const MARK: &str = "Connected to Spark cluster with app ID ";
    let at = text.find(MARK)? + MARK.len();
    let id: String = text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_pages_parse_as_spark_4_serves_them() {
        let page = "==== Bytes 0-22 of 22 of /w/driver-1/stdout ====\nJVM COUNT 42 ARGS a,b\n";
        assert_eq!(
            parse_log_page(page),
            Some(LogPage::Chunk { start: 0, end: 22, total: 22, text: "JVM COUNT 42 ARGS a,b\n" })
        );
        let missing = "==== Bytes 0-0 of 0 of /w/driver-nope/stdout ====\nError: invalid log directory /w/driver-nope/";
        assert!(matches!(parse_log_page(missing), Some(LogPage::Missing(m)) if m.contains("invalid log directory")));
        // An empty log that exists is an empty chunk, not missing.
        assert_eq!(
            parse_log_page("==== Bytes 0-0 of 0 of /w/app/0/stdout ====\n"),
            Some(LogPage::Chunk { start: 0, end: 0, total: 0, text: "" })
        );
        assert_eq!(parse_log_page("<html>not a log</html>"), None);
    }

    #[test]
    fn a_chunk_cut_inside_a_character_keeps_its_whole_lines() {
        // "é" is two bytes; the chunk ended after its first, which Spark decoded as U+FFFD.
        let text = "line one\nline \u{FFFD}";
        assert_eq!(whole_lines_if_cut(text, 100, 116, 200), ("line one\n", 9));
        // The last chunk of a file is kept whole.
        assert_eq!(whole_lines_if_cut("abc", 0, 3, 3), ("abc", 3));
        assert_eq!(whole_lines_if_cut("no newline \u{FFFD}", 0, 13, 50), ("no newline \u{FFFD}", 13));
    }

    /// A fake master and worker on loopback, sharing one address and one `/json/` page:
    /// the master's workers and the worker's executors of `app-1` named `ids`, each with
    /// the same one-line log.
    async fn fake_cluster(ids: &[String]) -> String {
        use axum::{Json, Router, routing::get};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let executors: Vec<_> = ids.iter().map(|id| serde_json::json!({"id": id, "appid": "app-1"})).collect();
        let page = serde_json::json!({"workers": [{"id": "w", "webuiaddress": base, "state": "ALIVE"}], "executors": executors});
        let app = Router::new()
            .route("/json/", get(move || async move { Json(page) }))
            .route("/log/", get(|| async { "==== Bytes 0-5 of 5 of /w/log ====\nhello" }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        base
    }

    #[tokio::test]
    async fn executor_ids_that_are_not_plain_names_are_not_copied_outside_the_job_directory() {
        let outer = tempfile::tempdir().unwrap();
        let job_dir = outer.path().join("jobs").join("j1");
        fs::create_dir_all(&job_dir).unwrap();
        let absolute = outer.path().join("absolute").display().to_string();
        let ids = vec!["0".to_string(), "../../../escaped".to_string(), "..".to_string(), absolute.clone(), "a/b".to_string()];
        let base = fake_cluster(&ids).await;
        let mut logs = JobLogs::new(&job_dir, &base);
        logs.follow_app("app-1");
        logs.sync(&reqwest::Client::new()).await.unwrap();
        // The safe executor is copied; nothing else is written anywhere.
        assert_eq!(fs::read_to_string(job_dir.join("executors/0/stdout.log")).unwrap(), "hello");
        assert!(!outer.path().join("escaped").exists(), "a log was written outside the job directory");
        assert!(!Path::new(&absolute).exists(), "a log was written to an absolute path");
        assert!(!job_dir.join("executors/a").exists() && !job_dir.join(EXECUTORS_DIR).join(DRIVER_STDOUT).exists());
        let mut executors: Vec<String> =
            fs::read_dir(job_dir.join(EXECUTORS_DIR)).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        executors.sort();
        assert_eq!(executors, ["0"]);
        let mut top: Vec<String> = fs::read_dir(outer.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        top.sort();
        assert_eq!(top, ["jobs"]);
    }

    #[test]
    fn the_driver_log_names_its_application() {
        let log = "26/11/28 00:28:15 INFO StandaloneSchedulerBackend: Connected to Spark cluster with app ID app-20261128002815-0000\n";
        assert_eq!(app_id_in_driver_log(log).as_deref(), Some("app-20261128002815-0000"));
        assert_eq!(app_id_in_driver_log("nothing here"), None);
    }
}
