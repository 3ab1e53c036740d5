//! Requests to a group: what execute/submit carry ([`GroupRequest`], filled from the REST
//! body or sent as is by the desktop) and the checked form the engine queues
//! ([`InstanceRequest`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{EngineError, Result};
use crate::model::group::GroupKind;
use crate::limits::MAX_REQUEST_TIMEOUT_SECONDS;
use crate::model::job::{Language, validate_class_name};

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
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
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
        /// The interpreter of the driver that runs it (extension); the group's language
        /// when absent.
        #[serde(default)]
        language: Option<Language>,
    },
    InteractiveCodeComplete {
        code: String,
        /// Where completion is asked for, in characters; the end of the code when absent.
        #[serde(default)]
        cursor: Option<u32>,
        /// As for execute: the interpreter that completes; the group's when absent.
        #[serde(default)]
        language: Option<Language>,
    },
}

/// The keys every execute/submit body may carry beside its type's own (RequestOptions).
const OPTION_FIELDS: &[&str] = &["timeoutSeconds"];

impl GroupRequest {
    /// Reads the REST execute/submit body: the request and how it runs. A key that neither
    /// the request's type nor the options have is refused by name.
    pub fn from_body(body: &Value) -> Result<(Self, RequestOptions)> {
        let request = Self::from_json(body)?;
        let own: &[&str] = match request {
            Self::InteractiveJobExecute { .. } => &["type", "jobClass", "jobConfig"],
            Self::InteractiveCodeExecute { .. } => &["type", "code", "language"],
            Self::InteractiveCodeComplete { .. } => &["type", "code", "cursor", "language"],
        };
        let fields: Vec<&str> = own.iter().chain(OPTION_FIELDS).copied().collect();
        if let Some(key) = body.as_object().and_then(|b| b.keys().find(|k| !fields.contains(&k.as_str()))) {
            return Err(EngineError::invalid(
                key.as_str(),
                format!("is not a field of this request; the fields are {}", fields.join(", ")),
            ));
        }
        Ok((request, RequestOptions::from_json(body)?))
    }

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
        let language = || text("language")?.filter(|l| !l.trim().is_empty()).map(|l| Language::parse("language", &l)).transpose();
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
            RequestType::InteractiveCodeExecute => Self::InteractiveCodeExecute { code: code()?, language: language()? },
            RequestType::InteractiveCodeComplete => Self::InteractiveCodeComplete {
                code: code()?,
                language: language()?,
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

/// How a request runs, beside what it asks (REST: more fields of the same body).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// The most seconds it may run on a driver (`timeoutSeconds`); the engine's
    /// `request_timeout` when absent.
    pub timeout_seconds: Option<u32>,
}

impl RequestOptions {
    /// Reads `timeoutSeconds` from a JSON body (absent or null: the default).
    pub fn from_json(body: &Value) -> Result<Self> {
        let timeout_seconds = match body.get("timeoutSeconds") {
            None | Some(Value::Null) => None,
            Some(value) => {
                let seconds = value.as_u64().and_then(|s| u32::try_from(s).ok());
                Some(seconds.ok_or_else(|| EngineError::invalid("timeoutSeconds", "must be a whole number of seconds"))?)
            }
        };
        let options = Self { timeout_seconds };
        options.check()?;
        Ok(options)
    }

    /// A given limit is 1 s to [`MAX_REQUEST_TIMEOUT_SECONDS`].
    pub fn check(&self) -> Result<()> {
        match self.timeout_seconds {
            Some(s) if s == 0 || s > MAX_REQUEST_TIMEOUT_SECONDS => Err(EngineError::invalid(
                "timeoutSeconds",
                format!("must be 1 to {MAX_REQUEST_TIMEOUT_SECONDS} seconds, not {s}"),
            )),
            _ => Ok(()),
        }
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
    /// The interpreter a code request asked for; the group's language when `None`.
    pub language: Option<Language>,
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
        let checked =
            |request_type, job_class, job_config, code, cursor, language| Self { request_type, job_class, job_config, code, cursor, language };
        match request {
            GroupRequest::InteractiveJobExecute { job_class, job_config } => {
                let class = job_class.trim().to_string();
                if class.is_empty() {
                    return Err(EngineError::invalid("jobClass", "is required and may not be empty"));
                }
                validate_class_name("jobClass", &class)?;
                Ok(checked(RequestType::InteractiveJobExecute, Some(class), job_config, None, None, None))
            }
            GroupRequest::InteractiveCodeExecute { code, language } => {
                check_code(&code, true)?;
                Ok(checked(RequestType::InteractiveCodeExecute, None, serde_json::Map::new(), Some(code), None, language))
            }
            GroupRequest::InteractiveCodeComplete { code, cursor, language } => {
                check_code(&code, false)?;
                let end = u32::try_from(code.chars().count()).unwrap_or(u32::MAX);
                let cursor = cursor.unwrap_or(end);
                if cursor > end {
                    return Err(EngineError::invalid("cursor", format!("{cursor} is past the end of the code")));
                }
                Ok(checked(RequestType::InteractiveCodeComplete, None, serde_json::Map::new(), Some(code), Some(cursor), language))
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
    fn time_limits_are_whole_seconds_up_to_a_day() {
        let limit = |body: Value| RequestOptions::from_json(&body).map(|o| o.timeout_seconds);
        assert_eq!(limit(json!({"type": "interactive_code_execute"})).unwrap(), None);
        assert_eq!(limit(json!({"timeoutSeconds": null})).unwrap(), None);
        assert_eq!(limit(json!({"timeoutSeconds": 90})).unwrap(), Some(90));
        assert_eq!(limit(json!({"timeoutSeconds": MAX_REQUEST_TIMEOUT_SECONDS})).unwrap(), Some(MAX_REQUEST_TIMEOUT_SECONDS));
        for bad in [json!(0), json!(-1), json!(1.5), json!("60"), json!(MAX_REQUEST_TIMEOUT_SECONDS + 1), json!(u64::MAX)] {
            let error = limit(json!({"timeoutSeconds": bad})).unwrap_err();
            assert_eq!(error.field(), Some("timeoutSeconds"), "{bad}: {error}");
        }
    }
}
