//! Livy's errors: `{"msg": "..."}` with 400 (bad input, a session in the wrong state), 404
//! (no such session, batch or statement) or 500 (a defect, logged) — never the platform
//! API's 409 `{"message"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sparkdeck_engine::{EngineError, ErrorCode};

#[derive(Debug)]
pub(crate) struct LivyError {
    pub(crate) status: StatusCode,
    pub(crate) msg: String,
}

pub(crate) type LivyResult<T> = Result<T, LivyError>;

impl LivyError {
    pub(crate) fn bad_request(msg: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, msg: msg.into() }
    }

    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, msg: msg.into() }
    }

    /// A field's refusal, worded as the platform API words it (`conf: must be ...`).
    pub(crate) fn field(field: &str, msg: impl std::fmt::Display) -> Self {
        Self::bad_request(format!("{field}: {msg}"))
    }
}

impl LivyError {
    /// A refusal of the engine's form, worded with Livy's field name: the engine names a
    /// group form's `jarPaths` where Livy's body says `jars`.
    pub(crate) fn from_form(error: EngineError, names: &[(&str, &str)]) -> Self {
        let mut livy = match error {
            // In a create, a cluster that does not exist is bad input.
            EngineError::NotFound { .. } => Self::bad_request(error.to_string()),
            other => Self::from(other),
        };
        if let Some((ours, theirs)) = names.iter().find(|(ours, _)| livy.msg.starts_with(&format!("{ours}:"))) {
            livy.msg = format!("{theirs}{}", &livy.msg[ours.len()..]);
        }
        livy
    }
}

impl From<EngineError> for LivyError {
    fn from(error: EngineError) -> Self {
        match error.code() {
            ErrorCode::NotFound => Self::not_found(error.to_string()),
            ErrorCode::Invalid | ErrorCode::Conflict | ErrorCode::Unavailable => Self::bad_request(error.to_string()),
            ErrorCode::Internal => {
                tracing::error!(%error, "Livy request failed");
                Self { status: StatusCode::INTERNAL_SERVER_ERROR, msg: format!("internal error: {error}") }
            }
        }
    }
}

pub(crate) fn msg(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "msg": msg.into() }))).into_response()
}

impl IntoResponse for LivyError {
    fn into_response(self) -> Response {
        msg(self.status, self.msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_become_livy_statuses() {
        let cases = [
            (EngineError::invalid("conf", "must be an object"), StatusCode::BAD_REQUEST),
            (EngineError::not_found("group", "g"), StatusCode::NOT_FOUND),
            (EngineError::Conflict("already ended".into()), StatusCode::BAD_REQUEST),
            (EngineError::Unavailable("no Java".into()), StatusCode::BAD_REQUEST),
            (EngineError::Internal("broken row".into()), StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (error, status) in cases {
            assert_eq!(LivyError::from(error).status, status);
        }
    }
}
