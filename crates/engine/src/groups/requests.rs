//! Requests to groups: validate and record each one as a job instance, queue it (bounded,
//! with a timeout), hand it to an idle driver (never two at once on one driver), record
//! the answer, cancel, and list results.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::model::group::{Group, GroupKind, GroupRequest, GroupState, InstanceError, InstanceRequest, JobInstance, RequestOptions};
use crate::model::job::{JobRecord, JobState, Language};
use crate::model::paging::{Page, PageRequest};
use crate::runtime::Liveness;
use crate::time::now_ms;

use super::agent_client::{Answer, DriverConn};
use super::live::{Assigned, DriverHandle, GroupLive, Interrupt};
use super::supervisor::describe_exit;

/// After losing contact with a driver mid-request, how long to wait for its process to
/// be seen ending (so the error can say so) before failing the request anyway.
const DEATH_WAIT: Duration = Duration::from_secs(5);
/// Why a request is not queued: its group was stopped or deleted meanwhile.
const NOT_SERVED: &str = "the group was stopped or deleted before this request ran";

/// How waiting for a driver's answer ended.
enum Waited {
    /// The agent answered (or the connection failed); true when past the time limit.
    Answer(std::result::Result<Answer, String>, bool),
    /// The driver is being stopped, for this reason.
    Stopped(String),
    /// The driver ended and left the group: its end fails the request.
    DriverEnded,
    /// The driver did not end the request within `cancel_grace` of a cancel.
    Overstayed(Overstay),
}

/// Why a request was being cancelled when its driver overstayed.
#[derive(Clone, Copy)]
enum Overstay {
    Cancel,
    TimeLimit,
}

/// "The request ran longer than its time limit of N s (timeoutSeconds) and …".
fn past_limit(limit: Duration, then: &str) -> String {
    format!("the request ran longer than its time limit of {} s (timeoutSeconds) and {then}", limit.as_secs())
}

/// Why a group cannot take a request now: archived, paused (without autoPause, which
/// resumes it instead), or without drivers.
fn refuse_unserved(g: &Group) -> Result<()> {
    if g.state == GroupState::Archived {
        return Err(EngineError::invalid("state", format!("group '{}' is ARCHIVED (stopped); restart it first", g.name)));
    }
    if g.paused && !g.auto_pause {
        return Err(EngineError::invalid("state", format!("group '{}' is paused; resume it first", g.name)));
    }
    if g.scale == 0 {
        return Err(EngineError::Conflict(format!("group '{}' has no drivers (scale 0); rescale it first", g.name)));
    }
    Ok(())
}

impl Engine {
    /// Queues one request (`POST /group/{id}/job/submit`) and returns its instance.
    pub async fn submit_instance(&self, group_id: &str, request: GroupRequest) -> Result<JobInstance> {
        self.submit_instance_with(group_id, request, RequestOptions::default()).await
    }

    /// [`Self::submit_instance`] with a time limit of its own.
    pub async fn submit_instance_with(&self, group_id: &str, request: GroupRequest, options: RequestOptions) -> Result<JobInstance> {
        Ok(self.enqueue(group_id, request, options, None, None).await?.0)
    }

    /// Runs one request and waits for its end (`POST /group/{id}/job/execute`).
    pub async fn execute_instance(&self, group_id: &str, request: GroupRequest) -> Result<JobInstance> {
        self.execute_instance_with(group_id, request, RequestOptions::default()).await
    }

    /// [`Self::execute_instance`] with a time limit of its own. Every way a request ends
    /// answers: its end, or why its end could not be recorded.
    pub async fn execute_instance_with(&self, group_id: &str, request: GroupRequest, options: RequestOptions) -> Result<JobInstance> {
        let (tx, rx) = oneshot::channel();
        let (instance, _, _) = self.enqueue(group_id, request, options, Some(tx), None).await?;
        match rx.await {
            Ok(done) => done,
            // The engine let the waiter go without an answer: read what is stored.
            Err(_) => self.get_instance(group_id, &instance.job_instance_id).await,
        }
    }

    /// Queues a request; `livy_kind` also numbers it as its Livy session's next statement
    /// (returned), stored with it.
    pub(crate) async fn enqueue(
        &self,
        group_id: &str,
        request: GroupRequest,
        options: RequestOptions,
        waiter: Option<oneshot::Sender<Result<JobInstance>>>,
        livy_kind: Option<&str>,
    ) -> Result<(JobInstance, Arc<GroupLive>, Option<u32>)> {
        let group = self.group_record(group_id).await?;
        let request = InstanceRequest::validate(request, self.config().max_code_bytes)?;
        options.check()?;
        let limit = options.timeout_seconds.map_or(self.config().request_timeout, |s| Duration::from_secs(u64::from(s)));
        let g = &group.group;
        if request.request_type.kind() != g.kind {
            return Err(EngineError::invalid(
                "type",
                format!("{} is for {} groups; '{}' is a {} group", request.request_type.as_str(), request.request_type.kind().as_str(), g.name, g.kind.as_str()),
            ));
        }
        refuse_unserved(g)?;
        // autoPause: the group's change lock, held until the request is queued, so that
        // the request either finds it paused and resumes it, or is queued before an
        // auto-pause looks (and then it is not idle).
        let (_change, group) = if g.auto_pause {
            let (change, record) = self.lock_group(group_id).await?;
            refuse_unserved(&record.group)?;
            (Some(change), self.resume_for_request(record).await?)
        } else {
            (None, group)
        };
        let g = &group.group;
        let live = self.group_live(group_id).ok_or_else(|| EngineError::Conflict(format!("group '{}' is not running", g.name)))?;
        if live.lock().queue_len() >= self.config().max_queue {
            return Err(EngineError::Conflict(
                format!("group '{}' already has {} requests waiting; try again later", g.name, self.config().max_queue),
            ));
        }
        let instance = JobInstance {
            job_instance_id: Uuid::new_v4().to_string(),
            job_id: None,
            group_id: g.id.clone(),
            request_type: request.request_type,
            state: JobState::Submitted,
            job_class: request.job_class,
            job_config: request.job_config,
            code: request.code,
            cursor: request.cursor,
            result: None,
            completions: None,
            // The interpreter a code request runs in, recorded as it is queued.
            language: match request.request_type.kind() {
                GroupKind::Code => Some(request.language.unwrap_or(g.language)),
                GroupKind::Job => None,
            },
            data: None,
            error: None,
            submit_time: now_ms(),
            start_time: 0,
            end_time: 0,
        };
        let statement = self.store().insert_instance(&instance, livy_kind).await?;
        if let Some(waiter) = waiter
            && let Ok(mut waiters) = self.inner().instance_waiters.lock()
        {
            waiters.entry(instance.job_instance_id.clone()).or_default().push(waiter);
        }
        self.publish_instance(&live, &instance);
        let queued = live.lock().enqueue(instance.clone(), self.config().queue_timeout, limit);
        if !queued {
            self.fail_instance(&live, &instance.job_instance_id, InstanceError::new(NOT_SERVED)).await;
        }
        self.dispatch_group(&live);
        Ok((instance, live, statement))
    }

    pub async fn get_instance(&self, group_id: &str, instance_id: &str) -> Result<JobInstance> {
        self.store()
            .instance_by_id(instance_id)
            .await?
            .filter(|i| i.group_id == group_id)
            .ok_or_else(|| EngineError::not_found("job instance", instance_id))
    }

    /// A page of a group's instances, newest first by default; `search` matches the job
    /// class or the code.
    pub async fn list_instances(&self, group_id: &str, search: Option<&str>, page: &PageRequest) -> Result<Page<JobInstance>> {
        self.group_record(group_id).await?;
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        let (total, instances) = self.store().instance_page(group_id, search, page).await?;
        Ok(Page::new(page, total, instances))
    }

    /// How far a request is, 0 to 1: 0 while queued, its driver's Spark progress (its jobs'
    /// completed / total tasks) while it runs — 0 when the driver cannot say —, 1 once ended.
    pub async fn instance_progress(&self, instance_id: &str) -> Result<f64> {
        let instance = self.store().instance_by_id(instance_id).await?.ok_or_else(|| EngineError::not_found("job instance", instance_id))?;
        if instance.state.is_terminal() {
            return Ok(1.0);
        }
        let conn = self.group_live(&instance.group_id).and_then(|live| live.lock().running_conn(instance_id));
        let Some(conn) = conn else { return Ok(0.0) };
        let progress = match conn.health(&self.inner().http).await {
            Ok(health) => health.progress().unwrap_or(0.0),
            Err(e) => {
                tracing::debug!(instance = instance_id, error = %e, "no progress from the driver");
                0.0
            }
        };
        Ok(progress)
    }

    /// Cancels a request: a queued one at once; a running one through its driver (Spark
    /// job group, then an interrupt), which then stays usable.
    pub async fn cancel_instance(&self, group_id: &str, instance_id: &str) -> Result<JobInstance> {
        let instance = self.get_instance(group_id, instance_id).await?;
        if instance.state.is_terminal() {
            return Err(EngineError::Conflict(format!(
                "job instance '{instance_id}' has already ended ({})",
                instance.state.as_str()
            )));
        }
        let Some(live) = self.group_live(group_id) else {
            self.fail_instance_as(None, instance_id, JobState::Canceled, InstanceError::new("the request was cancelled")).await;
            return self.get_instance(group_id, instance_id).await;
        };
        let (queued, conn) = {
            let mut state = live.lock();
            let queued = state.dequeue(instance_id);
            (queued, if queued { None } else { state.cancel_running(instance_id) })
        };
        if queued {
            self.fail_instance_as(Some(&live), instance_id, JobState::Canceled, InstanceError::new("the request was cancelled before it ran"))
                .await;
        } else if let Some(conn) = conn {
            // The request may not have reached the agent yet: ask again for a moment.
            for _ in 0..20 {
                if conn.cancel(&self.inner().http, instance_id).await.unwrap_or(false) {
                    break;
                }
                let ended = self.store().instance_by_id(instance_id).await?.is_none_or(|i| i.state.is_terminal());
                if ended {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        self.get_instance(group_id, instance_id).await
    }

    /// Hands queued requests to idle drivers, oldest first.
    pub(crate) fn dispatch_group(&self, live: &Arc<GroupLive>) {
        while let Some(assigned) = live.lock().assign_next() {
            let engine = self.clone();
            let live = live.clone();
            tokio::spawn(async move { engine.run_request(live, assigned).await });
        }
    }

    async fn run_request(self, live: Arc<GroupLive>, assigned: Assigned) {
        let Assigned { mut driver, conn, mut instance, language, limit, interrupt } = assigned;
        let driver_id = driver.job.job_id.clone();
        instance.job_id = Some(driver_id.clone());
        instance.state = JobState::Busy;
        instance.start_time = now_ms();
        let started = match self.store().update_instance(&instance, Some(&driver)).await {
            Ok((true, driver_saved)) => {
                self.publish_instance(&live, &instance);
                if driver_saved {
                    self.publish(EngineEvent::JobChanged { job: driver.job.clone() });
                }
                true
            }
            Ok((false, _)) => false, // cancelled meanwhile
            Err(e) => {
                tracing::error!(instance = %instance.job_instance_id, error = %e, "cannot record a started request");
                let error = InstanceError::new(format!("the request could not be started: {e}"));
                self.fail_instance(&live, &instance.job_instance_id, error).await;
                false
            }
        };
        let waited = if started { Some(self.wait_for_answer(&conn, &instance, language, limit, interrupt).await) } else { None };
        let cancelled = live.lock().take_cancel(&instance.job_instance_id);
        match waited {
            None | Some(Waited::DriverEnded) => {} // its end fails the request (`driver_ended`)
            Some(Waited::Answer(Ok(Answer::Busy), _)) => {
                // The agent is still busy (e.g. a request from before a restart): wait for
                // it to be READY again, and put this request back first in line.
                instance.job_id = None;
                instance.state = JobState::Submitted;
                instance.start_time = 0;
                let _ = self.store().update_instance(&instance, None).await;
                self.publish_instance(&live, &instance);
                let requeued = {
                    let mut state = live.lock();
                    state.detach(&driver_id);
                    state.requeue_first(instance.clone(), self.config().queue_timeout, limit)
                };
                if !requeued {
                    self.fail_instance(&live, &instance.job_instance_id, InstanceError::new(NOT_SERVED)).await;
                }
            }
            Some(Waited::Answer(Ok(answer), timed_out)) => {
                instance.end_time = now_ms();
                match answer {
                    Answer::Result(result, data) => {
                        instance.state = JobState::Finished;
                        instance.result = result;
                        instance.data = data;
                    }
                    Answer::Completions(list) => {
                        instance.state = JobState::Finished;
                        instance.result = serde_json::to_string(&list).ok();
                        instance.completions = Some(list);
                    }
                    Answer::Error(error) => {
                        instance.state = if cancelled { JobState::Canceled } else { JobState::Failed };
                        instance.error = Some(error);
                    }
                    Answer::Busy => {}
                }
                if timed_out {
                    // Past its limit the request fails, whatever came back while it was
                    // being cancelled.
                    let stack_trace = instance.error.take().map(|e| e.stack_trace).unwrap_or_default();
                    instance.state = JobState::Failed;
                    instance.result = None;
                    instance.data = None;
                    instance.completions = None;
                    instance.error = Some(InstanceError { message: past_limit(limit, "was cancelled"), stack_trace });
                }
                driver.job.state = JobState::Ready;
                let still_ours = live.lock().is_serving(&driver_id);
                self.end_instance(Some(&live), &instance, still_ours.then_some(&driver)).await;
            }
            Some(Waited::Answer(Err(contact), _)) => {
                let handle = live.lock().handle(&driver_id);
                let (error, alive) = self.lost_driver(&driver_id, handle, &contact).await;
                // Ended first, so the stop's own end does not answer for it.
                self.fail_instance(&live, &instance.job_instance_id, error).await;
                if alive {
                    // Its agent may still be running the request: it serves no other.
                    self.stop_group_driver(&live, &driver_id, "Sparkdeck lost contact with it while it ran a request");
                }
            }
            Some(Waited::Stopped(reason)) => {
                let error = InstanceError::new(format!("{reason} while this request ran"));
                self.fail_instance(&live, &instance.job_instance_id, error).await;
            }
            Some(Waited::Overstayed(why)) => {
                let grace = self.config().cancel_grace.as_secs_f64();
                let (state, message, reason) = match why {
                    Overstay::Cancel => (
                        JobState::Canceled,
                        format!("the request was cancelled, but its driver did not end it within {grace} s; the driver is being replaced"),
                        "it did not end a cancelled request",
                    ),
                    Overstay::TimeLimit => (
                        JobState::Failed,
                        past_limit(limit, &format!("was cancelled, but its driver did not end it within {grace} s; the driver is being replaced")),
                        "it did not end a request past its time limit",
                    ),
                };
                self.fail_instance_as(Some(&live), &instance.job_instance_id, state, InstanceError::new(message)).await;
                self.stop_group_driver(&live, &driver_id, reason);
            }
        }
        let retire = live.lock().release(&driver_id, &instance.job_instance_id);
        if let Some(handle) = retire {
            self.stop_driver(&live, &driver_id, handle);
        }
        self.dispatch_group(&live);
        live.wake.notify_one();
    }

    /// Waits for the driver's answer, within the request's time limit. Past the limit
    /// (or once a cancel was asked) the driver has `cancel_grace` to end the request.
    async fn wait_for_answer(
        &self,
        conn: &DriverConn,
        instance: &JobInstance,
        language: Language,
        limit: Duration,
        mut interrupt: watch::Receiver<Interrupt>,
    ) -> Waited {
        let http = &self.inner().http;
        // A code request names its interpreter; a job class runs in the group's language.
        let execute = conn.execute(http, instance, instance.language.unwrap_or(language));
        tokio::pin!(execute);
        let deadline = tokio::time::Instant::now() + limit;
        let mut timed_out = false;
        let mut overstay: Option<(tokio::time::Instant, Overstay)> = None;
        loop {
            let grace_end = overstay.as_ref().map_or(deadline, |(at, _)| *at);
            tokio::select! {
                answer = &mut execute => return Waited::Answer(answer, timed_out),
                changed = interrupt.changed() => {
                    if changed.is_err() {
                        return Waited::DriverEnded;
                    }
                    let now = interrupt.borrow_and_update().clone();
                    match now {
                        Interrupt::Stop(reason) => return Waited::Stopped(reason),
                        Interrupt::Cancel => {
                            overstay.get_or_insert((tokio::time::Instant::now() + self.config().cancel_grace, Overstay::Cancel));
                        }
                        Interrupt::None => {}
                    }
                }
                () = tokio::time::sleep_until(deadline), if !timed_out => {
                    timed_out = true;
                    tracing::info!(instance = %instance.job_instance_id, limit_s = limit.as_secs(), "request past its time limit; cancelling it");
                    let (conn, http, id) = (conn.clone(), http.clone(), instance.job_instance_id.clone());
                    tokio::spawn(async move { conn.cancel(&http, &id).await });
                    overstay.get_or_insert((tokio::time::Instant::now() + self.config().cancel_grace, Overstay::TimeLimit));
                }
                () = tokio::time::sleep_until(grace_end), if overstay.is_some() => {
                    let why = overstay.map_or(Overstay::TimeLimit, |(_, why)| why);
                    return Waited::Overstayed(why);
                }
            }
        }
    }

    /// Stops one driver of the group (first reason wins); the supervisor replaces it.
    fn stop_group_driver(&self, live: &Arc<GroupLive>, id: &str, reason: &str) {
        let stop = live.lock().stop_driver(id, reason);
        if let Some(handle) = stop {
            tracing::warn!(group = %live.id, driver = id, reason, "stopping driver");
            self.stop_driver(live, id, handle);
        }
    }

    /// Why a request lost its driver, and whether its process still runs: the process
    /// ended (waits a moment to see it), or only the connection broke.
    async fn lost_driver(&self, id: &str, handle: Option<DriverHandle>, contact: &str) -> (InstanceError, bool) {
        let dir = self.job_dir(id);
        let deadline = Instant::now() + DEATH_WAIT;
        while let Some(handle) = &handle {
            if let Liveness::Ended(exit) = handle.runtime.poll(&handle.driver, &dir).await {
                let error = InstanceError::new(format!(
                    "the driver {id} ended while running this request ({}); a replacement is being started",
                    describe_exit(&exit)
                ));
                return (error, false);
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let error = InstanceError::new(format!(
            "lost contact with the driver {id} while it ran this request ({contact}); it is being stopped and replaced"
        ));
        (error, handle.is_some())
    }

    /// Ends an active instance as FAILED (first end wins).
    pub(crate) async fn fail_instance(&self, live: &Arc<GroupLive>, instance_id: &str, error: InstanceError) {
        let cancelled = live.lock().take_cancel(instance_id);
        let state = if cancelled { JobState::Canceled } else { JobState::Failed };
        self.fail_instance_as(Some(live), instance_id, state, error).await;
    }

    async fn fail_instance_as(&self, live: Option<&Arc<GroupLive>>, instance_id: &str, state: JobState, error: InstanceError) {
        let mut instance = match self.store().instance_by_id(instance_id).await {
            Ok(Some(instance)) => instance,
            // Deleted with its group meanwhile: whoever waits is told.
            Ok(None) => return self.answer_waiters(instance_id, || Err(EngineError::not_found("job instance", instance_id))),
            Err(e) => {
                tracing::error!(instance = instance_id, error = %e, "cannot read a request to end it");
                let message = format!("the request could not be ended: {e}");
                return self.answer_waiters(instance_id, || Err(EngineError::Unavailable(message.clone())));
            }
        };
        if instance.state.is_terminal() {
            return;
        }
        instance.state = state;
        instance.error = Some(error);
        instance.end_time = now_ms();
        self.end_instance(live, &instance, None).await;
    }

    /// Records an instance's end (and its driver's new state, in the same transaction),
    /// then announces both and answers whoever waits for it.
    async fn end_instance(&self, live: Option<&Arc<GroupLive>>, instance: &JobInstance, driver: Option<&JobRecord>) {
        match self.store().update_instance(instance, driver).await {
            Ok((true, driver_saved)) => {
                match live {
                    Some(live) => self.publish_instance(live, instance),
                    None => {
                        if let Ok(group) = self.group_record(&instance.group_id).await {
                            let g = group.group;
                            self.publish(EngineEvent::JobInstanceChanged {
                                instance: Box::new(instance.clone()),
                                group_name: g.name,
                                cluster_name: g.cluster_name,
                                tags: g.tags,
                            });
                        }
                    }
                }
                if let (true, Some(driver)) = (driver_saved, driver) {
                    self.publish(EngineEvent::JobChanged { job: driver.job.clone() });
                }
                self.answer_waiters(&instance.job_instance_id, || Ok(instance.clone()));
            }
            Ok((false, _)) => {
                // Ended another way first (whose end answered), or deleted with its group
                // between being read and written: whoever still waits gets what is stored.
                let id = &instance.job_instance_id;
                match self.store().instance_by_id(id).await {
                    Ok(Some(stored)) => self.answer_waiters(id, || Ok(stored.clone())),
                    Ok(None) => self.answer_waiters(id, || Err(EngineError::not_found("job instance", id))),
                    Err(e) => {
                        let message = format!("the request ended ({}), but what was stored of it cannot be read: {e}", instance.state.as_str());
                        self.answer_waiters(id, || Err(EngineError::Unavailable(message.clone())));
                    }
                }
            }
            Err(e) => {
                // Not announced (it is not stored), but whoever waits is answered.
                tracing::error!(instance = %instance.job_instance_id, error = %e, "cannot record the end of a request");
                let message = format!("the request ended ({}), but its end could not be recorded: {e}", instance.state.as_str());
                self.answer_waiters(&instance.job_instance_id, || Err(EngineError::Unavailable(message.clone())));
            }
        }
    }

    /// Answers (and forgets) every caller waiting for the instance.
    fn answer_waiters(&self, instance_id: &str, answer: impl Fn() -> Result<JobInstance>) {
        let waiters = self.inner().instance_waiters.lock().ok().and_then(|mut w| w.remove(instance_id));
        for waiter in waiters.into_iter().flatten() {
            let _ = waiter.send(answer());
        }
    }

    pub(crate) fn publish_instance(&self, live: &GroupLive, instance: &JobInstance) {
        let scope = live.lock().scope().clone();
        self.publish(EngineEvent::JobInstanceChanged {
            instance: Box::new(instance.clone()),
            group_name: scope.name,
            cluster_name: scope.cluster_name,
            tags: scope.tags,
        });
    }
}
