//! A database made by an older Sparkdeck upgrades in place: migration 0014 lets groups and
//! their drivers' job rows be SQL without losing a row of theirs or of their children
//! (tags, artifacts, instances, which a rebuilt table would cascade away).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::path::Path;

use sparkdeck_engine::model::group::GroupKind;
use sparkdeck_engine::model::job::Language;
use sparkdeck_engine::model::paging::PageRequest;
use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig, GroupForm, JobQuery};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

/// A database at `db` migrated by the migrations before 0014 only, as Sparkdeck left it.
async fn older_database(db: &Path, migrations: &Path) -> SqlitePool {
    std::fs::create_dir_all(migrations).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0014" {
            std::fs::copy(&path, migrations.join(&name)).unwrap();
        }
    }
    let options = SqliteConnectOptions::new().filename(db).create_if_missing(true).foreign_keys(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(migrations).await.unwrap().run(&pool).await.unwrap();
    pool
}

#[tokio::test]
async fn an_older_database_keeps_its_groups_jobs_and_their_children_and_takes_sql() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = tempfile::tempdir().unwrap();
    let pool = older_database(&dir.path().join("sparkdeck.db"), migrations.path()).await;
    for statement in [
        "INSERT INTO groups (id, name, kind, language, cluster_id, cluster_name, state, scale, created_time, updated_time, tags, spec)
         VALUES ('g1', 'old', 'CODE', 'PYTHON', 'default', 'default', 'ARCHIVED', 0, 1, 1, '{\"team\":\"a\"}', '{}')",
        "INSERT INTO group_tags (group_id, key, value) VALUES ('g1', 'team', 'a')",
        "INSERT INTO job_instances (id, group_id, request_type, state, code, result, submit_time)
         VALUES ('i1', 'g1', 'interactive_code_execute', 'FINISHED', '1 + 1', '2', 1)",
        "INSERT INTO jobs (id, group_id, name, job_type, language, cluster_id, cluster_name, state, submit_time, tags, spec)
         VALUES ('j1', NULL, 'report', 'SINGLE', 'PYTHON', 'default', 'default', 'FINISHED', 1, '{\"team\":\"a\"}', '{}')",
        "INSERT INTO job_tags (job_id, key, value, mirror_state, mirror_cluster_name, mirror_job_type)
         VALUES ('j1', 'team', 'a', 'FINISHED', 'default', 'SINGLE')",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let engine = Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), ScriptedRuntime::new()).await.unwrap();
    let group = engine.get_group("g1").await.unwrap();
    assert_eq!((group.language, group.tags.get("team").map(String::as_str)), (Language::Python, Some("a")));
    let instances = engine.list_instances("g1", None, &PageRequest::default()).await.unwrap().content;
    assert_eq!(instances.len(), 1, "the group's requests are kept");
    assert_eq!((instances[0].result.as_deref(), instances[0].language, instances[0].data.as_ref()), (Some("2"), None, None));
    let jobs = engine.list_jobs(&JobQuery::default()).await.unwrap().content;
    assert_eq!(jobs.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>(), ["j1"]);

    let sql =
        GroupForm { name: Some("sql".into()), kind: Some("CODE".into()), language: Some("SQL".into()), scale: Some(0), ..GroupForm::default() };
    let created = engine.create_group(sql).await.unwrap();
    assert_eq!((created.kind, created.language), (GroupKind::Code, Language::Sql));
    engine.shutdown();
    drop(engine);

    let options = SqliteConnectOptions::new().filename(dir.path().join("sparkdeck.db"));
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
    assert_eq!(check, "ok");
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM job_tags").fetch_one(&pool).await.unwrap();
    assert_eq!(after, 1, "the job's tag row is kept");
    pool.close().await;
}
