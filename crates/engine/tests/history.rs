//! `history_url`'s refusals, on the scripted runtime (no Spark): an unknown job, a job
//! whose driver never started, a job that ran without an event log. None starts a
//! History Server. The History Server itself is tested on real Spark in the server's
//! `history_spark.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::states_until;
use sparkdeck_engine::model::job::{Job, JobState};
use sparkdeck_engine::testing::{LaunchScript, ScriptedExit, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, EngineError, JobSubmission};

async fn submit(engine: &Engine, name: &str) -> Job {
    let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print('hello')\n").unwrap();
    let form = JobSubmission {
        name: Some(name.into()),
        language: Some("PYTHON".into()),
        py_files: vec![script.finish().unwrap()],
        ..JobSubmission::default()
    };
    engine.submit_job(form).await.unwrap()
}

#[tokio::test]
async fn an_unknown_job_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), ScriptedRuntime::new()).await.unwrap();
    let err = engine.history_url("no-such-job").await.unwrap_err();
    assert!(matches!(err, EngineError::NotFound { .. }), "{err:?}");
    assert_eq!(engine.history_server_pid(), None);
}

#[tokio::test]
async fn a_job_whose_driver_never_started_is_a_conflict_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.script(LaunchScript { fail: Some("no such image".into()), ..LaunchScript::default() });
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime).await.unwrap();
    let mut events = engine.subscribe();
    let job = submit(&engine, "never").await;
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Failed);
    match engine.history_url(&job.job_id).await {
        Err(EngineError::Conflict(message)) => assert!(message.contains("never started a Spark application"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(engine.history_server_pid(), None);
}

#[tokio::test]
async fn a_job_that_ran_without_an_event_log_is_a_conflict_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone()).await.unwrap();
    let mut events = engine.subscribe();
    let job = submit(&engine, "no-log").await;
    let (_, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let app_id = busy.app_id.clone().expect("the scripted driver names an app");
    let driver = runtime.drivers().into_iter().find(|d| d.app_name == "no-log").unwrap();
    runtime.end(&driver.id, ScriptedExit::Code(0));
    states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    match engine.history_url(&job.job_id).await {
        Err(EngineError::Conflict(message)) => {
            assert!(message.contains(&format!("no event log of {app_id}")) && message.contains("spark.eventLog.enabled"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(engine.history_server_pid(), None);
}
