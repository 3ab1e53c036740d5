//! Every request gets an answer: a time limit per request, a driver that overstays a
//! cancel or whose connection is cut is stopped and replaced, and `execute` answers when
//! the group is deleted meanwhile or the end cannot be recorded. On the scripted runtime
//! with a stand-in agent (`common::group_world`), no Spark.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::Duration;

use common::group_world::{code, create, drivers_until, live, wait_for, within_20s, world};
use sparkdeck_engine::EngineError;
use sparkdeck_engine::model::group::RequestOptions;
use sparkdeck_engine::model::job::JobState;
use sqlx::Connection;

fn limit(seconds: u32) -> RequestOptions {
    RequestOptions { timeout_seconds: Some(seconds) }
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_cancelled_and_fails_saying_so() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let done = within_20s("the answer", engine.execute_instance_with(&group.id, code("until-cancel"), limit(1))).await.unwrap();
    assert_eq!(done.state, JobState::Failed);
    let message = done.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("time limit of 1 s") && message.contains("was cancelled"), "{message}");
    let next = engine.execute_instance(&group.id, code("after")).await.unwrap();
    assert_eq!((next.state, next.result.as_deref()), (JobState::Finished, Some("after")));
    assert_eq!(runtime.drivers().len(), 1, "the driver ended the request and keeps serving");
}

#[tokio::test]
async fn a_driver_that_overstays_the_cancel_of_a_timed_out_request_is_replaced() {
    let (_dir, runtime, engine) = world(|c| c.cancel_grace = Duration::from_millis(300)).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let done = within_20s("the answer", engine.execute_instance_with(&group.id, code("stuck"), limit(1))).await.unwrap();
    assert_eq!(done.state, JobState::Failed);
    let message = done.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("time limit of 1 s") && message.contains("being replaced"), "{message}");
    assert!(runtime.drivers()[0].stopped, "the stuck driver was stopped");
    drivers_until(&engine, &group.id, "a replacement READY", |s| s == [JobState::Ready]).await;
    assert_eq!(engine.execute_instance(&group.id, code("after")).await.unwrap().state, JobState::Finished);
}

#[tokio::test]
async fn a_driver_that_overstays_a_cancel_is_replaced() {
    let (_dir, runtime, engine) = world(|c| c.cancel_grace = Duration::from_millis(300)).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let instance = engine.submit_instance(&group.id, code("stuck")).await.unwrap();
    drivers_until(&engine, &group.id, "the driver BUSY", |s| s == [JobState::Busy]).await;
    engine.cancel_instance(&group.id, &instance.job_instance_id).await.unwrap();
    wait_for("the stuck driver stopped", || runtime.drivers()[0].stopped).await;
    let ended = engine.get_instance(&group.id, &instance.job_instance_id).await.unwrap();
    assert_eq!(ended.state, JobState::Canceled);
    let message = ended.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("did not end it"), "{message}");
    drivers_until(&engine, &group.id, "a replacement READY", |s| s == [JobState::Ready]).await;
}

#[tokio::test]
async fn a_cut_connection_fails_the_request_and_the_live_driver_is_replaced() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let failed = within_20s("the answer", engine.execute_instance(&group.id, code("cut"))).await.unwrap();
    assert_eq!(failed.state, JobState::Failed);
    let message = failed.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("lost contact") && message.contains("replaced"), "{message}");
    // Its process was still running: it is stopped, not trusted with the next request.
    assert!(runtime.drivers()[0].stopped, "the driver that lost contact was stopped");
    drivers_until(&engine, &group.id, "a replacement READY", |s| s == [JobState::Ready]).await;
    assert_eq!(live(&runtime).len(), 1);
    assert_eq!(engine.execute_instance(&group.id, code("after")).await.unwrap().state, JobState::Finished);
}

#[tokio::test]
async fn execute_answers_when_the_group_is_deleted_meanwhile() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let waiting = {
        let (engine, id) = (engine.clone(), group.id.clone());
        tokio::spawn(async move { engine.execute_instance(&id, code("stuck")).await })
    };
    drivers_until(&engine, &group.id, "the driver BUSY", |s| s == [JobState::Busy]).await;
    engine.delete_group(&group.id).await.unwrap();
    let answer = within_20s("an answer after the delete", waiting).await.unwrap();
    match answer {
        Err(EngineError::NotFound { .. }) => {}
        Ok(instance) => assert_eq!(instance.state, JobState::Failed, "{instance:?}"),
        Err(other) => panic!("unexpected answer: {other}"),
    }
}

#[tokio::test]
async fn execute_answers_when_the_end_of_the_request_cannot_be_recorded() {
    let (dir, _runtime, engine) = world(|c| c.db_busy_timeout = Duration::from_millis(200)).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let waiting = {
        let (engine, id) = (engine.clone(), group.id.clone());
        tokio::spawn(async move { engine.execute_instance(&id, code("wait:1500")).await })
    };
    drivers_until(&engine, &group.id, "the driver BUSY", |s| s == [JobState::Busy]).await;
    // The database stays write-locked until the answer is back.
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("sparkdeck.db")).busy_timeout(Duration::from_secs(10));
    let mut lock = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut lock).await.unwrap();
    let answer = within_20s("an answer while the database is locked", waiting).await.unwrap();
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    let error = answer.expect_err("the end was not recorded");
    assert!(error.to_string().contains("could not be recorded"), "{error}");
}

#[tokio::test]
async fn a_time_limit_out_of_range_is_refused_naming_the_field() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 0).await;
    for bad in [0, sparkdeck_engine::limits::MAX_REQUEST_TIMEOUT_SECONDS + 1] {
        let error = engine.submit_instance_with(&group.id, code("1"), limit(bad)).await.unwrap_err();
        assert_eq!(error.field(), Some("timeoutSeconds"), "{error}");
    }
    let listed = engine.list_instances(&group.id, None, &Default::default()).await.unwrap();
    assert_eq!(listed.total_elements, 0, "nothing was queued");
}
