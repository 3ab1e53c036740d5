//! Sparkdeck's engine: everything the desktop shell and the REST server share.
//!
//! The engine owns the SQLite store, validates every input, runs Spark work and announces
//! each committed change on one event bus. It knows nothing about who listens: the
//! desktop shell turns events into Tauri events, the server into Server-Sent Events.
//!
//! Folders by concern (`jobs/`, `groups/`, `artifacts/`) sit above the shared vocabulary
//! (`model/`, `runtime/`, `store/`), which never imports them.

pub mod artifacts;
pub mod clock;
pub mod clusters;
pub mod config;
pub mod data_dir;
mod engine;
pub mod error;
pub mod events;
pub mod groups;
mod history;
pub mod jobs;
pub mod limits;
pub mod livy_ids;
pub mod log_index;
pub mod log_rotate;
pub mod model;
mod runtime;
pub mod settings;
pub mod schedules;
pub mod spark_env;
pub mod spark_app;
pub mod spark_install;
mod store;
mod time;

pub use config::EngineConfig;
pub use engine::Engine;
pub use error::{EngineError, ErrorCode, Result};
pub use events::EngineEvent;
pub use groups::GroupForm;
pub use history::HISTORY_SERVER_CLASS;
pub use jobs::JobSubmission;
pub use schedules::{ScheduleForm, ScheduleUpdate};
pub use model::query::{GroupQuery, InstanceWatch, JobQuery, JobWatch, ScheduleQuery};
#[cfg(feature = "testing")]
pub use runtime::scripted as testing;
// Public for its layered tests (manifests, mocked API calls, the simulator, S3).
pub use runtime::k8s;
pub use k8s::{KubeContext, kubeconfig_contexts, test_k8s_connection};
pub use runtime::standalone::connection::test_standalone_connection;
