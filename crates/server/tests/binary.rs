//! The `sparkdeck-server` binary as a user starts it: flags, token file, startup lines.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::process::Command;

use common::binary::{Server, start};

#[tokio::test]
async fn prints_url_and_token_and_keeps_the_token_private() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (url, token) = (server.url.clone(), server.token.clone());
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v1"), "{url}");
    assert_eq!(token.len(), 64);

    let file = dir.path().join("api-token");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), token);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let client = reqwest::Client::new();
    let names: serde_json::Value =
        client.get(format!("{url}/cluster/names")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(names["names"], serde_json::json!(["default"]));
    drop(server);

    // A restart reuses the token.
    let again = start(dir.path()).token.clone();
    assert_eq!(again, token);
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let _first: Server = start(dir.path());
    let second = Command::new(env!("CARGO_BIN_EXE_sparkdeck-server"))
        .args(["--port", "0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("in use by another Sparkdeck process"), "{stderr}");
}

#[test]
fn a_driver_lease_too_short_for_health_checks_is_refused_by_flag_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    let by_flag = Command::new(env!("CARGO_BIN_EXE_sparkdeck-server"))
        .args(["--port", "0", "--driver-lease-seconds", "5", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!by_flag.status.success());
    let stderr = String::from_utf8_lossy(&by_flag.stderr);
    assert!(stderr.contains("--driver-lease-seconds") && stderr.contains("at least 30 s"), "{stderr}");
    let by_variable = Command::new(env!("CARGO_BIN_EXE_sparkdeck-server"))
        .args(["--port", "0", "--data-dir"])
        .arg(dir.path())
        .env("SPARKDECK_DRIVER_LEASE_SECONDS", "soon")
        .output()
        .unwrap();
    assert!(!by_variable.status.success());
    let stderr = String::from_utf8_lossy(&by_variable.stderr);
    assert!(stderr.contains("SPARKDECK_DRIVER_LEASE_SECONDS must be a whole number"), "{stderr}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "refused before the data directory was touched");
}

#[tokio::test]
async fn sigterm_stops_the_server_within_5_s_with_event_streams_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let client = reqwest::Client::new();
    let mut streams = Vec::new();
    for path in ["/job/updates", "/group/job/result/updates"] {
        let stream = client.get(format!("{}{path}", server.url)).bearer_auth(&server.token).send().await.unwrap();
        assert_eq!(stream.status(), 200, "{path}");
        streams.push(stream);
    }
    let kill = Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    assert!(kill.success());
    // The bound is the requirement: a server asked to stop stops, whoever listens.
    let exit = server.exit_within(std::time::Duration::from_secs(5));
    assert!(exit.is_some_and(|s| s.success()), "the server did not exit cleanly within 5 s of SIGTERM: {exit:?}");
    for mut stream in streams {
        // Ended by the server (the last chunk sent), not cut off.
        while let Some(_keep_alive) = stream.chunk().await.expect("the stream ends cleanly") {}
    }
}

/// A folder `discover` takes for Spark 4.3.0 (a `RELEASE` file and a `bin/spark-submit`).
fn spark_folder(dir: &std::path::Path) -> std::path::PathBuf {
    let home = dir.join("spark");
    std::fs::create_dir_all(home.join("bin")).unwrap();
    std::fs::write(home.join("RELEASE"), "Spark 4.3.0 built for Hadoop 3.4.1\n").unwrap();
    std::fs::write(home.join("bin/spark-submit"), "#!/bin/sh\nexit 1\n").unwrap();
    home
}

#[tokio::test]
async fn without_java_status_names_the_debian_package_to_install_with_or_without_spark() {
    let dir = tempfile::tempdir().unwrap();
    let spark = spark_folder(dir.path());
    // No JAVA_HOME and a PATH with no `java` (nor a `python3` whose pyspark would be found).
    let empty = dir.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    for spark_home in [Some(spark.as_os_str()), None] {
        let data = tempfile::tempdir().unwrap();
        let env: [(&str, &std::ffi::OsStr); 5] = [
            ("SPARKDECK_NO_CHECKOUT", "1".as_ref()),
            ("SPARK_HOME", spark_home.unwrap_or("".as_ref())),
            ("SPARKDECK_PYTHON_ENV", "".as_ref()),
            ("JAVA_HOME", "".as_ref()),
            ("PATH", empty.as_os_str()),
        ];
        let server = common::binary::start_with(data.path(), &[], &env);
        let (code, status) = common::binary::call(&server, reqwest::Method::GET, "/status", None, None).await;
        assert_eq!(code, 200, "{status}");
        let error = status["error"].as_str().unwrap_or_default();
        assert!(error.contains("Java 17+ is required") && error.contains("openjdk-17-jre-headless"), "{error}");
        assert!(!error.contains("make"), "{error}");
        // Without Spark too, Spark's part is still said.
        assert_eq!(spark_home.is_none(), error.contains("install Spark 4.3.0"), "{error}");
        assert_eq!(status["sparkHome"], serde_json::Value::Null, "{status}");
    }
}
