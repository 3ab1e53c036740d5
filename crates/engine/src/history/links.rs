//! The History Server's one log directory: `<data>/history/logs/`, a symlink per event log
//! (`<appId>[.inprogress|.zstd…]` file or `eventlog_v2_<appId>/` folder) to where it lives,
//! in its job's `events/` folder. The logs stay with their jobs (removed with them); a
//! link whose target is gone (a deleted job, an `.inprogress` file Spark renamed) is
//! removed on the next sync. Hadoop's local file system follows the links.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The event log of `app_id` in a job's `events/` folder: its file or rolling folder.
pub(crate) fn event_log_of(events_dir: &Path, app_id: &str) -> Option<PathBuf> {
    let entries = fs::read_dir(events_dir).ok()?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name == app_id || name.starts_with(&format!("{app_id}.")) || name == format!("eventlog_v2_{app_id}")
        })
        .map(|e| e.path())
        .collect();
    // A finished log before a stale `.inprogress` one (a driver that was killed leaves one).
    found.sort_by_key(|p| p.to_string_lossy().ends_with(".inprogress"));
    found.into_iter().next()
}

/// Links `log` into `links_dir` under its own name (replacing a link of that name) and
/// removes links that point nowhere.
pub(crate) fn link(links_dir: &Path, log: &Path) -> io::Result<()> {
    fs::create_dir_all(links_dir)?;
    remove_dangling(links_dir);
    let Some(name) = log.file_name() else { return Err(io::Error::other(format!("{} has no file name", log.display()))) };
    let link = links_dir.join(name);
    if fs::read_link(&link).is_ok_and(|target| target == log) {
        return Ok(());
    }
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(log, &link)
}

fn remove_dangling(links_dir: &Path) {
    let Ok(entries) = fs::read_dir(links_dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        // `metadata` follows the link: an error is a target that is gone.
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) && fs::metadata(&path).is_err() {
            let _ = fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_file_a_compressed_file_or_a_rolling_folder_and_prefers_a_finished_log() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(event_log_of(dir.path(), "local-1700000000000"), None);
        fs::write(dir.path().join("local-1700000000000.inprogress"), "").unwrap();
        fs::write(dir.path().join("local-17000000000001"), "").unwrap();
        assert_eq!(event_log_of(dir.path(), "local-1700000000000"), Some(dir.path().join("local-1700000000000.inprogress")));
        fs::write(dir.path().join("local-1700000000000.zstd"), "").unwrap();
        assert_eq!(event_log_of(dir.path(), "local-1700000000000"), Some(dir.path().join("local-1700000000000.zstd")));
        fs::create_dir(dir.path().join("eventlog_v2_app-20240101000000-0001")).unwrap();
        assert_eq!(
            event_log_of(dir.path(), "app-20240101000000-0001"),
            Some(dir.path().join("eventlog_v2_app-20240101000000-0001"))
        );
    }

    #[test]
    fn links_once_and_removes_links_whose_log_is_gone() {
        let events = tempfile::tempdir().unwrap();
        let links = tempfile::tempdir().unwrap();
        let running = events.path().join("local-1.inprogress");
        fs::write(&running, "{}").unwrap();
        link(links.path(), &running).unwrap();
        link(links.path(), &running).unwrap();
        assert_eq!(fs::read_to_string(links.path().join("local-1.inprogress")).unwrap(), "{}");
        // Spark renames the log when the application ends.
        let ended = events.path().join("local-1");
        fs::rename(&running, &ended).unwrap();
        link(links.path(), &ended).unwrap();
        let names: Vec<String> = fs::read_dir(links.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec!["local-1".to_string()]);
    }
}
