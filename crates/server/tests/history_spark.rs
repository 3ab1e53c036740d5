//! `/job/{id}/history` on real local Spark: after a job ends, the URL answers from Spark's
//! own History Server and its page names the application; two requests at once share
//! one server; shutting the engine down leaves no History Server JVM, and neither does a
//! server process killed with SIGKILL (no shutdown code runs). Bad input (an
//! unknown job, a job that never started) is answered without Spark.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::Duration;

use common::{TestServer, call, file_part};
use reqwest::multipart::Form;
use serde_json::json;

/// History Server JVMs whose command line names `needle` (not the shell that leads their
/// process group).
fn history_servers_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let program = cmdline.split(|b| *b == 0).next().unwrap_or_default().to_vec();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let jvm = String::from_utf8_lossy(&program).ends_with("java");
            if jvm && cmdline.contains(sparkdeck_engine::HISTORY_SERVER_CLASS) && cmdline.contains(needle) {
                found.push(format!("{}: {cmdline}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_jobs_history_page_answers_and_names_the_application_and_no_server_outlives_shutdown() {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(status, 200, "{body}");
    let form = Form::new()
        .text("name", "history-probe")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("jobConfig", "spark.ui.enabled=false")
        .part("pyFiles", file_part("main.py", b"from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint(spark.range(100).count())\nspark.stop()\n".to_vec()));
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["jobId"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let job = loop {
        let (_, job) = call(s.get(&format!("/job/{id}"))).await;
        if job["state"] == "FINISHED" {
            break job;
        }
        assert!(!matches!(job["state"].as_str(), Some("FAILED" | "CANCELED" | "UNKNOWN")), "{job}");
        assert!(tokio::time::Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let app_id = job["appId"].as_str().expect("an ended job names its app").to_string();

    // Two requests at once: one server starts, both get its page.
    let (first, second) = tokio::join!(call(s.get(&format!("/job/{id}/history"))), call(s.get(&format!("/job/{id}/history"))));
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(second.0, 200, "{}", second.1);
    let url = first.1["url"].as_str().unwrap().to_string();
    assert_eq!(second.1["url"], url.as_str());
    let prefix = "http://127.0.0.1:";
    assert!(url.starts_with(prefix) && url.ends_with(&format!("/history/{app_id}/")), "{url}");
    let pid = s.engine.history_server_pid().expect("a History Server runs");
    let needle = s.data_dir().to_string_lossy().into_owned();
    assert_eq!(history_servers_mentioning(&needle).len(), 1, "{:?}", history_servers_mentioning(&needle));

    let page = reqwest::Client::builder().no_proxy().build().unwrap().get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200, "{url}");
    let html = page.text().await.unwrap();
    assert!(html.contains("history-probe"), "the page does not name the application: {html:.2000}");

    s.engine.shutdown();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "History Server {pid} outlived the engine's shutdown");
    assert_eq!(history_servers_mentioning(&needle), Vec::<String>::new());
    assert_eq!(s.engine.history_server_pid(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_server_ends_with_the_process_that_started_it_even_when_that_is_killed() {
    use reqwest::Method;
    /// Kills what the test started under `data` even when an assertion fails first.
    struct Reaper(tempfile::TempDir);
    impl Drop for Reaper {
        fn drop(&mut self) {
            common::kill_processes_of(self.0.path());
        }
    }
    let data = Reaper(tempfile::tempdir().unwrap());
    let data = &data.0;
    let mut server = common::binary::start(data.path());
    let form = Form::new()
        .text("name", "history-orphan-probe")
        .text("language", "PYTHON")
        .text("jobConfig", "spark.ui.enabled=false")
        .part("pyFiles", file_part("main.py", b"from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint(spark.range(10).count())\nspark.stop()\n".to_vec()));
    let (status, body) = common::binary::call(&server, Method::POST, "/job/submit", Some(form), None).await;
    assert_eq!(status, 200, "{body}");
    let id = body["jobId"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let (_, job) = common::binary::call(&server, Method::GET, &format!("/job/{id}"), None, None).await;
        if job["state"] == "FINISHED" {
            break;
        }
        assert!(!matches!(job["state"].as_str(), Some("FAILED" | "CANCELED" | "UNKNOWN")), "{job}");
        assert!(tokio::time::Instant::now() < deadline, "{job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, body) = common::binary::call(&server, Method::GET, &format!("/job/{id}/history"), None, None).await;
    assert_eq!(status, 200, "{body}");
    let needle = data.path().to_string_lossy().into_owned();
    assert_eq!(history_servers_mentioning(&needle).len(), 1, "one History Server runs");

    let killed = std::process::Command::new("kill").args(["-KILL", &server.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    assert!(server.exit_within(Duration::from_secs(10)).is_some(), "the server did not die");
    // The shell leading the History Server's group reads EOF once its parent is gone.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !history_servers_mentioning(&needle).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "orphaned: {:?}", history_servers_mentioning(&needle));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn history_of_an_unknown_job_is_404_and_of_a_job_that_never_started_409() {
    let s = TestServer::start().await;
    // Nothing is launched after a shutdown: a job stays SUBMITTED, no Spark application exists.
    s.engine.shutdown();
    let (status, body) = call(s.get("/job/no-such-job/history")).await;
    assert_eq!(status, 404, "{body}");
    let form = Form::new().text("name", "never").text("language", "PYTHON").part("pyFiles", file_part("main.py", b"print(1)\n".to_vec()));
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["jobId"].as_str().unwrap().to_string();
    let (status, body) = call(s.get(&format!("/job/{id}/history"))).await;
    assert_eq!(status, 409, "{body}");
    let message = body.to_string();
    assert!(message.contains("has not started yet (state SUBMITTED)"), "{message}");
    assert_eq!(s.engine.history_server_pid(), None);
}
