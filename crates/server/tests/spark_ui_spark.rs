//! The live Spark UI on real Spark, over real HTTP: while a job with a shuffle runs, its
//! `sparkUiUrl` answers Spark's own REST API naming the job's application, bound on
//! loopback only; once it ended the field is null.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::Duration;

use common::{TestServer, call, file_part};
use reqwest::multipart::Form;
use serde_json::{Value, json};

/// A shuffle, then it waits until the file named by its first argument exists.
const SHUFFLE_THEN_WAIT: &str = r#"
import os, sys, time
from pyspark.sql import SparkSession
from pyspark.sql.functions import col
spark = SparkSession.builder.getOrCreate()
rows = spark.range(10000).groupBy((col("id") % 7).alias("k")).count().collect()
print("GROUPS", len(rows))
while not os.path.exists(sys.argv[1]):
    time.sleep(0.2)
spark.stop()
"#;

/// Polls the job until `done` holds for it.
pub async fn job_until(s: &TestServer, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let (status, job) = call(s.get(&format!("/job/{id}"))).await;
        assert_eq!(status, 200, "{job}");
        if done(&job) {
            return job;
        }
        let state = job["state"].as_str().unwrap_or("");
        assert!(!matches!(state, "FAILED" | "FINISHED" | "CANCELED" | "UNKNOWN") || what == "the end", "ended before {what}: {job}");
        assert!(tokio::time::Instant::now() < deadline, "no {what} in time: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The addresses that listen on `port` (from /proc/net/tcp and tcp6), as hex local addresses.
fn listeners_on(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else { continue };
            let Some((addr, hex_port)) = local.rsplit_once(':') else { continue };
            if *state == "0A" && u16::from_str_radix(hex_port, 16).ok() == Some(port) {
                found.push(addr.to_string());
            }
        }
    }
    found
}

/// 127.0.0.1 as /proc/net/tcp shows it, and as tcp6 shows it (mapped, or ::1).
const LOOPBACK: [&str; 3] = ["0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"];

/// Asserts that `url` is a loopback Spark UI whose REST API names `app_id`, and that it
/// listens on loopback only.
pub async fn assert_ui_names_app(url: &str, app_id: &str) {
    let port: u16 = url.strip_prefix("http://127.0.0.1:").expect("a loopback URL without a trailing slash").parse().unwrap();
    let response = reqwest::get(format!("{url}/api/v1/applications")).await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let apps: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {e}: {text}"));
    let ids: Vec<&str> = apps.as_array().unwrap().iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, [app_id], "{apps}");
    let listeners = listeners_on(port);
    assert!(!listeners.is_empty() && listeners.iter().all(|a| LOOPBACK.contains(&a.as_str())), "the UI listens on {listeners:?}, not loopback only");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_local_jobs_spark_ui_names_its_application_and_goes_with_it() {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(status, 200, "{body}");
    let signal = tempfile::tempdir().unwrap();
    let release = signal.path().join("release");
    let form = Form::new()
        .text("name", "ui probe")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("args", release.to_string_lossy().into_owned())
        .part("pyFiles", file_part("main.py", SHUFFLE_THEN_WAIT));
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sparkUiUrl"], Value::Null, "not running yet: {body}");
    let id = body["jobId"].as_str().unwrap().to_string();

    let job = job_until(&s, &id, "a Spark UI and app id", |j| j["sparkUiUrl"].is_string() && j["appId"].is_string()).await;
    let url = job["sparkUiUrl"].as_str().unwrap();
    assert_ui_names_app(url, job["appId"].as_str().unwrap()).await;
    assert_eq!(s.engine.live_spark_ui(&id).await.unwrap().as_deref(), Some(url));
    let (status, list) = call(s.get("/job?page=0&size=10")).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["content"][0]["sparkUiUrl"], url, "{list}");

    std::fs::write(&release, "").unwrap();
    let job = job_until(&s, &id, "the end", |j| j["state"] != "BUSY" && j["state"] != "STARTING").await;
    assert_eq!(job["state"], "FINISHED", "{job}");
    assert_eq!(job["sparkUiUrl"], Value::Null, "{job}");
    assert_eq!(s.engine.live_spark_ui(&id).await.unwrap(), None);
    assert!(s.engine.live_spark_ui("no-such-job").await.is_err());
}
