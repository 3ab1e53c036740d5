//! Where the installed Spark lives: `<data dir>/spark/`, a virtualenv with pyspark. It is
//! built in a temporary sibling (`.spark.tmp*`) and renamed into place only once checked,
//! with its completion marker written last; a directory without the marker is never used.

use std::fs;
use std::path::{Path, PathBuf};

pub const INSTALL_DIR: &str = "spark";
/// Written last, inside the finished environment, before it is renamed into place.
pub(crate) const COMPLETE_MARKER: &str = ".sparkdeck-complete";
/// The prefix of the temporary sibling an install builds in.
pub(crate) const BUILD_PREFIX: &str = ".spark.tmp";

pub(crate) fn install_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(INSTALL_DIR)
}

/// The installed virtualenv, when it is complete.
pub fn installed_venv(data_dir: &Path) -> Option<PathBuf> {
    let dir = install_dir(data_dir);
    dir.join(COMPLETE_MARKER).is_file().then_some(dir)
}

/// At open (the data directory is locked, so no install is under way): removes the
/// temporaries of an install that did not finish and an install directory without its
/// marker, so neither is ever taken for a good Spark.
pub(crate) fn remove_incomplete(data_dir: &Path) {
    let Ok(entries) = fs::read_dir(data_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let incomplete = name.starts_with(BUILD_PREFIX) || (name == INSTALL_DIR && !path.join(COMPLETE_MARKER).is_file());
        if incomplete {
            match fs::remove_dir_all(&path) {
                Ok(()) => tracing::info!(path = %path.display(), "removed an incomplete Spark install"),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove an incomplete Spark install"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_marked_install_is_kept_and_used() {
        let data = tempfile::tempdir().unwrap();
        fs::create_dir_all(data.path().join(".spark.tmpAbc/lib")).unwrap();
        fs::create_dir_all(data.path().join("spark/lib")).unwrap();
        fs::create_dir_all(data.path().join("jobs")).unwrap();
        assert_eq!(installed_venv(data.path()), None);
        remove_incomplete(data.path());
        assert!(!data.path().join(".spark.tmpAbc").exists() && !data.path().join("spark").exists());
        assert!(data.path().join("jobs").is_dir(), "other directories stay");

        fs::create_dir_all(data.path().join("spark")).unwrap();
        fs::write(data.path().join("spark").join(COMPLETE_MARKER), "").unwrap();
        remove_incomplete(data.path());
        assert_eq!(installed_venv(data.path()), Some(data.path().join("spark")));
    }
}
