//! The engine's one error type. Each variant maps to a stable [`ErrorCode`] that the REST
//! server turns into a status code and the desktop shell sends to the UI.

use std::path::PathBuf;

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The input is malformed; `field` names the offending input field (API spelling).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The named record does not exist.
    #[error("{what} '{key}' does not exist")]
    NotFound { what: &'static str, key: String },
    /// The input is well-formed but conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Another process holds the data directory.
    #[error("the data directory {path} is in use by another Sparkdeck process{holder}")]
    DataDirLocked { path: PathBuf, holder: String },
    /// A cluster's API server or storage could not be reached or refused a request; the
    /// message names the cause in one sentence.
    #[error("{0}")]
    Cluster(String),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// A stable, serialisable classification of an [`EngineError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Invalid,
    NotFound,
    Conflict,
    Internal,
}

impl EngineError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    pub fn not_found(what: &'static str, key: impl Into<String>) -> Self {
        Self::NotFound { what, key: key.into() }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::Invalid,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Conflict(_) | Self::Cluster(_) | Self::DataDirLocked { .. } => ErrorCode::Conflict,
            Self::Io { .. } | Self::Database(_) | Self::Migration(_) => ErrorCode::Internal,
        }
    }

    /// The input field the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}
