//! The [`Engine`] handle: the store, the event bus and the data directory, shared by every
//! operation. Operations live in their own modules as `impl Engine` blocks.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{broadcast, oneshot};

use crate::driver_client::DriverHttp;
use crate::error::{EngineError, Result};
use crate::group_supervisor::GroupLive;
use crate::events::{EngineEvent, EventBus};
use crate::jobs::Running;
use crate::logs::LineIndex;
use crate::model::group::JobInstance;
use crate::model::cluster::Cluster;
use crate::model::job::JobRecord;
use crate::runtime::{self, ClusterRuntime};
use crate::runtime::local::LocalRuntime;
use crate::spark_env::SparkEnv;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    /// The most bytes one submit may upload (all its files together).
    pub max_upload_bytes: u64,
    /// Jobs that run at once on one local cluster; the rest wait in SUBMITTED.
    pub local_concurrency: usize,
    /// Jobs that run at once on one standalone or Kubernetes cluster: their drivers run
    /// there (except Python jobs in client mode) and the cluster queues what it cannot place.
    pub remote_concurrency: usize,
    /// The most lines one `GET /job/{id}/logs` returns per log.
    pub max_log_lines: u64,
    /// How long a stopped job gets to end after SIGTERM before it is killed.
    pub stop_grace: Duration,
    /// The most drivers one group may have.
    pub max_scale: u32,
    /// Requests that may wait per group while all its drivers are busy.
    pub max_queue: usize,
    /// How long a request may wait for a free driver before it fails.
    pub queue_timeout: Duration,
    /// The largest `code` a request may carry, in bytes.
    pub max_code_bytes: usize,
    /// How long a driver may take to become READY before it is stopped and replaced.
    pub driver_ready_timeout: Duration,
}

impl EngineConfig {
    /// Resolves the data directory as [`crate::data_dir::resolve`] does; the limits get
    /// their defaults.
    pub fn new(data_dir: Option<PathBuf>) -> Self {
        Self {
            data_dir: crate::data_dir::resolve(data_dir),
            max_upload_bytes: crate::limits::MAX_UPLOAD_BYTES,
            local_concurrency: 2,
            remote_concurrency: 8,
            max_log_lines: crate::limits::MAX_LOG_LINES,
            stop_grace: Duration::from_secs(10),
            max_scale: crate::limits::MAX_SCALE,
            max_queue: crate::limits::MAX_QUEUE,
            queue_timeout: Duration::from_secs(300),
            max_code_bytes: crate::limits::MAX_CODE_BYTES,
            driver_ready_timeout: Duration::from_secs(300),
        }
    }
}

type RuntimeCache = HashMap<String, (i64, Arc<dyn ClusterRuntime>)>;

/// A cheap, cloneable handle on one running engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: EngineConfig,
    store: Store,
    events: EventBus,
    /// Each cluster's runtime, built on first use and rebuilt when the cluster changes:
    /// by cluster id, with the cluster's `updated_time` it was built from.
    runtimes: Mutex<RuntimeCache>,
    /// The Spark environment, once found (a failed look-up is retried on the next use).
    spark_env: tokio::sync::Mutex<Option<SparkEnv>>,
    /// Serialises launching queued jobs, so a cluster's limit holds.
    pub(crate) dispatch_lock: tokio::sync::Mutex<()>,
    /// Serialises storing and removing artifacts, so one submit cannot link a file that a
    /// delete is removing.
    pub(crate) artifact_lock: tokio::sync::Mutex<()>,
    /// Jobs this engine follows, by id.
    pub(crate) running: Mutex<HashMap<String, Arc<Running>>>,
    /// Line indexes of the logs read so far, by path.
    pub(crate) log_indexes: Mutex<HashMap<PathBuf, LineIndex>>,
    /// The live state of every supervised group, by id.
    pub(crate) groups: Mutex<HashMap<String, Arc<GroupLive>>>,
    /// Watches of groups' local jar files, by group id.
    pub(crate) jar_watches: Mutex<crate::jar_watch::JarWatches>,
    /// Callers of `execute_instance` waiting for an instance to end, by instance id.
    pub(crate) instance_waiters: Mutex<HashMap<String, Vec<oneshot::Sender<JobInstance>>>>,
    /// HTTP to the driver agents.
    pub(crate) http: DriverHttp,
    /// Held for the engine's life: one engine per data directory.
    _lock: File,
}

impl Engine {
    pub async fn open(config: EngineConfig) -> Result<Self> {
        let data_dir = &config.data_dir;
        create_private_dir(data_dir)?;
        let lock = lock_data_dir(data_dir)?;
        let store = Store::open(&data_dir.join("sparkdeck.db")).await?;
        let engine = Self {
            inner: Arc::new(Inner {
                config,
                store,
                events: EventBus::new(),
                runtimes: Mutex::new(HashMap::new()),
                spark_env: tokio::sync::Mutex::new(None),
                dispatch_lock: tokio::sync::Mutex::new(()),
                artifact_lock: tokio::sync::Mutex::new(()),
                running: Mutex::new(HashMap::new()),
                log_indexes: Mutex::new(HashMap::new()),
                groups: Mutex::new(HashMap::new()),
                jar_watches: Mutex::new(HashMap::new()),
                instance_waiters: Mutex::new(HashMap::new()),
                http: DriverHttp::new(),
                _lock: lock,
            }),
        };
        engine.ensure_default_cluster().await?;
        engine.recover_jobs().await?;
        engine.recover_groups().await?;
        engine.dispatch().await;
        tracing::info!(data_dir = %engine.data_dir().display(), "engine open");
        Ok(engine)
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The runtime that runs a cluster's drivers.
    pub(crate) fn runtime_for(&self, cluster: &Cluster) -> Result<Arc<dyn ClusterRuntime>> {
        let mut runtimes = self.inner.runtimes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((built, runtime)) = runtimes.get(&cluster.id)
            && *built == cluster.updated_time
        {
            return Ok(runtime.clone());
        }
        let runtime = runtime::for_cluster(cluster)?;
        runtimes.insert(cluster.id.clone(), (cluster.updated_time, runtime.clone()));
        Ok(runtime)
    }

    /// The runtime that runs a job's driver. A job whose cluster is gone (or cannot be
    /// run any more) is followed by the local runtime, which knows local processes and
    /// reports any other driver as lost.
    pub(crate) async fn job_runtime(&self, record: &JobRecord) -> Arc<dyn ClusterRuntime> {
        match self.store().cluster_by_id(&record.cluster_id).await {
            Ok(Some(cluster)) => self.runtime_for(&cluster).unwrap_or_else(|_| Arc::new(LocalRuntime)),
            _ => Arc::new(LocalRuntime),
        }
    }

    /// A handle that does not keep the engine alive (for background tasks).
    pub(crate) fn downgrade(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(weak: &Weak<Inner>) -> Option<Self> {
        weak.upgrade().map(|inner| Self { inner })
    }

    /// Java and Spark for local jobs, found on first use.
    pub async fn spark_env(&self) -> std::result::Result<SparkEnv, String> {
        let mut cached = self.inner.spark_env.lock().await;
        if let Some(env) = cached.as_ref() {
            return Ok(env.clone());
        }
        let env = tokio::task::spawn_blocking(crate::spark_env::discover)
            .await
            .map_err(|e| format!("the Spark look-up failed: {e}"))??;
        *cached = Some(env.clone());
        Ok(env)
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
