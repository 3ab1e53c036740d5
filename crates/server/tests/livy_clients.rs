//! Real Livy clients from PyPI — pylivy 0.8.0 and sparkmagic 0.23.0's client library
//! (installed into the project's .venv by scripts/setup.sh) — against the real
//! `sparkdeck-server` binary on real Spark: pylivy on the Livy port's root
//! (`--livy-port`), sparkmagic on `/livy` of the API port, both sending the token as a
//! Basic password. The Python scripts are in `livy_clients/`; each check prints `ok: …`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::binary::{Server, start_with};
use common::kill_processes_of;

/// The server, and on drop every process it started (drivers outlive a SIGKILLed server).
struct Running {
    server: Option<Server>,
    dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.server.take());
        kill_processes_of(self.dir.path());
    }
}

fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(dir.path(), &["--livy-port", "0"], &[]);
    Running { server: Some(server), dir }
}

/// The Python of a virtualenv in the checkout (`.venv`, `.venv-airflow`: scripts/setup.sh).
fn python(venv: &str) -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(venv).join("bin/python");
    assert!(python.exists(), "{} is missing: run scripts/setup.sh", python.display());
    python
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/livy_clients").join(name)
}

/// Runs a client script; its `ok:` lines (it fails the test when the script fails).
fn run_client(venv: &str, home: &Path, name: &str, args: &[&str]) -> Vec<String> {
    let output = Command::new(python(venv))
        .arg(script(name))
        .args(args)
        // sparkmagic reads and writes ~/.sparkmagic: a throwaway home keeps the user's.
        .env("HOME", home)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{name} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout.lines().filter(|l| l.starts_with("ok: ")).map(str::to_string).collect()
}

/// A batch script: counts to its argument and says so.
fn batch_file(dir: &Path) -> String {
    let path = dir.join("count_batch.py");
    std::fs::write(
        &path,
        "import sys\nfrom pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n\
         print('counted', spark.range(int(sys.argv[1])).count())\nspark.stop()\n",
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test]
async fn pylivy_and_sparkmagic_drive_python_sessions_and_a_batch() {
    let running = start();
    let server = running.server.as_ref().unwrap();
    let home = tempfile::tempdir().unwrap();
    let batch = batch_file(home.path());
    let livy_root = server.livy_url.clone().expect("the Livy port");
    let ok = run_client(".venv", home.path(), "pylivy_client.py", &[&livy_root, &server.token, "pyspark", &batch]);
    assert_eq!(ok, ["ok: pyspark run, download, error", "ok: batch success and log"]);

    let on_api_port = server.url.replace("/api/v1", "/livy");
    let ok = run_client(".venv", home.path(), "sparkmagic_client.py", &[&on_api_port, &server.token, "pyspark"]);
    assert_eq!(
        ok,
        ["ok: session started, 'spark' available", "ok: code ran", "ok: %%sql query", "ok: long statement cancelled, session usable", "ok: session deleted"]
    );
    // Every session the clients made was deleted by them; the batch's job stays listed.
    let (status, groups) = common::binary::call(server, reqwest::Method::GET, "/group", None, None).await;
    assert_eq!((status, groups["totalElements"].as_i64()), (200, Some(0)), "{groups}");
}

#[tokio::test]
async fn pylivy_and_sparkmagic_drive_scala_and_sql_sessions() {
    let running = start();
    let server = running.server.as_ref().unwrap();
    let home = tempfile::tempdir().unwrap();
    let livy_root = server.livy_url.clone().expect("the Livy port");
    let ok = run_client(".venv", home.path(), "pylivy_client.py", &[&livy_root, &server.token, "spark,sql", ""]);
    assert_eq!(ok, ["ok: spark run, definitions kept, temp view, download", "ok: sql read_sql, download_sql"]);
    let on_api_port = server.url.replace("/api/v1", "/livy");
    let ok = run_client(".venv", home.path(), "sparkmagic_client.py", &[&on_api_port, &server.token, "spark"]);
    assert_eq!(
        ok,
        ["ok: session started, 'spark' available", "ok: code ran", "ok: %%sql query", "ok: long statement cancelled, session usable", "ok: session deleted"]
    );
}

#[tokio::test]
async fn airflows_livy_operator_runs_a_batch() {
    let running = start();
    let server = running.server.as_ref().unwrap();
    let home = tempfile::tempdir().unwrap();
    let batch = batch_file(home.path());
    let airflow_home = home.path().join("airflow");
    let args = [server.livy_url.as_deref().unwrap(), &server.token, &batch, airflow_home.to_str().unwrap()];
    let ok = run_client(".venv-airflow", home.path(), "airflow_client.py", &args);
    assert_eq!(ok, ["ok: LivyOperator batch succeeded", "ok: LivyHook state and log"]);
}
