//! `POST`/`DELETE /spark/install`, its SSE stream and `sparkInstall` in `/status`, with the
//! engine's stand-in `python3` (`crates/engine/tests/support/fake_python3.sh`), so no
//! network or pip runs. The real install: `spark_install_real.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TestServer, call};
use serde_json::Value;
use tempfile::TempDir;

/// A server whose installs run the stand-in python, its pip doing `pip_mode`.
async fn server(pip_mode: &str) -> (TempDir, TestServer) {
    let fake = tempfile::tempdir().unwrap();
    std::fs::write(fake.path().join("pip-mode"), pip_mode).unwrap();
    let script = include_str!("../../engine/tests/support/fake_python3.sh").replace("@ROOT@", &fake.path().display().to_string());
    let python = fake.path().join("python3");
    std::fs::write(&python, script).unwrap();
    std::fs::set_permissions(&python, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let s = TestServer::start_with(|config| config.spark_install_python = python).await;
    (fake, s)
}

fn venv_calls(fake: &Path) -> usize {
    std::fs::read_to_string(fake.join("calls")).unwrap_or_default().lines().count()
}

async fn install_status(s: &TestServer) -> Value {
    let (status, body) = call(s.get("/status")).await;
    assert_eq!(status, 200, "{body}");
    body["sparkInstall"].clone()
}

/// The stream's `data:` events up to the first that is not `running`.
async fn events_until_ended(response: reqwest::Response) -> Vec<Value> {
    use futures::StreamExt;
    let mut stream = response.bytes_stream();
    let (mut buffer, mut seen) = (String::new(), Vec::new());
    while let Some(chunk) = stream.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            for data in event.lines().filter_map(|l| l.strip_prefix("data:")) {
                let event: Value = serde_json::from_str(data.trim()).unwrap();
                let ended = event["state"] != "running";
                seen.push(event);
                if ended {
                    return seen;
                }
            }
        }
    }
    seen
}

#[tokio::test]
async fn two_posts_are_one_install_followed_on_the_stream_to_its_end() {
    let (fake, s) = server("gate").await;
    assert_eq!(install_status(&s).await["state"], "idle");
    // Subscribed once its headers are back: no event of the install can be missed.
    let response = s.get("/spark/install/updates").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let seen = tokio::spawn(events_until_ended(response));
    let (status, first) = call(s.post("/spark/install")).await;
    assert_eq!((status, first["state"].as_str()), (202, Some("running")), "{first}");
    let (status, second) = call(s.post("/spark/install")).await;
    assert_eq!((status, second["state"].as_str()), (202, Some("running")), "a second POST joins the first: {second}");
    assert_eq!(first["step"], "createEnvironment", "{first}");
    assert_eq!(install_status(&s).await["state"], "running");
    assert!(second["step"].is_string(), "{second}");
    std::fs::write(fake.path().join("gate"), "").unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(60), seen).await.expect("the stream ends").unwrap();
    let end = seen.last().unwrap();
    assert_eq!(end["state"], "succeeded", "{seen:?}");
    assert!(end["sparkDir"].as_str().unwrap().ends_with("/spark"), "{end}");
    assert!(seen.iter().any(|e| e["bytesDone"] == 4096 && e["bytesTotal"] == 4096), "{seen:?}");
    assert_eq!(venv_calls(fake.path()), 1, "one install ran");
    assert_eq!(install_status(&s).await["state"], "succeeded");
    assert!(s.data_dir().join("spark/.sparkdeck-complete").is_file());
}

#[tokio::test]
async fn delete_cancels_the_install_and_nothing_is_left() {
    let (_fake, s) = server("hang").await;
    let (status, body) = call(s.delete("/spark/install")).await;
    assert_eq!(status, 409, "nothing to cancel: {body}");
    assert_eq!(body["message"], "no Spark install is running");
    assert_eq!(call(s.post("/spark/install")).await.0, 202);
    // Cancel once pip is downloading (its first byte count is announced).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while install_status(&s).await["bytesDone"] != 2048 {
        assert!(tokio::time::Instant::now() < deadline, "pip did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = call(s.delete("/spark/install")).await;
    assert_eq!(status, 200, "{body}");
    let end = s.engine.wait_spark_install().await;
    assert_eq!(end.error.as_deref(), Some("the install was cancelled"));
    let install = install_status(&s).await;
    assert_eq!((install["state"].as_str(), install["error"].as_str()), (Some("cancelled"), Some("the install was cancelled")));
    let left: Vec<String> = std::fs::read_dir(s.data_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n == "spark" || n.starts_with(".spark"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `sparkdeck-server --install-spark` with the stand-in first on `PATH` as `python3`.
fn install_spark_flag(pip_mode: &str) -> std::process::Output {
    let fake = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(fake.path().join("pip-mode"), pip_mode).unwrap();
    let script = include_str!("../../engine/tests/support/fake_python3.sh").replace("@ROOT@", &fake.path().display().to_string());
    std::fs::write(fake.path().join("python3"), script).unwrap();
    std::fs::set_permissions(fake.path().join("python3"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = std::env::join_paths(std::iter::once(fake.path().to_path_buf()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())));
    std::process::Command::new(env!("CARGO_BIN_EXE_sparkdeck-server"))
        .arg("--install-spark")
        .arg("--data-dir")
        .arg(data.path())
        .env("PATH", path.unwrap())
        .env("SPARKDECK_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn the_install_spark_flag_prints_progress_and_exits_0_once_installed() {
    let out = install_spark_flag("");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for line in ["installing Spark 4.3.0 into", "creating the Python environment…", "downloading pyspark…", "2.0 kB of 4.1 kB", "4.1 kB of 4.1 kB"] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
    assert!(stdout.lines().last().unwrap().starts_with("Spark 4.3.0 is installed in "), "{stdout}");
}

#[test]
fn the_install_spark_flag_says_why_it_failed_and_exits_non_zero() {
    let out = install_spark_flag("fail ERROR: No matching distribution found for pyspark==4.3.0");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("sparkdeck-server: Spark was not installed: cannot download pyspark from the package index"), "{stderr}");
}
