//! Groups of interactive drivers and the requests they serve. A [`Group`] keeps `scale`
//! long-running drivers (jobs of type INTERACTIVE); every request sent to it is a
//! [`JobInstance`]. [`InstanceRequest`] parses the execute/submit body with errors that
//! name the field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{EngineError, Result};
use crate::model::job::{Job, JobSpec, JobState, Language, validate_class_name};

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
    /// Drivers are stopped but the group stays ACTIVE (`/pause`, undone by `/resume`).
    pub paused: bool,
    pub created_time: i64,
    pub updated_time: i64,
    pub archived_time: i64,
    pub jobs: Vec<Job>,
}

/// Drivers listed in a group's `jobs`.
pub const MAX_LISTED_DRIVERS: u32 = 50;

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

/// One request to a group (API: job instance). `state` is SUBMITTED while queued, BUSY
/// while a driver runs it, then FINISHED, FAILED or CANCELED. Extensions: `state`,
/// `type`, `code`, `cursor`, `completions`, `submitTime`.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    InteractiveJobExecute,
    InteractiveCodeExecute,
    InteractiveCodeComplete,
}

impl RequestType {
    pub const ALL: [RequestType; 3] = [Self::InteractiveJobExecute, Self::InteractiveCodeExecute, Self::InteractiveCodeComplete];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InteractiveJobExecute => "interactive_job_execute",
            Self::InteractiveCodeExecute => "interactive_code_execute",
            Self::InteractiveCodeComplete => "interactive_code_complete",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value).ok_or_else(|| {
            EngineError::invalid(
                field,
                format!("'{value}' is not a request type (interactive_job_execute, interactive_code_execute, interactive_code_complete)"),
            )
        })
    }

    /// The group kind that serves this request type.
    pub fn kind(self) -> GroupKind {
        match self {
            Self::InteractiveJobExecute => GroupKind::Job,
            Self::InteractiveCodeExecute | Self::InteractiveCodeComplete => GroupKind::Code,
        }
    }

    /// The agent's `kind` for it.
    pub fn agent_kind(self) -> &'static str {
        match self {
            Self::InteractiveJobExecute => "job",
            Self::InteractiveCodeExecute => "code",
            Self::InteractiveCodeComplete => "complete",
        }
    }
}

/// One request to a group, as the REST body of execute/submit carries it (discriminated
/// by `type`) and as the desktop sends it. Checked by [`InstanceRequest::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)] // the API's own type names
pub enum GroupRequest {
    InteractiveJobExecute {
        #[serde(rename = "jobClass")]
        job_class: String,
        #[serde(rename = "jobConfig", default)]
        job_config: serde_json::Map<String, Value>,
    },
    InteractiveCodeExecute {
        code: String,
    },
    InteractiveCodeComplete {
        code: String,
        /// Where completion is asked for, in characters; the end of the code when absent.
        #[serde(default)]
        cursor: Option<u32>,
    },
}

impl GroupRequest {
    /// Reads a JSON body; every error names the field.
    pub fn from_json(body: &Value) -> Result<Self> {
        let Some(body) = body.as_object() else {
            return Err(EngineError::invalid("body", "must be a JSON object with a `type`"));
        };
        let request_type = match body.get("type") {
            Some(Value::String(t)) => RequestType::parse("type", t)?,
            Some(_) => return Err(EngineError::invalid("type", "must be a string")),
            None => return Err(EngineError::invalid("type", "is required (interactive_job_execute, interactive_code_execute or interactive_code_complete)")),
        };
        let text = |field: &str| -> Result<Option<String>> {
            match body.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(EngineError::invalid(field, "must be a string")),
            }
        };
        let code = || text("code")?.ok_or_else(|| EngineError::invalid("code", "is required"));
        Ok(match request_type {
            RequestType::InteractiveJobExecute => Self::InteractiveJobExecute {
                job_class: text("jobClass")?.unwrap_or_default(),
                job_config: match body.get("jobConfig") {
                    None | Some(Value::Null) => serde_json::Map::new(),
                    Some(Value::Object(map)) => map.clone(),
                    Some(other) => {
                        return Err(EngineError::invalid(
                            "jobConfig",
                            format!("must be a JSON object of settings, not {}", json_kind(other)),
                        ));
                    }
                },
            },
            RequestType::InteractiveCodeExecute => Self::InteractiveCodeExecute { code: code()? },
            RequestType::InteractiveCodeComplete => Self::InteractiveCodeComplete {
                code: code()?,
                cursor: match body.get("cursor") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_u64()
                            .and_then(|c| u32::try_from(c).ok())
                            .ok_or_else(|| EngineError::invalid("cursor", "must be a whole number, 0 or more"))?,
                    ),
                },
            },
        })
    }
}

/// A validated execute/submit request.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRequest {
    pub request_type: RequestType,
    pub job_class: Option<String>,
    pub job_config: serde_json::Map<String, Value>,
    pub code: Option<String>,
    pub cursor: Option<u32>,
}

impl InstanceRequest {
    /// Checks a request; every error names the field. `max_code` bounds `code` in bytes.
    pub fn validate(request: GroupRequest, max_code: usize) -> Result<Self> {
        let check_code = |code: &str, execute: bool| -> Result<()> {
            if code.len() > max_code {
                return Err(EngineError::invalid("code", format!("is {} bytes, more than the {max_code} bytes allowed", code.len())));
            }
            if code.contains('\0') {
                return Err(EngineError::invalid("code", "may not contain NUL characters"));
            }
            if execute && code.trim().is_empty() {
                return Err(EngineError::invalid("code", "is empty"));
            }
            Ok(())
        };
        let checked = |request_type, job_class, job_config, code, cursor| Self { request_type, job_class, job_config, code, cursor };
        match request {
            GroupRequest::InteractiveJobExecute { job_class, job_config } => {
                let class = job_class.trim().to_string();
                if class.is_empty() {
                    return Err(EngineError::invalid("jobClass", "is required and may not be empty"));
                }
                validate_class_name("jobClass", &class)?;
                Ok(checked(RequestType::InteractiveJobExecute, Some(class), job_config, None, None))
            }
            GroupRequest::InteractiveCodeExecute { code } => {
                check_code(&code, true)?;
                Ok(checked(RequestType::InteractiveCodeExecute, None, serde_json::Map::new(), Some(code), None))
            }
            GroupRequest::InteractiveCodeComplete { code, cursor } => {
                check_code(&code, false)?;
                let end = u32::try_from(code.chars().count()).unwrap_or(u32::MAX);
                let cursor = cursor.unwrap_or(end);
                if cursor > end {
                    return Err(EngineError::invalid("cursor", format!("{cursor} is past the end of the code")));
                }
                Ok(checked(RequestType::InteractiveCodeComplete, None, serde_json::Map::new(), Some(code), Some(cursor)))
            }
        }
    }

    /// Reads and checks a JSON body (the REST execute/submit routes).
    pub fn from_json(body: &Value, max_code: usize) -> Result<Self> {
        Self::validate(GroupRequest::from_json(body)?, max_code)
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
    use serde_json::json;

    #[test]
    fn bodies_parse_with_field_named_errors() {
        let r = InstanceRequest::from_json(&json!({"type": "interactive_job_execute", "jobClass": "a.B", "jobConfig": {"n": 1}}), 10).unwrap();
        assert_eq!(r.job_class.as_deref(), Some("a.B"));
        assert_eq!(r.job_config["n"], 1);
        let field = |body: Value| InstanceRequest::from_json(&body, 10).unwrap_err().field().map(str::to_string);
        assert_eq!(field(json!({"type": "interactive_job_execute"})).as_deref(), Some("jobClass"));
        assert_eq!(field(json!({"type": "interactive_job_execute", "jobClass": " "})).as_deref(), Some("jobClass"));
        assert_eq!(field(json!({"type": "interactive_job_execute", "jobClass": "a.B", "jobConfig": "x=1"})).as_deref(), Some("jobConfig"));
        assert_eq!(field(json!({"type": "nope"})).as_deref(), Some("type"));
        assert_eq!(field(json!({"code": "1"})).as_deref(), Some("type"));
        assert_eq!(field(json!({"type": "interactive_code_execute", "code": "x".repeat(11)})).as_deref(), Some("code"));
        assert_eq!(field(json!({"type": "interactive_code_complete", "code": "ab", "cursor": 3})).as_deref(), Some("cursor"));
        assert_eq!(field(json!([1])).as_deref(), Some("body"));
        let c = InstanceRequest::from_json(&json!({"type": "interactive_code_complete", "code": "spark.ra"}), 10).unwrap();
        assert_eq!(c.cursor, Some(8));
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
