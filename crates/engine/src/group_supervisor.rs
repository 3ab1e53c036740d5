//! Keeping a group's drivers alive. Each ACTIVE group has one supervisor task that, every
//! [`TICK`] or when woken: notices drivers that ended (the runtime's liveness: process
//! and exit-code file) and fails their in-flight request; attaches to drivers that became
//! ready (the runtime's agent endpoint — the info file's port, or a port-forward to a pod —
//! and health with the driver's secret → READY); health-checks idle ones;
//! launches drivers until the group is back to its target, and retires extra ones (idle
//! first, busy ones once their request is answered); expires queued requests.
//!
//! The live state of a group ([`GroupLive`]) is in memory behind a std mutex that is never
//! held across an await; the store stays the record of every change.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::RngCore;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::driver_client::{DriverConn, DriverInfo};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::jobs::{DRIVER_INFO, ERROR_TAIL_BYTES};
use crate::logs;
use crate::model::group::{GroupRecord, InstanceError, JobInstance};
use crate::model::job::{Job, JobRecord, JobSpec, JobState, JobType, Language};
use crate::model::secret::Secret;
use crate::runtime::{ClusterRuntime, DRIVER_STDERR, DRIVER_STDOUT, DriverRef, Exit, Liveness};
use crate::time::now_ms;

/// How often a supervisor looks at its drivers when nothing wakes it.
pub(crate) const TICK: Duration = Duration::from_millis(250);
/// How often an idle driver is asked for its health, and how many misses end it.
const HEALTH_EVERY: Duration = Duration::from_secs(5);
const HEALTH_MISSES: u32 = 3;
/// Longest wait before relaunching after drivers failed to start (doubling from 1 s).
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What instance events and the dispatcher need to know about a group.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) name: String,
    pub(crate) cluster_name: String,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) language: Language,
}

pub(crate) struct GroupLive {
    pub(crate) id: String,
    pub(crate) wake: Notify,
    state: Mutex<LiveState>,
}

pub(crate) struct LiveState {
    pub(crate) scope: Scope,
    /// Drivers wanted now: the scale, or 0 while paused or archived.
    pub(crate) target: u32,
    /// The supervisor ends once no driver is left (the group was stopped or deleted).
    pub(crate) closing: bool,
    pub(crate) drivers: BTreeMap<String, DriverLive>,
    pub(crate) queue: VecDeque<Queued>,
    /// Instances whose cancel was asked while a driver ran them.
    pub(crate) cancels: HashSet<String>,
    /// The group's jars now; drivers launched with others are replaced (`jar_watch.rs`).
    pub(crate) jars: Vec<String>,
    failures: u32,
    next_launch: Instant,
}

pub(crate) struct DriverLive {
    pub(crate) record: JobRecord,
    /// The runtime of the cluster it was launched on.
    runtime: Arc<dyn ClusterRuntime>,
    /// Set once the agent answered its health check as READY.
    pub(crate) conn: Option<DriverConn>,
    /// The instance it runs.
    pub(crate) running: Option<String>,
    /// Leaves once its request is answered (rescale down).
    pub(crate) retiring: bool,
    /// Why it is being stopped, once a stop was asked (its end is then expected).
    pub(crate) stop_reason: Option<String>,
    /// A request it ran before Sparkdeck restarted: cancelled when it is reached.
    pub(crate) orphan: Option<String>,
    launched: Instant,
    last_health: Instant,
    health_misses: u32,
}

/// What one pass of the supervisor reads about a driver (copied out of the lock).
struct Snapshot {
    id: String,
    handle: DriverHandle,
    stopping: bool,
    conn: Option<DriverConn>,
    launched: Instant,
    idle: bool,
    last_health: Instant,
}

pub(crate) struct Queued {
    pub(crate) instance: JobInstance,
    pub(crate) deadline: Instant,
}

impl GroupLive {
    pub(crate) fn new(record: &GroupRecord) -> Arc<Self> {
        let g = &record.group;
        Arc::new(Self {
            id: g.id.clone(),
            wake: Notify::new(),
            state: Mutex::new(LiveState {
                scope: Scope {
                    name: g.name.clone(),
                    cluster_name: g.cluster_name.clone(),
                    tags: g.tags.clone(),
                    language: g.language,
                },
                target: wanted(record),
                closing: false,
                drivers: BTreeMap::new(),
                queue: VecDeque::new(),
                cancels: HashSet::new(),
                jars: jar_shas(&record.spec),
                failures: 0,
                next_launch: Instant::now(),
            }),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, LiveState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Drivers a stored group should have running.
pub(crate) fn wanted(record: &GroupRecord) -> u32 {
    let g = &record.group;
    if g.state == crate::model::group::GroupState::Active && !g.paused { g.scale } else { 0 }
}

/// Stops an idle driver (returned, to stop once the lock is released) or marks a busy one
/// to leave once its request is answered.
fn retire_driver(state: &mut LiveState, id: &str, reason: &str) -> Option<(String, DriverHandle)> {
    let d = state.drivers.get_mut(id)?;
    if d.running.is_some() {
        d.retiring = true;
        return None;
    }
    d.stop_reason = Some(reason.to_string());
    d.handle().map(|h| (id.to_string(), h))
}

/// A launched driver and the runtime that can poll and stop it.
#[derive(Clone)]
pub(crate) struct DriverHandle {
    pub(crate) driver: DriverRef,
    pub(crate) runtime: Arc<dyn ClusterRuntime>,
}

/// The content hashes of a spec's jars, in order.
pub(crate) fn jar_shas(spec: &JobSpec) -> Vec<String> {
    spec.jars.iter().map(|j| j.sha256.clone()).collect()
}

impl LiveState {
    /// Drivers that count towards the target: not stopping, not retiring, and launched
    /// with the group's current jars.
    fn serving(&self) -> usize {
        self.drivers.values().filter(|d| d.stop_reason.is_none() && !d.retiring && !self.outdated(d)).count()
    }

    /// Launched with jars the group no longer has (a watched jar was rebuilt since).
    fn outdated(&self, d: &DriverLive) -> bool {
        !d.record.spec.jars.iter().map(|j| &j.sha256).eq(self.jars.iter())
    }
}

impl DriverLive {
    pub(crate) fn handle(&self) -> Option<DriverHandle> {
        self.record.driver.clone().map(|driver| DriverHandle { driver, runtime: self.runtime.clone() })
    }

    pub(crate) fn attached(record: JobRecord, runtime: Arc<dyn ClusterRuntime>) -> Self {
        let now = Instant::now();
        Self {
            record,
            runtime,
            conn: None,
            running: None,
            retiring: false,
            stop_reason: None,
            orphan: None,
            launched: now,
            last_health: now,
            health_misses: 0,
        }
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.conn.is_some() && self.running.is_none() && !self.retiring && self.stop_reason.is_none()
    }
}

impl Engine {
    pub(crate) fn group_live(&self, id: &str) -> Option<Arc<GroupLive>> {
        self.inner().groups.lock().ok().and_then(|m| m.get(id).cloned())
    }

    /// Starts supervising a group (once).
    pub(crate) fn supervise(&self, live: Arc<GroupLive>) {
        if let Ok(mut map) = self.inner().groups.lock() {
            if map.contains_key(&live.id) {
                return;
            }
            map.insert(live.id.clone(), live.clone());
        }
        let weak = self.downgrade();
        tokio::spawn(async move {
            loop {
                let Some(engine) = Engine::upgrade(&weak) else { return };
                engine.supervise_once(&live).await;
                let done = {
                    let state = live.lock();
                    state.closing && state.drivers.is_empty()
                };
                if done {
                    if let Ok(mut map) = engine.inner().groups.lock()
                        && map.get(&live.id).is_some_and(|l| Arc::ptr_eq(l, &live))
                    {
                        map.remove(&live.id);
                    }
                    return;
                }
                drop(engine);
                tokio::select! {
                    () = live.wake.notified() => {}
                    () = tokio::time::sleep(TICK) => {}
                }
            }
        });
    }

    async fn supervise_once(&self, live: &Arc<GroupLive>) {
        let drivers: Vec<Snapshot> = {
            let state = live.lock();
            state
                .drivers
                .iter()
                .filter_map(|(id, d)| {
                    d.handle().map(|handle| Snapshot {
                        id: id.clone(),
                        handle,
                        stopping: d.stop_reason.is_some(),
                        conn: d.conn.clone(),
                        launched: d.launched,
                        idle: d.running.is_none(),
                        last_health: d.last_health,
                    })
                })
                .collect()
        };
        for Snapshot { id, handle, stopping, conn, launched, idle, last_health } in drivers {
            let dir = self.job_dir(&id);
            if let Liveness::Ended(exit) = handle.runtime.poll(&handle.driver, &dir).await {
                self.driver_ended(live, &id, exit).await;
                continue;
            }
            if stopping {
                continue;
            }
            match conn {
                None => self.try_attach(live, &id, launched).await,
                Some(conn) if idle && last_health.elapsed() >= HEALTH_EVERY => {
                    let healthy = conn.health(&self.inner().http).await.is_ok();
                    let mut state = live.lock();
                    if let Some(d) = state.drivers.get_mut(&id) {
                        d.last_health = Instant::now();
                        d.health_misses = if healthy { 0 } else { d.health_misses + 1 };
                        if d.health_misses >= HEALTH_MISSES {
                            d.stop_reason = Some(format!("the driver did not answer {HEALTH_MISSES} health checks"));
                            drop(state);
                            self.stop_driver(live, &id, handle);
                        }
                    }
                }
                Some(_) => {}
            }
        }
        self.expire_queue(live).await;
        if let Err(e) = self.reconcile(live).await {
            tracing::error!(group = %live.id, error = %e, "cannot keep the group at its scale");
        }
        self.dispatch_group(live);
    }

    /// A driver whose agent can be reached (its runtime's endpoint: the info file, or a
    /// port-forward) and answers READY becomes READY.
    async fn try_attach(&self, live: &Arc<GroupLive>, id: &str, launched: Instant) {
        let dir = self.job_dir(id);
        let (secret, handle, orphan) = {
            let state = live.lock();
            let Some(d) = state.drivers.get(id) else { return };
            (d.record.spec.driver_secret.clone().unwrap_or_default(), d.handle(), d.orphan.clone())
        };
        let port = match &handle {
            Some(h) => h.runtime.agent_endpoint(&h.driver, &dir).await,
            None => None,
        };
        let Some(port) = port else {
            if launched.elapsed() > self.config().driver_ready_timeout {
                if let Some(d) = live.lock().drivers.get_mut(id) {
                    d.stop_reason = Some(format!(
                        "the driver did not become ready within {} s",
                        self.config().driver_ready_timeout.as_secs()
                    ));
                }
                if let Some(handle) = handle {
                    self.stop_driver(live, id, handle);
                }
            }
            return;
        };
        let conn = DriverConn::new(port, &secret);
        let Ok(health) = conn.health(&self.inner().http).await else { return };
        if health.state != "READY" {
            // Still running a request from before a restart: cancel it once, then wait.
            if let Some(request) = orphan {
                let _ = conn.cancel(&self.inner().http, &request).await;
                if let Some(d) = live.lock().drivers.get_mut(id) {
                    d.orphan = None;
                }
            }
            return;
        }
        let record = {
            let mut state = live.lock();
            let Some(d) = state.drivers.get_mut(id) else { return };
            if d.stop_reason.is_some() {
                return;
            }
            d.conn = Some(conn);
            d.last_health = Instant::now();
            d.record.job.app_id = health.app_id.or_else(|| DriverInfo::read(&dir.join(DRIVER_INFO)).and_then(|i| i.app_id));
            d.record.job.state = JobState::Ready;
            state.failures = 0;
            state.drivers.get(id).map(|d| d.record.clone())
        };
        if let Some(record) = record {
            tracing::info!(group = %live.id, driver = id, "driver ready");
            if let Err(e) = self.save_active(&record).await {
                tracing::error!(driver = id, error = %e, "cannot record a ready driver");
            }
        }
    }

    /// Records the end of a driver, fails the request it ran, and frees its processes.
    async fn driver_ended(&self, live: &Arc<GroupLive>, id: &str, exit: Exit) {
        let Some(driver) = live.lock().drivers.remove(id) else { return };
        let dir = self.job_dir(id);
        let exit = describe_exit(&exit);
        let mut record = driver.record;
        record.job.end_time = now_ms();
        let instance_error = match &driver.stop_reason {
            Some(reason) => {
                record.job.state = JobState::Finished;
                InstanceError::new(format!("{reason} while this request ran"))
            }
            None => {
                let summary = [dir.join(DRIVER_STDOUT), dir.join(DRIVER_STDERR)]
                    .iter()
                    .find_map(|p| logs::error_summary(&logs::tail_text(p, ERROR_TAIL_BYTES)));
                let mut message = format!("the driver process ended unexpectedly ({exit})");
                if let Some(summary) = summary {
                    message.push_str(&format!(": {summary}"));
                }
                record.job.state = JobState::Failed;
                record.job.error = Some(message.clone());
                let mut state = live.lock();
                if driver.conn.is_none() {
                    // It never got ready: back off before trying again.
                    state.failures += 1;
                    let backoff = Duration::from_secs(1 << state.failures.min(6)).min(MAX_BACKOFF);
                    state.next_launch = Instant::now() + backoff;
                }
                let mut error = InstanceError::new(format!(
                    "the driver {id} ended while running this request ({exit}); a replacement is being started"
                ));
                error.stack_trace = logs::tail_text(&dir.join(DRIVER_STDERR), 8 * 1024);
                error
            }
        };
        tracing::info!(group = %live.id, driver = id, state = record.job.state.as_str(), %exit, "driver ended");
        if let Err(e) = self.save_active(&record).await {
            tracing::error!(driver = id, error = %e, "cannot record the end of a driver");
        }
        if let Some(instance) = driver.running {
            self.fail_instance(live, &instance, instance_error).await;
        }
        live.wake.notify_one();
    }

    /// Stops a driver in the background; its end is noticed (and recorded) by the
    /// supervisor. Set the driver's `stop_reason` first.
    pub(crate) fn stop_driver(&self, live: &Arc<GroupLive>, id: &str, handle: DriverHandle) {
        let weak = self.downgrade();
        let live = live.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let Some(engine) = Engine::upgrade(&weak) else { return };
            let grace = engine.config().stop_grace;
            drop(engine);
            if let Err(e) = handle.runtime.stop(&handle.driver, grace).await {
                tracing::error!(driver = id, error = %e, "cannot stop a driver");
            }
            live.wake.notify_one();
        });
    }

    /// Stops every driver of a group (pause, stop, restart, delete) and fails what is
    /// queued, all with `reason`.
    pub(crate) async fn halt_drivers(&self, live: &Arc<GroupLive>, reason: &str) {
        let (stops, queued) = {
            let mut state = live.lock();
            let mut stops = Vec::new();
            for (id, d) in &mut state.drivers {
                if d.stop_reason.is_none() {
                    d.stop_reason = Some(reason.to_string());
                    if let Some(handle) = d.handle() {
                        stops.push((id.clone(), handle));
                    }
                }
            }
            (stops, state.queue.drain(..).map(|q| q.instance).collect::<Vec<_>>())
        };
        for (id, handle) in stops {
            self.stop_driver(live, &id, handle);
        }
        for instance in queued {
            self.fail_instance(live, &instance.job_instance_id, InstanceError::new(format!("{reason} before this request ran")))
                .await;
        }
        live.wake.notify_one();
    }

    /// Launches or retires drivers until the group has its target. After a jar was
    /// rebuilt, the drivers with the old jars keep serving until as many new ones as the
    /// target are READY; then they retire (idle ones at once, busy ones once answered).
    async fn reconcile(&self, live: &Arc<GroupLive>) -> Result<()> {
        let (missing, retire) = {
            let mut state = live.lock();
            let serving = state.serving();
            let target = state.target as usize;
            let mut stops = Vec::new();
            let ready = state.drivers.values().filter(|d| d.conn.is_some() && d.stop_reason.is_none() && !d.retiring && !state.outdated(d)).count();
            if ready >= target {
                let old: Vec<String> = state
                    .drivers
                    .iter()
                    .filter(|(_, d)| d.stop_reason.is_none() && !d.retiring && state.outdated(d))
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in old {
                    stops.extend(retire_driver(&mut state, &id, "the driver was replaced after its jar was rebuilt"));
                }
            }
            if serving > target {
                // Retire idle drivers first (those not ready yet count as idle), then busy ones.
                let mut extra: Vec<(bool, String)> = state
                    .drivers
                    .iter()
                    .filter(|(_, d)| d.stop_reason.is_none() && !d.retiring && !state.outdated(d))
                    .map(|(id, d)| (d.running.is_some(), id.clone()))
                    .collect();
                extra.sort();
                for (_, id) in extra.into_iter().take(serving - target) {
                    stops.extend(retire_driver(&mut state, &id, "the group was scaled down"));
                }
                (0, stops)
            } else if serving < target && !state.closing && Instant::now() >= state.next_launch {
                (target - serving, stops)
            } else {
                (0, stops)
            }
        };
        for (id, handle) in retire {
            tracing::info!(group = %live.id, driver = id, "retiring driver");
            self.stop_driver(live, &id, handle);
        }
        if missing == 0 {
            return Ok(());
        }
        let group = self.store().group_by_id(&live.id).await?.ok_or_else(|| EngineError::not_found("group", &live.id))?;
        for _ in 0..missing {
            self.launch_driver(live, &group).await?;
        }
        Ok(())
    }

    /// Starts one driver for a group: a job row (INTERACTIVE, STARTING), its files linked
    /// into its directory, then `spark-submit` of the agent through the runtime.
    async fn launch_driver(&self, live: &Arc<GroupLive>, group: &GroupRecord) -> Result<()> {
        let g = &group.group;
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let mut spec = group.spec.clone();
        spec.driver_secret = Some(Secret::new(hex::encode(secret)));
        let now = now_ms();
        let mut record = JobRecord {
            job: Job {
                job_id: Uuid::new_v4().to_string(),
                group_id: Some(g.id.clone()),
                job_name: format!("{} driver", g.name),
                job_type: JobType::Interactive,
                tags: g.tags.clone(),
                language: g.language,
                cluster_name: g.cluster_name.clone(),
                app_id: None,
                state: JobState::Starting,
                error: None,
                submit_time: now,
                start_time: now,
                end_time: 0,
            },
            cluster_id: group.cluster_id.clone(),
            spec,
            driver: None,
        };
        let id = record.job.job_id.clone();
        let dir = self.job_dir(&id);
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            for (sub, refs) in [("jars", &record.spec.jars), ("files", &record.spec.files), ("pyfiles", &record.spec.py_files)] {
                for artifact in refs {
                    self.link_artifact(artifact, &dir.join(sub))?;
                }
            }
            self.store().insert_job(&record).await?;
        }
        self.publish(EngineEvent::JobChanged { job: record.job.clone() });
        let launched = match self.store().cluster_by_id(&group.cluster_id).await? {
            None => Err(format!("its cluster '{}' no longer exists", g.cluster_name)),
            Some(cluster) => self.launch_on(&record, &cluster).await.map_err(|e| e.to_string()),
        };
        match launched {
            Ok((launched, runtime)) => {
                record.driver = Some(launched.driver.clone());
                self.save_active(&record).await?;
                tracing::info!(group = %g.id, driver = id, handle = ?launched.driver, "driver launched");
                live.lock().drivers.insert(id, DriverLive::attached(record, runtime));
                if let Some(mut child) = launched.child {
                    let live = live.clone();
                    tokio::spawn(async move {
                        let _ = child.wait().await;
                        live.wake.notify_one();
                    });
                }
            }
            Err(error) => {
                tracing::warn!(group = %g.id, driver = id, error, "cannot launch driver");
                record.job.state = JobState::Failed;
                record.job.error = Some(error);
                record.job.end_time = now_ms();
                self.save_active(&record).await?;
                let mut state = live.lock();
                state.failures += 1;
                state.next_launch = Instant::now() + Duration::from_secs(1 << state.failures.min(6)).min(MAX_BACKOFF);
            }
        }
        Ok(())
    }

    /// Fails queued requests that waited longer than the queue timeout.
    async fn expire_queue(&self, live: &Arc<GroupLive>) {
        let now = Instant::now();
        let expired: Vec<JobInstance> = {
            let mut state = live.lock();
            let (gone, kept): (VecDeque<Queued>, VecDeque<Queued>) = state.queue.drain(..).partition(|q| q.deadline <= now);
            state.queue = kept;
            gone.into_iter().map(|q| q.instance).collect()
        };
        let wait = self.config().queue_timeout.as_secs();
        for instance in expired {
            let error = InstanceError::new(format!("no driver of the group was free within {wait} s (the queue timeout)"));
            self.fail_instance(live, &instance.job_instance_id, error).await;
        }
    }
}

/// How a driver ended, in a few words for messages.
pub(crate) fn describe_exit(exit: &Exit) -> String {
    match exit {
        Exit::Code(Some(c)) => format!("exit code {c}"),
        Exit::Code(None) => "killed".into(),
        Exit::Reported(Ok(())) => "finished".into(),
        Exit::Reported(Err(reason)) => reason.clone(),
    }
}
