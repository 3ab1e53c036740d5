//! History Server benchmark; prints medians and ratios:
//! `cargo bench -p sparkdeck-engine --bench history`.
//!
//! One real local Spark job runs to its end; then its first History Server page
//! (`history_url` and a GET of the page) is timed cold (no server running: it starts and
//! replays the log) and warm (the server already up), against a baseline measured in the
//! same run: a GET of the same page straight from the running server.
//! Targets (issue #12): ≤ 15 s cold, ≤ 1 s warm.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a benchmark is the failure

use std::time::{Duration, Instant};

use sparkdeck_engine::model::job::{JobState, Language};
use sparkdeck_engine::{Engine, EngineConfig, EngineEvent, JobSubmission};

const SCRIPT: &str = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint(spark.range(1000).selectExpr('id % 7 AS k').groupBy('k').count().count())\nspark.stop()\n";
const COLD_RUNS: usize = 3;
const WARM_RUNS: usize = 7;
/// Short, so a cold run can follow the last one's server stopping by itself.
const IDLE: Duration = Duration::from_secs(2);

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.history_idle = IDLE;
    let engine = Engine::open(config).await.expect("engine");
    if let Err(e) = engine.spark_env().await {
        println!("history: skipped: {e}");
        return;
    }
    let id = run_job(&engine).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = async |url: &str| {
        let response = http.get(url).send().await.expect("page");
        assert_eq!(response.status(), 200, "{url}");
        response.text().await.expect("page body");
    };

    let mut cold = Vec::new();
    for _ in 0..COLD_RUNS {
        while engine.history_server_pid().is_some() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let t = Instant::now();
        let url = engine.history_url(&id).await.expect("history url");
        page(&url).await;
        cold.push(t.elapsed());
    }
    let mut warm = Vec::new();
    let mut direct = Vec::new();
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        let url = engine.history_url(&id).await.expect("history url");
        page(&url).await;
        warm.push(t.elapsed());
        let t = Instant::now();
        page(&url).await;
        direct.push(t.elapsed());
    }
    engine.shutdown();
    let (cold, warm, direct) = (median(cold), median(warm), median(direct));
    println!("history: first page, cold (server started):  median {} (of {COLD_RUNS}; target ≤ 15 s)", ms(cold));
    println!("history: first page, warm (server running):  median {} (of {WARM_RUNS}; target ≤ 1 s)", ms(warm));
    println!("history: baseline, the page straight from the server: median {}", ms(direct));
    println!(
        "history: cold / warm = {:.1}×, warm / baseline = {:.1}×",
        cold.as_secs_f64() / warm.as_secs_f64(),
        warm.as_secs_f64() / direct.as_secs_f64()
    );
}

/// Runs one small local job to FINISHED; its id.
async fn run_job(engine: &Engine) -> String {
    let mut events = engine.subscribe();
    let mut upload = engine.begin_upload("pyFiles", "main.py").expect("upload");
    upload.write(SCRIPT.as_bytes()).expect("write");
    let form = JobSubmission {
        name: Some("history-bench".into()),
        language: Some(Language::Python.as_str().into()),
        job_config: Some("spark.ui.enabled=false".into()),
        py_files: vec![upload.finish().expect("finish")],
        ..JobSubmission::default()
    };
    let job = engine.submit_job(form).await.expect("submit");
    loop {
        match events.recv().await {
            Ok(EngineEvent::JobChanged { job: changed }) if changed.job_id == job.job_id && changed.state.is_terminal() => {
                assert_eq!(changed.state, JobState::Finished, "{changed:?}");
                return job.job_id;
            }
            Ok(_) => {}
            Err(e) => panic!("event bus: {e}"),
        }
    }
}
