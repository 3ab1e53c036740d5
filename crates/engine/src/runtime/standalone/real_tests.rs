//! The standalone pieces against a real master and two workers on loopback (see
//! `tests/support/standalone.rs`): connection test, REST create/status/kill, and log
//! copying of a driver and its executors. One cluster serves every step, in order.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::cluster_json::{master_state, worker_state};
use super::connection::test_standalone_connection;
use super::fixture::{StandaloneCluster, compile_jar};
use super::http;
use super::log_copy::{JobLogs, app_id_in_driver_log};
use crate::runtime::job_dir::log_resources;
use super::rest::{CreateSubmissionRequest, DriverState, RestClient, Submission};
use crate::model::cluster::{Cluster, ClusterSpec, ClusterType};

const SOURCE: &str = r#"package demo;
import org.apache.spark.sql.SparkSession;
public class Count {
    public static void main(String[] args) throws Exception {
        SparkSession spark = SparkSession.builder().getOrCreate();
        long n = spark.range(42).javaRDD().map(x -> { System.out.println("EXECUTOR SAW " + x); return x; }).count();
        System.out.println("JVM COUNT " + n + " ARGS " + String.join(",", args));
        System.err.println("CAF\u00c9 ON STDERR");
        if (args.length > 0 && args[0].equals("sleep")) Thread.sleep(600_000);
        spark.stop();
    }
}
"#;

fn cluster(url: &str, rest: &str, web: &str) -> Cluster {
    Cluster {
        id: "c".into(),
        name: "loopback".into(),
        description: String::new(),
        cluster_type: ClusterType::Standalone,
        spec: ClusterSpec { url: url.into(), rest_url: rest.into(), web_ui_url: web.into(), ..Default::default() },
        created_time: 0,
        updated_time: 0,
    }
}

fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_final(rest: &RestClient, id: &str, sa: &StandaloneCluster) -> DriverState {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let status = rest.status(id).await.unwrap();
        if status.state.is_final() {
            return status.state;
        }
        assert!(Instant::now() < deadline, "driver {id} did not end: {status:?}\n{}", sa.logs());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_follow_copy_logs_and_kill_on_a_real_cluster() {
    let sa = StandaloneCluster::start().await;
    let http = http::client();

    // Connection test: both workers, and the REST server.
    let ok = test_standalone_connection(&cluster(&sa.master_url, &sa.rest_url, &sa.web_ui)).await.unwrap();
    assert!(ok.contains("ALIVE with 2 alive workers (2 cores, 0 in use)"), "{ok}");
    assert!(ok.contains(&sa.rest_url), "{ok}");
    let dead = format!("spark://127.0.0.1:{}", unused_port());
    let error = test_standalone_connection(&cluster(&dead, "", "")).await.unwrap_err().to_string();
    assert!(error.starts_with(&format!("cannot reach the standalone master at {dead}")) && error.contains("refused"), "{error}");
    let bad_ui = format!("http://127.0.0.1:{}", unused_port());
    let error = test_standalone_connection(&cluster(&sa.master_url, "", &bad_ui)).await.unwrap_err().to_string();
    assert!(error.contains(&format!("{bad_ui}/json/")) && error.contains("refused"), "{error}");
    let error = test_standalone_connection(&cluster(&sa.master_url, &sa.web_ui, &sa.web_ui)).await.unwrap_err().to_string();
    assert!(error.contains("did not answer as a Spark REST submission server"), "{error}");

    // A JVM driver in cluster mode through REST, its logs copied while and after it runs.
    let build = tempfile::tempdir().unwrap();
    let jar = compile_jar(build.path(), "demo.Count", SOURCE).to_string_lossy().into_owned();
    let rest = RestClient::new(http.clone(), &sa.rest_url);
    let request = |args: &[&str]| {
        CreateSubmissionRequest::new(Submission {
            master: sa.master_url.clone(),
            app_name: "count".into(),
            app_resource: jar.clone(),
            main_class: "demo.Count".into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            properties: BTreeMap::from([("spark.ui.enabled".to_string(), "false".to_string())]),
            spark_version: "4.3.0".into(),
            ..Default::default()
        })
    };
    let submitted = Instant::now();
    let id = rest.create(&request(&["a", "b"])).await.unwrap();
    assert!(id.starts_with("driver-"), "{id}");
    let mut first_running = None;
    while first_running.is_none() {
        let status = rest.status(&id).await.unwrap();
        match status.state {
            DriverState::Running => first_running = Some(submitted.elapsed()),
            DriverState::Submitted => {}
            other => panic!("driver went {other:?} before RUNNING: {status:?}\n{}", sa.logs()),
        }
        assert!(submitted.elapsed() < Duration::from_secs(120), "driver never ran\n{}", sa.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("REST submit to RUNNING: {:?}", first_running.unwrap());
    let job_dir = tempfile::tempdir().unwrap();
    let mut logs = JobLogs::new(job_dir.path(), &sa.web_ui);
    logs.follow_driver(&id);
    let state = wait_final(&rest, &id, &sa).await;
    assert_eq!(state, DriverState::Finished, "{}", sa.logs());
    // The app id is announced on the driver's stderr; then the executors' logs follow.
    logs.sync(&http).await.unwrap();
    let stderr = std::fs::read_to_string(job_dir.path().join("stderr.log")).unwrap();
    let app_id = app_id_in_driver_log(&stderr).expect("the driver names its app");
    logs.follow_app(&app_id);
    logs.sync(&http).await.unwrap();
    let stdout = std::fs::read_to_string(job_dir.path().join("stdout.log")).unwrap();
    assert_eq!(stdout, "JVM COUNT 42 ARGS a,b\n");
    let stderr = std::fs::read_to_string(job_dir.path().join("stderr.log")).unwrap();
    assert!(stderr.contains("CAFÉ ON STDERR"), "multi-byte text survives the copy");
    let resources = log_resources(job_dir.path());
    let executor_out: String = resources
        .iter()
        .filter(|r| r.role == "executor" && r.log_type == "stdout")
        .map(|r| std::fs::read_to_string(&r.path).unwrap())
        .collect();
    assert!(resources.len() > 2, "executor logs copied: {:?}", resources.iter().map(|r| &r.name).collect::<Vec<_>>());
    for x in 0..42 {
        assert!(executor_out.contains(&format!("EXECUTOR SAW {x}\n")), "executor stdout: {executor_out}");
    }
    // Nothing new: a second round appends nothing.
    let before = std::fs::metadata(job_dir.path().join("stderr.log")).unwrap().len();
    logs.sync(&http).await.unwrap();
    assert_eq!(std::fs::metadata(job_dir.path().join("stderr.log")).unwrap().len(), before);
    let master = master_state(&http, &sa.web_ui).await.unwrap();
    let app = master.completedapps.iter().find(|a| a.id == app_id).expect("the app completed");
    assert_eq!(app.state, "FINISHED");

    // Kill a running driver: KILLED, and its processes leave the workers.
    let id = rest.create(&request(&["sleep"])).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while rest.status(&id).await.unwrap().state != DriverState::Running {
        assert!(Instant::now() < deadline, "driver never ran\n{}", sa.logs());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // RUNNING means the master sent the driver to a worker; its JVM starts just after.
    while !sa.child_mentions(&id) {
        assert!(Instant::now() < deadline, "the driver never started on a worker: {:?}", sa.children());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    rest.kill(&id).await.unwrap();
    assert_eq!(wait_final(&rest, &id, &sa).await, DriverState::Killed);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut busy = 0;
        for ui in &sa.worker_uis {
            let w = worker_state(&http, ui).await.unwrap();
            busy += w.coresused as usize + w.executors.len();
        }
        if busy == 0 && sa.children().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "killed driver left work behind: {:?}", sa.children());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Refusals and unreachable servers are errors that say where and why.
    let error = rest.status("driver-none").await.unwrap_err().to_string();
    assert!(error.contains(&sa.rest_url) && error.contains("driver-none"), "{error}");
    let error = rest.kill("driver-none").await.unwrap_err().to_string();
    assert!(error.contains("has already finished or does not exist"), "{error}");
    let nowhere = format!("http://127.0.0.1:{}", unused_port());
    let error = RestClient::new(http.clone(), &nowhere).create(&request(&[])).await.unwrap_err().to_string();
    assert!(error.contains(&format!("{nowhere}/v1/submissions/create")) && error.contains("refused"), "{error}");
}
