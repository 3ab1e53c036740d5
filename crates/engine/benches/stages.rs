//! Stage summary benchmark; prints medians and a ratio against a baseline measured in the
//! same run. `cargo bench -p sparkdeck-engine --bench stages`.
//!
//! - summary: `/stages` of an ended job whose event log has 100,000 tasks (10 stages of
//!   10,000, shaped as Spark 4 writes them, ~330 MB uncompressed), against reading the same
//!   file's lines without parsing them. Target: median ≤ 1 s. Also printed: the bytes the
//!   parser held for task durations and the process's peak resident memory before and after
//!   (it streams: the peak does not grow with the log).
//! - live: `/stages` (`Engine::job_stages`) of a real local job that runs (a shuffle done, a
//!   stage waiting for a file), against one GET of Spark's own
//!   `/api/v1/applications/{appId}/stages` at the job's `live_spark_ui`. Target: median
//!   ≤ 50 ms. The job is stopped at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::time::{Duration, Instant};

use sparkdeck_engine::model::job::Language;
use sparkdeck_engine::model::stages::{StageSummary, StagesSource};
use sparkdeck_engine::spark_app::synthetic::{SyntheticStage, read_stages, write_event_log};
use sparkdeck_engine::{Engine, EngineConfig, JobSubmission};

const STAGES: u32 = 10;
const TASKS_PER_STAGE: u32 = 10_000;
const ROUNDS: usize = 5;
const LIVE_CALLS: usize = 30;

/// A shuffle stage done, then a stage whose tasks wait for the file named by the argument.
const WAITING_JOB: &str = r#"import os, sys, time
from operator import add
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
print(sc.parallelize(range(100), 2).map(lambda x: (x % 3, 1)).reduceByKey(add).collect())
release = sys.argv[1]
def wait(x):
    while not os.path.exists(release):
        time.sleep(0.1)
    return x
print(sc.parallelize(range(2), 2).map(wait).count())
spark.stop()
"#;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The process's peak resident set (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

fn main() {
    summary();
    tokio::runtime::Runtime::new().expect("runtime").block_on(live());
}

fn summary() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events");
    std::fs::create_dir(&events).unwrap();
    let path = events.join("local-1700000000000");
    let stages: Vec<SyntheticStage> = (0..STAGES)
        .map(|i| SyntheticStage { shuffle_write_bytes: 512, shuffle_read_bytes: 256, ..SyntheticStage::new(&format!("stage {i} at bench.py:{i}"), TASKS_PER_STAGE) })
        .collect();
    let mut out = BufWriter::new(File::create(&path).unwrap());
    write_event_log(&mut out, "local-1700000000000", &stages).unwrap();
    drop(out);
    let size = std::fs::metadata(&path).unwrap().len();
    let peak_before = peak_rss_mib();

    let mut baseline = Vec::new();
    let mut summary = Vec::new();
    let mut held = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut reader = BufReader::with_capacity(256 * 1024, File::open(&path).unwrap());
        let mut line = Vec::new();
        let mut lines = 0u64;
        while reader.read_until(b'\n', &mut line).unwrap() > 0 {
            lines += 1;
            line.clear();
        }
        std::hint::black_box(lines);
        baseline.push(started.elapsed());

        let started = Instant::now();
        let (read, bytes, message) = read_stages(&events);
        summary.push(started.elapsed());
        assert_eq!((read.len(), message), (STAGES as usize, None));
        assert!(read.iter().all(|s| s.completed_tasks == i64::from(TASKS_PER_STAGE)));
        held = bytes;
    }
    let (base, took) = (median(baseline), median(summary));
    println!(
        "stage summary, {} tasks ({:.0} MB log): median {} vs reading its lines {} ({:.1}x); target ≤ 1000 ms",
        STAGES * TASKS_PER_STAGE,
        size as f64 / 1e6,
        ms(took),
        ms(base),
        took.as_secs_f64() / base.as_secs_f64().max(1e-9)
    );
    println!(
        "  held for task durations: {} KiB; peak RSS {:.1} MiB before parsing, {:.1} MiB after",
        held / 1024,
        peak_before,
        peak_rss_mib()
    );
}

async fn live() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig::new(Some(dir.path().join("data")))).await.expect("engine");
    if let Err(e) = engine.spark_env().await {
        println!("live stages: skipped: {e}");
        return;
    }
    let release = dir.path().join("release");
    let mut upload = engine.begin_upload("pyFiles", "main.py").expect("upload");
    upload.write(WAITING_JOB.as_bytes()).expect("write");
    let form = JobSubmission {
        name: Some("stages-bench".into()),
        language: Some(Language::Python.as_str().into()),
        args: Some(release.display().to_string()),
        py_files: vec![upload.finish().expect("finish")],
        ..JobSubmission::default()
    };
    let job = engine.submit_job(form).await.expect("submit");
    let id = job.job_id;
    // Running, answered live, with the waiting stage under way.
    let deadline = Instant::now() + Duration::from_secs(180);
    let stages = loop {
        let job = engine.get_job(&id).await.expect("job");
        assert!(!job.state.is_terminal(), "ended early: {job:?}");
        let stages = engine.job_stages(&id).await.expect("stages");
        let waiting = |s: &StageSummary| s.status == "ACTIVE" && s.name.starts_with("count at ");
        if stages.source == StagesSource::Live && stages.stages.iter().any(waiting) {
            break stages;
        }
        assert!(Instant::now() < deadline, "no active stage in time: {job:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let ui = engine.live_spark_ui(&id).await.expect("ui").expect("a running job's UI");
    let app_id = engine.get_job(&id).await.expect("job").app_id.expect("app id");
    let spark_stages = format!("{ui}/api/v1/applications/{app_id}/stages");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let mut ours = Vec::new();
    let mut spark = Vec::new();
    for _ in 0..LIVE_CALLS {
        let started = Instant::now();
        let answer = engine.job_stages(&id).await.expect("stages");
        ours.push(started.elapsed());
        assert_eq!((answer.source, answer.stages.len()), (StagesSource::Live, stages.stages.len()));
        let started = Instant::now();
        let response = http.get(&spark_stages).send().await.expect("Spark's stages");
        assert_eq!(response.status(), 200, "{spark_stages}");
        std::hint::black_box(response.bytes().await.expect("body"));
        spark.push(started.elapsed());
    }
    let stopped = engine.stop_job(&id).await.expect("stop");
    engine.shutdown();
    let (took, base) = (median(ours), median(spark));
    println!(
        "live stages of a running job ({} stages): median {} over {LIVE_CALLS} calls vs one GET of Spark's own stages {} ({:.1}x); target ≤ 50 ms; job {:?} at the end",
        stages.stages.len(),
        ms(took),
        ms(base),
        took.as_secs_f64() / base.as_secs_f64().max(1e-9),
        stopped.state
    );
}
