//! The live state of a supervised group: its drivers, its queue of requests, the cancels
//! asked while a driver runs one. It lives in memory behind a std mutex that is never held
//! across an await (the store stays the record of every change), and it has one writer:
//! the methods below. Requests, the supervisor and the jar watcher say what happened
//! (`assign_next`, `release`, `attach`, `retire`, `enqueue`, …); how the fields change
//! stays in this file.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use crate::model::group::{GroupRecord, GroupState, JobInstance};
use crate::model::job::{JobRecord, JobSpec, JobState, Language};
use crate::model::secret::Secret;
use crate::runtime::spark_ui::UiSearch;

mod driver;
mod registry;

use super::agent_client::DriverConn;
use super::scale::{DriverView, ScalePlan, plan_scale};

pub(crate) use driver::{DriverHandle, DriverLive};
pub(crate) use registry::LiveGroups;

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
    scope: Scope,
    /// Drivers wanted now: the scale, or 0 while paused or archived.
    target: u32,
    /// The supervisor ends once no driver is left (the group was archived or deleted).
    closing: bool,
    /// The supervisor has ended: changes go to a new one.
    ended: bool,
    drivers: BTreeMap<String, DriverLive>,
    queue: VecDeque<Queued>,
    /// Instances whose cancel was asked while a driver ran them.
    cancels: HashSet<String>,
    /// The group's jars now; drivers launched with others are replaced (`jar_watch.rs`).
    jars: Vec<String>,
    failures: u32,
    next_launch: Instant,
    /// The group pauses itself once idle (`auto_pause.rs`).
    auto_pause: bool,
    /// Since when nothing was queued or running (or the group last changed).
    idle_since: Instant,
    /// The supervisor has started an auto-pause for this idle spell.
    auto_pause_asked: bool,
}

/// What one pass of the supervisor reads about a driver (copied out of the lock).
pub(crate) struct Snapshot {
    pub(crate) id: String,
    pub(crate) handle: DriverHandle,
    pub(crate) stopping: bool,
    pub(crate) conn: Option<DriverConn>,
    pub(crate) launched: Instant,
    /// Idle and due for a health check.
    pub(crate) health_due: bool,
    /// Its Spark UI search while it goes on, and whether the app id is known.
    pub(crate) ui: Option<(UiSearch, bool)>,
}

/// What attaching to a driver's agent needs.
pub(crate) struct AttachInfo {
    pub(crate) secret: Secret,
    pub(crate) handle: Option<DriverHandle>,
    pub(crate) orphan: Option<String>,
}

/// A request handed to a driver.
pub(crate) struct Assigned {
    pub(crate) driver: JobRecord,
    pub(crate) conn: DriverConn,
    pub(crate) instance: JobInstance,
    pub(crate) language: Language,
    /// How long it may run.
    pub(crate) limit: Duration,
    /// A cancel or a stop of its driver while it runs; closed once the driver ended.
    pub(crate) interrupt: watch::Receiver<Interrupt>,
}

/// What happened to a running request's driver meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Interrupt {
    None,
    /// A cancel was asked: the driver has `cancel_grace` to end the request.
    Cancel,
    /// The driver is being stopped, for this reason.
    Stop(String),
}

/// A driver that was removed from the group because it ended.
pub(crate) struct Ended {
    pub(crate) record: JobRecord,
    pub(crate) stop_reason: Option<String>,
    pub(crate) running: Option<String>,
}

struct Queued {
    instance: JobInstance,
    deadline: Instant,
    /// How long it may run once a driver has it.
    limit: Duration,
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
                ended: false,
                drivers: BTreeMap::new(),
                queue: VecDeque::new(),
                cancels: HashSet::new(),
                jars: jar_shas(&record.spec),
                failures: 0,
                next_launch: Instant::now(),
                auto_pause: g.auto_pause,
                idle_since: Instant::now(),
                auto_pause_asked: false,
            }),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, LiveState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drivers a stored group should have running.
pub(crate) fn wanted(record: &GroupRecord) -> u32 {
    let g = &record.group;
    if g.state == GroupState::Active && !g.paused { g.scale } else { 0 }
}

/// The content hashes of a spec's jars, in order.
pub(crate) fn jar_shas(spec: &JobSpec) -> Vec<String> {
    spec.jars.iter().map(|j| j.sha256.clone()).collect()
}

impl LiveState {
    pub(crate) fn scope(&self) -> &Scope {
        &self.scope
    }

    /// A committed change of the group: its target, tags and autoPause (a change starts
    /// its idle time again). False when the supervisor has ended and takes no change any more.
    pub(crate) fn update(&mut self, record: &GroupRecord) -> bool {
        if self.ended {
            return false;
        }
        self.target = wanted(record);
        self.auto_pause = record.group.auto_pause;
        self.mark_active();
        self.closing = record.group.state == GroupState::Archived;
        self.scope.tags = record.group.tags.clone();
        true
    }

    /// The group is being deleted: no driver is wanted and the supervisor ends once the
    /// last one has.
    pub(crate) fn close(&mut self) {
        self.target = 0;
        self.closing = true;
    }

    /// Ends the supervisor once the group is archived or deleted and no driver is left
    /// (its queue was emptied when its drivers were halted); true once it has ended.
    pub(crate) fn end_if_done(&mut self) -> bool {
        if self.closing && self.drivers.is_empty() {
            self.ended = true;
        }
        self.ended
    }

    /// A watched jar was rebuilt: drivers with the old jars are rolled over.
    pub(crate) fn set_jars(&mut self, jars: Vec<String>) {
        self.jars = jars;
    }

    // The queue.

    pub(crate) fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Queues a request; false (and not queued) once the group is closing, whose queue
    /// nobody would serve or expire.
    pub(crate) fn enqueue(&mut self, instance: JobInstance, timeout: Duration, limit: Duration) -> bool {
        if self.closing {
            return false;
        }
        self.queue.push_back(Queued { instance, deadline: Instant::now() + timeout, limit });
        self.mark_active();
        true
    }

    /// Puts a request back first in line (its driver turned out to be busy); false as
    /// [`Self::enqueue`].
    pub(crate) fn requeue_first(&mut self, instance: JobInstance, timeout: Duration, limit: Duration) -> bool {
        if self.closing {
            return false;
        }
        self.queue.push_front(Queued { instance, deadline: Instant::now() + timeout, limit });
        true
    }

    /// Removes a queued request; false when it was not queued.
    pub(crate) fn dequeue(&mut self, instance_id: &str) -> bool {
        let before = self.queue.len();
        self.queue.retain(|q| q.instance.job_instance_id != instance_id);
        self.queue.len() != before
    }

    /// Requests that waited past their deadline, removed from the queue.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<JobInstance> {
        let (gone, kept): (VecDeque<Queued>, VecDeque<Queued>) = self.queue.drain(..).partition(|q| q.deadline <= now);
        self.queue = kept;
        gone.into_iter().map(|q| q.instance).collect()
    }

    /// Hands the oldest queued request to an idle driver, which becomes BUSY.
    pub(crate) fn assign_next(&mut self) -> Option<Assigned> {
        if self.queue.is_empty() {
            return None;
        }
        let driver = self.drivers.values_mut().find(|d| d.is_idle())?;
        let conn = driver.conn.clone()?;
        let queued = self.queue.pop_front()?;
        driver.running = Some(queued.instance.job_instance_id.clone());
        driver.record.job.state = JobState::Busy;
        let (interrupt, interrupted) = watch::channel(Interrupt::None);
        driver.interrupt = Some(interrupt);
        Some(Assigned {
            driver: driver.record.clone(),
            conn,
            instance: queued.instance,
            language: self.scope.language,
            limit: queued.limit,
            interrupt: interrupted,
        })
    }

    // Cancels.

    /// A cancel asked while a driver runs the request: the connection to ask it through.
    pub(crate) fn cancel_running(&mut self, instance_id: &str) -> Option<DriverConn> {
        self.cancels.insert(instance_id.to_string());
        let driver = self.drivers.values().find(|d| d.running.as_deref() == Some(instance_id))?;
        if let Some(interrupt) = &driver.interrupt
            && *interrupt.borrow() == Interrupt::None
        {
            interrupt.send_replace(Interrupt::Cancel);
        }
        driver.conn.clone()
    }

    /// The connection to the driver running the request, if one does.
    pub(crate) fn running_conn(&self, instance_id: &str) -> Option<DriverConn> {
        self.drivers.values().find(|d| d.running.as_deref() == Some(instance_id))?.conn.clone()
    }

    /// Whether a cancel was asked for the request (forgotten once read).
    pub(crate) fn take_cancel(&mut self, instance_id: &str) -> bool {
        self.cancels.remove(instance_id)
    }

    // Drivers.

    pub(crate) fn add_driver(&mut self, driver: DriverLive) {
        self.drivers.insert(driver.record.job.job_id.clone(), driver);
    }

    pub(crate) fn has_driver(&self, id: &str) -> bool {
        self.drivers.contains_key(id)
    }

    /// A driver that ended, out of the group. One that never got ready delays the next
    /// launch (doubling back-off).
    pub(crate) fn remove_ended(&mut self, id: &str) -> Option<Ended> {
        let driver = self.drivers.remove(id)?;
        if driver.running.is_some() {
            self.idle_since = Instant::now();
        }
        if driver.stop_reason.is_none() && driver.conn.is_none() {
            self.note_launch_failure();
        }
        Some(Ended { record: driver.record, stop_reason: driver.stop_reason, running: driver.running })
    }

    /// A launch failed: wait before the next one (1 s, doubling up to a minute).
    pub(crate) fn note_launch_failure(&mut self) {
        self.failures += 1;
        self.next_launch = Instant::now() + Duration::from_secs(1 << self.failures.min(6)).min(MAX_BACKOFF);
    }

    pub(crate) fn handle(&self, id: &str) -> Option<DriverHandle> {
        self.drivers.get(id).and_then(DriverLive::handle)
    }

    /// Whether the driver still serves the group (no stop asked).
    pub(crate) fn is_serving(&self, id: &str) -> bool {
        self.drivers.get(id).is_some_and(|d| d.stop_reason.is_none())
    }

    pub(crate) fn snapshots(&self) -> Vec<Snapshot> {
        self.drivers
            .iter()
            .filter_map(|(id, d)| {
                d.handle().map(|handle| Snapshot {
                    id: id.clone(),
                    handle,
                    stopping: d.stop_reason.is_some(),
                    conn: d.conn.clone(),
                    launched: d.launched,
                    health_due: d.running.is_none() && d.last_health.elapsed() >= HEALTH_EVERY,
                    ui: d.ui.looking().then_some((d.ui, d.record.job.app_id.is_some())),
                })
            })
            .collect()
    }

    pub(crate) fn attach_info(&self, id: &str) -> Option<AttachInfo> {
        let d = self.drivers.get(id)?;
        Some(AttachInfo { secret: d.record.spec.driver_secret.clone().unwrap_or_default(), handle: d.handle(), orphan: d.orphan.clone() })
    }

    /// The request from before a restart was cancelled on the agent.
    pub(crate) fn clear_orphan(&mut self, id: &str) {
        if let Some(d) = self.drivers.get_mut(id) {
            d.orphan = None;
        }
    }

    /// The agent answered READY: the driver takes requests. Its record as now to commit,
    /// or None when it is being stopped.
    pub(crate) fn attach(&mut self, id: &str, conn: DriverConn, app_id: Option<String>) -> Option<JobRecord> {
        let d = self.drivers.get_mut(id)?;
        if d.stop_reason.is_some() {
            return None;
        }
        d.conn = Some(conn);
        d.last_health = Instant::now();
        d.record.job.app_id = app_id;
        d.record.job.state = JobState::Ready;
        let record = d.record.clone();
        self.failures = 0;
        // Idle time counts from when the drivers are up, not from when they were asked for.
        self.idle_since = Instant::now();
        Some(record)
    }

    /// Where a driver's Spark UI search got: the record to save when it found a new URL.
    pub(crate) fn spark_ui_looked(&mut self, id: &str, search: UiSearch, url: Option<String>) -> Option<JobRecord> {
        let d = self.drivers.get_mut(id)?;
        d.ui = search;
        let url = url.filter(|u| d.record.job.spark_ui_url.as_ref() != Some(u) && !d.record.job.state.is_terminal())?;
        d.record.job.spark_ui_url = Some(url);
        Some(d.record.clone())
    }

    /// The agent is busy with a request this engine did not give it (from before a
    /// restart): it is asked again once it is READY.
    pub(crate) fn detach(&mut self, id: &str) {
        if let Some(d) = self.drivers.get_mut(id) {
            d.conn = None;
        }
    }

    /// A health check's outcome; the handle to stop the driver with once it missed too many.
    pub(crate) fn record_health(&mut self, id: &str, healthy: bool) -> Option<DriverHandle> {
        let d = self.drivers.get_mut(id)?;
        d.last_health = Instant::now();
        d.health_misses = if healthy { 0 } else { d.health_misses + 1 };
        if d.health_misses < HEALTH_MISSES {
            return None;
        }
        d.stop(&format!("the driver did not answer {HEALTH_MISSES} health checks"))
    }

    /// Stops one driver (first reason wins); the handle to stop it with.
    pub(crate) fn stop_driver(&mut self, id: &str, reason: &str) -> Option<DriverHandle> {
        self.drivers.get_mut(id)?.stop(reason)
    }

    /// Stops every driver and empties the queue (pause, stop, restart, delete): the
    /// drivers to stop and the requests that will not run.
    pub(crate) fn halt(&mut self, reason: &str) -> (Vec<(String, DriverHandle)>, Vec<JobInstance>) {
        let stops = self.drivers.iter_mut().filter_map(|(id, d)| d.stop(reason).map(|h| (id.clone(), h))).collect();
        (stops, self.queue.drain(..).map(|q| q.instance).collect())
    }

    /// A driver answered its request and is READY again — unless it was asked to retire
    /// meanwhile: then the handle to stop it with.
    pub(crate) fn release(&mut self, id: &str, instance_id: &str) -> Option<DriverHandle> {
        let d = self.drivers.get_mut(id)?;
        if d.running.as_deref() != Some(instance_id) {
            return None;
        }
        d.running = None;
        d.interrupt = None;
        d.record.job.state = JobState::Ready;
        self.idle_since = Instant::now();
        if d.retiring { d.stop("the driver was retired") } else { None }
    }

    // Auto-pause.

    /// Something happened: the idle time starts again.
    fn mark_active(&mut self) {
        self.idle_since = Instant::now();
        self.auto_pause_asked = false;
    }

    /// Nothing queued and every driver READY without a request, for at least `idle`; an
    /// ACTIVE group with autoPause and drivers wanted. A group whose drivers are still
    /// starting (or rolling over) is not idle: nothing has been offered to its users yet.
    fn idle_for(&self, now: Instant, idle: Duration) -> bool {
        self.auto_pause
            && self.target > 0
            && !self.closing
            && self.queue.is_empty()
            && !self.drivers.is_empty()
            && self.drivers.values().all(|d| d.is_idle())
            && now.saturating_duration_since(self.idle_since) >= idle
    }

    /// Whether the supervisor should pause the group now: true once per idle spell.
    pub(crate) fn auto_pause_due(&mut self, now: Instant, idle: Duration) -> bool {
        if self.auto_pause_asked || !self.idle_for(now, idle) {
            return false;
        }
        self.auto_pause_asked = true;
        true
    }

    /// Checked again under the group's change lock, before the pause is committed; when
    /// the group is no longer idle, a later spell may ask again.
    pub(crate) fn confirm_auto_pause(&mut self, now: Instant, idle: Duration) -> bool {
        let idle = self.idle_for(now, idle);
        if !idle {
            self.auto_pause_asked = false;
        }
        idle
    }

    /// An auto-pause that could not be committed: a later pass asks again.
    pub(crate) fn forget_auto_pause(&mut self) {
        self.auto_pause_asked = false;
    }

    // Scale.

    /// What the scale decision sees of the group.
    fn views(&self) -> Vec<DriverView> {
        self.drivers
            .iter()
            .map(|(id, d)| DriverView {
                id: id.clone(),
                ready: d.conn.is_some(),
                busy: d.running.is_some(),
                stopping: d.stop_reason.is_some(),
                retiring: d.retiring,
                outdated: !d.record.spec.jars.iter().map(|j| &j.sha256).eq(self.jars.iter()),
            })
            .collect()
    }

    /// Decides what brings the group to its target now (see [`plan_scale`]).
    pub(crate) fn plan_scale(&self, now: Instant) -> ScalePlan {
        let may_launch = !self.closing && now >= self.next_launch;
        plan_scale(&self.views(), self.target, may_launch)
    }

    /// Marks the plan's drivers retiring; those idle now are returned, to stop.
    pub(crate) fn retire(&mut self, plan: &ScalePlan) -> Vec<(String, DriverHandle)> {
        plan.retire
            .iter()
            .filter_map(|r| self.drivers.get_mut(&r.id).and_then(|d| d.retire(r.reason)).map(|h| (r.id.clone(), h)))
            .collect()
    }
}
