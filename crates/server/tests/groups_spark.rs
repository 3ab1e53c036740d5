//! Interactive groups on real local Spark, over real HTTP: a PYTHON job group through its
//! whole life (requests, errors, cancel, SSE, its driver's stages live and after it was
//! killed mid-request, rescale,
//! pause/resume, stop, delete), a SCALA group whose jar is compiled here against a stub
//! of `cloud.ilum.job.Job`, a CODE group, and a SQL CODE group answering a table. Each test
//! has its own data directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{TestServer, call, file_part, read_sse};
use reqwest::multipart::Form;
use serde_json::{Value, json};

const JOBS: &str = r#"
import os, time
from ilum.api import IlumJob

class CountJob(IlumJob):
    def run(self, spark, config):
        return str(spark.range(int(config["n"])).count())

class ShuffleJob(IlumJob):
    def run(self, spark, config):
        pairs = spark.sparkContext.parallelize(range(int(config["n"])), 2).map(lambda x: (x % 10, 1))
        return str(sum(v for _, v in pairs.reduceByKey(lambda a, b: a + b, 2).collect()))

class ConfJob(IlumJob):
    def run(self, spark, config):
        return spark.conf.get("spark.sparkdeck.probe")

class FailingJob(IlumJob):
    def run(self, spark, config):
        raise ValueError("bad input: " + str(config.get("why")))

class SleepJob(IlumJob):
    def run(self, spark, config):
        # Short sleeps, so a cancel can interrupt it between them.
        end = time.time() + float(config["s"])
        while time.time() < end:
            time.sleep(0.05)
        return "slept"

class SlowJob(IlumJob):
    def run(self, spark, config):
        spark.range(10**13).where("id % 3 = 7").count()
"#;

/// A local cluster with one thread, so each driver stays light.
async fn server() -> TestServer {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(status, 200, "{body}");
    s
}

async fn create(s: &TestServer, form: Form) -> String {
    let (status, body) = call(s.post("/group").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    body["groupId"].as_str().expect("groupId").to_string()
}

async fn group(s: &TestServer, id: &str) -> Value {
    let (status, group) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(status, 200, "{group}");
    group
}

fn drivers_in<'a>(group: &'a Value, state: &str) -> Vec<&'a Value> {
    group["jobs"].as_array().expect("jobs").iter().filter(|j| j["state"] == state).collect()
}

fn active(group: &Value) -> usize {
    group["jobs"].as_array().expect("jobs").iter().filter(|j| matches!(j["state"].as_str(), Some("STARTING" | "READY" | "BUSY"))).count()
}

/// Waits until the group has exactly `ready` READY drivers and nothing else active.
async fn wait_ready(s: &TestServer, id: &str, ready: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let g = group(s, id).await;
        if drivers_in(&g, "READY").len() == ready && active(&g) == ready {
            return g;
        }
        assert!(Instant::now() < deadline, "wanted {ready} READY drivers: {g:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn execute(s: &TestServer, id: &str, body: Value) -> Value {
    let (status, instance) = call(s.post(&format!("/group/{id}/job/execute")).json(&body)).await;
    assert_eq!(status, 200, "{instance}");
    instance
}

fn job(class: &str, config: Value) -> Value {
    json!({"type": "interactive_job_execute", "jobClass": class, "jobConfig": config})
}

async fn submit(s: &TestServer, id: &str, body: Value) -> String {
    let (status, answer) = call(s.post(&format!("/group/{id}/job/submit")).json(&body)).await;
    assert_eq!(status, 200, "{answer}");
    answer["jobInstanceId"].as_str().expect("jobInstanceId").to_string()
}

async fn instance(s: &TestServer, group: &str, instance: &str) -> Value {
    let (status, page) = call(s.get(&format!("/group/{group}/job/result?size=2000"))).await;
    assert_eq!(status, 200, "{page}");
    page["content"].as_array().unwrap().iter().find(|i| i["jobInstanceId"] == instance).cloned().expect("instance listed")
}

async fn wait_instance(s: &TestServer, group: &str, id: &str, state: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let i = instance(s, group, id).await;
        if i["state"] == state {
            return i;
        }
        assert!(Instant::now() < deadline, "wanted {state}: {i:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The map and reduce stages of `ShuffleJob`'s one request in a `/stages` answer, both complete.
fn shuffle_stages(answer: &Value) -> (&Value, &Value) {
    let stages = answer["stages"].as_array().expect("stages");
    // The driver runs stages of its own too (named after `sparkdeck_driver.py`).
    let named = |prefix: &str| {
        let ours = |n: &str| n.starts_with(prefix) && n.contains("user_jobs.py:");
        let found: Vec<&Value> = stages.iter().filter(|st| st["name"].as_str().is_some_and(ours)).collect();
        assert_eq!(found.len(), 1, "one stage '{prefix}…': {answer}");
        assert_eq!(found[0]["status"], "COMPLETE", "{answer}");
        found[0]
    };
    let (map, reduce) = (named("reduceByKey at "), named("collect at "));
    assert_eq!(reduce["shuffleWriteBytes"], 0, "{answer}");
    (map, reduce)
}

#[tokio::test(flavor = "multi_thread")]
async fn python_group_serves_requests_survives_a_killed_driver_and_rescales() {
    let s = server().await;
    let form = Form::new()
        .text("name", "py-group")
        .text("kind", "JOB")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("tags", "suite=groups")
        .text("jobConfig", "spark.sparkdeck.probe=conf-arrived")
        .part("pyFiles", file_part("user_jobs.py", JOBS));
    let id = create(&s, form).await;
    let g = wait_ready(&s, &id, 1).await;
    assert_eq!((g["state"].as_str(), g["scale"].as_i64(), g["kind"].as_str()), (Some("ACTIVE"), Some(1), Some("JOB")));
    let driver = g["jobs"][0].clone();
    assert_eq!((driver["jobType"].as_str(), driver["groupId"].as_str()), (Some("INTERACTIVE"), Some(id.as_str())));
    assert!(driver["appId"].as_str().is_some_and(|a| a.starts_with("local-")), "{driver}");
    let (_, by_name) = call(s.get("/group/name/py-group")).await;
    assert_eq!(by_name["id"], id.as_str());

    // Every instance change streams; listen before the first request.
    let (tx, rx) = tokio::sync::oneshot::channel::<Vec<Value>>();
    let stream = s.get(&format!("/group/job/result/updates?groupIds={id}&tags=suite=groups"));
    tokio::spawn(async move {
        let mut seen = Vec::new();
        read_sse(stream, |i| {
            let done = i["state"] == "FINISHED";
            seen.push(i);
            !done
        })
        .await;
        let _ = tx.send(seen);
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let counted = execute(&s, &id, job("user_jobs.CountJob", json!({"n": 42}))).await;
    assert_eq!((counted["state"].as_str(), counted["result"].as_str()), (Some("FINISHED"), Some("42")), "{counted}");
    assert_eq!(counted["jobId"], driver["jobId"]);
    assert_eq!(counted["jobConfig"], json!({"n": 42}));
    assert!(counted["error"].is_null() && counted["startTime"].as_i64() <= counted["endTime"].as_i64());
    let seen = tokio::time::timeout(Duration::from_secs(10), rx).await.expect("stream ends").expect("events");
    let states: Vec<&str> = seen.iter().map(|i| i["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["SUBMITTED", "BUSY", "FINISHED"], "{seen:?}");

    // The driver's stages come live from its Spark UI: the request's shuffle, written by
    // its map stage and read by its collect.
    let shuffled = execute(&s, &id, job("user_jobs.ShuffleJob", json!({"n": 1000}))).await;
    assert_eq!(shuffled["result"], "1000", "{shuffled}");
    let driver_id = driver["jobId"].as_str().unwrap();
    assert!(group(&s, &id).await["jobs"][0]["sparkUiUrl"].is_string(), "a group driver has its Spark UI by default");
    let (status, live) = call(s.get(&format!("/job/{driver_id}/stages"))).await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["source"], "LIVE", "{live}");
    let (map, reduce) = shuffle_stages(&live);
    assert!(map["shuffleWriteBytes"].as_i64().unwrap() > 0 && map["shuffleWriteBytes"] == reduce["shuffleReadBytes"], "{live}");
    assert_eq!((map["numTasks"].as_i64(), reduce["numTasks"].as_i64()), (Some(2), Some(2)), "{live}");

    let conf = execute(&s, &id, job("user_jobs.ConfJob", json!({}))).await;
    assert_eq!(conf["result"], "conf-arrived", "{conf}");

    // A job that raises, and a class that does not exist, are instance errors, not 5xx.
    let failing = submit(&s, &id, job("user_jobs.FailingJob", json!({"why": "x"}))).await;
    let failed = wait_instance(&s, &id, &failing, "FAILED", Duration::from_secs(30)).await;
    assert_eq!(failed["error"]["message"], "ValueError: bad input: x", "{failed}");
    assert!(failed["error"]["stackTrace"].as_str().unwrap().contains("user_jobs.py"), "{failed}");
    let missing = execute(&s, &id, job("user_jobs.Missing", json!({}))).await;
    assert_eq!(missing["state"], "FAILED");
    assert!(missing["error"]["message"].as_str().unwrap().contains("no class 'Missing'"), "{missing}");

    // Cancel of a long request; the driver stays usable.
    let slow = submit(&s, &id, job("user_jobs.SlowJob", json!({}))).await;
    wait_instance(&s, &id, &slow, "BUSY", Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = call(s.post(&format!("/group/{id}/job/{slow}/cancel"))).await;
    assert_eq!(status, 200);
    let cancelled = wait_instance(&s, &id, &slow, "CANCELED", Duration::from_secs(30)).await;
    assert!(cancelled["error"]["message"].as_str().unwrap().contains("cancel"), "{cancelled}");
    assert_eq!(execute(&s, &id, job("user_jobs.CountJob", json!({"n": 3}))).await["result"], "3");

    // kill -9 of the driver mid-request: the request fails clearly, a new driver replaces it.
    let sleeping = submit(&s, &id, job("user_jobs.SleepJob", json!({"s": 120}))).await;
    wait_instance(&s, &id, &sleeping, "BUSY", Duration::from_secs(30)).await;
    let info: Value = serde_json::from_slice(
        &std::fs::read(s.data_dir().join("jobs").join(driver["jobId"].as_str().unwrap()).join("driver-info.json")).unwrap(),
    )
    .unwrap();
    let killed_at = Instant::now();
    assert!(Command::new("kill").args(["-9", &info["pid"].to_string()]).status().unwrap().success());
    let lost = wait_instance(&s, &id, &sleeping, "FAILED", Duration::from_secs(10)).await;
    let noticed = killed_at.elapsed();
    assert!(noticed < Duration::from_secs(5), "noticed after {noticed:?}");
    let message = lost["error"]["message"].as_str().unwrap();
    assert!(message.contains("ended while running this request"), "{message}");
    let g = wait_ready(&s, &id, 1).await;
    assert_eq!(drivers_in(&g, "FAILED").len(), 1, "{g:#}");
    // The killed driver's stages, from the rolling (uncompressed) event log it left.
    let (status, ended) = call(s.get(&format!("/job/{driver_id}/stages"))).await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["source"], "EVENT_LOG", "{ended}");
    let (map, reduce) = shuffle_stages(&ended);
    assert!(map["shuffleWriteBytes"].as_i64().unwrap() > 0 && map["shuffleWriteBytes"] == reduce["shuffleReadBytes"], "{ended}");
    assert_ne!(drivers_in(&g, "READY")[0]["jobId"], driver["jobId"]);
    assert_eq!(execute(&s, &id, job("user_jobs.CountJob", json!({"n": 5}))).await["result"], "5");

    // Rescale 2 → two requests run at once, on two drivers.
    assert_eq!(call(s.post(&format!("/group/{id}/rescale/2"))).await.0, 200);
    wait_ready(&s, &id, 2).await;
    let (a, b) = tokio::join!(
        execute(&s, &id, job("user_jobs.SleepJob", json!({"s": 3}))),
        execute(&s, &id, job("user_jobs.SleepJob", json!({"s": 3})))
    );
    assert_ne!(a["jobId"], b["jobId"], "two drivers: {a} {b}");
    assert!(a["startTime"].as_i64() < b["endTime"].as_i64() && b["startTime"].as_i64() < a["endTime"].as_i64(), "overlap: {a} {b}");
    // → 1 → 2.
    assert_eq!(call(s.post(&format!("/group/{id}/rescale/1"))).await.0, 200);
    wait_ready(&s, &id, 1).await;
    assert_eq!(call(s.post(&format!("/group/{id}/rescale/2"))).await.0, 200);
    wait_ready(&s, &id, 2).await;
    assert_eq!(call(s.post(&format!("/group/{id}/rescale/1"))).await.0, 200);

    // Pause: no drivers, requests refused; resume brings them back.
    assert_eq!(call(s.post(&format!("/group/{id}/pause"))).await.0, 200);
    let (status, body) = call(s.post(&format!("/group/{id}/job/execute")).json(&job("user_jobs.CountJob", json!({"n": 1})))).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("state:"), "{body}");
    let g = wait_ready(&s, &id, 0).await;
    assert_eq!((g["state"].as_str(), g["paused"].as_bool()), (Some("ACTIVE"), Some(true)));
    assert_eq!(call(s.post(&format!("/group/{id}/resume"))).await.0, 200);
    wait_ready(&s, &id, 1).await;
    assert_eq!(execute(&s, &id, job("user_jobs.CountJob", json!({"n": 7}))).await["result"], "7");

    // Stop archives; delete removes the group, its drivers and instances.
    assert_eq!(call(s.post(&format!("/group/{id}/stop"))).await.0, 200);
    let g = wait_ready(&s, &id, 0).await;
    assert_eq!(g["state"], "ARCHIVED");
    assert!(g["archivedTime"].as_i64().unwrap() > 0);
    let (status, body) = call(s.post(&format!("/group/{id}/job/submit")).json(&job("user_jobs.CountJob", json!({"n": 1})))).await;
    assert_eq!(status, 409, "{body}");
    let (_, page) = call(s.get("/group?groupStates=ARCHIVED&tags=suite=groups")).await;
    assert_eq!(page["totalElements"], 1, "{page}");
    let (_, results) = call(s.get(&format!("/group/{id}/job/result?search=CountJob&size=50"))).await;
    assert_eq!(results["totalElements"], 4, "{results}");
    assert_eq!(call(s.delete(&format!("/group/{id}"))).await.0, 200);
    assert_eq!(call(s.get(&format!("/group/{id}"))).await.0, 404);
    assert_eq!(call(s.get(&format!("/job/{}", driver["jobId"].as_str().unwrap()))).await.0, 404);
}

const JVM_STUB: &str = "package cloud.ilum.job;\npublic interface Job {\n    scala.Option<String> run(org.apache.spark.sql.SparkSession s, scala.collection.immutable.Map<String, Object> c);\n}\n";

const JVM_JOB: &str = r#"package example;
public class CountJob implements cloud.ilum.job.Job {
    public scala.Option<String> run(org.apache.spark.sql.SparkSession s, scala.collection.immutable.Map<String, Object> c) {
        long n = Long.parseLong(String.valueOf(c.apply("n")));
        if (n < 0) throw new IllegalArgumentException("n must not be negative");
        return scala.Option.apply("jvm:" + s.range(n).count());
    }
}
"#;

/// A job jar compiled against a stub of the contract that is NOT in the jar: the
/// driver provides `cloud.ilum.job.Job` at run time.
fn build_jar(work: &Path) -> Vec<u8> {
    let spark_home = spark_home();
    let src = work.join("src");
    std::fs::create_dir_all(src.join("cloud/ilum/job")).unwrap();
    std::fs::create_dir_all(src.join("example")).unwrap();
    std::fs::write(src.join("cloud/ilum/job/Job.java"), JVM_STUB).unwrap();
    std::fs::write(src.join("example/CountJob.java"), JVM_JOB).unwrap();
    let classes = work.join("classes");
    let ok = Command::new("javac")
        .args(["--release", "17", "-nowarn", "-cp"])
        .arg(format!("{spark_home}/jars/*"))
        .arg("-d")
        .arg(&classes)
        .arg(src.join("cloud/ilum/job/Job.java"))
        .arg(src.join("example/CountJob.java"))
        .status()
        .expect("javac runs");
    assert!(ok.success());
    let jar = work.join("user-job.jar");
    let ok = Command::new("jar").arg("--create").arg("--file").arg(&jar).arg("-C").arg(&classes).arg("example").status().unwrap();
    assert!(ok.success());
    std::fs::read(jar).unwrap()
}

/// The Spark home the engine uses (from the project's .venv).
fn spark_home() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join(".venv/bin/python"))
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .output()
        .expect("the project's .venv");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn scala_group_runs_job_classes_from_its_jar() {
    let s = server().await;
    let build = tempfile::tempdir().unwrap();
    let form = Form::new()
        .text("name", "jvm-group")
        .text("clusterName", "one")
        .part("jars", file_part("user-job.jar", build_jar(build.path())));
    let id = create(&s, form).await;
    let g = wait_ready(&s, &id, 1).await;
    assert_eq!(g["language"], "SCALA");
    let counted = execute(&s, &id, job("example.CountJob", json!({"n": 7}))).await;
    assert_eq!(counted["result"], "jvm:7", "{counted}");
    let failed = execute(&s, &id, job("example.CountJob", json!({"n": -1}))).await;
    assert_eq!(failed["error"]["message"], "java.lang.IllegalArgumentException: n must not be negative", "{failed}");
    assert!(failed["error"]["stackTrace"].as_str().unwrap().contains("at example.CountJob.run"));
    let missing = execute(&s, &id, job("example.Nope", json!({}))).await;
    assert_eq!(missing["error"]["message"], "java.lang.ClassNotFoundException: example.Nope", "{missing}");
    // Code requests are for CODE groups.
    let (status, body) = call(s.post(&format!("/group/{id}/job/execute")).json(&json!({"type": "interactive_code_execute", "code": "1"}))).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().starts_with("type:"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn code_group_executes_and_completes_code() {
    let s = server().await;
    // CODE groups default to SCALA: these cells are Python.
    let form = Form::new().text("name", "notebook").text("kind", "CODE").text("language", "PYTHON").text("clusterName", "one");
    let id = create(&s, form).await;
    let g = wait_ready(&s, &id, 1).await;
    assert_eq!((g["kind"].as_str(), g["language"].as_str()), (Some("CODE"), Some("PYTHON")));
    let code = |c: &str| json!({"type": "interactive_code_execute", "code": c});
    assert!(execute(&s, &id, code("total = spark.range(5).count()")).await["result"].is_null());
    let doubled = execute(&s, &id, code("print('sum'); total * 2")).await;
    assert_eq!(doubled["result"], "sum\n10", "{doubled}");
    let broken = execute(&s, &id, code("def (")).await;
    assert!(broken["error"]["message"].as_str().unwrap().contains("SyntaxError"), "{broken}");
    let completed = execute(&s, &id, json!({"type": "interactive_code_complete", "code": "x = spark.ra", "cursor": 12})).await;
    assert_eq!(completed["completions"], json!(["spark.range("]), "{completed}");
    assert_eq!(completed["result"], "[\"spark.range(\"]");
    let (status, body) = call(s.post(&format!("/group/{id}/job/execute")).json(&job("a.B", json!({})))).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().starts_with("type:"), "{body}");
    let big = "x".repeat(300 * 1024);
    let (status, body) = call(s.post(&format!("/group/{id}/job/execute")).json(&code(&big))).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().starts_with("code:"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_code_group_answers_a_table_and_shares_its_session_with_python() {
    let s = server().await;
    let form = Form::new().text("name", "queries").text("kind", "CODE").text("language", "SQL").text("clusterName", "one");
    let id = create(&s, form).await;
    let g = wait_ready(&s, &id, 1).await;
    assert_eq!(g["language"], "SQL");
    let sql = |c: &str| json!({"type": "interactive_code_execute", "code": c});
    let one = execute(&s, &id, sql("SELECT 1 AS x")).await;
    assert_eq!((one["state"].as_str(), one["language"].as_str()), (Some("FINISHED"), Some("SQL")), "{one}");
    let table = &one["data"]["application/json"];
    assert_eq!(table["schema"]["type"], "struct", "{one}");
    let fields = table["schema"]["fields"].as_array().unwrap();
    assert_eq!((fields.len(), fields[0]["name"].as_str(), fields[0]["type"].as_str()), (1, Some("x"), Some("integer")), "{one}");
    assert_eq!((&table["data"], &table["truncated"]), (&json!([[1]]), &json!(false)), "{one}");
    assert!(one["result"].as_str().is_some_and(|r| r.contains('1')), "the plain text too: {one}");
    let one_id = one["jobInstanceId"].as_str().unwrap();
    let (status, progress) = call(s.get(&format!("/group/{id}/job/{one_id}/progress"))).await;
    assert_eq!((status, progress), (200, json!({"progress": 1.0})));
    // One SparkSession: a view SQL made is Python's too, through the request's language.
    assert_eq!(execute(&s, &id, sql("CREATE TEMPORARY VIEW answer AS SELECT 41 + 1 AS n")).await["state"], "FINISHED");
    let python = json!({"type": "interactive_code_execute", "code": "spark.table('answer').first()[0]", "language": "PYTHON"});
    let read = execute(&s, &id, python).await;
    assert_eq!((read["result"].as_str(), read["language"].as_str()), (Some("42"), Some("PYTHON")), "{read}");
    let broken = execute(&s, &id, sql("SELECT * FROM nowhere")).await;
    assert_eq!(broken["state"], "FAILED", "{broken}");
    assert!(broken["error"]["message"].as_str().is_some_and(|m| m.contains("AnalysisException")), "{broken}");

    // Live progress from Spark: 10,000 small tasks on one thread take far longer than the
    // guard, so the request is running whenever progress is read, until it is cancelled.
    let long = submit(&s, &id, sql("SELECT count(*) FROM range(0, 1000000000000, 1, 10000) WHERE id % 7 = 3")).await;
    let progress_url = format!("/group/{id}/job/{long}/progress");
    let deadline = Instant::now() + Duration::from_secs(120);
    let live = loop {
        let (status, body) = call(s.get(&progress_url)).await;
        assert_eq!(status, 200, "{body}");
        let p = body["progress"].as_f64().unwrap();
        if p > 0.0 {
            break p;
        }
        assert!(Instant::now() < deadline, "no progress within 120 s: {:#}", instance(&s, &id, &long).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(live < 1.0, "still running: {live}");
    assert_eq!(instance(&s, &id, &long).await["state"], "BUSY");
    call(s.post(&format!("/group/{id}/job/{long}/cancel"))).await;
    wait_instance(&s, &id, &long, "CANCELED", Duration::from_secs(60)).await;
    assert_eq!(call(s.get(&progress_url)).await.1, json!({"progress": 1.0}), "ended");
}
