//! The real first start: a server on an empty data directory, on a machine whose Spark it
//! cannot see (no `SPARK_HOME`, no virtualenv, the checkout's `.venv` hidden with
//! `SPARKDECK_NO_CHECKOUT=1`, no `.venv` on `PATH`), installs Spark 4.3.0 from the package
//! index pip is configured for (its cache makes it quick) and runs a Python job on it to
//! FINISHED. One test: it is the slow one of the install.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::ffi::OsString;
use std::time::{Duration, Instant};

use common::binary::{Server, call, start_with};
use common::{file_part, kill_processes_of};
use reqwest::Method;
use reqwest::multipart::Form;
use serde_json::{Value, json};

/// `PATH` without any virtualenv's `bin/` (a shell that activated one would lend its pyspark).
fn path_without_venvs() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<_> = std::env::split_paths(&path).filter(|p| !p.join("activate").is_file()).collect();
    std::env::join_paths(kept).unwrap()
}

async fn status(s: &Server) -> Value {
    let (code, body) = call(s, Method::GET, "/status", None, None).await;
    assert_eq!(code, 200, "{body}");
    body
}

#[tokio::test]
async fn a_server_without_spark_installs_it_on_request_and_runs_a_python_job() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_without_venvs();
    let env: [(&str, &std::ffi::OsStr); 4] = [
        ("SPARKDECK_NO_CHECKOUT", "1".as_ref()),
        ("SPARK_HOME", "".as_ref()),
        ("SPARKDECK_PYTHON_ENV", "".as_ref()),
        ("PATH", path.as_os_str()),
    ];
    let s = start_with(dir.path(), &[], &env);
    let before = status(&s).await;
    assert_eq!(before["sparkHome"], Value::Null, "Spark was found before the install: {before}");
    let error = before["error"].as_str().unwrap();
    assert!(error.contains("install Spark 4.3.0") && error.contains("--install-spark") && !error.contains("make"), "{error}");

    let started = Instant::now();
    let (code, body) = call(&s, Method::POST, "/spark/install", None, None).await;
    assert_eq!((code, body["state"].as_str()), (202, Some("running")), "{body}");
    let install = loop {
        let install = status(&s).await["sparkInstall"].clone();
        if install["state"] != "running" {
            break install;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the install did not end: {install}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!("real install of pyspark 4.3.0: {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(install["state"], "succeeded", "{install}");
    let after = status(&s).await;
    assert_eq!((after["sparkSource"].as_str(), after["sparkVersion"].as_str()), (Some("installed"), Some("4.3.0")), "{after}");
    assert!(after["sparkHome"].as_str().unwrap().starts_with(&dir.path().join("spark").display().to_string()), "{after}");

    let (code, cluster) =
        call(&s, Method::POST, "/cluster", None, Some(json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(code, 200, "{cluster}");
    let main = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint('sum', spark.range(10).groupBy().sum('id').first()[0])\n";
    let form = Form::new()
        .text("name", "on the installed Spark")
        .text("language", "PYTHON")
        .text("clusterName", "one")
        .text("jobConfig", "spark.ui.enabled=false")
        .part("pyFiles", file_part("main.py", main.as_bytes().to_vec()));
    let (code, body) = call(&s, Method::POST, "/job/submit", Some(form), None).await;
    assert_eq!(code, 200, "{body}");
    let id = body["jobId"].as_str().unwrap().to_string();
    let ran = Instant::now();
    let job = loop {
        let (_, job) = call(&s, Method::GET, &format!("/job/{id}"), None, None).await;
        if matches!(job["state"].as_str(), Some("FINISHED" | "FAILED" | "CANCELED" | "UNKNOWN")) {
            break job;
        }
        assert!(ran.elapsed() < Duration::from_secs(300), "the job did not end: {job}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let (_, logs) = call(&s, Method::GET, &format!("/job/{id}/logs?logSize=25000"), None, None).await;
    assert_eq!(job["state"], "FINISHED", "{job}\n{logs}");
    assert!(logs.to_string().contains("sum 45"), "{logs}");
    println!("the Python job on it: {:.1} s", ran.elapsed().as_secs_f64());
    drop(s);
    kill_processes_of(dir.path());
}
