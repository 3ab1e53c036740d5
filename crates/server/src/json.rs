//! A JSON body extractor whose rejection is this API's 409 with the parser's message,
//! instead of axum's plain-text 400/415/422.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use sparkdeck_engine::EngineError;

use crate::error::ApiError;

pub(crate) struct JsonBody<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError(EngineError::invalid("body", e.body_text())))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError(EngineError::invalid("body", "is empty; a JSON object is expected")));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError(EngineError::invalid("body", format!("is not valid JSON for this call: {e}"))))
    }
}
