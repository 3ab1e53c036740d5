//! Recovery with the real binary and real Spark: the server is killed with SIGKILL while
//! two jobs run; one ends while it is down, the other still runs. After a restart on the
//! same data directory, the first has the outcome its wrapper recorded and the second is
//! followed again until it finishes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::Duration;

use common::binary::{Server, call, start};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

async fn submit(s: &Server, name: &str, sleep_s: u32) -> String {
    let main = format!(
        "import time\nfrom pyspark.sql import SparkSession\nSparkSession.builder.getOrCreate()\ntime.sleep({sleep_s})\nprint('DONE {name}', flush=True)\n"
    );
    let form = Form::new()
        .text("name", name.to_string())
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("jobConfig", "spark.ui.enabled=false")
        .part("pyFiles", Part::bytes(main.into_bytes()).file_name("main.py"));
    let (status, body) = call(s, reqwest::Method::POST, "/job/submit", Some(form), None).await;
    assert_eq!(status, 200, "{body}");
    body["jobId"].as_str().unwrap().to_string()
}

async fn job(s: &Server, id: &str) -> Value {
    let (status, job) = call(s, reqwest::Method::GET, &format!("/job/{id}"), None, None).await;
    assert_eq!(status, 200, "{job}");
    job
}

async fn wait_state(s: &Server, id: &str, want: &str, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let job = job(s, id).await;
        if job["state"] == want {
            return job;
        }
        assert!(tokio::time::Instant::now() < deadline, "wanted {want}: {job}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_server_recovers_ended_and_running_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (status, body) = call(
        &server,
        reqwest::Method::POST,
        "/cluster",
        None,
        Some(json!({"name": "one", "type": "local", "threads": 1})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let short = submit(&server, "short", 2).await;
    let long = submit(&server, "long", 25).await;
    wait_state(&server, &short, "BUSY", Duration::from_secs(120)).await;
    wait_state(&server, &long, "BUSY", Duration::from_secs(120)).await;

    drop(server); // SIGKILL: no shutdown code runs.
    let exit_file = dir.path().join("jobs").join(&short).join("exit-code");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !exit_file.exists() {
        assert!(std::time::Instant::now() < deadline, "the short job should end while the server is down");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let server = start(dir.path());
    let ended = job(&server, &short).await;
    assert_eq!(ended["state"], "FINISHED", "read from the exit-code file: {ended}");
    assert!(ended["appId"].as_str().is_some_and(|a| a.starts_with("local-")), "{ended}");
    let running = job(&server, &long).await;
    assert_eq!(running["state"], "BUSY", "re-attached: {running}");
    let finished = wait_state(&server, &long, "FINISHED", Duration::from_secs(180)).await;
    assert!(finished["endTime"].as_i64().unwrap() > 0);
    let (_, logs) = call(&server, reqwest::Method::GET, &format!("/job/{long}/logs?logSize=1000"), None, None).await;
    let stdout: Vec<&str> = logs[0]["log"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(stdout.contains(&"DONE long"), "{stdout:?}");
}
