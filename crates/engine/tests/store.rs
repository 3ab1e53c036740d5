//! The store on a real SQLite file: migrations, WAL, first-start data, persistence, locking.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use sparkdeck_engine::model::cluster::{ClusterInput, ClusterType};
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

#[cfg(unix)]
#[tokio::test]
async fn data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, _engine) = common::engine().await;
    let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
