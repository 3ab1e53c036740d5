//! Schedules and retries with the real binary and real Spark, in one test so every check
//! shares the same two cron minutes: a one-minute cron runs at two due times, each run a
//! job with `scheduleId`; run now; a paused schedule does not run; the server is killed
//! with SIGKILL across the second due time and the restarted one runs it once (`LATEST`);
//! a failing script with `maxRetries=2` (backoff 200 ms via `--retry-backoff-ms`) ends
//! after three attempts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::{Duration, Instant};

use common::binary::{Server, call, start_with};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const ARGS: &[&str] = &["--retry-backoff-ms", "200"];
const RUN: &str = "from pyspark.sql import SparkSession\nprint('COUNT', SparkSession.builder.getOrCreate().range(3).count())\n";

fn python(name: &str, script: &str) -> Form {
    Form::new()
        .text("name", name.to_string())
        .text("language", "PYTHON")
        .text("jobConfig", "spark.ui.enabled=false")
        .part("pyFiles", Part::bytes(script.as_bytes().to_vec()).file_name("main.py"))
}

async fn create_schedule(s: &Server, name: &str) -> String {
    let form = python(name, RUN).text("cron", "* * * * *").text("timeZone", "UTC");
    let (status, body) = call(s, Method::POST, "/schedule", Some(form), None).await;
    assert_eq!(status, 200, "{body}");
    body["scheduleId"].as_str().unwrap().to_string()
}

async fn get(s: &Server, path: &str) -> Value {
    let (status, body) = call(s, Method::GET, path, None, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Polls `path` until `done` holds (the bound only turns a hang into a failure).
async fn until(s: &Server, path: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let body = get(s, path).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn ended(job: &Value) -> bool {
    ["FINISHED", "FAILED", "CANCELED", "UNKNOWN"].contains(&job["state"].as_str().unwrap_or(""))
}

fn now_ms() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn schedules_run_at_their_times_once_across_a_kill_and_failed_runs_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(dir.path(), ARGS, &[]);
    let minutely = create_schedule(&server, "minutely").await;
    let paused = create_schedule(&server, "paused").await;
    assert_eq!(call(&server, Method::POST, &format!("/schedule/{paused}/pause"), None, None).await.0, 200);
    let failing = python("failing", "raise SystemExit(3)\n").text("maxRetries", "2");
    let (status, body) = call(&server, Method::POST, "/job/submit", Some(failing), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&server, Method::POST, &format!("/schedule/{minutely}/run"), None, None).await;
    assert_eq!(status, 200, "{body}");
    let run_now = body["jobId"].as_str().unwrap().to_string();
    let path = format!("/schedule/{minutely}");

    // The first due time (within a minute): run now and one due run.
    let shown = until(&server, &path, Duration::from_secs(90), |s| s["jobs"].as_array().unwrap().len() >= 2).await;
    let second_due = shown["nextRunTimes"][0].as_i64().unwrap();
    let jobs = shown["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{shown}");
    assert!(jobs.iter().all(|j| j["scheduleId"] == minutely.as_str() && j["attempt"] == 1), "{shown}");
    assert_eq!(jobs[1]["jobId"], run_now.as_str(), "newest first");

    // Killed across the second due time, started again after it.
    drop(server);
    while now_ms() < second_due + 3_000 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let server = start_with(dir.path(), ARGS, &[]);
    let shown = until(&server, &path, Duration::from_secs(30), |s| s["lastDueTime"] == second_due).await;
    assert_eq!(shown["jobs"].as_array().unwrap().len(), 3, "the missed time ran once: {shown}");
    assert_eq!(call(&server, Method::POST, &format!("{path}/stop"), None, None).await.0, 200);

    let runs = until(&server, &path, Duration::from_secs(180), |s| s["jobs"].as_array().unwrap().iter().all(ended)).await;
    for run in runs["jobs"].as_array().unwrap() {
        assert_eq!(run["state"], "FINISHED", "{run}");
        let (_, logs) = call(&server, Method::GET, &format!("/job/{}/logs?logSize=1000", run["jobId"].as_str().unwrap()), None, None).await;
        assert!(logs.to_string().contains("COUNT 3"), "each run is an ordinary job with its logs: {logs}");
    }
    let paused_view = get(&server, &format!("/schedule/{paused}")).await;
    assert_eq!(paused_view["jobs"], serde_json::json!([]), "a paused schedule does not run");

    let attempts = until(&server, "/job?search=failing&size=20", Duration::from_secs(180), |page| {
        let jobs = page["content"].as_array().unwrap();
        jobs.len() == 3 && jobs.iter().all(ended)
    })
    .await;
    let mut numbers: Vec<(i64, String)> = attempts["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["attempt"].as_i64().unwrap(), j["state"].as_str().unwrap().to_string()))
        .collect();
    numbers.sort();
    assert_eq!(numbers, [(1, "FAILED".into()), (2, "FAILED".into()), (3, "FAILED".into())], "three attempts for maxRetries=2");
}
