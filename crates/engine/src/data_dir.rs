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

/// The data directory holds secrets and the API token: one Sparkdeck creates is
/// owner-only (0700). An existing one keeps the mode its owner gave it (it may be shared
/// on purpose); what is secret in it is private by file (the database, the token).
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let cannot = |e| EngineError::io(format!("cannot create data directory {}", dir.display()), e);
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(cannot)?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other.map_err(cannot),
    }
}

/// Creates `path` owner-only (0600) if missing and makes an existing one so, together
/// with SQLite's `-wal` and `-shm` files beside it (SQLite gives the ones it creates
/// the database's mode).
pub(crate) fn make_database_private(path: &Path) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| EngineError::io(format!("cannot create the database {}", path.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            match fs::set_permissions(&file, fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(EngineError::io(format!("cannot restrict {}", file.display()), e));
                }
                _ => {}
            }
        }
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
