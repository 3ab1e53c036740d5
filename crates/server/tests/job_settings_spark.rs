//! The 1.5.3 job fields on real local Spark, over real HTTP: `driverMemory` reaches the
//! driver, and `packages` resolve from a Maven repository laid out on disk here (no remote
//! repository is reachable) once, into the data directory's cache, which the next job
//! with the same packages uses without resolving again; one that cannot be resolved fails
//! its job saying which. A group's drivers get both the same way.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{TestServer, call, file_part};
use reqwest::multipart::Form;
use serde_json::{Value, json};

/// A local cluster with one thread, so each job stays light.
async fn server() -> TestServer {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(status, 200, "{body}");
    s
}

fn python_form(name: &str, main: &str) -> Form {
    Form::new()
        .text("name", name.to_string())
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .part("pyFiles", file_part("main.py", main.as_bytes().to_vec()))
}

/// Submits and waits for the end; the job as shown then, and its driver's stdout and stderr.
async fn run(s: &TestServer, form: Form) -> (Value, String, String) {
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["jobId"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    let job = loop {
        let (_, job) = call(s.get(&format!("/job/{id}"))).await;
        if matches!(job["state"].as_str(), Some("FINISHED" | "FAILED" | "CANCELED" | "UNKNOWN")) {
            break job;
        }
        assert!(tokio::time::Instant::now() < deadline, "the job did not end in time: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (status, logs) = call(s.get(&format!("/job/{id}/logs?logSize=25000"))).await;
    assert_eq!(status, 200, "{logs}");
    let text = |i: usize| logs[i]["log"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect::<Vec<_>>().join("\n");
    (job, text(0), text(1))
}

#[tokio::test(flavor = "multi_thread")]
async fn driver_memory_reaches_the_driver_and_the_job_shows_its_settings() {
    let s = server().await;
    let main = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint('DRIVER MEMORY', spark.conf.get('spark.driver.memory'), flush=True)\n";
    let form = python_form("sized", main).text("driverMemory", "1g").text("jobConfig", "spark.ui.enabled=false").text("args", "x;y z");
    let (job, stdout, stderr) = run(&s, form).await;
    assert_eq!(job["state"], "FINISHED", "{job}\n{stderr}");
    assert!(stdout.contains("DRIVER MEMORY 1g"), "{stdout}");
    assert_eq!(job["memorySettings"], json!({"driverMemory": "1g"}), "{job}");
    assert_eq!(job["jobConfig"], json!({"spark.ui.enabled": "false"}));
    assert_eq!((&job["args"], &job["jobClass"], &job["pyRequirements"], &job["packages"]), (&json!(["x", "y z"]), &Value::Null, &json!(""), &json!("")));
}

/// A Maven repository under `root`: `com.example:hello:1.0`, a jar whose class
/// `demo.Hello.greet()` answers a greeting, with its pom.
fn maven_repo(root: &Path) -> PathBuf {
    let src = root.join("src/demo");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("Hello.java"), "package demo;\npublic class Hello {\n    public static String greet() { return \"hello from a package\"; }\n}\n").unwrap();
    let classes = root.join("classes");
    let ok = Command::new("javac").arg("-d").arg(&classes).arg(src.join("Hello.java")).status().expect("javac runs");
    assert!(ok.success(), "javac failed");
    let repo = root.join("repo");
    let dir = repo.join("com/example/hello/1.0");
    std::fs::create_dir_all(&dir).unwrap();
    let ok = Command::new("jar").arg("cf").arg(dir.join("hello-1.0.jar")).arg("-C").arg(&classes).arg(".").status().expect("jar runs");
    assert!(ok.success(), "jar failed");
    let pom = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>hello</artifactId>
  <version>1.0</version>
  <packaging>jar</packaging>
</project>
"#;
    std::fs::write(dir.join("hello-1.0.pom"), pom).unwrap();
    repo
}

const GREET: &str = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint('GREETING', spark.sparkContext._jvm.demo.Hello.greet(), flush=True)\n";

/// The package cache's entries (`<data>/packages/<key>`) and when each one's marker was written.
fn cache_entries(data: &Path) -> Vec<(String, SystemTime)> {
    let Ok(entries) = std::fs::read_dir(data.join("packages")) else { return Vec::new() };
    entries
        .flatten()
        .map(|e| {
            let marker = std::fs::metadata(e.path().join(".sparkdeck-complete")).and_then(|m| m.modified());
            (e.file_name().to_string_lossy().into_owned(), marker.expect("a cache entry is whole"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn packages_resolve_once_from_the_named_repository_and_are_reused() {
    let s = server().await;
    let build = tempfile::tempdir().unwrap();
    let repo = maven_repo(build.path());
    let config = format!("spark.ui.enabled=false;spark.jars.repositories=file://{}", repo.display());
    let form = |name: &str| python_form(name, GREET).text("packages", "com.example:hello:1.0").text("jobConfig", config.clone());

    let (first, stdout, stderr) = run(&s, form("first")).await;
    assert_eq!(first["state"], "FINISHED", "{first}\n{stdout}\n{stderr}");
    assert!(stdout.contains("GREETING hello from a package"), "{stdout}\n{stderr}");
    assert!(stderr.contains(":: resolution report ::") && stderr.contains("found com.example#hello;1.0"), "resolved by Ivy: {stderr}");
    assert_eq!(first["packages"], "com.example:hello:1.0");
    let cached = cache_entries(s.data_dir());
    assert_eq!(cached.len(), 1, "one cache entry: {cached:?}");

    let (second, stdout, stderr) = run(&s, form("second")).await;
    assert_eq!(second["state"], "FINISHED", "{second}\n{stderr}");
    assert!(stdout.contains("GREETING hello from a package"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("resolution report") && !stderr.contains("resolving"), "resolved again: {stderr}");
    assert_eq!(cache_entries(s.data_dir()), cached, "the same cache entry, not written again");

    let missing = python_form("missing", GREET).text("packages", "com.example:absent:9.9").text("jobConfig", config.clone());
    let (failed, _, stderr) = run(&s, missing).await;
    assert_eq!(failed["state"], "FAILED", "{failed}\n{stderr}");
    let error = failed["error"].as_str().unwrap_or("");
    assert!(error.contains("com.example#absent;9.9"), "the error names what could not be resolved: {error}\n{stderr}");
    assert_eq!(cache_entries(s.data_dir()).len(), 1, "a failed resolution leaves no cache entry");
    let left: Vec<_> = std::fs::read_dir(s.data_dir().join("packages")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "no temporary resolution left: {left:?}");
}

/// A group's drivers get the same: the memory fields in their conf, the packages on their
/// class path (resolved by the first driver's wrapper).
#[tokio::test(flavor = "multi_thread")]
async fn a_groups_drivers_get_its_packages_and_memory_settings() {
    let s = server().await;
    let build = tempfile::tempdir().unwrap();
    let repo = maven_repo(build.path());
    let form = Form::new()
        .text("name", "with-packages")
        .text("kind", "CODE")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("packages", "com.example:hello:1.0")
        .text("driverMemory", "1g")
        .text("jobConfig", format!("spark.jars.repositories=file://{}", repo.display()));
    let (status, body) = call(s.post("/group").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        let (_, group) = call(s.get(&format!("/group/{id}"))).await;
        let states: Vec<&str> = group["jobs"].as_array().unwrap().iter().filter_map(|j| j["state"].as_str()).collect();
        if states == ["READY"] {
            break;
        }
        assert!(!states.contains(&"FAILED"), "a driver failed: {group}");
        assert!(tokio::time::Instant::now() < deadline, "no driver got ready: {group}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let code = "spark.sparkContext._jvm.demo.Hello.greet() + ' / ' + spark.conf.get('spark.driver.memory')";
    let (status, answer) = call(s.post(&format!("/group/{id}/job/execute")).json(&json!({"type": "interactive_code_execute", "code": code}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "'hello from a package / 1g'", "the cell's value, as Python shows it: {answer}");
    assert_eq!(cache_entries(s.data_dir()).len(), 1);
    let (status, body) = call(s.delete(&format!("/group/{id}"))).await;
    assert_eq!(status, 200, "{body}");
}
