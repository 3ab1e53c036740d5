//! What a failure or a crash leaves behind is cleaned up (scripted runtime, no Spark): the
//! uploads of a submit or group whose row could not be inserted, `.upload-*` temporaries
//! and half-built virtualenvs found when the engine opens.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::path::Path;
use std::time::Duration;

use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig, EngineError, GroupForm, JobSubmission};

async fn open(dir: &Path, runtime: &ScriptedRuntime) -> Engine {
    // A previous engine on the directory lets go of it once its background tasks notice.
    loop {
        let mut config = EngineConfig::new(Some(dir.to_path_buf()));
        config.db_busy_timeout = Duration::from_millis(100);
        match Engine::open_with_runtime(config, runtime.clone()).await {
            Ok(engine) => return engine,
            Err(EngineError::DataDirLocked { .. }) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("{e}"),
        }
    }
}

/// The names in the artifact store, temporaries included.
fn artifacts(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("artifacts"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Holds the database's write lock until dropped (another writer: every insert fails busy).
async fn lock_database(dir: &Path) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}", dir.join("sparkdeck.db").display());
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    other
}

#[tokio::test]
async fn the_uploads_of_a_submit_whose_insert_fails_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print('never stored')\n").unwrap();
    let form = JobSubmission {
        name: Some("locked-out".into()),
        language: Some("PYTHON".into()),
        py_files: vec![script.finish().unwrap()],
        ..JobSubmission::default()
    };
    let lock = lock_database(dir.path()).await;
    let err = engine.submit_job(form).await.unwrap_err();
    drop(lock);
    assert!(err.to_string().contains("locked"), "{err}");
    assert_eq!(artifacts(dir.path()), Vec::<String>::new(), "no upload is left that no row references");
    assert!(runtime.drivers().is_empty());
}

#[tokio::test]
async fn the_uploads_of_a_group_whose_insert_fails_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime).await;
    let mut file = engine.begin_upload("files", "lookup.csv").unwrap();
    file.write(b"a,b\n").unwrap();
    let form = GroupForm {
        name: Some("locked-out".into()),
        kind: Some("CODE".into()),
        scale: Some(0),
        files: vec![file.finish().unwrap()],
        ..GroupForm::default()
    };
    let lock = lock_database(dir.path()).await;
    let err = engine.create_group(form).await.unwrap_err();
    drop(lock);
    assert!(err.to_string().contains("locked"), "{err}");
    assert_eq!(artifacts(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn upload_temporaries_and_half_built_virtualenvs_a_crash_left_are_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    drop(open(dir.path(), &runtime).await);
    // What a killed engine leaves: an upload in progress, a wrapper's half-built
    // virtualenv (its shell gone), a requirements file being written; and what a running
    // wrapper (this process stands in for it) is building, which stays.
    std::fs::create_dir_all(dir.path().join("artifacts")).unwrap();
    std::fs::write(dir.path().join("artifacts/.upload-abc123"), b"half").unwrap();
    let venvs = dir.path().join("venvs");
    let dead = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    drop(dead.wait_with_output());
    for name in [format!("0123456789abcdef.tmp.{dead_pid}"), format!("fedcba9876543210.tmp.{}", std::process::id())] {
        std::fs::create_dir_all(venvs.join(&name).join("bin")).unwrap();
    }
    std::fs::write(venvs.join(".0123456789abcdef.5f0c.tmp"), b"x\n").unwrap();
    std::fs::create_dir_all(venvs.join("00112233aabbccdd/bin")).unwrap();
    let engine = open(dir.path(), &runtime).await;
    assert_eq!(artifacts(dir.path()), Vec::<String>::new());
    let mut left: Vec<String> =
        std::fs::read_dir(&venvs).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["00112233aabbccdd".to_string(), format!("fedcba9876543210.tmp.{}", std::process::id())]);
    drop(engine);
}
