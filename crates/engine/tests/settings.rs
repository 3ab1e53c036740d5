//! Settings: defaults, validation naming the field, persistence across a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use sparkdeck_engine::model::job::Language;
use sparkdeck_engine::settings::{JobDefaults, LivySettings, RestServerSettings, Settings};
use sparkdeck_engine::{Engine, EngineConfig};

#[tokio::test]
async fn defaults_validation_and_persistence() {
    let (dir, engine) = common::engine().await;
    let defaults = engine.settings();
    assert_eq!((defaults.rest_server.enabled, defaults.rest_server.port), (false, 9888));
    assert_eq!(defaults.job_defaults.cluster_name, "default");

    let mut bad = Settings::default();
    bad.rest_server.port = 0;
    assert_eq!(engine.update_settings(bad).await.unwrap_err().field(), Some("restServer.port"));
    let mut bad = Settings::default();
    bad.job_defaults.cluster_name = "nowhere".into();
    assert_eq!(engine.update_settings(bad).await.unwrap_err().field(), Some("jobDefaults.clusterName"));
    let mut bad = Settings::default();
    bad.job_defaults.job_config = "spark.a=1;oops".into();
    assert_eq!(engine.update_settings(bad).await.unwrap_err().field(), Some("jobDefaults.jobConfig"));
    assert_eq!(engine.settings(), defaults, "refused updates change nothing");

    let wanted = Settings {
        rest_server: RestServerSettings { enabled: true, port: 19888, ..RestServerSettings::default() },
        job_defaults: JobDefaults {
            language: Language::Scala,
            job_config: "spark.executor.memory=2g".into(),
            ..JobDefaults::default()
        },
        ..Settings::default()
    };
    assert_eq!(engine.update_settings(wanted.clone()).await.unwrap(), wanted);
    drop(engine);
    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.unwrap();
    assert_eq!(engine.settings(), wanted);
}

/// Settings arrive as JSON (the desktop's IPC): a key they do not have, at any level, is
/// refused by name and nothing is saved.
#[tokio::test]
async fn unknown_settings_keys_are_refused_by_name() {
    let (_dir, engine) = common::engine().await;
    let defaults = engine.settings();
    for (json, field) in [
        (r#"{"restServer": {"port": 9000}, "theme": "dark"}"#, "theme"),
        (r#"{"restServer": {"port": 9000, "host": "0.0.0.0"}}"#, "restServer.host"),
        (r#"{"jobDefaults": {"driverMemory": "2g"}}"#, "jobDefaults.driverMemory"),
    ] {
        let settings: Settings = serde_json::from_str(json).unwrap();
        let error = engine.update_settings(settings).await.unwrap_err();
        assert_eq!(error.field(), Some(field), "{json}: {error}");
        assert!(error.to_string().contains("the fields are"), "{error}");
    }
    assert_eq!(engine.settings(), defaults, "refused updates change nothing");
}

/// The Livy port (Settings → Livy): off on 8998 by default; 0, or the REST API's own port
/// while both are on, is refused naming `livy.port`; a saved one survives a restart.
#[tokio::test]
async fn livy_settings_are_checked_and_kept() {
    let (dir, engine) = common::engine().await;
    let defaults = engine.settings();
    assert_eq!((defaults.livy.enabled, defaults.livy.port), (false, 8998));
    for bad in [
        Settings { livy: LivySettings { port: 0, ..LivySettings::default() }, ..Settings::default() },
        Settings {
            rest_server: RestServerSettings { enabled: true, port: 9000, ..RestServerSettings::default() },
            livy: LivySettings { enabled: true, port: 9000, ..LivySettings::default() },
            ..Settings::default()
        },
    ] {
        assert_eq!(engine.update_settings(bad).await.unwrap_err().field(), Some("livy.port"));
    }
    let settings: Settings = serde_json::from_str(r#"{"livy": {"enabled": true, "host": "0.0.0.0"}}"#).unwrap();
    assert_eq!(engine.update_settings(settings).await.unwrap_err().field(), Some("livy.host"));
    assert_eq!(engine.settings(), defaults, "refused updates change nothing");
    let wanted = Settings { livy: LivySettings { enabled: true, port: 18998, ..LivySettings::default() }, ..Settings::default() };
    engine.update_settings(wanted.clone()).await.unwrap();
    drop(engine);
    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.unwrap();
    assert_eq!(engine.settings().livy, wanted.livy);
}
