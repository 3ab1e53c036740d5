//! The single-job state machine on the scripted test runtime (no Spark, no processes):
//! launch, end, failure, launch failure, stop while launching, the per-cluster queue, and
//! recovery after the engine went away. Real Spark runs the same jobs end to end in
//! `crates/server/tests/jobs_spark.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::Path;
use std::time::Duration;

use common::states_until;
use sparkdeck_engine::model::error_cause::ErrorCauseKind;
use sparkdeck_engine::model::job::{Job, JobState};
use sparkdeck_engine::testing::{LaunchScript, ScriptedExit, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, EngineError, EngineEvent, JobQuery, JobSubmission};

async fn open(dir: &Path, runtime: &ScriptedRuntime) -> Engine {
    // A previous engine on the directory lets go of it once its background tasks notice.
    loop {
        match Engine::open_with_runtime(EngineConfig::new(Some(dir.to_path_buf())), runtime.clone()).await {
            Ok(engine) => return engine,
            Err(EngineError::DataDirLocked { .. }) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("{e}"),
        }
    }
}

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

fn driver_of(runtime: &ScriptedRuntime, name: &str) -> String {
    runtime.drivers().into_iter().find(|d| d.app_name == name).map(|d| d.id).unwrap_or_else(|| panic!("{name} was not launched"))
}

#[tokio::test]
async fn a_job_goes_from_submitted_through_busy_to_finished() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let job = submit(&engine, "ok").await;
    let (_, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let driver = driver_of(&runtime, "ok");
    assert_eq!(busy.app_id.as_deref(), Some(format!("app-{driver}").as_str()));
    assert!(runtime.end(&driver, ScriptedExit::Code(0)));
    let (states, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(states, [JobState::Finished]);
    assert_eq!((done.error, done.end_time >= done.start_time), (None, true));
    assert_eq!(engine.get_job(&job.job_id).await.unwrap().state, JobState::Finished, "stored as announced");
}

/// Where a state comes in a job's life.
fn rank(state: JobState) -> usize {
    match state {
        JobState::Submitted => 0,
        JobState::Starting => 1,
        JobState::Ready | JobState::Busy => 2,
        _ => 3,
    }
}

#[tokio::test]
async fn every_announced_state_is_already_stored() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let job = submit(&engine, "order").await;
    let mut seen = Vec::new();
    let mut ended = false;
    while !ended {
        let event = tokio::time::timeout(Duration::from_secs(20), events.recv()).await.expect("an event").unwrap();
        let EngineEvent::JobChanged { job: announced } = event else { continue };
        // Read the store while handling the event: the change is committed already (the
        // store may be further on by now, never behind).
        let stored = engine.get_job(&announced.job_id).await.unwrap();
        assert!(rank(stored.state) >= rank(announced.state), "{:?} announced, {:?} stored", announced.state, stored.state);
        if announced.state == JobState::Busy {
            runtime.end(&driver_of(&runtime, "order"), ScriptedExit::Code(0));
        }
        ended = announced.state.is_terminal();
        seen.push(announced.state);
    }
    assert_eq!(seen, [JobState::Submitted, JobState::Starting, JobState::Busy, JobState::Finished], "{}", job.job_id);
}

#[tokio::test]
async fn a_failing_driver_fails_the_job_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    for (name, exit, expected) in [
        ("reported", ScriptedExit::Reported(Err("the pod was evicted".into())), "the pod was evicted"),
        ("exit-code", ScriptedExit::Code(3), "spark-submit exited with code 3"),
    ] {
        let job = submit(&engine, name).await;
        states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
        runtime.end(&driver_of(&runtime, name), exit);
        let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
        assert_eq!((done.state, done.error.as_deref()), (JobState::Failed, Some(expected)), "{name}");
        // Neither is a failure a known cause explains.
        assert_eq!(done.error_cause, None, "{name}");
    }
}

#[tokio::test]
async fn a_failed_jobs_cause_is_stored_with_its_end_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let pod = submit(&engine, "oom-pod").await;
    states_until(&mut events, &pod.job_id, |j| j.state == JobState::Busy).await;
    runtime.end(&driver_of(&runtime, "oom-pod"), ScriptedExit::Reported(Err("the driver exited with code 137 (OOMKilled)".into())));
    let (_, announced) = states_until(&mut events, &pod.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(announced.error_cause.map(|c| c.kind), Some(ErrorCauseKind::DriverOutOfMemory));

    let module = submit(&engine, "no-module").await;
    states_until(&mut events, &module.job_id, |j| j.state == JobState::Busy).await;
    let driver = runtime.drivers().into_iter().find(|d| d.app_name == "no-module").unwrap();
    std::fs::write(driver.job_dir.join("stdout.log"), "Traceback (most recent call last):\nModuleNotFoundError: No module named 'pandas'\n").unwrap();
    runtime.end(&driver.id, ScriptedExit::Code(1));
    states_until(&mut events, &module.job_id, |j| j.state.is_terminal()).await;

    // Stored, not worked out again: the list and a reopened engine read it from the row.
    drop(engine);
    let engine = open(dir.path(), &runtime).await;
    let listed = engine.list_jobs(&JobQuery::default()).await.unwrap().content;
    let cause_of = |id: &str| listed.iter().find(|j| j.job_id == id).and_then(|j| j.error_cause.clone()).map(|c| (c.kind, c.summary));
    assert_eq!(cause_of(&pod.job_id).map(|c| c.0), Some(ErrorCauseKind::DriverOutOfMemory));
    assert_eq!(cause_of(&module.job_id), Some((ErrorCauseKind::MissingPythonModule, "the Python module 'pandas' is not installed".into())));
    let hint = engine.get_job(&module.job_id).await.unwrap().error_cause.unwrap().hint;
    assert!(hint.contains("pyRequirements"), "{hint}");
}

#[tokio::test]
async fn a_launch_that_fails_fails_the_job_and_launches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.script(LaunchScript { fail: Some("the API server at https://k:6443 refused the connection".into()), ..LaunchScript::default() });
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let job = submit(&engine, "refused").await;
    let (states, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(states, [JobState::Submitted, JobState::Starting, JobState::Failed]);
    assert_eq!(done.error.as_deref(), Some("the API server at https://k:6443 refused the connection"));
    assert!(runtime.drivers().is_empty());
}

#[tokio::test]
async fn a_job_stopped_while_it_launches_is_canceled_and_its_driver_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.script(LaunchScript { delay: Duration::from_millis(300), ..LaunchScript::default() });
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let submitted = {
        let engine = engine.clone();
        tokio::spawn(async move { submit(&engine, "slow").await })
    };
    // The submit returns once the launch did; stop it from the first announcement on.
    let id = loop {
        if let Ok(EngineEvent::JobChanged { job }) = events.recv().await {
            break job.job_id;
        }
    };
    let stopped = engine.stop_job(&id).await.unwrap();
    assert_eq!(stopped.state, JobState::Canceled);
    submitted.await.unwrap();
    let drivers = runtime.drivers();
    assert!(drivers.iter().all(|d| d.stopped), "no driver outlives its stopped job: {drivers:?}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(engine.get_job(&id).await.unwrap().state, JobState::Canceled, "the follower does not revive it");
    let again = engine.stop_job(&id).await.unwrap_err();
    assert!(matches!(again, EngineError::Conflict(_)), "{again}");
}

#[tokio::test]
async fn a_local_cluster_runs_two_jobs_at_once_and_queues_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let jobs = [submit(&engine, "q1").await, submit(&engine, "q2").await, submit(&engine, "q3").await];
    states_until(&mut events, &jobs[1].job_id, |j| j.state == JobState::Busy).await;
    assert_eq!(engine.get_job(&jobs[2].job_id).await.unwrap().state, JobState::Submitted, "waits for a slot");
    assert_eq!(runtime.drivers().len(), 2);
    runtime.end(&driver_of(&runtime, "q1"), ScriptedExit::Code(0));
    states_until(&mut events, &jobs[2].job_id, |j| j.state == JobState::Busy).await;
    assert_eq!(engine.get_job(&jobs[0].job_id).await.unwrap().state, JobState::Finished);
    // A queued job that is stopped is simply canceled.
    let q4 = submit(&engine, "q4").await;
    assert_eq!(engine.stop_job(&q4.job_id).await.unwrap().state, JobState::Canceled);
    assert_eq!(runtime.drivers().len(), 3, "q4 never launched");
}

#[tokio::test]
async fn after_a_restart_a_running_driver_is_followed_again_and_a_crashed_one_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let running = submit(&engine, "survivor").await;
    let crashed = submit(&engine, "crashed").await;
    for job in [&running, &crashed] {
        states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    }
    drop(events);
    drop(engine);
    // While no engine runs, one driver crashes without an exit code.
    runtime.end(&driver_of(&runtime, "crashed"), ScriptedExit::Killed);
    let engine = open(dir.path(), &runtime).await;
    assert_eq!(engine.get_job(&running.job_id).await.unwrap().state, JobState::Busy, "re-attached");
    let lost = engine.get_job(&crashed.job_id).await.unwrap();
    assert_eq!(lost.state, JobState::Unknown);
    assert!(lost.error.as_deref().is_some_and(|e| e.contains("left no exit code")), "{lost:?}");
    assert_eq!(runtime.drivers().len(), 2, "nothing relaunched");
    let mut events = engine.subscribe();
    runtime.end(&driver_of(&runtime, "survivor"), ScriptedExit::Code(0));
    let (_, done) = states_until(&mut events, &running.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Finished);
}

#[tokio::test]
async fn deleting_a_job_whose_driver_cannot_be_stopped_is_refused_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let job = submit(&engine, "stuck").await;
    states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    runtime.fail_stops(Some("the job's processes (group 4242) did not end after SIGKILL"));
    let refused = engine.delete_job(&job.job_id).await.unwrap_err();
    assert!(refused.to_string().contains("did not end after SIGKILL"), "{refused}");
    assert_eq!(engine.get_job(&job.job_id).await.unwrap().state, JobState::Busy, "kept, still followed");
    // Once the driver can be stopped, the delete goes through.
    runtime.fail_stops(None);
    engine.delete_job(&job.job_id).await.unwrap();
    assert!(runtime.drivers().iter().all(|d| d.stopped));
    assert!(matches!(engine.get_job(&job.job_id).await, Err(EngineError::NotFound { .. })));
}

#[tokio::test]
async fn an_end_that_cannot_be_written_is_written_once_the_database_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.db_busy_timeout = Duration::from_millis(100);
    let engine = Engine::open_with_runtime(config, runtime.clone()).await.unwrap();
    let mut events = engine.subscribe();
    let job = submit(&engine, "locked-out").await;
    states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    // Another writer holds the database while the driver ends: the end cannot be written.
    let url = format!("sqlite://{}", dir.path().join("sparkdeck.db").display());
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    runtime.end(&driver_of(&runtime, "locked-out"), ScriptedExit::Code(0));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(engine.get_job(&job.job_id).await.unwrap().state, JobState::Busy, "not written while locked");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Finished, "the follower tried again");
    // Its slot is free again: the next job runs.
    let next = submit(&engine, "after").await;
    states_until(&mut events, &next.job_id, |j| j.state == JobState::Busy).await;
}

#[tokio::test]
async fn a_driver_whose_launch_could_not_be_recorded_is_adopted_after_a_restart_not_launched_again() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.script(LaunchScript { delay: Duration::from_millis(500), ..LaunchScript::default() });
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.db_busy_timeout = Duration::from_millis(100);
    let engine = Engine::open_with_runtime(config, runtime.clone()).await.unwrap();
    let mut events = engine.subscribe();
    let submitting = {
        let engine = engine.clone();
        tokio::spawn(async move { submit(&engine, "unrecorded").await })
    };
    let id = loop {
        if let Ok(EngineEvent::JobChanged { job }) = events.recv().await {
            break job.job_id;
        }
    };
    let (states, _) = states_until(&mut events, &id, |j| j.state == JobState::Starting).await;
    assert_eq!(states, [JobState::Starting], "STARTING is committed before the launch");
    assert!(runtime.drivers().is_empty(), "and announced before the launch returns");
    // The database is locked while the launch runs: its driver cannot be recorded.
    let url = format!("sqlite://{}", dir.path().join("sparkdeck.db").display());
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    submitting.await.unwrap();
    assert_eq!(runtime.drivers().len(), 1);
    // The app dies before anything could be written.
    drop(events);
    drop(engine);
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    drop(other);
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let adopted = engine.get_job(&id).await.unwrap().state;
    assert!(matches!(adopted, JobState::Starting | JobState::Busy), "adopted and followed, not {adopted:?}");
    let driver = driver_of(&runtime, "unrecorded");
    runtime.end(&driver, ScriptedExit::Code(0));
    let (_, done) = states_until(&mut events, &id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Finished);
    assert_eq!(runtime.drivers().len(), 1, "launched once: {:?}", runtime.drivers());
}

#[tokio::test]
async fn after_shutdown_nothing_is_launched_and_queued_jobs_wait_for_the_next_engine() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    engine.shutdown();
    let queued = submit(&engine, "after-shutdown").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(runtime.drivers().is_empty());
    assert_eq!(engine.get_job(&queued.job_id).await.unwrap().state, JobState::Submitted);
    drop(engine);
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    states_until(&mut events, &queued.job_id, |j| j.state == JobState::Busy).await;
}

#[tokio::test]
async fn a_launch_that_fails_while_the_database_is_locked_is_failed_once_it_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.script(LaunchScript { delay: Duration::from_millis(400), fail: Some("no such image".into()), ..LaunchScript::default() });
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.db_busy_timeout = Duration::from_millis(100);
    config.local_concurrency = 1;
    let engine = Engine::open_with_runtime(config, runtime.clone()).await.unwrap();
    let mut events = engine.subscribe();
    let submitting = {
        let engine = engine.clone();
        tokio::spawn(async move { submit(&engine, "locked-launch").await })
    };
    let id = loop {
        if let Ok(EngineEvent::JobChanged { job }) = events.recv().await {
            break job.job_id;
        }
    };
    states_until(&mut events, &id, |j| j.state == JobState::Starting).await;
    // Another writer holds the database while the launch fails: its end cannot be written.
    let url = format!("sqlite://{}", dir.path().join("sparkdeck.db").display());
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    submitting.await.unwrap();
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let (_, done) = states_until(&mut events, &id, |j| j.state.is_terminal()).await;
    assert_eq!((done.state, done.error.as_deref()), (JobState::Failed, Some("no such image")), "written once the lock went");
    // Its slot is free again: the next job runs.
    let next = submit(&engine, "after").await;
    states_until(&mut events, &next.job_id, |j| j.state == JobState::Busy).await;
    assert_eq!(runtime.drivers().len(), 1, "only the second job launched a driver");
}

#[tokio::test]
async fn a_job_left_starting_by_a_crash_before_its_launch_is_launched_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    engine.shutdown();
    let job = submit(&engine, "never-started").await;
    drop(engine);
    // What a crash between committing STARTING and starting the driver leaves.
    let url = format!("sqlite://{}", dir.path().join("sparkdeck.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let changed = sqlx::query("UPDATE jobs SET state = 'STARTING', start_time = 1 WHERE id = ?").bind(&job.job_id).execute(&mut db).await.unwrap();
    assert_eq!(changed.rows_affected(), 1);
    drop(db);
    let engine = open(dir.path(), &runtime).await;
    let mut events = engine.subscribe();
    let now = engine.get_job(&job.job_id).await.unwrap();
    assert!(matches!(now.state, JobState::Starting | JobState::Busy), "queued again and launched, not {:?} ({:?})", now.state, now.error);
    if now.state != JobState::Busy {
        states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    }
    runtime.end(&driver_of(&runtime, "never-started"), ScriptedExit::Code(0));
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Finished);
    assert_eq!(runtime.drivers().len(), 1, "launched once");
}
