//! Changes of groups that race each other or the database: a rescale racing an update
//! keeps both, concurrent deletes all succeed, an archived group's supervisor ends. On
//! the scripted runtime (no Spark).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::Path;
use std::time::Duration;

use common::group_world::{create, create_named, drivers_until, wait_for, world};
use sparkdeck_engine::GroupForm;
use sparkdeck_engine::model::job::JobState;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// A second connection to the engine's database holding its write lock.
async fn hold_write_lock(data_dir: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join("sparkdeck.db"))
        .busy_timeout(Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

#[tokio::test]
async fn a_rescale_racing_an_update_keeps_both_changes() {
    let (dir, _runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 0).await;
    // Both changes queue for the write lock; without one writer per group each would have
    // read the group before the other wrote, and the second write would undo the first.
    let mut lock = hold_write_lock(dir.path()).await;
    let update = {
        let (engine, id) = (engine.clone(), group.id.clone());
        let form = GroupForm {
            description: Some("changed".into()),
            ..GroupForm::default()
        };
        tokio::spawn(async move { engine.update_group(&id, form).await })
    };
    let rescale = {
        let (engine, id) = (engine.clone(), group.id.clone());
        tokio::spawn(async move { engine.rescale_group(&id, 2).await })
    };
    // Time for both to read the group (a read is not blocked by the lock) — this only
    // lets the old, racy code race; the outcome is checked below.
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    update.await.unwrap().unwrap();
    rescale.await.unwrap().unwrap();
    let stored = engine.get_group(&group.id).await.unwrap();
    assert_eq!(
        (stored.description.as_str(), stored.scale),
        ("changed", 2),
        "neither change may be lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_racing_other_writes_all_succeed() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let mut ids = Vec::new();
    for n in 0..24 {
        ids.push(create_named(&engine, &format!("group {n}"), 0).await.id);
    }
    let (doomed, kept) = ids.split_at(12);
    // A delete reads what its group references, then deletes it: a write committed in
    // between must make it wait, not fail.
    let updates = kept.iter().map(|id| {
        let (engine, id) = (engine.clone(), id.clone());
        tokio::spawn(async move {
            for n in 0..10 {
                let form = GroupForm {
                    description: Some(format!("update {n}")),
                    ..GroupForm::default()
                };
                engine.update_group(&id, form).await?;
            }
            Ok::<_, sparkdeck_engine::EngineError>(())
        })
    });
    let deletes = doomed.iter().map(|id| {
        let (engine, id) = (engine.clone(), id.clone());
        tokio::spawn(async move { engine.delete_group(&id).await })
    });
    let (updated, deleted) = futures::future::join(
        futures::future::join_all(updates),
        futures::future::join_all(deletes),
    )
    .await;
    for (id, deleted) in doomed.iter().zip(deleted) {
        deleted
            .unwrap()
            .unwrap_or_else(|e| panic!("deleting {id}: {e}"));
    }
    for (id, updated) in kept.iter().zip(updated) {
        updated
            .unwrap()
            .unwrap_or_else(|e| panic!("updating {id}: {e}"));
    }
    assert_eq!(
        engine
            .list_groups(&Default::default())
            .await
            .unwrap()
            .total_elements,
        12
    );
}

#[tokio::test]
async fn an_archived_group_stops_its_supervisor_and_restart_brings_it_back() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| {
        s == [JobState::Ready]
    })
    .await;
    engine.stop_group(&group.id).await.unwrap();
    wait_for("the archived group's supervisor ended", || {
        !engine.is_supervised(&group.id)
    })
    .await;
    assert!(
        runtime.drivers().iter().all(|d| d.stopped),
        "its driver was stopped"
    );
    engine.restart_group(&group.id).await.unwrap();
    assert!(
        engine.is_supervised(&group.id),
        "a restarted group is supervised again"
    );
    drivers_until(&engine, &group.id, "a READY driver after restart", |s| {
        s == [JobState::Ready]
    })
    .await;
}
