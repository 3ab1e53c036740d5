//! A recording stand-in for a Kubernetes API server: it keeps every request `spark-submit`
//! sends and answers just enough for the submission to finish (the created pod gets a
//! uid, server-side applies echo their bodies). It runs nothing.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// The uid the recorder gives every object it creates.
pub const RECORDED_UID: &str = "00000000-0000-4000-8000-000000000001";

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub content_type: String,
    pub body: Value,
}

#[derive(Clone, Default)]
pub struct Recorder {
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    pub fn router(&self) -> axum::Router {
        let this = self.clone();
        axum::Router::new().fallback(move |method: Method, uri: Uri, headers: axum::http::HeaderMap, body: Bytes| {
            let this = this.clone();
            async move { this.answer(method, uri, headers, body) }
        })
    }

    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.requests.lock().unwrap())
    }

    fn answer(&self, method: Method, uri: Uri, headers: axum::http::HeaderMap, body: Bytes) -> Response {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        // Server-side apply bodies are YAML by media type; fabric8 sends JSON, which is YAML.
        let parsed: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()))
        };
        let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
        self.requests.lock().unwrap().push(Recorded {
            method: method.to_string(),
            path: path.clone(),
            content_type,
            body: parsed.clone(),
        });
        match method {
            Method::POST | Method::PATCH | Method::PUT if parsed.is_object() => {
                let mut object = parsed;
                object["metadata"]["uid"] = json!(RECORDED_UID);
                object["metadata"]["resourceVersion"] = json!("1");
                let status = if method == Method::POST { StatusCode::CREATED } else { StatusCode::OK };
                (status, axum::Json(object)).into_response()
            }
            Method::DELETE => (StatusCode::OK, axum::Json(json!({"kind": "Status", "status": "Success"}))).into_response(),
            _ => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                    "message": format!("the recorder does not serve {path}")})),
            )
                .into_response(),
        }
    }
}
