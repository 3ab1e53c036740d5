//! The live Spark UI on real Spark, over real HTTP: while a job with a shuffle runs, its
//! `sparkUiUrl` answers Spark's own REST API naming the job's application, bound on
//! loopback only; once it ended the field is null. The same for a group driver, and on a
//! real standalone cluster on loopback (a cluster-mode JVM driver on a worker, a
//! client-mode Python driver here).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;
#[path = "../../engine/tests/support/standalone.rs"]
mod standalone;

use std::time::Duration;

use common::{TestServer, call, file_part};
use reqwest::multipart::Form;
use serde_json::{Value, json};
use standalone::{StandaloneCluster, compile_jar};

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

/// The group's view until `done` holds for its one driver.
async fn driver_until(s: &TestServer, group_id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        let (status, group) = call(s.get(&format!("/group/{group_id}"))).await;
        assert_eq!(status, 200, "{group}");
        if let Some(driver) = group["jobs"].as_array().and_then(|jobs| jobs.iter().find(|j| done(j))) {
            return driver.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no driver with {what} in time: {group}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A group driver has its UI by default (its view in the group names it, and it goes when
/// the group stops); `spark.ui.enabled=false` in the group's conf keeps it off. Prints the
/// idle drivers' resident memory with and without it.
#[tokio::test(flavor = "multi_thread")]
async fn a_group_drivers_spark_ui_is_on_by_default_and_off_when_its_conf_says_so() {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(status, 200, "{body}");
    let mut memory = Vec::new();
    for ui_off in [false, true] {
        let mut form =
            Form::new().text("name", format!("notebook-{ui_off}")).text("kind", "CODE").text("language", "PYTHON").text("clusterName", "one");
        if ui_off {
            form = form.text("jobConfig", "spark.ui.enabled=false");
        }
        let (status, body) = call(s.post("/group").multipart(form)).await;
        assert_eq!(status, 200, "{body}");
        let group_id = body["groupId"].as_str().unwrap().to_string();
        let driver = driver_until(&s, &group_id, "READY", |j| j["state"] == "READY").await;
        let driver_id = driver["jobId"].as_str().unwrap().to_string();
        if ui_off {
            assert_eq!(driver["sparkUiUrl"], Value::Null, "{driver}");
            assert_eq!(s.engine.live_spark_ui(&driver_id).await.unwrap(), None);
        } else {
            let driver = driver_until(&s, &group_id, "a Spark UI", |j| j["sparkUiUrl"].is_string()).await;
            let url = driver["sparkUiUrl"].as_str().unwrap();
            assert_ui_names_app(url, driver["appId"].as_str().unwrap()).await;
            assert_eq!(s.engine.live_spark_ui(&driver_id).await.unwrap().as_deref(), Some(url));
        }
        memory.push(s.engine.running_group_drivers().await.unwrap().memory_bytes);
        assert_eq!(call(s.post(&format!("/group/{group_id}/stop"))).await.0, 200);
        let ended = driver_until(&s, &group_id, "an end", |j| j["jobId"] == driver_id.as_str() && j["endTime"].as_i64() > Some(0)).await;
        assert_eq!(ended["sparkUiUrl"], Value::Null, "{ended}");
        assert_eq!(s.engine.live_spark_ui(&driver_id).await.unwrap(), None);
    }
    println!("idle group driver resident memory: UI on {} MiB, UI off {} MiB", memory[0] >> 20, memory[1] >> 20);
}

/// A shuffle, then it waits until the file named by its first argument exists.
const JVM_SHUFFLE_THEN_WAIT: &str = r#"package demo;
import org.apache.spark.sql.SparkSession;
import static org.apache.spark.sql.functions.col;
public class Wait {
    public static void main(String[] args) throws Exception {
        SparkSession spark = SparkSession.builder().getOrCreate();
        System.out.println("GROUPS " + spark.range(10000).groupBy(col("id").mod(7)).count().count());
        while (!new java.io.File(args[0]).exists()) Thread.sleep(200);
        spark.stop();
    }
}
"#;

/// On a standalone cluster: a JVM job's driver runs on a worker (cluster mode), a Python
/// job's here (client mode); each one's `sparkUiUrl` names its application while it runs.
#[tokio::test(flavor = "multi_thread")]
async fn standalone_drivers_spark_ui_names_their_application_while_they_run() {
    let sa = StandaloneCluster::start().await;
    let s = TestServer::start().await;
    let lab = json!({"name": "lab", "type": "standalone", "url": sa.master_url, "restUrl": sa.rest_url, "webUiUrl": sa.web_ui});
    let (status, body) = call(s.post("/cluster").json(&lab)).await;
    assert_eq!(status, 200, "{body}");
    let build = tempfile::tempdir().unwrap();
    let jar = std::fs::read(compile_jar(build.path(), "demo.Wait", JVM_SHUFFLE_THEN_WAIT)).unwrap();
    let signal = tempfile::tempdir().unwrap();
    let forms = [
        ("cluster mode", Form::new().text("jobClass", "demo.Wait").part("jars", file_part("wait.jar", jar))),
        ("client mode", Form::new().text("language", "PYTHON").part("pyFiles", file_part("main.py", SHUFFLE_THEN_WAIT))),
    ];
    for (mode, form) in forms {
        let release = signal.path().join(mode.replace(' ', "-"));
        let form = form.text("name", mode).text("clusterName", "lab").text("args", release.to_string_lossy().into_owned());
        let (status, body) = call(s.post("/job/submit").multipart(form)).await;
        assert_eq!(status, 200, "{body}");
        let id = body["jobId"].as_str().unwrap().to_string();
        let job = job_until(&s, &id, "a Spark UI and app id", |j| j["sparkUiUrl"].is_string() && j["appId"].is_string()).await;
        assert_ui_names_app(job["sparkUiUrl"].as_str().unwrap(), job["appId"].as_str().unwrap()).await;
        std::fs::write(&release, "").unwrap();
        let job = job_until(&s, &id, "the end", |j| j["endTime"].as_i64() > Some(0)).await;
        assert_eq!((job["state"].as_str(), &job["sparkUiUrl"]), (Some("FINISHED"), &Value::Null), "{mode}: {job}\n{}", sa.logs());
    }
}
