//! Where Sparkdeck keeps its state: the SQLite database, the API token, uploaded artifacts
//! and job logs. An explicit path wins, then `SPARKDECK_DATA_DIR`, then the platform's
//! data directory (`~/.local/share/sparkdeck` on Linux).

use std::path::PathBuf;

pub const ENV_VAR: &str = "SPARKDECK_DATA_DIR";

pub fn resolve(explicit: Option<PathBuf>) -> PathBuf {
    if let Some(path) = explicit {
        return path;
    }
    if let Some(path) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        return PathBuf::from(path);
    }
    directories::ProjectDirs::from("dev", "sparkdeck", "sparkdeck")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".sparkdeck"))
}
