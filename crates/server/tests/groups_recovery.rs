//! Group recovery with the real binary and real Spark: the server is killed with SIGKILL
//! while one driver of a two-driver group runs a request; the other driver is killed while
//! the server is down. After a restart on the same data directory, the live driver is
//! re-attached (same job id, its lost request failed with a reason and cancelled on the
//! driver), the dead one is recorded and replaced, and the group serves again at scale 2.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::binary::{Server, call, start};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const JOBS: &str = r#"
import time
from ilum.api import IlumJob

class CountJob(IlumJob):
    def run(self, spark, config):
        return str(spark.range(int(config["n"])).count())

class SleepJob(IlumJob):
    def run(self, spark, config):
        end = time.time() + float(config["s"])
        while time.time() < end:
            time.sleep(0.05)
        return "slept"
"#;

async fn group(s: &Server, id: &str) -> Value {
    let (status, group) = call(s, reqwest::Method::GET, &format!("/group/{id}"), None, None).await;
    assert_eq!(status, 200, "{group}");
    group
}

fn ready_ids(g: &Value) -> Vec<String> {
    g["jobs"].as_array().unwrap().iter().filter(|j| j["state"] == "READY").map(|j| j["jobId"].as_str().unwrap().to_string()).collect()
}

async fn wait_ready(s: &Server, id: &str, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let g = group(s, id).await;
        if ready_ids(&g).len() == n {
            return g;
        }
        assert!(Instant::now() < deadline, "wanted {n} READY: {g:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn execute(s: &Server, id: &str, class: &str, config: Value) -> Value {
    let body = json!({"type": "interactive_job_execute", "jobClass": class, "jobConfig": config});
    let (status, instance) = call(s, reqwest::Method::POST, &format!("/group/{id}/job/execute"), None, Some(body)).await;
    assert_eq!(status, 200, "{instance}");
    instance
}

#[tokio::test(flavor = "multi_thread")]
async fn restarted_server_reattaches_live_drivers_and_replaces_dead_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let cluster = json!({"name": "one", "type": "local", "threads": 1});
    assert_eq!(call(&server, reqwest::Method::POST, "/cluster", None, Some(cluster)).await.0, 200);
    let form = Form::new()
        .text("name", "survivor")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("scale", "2")
        .part("pyFiles", Part::bytes(JOBS.as_bytes().to_vec()).file_name("user_jobs.py"));
    let (status, body) = call(&server, reqwest::Method::POST, "/group", Some(form), None).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().unwrap().to_string();
    let before = ready_ids(&wait_ready(&server, &id, 2).await);

    let body = json!({"type": "interactive_job_execute", "jobClass": "user_jobs.SleepJob", "jobConfig": {"s": 600}});
    let (status, answer) = call(&server, reqwest::Method::POST, &format!("/group/{id}/job/submit"), None, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    let lost = answer["jobInstanceId"].as_str().unwrap().to_string();
    let busy = loop {
        let g = group(&server, &id).await;
        if let Some(d) = g["jobs"].as_array().unwrap().iter().find(|j| j["state"] == "BUSY") {
            break d["jobId"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let idle = before.iter().find(|d| **d != busy).unwrap().clone();

    drop(server); // SIGKILL: no shutdown code runs; the drivers keep running.
    let info: Value = serde_json::from_slice(&std::fs::read(dir.path().join("jobs").join(&idle).join("driver-info.json")).unwrap()).unwrap();
    assert!(Command::new("kill").args(["-9", &info["pid"].to_string()]).status().unwrap().success());
    let exit_file = dir.path().join("jobs").join(&idle).join("exit-code");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !exit_file.exists() {
        assert!(Instant::now() < deadline, "the killed driver's wrapper records its exit");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let server = start(dir.path());
    let (_, page) = call(&server, reqwest::Method::GET, &format!("/group/{id}/job/result"), None, None).await;
    let instance = page["content"].as_array().unwrap().iter().find(|i| i["jobInstanceId"] == lost.as_str()).unwrap().clone();
    assert_eq!(instance["state"], "FAILED", "{instance}");
    assert!(instance["error"]["message"].as_str().unwrap().contains("Sparkdeck restarted"), "{instance}");
    let g = wait_ready(&server, &id, 2).await;
    let after = ready_ids(&g);
    assert!(after.contains(&busy), "the live driver is re-attached: {g:#}");
    assert!(!after.contains(&idle), "the dead driver is replaced: {g:#}");
    let dead = g["jobs"].as_array().unwrap().iter().find(|j| j["jobId"] == idle.as_str()).unwrap();
    assert_eq!(dead["state"], "FAILED", "{dead}");

    let (a, b) = tokio::join!(
        execute(&server, &id, "user_jobs.CountJob", json!({"n": 10})),
        execute(&server, &id, "user_jobs.CountJob", json!({"n": 20}))
    );
    assert_eq!((a["result"].as_str(), b["result"].as_str()), (Some("10"), Some("20")), "{a} {b}");
    drop(server);
    common::kill_processes_of(dir.path());
}
