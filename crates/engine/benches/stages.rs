//! Stage summary benchmark; prints medians and a ratio against a baseline measured in the
//! same run. `cargo bench -p sparkdeck-engine --bench stages`.
//!
//! - summary: `/stages` of an ended job whose event log has 100,000 tasks (10 stages of
//!   10,000, shaped as Spark 4 writes them, ~330 MB uncompressed), against reading the same
//!   file's lines without parsing them. Target: median ≤ 1 s. Also printed: the bytes the
//!   parser held for task durations and the process's peak resident memory before and after
//!   (it streams: the peak does not grow with the log).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::time::{Duration, Instant};

use sparkdeck_engine::spark_app::synthetic::{SyntheticStage, read_stages, write_event_log};

const STAGES: u32 = 10;
const TASKS_PER_STAGE: u32 = 10_000;
const ROUNDS: usize = 5;

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
