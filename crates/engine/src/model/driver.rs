//! What a launched driver is, as stored with its job so that recovery can find it again,
//! whichever runtime launched it.

use serde::{Deserialize, Serialize};

/// A launched driver, as recorded with its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DriverRef {
    /// `spark-submit` on this machine (local clusters, and client mode elsewhere).
    Process(ProcessRef),
    /// A driver a Spark standalone master runs (cluster deploy mode).
    Submission { id: String },
    /// A driver pod on Kubernetes.
    Pod { namespace: String, name: String, uid: String },
}

impl DriverRef {
    pub fn process(&self) -> Option<ProcessRef> {
        match self {
            Self::Process(p) => Some(*p),
            _ => None,
        }
    }
}

/// The process a running job is, as far as recovery needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessRef {
    /// The process group leader (the wrapper shell); the group id equals it.
    pub pid: i32,
    /// Its start time in clock ticks since boot (`/proc/<pid>/stat` field 22).
    pub start_ticks: u64,
}
