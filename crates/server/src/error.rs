//! Engine errors as HTTP answers: `{"message": "..."}` with 404, 409 (this API's code for
//! invalid input as well as conflicts) or 500 (details logged, not sent).

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
            ErrorCode::Invalid | ErrorCode::Conflict => message(StatusCode::CONFLICT, self.0.to_string()),
            ErrorCode::Internal => {
                tracing::error!(error = %self.0, "request failed");
                message(StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log")
            }
        }
    }
}
