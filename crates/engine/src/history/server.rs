//! One History Server JVM (`org.apache.spark.deploy.history.HistoryServer` through
//! `bin/spark-class`), in its own process group, bound to 127.0.0.1 on a free port, over
//! the links directory. Dropping a [`ServerProcess`] kills its group and reaps it, so no
//! JVM outlives its owner; its pid file lets the next engine kill one a crash left.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::error::{EngineError, Result};
use crate::runtime::local::{group_members, proc_stat};
use crate::runtime::properties::write_private_properties;
use crate::spark_env::SparkEnv;

/// The History Server's main class (what its JVM's command line names).
pub const MAIN_CLASS: &str = "org.apache.spark.deploy.history.HistoryServer";
/// How often the server looks for new and grown event logs: an ended job shows within it.
const UPDATE_INTERVAL: &str = "1s";
/// Application UIs kept in the server's memory (Spark's default is 50).
const RETAINED_APPLICATIONS: &str = "10";
/// The server's heap: it holds at most [`RETAINED_APPLICATIONS`] replayed UIs.
const DAEMON_MEMORY: &str = "512m";
/// The longest a start may take before it is given up (measured: ~4 s on 2 cores).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Starts tried when the chosen port was taken in between.
const START_ATTEMPTS: usize = 3;

/// Files of the server under `<data>/history/`.
pub(crate) struct ServerFiles {
    pub(crate) dir: PathBuf,
}

impl ServerFiles {
    pub(crate) fn links(&self) -> PathBuf {
        self.dir.join("logs")
    }
    fn properties(&self) -> PathBuf {
        self.dir.join("history-server.properties")
    }
    fn log(&self) -> PathBuf {
        self.dir.join("history-server.log")
    }
    fn pid_file(&self) -> PathBuf {
        self.dir.join("history-server.pid")
    }
}

/// A running History Server: killed (the whole process group) and reaped when dropped.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) port: u16,
    pid_file: PathBuf,
}

impl ServerProcess {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's base URL.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Still running (not exited).
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Starts a server and waits until its REST API answers.
    pub(crate) async fn start(files: &ServerFiles, env: &SparkEnv, http: &reqwest::Client) -> Result<Self> {
        kill_leftover(&files.pid_file());
        fs::create_dir_all(files.links()).map_err(|e| EngineError::io(format!("cannot create {}", files.links().display()), e))?;
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let mut server = Self::spawn(files, env, port)?;
            match server.wait_ready(http).await {
                Ok(()) => return Ok(server),
                // Exited: most likely the port was taken after we chose it; try another.
                Err(e) => last_error = e,
            }
        }
        Err(EngineError::Unavailable(format!(
            "Spark's History Server did not start ({last_error}); its output is in {}",
            files.log().display()
        )))
    }

    fn spawn(files: &ServerFiles, env: &SparkEnv, port: u16) -> Result<Self> {
        let properties: BTreeMap<String, String> = [
            ("spark.history.fs.logDirectory", format!("file:{}", files.links().display())),
            ("spark.history.ui.port", port.to_string()),
            ("spark.history.fs.update.interval", UPDATE_INTERVAL.into()),
            ("spark.history.retainedApplications", RETAINED_APPLICATIONS.into()),
            // The logs are the jobs' own: removed with their jobs, never by the server.
            ("spark.history.fs.cleaner.enabled", "false".into()),
            // Exactly the port chosen (no silent move to the next), so its URL is known.
            ("spark.port.maxRetries", "0".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        write_private_properties(&files.properties(), &properties)
            .map_err(|e| EngineError::io(format!("cannot write {}", files.properties().display()), e))?;
        let log = File::create(files.log()).map_err(|e| EngineError::io(format!("cannot create {}", files.log().display()), e))?;
        let err = log.try_clone().map_err(|e| EngineError::io("cannot open the History Server's log", e))?;
        // A shell leads the group and holds the read end of a pipe whose write end only this
        // process has (`child.stdin`, close-on-exec here): when the engine's process ends,
        // however it ends, the read sees EOF and the shell kills its group, so no History
        // Server outlives the app or server that started it.
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(r#""$@" </dev/null & read _ ; kill -KILL 0"#)
            .arg("sparkdeck-history-server")
            .arg(env.spark_home.join("bin").join("spark-class"))
            .arg(MAIN_CLASS)
            .arg("--properties-file")
            .arg(files.properties())
            .env("SPARK_HOME", &env.spark_home)
            // Spark's web UIs bind to SPARK_LOCAL_IP (else every interface) and link to
            // SPARK_PUBLIC_DNS.
            .env("SPARK_LOCAL_IP", "127.0.0.1")
            .env("SPARK_PUBLIC_DNS", "127.0.0.1")
            .env("SPARK_DAEMON_MEMORY", DAEMON_MEMORY)
            .env("SPARK_HISTORY_OPTS", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(err)
            // Its own group: a stop reaches the launcher and the JVM alike.
            .process_group(0);
        if let Some(java_home) = &env.java_home {
            command.env("JAVA_HOME", java_home);
        }
        let child = command.spawn().map_err(|e| EngineError::io("cannot start Spark's History Server", e))?;
        let pid = child.id();
        let start_ticks = i32::try_from(pid).ok().and_then(proc_stat).map_or(0, |s| s.start_ticks);
        let _ = fs::write(files.pid_file(), format!("{pid} {start_ticks}\n"));
        Ok(Self { child, port, pid_file: files.pid_file() })
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> std::result::Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let version = format!("{}/api/v1/version", self.url());
        loop {
            if !self.is_running() {
                return Err("it exited".into());
            }
            if http.get(&version).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("not answering after {} s", START_TIMEOUT.as_secs()));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Nothing to save: the server only reads. SIGKILL, then reap (quick after SIGKILL).
        let group = i32::try_from(self.child.id()).ok();
        if let Some(group) = group {
            let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        }
        let _ = self.child.wait();
        // The JVM is the shell's child: reaping the shell does not wait for it, and a killed
        // JVM takes a moment to unmap its heap. Its owner is told "stopped" once it is gone.
        if let Some(group) = group {
            let deadline = Instant::now() + Duration::from_secs(5);
            while group_members(group) > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = fs::remove_file(&self.pid_file);
        tracing::info!(port = self.port, "History Server stopped");
    }
}

/// Kills the group of a server a crashed engine left (same pid and start time).
fn kill_leftover(pid_file: &Path) {
    let Ok(text) = fs::read_to_string(pid_file) else { return };
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    if let (Some(Ok(pid)), Some(Ok(start_ticks))) = (fields.next(), fields.next())
        && let Ok(pid) = i32::try_from(pid)
        && proc_stat(pid).is_some_and(|s| s.start_ticks == start_ticks && s.pgrp == pid)
        && group_members(pid) > 0
    {
        tracing::warn!(pid, "killing a History Server a previous engine left");
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = fs::remove_file(pid_file);
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| EngineError::io("cannot find a free port", e))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| EngineError::io("cannot find a free port", e))
}
