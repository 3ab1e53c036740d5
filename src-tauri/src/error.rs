//! The error every command returns: a stable `code` the UI switches on, the message to
//! show, and the input `field` it belongs next to (when there is one).

use serde::{Deserialize, Serialize};
use sparkdeck_engine::{EngineError, ErrorCode};

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl IpcError {
    /// A failure of the shell itself (a window, a thread), not of the input.
    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::error!(%message, "command failed");
        Self { code: ErrorCode::Internal, message, field: None }
    }
}

impl From<EngineError> for IpcError {
    fn from(error: EngineError) -> Self {
        let message = match &error {
            // The field travels separately; the message reads well next to the input.
            EngineError::Invalid { message, .. } => message.clone(),
            other => other.to_string(),
        };
        if error.code() == ErrorCode::Internal {
            tracing::error!(%error, "command failed");
        }
        Self { code: error.code(), field: error.field().map(str::to_string), message }
    }
}
