//! The [`Engine`] handle: the store, the event bus and the data directory, shared by every
//! operation. Operations live in their own modules as `impl Engine` blocks.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::error::{EngineError, Result};
use crate::events::{EngineEvent, EventBus};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
}

impl EngineConfig {
    /// Resolves the data directory as [`crate::data_dir::resolve`] does.
    pub fn new(data_dir: Option<PathBuf>) -> Self {
        Self { data_dir: crate::data_dir::resolve(data_dir) }
    }
}

/// A cheap, cloneable handle on one running engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    store: Store,
    events: EventBus,
    /// Held for the engine's life: one engine per data directory.
    _lock: File,
}

impl Engine {
    pub async fn open(config: EngineConfig) -> Result<Self> {
        let data_dir = config.data_dir;
        create_private_dir(&data_dir)?;
        let lock = lock_data_dir(&data_dir)?;
        let store = Store::open(&data_dir.join("sparkdeck.db")).await?;
        let engine = Self { inner: Arc::new(Inner { data_dir, store, events: EventBus::new(), _lock: lock }) };
        engine.ensure_default_cluster().await?;
        tracing::info!(data_dir = %engine.data_dir().display(), "engine open");
        Ok(engine)
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Every change, after it is committed. Lagging receivers miss events (and are told).
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn publish(&self, event: EngineEvent) {
        self.inner.events.publish(event);
    }

    /// Threads of a local cluster when none are given: every core.
    pub(crate) fn default_threads(&self) -> u32 {
        std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(1))
    }
}

/// The data directory holds secrets and the API token: owner-only.
fn create_private_dir(dir: &Path) -> Result<()> {
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
fn lock_data_dir(dir: &Path) -> Result<File> {
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
