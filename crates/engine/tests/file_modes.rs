//! What the engine leaves on disk is only as open as it must be: the database and its
//! WAL and SHM files are the owner's alone, stored uploads are read-only, and a data
//! directory keeps the mode its owner gave it (only one the engine creates is made 0700).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig, JobSubmission};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

async fn open(dir: &Path) -> Engine {
    Engine::open_with_runtime(EngineConfig::new(Some(dir.to_path_buf())), ScriptedRuntime::new()).await.unwrap()
}

#[tokio::test]
async fn the_database_and_its_wal_and_shm_files_are_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let engine = open(root.path()).await;
    engine.get_job("none").await.unwrap_err();
    for name in ["sparkdeck.db", "sparkdeck.db-wal", "sparkdeck.db-shm"] {
        assert_eq!(mode(&root.path().join(name)), 0o600, "{name}");
    }
}

#[tokio::test]
async fn a_data_directory_keeps_its_owners_mode_and_a_created_one_is_private() {
    let root = tempfile::tempdir().unwrap();
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o750)).unwrap();
    drop(open(&shared).await);
    assert_eq!(mode(&shared), 0o750, "an existing directory is not changed");

    let created = root.path().join("new").join("data");
    drop(open(&created).await);
    assert_eq!(mode(&created), 0o700);
}

#[tokio::test]
async fn stored_uploads_are_read_only() {
    let root = tempfile::tempdir().unwrap();
    let engine = open(root.path()).await;
    let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print('hello')\n").unwrap();
    let uploaded = script.finish().unwrap();
    let sha = uploaded.sha256.clone();
    let form = JobSubmission { name: Some("ro".into()), language: Some("PYTHON".into()), py_files: vec![uploaded], ..JobSubmission::default() };
    engine.submit_job(form).await.unwrap();
    assert_eq!(mode(&root.path().join("artifacts").join(sha)), 0o400);
}
