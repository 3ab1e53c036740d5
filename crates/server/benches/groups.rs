//! Interactive group benchmarks over real HTTP on real local Spark; prints medians and
//! ratios measured in one run. `cargo bench -p sparkdeck-server --bench groups`
//!
//! - warm vs cold: `spark.range(1000).count()` executed through REST on a warm group vs a
//!   cold `spark-submit` of the same job (target: ≥ 80× faster, medians).
//! - overhead: a no-op job class through REST (target: ≤ 3 ms median, ≤ 10 ms p99).
//! - first vs 10th request after READY (target: ≤ 1.5×).
//! - RSS of one idle driver (its whole process group), with the lean JVM defaults and
//!   with stock JVM settings.
//! - warm-up covering early requests: on a group of scale 2 that just became READY, the
//!   median of its first ten `spark.range(1000).count()` job requests vs the median of
//!   requests 50–100 (target ≤ 1.3×).
//! - Scala: a CODE group of language SCALA (its drivers warm the Scala interpreter before
//!   READY): `spark.range(1000).count()` as a Scala cell, the first one after READY vs the
//!   median of the later ones (target ≤ 1.5×); what Scala costs: READY time and idle RSS
//!   against a PYTHON CODE group measured in the same run. Baselines for the later cells:
//!   the same statement as a Python cell of that group (what the Scala compiler adds), and
//!   Spark's own `spark-shell` interpreting it in-process (no HTTP, no queue): what Spark's
//!   Scala interpreter costs per statement on this machine.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

mod common;
use common::ms;

const JOBS: &str = r#"
from ilum.api import IlumJob

class RangeCount(IlumJob):
    def run(self, spark, config):
        return str(spark.range(1000).count())

class Noop(IlumJob):
    def run(self, spark, config):
        return None
"#;

const COLD: &str = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint(spark.range(1000).count())\nspark.stop()\n";

struct Api {
    client: Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.bearer_auth(&self.token).send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(status.is_success(), "{status}: {text}");
        if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("json") }
    }

    async fn execute(&self, group: &str, class: &str) -> Duration {
        let body = json!({"type": "interactive_job_execute", "jobClass": class, "jobConfig": {}});
        let started = Instant::now();
        let instance = self.call(self.client.post(format!("{}/group/{group}/job/execute", self.base)).json(&body)).await;
        let took = started.elapsed();
        assert_eq!(instance["state"], "FINISHED", "{instance}");
        took
    }

    /// A code cell's time; the cell must succeed.
    async fn execute_code(&self, group: &str, code: &str) -> Duration {
        self.run_code(group, json!({"type": "interactive_code_execute", "code": code})).await
    }

    /// A code cell in `language` (not the group's own) on the same driver.
    async fn execute_code_in(&self, group: &str, code: &str, language: &str) -> Duration {
        self.run_code(group, json!({"type": "interactive_code_execute", "code": code, "language": language})).await
    }

    async fn run_code(&self, group: &str, body: Value) -> Duration {
        let started = Instant::now();
        let instance = self.call(self.client.post(format!("{}/group/{group}/job/execute", self.base)).json(&body)).await;
        let took = started.elapsed();
        assert_eq!(instance["state"], "FINISHED", "{instance}");
        took
    }

    async fn create_group(&self, name: &str, config: &str) -> String {
        self.create(Form::new().text("name", name.to_string()).text("language", "PYTHON").text("jobConfig", config.to_string())).await
    }

    async fn create(&self, form: Form) -> String {
        let form = form.part("pyFiles", Part::bytes(JOBS.as_bytes().to_vec()).file_name("bench_jobs.py"));
        let answer = self.call(self.client.post(format!("{}/group", self.base)).multipart(form)).await;
        answer["groupId"].as_str().expect("groupId").to_string()
    }

    /// Waits for the group's one driver to be READY; returns its job id.
    async fn wait_ready(&self, group: &str) -> String {
        self.wait_all_ready(group, 1).await.remove(0)
    }

    /// Waits for `scale` of the group's drivers to be READY; returns their job ids.
    async fn wait_all_ready(&self, group: &str, scale: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let g = self.call(self.client.get(format!("{}/group/{group}", self.base))).await;
            let ready: Vec<String> = g["jobs"]
                .as_array()
                .map(|j| j.iter().filter(|d| d["state"] == "READY").filter_map(|d| d["jobId"].as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            if ready.len() >= scale {
                return ready;
            }
            assert!(Instant::now() < deadline, "drivers not ready: {g}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn median(samples: &[Duration]) -> Duration {
    percentile(&mut samples.to_vec(), 0.5)
}

/// Resident memory of every process in the group led by `pgid`, in MiB.
fn group_rss_mib(pgid: i32) -> f64 {
    let mut kib = 0u64;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let pgrp = stat.rsplit(')').next().and_then(|r| r.split_whitespace().nth(2)).and_then(|g| g.parse::<i32>().ok());
        if pgrp != Some(pgid) {
            continue;
        }
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        kib += status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    kib as f64 / 1024.0
}

fn driver_pgid(data_dir: &std::path::Path, driver: &str) -> i32 {
    let info: Value = serde_json::from_slice(&std::fs::read(data_dir.join("jobs").join(driver).join("driver-info.json")).unwrap()).unwrap();
    let pid = info["pid"].as_i64().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat.rsplit(')').next().and_then(|r| r.split_whitespace().nth(2)).and_then(|g| g.parse().ok()).unwrap()
}

#[tokio::main]
async fn main() {
    let server = common::start().await;
    let (dir, env) = (&server.dir, &server.env);
    let api = Api { client: Client::new(), base: format!("http://{}/api/v1", server.addr), token: server.token.clone() };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("groups bench: local[{threads}] (the default cluster), Spark {}", env.spark_version);

    // Warm group: first request after READY, then 9 more of the same.
    let group = api.create_group("bench", "").await;
    let started = Instant::now();
    let driver = api.wait_ready(&group).await;
    println!("driver READY after {:.1} s", started.elapsed().as_secs_f64());
    let mut first_ten = Vec::new();
    for _ in 0..10 {
        first_ten.push(api.execute(&group, "bench_jobs.RangeCount").await);
    }
    println!(
        "first vs 10th request after READY: {} vs {} → ratio {:.2} (target ≤ 1.5)",
        ms(first_ten[0]),
        ms(first_ten[9]),
        first_ten[0].as_secs_f64() / first_ten[9].as_secs_f64()
    );
    let mut warm: Vec<Duration> = Vec::new();
    for _ in 0..50 {
        warm.push(api.execute(&group, "bench_jobs.RangeCount").await);
    }
    let warm_median = percentile(&mut warm, 0.5);

    let mut noop: Vec<Duration> = Vec::new();
    for _ in 0..20 {
        api.execute(&group, "bench_jobs.Noop").await;
    }
    for _ in 0..500 {
        noop.push(api.execute(&group, "bench_jobs.Noop").await);
    }
    println!(
        "no-op job through REST (500 runs): median {}, p99 {} (targets ≤ 3 ms, ≤ 10 ms)",
        ms(percentile(&mut noop, 0.5)),
        ms(percentile(&mut noop, 0.99))
    );

    tokio::time::sleep(Duration::from_secs(3)).await;
    let lean_rss = group_rss_mib(driver_pgid(dir.path(), &driver));

    // Cold spark-submit of the same job, same master.
    let script = dir.path().join("cold.py");
    std::fs::write(&script, COLD).unwrap();
    let mut cold = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let out = Command::new(&env.spark_submit)
            .args(["--master", &format!("local[{threads}]"), "--conf", "spark.ui.enabled=false"])
            .arg(&script)
            .env("PYSPARK_PYTHON", &env.python)
            .env("SPARK_HOME", &env.spark_home)
            .output()
            .expect("spark-submit");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        cold.push(started.elapsed());
    }
    let cold_median = percentile(&mut cold, 0.5);
    println!(
        "spark.range(1000).count(): warm group via REST median {} (50 runs) vs cold spark-submit median {} (3 runs) → {:.0}× faster (target ≥ 80×)",
        ms(warm_median),
        ms(cold_median),
        cold_median.as_secs_f64() / warm_median.as_secs_f64()
    );
    api.call(api.client.delete(format!("{}/group/{group}", api.base))).await;

    // The same idle driver with stock JVM settings.
    let stock = api.create_group("bench-stock", "spark.driver.extraJavaOptions=-Dsparkdeck.stock=true").await;
    let stock_driver = api.wait_ready(&stock).await;
    api.execute(&stock, "bench_jobs.RangeCount").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stock_rss = group_rss_mib(driver_pgid(dir.path(), &stock_driver));
    println!("idle driver RSS (whole process group): {lean_rss:.0} MiB with the lean defaults, {stock_rss:.0} MiB with stock JVM settings");
    api.call(api.client.delete(format!("{}/group/{stock}", api.base))).await;

    early_requests_on_a_fresh_pair(&api).await;
    scala_cells(&api, dir.path()).await;
    spark_shell_baseline(env, threads);
}

/// A group of scale 2 just READY: are its first requests as fast as later ones?
async fn early_requests_on_a_fresh_pair(api: &Api) {
    let form = Form::new().text("name", "bench-pair").text("language", "PYTHON").text("scale", "2");
    let group = api.create(form).await;
    api.wait_all_ready(&group, 2).await;
    let mut requests = Vec::new();
    for _ in 0..100 {
        requests.push(api.execute(&group, "bench_jobs.RangeCount").await);
    }
    let (early, late) = (median(&requests[..10]), median(&requests[49..]));
    println!(
        "fresh group of scale 2: median of requests 1–10 {} vs 50–100 {} → ratio {:.2} (target ≤ 1.3)",
        ms(early),
        ms(late),
        early.as_secs_f64() / late.as_secs_f64()
    );
    api.call(api.client.delete(format!("{}/group/{group}", api.base))).await;
}

/// Scala cells on a SCALA CODE group, and what warming Scala costs against a PYTHON one.
async fn scala_cells(api: &Api, data_dir: &std::path::Path) {
    let code_group = |name: &str, language: &str| {
        Form::new().text("name", name.to_string()).text("kind", "CODE").text("language", language.to_string())
    };
    let python = api.create(code_group("bench-code-python", "PYTHON")).await;
    let started = Instant::now();
    let python_driver = api.wait_ready(&python).await;
    let python_ready = started.elapsed();
    api.execute_code(&python, "spark.range(1000).count()").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let python_rss = group_rss_mib(driver_pgid(data_dir, &python_driver));
    api.call(api.client.delete(format!("{}/group/{python}", api.base))).await;

    let scala = api.create(code_group("bench-code-scala", "SCALA")).await;
    let started = Instant::now();
    let scala_driver = api.wait_ready(&scala).await;
    let scala_ready = started.elapsed();
    scala_first_and_later(api, &scala).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let scala_rss = group_rss_mib(driver_pgid(data_dir, &scala_driver));
    println!(
        "what Scala costs: READY after {:.1} s (PYTHON CODE group {:.1} s, +{:.1} s); idle driver RSS {scala_rss:.0} MiB (PYTHON {python_rss:.0} MiB, +{:.0} MiB)",
        scala_ready.as_secs_f64(),
        python_ready.as_secs_f64(),
        scala_ready.as_secs_f64() - python_ready.as_secs_f64(),
        scala_rss - python_rss
    );
    api.call(api.client.delete(format!("{}/group/{scala}", api.base))).await;
}

/// `spark.range(1000).count()` as a Scala cell: the first after READY against the next 30.
async fn scala_first_and_later(api: &Api, group: &str) {
    let cell = "spark.range(1000).count()";
    let first = api.execute_code(group, cell).await;
    let mut later = Vec::new();
    for _ in 0..30 {
        later.push(api.execute_code(group, cell).await);
    }
    let later_median = median(&later);
    println!(
        "Scala cell {cell}: first after READY {} vs median of the next 30 {} → ratio {:.2} (target ≤ 1.5; later cells ≤ 60 ms)",
        ms(first),
        ms(later_median),
        first.as_secs_f64() / later_median.as_secs_f64()
    );
    let mut python = Vec::new();
    for _ in 0..30 {
        python.push(api.execute_code_in(group, cell, "PYTHON").await);
    }
    let python_median = median(&python);
    println!(
        "the same cell in Python on that driver: median {} → Scala adds {} ({:.2}×)",
        ms(python_median),
        ms(later_median.saturating_sub(python_median)),
        later_median.as_secs_f64() / python_median.as_secs_f64()
    );
}

/// Spark's own shell interpreting the Scala cell 31 times in its JVM (stock settings, same
/// master): the median of the later 30 is the floor an interpreter-based cell stands on.
fn spark_shell_baseline(env: &sparkdeck_engine::spark_env::SparkEnv, threads: usize) {
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        r#"
val quiet = new java.io.PrintStream(new java.io.ByteArrayOutputStream())
val times = (0 to 30).map { _ =>
  val started = System.nanoTime
  val result = scala.Console.withOut(quiet) { $intp.interpret("spark.range(1000).count()") }
  require(result == scala.tools.nsc.interpreter.Results.Success, "the statement failed")
  (System.nanoTime - started) / 1e6
}
val later = times.drop(1).sorted
System.out.println(f"SPARK_SHELL first=${times(0)}%.2f later=${(later(14) + later(15)) / 2}%.2f")
System.exit(0)
"#,
    )
    .unwrap();
    let out = Command::new(env.spark_home.join("bin/spark-shell"))
        .args(["--master", &format!("local[{threads}]"), "--conf", "spark.ui.enabled=false", "-i"])
        .arg(script.path())
        .env("SPARK_HOME", &env.spark_home)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("spark-shell");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("SPARK_SHELL ")).unwrap_or_else(|| {
        panic!("spark-shell printed no timing: {stdout}\n{}", String::from_utf8_lossy(&out.stderr))
    });
    println!("baseline, Spark's own spark-shell interpreting spark.range(1000).count() in-process: {line} (ms; later = median of 30)");
}
