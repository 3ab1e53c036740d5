//! Jar watching (extension `jarPaths` + `watchJars`): a SCALA group created from a local
//! jar redeploys it when it is rebuilt in place — new driver first, the old one retires
//! after its in-flight request — on real local Spark. Plus the form's bad inputs, fast.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{TestServer, call};
use reqwest::multipart::Form;
use serde_json::{Value, json};

const JVM_STUB: &str = "package cloud.ilum.job;\npublic interface Job {\n    scala.Option<String> run(org.apache.spark.sql.SparkSession s, scala.collection.immutable.Map<String, Object> c);\n}\n";

fn version_job(version: &str) -> String {
    format!(
        "package example;\npublic class Version implements cloud.ilum.job.Job {{\n    public scala.Option<String> run(org.apache.spark.sql.SparkSession s, scala.collection.immutable.Map<String, Object> c) {{\n        return scala.Option.apply(\"{version}\");\n    }}\n}}\n"
    )
}

const SLEEP_JOB: &str = r#"package example;
public class Sleep implements cloud.ilum.job.Job {
    public scala.Option<String> run(org.apache.spark.sql.SparkSession s, scala.collection.immutable.Map<String, Object> c) {
        try { Thread.sleep(1000L * Long.parseLong(String.valueOf(c.apply("s")))); } catch (InterruptedException e) { throw new RuntimeException(e); }
        return scala.Option.apply("slept");
    }
}
"#;

/// The Spark home the engine uses (from the project's .venv).
fn spark_home() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join(".venv/bin/python"))
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .output()
        .expect("the project's .venv");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Compiles `example.Version` (returning `version`) and `example.Sleep` against a stub of
/// the contract, and puts the jar at `target` the way build tools do: written beside it,
/// then renamed over it.
fn build_jar(work: &Path, version: &str, target: &Path) {
    let src = work.join(format!("src-{version}"));
    std::fs::create_dir_all(src.join("cloud/ilum/job")).unwrap();
    std::fs::create_dir_all(src.join("example")).unwrap();
    std::fs::write(src.join("cloud/ilum/job/Job.java"), JVM_STUB).unwrap();
    std::fs::write(src.join("example/Version.java"), version_job(version)).unwrap();
    std::fs::write(src.join("example/Sleep.java"), SLEEP_JOB).unwrap();
    let classes = work.join(format!("classes-{version}"));
    let ok = Command::new("javac")
        .args(["--release", "17", "-nowarn", "-cp"])
        .arg(format!("{}/jars/*", spark_home()))
        .arg("-d")
        .arg(&classes)
        .arg(src.join("cloud/ilum/job/Job.java"))
        .arg(src.join("example/Version.java"))
        .arg(src.join("example/Sleep.java"))
        .status()
        .expect("javac runs");
    assert!(ok.success());
    let temp = target.with_extension("jar.tmp");
    let ok = Command::new("jar").arg("--create").arg("--file").arg(&temp).arg("-C").arg(&classes).arg("example").status().unwrap();
    assert!(ok.success());
    std::fs::rename(&temp, target).unwrap();
}

async fn group(s: &TestServer, id: &str) -> Value {
    let (status, group) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(status, 200, "{group}");
    group
}

fn live_drivers(group: &Value) -> Vec<&Value> {
    group["jobs"].as_array().expect("jobs").iter().filter(|j| matches!(j["state"].as_str(), Some("STARTING" | "READY" | "BUSY"))).collect()
}

async fn wait_group(s: &TestServer, id: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let g = group(s, id).await;
        if done(&g) {
            return g;
        }
        assert!(Instant::now() < deadline, "{g:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn job(class: &str, config: Value) -> Value {
    json!({"type": "interactive_job_execute", "jobClass": class, "jobConfig": config})
}

async fn execute(s: &TestServer, id: &str, body: Value) -> Value {
    let (status, instance) = call(s.post(&format!("/group/{id}/job/execute")).json(&body)).await;
    assert_eq!(status, 200, "{instance}");
    instance
}

async fn instance(s: &TestServer, group: &str, instance: &str) -> Value {
    let (status, page) = call(s.get(&format!("/group/{group}/job/result?size=2000"))).await;
    assert_eq!(status, 200, "{page}");
    page["content"].as_array().unwrap().iter().find(|i| i["jobInstanceId"] == instance).cloned().expect("instance listed")
}

#[tokio::test(flavor = "multi_thread")]
async fn rebuilt_jar_is_redeployed_without_failing_requests_in_flight() {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(status, 200, "{body}");
    let work = tempfile::tempdir().unwrap();
    let jar = work.path().join("user-job.jar");
    build_jar(work.path(), "v1", &jar);
    let form = Form::new()
        .text("name", "watched")
        .text("clusterName", "one")
        .text("jarPaths", jar.display().to_string())
        .text("watchJars", "true");
    let (status, body) = call(s.post("/group").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().expect("groupId").to_string();
    let g = wait_group(&s, &id, Duration::from_secs(240), |g| {
        let live = live_drivers(g);
        live.len() == 1 && live[0]["state"] == "READY"
    })
    .await;
    let old_driver = g["jobs"][0]["jobId"].as_str().unwrap().to_string();
    let v1 = execute(&s, &id, job("example.Version", json!({}))).await;
    assert_eq!((v1["state"].as_str(), v1["result"].as_str()), (Some("FINISHED"), Some("v1")), "{v1}");

    // A long request on the old driver, then the jar is rebuilt under it.
    let (status, body) = call(s.post(&format!("/group/{id}/job/submit")).json(&job("example.Sleep", json!({"s": 15})))).await;
    assert_eq!(status, 200, "{body}");
    let long = body["jobInstanceId"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while instance(&s, &id, &long).await["state"] != "BUSY" {
        assert!(Instant::now() < deadline, "the long request never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    build_jar(work.path(), "v2", &jar);

    // Until the new driver is READY, requests wait for (or go to) either driver.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = execute(&s, &id, job("example.Version", json!({}))).await;
        assert_eq!(answer["state"], "FINISHED", "{answer}");
        if answer["result"] == "v2" {
            assert_ne!(answer["jobId"], old_driver.as_str());
            break;
        }
        assert!(Instant::now() < deadline, "never served by the rebuilt jar: {answer}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // The in-flight request was not failed: it finishes on the old driver, which then retires.
    let deadline = Instant::now() + Duration::from_secs(60);
    let slept = loop {
        let i = instance(&s, &id, &long).await;
        if i["state"] != "BUSY" {
            break i;
        }
        assert!(Instant::now() < deadline, "{i:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!((slept["state"].as_str(), slept["result"].as_str()), (Some("FINISHED"), Some("slept")), "{slept}");
    assert_eq!(slept["jobId"], old_driver.as_str());
    let g = wait_group(&s, &id, Duration::from_secs(60), |g| {
        live_drivers(g).len() == 1 && g["jobs"].as_array().unwrap().iter().any(|j| j["jobId"] == old_driver.as_str() && j["state"] == "FINISHED")
    })
    .await;
    assert_eq!(g["scale"], 1);
    assert_eq!(execute(&s, &id, job("example.Version", json!({}))).await["result"], "v2");
    let (status, old) = call(s.get(&format!("/job/{old_driver}"))).await;
    assert_eq!((status, old["state"].as_str()), (200, Some("FINISHED")), "{old}");
}

#[tokio::test]
async fn jar_paths_and_watch_jars_refuse_bad_input() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let not_jar = dir.path().join("notes.jar");
    std::fs::write(&not_jar, "not a zip").unwrap();
    let jar = dir.path().join("ok.jar");
    std::fs::write(&jar, b"PK\x03\x04rest").unwrap();
    let missing = dir.path().join("missing.jar");
    let base = || Form::new().text("name", "w").text("scale", "0");
    let cases: Vec<(Form, &str)> = vec![
        (base().text("watchJars", "true"), "watchJars"),
        (base().text("watchJars", "yes").text("jarPaths", jar.display().to_string()), "watchJars"),
        (base().text("jarPaths", missing.display().to_string()).text("watchJars", "true"), "jarPaths"),
        (base().text("jarPaths", format!("{};{}", jar.display(), not_jar.display())), "jarPaths"),
        (base().text("jarPaths", "relative/ok.jar"), "jarPaths"),
        (base().text("jarPaths", format!("{0};{0}", jar.display())), "jarPaths"),
    ];
    for (form, field) in cases {
        let (status, body) = call(s.post("/group").multipart(form)).await;
        assert_eq!(status, 409, "{field}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.starts_with(&format!("{field}:"))), "{field}: {body}");
    }
    let (_, page) = call(s.get("/group")).await;
    assert_eq!(page["totalElements"], 0, "{page}");

    let (status, body) = call(s.post("/group").multipart(base().text("jarPaths", jar.display().to_string()).text("watchJars", "true"))).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().unwrap();
    let (status, body) = call(s.put(&format!("/group/{id}")).multipart(Form::new().text("watchJars", "true"))).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("watchJars:")), "{body}");
}
