//! Sparkdeck's engine: everything the desktop shell and the REST server share.
//!
//! The engine owns the SQLite store, validates every input, runs Spark work and announces
//! each committed change on one event bus. It knows nothing about who listens: the
//! desktop shell turns events into Tauri events, the server into Server-Sent Events.

pub mod artifacts;
pub mod clusters;
pub mod data_dir;
pub mod dispatch;
mod driver_client;
mod engine;
pub mod error;
pub mod events;
mod group_supervisor;
pub mod groups;
mod jar_watch;
mod job_launch;
pub mod job_logs;
pub mod jobs;
pub mod limits;
pub mod logs;
pub mod settings;
pub mod model;
mod resubmit;
mod runtime;
pub mod spark_env;
mod store;
mod time;

pub use engine::{Engine, EngineConfig};
pub use error::{EngineError, ErrorCode, Result};
pub use events::EngineEvent;
// Public for its layered tests (manifests, mocked API calls, the simulator, S3).
pub use runtime::k8s;
pub use k8s::{KubeContext, kubeconfig_contexts, test_k8s_connection};
pub use runtime::standalone::connection::test_standalone_connection;
