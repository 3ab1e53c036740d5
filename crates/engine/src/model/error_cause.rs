//! Why a failed job failed, in plain words: a kind to switch on, the one fact that
//! matters (the class, module, path or setting) and what to change. Worked out once when
//! the job ends (`jobs/failure_cause.rs`) and stored with it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCauseKind {
    /// The driver's JVM ran out of heap (or its pod/process was killed for memory).
    DriverOutOfMemory,
    /// An executor ran out of heap, or its container was killed (137, OOMKilled).
    ExecutorOutOfMemory,
    /// A JVM class the job needs is not on the classpath.
    MissingClass,
    /// A Python module the job imports is not installed.
    MissingPythonModule,
    /// An input path does not exist.
    MissingInput,
    /// An executor went away while it ran tasks.
    ExecutorLost,
    /// A stage failed; the summary is the innermost cause of its task's failure.
    StageFailure,
    /// The driver's container image cannot be pulled (Kubernetes).
    ImagePull,
    /// The driver and its Python workers run different Python versions.
    PythonVersionMismatch,
}

impl ErrorCauseKind {
    pub const ALL: [ErrorCauseKind; 9] = [
        Self::DriverOutOfMemory,
        Self::ExecutorOutOfMemory,
        Self::MissingClass,
        Self::MissingPythonModule,
        Self::MissingInput,
        Self::ExecutorLost,
        Self::StageFailure,
        Self::ImagePull,
        Self::PythonVersionMismatch,
    ];
}

/// `errorCause` of a failed job (extension). Absent when the failure matches no known kind:
/// the job's `error` line is then all there is to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    pub kind: ErrorCauseKind,
    /// What went wrong, naming the class, module, path or image when there is one.
    pub summary: String,
    /// What to change.
    pub hint: String,
}
