//! Job benchmarks; prints medians and ratios. Run all or some:
//! `cargo bench -p sparkdeck-engine --bench jobs [-- list logs exit submit]`.
//!
//! - list:   a page of 50 with two filters and a sort, then with tags too, at 100,000 jobs.
//! - logs:   the last 25,000 lines of a 1 GiB log (cold index, warm index, naive scan).
//! - exit:   driver exit (the wrapper's exit-code file) → the JobChanged event.
//! - submit: cold submit-to-FINISHED through the engine vs a plain spark-submit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use sparkdeck_engine::{JobQuery, JobSubmission};
use sparkdeck_engine::log_index::{LineIndex, read_window};
use sparkdeck_engine::model::job::{JobState, Language};
use sparkdeck_engine::model::paging::PageRequest;
use sparkdeck_engine::{Engine, EngineConfig, EngineEvent};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    if run("list") {
        bench_list().await;
    }
    if run("logs") {
        bench_logs();
    }
    if run("exit") || run("submit") {
        bench_spark(run("exit"), run("submit")).await;
    }
}

async fn bench_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.expect("engine");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", dir.path().join("sparkdeck.db").display())).await.expect("db");
    let started = Instant::now();
    let mut tx = pool.begin().await.expect("tx");
    let states = ["FINISHED", "FAILED", "CANCELED", "FINISHED", "FINISHED", "UNKNOWN"];
    for i in 0..100_000i64 {
        let id = format!("job-{i:06}");
        sqlx::query(
            "INSERT INTO jobs (id, name, job_type, language, cluster_id, cluster_name, state, submit_time, start_time, end_time, tags, spec)
             VALUES (?, ?, 'SINGLE', 'PYTHON', ?, ?, ?, ?, ?, ?, ?, '{}')",
        )
        .bind(&id)
        .bind(format!("nightly etl {i}"))
        .bind(format!("c{}", i % 10))
        .bind(format!("c{}", i % 10))
        .bind(states[(i % 6) as usize])
        .bind(1_700_000_000_000 + i * 1000)
        .bind(1_700_000_000_500 + i * 1000)
        .bind(1_700_000_009_000 + i * 1000)
        .bind(format!("{{\"team\":\"t{}\",\"env\":\"prod\"}}", i % 7))
        .execute(&mut *tx)
        .await
        .expect("insert");
        for (k, v) in [("team", format!("t{}", i % 7)), ("env", "prod".to_string())] {
            // As the store writes them: the mirrored filter columns copied from the job row.
            sqlx::query(
                "INSERT INTO job_tags (job_id, key, value, mirror_state, mirror_cluster_name, mirror_job_type)
                 SELECT id, ?2, ?3, state, cluster_name, job_type FROM jobs WHERE id = ?1",
            )
                .bind(&id)
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await
                .expect("tag");
        }
    }
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE").execute(&pool).await.expect("analyze");
    println!("list: seeded 100,000 jobs in {:.1} s", started.elapsed().as_secs_f64());

    let filtered = JobQuery {
        states: vec![JobState::Finished, JobState::Failed],
        cluster_names: vec!["c3".into()],
        page: PageRequest::from_query(Some(10), Some(50), &["submitTime,desc".into()]).expect("page"),
        ..JobQuery::default()
    };
    let unfiltered = JobQuery { page: filtered.page.clone(), ..JobQuery::default() };
    let mut tagged = filtered.clone();
    tagged.tags.insert("team".into(), "t2".into());
    let mut two_tags = tagged.clone();
    two_tags.tags.insert("env".into(), "prod".into());
    let tag_only = JobQuery { tags: tagged.tags.clone(), page: filtered.page.clone(), ..JobQuery::default() };
    let cases = [
        ("2 filters + sort", &filtered),
        ("no filter + sort", &unfiltered),
        ("2 filters + tag + sort", &tagged),
        ("2 filters + 2 tags + sort", &two_tags),
        ("tag only + sort", &tag_only),
    ];
    let mut results = Vec::new();
    for (label, query) in cases {
        let mut samples = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let page = engine.list_jobs(query).await.expect("page");
            samples.push(t.elapsed());
            assert_eq!(page.content.len(), 50);
        }
        let m = median(samples);
        println!("list: page 10 of 50, {label}: median {}", ms(m));
        results.push(m);
    }
    println!("list: ratio filtered/unfiltered = {:.2}", results[0].as_secs_f64() / results[1].as_secs_f64());
    println!(
        "list: 2 filters median {}, with a tag {}; ratio tag/2 filters = {:.2}",
        ms(results[0]),
        ms(results[2]),
        results[2].as_secs_f64() / results[0].as_secs_f64()
    );
}

fn bench_logs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("stdout.log");
    let started = Instant::now();
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&log).expect("log"));
        let mut written = 0u64;
        let mut i = 0u64;
        while written < 1 << 30 {
            let line = format!("26/11/27 22:09:54 INFO Executor: task {i} finished in stage {} with some padding text\n", i % 97);
            out.write_all(line.as_bytes()).expect("write");
            written += line.len() as u64;
            i += 1;
        }
        out.flush().expect("flush");
    }
    println!("logs: wrote a 1 GiB log in {:.1} s", started.elapsed().as_secs_f64());

    let window = 25_000;
    let t = Instant::now();
    let mut index = LineIndex::default();
    index.extend(&log).expect("index");
    index.save(&log).expect("save");
    let total = index.total_lines(log.metadata().expect("len").len());
    let cold_lines = read_window(&log, &index, total - window, window).expect("read");
    let cold = t.elapsed();
    assert_eq!(cold_lines.len() as u64, window);

    let mut warm = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let mut index = LineIndex::load(&log);
        index.extend(&log).expect("extend");
        let lines = read_window(&log, &index, total - window, window).expect("read");
        warm.push(t.elapsed());
        assert_eq!(lines, cold_lines);
    }
    let warm = median(warm);

    let t = Instant::now();
    let naive = last_lines_by_scan(&log, window as usize);
    let scan = t.elapsed();
    assert_eq!(naive.len(), cold_lines.len());
    println!("logs: {total} lines; last 25,000: first read (builds the index) {}, indexed median {}, full scan {}", ms(cold), ms(warm), ms(scan));
    println!("logs: ratio full scan / indexed = {:.0}", scan.as_secs_f64() / warm.as_secs_f64());
}

fn last_lines_by_scan(path: &Path, n: usize) -> std::collections::VecDeque<String> {
    let mut ring = std::collections::VecDeque::with_capacity(n);
    for line in BufReader::new(std::fs::File::open(path).expect("open")).lines() {
        if ring.len() == n {
            ring.pop_front();
        }
        ring.push_back(line.expect("line"));
    }
    ring
}

const SCRIPT: &str = "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint(spark.range(1000).count())\nspark.stop()\n";

async fn bench_spark(exit: bool, submit: bool) {
    const RUNS: usize = 3;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig::new(Some(dir.path().to_path_buf()))).await.expect("engine");
    let env = match engine.spark_env().await {
        Ok(env) => env,
        Err(e) => {
            println!("spark: skipped: {e}");
            return;
        }
    };
    let mut to_finished = Vec::new();
    let mut exit_to_event = Vec::new();
    for _ in 0..RUNS {
        let mut events = engine.subscribe();
        let mut upload = engine.begin_upload("pyFiles", "main.py").expect("upload");
        upload.write(SCRIPT.as_bytes()).expect("write");
        let form = JobSubmission {
            name: Some("bench".into()),
            language: Some(Language::Python.as_str().into()),
            job_config: Some("spark.ui.enabled=false".into()),
            py_files: vec![upload.finish().expect("finish")],
            ..JobSubmission::default()
        };
        let t = Instant::now();
        let job = engine.submit_job(form).await.expect("submit");
        loop {
            match events.recv().await {
                Ok(EngineEvent::JobChanged { job: changed }) if changed.job_id == job.job_id && changed.state.is_terminal() => {
                    let received = SystemTime::now();
                    to_finished.push(t.elapsed());
                    assert_eq!(changed.state, JobState::Finished, "{changed:?}");
                    let exit_file = dir.path().join("jobs").join(&job.job_id).join("exit-code");
                    let written = exit_file.metadata().and_then(|m| m.modified()).expect("exit-code file");
                    exit_to_event.push(received.duration_since(written).unwrap_or_default());
                    break;
                }
                Ok(_) => {}
                Err(e) => panic!("event bus: {e}"),
            }
        }
    }
    if exit {
        println!("exit: exit-code file written → JobChanged received: median {} (of {RUNS})", ms(median(exit_to_event)));
    }
    if submit {
        let mut plain = Vec::new();
        let script = dir.path().join("plain.py");
        std::fs::write(&script, SCRIPT).expect("script");
        for _ in 0..RUNS {
            let t = Instant::now();
            let status = std::process::Command::new(&env.spark_submit)
                .args(["--master", "local[2]", "--conf", "spark.ui.enabled=false"])
                .arg(&script)
                .env("PYSPARK_PYTHON", &env.python)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("spark-submit");
            assert!(status.success());
            plain.push(t.elapsed());
        }
        let (ours, plain) = (median(to_finished), median(plain));
        println!("submit: submit → FINISHED median {}; plain spark-submit median {}; ratio {:.2}", ms(ours), ms(plain), ours.as_secs_f64() / plain.as_secs_f64());
    }
}
