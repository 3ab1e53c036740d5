//! Single jobs: one `spark-submit` each. [`Job`] is what clients see; [`JobSpec`] is what
//! the runtime needs to launch it (stored as JSON beside the indexed columns).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::model::error_cause::ErrorCause;
use crate::model::memory_settings::MemorySettings;
use crate::model::secret::{Secret, mask_settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Accepted, waiting for a free slot on its cluster.
    Submitted,
    /// The driver is being launched (and its Python environment built, if any).
    Starting,
    /// An interactive driver is up and idle (groups only).
    Ready,
    /// Running: the SparkContext is up.
    Busy,
    Failed,
    Finished,
    /// Stopped on request.
    Canceled,
    /// Contact lost and the outcome cannot be read.
    Unknown,
}

impl JobState {
    pub const ALL: [JobState; 8] = [
        Self::Submitted,
        Self::Starting,
        Self::Ready,
        Self::Busy,
        Self::Failed,
        Self::Finished,
        Self::Canceled,
        Self::Unknown,
    ];
    /// States a job leaves on its own; every other state is final.
    pub const ACTIVE: [JobState; 4] = [Self::Submitted, Self::Starting, Self::Ready, Self::Busy];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Starting => "STARTING",
            Self::Ready => "READY",
            Self::Busy => "BUSY",
            Self::Failed => "FAILED",
            Self::Finished => "FINISHED",
            Self::Canceled => "CANCELED",
            Self::Unknown => "UNKNOWN",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(value.trim())).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            EngineError::invalid(field, format!("'{value}' is not a job state ({})", names.join(", ")))
        })
    }

    pub fn is_terminal(self) -> bool {
        !Self::ACTIVE.contains(&self)
    }

    /// Whether the state machine allows `self → next`. Final states never change; a job
    /// only moves forward (SUBMITTED → STARTING → BUSY → end), and may end from any
    /// active state.
    pub fn can_become(self, next: JobState) -> bool {
        use JobState::*;
        match (self, next) {
            (from, _) if from.is_terminal() => false,
            (_, Failed | Finished | Canceled | Unknown) => true,
            (Submitted, Starting | Busy) | (Starting, Busy | Ready) | (Ready, Busy) | (Busy, Ready) => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobType {
    Single,
    Interactive,
    Shell,
}

impl JobType {
    pub const ALL: [JobType; 3] = [Self::Single, Self::Interactive, Self::Shell];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "SINGLE",
            Self::Interactive => "INTERACTIVE",
            Self::Shell => "SHELL",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| EngineError::invalid(field, format!("'{value}' is not a job type (SINGLE, INTERACTIVE, SHELL)")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Language {
    /// Any JVM language: a main class in a jar; in a CODE group, Scala cells.
    Scala,
    Python,
    /// SQL cells (CODE groups and their requests only, an extension): no job runs SQL.
    Sql,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scala => "SCALA",
            Self::Python => "PYTHON",
            Self::Sql => "SQL",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "SCALA" | "JAVA" => Ok(Self::Scala),
            "PYTHON" => Ok(Self::Python),
            "SQL" => Ok(Self::Sql),
            _ => Err(EngineError::invalid(field, format!("'{value}' is not a language (SCALA, PYTHON or SQL)"))),
        }
    }

    /// The language of something launched as a job of its own (a single job, a schedule's
    /// run, a JOB group's classes): SQL is only a cell's language, in a CODE group.
    pub fn parse_for_jobs(field: &str, value: &str) -> Result<Self> {
        match Self::parse(field, value)? {
            Self::Sql => Err(EngineError::invalid(
                field,
                "SQL runs only as cells of a CODE group; a job is SCALA (a main class in a jar) or PYTHON (a script)",
            )),
            language => Ok(language),
        }
    }
}

/// A job as the API shows it. Times are epoch milliseconds, 0 until reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub job_id: String,
    pub group_id: Option<String>,
    pub job_name: String,
    pub job_type: JobType,
    pub tags: BTreeMap<String, String>,
    pub language: Language,
    pub cluster_name: String,
    pub app_id: Option<String>,
    pub state: JobState,
    pub error: Option<String>,
    /// Why it failed, in plain words (extension): set once when a job ends FAILED and a
    /// known cause explains it, else null.
    // Boxed, like `settings`: jobs travel in every event.
    pub error_cause: Option<Box<ErrorCause>>,
    /// Where the running application's Spark UI (and Spark's REST API under `/api/v1`)
    /// answers from this machine (extension): `http://127.0.0.1:PORT`, no trailing slash.
    /// Null until the driver bound it, when the UI is off, and once the job ended.
    #[serde(default)]
    pub spark_ui_url: Option<String>,
    pub submit_time: i64,
    pub start_time: i64,
    pub end_time: i64,
    /// The schedule this job is a run of (extension; it stays when the schedule is deleted).
    pub schedule_id: Option<String>,
    /// 1 for a first run; each retry of a failed attempt is the next number.
    pub attempt: u32,
    /// How often a failed attempt is submitted again (0–10).
    pub max_retries: u32,
    /// The median duration (ms) of the previous five FINISHED runs of this name (extension;
    /// null with fewer than three such runs, and in change events: it is worked out when jobs
    /// are listed or read). Never 0, so it takes 8 bytes: jobs travel in every event.
    #[serde(default)]
    pub usual_duration_ms: Option<std::num::NonZeroI64>,
    /// A FINISHED run that took at least 1.5× `usualDurationMs` (extension).
    #[serde(default)]
    pub slower_than_usual: bool,
    /// What it was submitted with (1.5.3 `jobInfo`), as [`JobSpec::shown`] makes it
    /// (boxed: jobs travel in every event).
    #[serde(flatten)]
    pub settings: Box<JobSettings>,
}

/// The settings a job shows back (API 1.5.3 `jobInfo`): secret `jobConfig` values masked,
/// `pyRequirements` `;`-joined, `packages` comma-joined.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct JobSettings {
    pub job_class: Option<String>,
    pub job_config: BTreeMap<String, String>,
    pub args: Vec<String>,
    pub py_requirements: String,
    pub packages: String,
    pub memory_settings: MemorySettings,
}

/// One uploaded file a job uses: its name as uploaded (what Spark sees) and its content
/// address in the artifact store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRef {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// What the runtime needs to launch a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct JobSpec {
    pub job_class: Option<String>,
    pub jars: Vec<ArtifactRef>,
    pub files: Vec<ArtifactRef>,
    pub py_files: Vec<ArtifactRef>,
    pub config: BTreeMap<String, String>,
    pub requirements: Vec<String>,
    pub args: Vec<String>,
    /// Maven coordinates resolved once into the data directory's package cache.
    pub packages: Vec<String>,
    pub memory: MemorySettings,
    /// Interactive drivers: the secret the engine and the driver agent share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_secret: Option<Secret>,
}

impl JobSpec {
    pub fn artifacts(&self) -> impl Iterator<Item = &ArtifactRef> {
        self.jars.iter().chain(&self.files).chain(&self.py_files)
    }

    /// What a job launched from this spec shows of it.
    pub fn shown(&self) -> Box<JobSettings> {
        Box::new(JobSettings {
            job_class: self.job_class.clone(),
            job_config: mask_settings(&self.config),
            args: self.args.clone(),
            py_requirements: self.requirements.join(";"),
            packages: self.packages.join(","),
            memory_settings: self.memory.clone(),
        })
    }
}

/// A stored job with what only the engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub job: Job,
    pub cluster_id: String,
    pub spec: JobSpec,
    /// What runs it, once launched.
    pub driver: Option<crate::model::driver::DriverRef>,
    /// A queued retry launches no earlier than this (epoch ms; 0: at once).
    pub not_before: i64,
    /// The due time a schedule's run is for (0: not a due run).
    pub due_time: i64,
}

impl JobRecord {
    /// A record of `job` to be launched at once.
    pub fn new(job: Job, cluster_id: String, spec: JobSpec) -> Self {
        Self { job, cluster_id, spec, driver: None, not_before: 0, due_time: 0 }
    }
}

/// One log of a job (`GET /job/{id}/logs`): a window of lines counted from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct JobLog {
    pub name: String,
    #[serde(rename = "type")]
    pub log_type: String,
    pub role: String,
    pub state: JobState,
    pub from: u64,
    /// The number of lines in `log`.
    pub log_size: u64,
    /// Lines in the whole log so far (an extension: lets a client page to the end).
    pub total_lines: u64,
    pub file_name: String,
    pub log: Vec<String>,
    /// The window ended before `logSize` lines because the answer reached its byte limit
    /// (an extension: the next lines start at `from + logSize`).
    pub truncated: bool,
    /// Lines rotated out of the log before its line 0 (an extension: the newest of them
    /// are in `<fileName>.1` …, as many parts as the engine keeps).
    pub rotated_lines: u64,
}

const MAX_JOB_NAME: usize = 200;

/// Job names are free text shown in lists: any printable text up to 200 characters.
pub fn validate_job_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(EngineError::invalid(field, "is required"));
    }
    if name.chars().count() > MAX_JOB_NAME {
        return Err(EngineError::invalid(field, format!("is longer than {MAX_JOB_NAME} characters")));
    }
    if name.contains(char::is_control) {
        return Err(EngineError::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A JVM class name: dot-separated identifiers (`$` allowed for nested classes).
pub fn validate_class_name(field: &str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.split('.').all(|part| {
            part.starts_with(|c: char| c.is_alphabetic() || c == '_' || c == '$')
                && part.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        });
    if valid { Ok(()) } else { Err(EngineError::invalid(field, format!("'{name}' is not a JVM class name"))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_and_classify() {
        assert_eq!(JobState::parse("jobStates", "busy").unwrap(), JobState::Busy);
        assert_eq!(JobState::parse("jobStates", "nope").unwrap_err().field(), Some("jobStates"));
        assert!(JobState::Canceled.is_terminal() && !JobState::Starting.is_terminal());
    }

    #[test]
    fn state_machine_moves_forward_only() {
        use JobState::*;
        assert!(Submitted.can_become(Starting) && Starting.can_become(Busy) && Busy.can_become(Finished));
        assert!(Submitted.can_become(Canceled) && Starting.can_become(Failed));
        assert!(!Busy.can_become(Starting) && !Starting.can_become(Submitted));
        for end in [Failed, Finished, Canceled, Unknown] {
            assert!(JobState::ALL.iter().all(|next| !end.can_become(*next)), "{end:?} is final");
        }
    }

    #[test]
    fn names_and_classes() {
        assert!(validate_job_name("name", "My job #1").is_ok());
        assert_eq!(validate_job_name("name", "").unwrap_err().field(), Some("name"));
        assert!(validate_job_name("name", "a\u{0}b").is_err());
        assert!(validate_class_name("jobClass", "com.example.Main$Inner").is_ok());
        for bad in ["", "a..b", "1x.Y", "a.b;rm", "a b"] {
            assert!(validate_class_name("jobClass", bad).is_err(), "{bad}");
        }
        assert_eq!(Language::parse("language", "python").unwrap(), Language::Python);
        assert!(Language::parse("language", "R").is_err());
        assert_eq!(Language::parse("language", "sql").unwrap(), Language::Sql);
        assert_eq!(Language::parse_for_jobs("language", "SQL").unwrap_err().field(), Some("language"));
        assert_eq!(Language::parse_for_jobs("language", "java").unwrap(), Language::Scala);
    }
}
