//! Installing Spark into the data directory, with a stand-in for `python3` (a shell script
//! that acts as `python3 -m venv`, the venv's `pip install` and its pyspark check:
//! `support/fake_python3.sh`), so the
//! install's logic — progress, single flight, cancel, failures, atomic placement — is
//! tested in milliseconds. The real install is `crates/server/tests/spark_install_real.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::path::{Path, PathBuf};
use std::time::Duration;

use sparkdeck_engine::EngineEvent;
use sparkdeck_engine::settings::Settings;
use sparkdeck_engine::spark_env::SparkSource;
use sparkdeck_engine::spark_install::{InstallState, InstallStep, SparkInstallStatus, installed_venv};
use sparkdeck_engine::{Engine, EngineConfig};
use tempfile::TempDir;

/// What the fake pip does between its first and last progress line.
enum Pip {
    Succeeds,
    /// Waits until the file `gate` exists beside the script.
    WaitsForGate,
    /// Hangs until killed.
    Hangs,
    /// Fails with this on stderr.
    Fails(&'static str),
}

struct World {
    dir: TempDir,
    engine: Engine,
}

impl World {
    async fn new(pip: Pip) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let python = write_fake_python(dir.path(), &pip);
        let engine = open(dir.path(), &python).await;
        Self { dir, engine }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn venv_calls(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("calls")).unwrap_or_default().lines().filter(|l| *l == "venv").count()
    }

    /// Nothing of an install in the data directory: no `spark/`, no temporary sibling.
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.data())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n == "spark" || n.starts_with(".spark"))
            .collect()
    }
}

async fn open(root: &Path, python: &Path) -> Engine {
    let mut config = EngineConfig::new(Some(root.join("data")));
    config.spark_install_python = python.to_path_buf();
    Engine::open(config).await.unwrap()
}

/// The stand-in `python3` (`support/fake_python3.sh`), its pip doing `pip`.
fn write_fake_python(root: &Path, pip: &Pip) -> PathBuf {
    let mode = match pip {
        Pip::Succeeds => String::new(),
        Pip::WaitsForGate => "gate".into(),
        Pip::Hangs => "hang".into(),
        Pip::Fails(stderr) => format!("fail {stderr}"),
    };
    std::fs::write(root.join("pip-mode"), mode).unwrap();
    let script = include_str!("support/fake_python3.sh").replace("@ROOT@", &root.display().to_string());
    let path = root.join("python3");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// The install's announced statuses until one satisfies `until`. The guard only turns a
/// hang into a failure.
async fn announced_until(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    until: impl Fn(&SparkInstallStatus) -> bool,
) -> Vec<SparkInstallStatus> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let EngineEvent::SparkInstallChanged { install } = events.recv().await.unwrap() {
                let done = until(&install);
                seen.push(install);
                if done {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the install did not get there; announced: {seen:?}"));
    seen
}

#[tokio::test]
async fn an_install_shows_its_steps_and_bytes_and_ends_installed_and_used() {
    let world = World::new(Pip::Succeeds).await;
    let mut events = world.engine.subscribe();
    assert_eq!(world.engine.spark_install_status().state, InstallState::Idle);
    world.engine.start_spark_install();
    let seen = announced_until(&mut events, |s| s.state.is_terminal()).await;
    let end = seen.last().unwrap();
    assert_eq!((end.state, end.error.as_deref()), (InstallState::Succeeded, None), "{seen:?}");
    assert_eq!(end.spark_dir.as_deref(), Some(world.data().join("spark").as_path()));
    let steps: Vec<InstallStep> = seen.iter().filter_map(|s| s.step).fold(Vec::new(), |mut steps, step| {
        if steps.last() != Some(&step) {
            steps.push(step);
        }
        steps
    });
    assert_eq!(steps, [InstallStep::CreateEnvironment, InstallStep::Download, InstallStep::Install, InstallStep::Check]);
    assert!(seen.iter().any(|s| (s.bytes_done, s.bytes_total) == (Some(2048), Some(4096))), "{seen:?}");
    assert!(seen.iter().any(|s| (s.bytes_done, s.bytes_total) == (Some(4096), Some(4096))), "{seen:?}");

    assert_eq!(installed_venv(&world.data()), Some(world.data().join("spark")));
    assert_eq!(world.leftovers(), ["spark"], "the temporary sibling was renamed into place");
    // Without SPARK_HOME and a picked folder, the installed Spark comes before any venv.
    if std::env::var_os("SPARK_HOME").is_none() {
        let env = world.engine.spark_env().await.unwrap();
        assert_eq!((env.source, env.spark_version.as_str()), (SparkSource::Installed, "4.3.0"));
        assert_eq!(env.python, world.data().join("spark/bin/python"));
    }
    // Installing again when installed is done at once, without running anything.
    world.engine.start_spark_install();
    assert_eq!(world.engine.wait_spark_install().await.state, InstallState::Succeeded);
    assert_eq!(world.venv_calls(), 1);
}

#[tokio::test]
async fn two_installs_at_once_are_one_install() {
    let world = World::new(Pip::WaitsForGate).await;
    let mut events = world.engine.subscribe();
    let first = world.engine.start_spark_install();
    announced_until(&mut events, |s| s.bytes_done == Some(2048)).await;
    let second = world.engine.start_spark_install();
    assert_eq!((first.state, second.state), (InstallState::Running, InstallState::Running));
    assert_eq!(second.bytes_done, Some(2048), "the second request joins the first, which is downloading");
    std::fs::write(world.dir.path().join("gate"), "").unwrap();
    let (a, b) = tokio::join!(world.engine.wait_spark_install(), world.engine.wait_spark_install());
    assert_eq!((a.state, b.state), (InstallState::Succeeded, InstallState::Succeeded));
    assert_eq!(world.venv_calls(), 1, "one environment was built");
}

#[tokio::test]
async fn a_cancelled_install_kills_pip_and_leaves_nothing_taken_for_spark() {
    let world = World::new(Pip::Hangs).await;
    let mut events = world.engine.subscribe();
    world.engine.start_spark_install();
    announced_until(&mut events, |s| s.bytes_done == Some(2048)).await;
    let building: Vec<String> = world.leftovers();
    assert!(building.iter().any(|n| n.starts_with(".spark.tmp")), "{building:?}");
    world.engine.cancel_spark_install().unwrap();
    let end = world.engine.wait_spark_install().await;
    assert_eq!((end.state, end.error.as_deref()), (InstallState::Cancelled, Some("the install was cancelled")));
    assert_eq!(world.leftovers(), Vec::<String>::new());
    assert_eq!(installed_venv(&world.data()), None);
    // pip's `sleep 600` went with its process group: nothing of the test runs any more.
    let ps = std::process::Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&ps.stdout).lines().any(|l| l.contains(&world.dir.path().display().to_string())));
    assert!(world.engine.cancel_spark_install().is_err(), "nothing runs to cancel");
}

#[tokio::test]
async fn a_failed_install_says_what_failed_and_leaves_nothing() {
    let cases = [
        ("ERROR: No matching distribution found for pyspark==4.3.0", "cannot download pyspark from the package index"),
        ("ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device", "the disk is full"),
    ];
    for (stderr, said) in cases {
        let world = World::new(Pip::Fails(stderr)).await;
        world.engine.start_spark_install();
        let end = world.engine.wait_spark_install().await;
        assert_eq!(end.state, InstallState::Failed);
        assert!(end.error.as_deref().is_some_and(|e| e.starts_with(said)), "{end:?}");
        assert_eq!(world.leftovers(), Vec::<String>::new());
    }
}

#[tokio::test]
async fn a_missing_python_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path(), &dir.path().join("no-python3")).await;
    engine.start_spark_install();
    let end = engine.wait_spark_install().await;
    assert_eq!(end.state, InstallState::Failed);
    assert!(end.error.as_deref().is_some_and(|e| e.contains("python3-venv")), "{end:?}");
}

#[tokio::test]
async fn an_install_a_crash_interrupted_is_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join(".spark.tmpXyZ/lib")).unwrap();
    std::fs::create_dir_all(data.join("spark/lib/python3.11/site-packages/pyspark/bin")).unwrap();
    std::fs::write(data.join("spark/lib/python3.11/site-packages/pyspark/bin/spark-submit"), "").unwrap();
    let engine = open(dir.path(), Path::new("python3")).await;
    assert!(!data.join(".spark.tmpXyZ").exists() && !data.join("spark").exists(), "an unmarked install is not kept");
    if std::env::var_os("SPARK_HOME").is_none() {
        assert_ne!(engine.spark_env().await.map(|e| e.source).ok(), Some(SparkSource::Installed));
    }
}

#[tokio::test]
async fn a_picked_folder_is_validated_and_then_used() {
    let world = World::new(Pip::Succeeds).await;
    let not_spark = world.dir.path().join("photos");
    std::fs::create_dir(&not_spark).unwrap();
    let mut settings = Settings::default();
    settings.spark.folder = Some(not_spark.clone());
    let refused = world.engine.update_settings(settings.clone()).await.unwrap_err();
    assert_eq!(refused.field(), Some("spark.folder"));
    assert!(refused.to_string().contains("has no bin/spark-submit"), "{refused}");
    assert_eq!(world.engine.settings(), Settings::default(), "a refused folder changes nothing");

    let spark = world.dir.path().join("spark-4.0.1-bin-hadoop3");
    std::fs::create_dir_all(spark.join("bin")).unwrap();
    std::fs::write(spark.join("bin/spark-submit"), "#!/bin/sh\n").unwrap();
    std::fs::write(spark.join("RELEASE"), "Spark 4.0.1 built for Hadoop 3.4.1\n").unwrap();
    settings.spark.folder = Some(spark.clone());
    world.engine.update_settings(settings).await.unwrap();
    if std::env::var_os("SPARK_HOME").is_none() {
        let env = world.engine.spark_env().await.unwrap();
        assert_eq!((env.source, env.spark_home, env.spark_version.as_str()), (SparkSource::Settings, spark, "4.0.1"));
    }
}
