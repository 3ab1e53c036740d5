//! Where Sparkdeck keeps its state: the SQLite database, the API token, uploaded artifacts
//! and job logs. An explicit path wins, then `SPARKDECK_DATA_DIR`, then the platform's
//! data directory (`~/.local/share/sparkdeck` on Linux).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{EngineError, Result};

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

/// The data directory holds secrets and the API token: owner-only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("cannot create data directory {}", dir.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| EngineError::io(format!("cannot restrict data directory {}", dir.display()), e))?;
    }
    Ok(())
}

/// Two engines on one data directory would both run and recover the same jobs, so the
/// second one is refused with the first one's pid.
pub(crate) fn lock_data_dir(dir: &Path) -> Result<File> {
    let path = dir.join("sparkdeck.lock");
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| EngineError::io(format!("cannot open {}", path.display()), e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(&path).ok().map(|pid| pid.trim().to_string()).filter(|p| !p.is_empty());
            return Err(EngineError::DataDirLocked {
                path: dir.to_path_buf(),
                holder: holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
            });
        }
        Err(fs::TryLockError::Error(e)) => return Err(EngineError::io(format!("cannot lock {}", path.display()), e)),
    }
    file.set_len(0).and_then(|()| write!(file, "{}", std::process::id())).map_err(|e| EngineError::io("cannot write lock file", e))?;
    Ok(file)
}
