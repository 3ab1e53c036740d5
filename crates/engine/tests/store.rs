//! The store on a real SQLite file: migrations, WAL, first-start data, persistence, locking.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use sparkdeck_engine::JobQuery;
use sparkdeck_engine::model::cluster::{ClusterInput, ClusterType};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::{Engine, EngineConfig, EngineError};

#[tokio::test]
async fn first_start_creates_the_default_local_cluster() {
    let (_dir, engine) = common::engine().await;
    let page = engine.list_clusters(&Default::default()).await.unwrap();
    assert_eq!(page.total_elements, 1);
    let default = &page.content[0];
    assert_eq!((default.id.as_str(), default.name.as_str()), ("default", "default"));
    assert_eq!(default.cluster_type, ClusterType::Local);
    let cores = std::thread::available_parallelism().unwrap().get() as u32;
    assert_eq!(default.threads, Some(cores));
    assert_eq!(default.spark_master, format!("local[{cores}]"));
}

#[tokio::test]
async fn data_survives_a_restart_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig::new(Some(dir.path().to_path_buf()));
    let engine = Engine::open(config.clone()).await.unwrap();
    let input = ClusterInput {
        name: Some("spark-a".into()),
        cluster_type: Some("standalone".into()),
        url: Some("spark://127.0.0.1:7077".into()),
        ..Default::default()
    };
    let created = engine.create_cluster(&input).await.unwrap();
    assert!(dir.path().join("sparkdeck.db-wal").exists(), "WAL journal in use");
    drop(engine);

    let engine = Engine::open(config).await.unwrap();
    let again = engine.get_cluster(&created.id).await.unwrap();
    assert_eq!(again, created);
    assert_eq!(engine.cluster_names().await.unwrap(), ["default", "spark-a"], "default not created twice");
}

#[tokio::test]
async fn one_engine_per_data_directory() {
    let (dir, _engine) = common::engine().await;
    let second = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await;
    match second {
        Err(EngineError::DataDirLocked { holder, .. }) => assert!(holder.contains(&std::process::id().to_string())),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a second engine opened the same data directory"),
    }
}

/// A database from before 0006 (tag rows without the copies of their job's filter
/// columns): the migration fills them in, so existing jobs are found by tag and state.
#[tokio::test]
async fn the_tag_migration_fills_in_existing_rows() {
    let dir = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&migrations).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "0006" {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("sparkdeck.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path()).await.unwrap().run(&pool).await.unwrap();
    for (id, state, team) in [("j1", "FINISHED", "t1"), ("j2", "FAILED", "t1"), ("j3", "FINISHED", "t2")] {
        sqlx::query(
            "INSERT INTO jobs (id, name, job_type, language, cluster_id, cluster_name, state, submit_time, tags, spec)
             VALUES (?1, ?1, 'SINGLE', 'PYTHON', 'default', 'default', ?2, 1, json_object('team', ?3), '{}')",
        )
        .bind(id)
        .bind(state)
        .bind(team)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO job_tags (job_id, key, value) VALUES (?, 'team', ?)").bind(id).bind(team).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.unwrap();
    let query = JobQuery {
        states: vec![JobState::Finished],
        tags: [("team".to_string(), "t1".to_string())].into(),
        ..JobQuery::default()
    };
    let page = engine.list_jobs(&query).await.unwrap();
    let ids: Vec<&str> = page.content.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!((page.total_elements, ids), (1, vec!["j1"]));
}

#[tokio::test]
async fn an_unreadable_row_is_skipped_and_the_engine_still_opens() {
    use common::group_world::{create_named, drivers_until, world};
    let (dir, runtime, engine) = world(|_| {}).await;
    let broken = create_named(&engine, "broken", 1).await;
    let fine = create_named(&engine, "fine", 1).await;
    drivers_until(&engine, &fine.id, "a READY driver", |s| s == [JobState::Ready]).await;
    drivers_until(&engine, &broken.id, "a READY driver", |s| s == [JobState::Ready]).await;
    engine.shutdown();
    drop(engine);

    // Corrupt the group's row and its driver's (a job row) in the real SQLite file.
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("sparkdeck.db"));
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options).await.unwrap();
    sqlx::query(r#"UPDATE groups SET spec = '{"jars": 5}' WHERE id = ?"#).bind(&broken.id).execute(&mut db).await.unwrap();
    sqlx::query("UPDATE jobs SET tags = '[1]' WHERE group_id = ?").bind(&broken.id).execute(&mut db).await.unwrap();
    drop(db);

    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone()).await.expect("opens despite the unreadable rows");
    let listed: Vec<String> = engine.list_groups(&Default::default()).await.unwrap().content.into_iter().map(|g| g.name).collect();
    assert_eq!(listed, ["fine"], "the unreadable group is left out");
    let drivers = drivers_until(&engine, &fine.id, "the readable group's driver re-attached", |s| s == [JobState::Ready]).await;
    assert_eq!(drivers.len(), 1);
    assert_eq!(runtime.drivers().len(), 2, "nothing relaunched: the readable group re-attached");
    assert!(runtime.drivers().iter().all(|d| !d.stopped), "the unreadable group's driver is left alone");
    assert!(matches!(engine.get_group(&broken.id).await, Err(EngineError::Conflict(_))), "reading it names the problem");
}
