//! `autoPause`: a group whose drivers were idle for `auto_pause_idle` is paused (drivers
//! stopped, committed and announced like the user's pause), never while a request runs or
//! waits; the next request resumes it and is answered. Groups without it keep today's
//! refusal when paused. On the scripted runtime with a stand-in agent, no Spark.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::Duration;

use common::group_world::{code, create_named, drivers_until, live, wait_for, within_20s, world};
use sparkdeck_engine::model::group::Group;
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig, EngineEvent, GroupForm};
use tokio::sync::broadcast;

const IDLE: Duration = Duration::from_millis(300);

async fn create_auto(engine: &Engine, name: &str, scale: u32) -> Group {
    let form =
        GroupForm { name: Some(name.into()), kind: Some("CODE".into()), scale: Some(scale), auto_pause: Some(true), ..GroupForm::default() };
    engine.create_group(form).await.unwrap()
}

async fn paused_until(engine: &Engine, id: &str, paused: bool) -> Group {
    within_20s("the group's pause state", async {
        loop {
            let group = engine.get_group(id).await.unwrap();
            if group.paused == paused {
                return group;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// The `paused` values the group's announced changes carried so far.
fn announced_pauses(events: &mut broadcast::Receiver<EngineEvent>, id: &str) -> Vec<bool> {
    let mut pauses = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::GroupChanged { group } = event
            && group.id == id
        {
            pauses.push(group.paused);
        }
    }
    pauses
}

#[tokio::test]
async fn an_idle_group_with_auto_pause_is_paused_and_its_drivers_stopped() {
    let (_dir, runtime, engine) = world(|c| c.auto_pause_idle = IDLE).await;
    let mut events = engine.subscribe();
    let group = create_auto(&engine, "idle", 2).await;
    assert!(group.auto_pause, "shown back: {group:?}");
    let paused = paused_until(&engine, &group.id, true).await;
    assert_eq!((paused.state, paused.scale), (sparkdeck_engine::model::group::GroupState::Active, 2), "as the user's pause leaves it");
    wait_for("its drivers stopped", || live(&runtime).is_empty()).await;
    drivers_until(&engine, &group.id, "no driver left running", <[JobState]>::is_empty).await;
    assert!(announced_pauses(&mut events, &group.id).ends_with(&[true]), "the pause was announced");
    let stored = engine.get_group(&group.id).await.unwrap();
    assert!(stored.paused && stored.auto_pause, "committed: {stored:?}");
}

#[tokio::test]
async fn a_group_is_not_paused_while_a_request_runs_or_waits() {
    let (_dir, _runtime, engine) = world(|c| c.auto_pause_idle = IDLE).await;
    let mut events = engine.subscribe();
    // Asked for at once, so the group is never idle before them (a wait for its driver
    // here could miss the READY spell of a loaded machine). The first runs for several
    // idle times; the second waits behind it in the queue.
    let group = create_auto(&engine, "busy", 1).await;
    let running = engine.execute_instance(&group.id, code("wait:1500"));
    let waiting = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        engine.execute_instance(&group.id, code("wait:600")).await
    };
    let (ran, waited) = within_20s("both answers", async { tokio::join!(running, waiting) }).await;
    let (ran, waited) = (ran.unwrap(), waited.unwrap());
    assert_eq!((ran.state, ran.result.as_deref()), (JobState::Finished, Some("wait:1500")), "{ran:?}");
    assert_eq!((waited.state, waited.result.as_deref()), (JobState::Finished, Some("wait:600")), "{waited:?}");
    // In announcement order: no pause before the second request's end (which is announced
    // before its driver is idle again).
    let mut paused_before_the_end = false;
    while let Ok(event) = events.try_recv() {
        match event {
            EngineEvent::GroupChanged { group: changed } if changed.id == group.id => paused_before_the_end |= changed.paused,
            EngineEvent::JobInstanceChanged { instance, .. }
                if instance.job_instance_id == waited.job_instance_id && instance.state.is_terminal() =>
            {
                break;
            }
            _ => {}
        }
    }
    assert!(!paused_before_the_end, "no pause while a request ran or waited");
    // Idle afterwards, it is paused.
    paused_until(&engine, &group.id, true).await;
}

#[tokio::test]
async fn a_request_to_an_auto_paused_group_resumes_it_and_is_answered() {
    let (_dir, runtime, engine) = world(|c| c.auto_pause_idle = IDLE).await;
    let group = create_auto(&engine, "sleepy", 1).await;
    paused_until(&engine, &group.id, true).await;
    wait_for("its driver stopped", || live(&runtime).is_empty()).await;
    let mut events = engine.subscribe();

    let answer = within_20s("the answer", engine.execute_instance(&group.id, code("hello"))).await.unwrap();
    assert_eq!((answer.state, answer.result.as_deref()), (JobState::Finished, Some("hello")), "{answer:?}");
    assert_eq!(announced_pauses(&mut events, &group.id).first(), Some(&false), "resumed (committed and announced) first");

    // A queued request (submit) is answered too, after the group paused again.
    paused_until(&engine, &group.id, true).await;
    let queued = engine.submit_instance(&group.id, code("later")).await.unwrap();
    assert_eq!(queued.state, JobState::Submitted);
    let done = within_20s("the queued answer", async {
        loop {
            let now = engine.get_instance(&group.id, &queued.job_instance_id).await.unwrap();
            if now.state.is_terminal() {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!((done.state, done.result.as_deref()), (JobState::Finished, Some("later")), "{done:?}");
}

#[tokio::test]
async fn a_group_without_auto_pause_stays_up_when_idle_and_refuses_requests_when_paused() {
    let (_dir, _runtime, engine) = world(|c| c.auto_pause_idle = IDLE).await;
    // Created first, so idle at least as long as the one that pauses itself.
    let plain = create_named(&engine, "plain", 1).await;
    let auto = create_auto(&engine, "auto", 1).await;
    paused_until(&engine, &auto.id, true).await;
    let plain_now = engine.get_group(&plain.id).await.unwrap();
    assert!(!plain_now.paused && !plain_now.auto_pause, "without autoPause it is not paused: {plain_now:?}");

    engine.pause_group(&plain.id).await.unwrap();
    let refused = engine.execute_instance(&plain.id, code("1")).await.unwrap_err();
    assert_eq!(refused.field(), Some("state"), "{refused}");
    assert!(refused.to_string().contains("is paused; resume it first"), "{refused}");
    assert!(engine.get_group(&plain.id).await.unwrap().paused, "the refusal did not resume it");

    // Turned on by an update, the paused group is resumed by its next request.
    let form = GroupForm { auto_pause: Some(true), ..GroupForm::default() };
    assert!(engine.update_group(&plain.id, form).await.unwrap().auto_pause);
    let answer = within_20s("the answer", engine.execute_instance(&plain.id, code("woken"))).await.unwrap();
    assert_eq!((answer.state, answer.result.as_deref()), (JobState::Finished, Some("woken")), "{answer:?}");
}

#[tokio::test]
async fn a_group_whose_driver_is_still_starting_is_not_idle() {
    // No agent answers: the group's one driver stays STARTING.
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.auto_pause_idle = IDLE;
    let engine = Engine::open_with_runtime(config, ScriptedRuntime::new()).await.unwrap();
    let group = create_auto(&engine, "waking", 1).await;
    drivers_until(&engine, &group.id, "a STARTING driver", |s| s == [JobState::Starting]).await;
    // Several idle times; before the drivers counted only once READY, it was paused after one.
    tokio::time::sleep(IDLE * 5).await;
    let now = engine.get_group(&group.id).await.unwrap();
    assert!(!now.paused, "a group that has not come up is not idle: {now:?}");
    engine.delete_group(&group.id).await.unwrap();
}
