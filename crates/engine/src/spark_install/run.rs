//! The install's steps, each a child process in its own process group (a cancel kills
//! the whole tree): `python3 -m venv`, `pip install pyspark==4.3.0`, then a check that the
//! environment's Python imports that pyspark and has `bin/spark-submit`. The environment
//! is built in a `TempDir` beside its final place, so a failure or a cancel removes it;
//! the marker is written last, then the directory is renamed into place.
//!
//! The venv is only ever run through its `bin/python` (the rename leaves pip's own
//! scripts pointing at the temporary path, which nothing here uses).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot};

use super::layout::{self, BUILD_PREFIX, COMPLETE_MARKER};
use super::pip_output::{PipLine, explain_failure, parse_line};
use super::{InstallState, InstallStep, SPARK_VERSION, SparkInstallStatus};
use crate::engine::Engine;

/// Lines of a failed step's output kept to explain it.
const TAIL_LINES: usize = 40;
/// A progress event at least every this many downloaded bytes.
const BYTES_PER_EVENT: u64 = 1 << 20;

enum Outcome {
    Installed(PathBuf),
    Failed(String),
    Cancelled,
}

pub(super) async fn install(engine: Engine, mut cancelled: oneshot::Receiver<()>) {
    let outcome = match build(&engine, &mut cancelled).await {
        Ok(dir) => Outcome::Installed(dir),
        Err(Stop::Cancelled) => Outcome::Cancelled,
        Err(Stop::Failed(error)) => Outcome::Failed(error),
    };
    if matches!(outcome, Outcome::Installed(_)) {
        engine.forget_spark_env().await;
    }
    engine.update_spark_install(|status| {
        *status = match outcome {
            Outcome::Installed(dir) => SparkInstallStatus { state: InstallState::Succeeded, spark_dir: Some(dir), ..status.clone() },
            Outcome::Failed(error) => SparkInstallStatus { state: InstallState::Failed, error: Some(error), ..status.clone() },
            Outcome::Cancelled => SparkInstallStatus {
                state: InstallState::Cancelled,
                error: Some("the install was cancelled".into()),
                ..status.clone()
            },
        };
        true
    });
    match engine.spark_install_status() {
        s if s.state == InstallState::Succeeded => tracing::info!(dir = ?s.spark_dir, "Spark installed"),
        s => tracing::warn!(state = ?s.state, error = ?s.error, "Spark install ended without Spark"),
    }
}

enum Stop {
    Cancelled,
    Failed(String),
}

async fn build(engine: &Engine, cancelled: &mut oneshot::Receiver<()>) -> Result<PathBuf, Stop> {
    let data_dir = engine.data_dir().to_path_buf();
    let target = layout::install_dir(&data_dir);
    if layout::installed_venv(&data_dir).is_some() {
        return Ok(target);
    }
    let build = tempfile::Builder::new()
        .prefix(BUILD_PREFIX)
        .tempdir_in(&data_dir)
        .map_err(|e| Stop::Failed(format!("cannot create a directory in {}: {e}", data_dir.display())))?;
    let venv = build.path();
    let python = venv.join("bin").join("python");

    let base_python = &engine.config().spark_install_python;
    let mut create = Command::new(base_python);
    create.arg("-m").arg("venv").arg(venv);
    run_step(engine, InstallStep::CreateEnvironment, create, cancelled).await.map_err(|stop| match stop {
        StepError::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound => Stop::Failed(format!(
            "{} was not found: install Python 3 (the Debian packages python3 and python3-venv)",
            base_python.display()
        )),
        other => other.into_stop(InstallStep::CreateEnvironment),
    })?;

    set_step(engine, InstallStep::Download);
    let raw_progress = pip_has_raw_progress(&python).await;
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--no-input", "--disable-pip-version-check", "--progress-bar"])
        .arg(if raw_progress { "raw" } else { "off" })
        .arg(format!("pyspark=={SPARK_VERSION}"));
    run_step(engine, InstallStep::Download, pip, cancelled).await.map_err(|e| e.into_stop(current_step(engine)))?;

    set_step(engine, InstallStep::Check);
    let mut check = Command::new(&python);
    check.args(["-c", "import pyspark; print(pyspark.__version__)"]);
    let printed = run_step(engine, InstallStep::Check, check, cancelled).await.map_err(|e| e.into_stop(InstallStep::Check))?;
    let version = printed.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default();
    if version != SPARK_VERSION {
        return Err(Stop::Failed(format!("the installed pyspark is {version:?}, not {SPARK_VERSION}")));
    }
    if crate::spark_env::pyspark_in_venv(venv).is_none() {
        return Err(Stop::Failed("the installed pyspark has no bin/spark-submit".into()));
    }

    std::fs::write(venv.join(COMPLETE_MARKER), SPARK_VERSION)
        .and_then(|()| std::fs::rename(venv, &target))
        .map_err(|e| Stop::Failed(explain_failure(InstallStep::Install, &format!("cannot move the environment into {}: {e}", target.display()))))?;
    // Renamed: nothing is left at the temporary path to remove.
    let _ = build.keep();
    Ok(target)
}

fn set_step(engine: &Engine, step: InstallStep) {
    engine.update_spark_install(|status| {
        let changed = status.step != Some(step);
        status.step = Some(step);
        changed
    });
}

fn current_step(engine: &Engine) -> InstallStep {
    engine.spark_install_status().step.unwrap_or(InstallStep::Download)
}

/// `--progress-bar raw` came with pip 24.1; older pips refuse it, so ask first.
async fn pip_has_raw_progress(python: &Path) -> bool {
    let help = Command::new(python).args(["-m", "pip", "install", "--help"]).stdin(Stdio::null()).output().await;
    help.is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("raw"))
}

enum StepError {
    Spawn(std::io::Error),
    Cancelled,
    /// The step's exit status and the tail of its output.
    Exited(String),
}

impl StepError {
    fn into_stop(self, step: InstallStep) -> Stop {
        match self {
            Self::Cancelled => Stop::Cancelled,
            Self::Spawn(e) => Stop::Failed(format!("{} failed: {e}", step.describe())),
            Self::Exited(tail) => Stop::Failed(explain_failure(step, &tail)),
        }
    }
}

/// Runs one step to its end (its stdout, when it succeeds), reading progress from its
/// output as it goes; a cancel kills its process group.
async fn run_step(
    engine: &Engine,
    step: InstallStep,
    mut command: Command,
    cancelled: &mut oneshot::Receiver<()>,
) -> Result<String, StepError> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0).kill_on_drop(true);
    let mut child = command.spawn().map_err(StepError::Spawn)?;
    let group = child.id().and_then(|id| i32::try_from(id).ok());
    let (lines, mut received) = mpsc::channel::<String>(256);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(forward_lines(out, lines.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(forward_lines(err, lines));
    }
    let mut tail = VecDeque::with_capacity(TAIL_LINES);
    let mut stdout = String::new();
    let mut reported_bytes = 0;
    let status = loop {
        tokio::select! {
            line = received.recv() => match line {
                Some(line) => {
                    note_progress(engine, step, &line, &mut reported_bytes);
                    if step == InstallStep::Check {
                        stdout.push_str(&line);
                        stdout.push('\n');
                    }
                    if tail.len() == TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
                // Both pipes closed: the process is ending.
                None => break child.wait().await,
            },
            _ = &mut *cancelled => {
                if let Some(group) = group {
                    let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
                }
                let _ = child.wait().await;
                return Err(StepError::Cancelled);
            }
        }
    };
    match status {
        Ok(status) if status.success() => Ok(stdout),
        Ok(status) => Err(StepError::Exited(format!("{}\n({status})", Vec::from(tail).join("\n")))),
        Err(e) => Err(StepError::Spawn(e)),
    }
}

async fn forward_lines(pipe: impl AsyncRead + Unpin, lines: mpsc::Sender<String>) {
    let mut reader = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        if lines.send(line).await.is_err() {
            break;
        }
    }
}

fn note_progress(engine: &Engine, step: InstallStep, line: &str, reported_bytes: &mut u64) {
    if step != InstallStep::Download {
        return;
    }
    match parse_line(line) {
        PipLine::Step(step) => set_step(engine, step),
        PipLine::Download { total } => {
            *reported_bytes = 0;
            engine.update_spark_install(|s| {
                s.step = Some(InstallStep::Download);
                s.bytes_done = Some(0);
                s.bytes_total = total;
                true
            });
        }
        PipLine::Bytes { done, total } => {
            // An event at the first count, per MiB and at the end, not per chunk pip reads.
            if *reported_bytes == 0 || done >= *reported_bytes + BYTES_PER_EVENT || done == total {
                *reported_bytes = done;
                engine.update_spark_install(|s| {
                    s.bytes_done = Some(done);
                    s.bytes_total = Some(total);
                    true
                });
            }
        }
        PipLine::Other => {}
    }
}
