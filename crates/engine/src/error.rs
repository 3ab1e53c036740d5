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
    /// Something the operation needs is missing or cannot be reached: Java or Spark on
    /// this machine, a cluster's API server or storage. The message names the cause in one
    /// sentence (and what to do about it).
    #[error("{0}")]
    Unavailable(String),
    /// A broken invariant or a corrupt stored row: a defect, not the caller's doing.
    #[error("{0}")]
    Internal(String),
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
    Unavailable,
    Internal,
}

impl EngineError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    pub fn not_found(what: &'static str, key: impl Into<String>) -> Self {
        Self::NotFound { what, key: key.into() }
    }

    /// An I/O failure. A full disk (or quota, or file size limit) is not a defect but a
    /// state of the machine: it is `Unavailable`, and says so.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        use std::io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
        match source.kind() {
            StorageFull | QuotaExceeded | FileTooLarge => {
                Self::Unavailable(format!("{}: the disk is full or the file may not grow ({source}); free some space and try again", context.into()))
            }
            _ => Self::Io { context: context.into(), source },
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::Invalid,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Conflict(_) | Self::DataDirLocked { .. } => ErrorCode::Conflict,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) | Self::Io { .. } | Self::Database(_) | Self::Migration(_) => ErrorCode::Internal,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_code_and_field() {
        let io = || std::io::Error::other("disk gone");
        let cases = [
            (EngineError::invalid("name", "is required"), ErrorCode::Invalid, Some("name")),
            (EngineError::not_found("job", "j-1"), ErrorCode::NotFound, None),
            (EngineError::Conflict("job 'j-1' has already ended".into()), ErrorCode::Conflict, None),
            (EngineError::DataDirLocked { path: "/d".into(), holder: " (pid 7)".into() }, ErrorCode::Conflict, None),
            (EngineError::Unavailable("Java 17 or newer is needed".into()), ErrorCode::Unavailable, None),
            (EngineError::Internal("row 3 has no state".into()), ErrorCode::Internal, None),
            (EngineError::io("cannot write", io()), ErrorCode::Internal, None),
            (EngineError::Database(sqlx::Error::RowNotFound), ErrorCode::Internal, None),
            (EngineError::Migration(sqlx::migrate::MigrateError::VersionMissing(9)), ErrorCode::Internal, None),
        ];
        for (error, code, field) in cases {
            assert_eq!((error.code(), error.field()), (code, field), "{error:?}");
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn codes_cross_the_wire_in_snake_case() {
        let codes = [ErrorCode::Invalid, ErrorCode::NotFound, ErrorCode::Conflict, ErrorCode::Unavailable, ErrorCode::Internal];
        let wire: Vec<String> = codes.iter().map(|c| serde_json::to_string(c).unwrap()).collect();
        assert_eq!(wire, ["\"invalid\"", "\"not_found\"", "\"conflict\"", "\"unavailable\"", "\"internal\""]);
    }
}
