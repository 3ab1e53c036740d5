//! The [`Engine`] handle: the store, the event bus and the data directory, shared by every
//! operation, and the live state of each concern (owned by its own module: `jobs::live`,
//! `groups::live`, …). Operations live in their folders as `impl Engine` blocks; this
//! file is the one place that puts them together.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{broadcast, oneshot};

use crate::config::EngineConfig;
use crate::data_dir::{create_private_dir, lock_data_dir, make_database_private};
use crate::error::Result;
use crate::events::{EngineEvent, EventBus};
use crate::groups::agent_client::DriverHttp;
use crate::groups::live::LiveGroups;
use crate::groups::{GroupLocks, JarWatches};
use crate::jobs::live::RunningJobs;
use crate::jobs::logs::LogIndexes;
use crate::model::cluster::Cluster;
use crate::model::group::JobInstance;
use crate::model::job::JobRecord;
use crate::runtime::local::LocalRuntime;
use crate::runtime::{self, ClusterRuntime};
use crate::spark_env::{SparkEnv, SparkSources};
use crate::store::Store;

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
    pub(crate) running: RunningJobs,
    /// Line indexes of the logs read so far, by path.
    pub(crate) log_indexes: LogIndexes,
    /// The live state of every supervised group, by id.
    pub(crate) groups: LiveGroups,
    /// One writer per group: changes of a group hold its lock.
    pub(crate) group_locks: GroupLocks,
    /// Watches of groups' local jar files, by group id.
    pub(crate) jar_watches: Mutex<JarWatches>,
    /// Callers of `execute_instance` waiting for an instance to end, by instance id.
    pub(crate) instance_waiters: Mutex<HashMap<String, Vec<oneshot::Sender<Result<JobInstance>>>>>,
    /// HTTP to the driver agents.
    pub(crate) http: DriverHttp,
    /// When the queue runs next for a retry waiting for its backoff (epoch ms; 0: not set).
    pub(crate) retry_wake: std::sync::atomic::AtomicI64,
    /// The schedules' ticker (`schedules/ticker.rs`), started by `open`, stopped by `shutdown`.
    pub(crate) ticker: crate::schedules::Ticker,
    /// Each schedule's next run times, kept until the first of them passes.
    pub(crate) next_runs: crate::schedules::NextRuns,
    /// The Spark install's progress and its cancel (`spark_install/`).
    pub(crate) spark_install: crate::spark_install::SparkInstaller,
    /// Spark's History Server over the jobs' event logs, while one runs (`history/`).
    pub(crate) history: crate::history::HistoryServer,
    /// Set by [`Engine::shutdown`]: nothing is launched any more.
    shutting_down: AtomicBool,
    /// The runtime every cluster uses instead of its own (the scripted test runtime).
    runtime_override: Option<Arc<dyn ClusterRuntime>>,
    /// Held for the engine's life: one engine per data directory.
    _lock: File,
}

impl Engine {
    pub async fn open(config: EngineConfig) -> Result<Self> {
        Self::open_on(config, None).await
    }

    /// An engine whose every cluster runs on the scripted test runtime.
    #[cfg(feature = "testing")]
    pub async fn open_with_runtime(config: EngineConfig, runtime: crate::testing::ScriptedRuntime) -> Result<Self> {
        Self::open_on(config, Some(Arc::new(runtime))).await
    }

    async fn open_on(config: EngineConfig, runtime_override: Option<Arc<dyn ClusterRuntime>>) -> Result<Self> {
        config.validate()?;
        let data_dir = &config.data_dir;
        create_private_dir(data_dir)?;
        let lock = lock_data_dir(data_dir)?;
        let database = data_dir.join("sparkdeck.db");
        make_database_private(&database)?;
        let store = Store::open(&database, config.db_busy_timeout).await?;
        let engine = Self {
            inner: Arc::new(Inner {
                config,
                store,
                events: EventBus::new(),
                runtimes: Mutex::new(HashMap::new()),
                spark_env: tokio::sync::Mutex::new(None),
                dispatch_lock: tokio::sync::Mutex::new(()),
                artifact_lock: tokio::sync::Mutex::new(()),
                running: RunningJobs::default(),
                log_indexes: LogIndexes::default(),
                groups: LiveGroups::default(),
                group_locks: GroupLocks::default(),
                jar_watches: Mutex::new(HashMap::new()),
                instance_waiters: Mutex::new(HashMap::new()),
                http: DriverHttp::new(),
                runtime_override,
                shutting_down: AtomicBool::new(false),
                retry_wake: std::sync::atomic::AtomicI64::new(0),
                ticker: crate::schedules::Ticker::default(),
                next_runs: crate::schedules::NextRuns::default(),
                spark_install: crate::spark_install::SparkInstaller::default(),
                history: crate::history::HistoryServer::default(),
                _lock: lock,
            }),
        };
        // One engine per data directory (locked): nothing of a previous one is in progress.
        engine.remove_stale_uploads();
        crate::spark_install::remove_incomplete(engine.data_dir());
        crate::runtime::local::remove_abandoned_venv_builds(&engine.data_dir().join(crate::runtime::local::VENVS_DIR));
        crate::runtime::local::remove_abandoned_venv_builds(&engine.data_dir().join(crate::runtime::local::PACKAGES_DIR));
        engine.ensure_default_cluster().await?;
        engine.recover_jobs().await?;
        engine.recover_groups().await?;
        engine.dispatch().await;
        engine.start_ticker();
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
        if let Some(runtime) = &self.inner.runtime_override {
            return Ok(runtime.clone());
        }
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
        if let Some(runtime) = &self.inner.runtime_override {
            return runtime.clone();
        }
        match self.store().cluster_by_id(&record.cluster_id).await {
            Ok(Some(cluster)) => self.runtime_for(&cluster).unwrap_or_else(|_| Arc::new(LocalRuntime)),
            _ => Arc::new(LocalRuntime),
        }
    }

    /// Stops launching, for a process about to exit: no queued job starts and no group
    /// driver is started or replaced any more. What runs keeps running (the next engine on
    /// this data directory re-attaches to it); a launch under way still completes. The
    /// schedules' ticker stops: times due from now on are the next engine's to catch up.
    /// The History Server, which only serves this engine, is stopped.
    pub fn shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        self.inner.ticker.stop();
        self.inner.history.stop();
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::SeqCst)
    }

    /// A handle that does not keep the engine alive (for background tasks).
    pub(crate) fn downgrade(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(weak: &Weak<Inner>) -> Option<Self> {
        weak.upgrade().map(|inner| Self { inner })
    }

    /// Java and Spark for local jobs, found on first use (the order: `spark_env.rs`).
    pub async fn spark_env(&self) -> std::result::Result<SparkEnv, String> {
        let mut cached = self.inner.spark_env.lock().await;
        if let Some(env) = cached.as_ref() {
            return Ok(env.clone());
        }
        let sources = SparkSources { configured: self.settings().spark.folder, data_dir: Some(self.data_dir().to_path_buf()) };
        let env = tokio::task::spawn_blocking(move || crate::spark_env::discover_in(&sources))
            .await
            .map_err(|e| format!("the Spark look-up failed: {e}"))??;
        *cached = Some(env.clone());
        Ok(env)
    }

    /// Looks for Spark again on next use (a folder was picked, Spark was installed).
    pub(crate) async fn forget_spark_env(&self) {
        *self.inner.spark_env.lock().await = None;
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
