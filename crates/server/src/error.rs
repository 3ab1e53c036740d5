//! Engine errors as HTTP answers: `{"message": "..."}` with 404, 409 (this API's code for
//! invalid input, conflicts and a missing Java, Spark or unreachable cluster alike: the
//! message names the cause) or 500 (a defect; logged, and its message sent too).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sparkdeck_engine::{EngineError, ErrorCode};

pub(crate) struct ApiError(pub(crate) EngineError);

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        Self(error)
    }
}

pub(crate) fn message(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "message": message.into() }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0.code() {
            ErrorCode::NotFound => message(StatusCode::NOT_FOUND, self.0.to_string()),
            ErrorCode::Invalid | ErrorCode::Conflict | ErrorCode::Unavailable => {
                message(StatusCode::CONFLICT, self.0.to_string())
            }
            ErrorCode::Internal => {
                tracing::error!(error = %self.0, "request failed");
                message(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {}", self.0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The platform's documented statuses: every refusal is a 409 naming its cause.
    #[test]
    fn every_error_class_has_its_status() {
        let cases = [
            (EngineError::invalid("name", "is required"), StatusCode::CONFLICT),
            (EngineError::not_found("job", "j-1"), StatusCode::NOT_FOUND),
            (EngineError::Conflict("job 'j-1' has already ended".into()), StatusCode::CONFLICT),
            (EngineError::Unavailable("Java 17 or newer is needed".into()), StatusCode::CONFLICT),
            (EngineError::Internal("row 3 has no state".into()), StatusCode::INTERNAL_SERVER_ERROR),
            (EngineError::io("cannot write", std::io::Error::other("disk gone")), StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (error, status) in cases {
            let text = error.to_string();
            let response = ApiError(error).into_response();
            assert_eq!(response.status(), status, "{text}");
        }
    }
}
