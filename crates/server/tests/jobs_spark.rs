//! Single jobs on real local Spark, over real HTTP: a Python job whose output proves each
//! input arrived (with its SSE transitions), a JVM job from a jar compiled here, a job
//! that raises, stop of a long job, and pyRequirements. Each test has its own data
//! directory, so they run in parallel.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{TestServer, call, file_part, read_sse};
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
        .text("jobConfig", "spark.ui.enabled=false")
        .part("pyFiles", file_part("main.py", main.as_bytes().to_vec()))
}

async fn submit(s: &TestServer, form: Form) -> String {
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    body["jobId"].as_str().expect("jobId").to_string()
}

async fn wait_for(s: &TestServer, id: &str, done: impl Fn(&str) -> bool, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (status, job) = call(s.get(&format!("/job/{id}"))).await;
        assert_eq!(status, 200, "{job}");
        if done(job["state"].as_str().unwrap_or("")) {
            return job;
        }
        assert!(tokio::time::Instant::now() < deadline, "job did not get there in time: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn ended(state: &str) -> bool {
    matches!(state, "FINISHED" | "FAILED" | "CANCELED" | "UNKNOWN")
}

async fn log_text(s: &TestServer, id: &str) -> (String, String) {
    let (status, logs) = call(s.get(&format!("/job/{id}/logs?logSize=25000"))).await;
    assert_eq!(status, 200, "{logs}");
    let text = |i: usize| logs[i]["log"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect::<Vec<_>>().join("\n");
    assert_eq!(logs[0]["name"], "driver-stdout");
    assert_eq!(logs[1]["name"], "driver-stderr");
    (text(0), text(1))
}

/// Processes whose command line mentions `needle` (every process of a job names its directory).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(format!("{}: {cmdline}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn python_job_gets_every_input_and_streams_each_transition() {
    let s = server().await;
    let main = r#"
import sys
from pyspark import SparkFiles
from pyspark.sql import SparkSession
import helper
spark = SparkSession.builder.getOrCreate()
print("HELPER", helper.VALUE)
print("FILE", open(SparkFiles.get("data.txt")).read().strip())
print("CONF", spark.conf.get("spark.sparkdeck.probe"))
print("ARGS", sys.argv[1:])
print("COUNT", spark.range(100).count())
spark.stop()
"#;
    let form = Form::new()
        .text("name", "probe job")
        .text("tags", "suite=spark;run=python-probe")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("jobConfig", "spark.ui.enabled=false;spark.sparkdeck.probe=conf-arrived")
        .text("args", "first;second arg")
        .part("pyFiles", file_part("main.py", main))
        .part("pyFiles", file_part("helper.py", "VALUE = 'helper-arrived'\n"))
        .part("files", file_part("data.txt", "file-arrived\n"));

    // Listen before submitting so that SUBMITTED is seen too.
    let (tx, rx) = tokio::sync::oneshot::channel::<Vec<Value>>();
    let stream = s.get("/job/updates?tags=run=python-probe");
    tokio::spawn(async move {
        let mut seen = Vec::new();
        read_sse(stream, |job| {
            let end = ended(job["state"].as_str().unwrap_or(""));
            seen.push(job);
            !end
        })
        .await;
        let _ = tx.send(seen);
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id = submit(&s, form).await;

    let job = wait_for(&s, &id, ended, Duration::from_secs(180)).await;
    let (stdout, stderr) = log_text(&s, &id).await;
    assert_eq!(job["state"], "FINISHED", "{job}\n{stdout}\n{stderr}");
    for expected in ["HELPER helper-arrived", "FILE file-arrived", "CONF conf-arrived", "ARGS ['first', 'second arg']", "COUNT 100"] {
        assert!(stdout.contains(expected), "{expected} missing from\n{stdout}");
    }
    assert!(job["appId"].as_str().unwrap().starts_with("local-"), "{job}");
    assert_eq!(job["jobType"], "SINGLE");
    assert_eq!(job["tags"], json!({"suite": "spark", "run": "python-probe"}));
    assert!(job["submitTime"].as_i64().unwrap() <= job["startTime"].as_i64().unwrap());
    assert!(job["startTime"].as_i64().unwrap() <= job["endTime"].as_i64().unwrap());
    assert!(job["error"].is_null());

    let seen = tokio::time::timeout(Duration::from_secs(10), rx).await.expect("stream ends").expect("events");
    let mut states: Vec<&str> = seen.iter().map(|j| j["state"].as_str().unwrap()).collect();
    states.dedup();
    assert_eq!(states, ["SUBMITTED", "STARTING", "BUSY", "FINISHED"], "{seen:?}");
    assert!(seen.iter().all(|j| j["jobId"] == id.as_str()));

    // Listing with two filters and a sort finds it; a window of the log counts from the start.
    let (_, page) = call(s.get("/job?jobStates=FINISHED,FAILED&clusterNames=one&tags=suite=spark&sort=submitTime,desc")).await;
    assert_eq!(page["totalElements"], 1, "{page}");
    assert_eq!(page["content"][0]["jobId"], id.as_str());
    let (_, logs) = call(s.get(&format!("/job/{id}/logs?from=1&logSize=2"))).await;
    assert_eq!(logs[1]["from"], 1);
    assert_eq!(logs[1]["logSize"], 2);
    assert_eq!(logs[1]["log"].as_array().unwrap().len(), 2);

    // Stopping a finished job is a conflict; delete removes it with its files.
    let (status, _) = call(s.post(&format!("/job/{id}/stop"))).await;
    assert_eq!(status, 409);
    let job_dir = s.data_dir().join("jobs").join(&id);
    assert!(job_dir.join("stdout.log").exists());
    let (status, body) = call(s.delete(&format!("/job/{id}"))).await;
    assert_eq!((status, body), (200, Value::Null));
    assert!(!job_dir.exists(), "job directory removed");
    let artifacts: Vec<_> = std::fs::read_dir(s.data_dir().join("artifacts")).unwrap().flatten().collect();
    assert!(artifacts.is_empty(), "unreferenced artifacts removed: {artifacts:?}");
    let (status, _) = call(s.get(&format!("/job/{id}"))).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_raises_fails_with_the_message() {
    let s = server().await;
    let main = "from pyspark.sql import SparkSession\nSparkSession.builder.getOrCreate()\nraise ValueError('the input was bad')\n";
    let id = submit(&s, python_form("raises", main)).await;
    // The engine's follow stream delivers the driver's output as it is written and ends
    // with the job.
    let mut follow = s.engine.follow_log(&id, "driver-stdout", 0).await.expect("follow");
    let mut followed = Vec::new();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(180), follow.recv()).await.expect("line or end") {
        followed.push(line);
    }
    assert!(followed.iter().any(|l| l == "ValueError: the input was bad"), "{followed:?}");
    let job = wait_for(&s, &id, ended, Duration::from_secs(30)).await;
    assert_eq!(job["state"], "FAILED", "{job}");
    assert_eq!(job["error"], "ValueError: the input was bad", "{job}");
    // No known cause explains a plain exception: the error line is all there is.
    assert_eq!(job["errorCause"], Value::Null, "{job}");

    // Resubmitted, it runs again from the stored files as a new job.
    let (status, body) = call(s.post(&format!("/job/{id}/resubmit"))).await;
    assert_eq!(status, 200, "{body}");
    let again = body["jobId"].as_str().unwrap().to_string();
    assert_ne!(again, id);
    let job = wait_for(&s, &again, ended, Duration::from_secs(180)).await;
    assert_eq!((job["state"].as_str(), job["error"].as_str(), job["jobName"].as_str()), (Some("FAILED"), Some("ValueError: the input was bad"), Some("raises")));
    assert_eq!(call(s.post("/job/missing/resubmit")).await.0, 404);

    // A cluster with an active job is not deleted unless forced; force stops the job.
    let sleeper = "import time\nfrom pyspark.sql import SparkSession\nSparkSession.builder.getOrCreate()\ntime.sleep(600)\n";
    let busy = submit(&s, python_form("holds the cluster", sleeper)).await;
    let (_, clusters) = call(s.get("/cluster?search=one")).await;
    let cluster_id = clusters["content"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = call(s.delete(&format!("/cluster/{cluster_id}"))).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains(&busy), "{body}");
    let (status, body) = call(s.delete(&format!("/cluster/{cluster_id}?force=true"))).await;
    assert_eq!(status, 200, "{body}");
    let (_, job) = call(s.get(&format!("/job/{busy}"))).await;
    assert_eq!(job["state"], "CANCELED", "{job}");
    assert!(processes_mentioning(&busy).is_empty());
}

/// Four failures classified for real, submitted together (two run at once on the local
/// cluster's slots): each job carries the cause's kind and names its fact, in `GET /job/{id}`
/// and in the list.
#[tokio::test(flavor = "multi_thread")]
async fn failed_jobs_say_why_in_plain_words() {
    let s = server().await;
    let session = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n";
    let module = submit(&s, python_form("cause-module", "import sparkdeck_absent_module\n")).await;
    let class =
        submit(&s, python_form("cause-class", &format!("{session}spark._jvm.java.lang.Class.forName('com.example.AbsentClass')\n"))).await;
    let input = submit(&s, python_form("cause-input", &format!("{session}spark.read.text('/nonexistent-sparkdeck-input').count()\n"))).await;
    // Sixteen rows of 50 MB each cannot all reach a 512 MiB driver (about 13 s here).
    let collect = format!("{session}spark.range(0, 16, 1, 16).selectExpr(\"repeat('x', 50000000) AS s\").collect()\n");
    let memory = submit(&s, python_form("cause-memory", &collect).text("driverMemory", "512m")).await;

    let expected = [
        (&module, "MISSING_PYTHON_MODULE", "sparkdeck_absent_module"),
        (&class, "MISSING_CLASS", "com.example.AbsentClass"),
        (&input, "MISSING_INPUT", "/nonexistent-sparkdeck-input"),
        (&memory, "DRIVER_OUT_OF_MEMORY", "Java heap space"),
    ];
    for (id, kind, named) in expected {
        let job = wait_for(&s, id, ended, Duration::from_secs(240)).await;
        assert_eq!(job["state"], "FAILED", "{job}");
        let cause = &job["errorCause"];
        assert_eq!(cause["kind"], kind, "{job}");
        assert!(cause["summary"].as_str().unwrap().contains(named), "{job}");
        assert!(!cause["hint"].as_str().unwrap().is_empty(), "{job}");
    }
    let (_, listed) = call(s.get("/job?search=cause-&size=10")).await;
    let kinds: std::collections::BTreeMap<&str, &str> = listed["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["jobName"].as_str().unwrap(), j["errorCause"]["kind"].as_str().unwrap_or("none")))
        .collect();
    assert_eq!(
        kinds,
        [("cause-class", "MISSING_CLASS"), ("cause-input", "MISSING_INPUT"), ("cause-memory", "DRIVER_OUT_OF_MEMORY"), ("cause-module", "MISSING_PYTHON_MODULE")]
            .into_iter()
            .collect(),
        "{listed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_settings_reach_the_driver_through_a_private_file_not_a_command_line() {
    use std::os::unix::fs::PermissionsExt;
    let s = server().await;
    let secret = format!("pw-{}", std::process::id());
    let gate = tempfile::tempdir().unwrap();
    let go = gate.path().join("go");
    // The driver reports the setting, then waits for the test to have looked at every process.
    let main = r#"
import os, sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("CONF", spark.conf.get("spark.sparkdeck.probe.password"), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.1)
spark.stop()
"#;
    let form = Form::new()
        .text("name", "secret probe")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("jobConfig", format!("spark.ui.enabled=false;spark.sparkdeck.probe.password={secret}"))
        .text("args", go.display().to_string())
        .part("pyFiles", file_part("main.py", main.as_bytes().to_vec()));
    let id = submit(&s, form).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    while !log_text(&s, &id).await.0.contains("CONF ") {
        let (_, job) = call(s.get(&format!("/job/{id}"))).await;
        assert!(!ended(job["state"].as_str().unwrap_or("")) && tokio::time::Instant::now() < deadline, "{job}\n{:?}", log_text(&s, &id).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let exposed = processes_mentioning(&secret);
    std::fs::write(&go, "").unwrap();
    assert!(exposed.is_empty(), "the secret is on a command line: {exposed:?}");
    let job = wait_for(&s, &id, ended, Duration::from_secs(120)).await;
    let (stdout, stderr) = log_text(&s, &id).await;
    assert_eq!(job["state"], "FINISHED", "{job}\n{stderr}");
    assert!(stdout.contains(&format!("CONF {secret}")), "the driver got the real value: {stdout}");
    let file = walkdir(s.data_dir()).into_iter().find(|p| p.ends_with("spark-submit.properties")).expect("the properties file");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
}

/// Every file under `dir`.
fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walkdir(&path)) } else { files.push(path) }
    }
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_a_long_job_cancels_it_and_leaves_no_process() {
    let s = server().await;
    let main = "import time\nfrom pyspark.sql import SparkSession\nSparkSession.builder.getOrCreate()\nprint('started', flush=True)\ntime.sleep(600)\n";
    let id = submit(&s, python_form("sleeper", main)).await;
    wait_for(&s, &id, |state| state == "BUSY", Duration::from_secs(180)).await;
    assert!(!processes_mentioning(&id).is_empty(), "the job runs");
    let (status, body) = call(s.post(&format!("/job/{id}/stop"))).await;
    assert_eq!((status, body), (200, Value::Null));
    let (_, job) = call(s.get(&format!("/job/{id}"))).await;
    assert_eq!(job["state"], "CANCELED", "{job}");
    assert!(job["endTime"].as_i64().unwrap() > 0);
    let left = processes_mentioning(&id);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

fn spark_home() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/lib");
    std::fs::read_dir(&root)
        .expect("the project's .venv (make setup)")
        .flatten()
        .map(|e| e.path().join("site-packages/pyspark"))
        .find(|p| p.join("jars").is_dir())
        .expect("pyspark in .venv")
}

/// Compiles a small Spark application with javac and packs it with jar.
fn build_jar(dir: &Path) -> Vec<u8> {
    let src = dir.join("src/demo");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("Count.java"),
        r#"package demo;
import org.apache.spark.sql.SparkSession;
public class Count {
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().getOrCreate();
        System.out.println("JVM COUNT " + spark.range(42).count() + " ARGS " + String.join(",", args));
        spark.stop();
    }
}
"#,
    )
    .unwrap();
    let classes = dir.join("classes");
    let classpath = format!("{}/jars/*", spark_home().display());
    let ok = Command::new("javac")
        .args(["-cp", &classpath, "-d"])
        .arg(&classes)
        .arg(src.join("Count.java"))
        .status()
        .expect("javac runs");
    assert!(ok.success(), "javac failed");
    let jar = dir.join("demo.jar");
    let ok = Command::new("jar").arg("cf").arg(&jar).arg("-C").arg(&classes).arg(".").status().expect("jar runs");
    assert!(ok.success(), "jar failed");
    std::fs::read(jar).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn jvm_job_runs_its_class_from_the_uploaded_jar() {
    let s = server().await;
    let build = tempfile::tempdir().unwrap();
    let jar = build_jar(build.path());
    let form = Form::new()
        .text("name", "jvm count")
        .text("clusterName", "one")
        .text("jobClass", "demo.Count")
        .text("jobConfig", "spark.ui.enabled=false")
        .text("args", "x;y")
        .part("jars", file_part("demo.jar", jar));
    let id = submit(&s, form).await;
    let job = wait_for(&s, &id, ended, Duration::from_secs(180)).await;
    let (stdout, stderr) = log_text(&s, &id).await;
    assert_eq!(job["state"], "FINISHED", "{job}\n{stderr}");
    assert_eq!(job["language"], "SCALA");
    assert!(stdout.contains("JVM COUNT 42 ARGS x,y"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn py_requirements_build_a_cached_environment_and_a_bad_one_fails_the_job() {
    let s = server().await;
    let main = "import six\nfrom pyspark.sql import SparkSession\nSparkSession.builder.getOrCreate()\nprint('SIX', six.__version__, six.__file__)\n";
    let good = python_form("with six", main).text("pyRequirements", "six==1.16.0");
    let bad = python_form("with nothing", main).text("pyRequirements", "sparkdeck-no-such-package==9.9.9");
    let good = submit(&s, good).await;
    let bad = submit(&s, bad).await;

    let job = wait_for(&s, &bad, ended, Duration::from_secs(240)).await;
    assert_eq!(job["state"], "FAILED", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains("sparkdeck-no-such-package"), "pip's message: {error}");

    let job = wait_for(&s, &good, ended, Duration::from_secs(240)).await;
    let (stdout, stderr) = log_text(&s, &good).await;
    assert_eq!(job["state"], "FINISHED", "{job}\n{stdout}\n{stderr}");
    assert!(stdout.contains("SIX 1.16.0"), "{stdout}");
    assert!(stdout.contains("/venvs/"), "six comes from the job's environment: {stdout}");
    assert!(stderr.contains("six"), "pip's output is in the job's log");
}
