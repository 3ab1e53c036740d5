//! Groups of interactive drivers and the requests they serve. A [`Group`] keeps `scale`
//! long-running drivers (jobs of type INTERACTIVE); every request sent to it is a
//! [`JobInstance`]. [`InstanceRequest`] parses the execute/submit body with errors that
//! name the field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{EngineError, Result};
use crate::model::job::{Job, JobSpec, JobState, Language};
use crate::model::memory_settings::MemorySettings;

pub use super::request::{GroupRequest, InstanceRequest, RequestOptions, RequestType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupKind {
    /// Runs job classes (`interactive_job_execute`).
    Job,
    /// Runs code snippets and completes code (`interactive_code_execute`/`_complete`).
    Code,
}

impl GroupKind {
    pub const ALL: [GroupKind; 2] = [Self::Job, Self::Code];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Job => "JOB",
            Self::Code => "CODE",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| EngineError::invalid(field, format!("'{value}' is not a group kind (JOB or CODE)")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupState {
    Active,
    Archived,
}

impl GroupState {
    pub const ALL: [GroupState; 2] = [Self::Active, Self::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Archived => "ARCHIVED",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| EngineError::invalid(field, format!("'{value}' is not a group state (ACTIVE or ARCHIVED)")))
    }
}

/// A group as the API shows it. `jobs` are its drivers (newest first, at most
/// [`MAX_LISTED_DRIVERS`]). Extensions: `paused`, `pyRequirements`, `updatedTime`.
/// `autoPause` is the platform's (1.5.3); `packages` and `memorySettings` are the spec's, as
/// [`GroupRecord`] keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: GroupKind,
    pub tags: BTreeMap<String, String>,
    pub language: Language,
    pub cluster_name: String,
    pub state: GroupState,
    pub scale: u32,
    pub job_config: BTreeMap<String, String>,
    pub py_requirements: Vec<String>,
    /// Maven coordinates, comma-joined (1.5.3 `groupInfo`).
    pub packages: String,
    pub memory_settings: MemorySettings,
    /// Drivers are stopped but the group stays ACTIVE (`/pause`, undone by `/resume`).
    pub paused: bool,
    /// Paused by the engine once its drivers were idle for `auto_pause_idle`; the next
    /// request resumes it and waits in the queue for a driver.
    pub auto_pause: bool,
    pub created_time: i64,
    pub updated_time: i64,
    pub archived_time: i64,
    pub jobs: Vec<Job>,
}

/// Drivers listed in a group's `jobs`.
pub const MAX_LISTED_DRIVERS: u32 = 50;

/// The files a group's drivers are launched with, as its creator named them: the local
/// paths its jars were read from (an uploaded jar by its name), and the names its files
/// and Python files were uploaded under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFiles {
    pub jars: Vec<String>,
    pub py_files: Vec<String>,
    pub files: Vec<String>,
}

/// A stored group with what only the engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub group: Group,
    pub cluster_id: String,
    /// Artifacts, Spark conf and requirements every driver is launched with.
    pub spec: JobSpec,
    /// The local files its jars were read from (desktop app, `jarPaths`), if any.
    pub jar_paths: Vec<std::path::PathBuf>,
    /// A rebuilt file of `jar_paths` is redeployed to the drivers (`jar_watch.rs`).
    pub watch_jars: bool,
}

impl GroupRecord {
    pub fn files(&self) -> GroupFiles {
        let names = |refs: &[super::job::ArtifactRef]| refs.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        let from_paths: Vec<&std::ffi::OsStr> = self.jar_paths.iter().filter_map(|p| p.file_name()).collect();
        let mut jars: Vec<String> = self.jar_paths.iter().map(|p| p.display().to_string()).collect();
        jars.extend(self.spec.jars.iter().filter(|a| !from_paths.contains(&std::ffi::OsStr::new(&a.name))).map(|a| a.name.clone()));
        GroupFiles { jars, py_files: names(&self.spec.py_files), files: names(&self.spec.files) }
    }
}

/// One request to a group (API: job instance). `state` is SUBMITTED while queued, BUSY
/// while a driver runs it, then FINISHED, FAILED or CANCELED. Extensions: `state`,
/// `type`, `code`, `cursor`, `completions`, `submitTime`, `language`, `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct JobInstance {
    pub job_instance_id: String,
    /// The driver that runs (or ran) it; null while queued.
    pub job_id: Option<String>,
    pub group_id: String,
    #[serde(rename = "type")]
    pub request_type: RequestType,
    pub state: JobState,
    pub job_class: Option<String>,
    pub job_config: serde_json::Map<String, Value>,
    pub code: Option<String>,
    pub cursor: Option<u32>,
    /// The string the job or cell returned; for a completion, the completions as a JSON array.
    pub result: Option<String>,
    pub completions: Option<Vec<String>>,
    /// The interpreter a code request ran in (its own `language`, else the group's); null
    /// for job classes.
    #[serde(default)]
    pub language: Option<Language>,
    /// The agent's answer keyed by MIME type (`text/plain`, `application/json` — a SQL
    /// result's `{schema, data, truncated}` —, `image/png`, …); null when it sent none.
    #[serde(default)]
    pub data: Option<serde_json::Map<String, Value>>,
    pub error: Option<InstanceError>,
    pub submit_time: i64,
    pub start_time: i64,
    pub end_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct InstanceError {
    pub message: String,
    pub stack_trace: String,
}

impl InstanceError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), stack_trace: String::new() }
    }
}

/// The jobConfig key that names more interpreters for a group's drivers to warm up (a
/// comma list of languages, e.g. `SCALA`), beside the ones [`driver_interpreters`] always lists.
pub const INTERPRETERS_KEY: &str = "sparkdeck.interpreters";

/// A group's language: a CODE group's is the default interpreter of its cells (SCALA when
/// not given, as the platform documents; PYTHON or SQL); a JOB group's is that of its job
/// classes (SCALA: JVM classes, PYTHON: Python classes), never SQL.
pub fn group_language(kind: GroupKind, given: &str) -> Result<Language> {
    match (given.trim(), kind) {
        ("", _) => Ok(Language::Scala),
        (l, GroupKind::Code) => Language::parse("language", l),
        (l, GroupKind::Job) => match Language::parse("language", l)? {
            Language::Sql => Err(EngineError::invalid("language", "SQL is for CODE groups; a JOB group's classes are SCALA (JVM) or PYTHON")),
            language => Ok(language),
        },
    }
}

/// The interpreters a group's drivers warm up before they are READY: a CODE group's own
/// language, SQL and PYTHON (which cost nothing), and those its jobConfig names under
/// [`INTERPRETERS_KEY`], in that order without repeats. A bad entry is refused naming
/// `jobConfig`.
pub fn driver_interpreters(kind: GroupKind, language: Language, config: &BTreeMap<String, String>) -> Result<Vec<Language>> {
    let mut list = Vec::new();
    if kind == GroupKind::Code {
        list.push(language);
    }
    list.extend([Language::Sql, Language::Python]);
    for entry in config.get(INTERPRETERS_KEY).map(String::as_str).unwrap_or("").split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let named = Language::parse("jobConfig", entry).map_err(|_| {
            EngineError::invalid("jobConfig", format!("{INTERPRETERS_KEY}: '{entry}' is not an interpreter (SCALA, PYTHON or SQL)"))
        })?;
        list.push(named);
    }
    let mut seen = Vec::new();
    list.retain(|l| !seen.contains(l) && {
        seen.push(*l);
        true
    });
    Ok(list)
}

/// Group names appear in URLs (`/group/name/{name}`): letters, digits, `-`, `_`, `.`.
pub fn validate_group_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(EngineError::invalid(field, "is required"));
    }
    if name.chars().count() > 100 {
        return Err(EngineError::invalid(field, "is longer than 100 characters"));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')) || name.trim() != name {
        return Err(EngineError::invalid(
            field,
            format!("'{}' may only hold letters, digits, spaces, '-', '_' and '.'", name.escape_default()),
        ));
    }
    Ok(())
}

/// A group's scale against the configured maximum.
pub fn check_scale(field: &str, scale: u32, max: u32) -> Result<u32> {
    if scale > max {
        return Err(EngineError::invalid(field, format!("{scale} is not between 0 and {max}")));
    }
    Ok(scale)
}

/// A scale as text (a REST form field or path segment).
pub fn parse_scale(field: &str, text: &str) -> Result<u32> {
    text.trim().parse().map_err(|_| EngineError::invalid(field, format!("'{}' is not a whole number from 0 up", text.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_kind() {
        assert_eq!(group_language(GroupKind::Code, "").unwrap(), Language::Scala);
        assert_eq!(group_language(GroupKind::Job, "").unwrap(), Language::Scala);
        assert_eq!(group_language(GroupKind::Code, "sql").unwrap(), Language::Sql);
        assert_eq!(group_language(GroupKind::Code, "PYTHON").unwrap(), Language::Python);
        let refused = group_language(GroupKind::Job, "SQL").unwrap_err();
        assert_eq!(refused.field(), Some("language"));
        assert!(refused.to_string().contains("CODE groups"), "{refused}");
        assert_eq!(group_language(GroupKind::Code, "R").unwrap_err().field(), Some("language"));
    }

    #[test]
    fn interpreters_are_the_language_the_free_ones_and_the_named_ones() {
        use Language::*;
        let conf = |v: &str| BTreeMap::from([(INTERPRETERS_KEY.to_string(), v.to_string())]);
        assert_eq!(driver_interpreters(GroupKind::Code, Scala, &BTreeMap::new()).unwrap(), [Scala, Sql, Python]);
        assert_eq!(driver_interpreters(GroupKind::Code, Python, &BTreeMap::new()).unwrap(), [Python, Sql]);
        assert_eq!(driver_interpreters(GroupKind::Code, Sql, &conf(" scala , PYTHON,")).unwrap(), [Sql, Python, Scala]);
        // A JOB group's SCALA is its classes' language: no Scala interpreter unless named.
        assert_eq!(driver_interpreters(GroupKind::Job, Scala, &BTreeMap::new()).unwrap(), [Sql, Python]);
        assert_eq!(driver_interpreters(GroupKind::Job, Python, &conf("SCALA")).unwrap(), [Sql, Python, Scala]);
        let refused = driver_interpreters(GroupKind::Code, Python, &conf("SCALA,R")).unwrap_err();
        assert_eq!(refused.field(), Some("jobConfig"));
        assert!(refused.to_string().contains("'R'"), "{refused}");
    }

    #[test]
    fn names_and_scales() {
        assert!(validate_group_name("name", "etl-2024_v1.0").is_ok());
        for bad in ["", "a/b", " lead", "x?y"] {
            assert_eq!(validate_group_name("name", bad).unwrap_err().field(), Some("name"), "{bad}");
        }
        assert_eq!(parse_scale("scale", " 3 ").and_then(|s| check_scale("scale", s, 8)).unwrap(), 3);
        for bad in ["-1", "9", "x", ""] {
            assert_eq!(parse_scale("scale", bad).and_then(|s| check_scale("scale", s, 8)).unwrap_err().field(), Some("scale"), "{bad}");
        }
    }
}
