//! Stages, executors and run comparison on the scripted runtime: each job's event log is one
//! the test writes into its job directory (`synthetic`), so the engine's reading of it, the
//! never-started and unknown cases and the comparison's matching are checked without Spark.
//! Real Spark writes the logs in `crates/server/tests/stages_spark.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::fs;

use common::states_until;
use sparkdeck_engine::model::job::{Job, JobState};
use sparkdeck_engine::model::stages::StagesSource;
use sparkdeck_engine::spark_app::synthetic::{SyntheticStage, write_event_log};
use sparkdeck_engine::testing::{LaunchScript, ScriptedExit, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, EngineError, JobSubmission};

async fn submit(engine: &Engine, name: &str, config: &str, args: &str) -> Job {
    let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print('hello')\n").unwrap();
    let form = JobSubmission {
        name: Some(name.into()),
        language: Some("PYTHON".into()),
        job_config: Some(config.into()),
        args: Some(args.into()),
        py_files: vec![script.finish().unwrap()],
        ..JobSubmission::default()
    };
    engine.submit_job(form).await.unwrap()
}

/// Runs a job to FINISHED whose driver "wrote" an event log of `stages`.
async fn run_with_log(engine: &Engine, runtime: &ScriptedRuntime, job: &Job, stages: &[SyntheticStage]) -> Job {
    let mut events = engine.subscribe();
    let (_, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let driver = runtime.drivers().into_iter().find(|d| d.job_dir.ends_with(&job.job_id)).unwrap();
    let dir = driver.job_dir.join("events");
    fs::create_dir_all(&dir).unwrap();
    let app = busy.app_id.clone().unwrap();
    let mut log = fs::File::create(dir.join(&app)).unwrap();
    write_event_log(&mut log, &app, stages).unwrap();
    assert!(runtime.end(&driver.id, ScriptedExit::Code(0)));
    states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await.1
}

fn stage(name: &str, tasks: u32, base_ms: i64, input: i64) -> SyntheticStage {
    SyntheticStage { base_ms, input_bytes: input, ..SyntheticStage::new(name, tasks) }
}

#[tokio::test]
async fn an_ended_jobs_stages_and_executors_come_from_its_event_log() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone()).await.unwrap();
    let job = submit(&engine, "etl", "", "").await;
    run_with_log(&engine, &runtime, &job, &[stage("read", 4, 100, 10), stage("write", 2, 50, 0)]).await;
    let stages = engine.job_stages(&job.job_id).await.unwrap();
    assert_eq!((stages.source, stages.message), (StagesSource::EventLog, None));
    let read: Vec<(&str, i64, i64)> = stages.stages.iter().map(|s| (s.name.as_str(), s.completed_tasks, s.input_bytes)).collect();
    assert_eq!(read, [("read", 4, 40), ("write", 2, 0)]);
    let executors = engine.job_executors(&job.job_id).await.unwrap();
    assert_eq!(executors.executors.len(), 1);
    assert_eq!((executors.executors[0].id.as_str(), executors.executors[0].total_tasks), ("driver", 6));
}

#[tokio::test]
async fn a_job_that_never_started_has_no_stages_and_an_unknown_one_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.script(LaunchScript { fail: Some("no cluster".into()), ..LaunchScript::default() });
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone()).await.unwrap();
    let mut events = engine.subscribe();
    let job = submit(&engine, "never", "", "").await;
    let (_, failed) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!((failed.state, failed.app_id), (JobState::Failed, None));
    let stages = engine.job_stages(&job.job_id).await.unwrap();
    assert!(stages.stages.is_empty() && stages.message.is_none());
    assert_eq!(stages.source, StagesSource::None);
    assert!(engine.job_executors(&job.job_id).await.unwrap().executors.is_empty());
    assert!(matches!(engine.job_stages("nope").await, Err(EngineError::NotFound { .. })));
    assert!(matches!(engine.job_executors("nope").await, Err(EngineError::NotFound { .. })));
}

#[tokio::test]
async fn two_runs_compare_by_stage_name_settings_args_and_input() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone()).await.unwrap();
    let first = submit(&engine, "etl", "spark.sql.shuffle.partitions=8", "small").await;
    run_with_log(&engine, &runtime, &first, &[stage("scan", 4, 100, 10), stage("join", 4, 100, 0)]).await;
    let second = submit(&engine, "etl", "spark.sql.shuffle.partitions=64;spark.executor.cores=2", "large").await;
    run_with_log(&engine, &runtime, &second, &[stage("scan", 4, 100, 1000), stage("join", 4, 5000, 0)]).await;

    assert_eq!(engine.previous_run(&second.job_id).await.unwrap().map(|j| j.job_id), Some(first.job_id.clone()));
    assert_eq!(engine.previous_run(&first.job_id).await.unwrap(), None);
    let c = engine.compare_jobs(&second.job_id, &first.job_id).await.unwrap();
    assert_eq!(c.slowest_stage.as_deref(), Some("join"));
    let join = c.stages.iter().find(|s| s.name == "join").unwrap();
    assert!(join.delta_ms >= 4900, "{join:?}");
    assert_eq!((c.input_bytes, c.other_input_bytes), (4000, 40));
    let diffs: Vec<(&str, Option<&str>, Option<&str>)> =
        c.config_diffs.iter().map(|d| (d.key.as_str(), d.value.as_deref(), d.other_value.as_deref())).collect();
    assert_eq!(diffs, [("spark.executor.cores", Some("2"), None), ("spark.sql.shuffle.partitions", Some("64"), Some("8"))]);
    assert_eq!((c.args, c.other_args), (vec!["large".to_string()], vec!["small".to_string()]));

    let itself = engine.compare_jobs(&first.job_id, &first.job_id).await.unwrap_err();
    assert_eq!(itself.field(), Some("otherId"));
    assert!(matches!(engine.compare_jobs(&first.job_id, "nope").await, Err(EngineError::NotFound { .. })));
}
