//! Livy's shapes: session and statement kinds, the states Livy names (mapped from the
//! group's, its driver's, the request's and the job's), statement outputs, paging.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sparkdeck_engine::model::group::{Group, GroupState, JobInstance};
use sparkdeck_engine::model::job::{Job, JobState};

use super::errors::{LivyError, LivyResult};

/// The interpreter a session defaults to, or a statement asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    PySpark,
    Spark,
    Sql,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::PySpark => "pyspark",
            Self::Spark => "spark",
            Self::Sql => "sql",
        }
    }

    /// Livy's kinds and the language names some clients send; `sparkr` is refused.
    pub(crate) fn parse(field: &str, value: &str) -> LivyResult<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "pyspark" | "pyspark3" | "python" => Ok(Self::PySpark),
            "spark" | "scala" => Ok(Self::Spark),
            "sql" => Ok(Self::Sql),
            "sparkr" | "r" => Err(LivyError::field(field, "'sparkr': R is not available in Sparkdeck; use pyspark, spark or sql")),
            _ => Err(LivyError::field(field, format!("'{value}' is not a kind (pyspark, spark, sql)"))),
        }
    }

    /// `kind` of a JSON body: absent or null is `None`.
    pub(crate) fn from_body(body: &Map<String, Value>, field: &str) -> LivyResult<Option<Self>> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(kind)) => Self::parse(field, kind).map(Some),
            Some(_) => Err(LivyError::field(field, "must be a string (pyspark, spark, sql)")),
        }
    }
}

/// A Livy session's state from its group and the group's newest driver. `running`: a
/// statement of it is queued or running.
pub(crate) fn session_state(group: &Group, running: bool) -> &'static str {
    let driver = group.jobs.first().map(|j| j.state);
    let driver_active = driver.is_some_and(|s| !s.is_terminal());
    if group.state == GroupState::Archived || group.paused {
        return match driver {
            _ if driver_active => "shutting_down",
            Some(JobState::Failed | JobState::Unknown) => "dead",
            _ if group.paused => "dead",
            _ => "killed",
        };
    }
    match driver {
        None | Some(JobState::Submitted) => "not_started",
        Some(JobState::Starting) => "starting",
        Some(JobState::Ready) if running => "busy",
        Some(JobState::Ready) => "idle",
        Some(JobState::Busy) => "busy",
        // The supervisor launches a replacement; until it is up the session is in error.
        Some(JobState::Failed | JobState::Unknown) => "error",
        Some(JobState::Finished | JobState::Canceled) => "dead",
    }
}

/// States in which a session takes no statement (in `error` its replacement driver is
/// on the way: a statement waits for it).
pub(crate) fn is_ended(state: &str) -> bool {
    matches!(state, "dead" | "killed" | "shutting_down" | "success")
}

/// A batch's state from its job's.
pub(crate) fn batch_state(job: &Job) -> &'static str {
    match job.state {
        JobState::Submitted | JobState::Starting => "starting",
        JobState::Ready | JobState::Busy => "running",
        JobState::Finished => "success",
        JobState::Failed | JobState::Unknown => "dead",
        JobState::Canceled => "killed",
    }
}

/// A statement's state from its request's (a failed request is `available` with an
/// error output, as Livy shows a statement whose code raised).
pub(crate) fn statement_state(instance: &JobInstance, cancel_requested: bool) -> &'static str {
    match instance.state {
        JobState::Submitted if cancel_requested => "cancelling",
        JobState::Submitted => "waiting",
        JobState::Busy | JobState::Starting | JobState::Ready if cancel_requested => "cancelling",
        JobState::Busy | JobState::Starting | JobState::Ready => "running",
        JobState::Finished | JobState::Failed => "available",
        JobState::Canceled => "cancelled",
        JobState::Unknown => "error",
    }
}

/// The statement's `output`: null until it ended (and when cancelled), else Livy's ok or
/// error shape. `data` is the agent's mime bundle when there is one, else the text.
pub(crate) fn statement_output(execution_count: u32, instance: &JobInstance) -> Value {
    match instance.state {
        JobState::Finished => {
            let data = match &instance.data {
                Some(data) if !data.is_empty() => Value::Object(data.clone()),
                _ => json!({ "text/plain": instance.result.clone().unwrap_or_default() }),
            };
            json!({ "status": "ok", "execution_count": execution_count, "data": data })
        }
        JobState::Failed | JobState::Unknown => {
            let (message, stack) = match &instance.error {
                Some(error) => (error.message.as_str(), error.stack_trace.as_str()),
                None => ("Error: the request failed", ""),
            };
            let (ename, evalue) = split_error(message);
            let traceback: Vec<String> = stack.lines().map(|line| format!("{line}\n")).collect();
            json!({ "status": "error", "execution_count": execution_count, "ename": ename, "evalue": evalue, "traceback": traceback })
        }
        _ => Value::Null,
    }
}

/// `"NameError: name 'x' is not defined"` → (`NameError`, `name 'x' is not defined`): the
/// agent starts each message with the exception's class. One without a class is an `Error`.
pub(crate) fn split_error(message: &str) -> (String, String) {
    match message.split_once(": ") {
        Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => (name.to_string(), value.to_string()),
        _ => ("Error".to_string(), message.to_string()),
    }
}

/// A JSON object body; anything else is a 400 saying what is wrong.
pub(crate) struct Body(pub(crate) Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = LivyError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| LivyError::bad_request(format!("body: {}", e.body_text())))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(LivyError::bad_request("body: must be a JSON object")),
            Err(e) => Err(LivyError::bad_request(format!("body: is not valid JSON: {e}"))),
        }
    }
}

/// A string field: absent or null is `None`.
pub(crate) fn text(body: &Map<String, Value>, field: &str) -> LivyResult<Option<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(LivyError::field(field, "must be a string")),
    }
}

/// A whole-number field (a number or its text): absent or null is `None`.
pub(crate) fn whole(body: &Map<String, Value>, field: &str) -> LivyResult<Option<u32>> {
    let bad = || LivyError::field(field, "must be a whole number from 0 up");
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()).map(Some).ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// A list of strings: absent or null is empty.
pub(crate) fn strings(body: &Map<String, Value>, field: &str) -> LivyResult<Vec<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string).ok_or_else(|| LivyError::field(field, "must be a list of strings")))
            .collect(),
        Some(_) => Err(LivyError::field(field, "must be a list of strings")),
    }
}

/// `conf`: an object whose values are strings (Spark properties).
pub(crate) fn conf(body: &Map<String, Value>) -> LivyResult<Vec<(String, String)>> {
    match body.get("conf") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| match value {
                Value::String(v) if v.contains(';') => {
                    Err(LivyError::field(&format!("conf.{key}"), "may not contain ';' (Sparkdeck keeps settings as k=v;k2=v2)"))
                }
                Value::String(v) => Ok((key.clone(), v.clone())),
                _ => Err(LivyError::field(&format!("conf.{key}"), "must be a string: conf is an object of strings")),
            })
            .collect(),
        Some(_) => Err(LivyError::field("conf", "must be an object of strings")),
    }
}

/// Refuses keys a create body does not take, by name.
pub(crate) fn refuse_unknown(body: &Map<String, Value>, known: &[&str]) -> LivyResult<()> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(LivyError::field(key, format!("is not supported by Sparkdeck's Livy API; the fields are {}", known.join(", ")))),
        None => Ok(()),
    }
}

/// `from` and `size` of a list or log call, as text (checked by [`Paging::read`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PagingQuery {
    from: Option<String>,
    size: Option<String>,
    /// Statements only: `asc` (the default) or `desc`, newest first.
    order: Option<String>,
}

/// Checked `from`/`size`: whole numbers from 0; `None` when not given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Paging {
    pub(crate) from: Option<u32>,
    pub(crate) size: Option<u32>,
}

impl PagingQuery {
    pub(crate) fn read(&self) -> LivyResult<Paging> {
        let number = |field: &str, value: &Option<String>| -> LivyResult<Option<u32>> {
            match value.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(v) => v.parse().map(Some).map_err(|_| LivyError::field(field, format!("'{v}' is not a whole number from 0 up"))),
            }
        };
        Ok(Paging { from: number("from", &self.from)?, size: number("size", &self.size)? })
    }

    /// Whether `order=desc` asks for the newest first.
    pub(crate) fn newest_first(&self) -> LivyResult<bool> {
        match self.order.as_deref().map(|o| o.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("asc") => Ok(false),
            Some("desc") => Ok(true),
            Some(other) => Err(LivyError::field("order", format!("'{other}' is not asc or desc"))),
        }
    }
}

/// A Livy id in a path: a whole number, else the thing is not found (as Livy answers).
pub(crate) fn path_id(what: &str, raw: &str) -> LivyResult<u32> {
    raw.parse().map_err(|_| LivyError::not_found(format!("{what} '{raw}' not found")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_sparkr_is_refused() {
        assert_eq!(Kind::parse("kind", "PySpark").unwrap(), Kind::PySpark);
        assert_eq!(Kind::parse("kind", "scala").unwrap(), Kind::Spark);
        assert_eq!(Kind::parse("kind", "sql").unwrap(), Kind::Sql);
        assert!(Kind::parse("kind", "sparkr").unwrap_err().msg.contains("R is not available"));
        let unknown = Kind::parse("kind", "cobol").unwrap_err();
        assert!(unknown.msg.starts_with("kind:") && unknown.msg.contains("cobol"), "{}", unknown.msg);
    }

    #[test]
    fn error_messages_split_at_the_class() {
        assert_eq!(split_error("NameError: name 'x' is not defined"), ("NameError".into(), "name 'x' is not defined".into()));
        assert_eq!(
            split_error("org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] t: x"),
            ("org.apache.spark.sql.AnalysisException".into(), "[TABLE_OR_VIEW_NOT_FOUND] t: x".into())
        );
        assert_eq!(split_error("error: not found: value x"), ("error".into(), "not found: value x".into()));
        assert_eq!(split_error("the driver was lost"), ("Error".into(), "the driver was lost".into()));
    }

    #[test]
    fn paging_refuses_what_is_not_a_whole_number() {
        let q = |from: &str, size: &str| PagingQuery { from: Some(from.into()), size: Some(size.into()), order: None }.read();
        assert_eq!(q("2", "5").unwrap(), Paging { from: Some(2), size: Some(5) });
        assert!(q("-1", "5").unwrap_err().msg.starts_with("from:"));
        assert!(q("0", "x").unwrap_err().msg.starts_with("size:"));
        assert_eq!(path_id("session", "7").unwrap(), 7);
        assert_eq!(path_id("session", "abc").unwrap_err().status, axum::http::StatusCode::NOT_FOUND);
    }
}
