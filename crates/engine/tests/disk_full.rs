//! A data directory whose disk is full. Without a tmpfs to fill (no root here), the
//! process's file size limit (`RLIMIT_FSIZE`, with `SIGXFSZ` caught) makes every write
//! past it fail as a full disk would. The limit is process-wide, so this file holds one
//! test: an upload that hits it answers a clear error and leaves nothing half-written,
//! and once there is room again the same submit goes through and the job runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::states_until;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use tokio::signal::unix::{SignalKind, signal};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::testing::{ScriptedExit, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, ErrorCode, JobSubmission, Result};

const LIMIT: u64 = 1024 * 1024;

/// Streams `bytes` into an upload and submits it as a Python job's file.
async fn submit(engine: &Engine, bytes: &[u8]) -> Result<sparkdeck_engine::model::job::Job> {
    let mut upload = engine.begin_upload("files", "data.bin")?;
    for chunk in bytes.chunks(64 * 1024) {
        upload.write(chunk)?;
    }
    let data = upload.finish()?;
    let mut script = engine.begin_upload("pyFiles", "main.py")?;
    script.write(b"print('hello')\n")?;
    let form = JobSubmission {
        name: Some("big".into()),
        language: Some("PYTHON".into()),
        py_files: vec![script.finish()?],
        files: vec![data],
        ..JobSubmission::default()
    };
    engine.submit_job(form).await
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn an_upload_that_finds_the_disk_full_is_refused_cleanly_and_the_engine_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone()).await.unwrap();
    let bytes = vec![7u8; 2 * LIMIT as usize];

    // A handler (tokio's, which only records it) keeps SIGXFSZ from ending the process.
    let _sigxfsz = signal(SignalKind::from_raw(nix::libc::SIGXFSZ)).unwrap();
    let (soft, hard) = getrlimit(Resource::RLIMIT_FSIZE).unwrap();
    setrlimit(Resource::RLIMIT_FSIZE, LIMIT, hard).unwrap();
    let refused = submit(&engine, &bytes).await;
    setrlimit(Resource::RLIMIT_FSIZE, soft, hard).unwrap();

    let error = refused.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unavailable, "{error}");
    assert!(error.to_string().contains("cannot store upload 'data.bin': the disk is full"), "{error}");
    assert_eq!(entries(&dir.path().join("artifacts")), Vec::<String>::new(), "no half-written upload is left");
    assert_eq!(engine.list_jobs(&Default::default()).await.unwrap().total_elements, 0, "no job was stored");

    let mut events = engine.subscribe();
    let job = submit(&engine, &bytes).await.expect("with room again the same submit goes through");
    let (_, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let driver = runtime.drivers().into_iter().find(|d| d.app_name == "big").unwrap();
    assert!(runtime.end(&driver.id, ScriptedExit::Code(0)));
    let (_, done) = states_until(&mut events, &busy.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Finished);
    assert_eq!(entries(&dir.path().join("artifacts")).len(), 2, "both files stored whole");
}
