//! Reading and following job logs within their bounds, on the scripted runtime (no Spark):
//! the bytes of one log window, a follower past a line longer than it reads at once, and
//! rotation of a long-lived driver's logs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::states_until;
use sparkdeck_engine::log_index::LINE_CUT_MARKER;
use sparkdeck_engine::log_rotate::Rotations;
use sparkdeck_engine::model::job::{Job, JobState};
use sparkdeck_engine::testing::{ScriptedExit, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, JobSubmission};
use tempfile::TempDir;

async fn open(dir: &Path, runtime: &ScriptedRuntime, tune: impl FnOnce(&mut EngineConfig)) -> Engine {
    let mut config = EngineConfig::new(Some(dir.to_path_buf()));
    tune(&mut config);
    Engine::open_with_runtime(config, runtime.clone()).await.unwrap()
}

/// A job whose (scripted) driver is running, and its directory.
async fn running_job(engine: &Engine, dir: &TempDir) -> (Job, PathBuf) {
    let mut events = engine.subscribe();
    let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print('hello')\n").unwrap();
    let form = JobSubmission {
        name: Some("logs".into()),
        language: Some("PYTHON".into()),
        py_files: vec![script.finish().unwrap()],
        ..JobSubmission::default()
    };
    let job = engine.submit_job(form).await.unwrap();
    let (_, job) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let job_dir = dir.path().join("jobs").join(&job.job_id);
    std::fs::create_dir_all(&job_dir).unwrap();
    (job, job_dir)
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[tokio::test]
async fn a_log_window_stays_within_its_byte_limit_and_says_where_to_page_on() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let limit = 64 * 1024;
    let engine = open(dir.path(), &runtime, |c| c.max_log_window_bytes = limit).await;
    let (job, job_dir) = running_job(&engine, &dir).await;
    // Two logs of 1,000 lines of 100 bytes: together three times the limit.
    let lines: String = (0..1000).map(|i| format!("{i:>99}\n")).collect();
    append(&job_dir.join("stdout.log"), &lines);
    append(&job_dir.join("stderr.log"), &lines);

    let logs = engine.job_logs(&job.job_id, None, Some(25_000)).await.unwrap();
    let bytes: usize = logs.iter().flat_map(|l| &l.log).map(String::len).sum();
    assert!(bytes <= limit, "{bytes} bytes of lines in one answer");
    let (stdout, stderr) = (&logs[0], &logs[1]);
    assert_eq!((stdout.truncated, stdout.log_size, stdout.total_lines), (true, (limit / 99) as u64, 1000));
    assert_eq!((stderr.truncated, stderr.log_size), (true, 0), "nothing was left for stderr");

    // Paging on, one log at a time, reads each to its end.
    let next = engine.job_log_windows(&job.job_id, Some("driver-stdout"), Some(stdout.log_size as i64), Some(25_000)).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].log[0].trim(), stdout.log_size.to_string());
    let rest = engine.job_log_windows(&job.job_id, Some("driver-stderr"), Some(0), Some(600)).await.unwrap();
    assert_eq!((rest[0].log_size, rest[0].truncated), (600, false));

    let err = engine.job_log_windows(&job.job_id, Some("nope"), None, None).await.unwrap_err();
    assert!(err.to_string().contains("log") && err.to_string().contains("driver-stdout"), "{err}");
    runtime.end(&runtime.drivers()[0].id, ScriptedExit::Code(0));
}

/// The next line a follow stream sends; the guard only turns a hang into a failure.
async fn next_line(lines: &mut tokio::sync::mpsc::Receiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.recv()).await.expect("a line within 30 s").expect("the stream is open")
}

#[tokio::test]
async fn a_follower_sends_a_line_longer_than_it_reads_at_once_cut_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime, |_| {}).await;
    let (job, job_dir) = running_job(&engine, &dir).await;
    let stdout = job_dir.join("stdout.log");
    append(&stdout, "before\n");
    append(&stdout, &"x".repeat(5 * 1024 * 1024));
    append(&stdout, "\nafter 1\n");
    let mut lines = engine.follow_log(&job.job_id, "driver-stdout", 0).await.unwrap();
    assert_eq!(next_line(&mut lines).await, "before");
    let long = next_line(&mut lines).await;
    assert_eq!(long.len(), 64 * 1024 + LINE_CUT_MARKER.len());
    assert!(long.starts_with("xxx") && long.ends_with(LINE_CUT_MARKER), "{}", &long[long.len() - 40..]);
    assert_eq!(next_line(&mut lines).await, "after 1");
    append(&stdout, "after 2\n");
    assert_eq!(next_line(&mut lines).await, "after 2");
    runtime.end(&runtime.drivers()[0].id, ScriptedExit::Code(0));
}

/// Waits until `log` was rotated `count` times; the guard only turns a hang into a failure.
async fn wait_rotated(log: &Path, count: u64) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while Rotations::of(log).count < count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} was not rotated {count} times within 30 s", log.display()));
}

fn lines(prefix: &str, count: usize) -> String {
    (0..count).map(|i| format!("{prefix} {i:>4}\n")).collect()
}

#[tokio::test]
async fn a_running_drivers_log_past_its_size_is_rotated_and_read_again_from_its_new_start() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = open(dir.path(), &runtime, |c| {
        c.max_log_file_bytes = 4096;
        c.log_parts_kept = 2;
    })
    .await;
    let (job, job_dir) = running_job(&engine, &dir).await;
    let stdout = job_dir.join("stdout.log");
    let mut follow = engine.follow_log(&job.job_id, "driver-stdout", 0).await.unwrap();
    // 400 lines of 10 bytes: indexed (and followed) while under the limit.
    append(&stdout, &lines("old", 400));
    let before = engine.job_log_windows(&job.job_id, Some("driver-stdout"), None, Some(1000)).await.unwrap();
    assert_eq!((before[0].total_lines, before[0].rotated_lines), (400, 0));
    for i in 0..400 {
        assert_eq!(next_line(&mut follow).await, format!("old {i:>4}"));
    }

    // Past the limit: the log moves to stdout.log.1 and starts again, empty.
    append(&stdout, &lines("mid", 100));
    wait_rotated(&stdout, 1).await;
    assert_eq!(std::fs::read_to_string(job_dir.join("stdout.log.1")).unwrap(), lines("old", 400) + &lines("mid", 100));
    // New lines, more bytes than the index had seen before the rotation (but under the limit).
    append(&stdout, &lines("n", 520));
    let after = engine.job_log_windows(&job.job_id, Some("driver-stdout"), Some(0), Some(2)).await.unwrap();
    assert_eq!((after[0].total_lines, after[0].rotated_lines), (520, 500));
    assert_eq!(after[0].log, ["n    0", "n    1"], "indexed again from the log's new start");
    // The follower, which may or may not have seen the mid lines, says the log started again.
    let mut line = next_line(&mut follow).await;
    while line.starts_with("mid") {
        line = next_line(&mut follow).await;
    }
    assert!(line.contains("rotated"), "{line}");
    assert_eq!(next_line(&mut follow).await, "n    0");

    // Two more rotations: two older parts are kept, the oldest is removed.
    append(&stdout, &lines("more", 50));
    wait_rotated(&stdout, 2).await;
    append(&stdout, &lines("last", 500));
    wait_rotated(&stdout, 3).await;
    assert!(!job_dir.join("stdout.log.3").exists());
    assert!(std::fs::read_to_string(job_dir.join("stdout.log.2")).unwrap().starts_with("n    0\n"));
    assert!(std::fs::read_to_string(job_dir.join("stdout.log.1")).unwrap().starts_with("last    0\n"));
    runtime.end(&runtime.drivers()[0].id, ScriptedExit::Code(0));
}
