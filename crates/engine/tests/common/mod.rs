//! Shared by the engine's test files: a real engine on a temporary directory, PEM test
//! blocks, and waiting for a job's announced states.

#![allow(dead_code)] // each test file uses part of it

pub mod group_world;

use std::time::Duration;

use sparkdeck_engine::model::job::{Job, JobState};
use sparkdeck_engine::EngineEvent;
use sparkdeck_engine::{Engine, EngineConfig};
use tempfile::TempDir;

/// A real engine on a fresh temporary data directory.
pub async fn engine() -> (TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.expect("engine opens");
    (dir, engine)
}

pub fn pem_block(tag: &str) -> String {
    pem::encode(&pem::Pem::new(tag, vec![0x30, 0x03, 0x02, 0x01, 0x01]))
}

/// The job's states as announced (from `events`) until `until` holds. The guard only
/// turns a hang into a failure.
pub async fn states_until(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    id: &str,
    until: impl Fn(&Job) -> bool,
) -> (Vec<JobState>, Job) {
    let mut states = Vec::new();
    let wait = async {
        loop {
            match events.recv().await {
                Ok(EngineEvent::JobChanged { job }) if job.job_id == id => {
                    states.push(job.state);
                    if until(&job) {
                        return job;
                    }
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event bus closed: {e}"),
            }
        }
    };
    let job = tokio::time::timeout(Duration::from_secs(120), wait).await.expect("the job kept its state for 2 minutes");
    (states, job)
}
