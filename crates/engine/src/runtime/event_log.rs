//! A driver's Spark event log, kept in its job directory's `events/` folder: single jobs
//! write one file `<appId>` (`<appId>.inprogress` while running), group drivers, which run
//! for days, a rolling folder `eventlog_v2_<appId>/` of `events_<n>_<appId>` files of at
//! most [`ROLL_SIZE`] each. Spark bounds no rolling log on the driver side
//! (`spark.history.fs.eventLog.rolling.maxFilesToRetain` is the History Server's, and only
//! when it reads the log), so the engine does: past [`MAX_ROLLED_FILES`] files, the older
//! ones are folded into one `events_<n>_<appId>.compact` file — Spark's own compaction
//! format, which the History Server reads — that keeps the application's events
//! (start, environment, executors, end) and drops the finished jobs', stages' and tasks'.
//! Group drivers therefore write their rolling logs uncompressed (Spark 4 compresses event
//! logs with zstd by default); a rolling log a user chose to compress is left as it is.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The size at which a group driver's event log rolls to a new file (Spark's least: 10m).
pub(crate) const ROLL_SIZE: &str = "16m";
/// Event files a rolling log keeps before the older ones are compacted.
pub(crate) const MAX_ROLLED_FILES: usize = 8;

/// The settings that make a driver write its event log to `dir` (a Hadoop URI).
pub(crate) fn event_log_conf(dir: &str, rolling: bool) -> Vec<(&'static str, String)> {
    let mut conf = vec![("spark.eventLog.enabled", "true".to_string()), ("spark.eventLog.dir", dir.to_string())];
    if rolling {
        conf.push(("spark.eventLog.rolling.enabled", "true".into()));
        conf.push(("spark.eventLog.rolling.maxFileSize", ROLL_SIZE.into()));
        // Plain text, which `compact_rolling` can fold.
        conf.push(("spark.eventLog.compress", "false".into()));
    }
    conf
}

/// Events of finished work, which a compaction drops (the History Server's own compaction
/// drops those of finished jobs likewise).
const DROPPED_EVENTS: [&str; 12] = [
    "SparkListenerTaskStart",
    "SparkListenerTaskGettingResult",
    "SparkListenerTaskEnd",
    "SparkListenerStageSubmitted",
    "SparkListenerStageCompleted",
    "SparkListenerStageExecutorMetrics",
    "SparkListenerJobStart",
    "SparkListenerJobEnd",
    "SparkListenerSpeculativeTaskSubmitted",
    "SparkListenerBlockUpdated",
    "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart",
    "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd",
];

#[derive(Deserialize)]
struct EventHead {
    #[serde(rename = "Event")]
    event: String,
}

/// One event file of a rolling log: `events_<index>_<appId>[.compact]`.
struct EventFile {
    index: u64,
    compact: bool,
    /// Not compressed (no codec suffix such as `.zstd`).
    plain: bool,
    path: PathBuf,
}

fn event_files(rolling_dir: &Path, app: &str) -> io::Result<Vec<EventFile>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(rolling_dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("events_") else { continue };
        let Some((index, tail)) = rest.split_once('_') else { continue };
        let Ok(index) = index.parse::<u64>() else { continue };
        let compact = name.ends_with(".compact");
        let plain = tail.strip_suffix(".compact").unwrap_or(tail) == app;
        files.push(EventFile { index, compact, plain, path: entry.path() });
    }
    // A compact file after the plain one of its index, as Spark's reader orders them.
    files.sort_by_key(|f| (f.index, f.compact));
    Ok(files)
}

/// Bounds every rolling event log in a job's `events/` folder to `max_files` files.
pub(crate) fn bound_rolling_logs(events_dir: &Path, max_files: usize) {
    let Ok(entries) = fs::read_dir(events_dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("eventlog_v2_") {
            match compact_rolling(&entry.path(), max_files) {
                Ok(0) => {}
                Ok(n) => tracing::info!(log = %entry.path().display(), files = n, "rolling event log compacted"),
                Err(e) => tracing::warn!(log = %entry.path().display(), error = %e, "cannot compact a rolling event log"),
            }
        }
    }
}

/// Folds all but the newest `max_files - 1` event files of a rolling log (the newest is the
/// one being written) into one compact file with the index of the last folded one; the
/// folded files are removed once it is in place. Returns how many files were folded.
pub(crate) fn compact_rolling(rolling_dir: &Path, max_files: usize) -> io::Result<usize> {
    let app = rolling_dir.file_name().map(|n| n.to_string_lossy().trim_start_matches("eventlog_v2_").to_string()).unwrap_or_default();
    let files = event_files(rolling_dir, &app)?;
    // Spark's reader starts at the last compact file.
    let start = files.iter().rposition(|f| f.compact).unwrap_or(0);
    let live = &files[start..];
    if live.len() <= max_files.max(2) {
        return Ok(0);
    }
    let folded = &live[..live.len() - (max_files.max(2) - 1)];
    if folded.iter().any(|f| !f.plain) {
        tracing::debug!(log = %rolling_dir.display(), "a compressed rolling event log is not compacted");
        return Ok(0);
    }
    let last = folded.last().map_or(0, |f| f.index);
    let target = rolling_dir.join(format!("events_{last}_{app}.compact"));
    let temp = rolling_dir.join(format!(".events_{last}_{app}.compact.tmp"));
    {
        let mut out = BufWriter::new(File::create(&temp)?);
        for file in folded {
            for line in BufReader::new(File::open(&file.path)?).lines() {
                let line = line?;
                let dropped = serde_json::from_str::<EventHead>(&line).is_ok_and(|h| DROPPED_EVENTS.contains(&h.event.as_str()));
                // A line that does not parse (a torn last line) is dropped too.
                if !dropped && serde_json::from_str::<serde::de::IgnoredAny>(&line).is_ok() {
                    writeln!(out, "{line}")?;
                }
            }
        }
        out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
    }
    fs::rename(&temp, &target)?;
    for file in folded {
        if file.path != target {
            fs::remove_file(&file.path)?;
        }
    }
    Ok(folded.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "local-1700000000000";

    fn write_events(dir: &Path, index: u64, events: &[&str]) {
        let text: String = events.iter().map(|e| format!("{{\"Event\":\"{e}\",\"n\":{index}}}\n")).collect();
        fs::write(dir.join(format!("events_{index}_{APP}")), text).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_rolling_log_past_its_bound_keeps_the_application_events_and_the_newest_files() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(format!("eventlog_v2_{APP}"));
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(format!("appstatus_{APP}.inprogress")), "").unwrap();
        write_events(&dir, 1, &["SparkListenerLogStart", "SparkListenerApplicationStart", "SparkListenerJobStart", "SparkListenerTaskEnd"]);
        write_events(&dir, 2, &["SparkListenerExecutorAdded", "SparkListenerStageCompleted"]);
        for i in 3..=5 {
            write_events(&dir, i, &["SparkListenerTaskEnd"]);
        }
        // Within the bound: nothing changes.
        assert_eq!(compact_rolling(&dir, 5).unwrap(), 0);
        assert_eq!(compact_rolling(&dir, 3).unwrap(), 3);
        assert_eq!(
            names(&dir),
            [format!("appstatus_{APP}.inprogress"), format!("events_3_{APP}.compact"), format!("events_4_{APP}"), format!("events_5_{APP}")]
        );
        let compact = fs::read_to_string(dir.join(format!("events_3_{APP}.compact"))).unwrap();
        let kept: Vec<&str> = compact.lines().collect();
        assert_eq!(
            kept,
            [
                r#"{"Event":"SparkListenerLogStart","n":1}"#,
                r#"{"Event":"SparkListenerApplicationStart","n":1}"#,
                r#"{"Event":"SparkListenerExecutorAdded","n":2}"#
            ]
        );
        // Two more files: the compact one is folded into the next.
        write_events(&dir, 6, &["SparkListenerExecutorRemoved"]);
        write_events(&dir, 7, &["SparkListenerTaskEnd"]);
        assert_eq!(compact_rolling(&dir, 3).unwrap(), 3);
        assert_eq!(
            names(&dir),
            [format!("appstatus_{APP}.inprogress"), format!("events_5_{APP}.compact"), format!("events_6_{APP}"), format!("events_7_{APP}")]
        );
        let compact = fs::read_to_string(dir.join(format!("events_5_{APP}.compact"))).unwrap();
        assert_eq!(compact.lines().count(), 3, "{compact}");
    }

    #[test]
    fn a_compressed_rolling_log_is_left_as_it_is() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(format!("eventlog_v2_{APP}"));
        fs::create_dir(&dir).unwrap();
        for i in 1..=4 {
            fs::write(dir.join(format!("events_{i}_{APP}.zstd")), [0x28, 0xb5, 0x2f, 0xfd]).unwrap();
        }
        assert_eq!(compact_rolling(&dir, 2).unwrap(), 0);
        assert_eq!(names(&dir).len(), 4);
    }

    #[test]
    fn the_bound_applies_to_each_rolling_log_and_leaves_single_files_alone() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("local-1"), "{}\n").unwrap();
        let dir = root.path().join(format!("eventlog_v2_{APP}"));
        fs::create_dir(&dir).unwrap();
        for i in 1..=4 {
            write_events(&dir, i, &["SparkListenerApplicationStart"]);
        }
        bound_rolling_logs(root.path(), 2);
        assert_eq!(names(&dir), [format!("events_3_{APP}.compact"), format!("events_4_{APP}")]);
        assert_eq!(fs::read_to_string(root.path().join("local-1")).unwrap(), "{}\n");
    }
}
