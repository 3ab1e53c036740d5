//! A JSON body extractor whose rejection is this API's 409 with the parser's message,
//! instead of axum's plain-text 400/415/422, naming the key it is about (`storages.s3.port`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use sparkdeck_engine::EngineError;

use crate::error::ApiError;

/// JSON bodies are small (a cluster with certificates is a few KiB); uploads are multipart.
pub(crate) const MAX_JSON_BODY: usize = 1024 * 1024;

pub(crate) struct JsonBody<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A missing Content-Type is accepted (hand-written curl calls); a wrong one is not.
        if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
            let essence = content_type.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if essence != "application/json" && !essence.ends_with("+json") {
                return Err(ApiError(EngineError::invalid(
                    "Content-Type",
                    format!("'{essence}' is not application/json"),
                )));
            }
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError(EngineError::invalid("body", format!("is larger than the {MAX_JSON_BODY} bytes allowed")))
                }
                _ => ApiError(EngineError::invalid("body", e.body_text())),
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError(EngineError::invalid("body", "is empty; a JSON object is expected")));
        }
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
            // A value of the wrong kind is named by its key; broken JSON is the body's.
            let field = match e.path().to_string() {
                path if path == "." || !e.inner().is_data() => "body".to_string(),
                path => path,
            };
            ApiError(EngineError::invalid(field, format!("is not valid JSON for this call: {}", e.inner())))
        })?;
        json.end().map_err(|e| ApiError(EngineError::invalid("body", format!("is not valid JSON for this call: {e}"))))?;
        Ok(JsonBody(value))
    }
}
