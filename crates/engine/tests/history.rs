//! The History Server and the event logs, on the scripted runtime: `history_url`'s
//! refusals (an unknown job, a job whose driver never started, a job that ran without an
//! event log; none starts a History Server), and, over event logs the tests write, Spark's
//! real History Server (Spark must be installed): its idle stop, and a rolling log
//! compacted to its bound. A real job's page is tested in the server's `history_spark.rs`.

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

/// The event log a finished application leaves (what Spark writes, trimmed to the events
/// the History Server needs to list it).
fn finished_event_log(app_id: &str, name: &str) -> String {
    [
        r#"{"Event":"SparkListenerLogStart","Spark Version":"4.0.0"}"#.to_string(),
        format!(r#"{{"Event":"SparkListenerApplicationStart","App Name":"{name}","App ID":"{app_id}","Timestamp":1700000000000,"User":"sparkdeck"}}"#),
        r#"{"Event":"SparkListenerApplicationEnd","Timestamp":1700000001000}"#.to_string(),
    ]
    .join("\n")
        + "\n"
}

/// Real Spark's History Server (Spark must be installed), over a job of the scripted
/// runtime whose event log the test writes: it lists the application, stops by itself
/// once unused for `history_idle`, and the log goes with its job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_server_lists_a_jobs_event_log_and_stops_when_unused() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.history_idle = std::time::Duration::from_secs(1);
    let engine = Engine::open_with_runtime(config, runtime.clone()).await.unwrap();
    let mut events = engine.subscribe();
    let job = submit(&engine, "idle-probe").await;
    let (_, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let app_id = busy.app_id.clone().unwrap();
    let driver = runtime.drivers().into_iter().find(|d| d.app_name == "idle-probe").unwrap();
    let events_dir = driver.job_dir.join("events");
    std::fs::write(events_dir.join(&app_id), finished_event_log(&app_id, "idle-probe")).unwrap();
    runtime.end(&driver.id, ScriptedExit::Code(0));
    states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;

    let url = engine.history_url(&job.job_id).await.unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with(&format!("/history/{app_id}/")), "{url}");
    let pid = engine.history_server_pid().expect("started");
    let base = url.split("/history/").next().unwrap();
    let app: serde_json::Value =
        reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{base}/api/v1/applications/{app_id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(app["name"], "idle-probe", "{app}");

    // Unused for a second: the engine stops it (the bound only turns a hang into a failure).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while engine.history_server_pid().is_some() {
        assert!(std::time::Instant::now() < deadline, "the History Server kept running unused");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "History Server {pid} is still there");

    // The event log is the job's: deleting the job removes it.
    engine.delete_job(&job.job_id).await.unwrap();
    assert!(!events_dir.exists());
}

/// A rolling event log (a group driver's, or a single job's on Spark 4, which rolls by
/// default) grows past its bound while the driver runs: the task that polls the driver folds the older files into one compact file (Spark's format), and
/// the real History Server still lists the application from what is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_event_log_past_its_bound_is_compacted_and_still_read_by_the_history_server() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone()).await.unwrap();
    let mut events = engine.subscribe();
    let job = submit(&engine, "rolling-probe").await;
    let (_, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let app_id = busy.app_id.clone().unwrap();
    let driver = runtime.drivers().into_iter().find(|d| d.app_name == "rolling-probe").unwrap();
    let rolling = driver.job_dir.join("events").join(format!("eventlog_v2_{app_id}"));
    std::fs::create_dir(&rolling).unwrap();
    let start: Vec<String> = finished_event_log(&app_id, "rolling-probe").lines().map(str::to_string).collect();
    let task = r#"{"Event":"SparkListenerJobStart","Job ID":1,"Submission Time":1700000000500,"Stage Infos":[],"Stage IDs":[]}"#;
    // What Spark writes over 20 rolls: the application's start first, work after.
    for i in 1..=20 {
        let text = if i == 1 { format!("{}\n{}\n{task}\n", start[0], start[1]) } else { format!("{task}\n") };
        std::fs::write(rolling.join(format!("events_{i}_{app_id}")), text).unwrap();
    }
    std::fs::write(rolling.join(format!("appstatus_{app_id}.inprogress")), "").unwrap();
    let count = || std::fs::read_dir(&rolling).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("events_")).count();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while count() > 8 {
        assert!(std::time::Instant::now() < deadline, "the rolling log was not bounded: {} files", count());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(rolling.join(format!("events_13_{app_id}.compact")).is_file());
    // The application ends as Spark ends it: its end event, then the final status name.
    std::fs::write(rolling.join(format!("events_20_{app_id}")), format!("{task}\n{}\n", start[2])).unwrap();
    std::fs::rename(rolling.join(format!("appstatus_{app_id}.inprogress")), rolling.join(format!("appstatus_{app_id}"))).unwrap();
    runtime.end(&driver.id, ScriptedExit::Code(0));
    states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;

    let url = engine.history_url(&job.job_id).await.unwrap();
    let base = url.split("/history/").next().unwrap();
    let app: serde_json::Value =
        reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{base}/api/v1/applications/{app_id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(app["name"], "rolling-probe", "{app}");
    assert_eq!(app["attempts"][0]["completed"], true, "{app}");
    engine.shutdown();
}
