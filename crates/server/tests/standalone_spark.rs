//! Jobs and groups on a real Spark standalone cluster on loopback (a master and two
//! 1-core workers started by the test, see `engine/tests/support/standalone.rs`), over the
//! server's REST API: a JVM job in cluster mode with its driver's and executors' logs and
//! its event log (shown by the History Server, and read for its `/stages`), a
//! Python job in client mode, a stop that leaves nothing on the workers, a group whose
//! idle driver gives its executors back (and keeps a rolling event log), unreachable masters, and a server killed and
//! restarted while a cluster-mode driver runs. The steps share one
//! cluster and run in order: two 1-core workers hold one job at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;
#[path = "../../engine/tests/support/standalone.rs"]
mod standalone;

use std::time::{Duration, Instant};

use common::{TestServer, binary, call, file_part};
use reqwest::Method;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use sparkdeck_engine::model::cluster::ClusterInput;
use standalone::{StandaloneCluster, compile_jar};

const JVM_JOB: &str = r#"package demo;
import org.apache.spark.sql.SparkSession;
public class Count {
    public static void main(String[] args) throws Exception {
        SparkSession spark = SparkSession.builder().getOrCreate();
        long n = spark.range(42).javaRDD().map(x -> { System.out.println("EXECUTOR SAW " + x); return x; }).count();
        System.out.println("JVM COUNT " + n + " ARGS " + String.join(",", args));
        if (args.length > 0 && args[0].equals("sleep")) Thread.sleep(600_000);
        if (args.length > 0 && args[0].equals("fail")) throw new IllegalStateException("demo failure on purpose");
        spark.stop();
    }
}
"#;

const PY_JOB: &str = r#"
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("MASTER", spark.sparkContext.master)
print("COUNT", spark.sparkContext.parallelize(range(100), 2).map(lambda x: x * 2).count())
spark.stop()
"#;

const GROUP_JOBS: &str = r#"
from ilum.api import IlumJob

class CountJob(IlumJob):
    def run(self, spark, config):
        return str(spark.sparkContext.parallelize(range(int(config["n"])), 2).count())
"#;

fn ended(state: &str) -> bool {
    matches!(state, "FINISHED" | "FAILED" | "CANCELED" | "UNKNOWN")
}

async fn create_cluster(s: &TestServer, body: Value) {
    let (status, answer) = call(s.post("/cluster").json(&body)).await;
    assert_eq!(status, 200, "{answer}");
}

async fn submit(s: &TestServer, form: Form) -> String {
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    body["jobId"].as_str().expect("jobId").to_string()
}

async fn job(s: &TestServer, id: &str) -> Value {
    let (status, job) = call(s.get(&format!("/job/{id}"))).await;
    assert_eq!(status, 200, "{job}");
    job
}

async fn wait_for(s: &TestServer, sa: &StandaloneCluster, id: &str, done: impl Fn(&str) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let job = job(s, id).await;
        if done(job["state"].as_str().unwrap_or("")) {
            return job;
        }
        assert!(Instant::now() < deadline, "job did not get there in time: {job}\n{}", sa.logs());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each log resource of a job by name: (role, text).
async fn logs(s: &TestServer, id: &str) -> Vec<(String, String, String)> {
    let (status, logs) = call(s.get(&format!("/job/{id}/logs?logSize=25000"))).await;
    assert_eq!(status, 200, "{logs}");
    logs.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let text = l["log"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect::<Vec<_>>().join("\n");
            (l["name"].as_str().unwrap().to_string(), l["role"].as_str().unwrap().to_string(), text)
        })
        .collect()
}

fn log_named<'a>(logs: &'a [(String, String, String)], name: &str) -> &'a str {
    logs.iter().find(|(n, _, _)| n == name).map(|(_, _, t)| t.as_str()).unwrap_or_else(|| panic!("no log {name}"))
}

/// The files of an application's event log in a job's `events/` folder: one file
/// `<appId>[.codec]`, or (Spark 4's default) those of a rolling folder `eventlog_v2_<appId>/`.
fn event_log_files(events: &std::path::Path, app_id: &str) -> Vec<String> {
    let names = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let rolling = events.join(format!("eventlog_v2_{app_id}"));
    if rolling.is_dir() { names(&rolling) } else { names(events).into_iter().filter(|n| n.starts_with(app_id)).collect() }
}

fn executor_text(logs: &[(String, String, String)], suffix: &str) -> String {
    logs.iter().filter(|(n, role, _)| role == "executor" && n.ends_with(suffix)).map(|(_, _, t)| t.as_str()).collect::<Vec<_>>().join("\n")
}

/// Cores in use and executors running on all workers.
async fn worker_load(sa: &StandaloneCluster) -> (u64, usize) {
    let mut load = (0, 0);
    for ui in &sa.worker_uis {
        let w: Value = reqwest::get(format!("{ui}/json/")).await.unwrap().json().await.unwrap();
        load.0 += w["coresused"].as_u64().unwrap();
        load.1 += w["executors"].as_array().unwrap().len();
    }
    load
}

/// Waits until no worker runs anything for anyone (no cores, executors or drivers).
async fn wait_workers_idle(sa: &StandaloneCluster, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let load = worker_load(sa).await;
        if load == (0, 0) && sa.children().is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: workers still busy {load:?}, processes {:?}", sa.children());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn binary_job(server: &binary::Server, id: &str) -> Value {
    let (status, job) = binary::call(server, Method::GET, &format!("/job/{id}"), None, None).await;
    assert_eq!(status, 200, "{job}");
    job
}

fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_and_groups_run_on_a_real_standalone_cluster() {
    let sa = StandaloneCluster::start().await;
    let s = TestServer::start().await;
    let lab = json!({"name": "lab", "type": "standalone", "url": sa.master_url, "restUrl": sa.rest_url, "webUiUrl": sa.web_ui});
    create_cluster(&s, lab.clone()).await;

    // The connection test sees the master, both workers and the REST server.
    let input: ClusterInput = serde_json::from_value(lab).unwrap();
    let found = s.engine.test_cluster_connection(None, &input).await.unwrap();
    assert!(found.contains("is ALIVE with 2 alive workers (2 cores, 0 in use)") && found.contains(&sa.rest_url), "{found}");

    // A JVM job: the driver runs on a worker (cluster mode through REST), its logs and
    // its executors' logs are copied into the job.
    let build = tempfile::tempdir().unwrap();
    let jar = std::fs::read(compile_jar(build.path(), "demo.Count", JVM_JOB)).unwrap();
    let jvm_form = |name: &str, cluster: &str, args: &str| {
        Form::new()
            .text("name", name.to_string())
            .text("clusterName", cluster.to_string())
            .text("jobClass", "demo.Count")
            .text("jobConfig", "spark.ui.enabled=false")
            .text("args", args.to_string())
            .part("jars", file_part("demo.jar", jar.clone()))
    };
    let submitted = Instant::now();
    let id = submit(&s, jvm_form("jvm count", "lab", "x;y")).await;
    let busy = wait_for(&s, &sa, &id, |st| st == "BUSY" || ended(st)).await;
    eprintln!("JVM job: submit to {} in {:?}", busy["state"], submitted.elapsed());
    let done = wait_for(&s, &sa, &id, ended).await;
    eprintln!("JVM job: submit to {} in {:?}", done["state"], submitted.elapsed());
    let logs_of = logs(&s, &id).await;
    assert_eq!(done["state"], "FINISHED", "{done}\n{}", log_named(&logs_of, "driver-stderr"));
    assert!(done["appId"].as_str().is_some_and(|a| a.starts_with("app-")), "{done}");
    assert_eq!(log_named(&logs_of, "driver-stdout"), "JVM COUNT 42 ARGS x,y");
    // The cluster-mode driver (on a worker that shares this filesystem) kept its event
    // log with the job, and the History Server shows it.
    let app_id = done["appId"].as_str().unwrap();
    let files = event_log_files(&s.data_dir().join("jobs").join(&id).join("events"), app_id);
    // Complete: a single log without `.inprogress`, or a rolling one with its final status.
    let complete = files.iter().any(|f| f == &format!("appstatus_{app_id}") || (f.starts_with(app_id) && !f.ends_with(".inprogress")));
    assert!(complete && files.iter().any(|f| f.starts_with(&format!("events_1_{app_id}")) || f.starts_with(app_id)), "{files:?}");
    let (status, history) = call(s.get(&format!("/job/{id}/history"))).await;
    assert_eq!(status, 200, "{history}");
    let page = reqwest::get(history["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("jvm count"), "the History Server page names the application");
    // Its stages, from that (rolling, zstd) event log: the one count over spark.range(42) in
    // as many tasks as the default parallelism (2: the driver holds one of the two cores).
    let (status, stages) = call(s.get(&format!("/job/{id}/stages"))).await;
    assert_eq!(status, 200, "{stages}");
    assert_eq!(stages["source"], "EVENT_LOG", "{stages}");
    assert!(stages.get("message").is_none(), "{stages}");
    let list = stages["stages"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{stages}");
    let count = &list[0];
    assert!(count["name"].as_str().unwrap().starts_with("count at Count.java:"), "{count}");
    assert_eq!(count["status"], "COMPLETE", "{count}");
    assert_eq!((count["numTasks"].as_i64(), count["completedTasks"].as_i64(), count["failedTasks"].as_i64()), (Some(2), Some(2), Some(0)), "{count}");
    let (status, executors) = call(s.get(&format!("/job/{id}/executors"))).await;
    assert_eq!(status, 200, "{executors}");
    let tasks: i64 = executors["executors"].as_array().unwrap().iter().map(|e| e["totalTasks"].as_i64().unwrap()).sum();
    assert_eq!(tasks, 2, "the executors ran the stage's tasks: {executors}");
    assert!(log_named(&logs_of, "driver-stderr").contains("DriverWrapper"), "the worker's driver log");
    let names: Vec<&str> = logs_of.iter().map(|(n, _, _)| n.as_str()).collect();
    assert!(names.iter().any(|n| n.starts_with("executor-") && n.ends_with("-stderr")), "{names:?}");
    let executors_out = executor_text(&logs_of, "-stdout");
    for x in 0..42 {
        assert!(executors_out.contains(&format!("EXECUTOR SAW {x}")), "{executors_out}");
    }
    wait_workers_idle(&sa, "after the JVM job").await;

    // A JVM job that throws: FAILED with the exception's line from the copied stderr.
    let id = submit(&s, jvm_form("jvm fail", "lab", "fail")).await;
    let failed = wait_for(&s, &sa, &id, ended).await;
    assert_eq!(failed["state"], "FAILED", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("demo failure on purpose"), "{failed}");
    wait_workers_idle(&sa, "after the failed job").await;

    // A Python job: client mode on this machine, executors on the workers.
    let form = Form::new()
        .text("name", "py count")
        .text("language", "PYTHON")
        .text("clusterName", "lab")
        .text("jobConfig", "spark.ui.enabled=false")
        .part("pyFiles", file_part("main.py", PY_JOB));
    let id = submit(&s, form).await;
    let done = wait_for(&s, &sa, &id, ended).await;
    let logs_of = logs(&s, &id).await;
    assert_eq!(done["state"], "FINISHED", "{done}\n{}", log_named(&logs_of, "driver-stderr"));
    let stdout = log_named(&logs_of, "driver-stdout");
    assert!(stdout.contains(&format!("MASTER {}", sa.master_url)) && stdout.contains("COUNT 100"), "{stdout}");
    assert!(logs_of.iter().any(|(_, role, _)| role == "executor"), "executor logs: {logs_of:?}");
    wait_workers_idle(&sa, "after the Python job").await;

    // Stop a running job: CANCELED, and neither its driver nor its executors are left.
    let id = submit(&s, jvm_form("jvm sleep", "lab", "sleep")).await;
    wait_for(&s, &sa, &id, |st| st == "BUSY" || ended(st)).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !executor_text(&logs(&s, &id).await, "-stdout").contains("EXECUTOR SAW 41") {
        assert!(Instant::now() < deadline, "the sleeping job never counted\n{}", sa.logs());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!sa.children().is_empty(), "the job runs on the workers");
    let (status, answer) = call(s.post(&format!("/job/{id}/stop"))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(job(&s, &id).await["state"], "CANCELED", "the stop returns once the driver has ended");
    wait_workers_idle(&sa, "after the stop").await;

    // A group (scale 1): its driver runs here, requests borrow executors, and after
    // idling the executors are released.
    let form = Form::new()
        .text("name", "lab-group")
        .text("kind", "JOB")
        .text("language", "PYTHON")
        .text("clusterName", "lab")
        .part("pyFiles", file_part("user_jobs.py", GROUP_JOBS));
    let (status, body) = call(s.post("/group").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let group_id = body["groupId"].as_str().unwrap().to_string();
    let (status, instance) = call(
        s.post(&format!("/group/{group_id}/job/execute"))
            .json(&json!({"type": "interactive_job_execute", "jobClass": "user_jobs.CountJob", "jobConfig": {"n": "1000"}})),
    )
    .await;
    assert_eq!(status, 200, "{instance}");
    assert_eq!(instance["result"], "1000", "{instance}");
    let (_, group) = call(s.get(&format!("/group/{group_id}"))).await;
    let driver_job = group["jobs"][0]["jobId"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !logs(&s, &driver_job).await.iter().any(|(_, role, _)| role == "executor") {
        assert!(Instant::now() < deadline, "the group's executors never showed up");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Idle: dynamic allocation gives the cores back while the driver stays READY.
    wait_workers_idle(&sa, "an idle group").await;
    let (_, group) = call(s.get(&format!("/group/{group_id}"))).await;
    assert_eq!(group["jobs"][0]["state"], "READY", "{group}");
    assert!(group["jobs"][0]["appId"].as_str().is_some_and(|a| a.starts_with("app-")), "{group}");
    // A group driver's event log rolls: a folder of event files and an app status file.
    let app_id = group["jobs"][0]["appId"].as_str().unwrap();
    let rolling = s.data_dir().join("jobs").join(&driver_job).join("events").join(format!("eventlog_v2_{app_id}"));
    assert!(rolling.is_dir(), "no rolling event log at {}", rolling.display());
    let names = event_log_files(rolling.parent().unwrap(), app_id);
    assert!(names.contains(&format!("appstatus_{app_id}.inprogress")) && names.iter().any(|n| n.starts_with(&format!("events_1_{app_id}"))), "{names:?}");

    let (status, _) = call(s.delete(&format!("/group/{group_id}"))).await;
    assert_eq!(status, 200);

    // Unreachable master, then unreachable REST server: FAILED, naming what was not there.
    let dead_master = format!("spark://127.0.0.1:{}", unused_port());
    create_cluster(&s, json!({"name": "gone", "type": "standalone", "url": dead_master})).await;
    let id = submit(&s, jvm_form("nowhere", "gone", "x")).await;
    let failed = wait_for(&s, &sa, &id, ended).await;
    assert_eq!(failed["state"], "FAILED", "{failed}");
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains(&format!("cannot reach the standalone master at {dead_master}")), "{error}");
    let dead_rest = format!("http://127.0.0.1:{}", unused_port());
    create_cluster(&s, json!({"name": "no-rest", "type": "standalone", "url": sa.master_url, "restUrl": dead_rest})).await;
    let id = submit(&s, jvm_form("no rest", "no-rest", "x")).await;
    let failed = wait_for(&s, &sa, &id, ended).await;
    assert_eq!(failed["state"], "FAILED", "{failed}");
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains(&format!("{dead_rest}/v1/submissions/create")) && error.contains("refused"), "{error}");

    wait_workers_idle(&sa, "before the restart").await;
    drop(s);

    // Recovery: the server binary is SIGKILLed while a cluster-mode driver runs, which
    // keeps running on its worker; after a restart the job is followed again.
    let dir = tempfile::tempdir().unwrap();
    let server = binary::start(dir.path());
    let lab = json!({"name": "lab", "type": "standalone", "url": sa.master_url, "restUrl": sa.rest_url, "webUiUrl": sa.web_ui});
    let (status, body) = binary::call(&server, Method::POST, "/cluster", None, Some(lab)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = binary::call(&server, Method::POST, "/job/submit", Some(jvm_form("survivor", "lab", "sleep")), None).await;
    assert_eq!(status, 200, "{body}");
    let id = body["jobId"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(240);
    while binary_job(&server, &id).await["state"] != "BUSY" {
        assert!(Instant::now() < deadline, "never BUSY: {}\n{}", binary_job(&server, &id).await, sa.logs());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(server); // SIGKILL: no shutdown code runs
    assert!(!sa.children().is_empty(), "the driver outlives the server");
    let server = binary::start(dir.path());
    let job = binary_job(&server, &id).await;
    assert_eq!(job["state"], "BUSY", "re-attached: {job}");
    let (status, _) = binary::call(&server, Method::POST, &format!("/job/{id}/stop"), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(binary_job(&server, &id).await["state"], "CANCELED");
    let (_, logs_of) = binary::call(&server, Method::GET, &format!("/job/{id}/logs?logSize=25000"), None, None).await;
    let names: Vec<&str> = logs_of.as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert!(names.iter().any(|n| n.starts_with("executor-")), "{names:?}");
    wait_workers_idle(&sa, "after the stop that followed the restart").await;
    drop(server);
    drop(sa); // checks that no process of the cluster is left
}
