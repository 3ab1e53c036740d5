//! Why a failed job failed, in plain words: a pure classifier over what the end left — the
//! cluster's verdict (a Kubernetes pod reason), the exit code, and bounded tails of the
//! driver's and executors' logs — and the reader that gathers those tails. Specific causes
//! are tried before general ones (a stage failure whose root is a missing module is a
//! missing module); a failure that matches none has no cause.

use std::path::Path;

use crate::log_index;
use crate::model::error_cause::{ErrorCause, ErrorCauseKind as Kind};
use crate::runtime::Exit;
use crate::runtime::job_dir::{self, DRIVER_STDERR, DRIVER_STDOUT};

/// How much of the end of each driver log is read.
const DRIVER_TAIL_BYTES: u64 = 256 * 1024;
/// How much of the end of each executor log is read, and of how many executors.
const EXECUTOR_TAIL_BYTES: u64 = 64 * 1024;
const MAX_EXECUTORS_READ: usize = 16;
/// The longest summary kept (a message can be a whole serialized plan).
const MAX_SUMMARY_CHARS: usize = 300;
/// Kubernetes' waiting reasons for an image that will not be pulled.
const IMAGE_FAILURES: [&str; 4] = ["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"];

const DRIVER_MEMORY_HINT: &str =
    "Raise driverMemory (spark.driver.memory), or bring less to the driver: take/limit or write the result out instead of collect.";
const EXECUTOR_MEMORY_HINT: &str = "Raise executorMemory (spark.executor.memory) or spark.executor.memoryOverhead (off-heap and \
     Python memory count against the container), or use more partitions so each task holds less.";

/// What a failed driver left to judge by.
#[derive(Debug, Default)]
pub(crate) struct Evidence<'a> {
    /// The cluster's verdict, when it gave one (`the driver exited with code 137 (OOMKilled)`).
    pub(crate) reported: Option<&'a str>,
    pub(crate) exit_code: Option<i32>,
    /// The end of the driver's logs.
    pub(crate) driver_log: &'a str,
    /// The end of each executor's logs.
    pub(crate) executor_logs: &'a [String],
}

/// Reads the evidence a failed job's directory holds (bounded tails only) and classifies it.
pub(crate) fn read_cause(exit: &Exit, dir: &Path) -> Option<ErrorCause> {
    let driver_log: String =
        [DRIVER_STDERR, DRIVER_STDOUT].iter().map(|name| log_index::tail_text(&dir.join(name), DRIVER_TAIL_BYTES)).collect::<Vec<_>>().join("\n");
    let executor_logs: Vec<String> = job_dir::log_resources(dir)
        .into_iter()
        .filter(|log| log.role == "executor")
        .take(MAX_EXECUTORS_READ * 2)
        .map(|log| log_index::tail_text(&log.path, EXECUTOR_TAIL_BYTES))
        .collect();
    let (reported, exit_code) = match exit {
        Exit::Code(code) => (None, *code),
        Exit::Reported(Err(reason)) => (Some(reason.as_str()), None),
        Exit::Reported(Ok(())) => (None, None),
    };
    classify(&Evidence { reported, exit_code, driver_log: &driver_log, executor_logs: &executor_logs })
}

/// The cause of a failure, or `None` when nothing known explains it.
pub(crate) fn classify(e: &Evidence) -> Option<ErrorCause> {
    let log = e.driver_log;
    let executors = || e.executor_logs.iter().map(String::as_str);
    e.reported
        .and_then(image_pull)
        .or_else(|| e.reported.and_then(driver_killed_for_memory))
        .or_else(|| std::iter::once(log).chain(executors()).find_map(python_version_mismatch))
        .or_else(|| missing_python_module(log))
        .or_else(|| missing_class(log))
        .or_else(|| out_of_memory_in_driver_log(log))
        .or_else(|| executor_container_killed(log))
        .or_else(|| missing_input(log))
        .or_else(|| executor_lost(log))
        .or_else(|| stage_failure(log))
        .or_else(|| executors().find_map(out_of_memory_in_executor_log))
        .or_else(|| (e.exit_code == Some(137)).then(driver_killed))
}

fn cause(kind: Kind, summary: impl Into<String>, hint: impl Into<String>) -> Option<ErrorCause> {
    Some(ErrorCause { kind, summary: bounded(summary.into()), hint: hint.into() })
}

fn bounded(text: String) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The last line of `text` that contains `needle`, and what follows the needle on it.
fn last_after<'t>(text: &'t str, needle: &str) -> Option<(&'t str, &'t str)> {
    text.lines().rev().find_map(|line| line.rfind(needle).map(|at| (line, &line[at + needle.len()..])))
}

/// The first whitespace-free word of `text`, without the punctuation a sentence ends with.
fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("").trim_end_matches(['.', ',', ';', ')', '\'', '"'])
}

fn image_pull(reported: &str) -> Option<ErrorCause> {
    let reason = IMAGE_FAILURES.iter().find(|r| reported.contains(**r))?;
    cause(
        Kind::ImagePull,
        reported,
        format!(
            "Kubernetes cannot pull the driver's image ({reason}): check the image name and tag \
             (spark.kubernetes.container.image), that the nodes reach its registry, and the pull secret \
             (spark.kubernetes.container.image.pullSecrets)."
        ),
    )
}

fn driver_killed_for_memory(reported: &str) -> Option<ErrorCause> {
    reported.contains("OOMKilled").then_some(())?;
    cause(
        Kind::DriverOutOfMemory,
        "the driver's container was killed for going over its memory limit (OOMKilled)",
        "Raise driverMemory (spark.driver.memory) or spark.driver.memoryOverhead: the container's limit is their sum.",
    )
}

fn driver_killed() -> ErrorCause {
    ErrorCause {
        kind: Kind::DriverOutOfMemory,
        summary: "the driver was killed (exit code 137, SIGKILL: most often the system running out of memory)".into(),
        hint: DRIVER_MEMORY_HINT.into(),
    }
}

fn python_version_mismatch(log: &str) -> Option<ErrorCause> {
    let (line, _) = last_after(log, "PYTHON_VERSION_MISMATCH").or_else(|| last_after(log, "Python in worker has different version"))?;
    let summary = line.find("Python in worker").map_or(line, |at| &line[at..]);
    cause(
        Kind::PythonVersionMismatch,
        summary,
        "Run the driver and the executors on the same Python minor version: point spark.pyspark.python and \
         spark.pyspark.driver.python (or PYSPARK_PYTHON) at matching interpreters, or use an image with the driver's Python.",
    )
}

fn missing_python_module(log: &str) -> Option<ErrorCause> {
    let (_, rest) = last_after(log, "No module named '")?;
    let module = rest.split('\'').next().filter(|m| !m.is_empty())?;
    let top = module.split('.').next().unwrap_or(module);
    cause(
        Kind::MissingPythonModule,
        format!("the Python module '{module}' is not installed"),
        format!("Add the package that provides '{top}' to pyRequirements, or ship the module in pyFiles."),
    )
}

fn missing_class(log: &str) -> Option<ErrorCause> {
    let found = ["ClassNotFoundException: ", "NoClassDefFoundError: ", "Failed to load class "]
        .iter()
        .filter_map(|needle| {
            let (line, rest) = last_after(log, needle)?;
            let position = log.rfind(line)?;
            Some((position, first_word(rest).replace('/', ".")))
        })
        .filter(|(_, class)| !class.is_empty())
        .max_by_key(|(position, _)| *position)?;
    let class = found.1;
    cause(
        Kind::MissingClass,
        format!("the JVM class {class} is not on the classpath"),
        "Add the jar that holds it to jars, or its Maven coordinates to packages; for the main class, check jobClass.",
    )
}

/// Heap exhaustion seen by the driver: its own, or a task's on an executor (the line of a
/// lost task names the executor; `executor driver` is the driver itself in local mode).
fn out_of_memory_in_driver_log(log: &str) -> Option<ErrorCause> {
    let (line, what) = last_after(log, "java.lang.OutOfMemoryError")?;
    let what = what.trim_start_matches(':').trim();
    let what = if what.is_empty() { "OutOfMemoryError" } else { what };
    match task_executor(line).filter(|id| *id != "driver") {
        Some(executor) => cause(Kind::ExecutorOutOfMemory, format!("executor {executor} ran out of memory ({what})"), EXECUTOR_MEMORY_HINT),
        None => cause(Kind::DriverOutOfMemory, format!("the driver ran out of memory ({what})"), DRIVER_MEMORY_HINT),
    }
}

fn out_of_memory_in_executor_log(log: &str) -> Option<ErrorCause> {
    let (_, what) = last_after(log, "java.lang.OutOfMemoryError")?;
    let what = what.trim_start_matches(':').trim();
    cause(Kind::ExecutorOutOfMemory, format!("an executor ran out of memory ({})", if what.is_empty() { "OutOfMemoryError" } else { what }), EXECUTOR_MEMORY_HINT)
}

/// The executor a `Lost task 0.3 in stage 1.0 (TID 4) (host executor 1): …` line names.
fn task_executor(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once(" executor ")?;
    rest.split([')', ' ', ':']).next().filter(|id| !id.is_empty())
}

/// An executor whose container was killed: Kubernetes' `exited with exit code 137(SIGKILL,
/// possible container OOM)`, YARN's `Container killed … exceeding memory limits`.
fn executor_container_killed(log: &str) -> Option<ErrorCause> {
    let line = log.lines().rev().find(|l| {
        l.contains("possible container OOM") || l.contains("exit code 137") || (l.contains("Container killed") && l.contains("memory"))
    })?;
    let executor = executor_id(line).map_or_else(|| "an executor".to_string(), |id| format!("executor {id}"));
    cause(Kind::ExecutorOutOfMemory, format!("{executor}'s container was killed for memory (exit code 137)"), EXECUTOR_MEMORY_HINT)
}

/// The id in `executor 3`, `ExecutorLostFailure (executor 3 exited …)`, `executor with id 3`.
fn executor_id(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once("executor with id ").or_else(|| line.split_once("executor "))?;
    rest.split([')', ' ', ':', ',']).next().filter(|id| !id.is_empty())
}

fn missing_input(log: &str) -> Option<ErrorCause> {
    let path = ["Path does not exist: ", "Input path does not exist: ", "FileNotFoundException: "]
        .iter()
        .filter_map(|needle| {
            let (line, rest) = last_after(log, needle)?;
            let rest = rest.trim_start().strip_prefix("File ").unwrap_or(rest.trim_start());
            Some((log.rfind(line)?, first_word(rest).to_string()))
        })
        .filter(|(_, path)| !path.is_empty())
        .max_by_key(|(position, _)| *position)?
        .1;
    cause(
        Kind::MissingInput,
        format!("the input path {path} does not exist"),
        "Check the path: it must exist where the driver and the executors read it (on a cluster, in storage every node reaches).",
    )
}

fn executor_lost(log: &str) -> Option<ErrorCause> {
    let (line, _) = last_after(log, "ExecutorLostFailure").or_else(|| last_after(log, "Lost executor "))?;
    let executor = executor_id(line).map_or_else(|| "an executor".to_string(), |id| format!("executor {id}"));
    let reason = line
        .split_once("Reason: ")
        .or_else(|| line.split_once(" on ").and_then(|(_, host)| host.split_once(": ")))
        .map_or("", |(_, r)| r.trim());
    let summary = if reason.is_empty() { format!("{executor} was lost") } else { format!("{executor} was lost: {reason}") };
    cause(
        Kind::ExecutorLost,
        summary,
        "See that executor's log for why its process ended: most often memory (raise spark.executor.memoryOverhead) or its node going away.",
    )
}

/// `Job aborted due to stage failure: …`: the innermost `Caused by:` of the trace that
/// follows, else the task's own exception on the abort line.
fn stage_failure(log: &str) -> Option<ErrorCause> {
    let needle = "Job aborted due to stage failure";
    let at = log.rfind(needle)?;
    let after = &log[at..];
    let abort_line = after.lines().next().unwrap_or("");
    let trace = after.lines().skip(1).take_while(|l| l.starts_with(char::is_whitespace) || l.starts_with("Caused by:") || l.is_empty());
    let innermost = trace.filter_map(|l| l.trim().strip_prefix("Caused by: ")).last();
    let root = innermost
        .or_else(|| abort_line.split_once("): ").map(|(_, r)| r))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(abort_line);
    cause(
        Kind::StageFailure,
        format!("a stage failed: {root}"),
        "This is the task's own exception; the executor's log has its full trace. Fix the code or data it names.",
    )
}

#[cfg(test)]
#[path = "failure_cause_tests.rs"]
mod tests;
