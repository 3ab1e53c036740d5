mod k8s_support;

use std::process::Stdio;

use k8s_support::recorder::{Recorded, Recorder};
use k8s_support::tls::{TestCa, serve_https};

/// Runs the real `spark-submit` in cluster mode against the recorder and returns what it sent.
async fn record(extra: &[&str]) -> Vec<Recorded> {
    let env = sparkdeck_engine::spark_env::discover()
        .unwrap_or_else(|e| panic!("the golden test needs spark-submit 4.3.0 (make setup installs it): {e}"));
    let ca = TestCa::new();
    let recorder = Recorder::default();
    let addr = serve_https(&ca, recorder.router(), false).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();
    let mut cmd = tokio::process::Command::new(&env.spark_submit);
    cmd.arg("--master").arg(format!("k8s://https://127.0.0.1:{}", addr.port()))
        .args(["--deploy-mode", "cluster"])
        .arg("--conf").arg(format!("spark.kubernetes.authenticate.submission.caCertFile={}", ca_file.display()))
        .args(["--conf", "spark.kubernetes.submission.waitAppCompletion=false"])
        .args(extra)
        .env("JAVA_HOME", env.java_home.clone().unwrap_or_default())
        .stdin(Stdio::null());
    let out = cmd.output().await.unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "spark-submit failed: {}", String::from_utf8_lossy(&out.stderr));
    recorder.take()
}

#[tokio::test]
async fn explore() {
    let r = record(&[
        "--name", "py job", 
        "--conf", "spark.kubernetes.container.image=apache/spark:4.3.0",
        "--conf", "spark.driver.memory=2g", "--conf", "spark.driver.cores=2",
        "--py-files", "local:///opt/app/deps.zip",
        "local:///opt/app/main.py", "a b", "--x",
    ]).await;
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}
