//! Reading whole event logs from a job's `events/` folder: Spark's own (a zstd rolling log
//! written by Spark 4.3 for a job with one shuffle), made-up ones, cut and corrupt ones.

use std::fs;
use std::path::Path;

use super::read_app;
use super::synthetic::{SyntheticStage, write_event_log};

const SPARK_APP: &str = "local-1796140369611";
const SPARK_LOG: &[u8] = include_bytes!("fixtures/events_1_local-1796140369611.zstd");

fn rolling(events: &Path, app: &str, parts: &[(&str, &[u8])], in_progress: bool) {
    let dir = events.join(format!("eventlog_v2_{app}"));
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in parts {
        fs::write(dir.join(name), bytes).unwrap();
    }
    let status = if in_progress { format!("appstatus_{app}.inprogress") } else { format!("appstatus_{app}") };
    fs::write(dir.join(status), "").unwrap();
}

fn synthetic(stages: &[SyntheticStage]) -> Vec<u8> {
    let mut out = Vec::new();
    write_event_log(&mut out, "local-7", stages).unwrap();
    out
}

#[test]
fn sparks_own_zstd_rolling_log_gives_both_stages_with_their_shuffle() {
    let dir = tempfile::tempdir().unwrap();
    rolling(dir.path(), SPARK_APP, &[(&format!("events_1_{SPARK_APP}.zstd"), SPARK_LOG)], false);
    let report = read_app(dir.path(), Some(SPARK_APP));
    assert_eq!(report.message, None);
    let summary: Vec<(i64, &str, i64, &str)> =
        report.stages.iter().map(|s| (s.stage_id, s.name.as_str(), s.num_tasks, s.status.as_str())).collect();
    assert_eq!(summary, [(0, "reduceByKey at /work/tmp-stages/shuffle.py:3", 4, "COMPLETE"), (1, "collect at /work/tmp-stages/shuffle.py:3", 2, "COMPLETE")]);
    let (map, reduce) = (&report.stages[0], &report.stages[1]);
    assert!(map.shuffle_write_bytes > 0 && map.shuffle_read_bytes == 0, "{map:?}");
    assert!(reduce.shuffle_read_bytes > 0 && reduce.shuffle_write_bytes == 0, "{reduce:?}");
    assert_eq!(map.shuffle_write_bytes, reduce.shuffle_read_bytes, "what one stage writes the next reads");
    let durations = map.task_duration_ms.unwrap();
    assert!(durations.min <= durations.median && durations.median <= durations.max && durations.max > 0);
    assert!(map.duration_ms > 0 && map.completed_tasks == 4);
    let [driver] = report.executors.try_into().unwrap();
    assert_eq!((driver.id.as_str(), driver.max_memory, driver.total_tasks, driver.is_active), ("driver", 455_501_414, 6, false));
}

#[test]
fn a_plain_single_file_log_is_read_and_the_asked_app_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("local-7"), synthetic(&[SyntheticStage::new("a", 3), SyntheticStage::new("b", 2)])).unwrap();
    fs::write(dir.path().join("local-8.inprogress"), synthetic(&[SyntheticStage::new("other", 1)])).unwrap();
    let report = read_app(dir.path(), Some("local-7"));
    assert_eq!(report.message, None);
    let names: Vec<&str> = report.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(report.stages[0].completed_tasks, 3);
}

#[test]
fn a_cut_last_line_gives_what_was_read_and_says_so_unless_still_written() {
    let whole = synthetic(&[SyntheticStage::new("first", 2), SyntheticStage::new("second", 2)]);
    let text = String::from_utf8(whole).unwrap();
    let cut_at = text.rfind("SparkListenerTaskEnd").unwrap() + 40; // inside the last task's line
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("local-7"), &text[..cut_at]).unwrap();
    let report = read_app(dir.path(), None);
    assert!(report.message.as_deref().unwrap().contains("cut line"), "{:?}", report.message);
    assert_eq!(report.stages.len(), 2);
    assert_eq!((report.stages[0].completed_tasks, report.stages[1].completed_tasks), (2, 1));

    let running = tempfile::tempdir().unwrap();
    fs::write(running.path().join("local-7.inprogress"), &text[..cut_at]).unwrap();
    let report = read_app(running.path(), None);
    assert_eq!(report.message, None, "a log being written ends mid-line");
    assert_eq!(report.stages[1].status, "ACTIVE");
}

#[test]
fn a_cut_zstd_stream_and_corrupt_lines_give_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    // Spark flushes a zstd frame at a time: cut the last frame short.
    let last_frame = SPARK_LOG.windows(4).rposition(|w| w == [0x28, 0xb5, 0x2f, 0xfd]).unwrap();
    rolling(dir.path(), SPARK_APP, &[(&format!("events_1_{SPARK_APP}.zstd"), &SPARK_LOG[..last_frame + 9])], false);
    let report = read_app(dir.path(), None);
    assert!(report.message.as_deref().unwrap_or_default().contains("cut"), "{:?}", report.message);
    assert!(!report.stages.is_empty(), "the first part of the log is read");

    let text = String::from_utf8(synthetic(&[SyntheticStage::new("a", 4)])).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(6, "this is not json");
    lines[8] = r#"{"Event":"SparkListenerTaskEnd","Stage ID":"zero"}"#;
    let corrupt = tempfile::tempdir().unwrap();
    fs::write(corrupt.path().join("local-7"), lines.join("\n") + "\n").unwrap();
    let report = read_app(corrupt.path(), None);
    let message = report.message.unwrap();
    assert!(message.contains("2 lines") && message.contains("local-7 line 7"), "{message}");
    assert_eq!(report.stages[0].completed_tasks, 3, "one task's line was broken, the others count");
}

#[test]
fn rolling_parts_are_read_in_order_and_other_codecs_or_no_log_say_why() {
    let text = String::from_utf8(synthetic(&[SyntheticStage::new("a", 2), SyntheticStage::new("b", 2)])).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (head, tail) = lines.split_at(lines.len() / 2);
    let (head, tail) = (head.join("\n") + "\n", tail.join("\n") + "\n");
    let dir = tempfile::tempdir().unwrap();
    rolling(dir.path(), "local-7", &[("events_2_local-7", tail.as_bytes()), ("events_1_local-7", head.as_bytes())], false);
    let report = read_app(dir.path(), None);
    assert_eq!(report.message, None);
    assert!(report.stages.iter().all(|s| s.status == "COMPLETE" && s.completed_tasks == 2), "{:?}", report.stages);

    let lz4 = tempfile::tempdir().unwrap();
    fs::write(lz4.path().join("local-9.lz4"), b"\x00").unwrap();
    let report = read_app(lz4.path(), None);
    assert!(report.found && report.stages.is_empty());
    assert!(report.message.unwrap().contains("compressed with lz4"));

    let none = tempfile::tempdir().unwrap();
    let report = read_app(&none.path().join("events"), None);
    assert!(!report.found);
    assert_eq!(report.message.as_deref(), Some("the job left no event log"));
}
