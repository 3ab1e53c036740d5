//! Schedule benchmarks; prints medians and ratios against a baseline measured in the same
//! run. `cargo bench -p sparkdeck-engine --bench schedules [-- due list]`.
//!
//! - due:  how late a due run starts (its job STARTING, announced) after its time, with
//!   1,000 schedules defined, against the same with one schedule. The clock is moved
//!   by hand to each due time (as the machine's clock reaches it), so the figure is
//!   the ticker's own work: look at every schedule, commit the runs, launch them.
//!   Target: median ≤ 1 s.
//! - list: a page of 1,000 schedules with their next five run times and runs, against a
//!   page of 1,000 jobs. Target: ≤ 20 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sparkdeck_engine::clock::ManualClock;
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::model::paging::PageRequest;
use sparkdeck_engine::model::schedule::ScheduleState;
use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig, EngineEvent, JobQuery, JobSubmission, ScheduleForm, ScheduleQuery};
use tempfile::TempDir;

/// 2026-01-01T00:00:30Z.
const T0: i64 = 1_767_225_630_000;
const MINUTES: usize = 15;

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
    if run("due") {
        let (baseline, _, _) = due_lateness(1).await;
        let (lateness, worst, runs) = due_lateness(1000).await;
        println!(
            "due run start, 1,000 schedules: median {} (worst {}, {runs} runs) vs 1 schedule {} ({:.1}x); target ≤ 1000 ms",
            ms(lateness),
            ms(worst),
            ms(baseline),
            lateness.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
        );
    }
    if run("list") {
        bench_list().await;
    }
}

async fn open(count: usize) -> (TempDir, Engine, Arc<ManualClock>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(T0));
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.clock = clock.clone();
    config.local_concurrency = 10_000;
    let engine = Engine::open_with_runtime(config, ScriptedRuntime::new()).await.expect("engine");
    for i in 0..count {
        let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
        script.write(b"print('hello')\n").unwrap();
        // Hourly at every minute of the hour: some come due each minute.
        let cron = if count == 1 { "* * * * *".to_string() } else { format!("{} * * * *", i % 60) };
        let form = ScheduleForm {
            job: JobSubmission {
                name: Some(format!("schedule {i}")),
                language: Some("PYTHON".into()),
                py_files: vec![script.finish().unwrap()],
                ..JobSubmission::default()
            },
            cron: Some(cron),
            time_zone: Some("UTC".into()),
            overlap_policy: Some("ALLOW".into()),
            ..ScheduleForm::default()
        };
        engine.create_schedule(form).await.unwrap();
    }
    (dir, engine, clock)
}

/// Moves the clock to each of `MINUTES` due times and measures, for every run, the time
/// from the move to its STARTING announcement.
async fn due_lateness(count: usize) -> (Duration, Duration, usize) {
    let (_dir, engine, clock) = open(count).await;
    let mut events = engine.subscribe();
    let mut samples = Vec::new();
    for minute in 0..MINUTES {
        let expected = if count == 1 { 1 } else { (0..count).filter(|i| i % 60 == (minute + 1) % 60).count() };
        let moved = Instant::now();
        clock.advance(Duration::from_secs(if minute == 0 { 30 } else { 60 }));
        let mut started = 0;
        while started < expected {
            match events.recv().await {
                Ok(EngineEvent::JobChanged { job }) if job.state == JobState::Starting && job.schedule_id.is_some() => {
                    samples.push(moved.elapsed());
                    started += 1;
                }
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }
    let worst = samples.iter().max().copied().unwrap_or_default();
    let runs = samples.len();
    engine.shutdown();
    (median(samples), worst, runs)
}

async fn bench_list() {
    let (_dir, engine, clock) = open(1000).await;
    // A run for some of them, so the page carries runs too.
    clock.advance(Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..1000 {
        let form = JobSubmission {
            name: Some(format!("job {i}")),
            language: Some("PYTHON".into()),
            py_files: vec![{
                let mut s = engine.begin_upload("pyFiles", "main.py").unwrap();
                s.write(b"print('hello')\n").unwrap();
                s.finish().unwrap()
            }],
            ..JobSubmission::default()
        };
        engine.submit_job(form).await.unwrap();
    }
    let page = PageRequest { page: 0, size: 1000, sort: Vec::new() };
    let schedules = ScheduleQuery { states: vec![ScheduleState::Enabled], page: page.clone(), ..ScheduleQuery::default() };
    let jobs = JobQuery { page, ..JobQuery::default() };
    let mut list_samples = Vec::new();
    let mut job_samples = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let listed = engine.list_schedules(&schedules).await.unwrap();
        list_samples.push(started.elapsed());
        assert_eq!(listed.content.len(), 1000);
        assert!(listed.content.iter().all(|s| s.next_run_times.len() == 5));
        let started = Instant::now();
        let listed = engine.list_jobs(&jobs).await.unwrap();
        job_samples.push(started.elapsed());
        assert_eq!(listed.content.len(), 1000);
    }
    let (schedules, jobs) = (median(list_samples), median(job_samples));
    println!(
        "list 1,000 schedules with next runs: median {} vs 1,000 jobs {} ({:.1}x); target ≤ 20 ms",
        ms(schedules),
        ms(jobs),
        schedules.as_secs_f64() / jobs.as_secs_f64().max(1e-9)
    );
    engine.shutdown();
}
