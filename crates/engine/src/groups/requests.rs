//! Requests to groups: validate and record each one as a job instance, queue it (bounded,
//! with a timeout), hand it to an idle driver (never two at once on one driver), record
//! the answer, cancel, and list results.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use uuid::Uuid;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::model::group::{GroupRequest, GroupState, InstanceError, InstanceRequest, JobInstance};
use crate::model::job::{JobRecord, JobState};
use crate::model::paging::{Page, PageRequest};
use crate::runtime::Liveness;
use crate::time::now_ms;

use super::agent_client::Answer;
use super::live::{Assigned, DriverHandle, GroupLive};
use super::supervisor::describe_exit;

/// After losing contact with a driver mid-request, how long to wait for its process to
/// be seen ending (so the error can say so) before failing the request anyway.
const DEATH_WAIT: Duration = Duration::from_secs(5);
/// Why a request is not queued: its group was stopped or deleted meanwhile.
const NOT_SERVED: &str = "the group was stopped or deleted before this request ran";

impl Engine {
    /// Queues one request (`POST /group/{id}/job/submit`) and returns its instance.
    pub async fn submit_instance(&self, group_id: &str, request: GroupRequest) -> Result<JobInstance> {
        Ok(self.enqueue(group_id, request, None).await?.0)
    }

    /// Runs one request and waits for its end (`POST /group/{id}/job/execute`).
    pub async fn execute_instance(&self, group_id: &str, request: GroupRequest) -> Result<JobInstance> {
        let (tx, rx) = oneshot::channel();
        let (instance, _) = self.enqueue(group_id, request, Some(tx)).await?;
        match rx.await {
            Ok(done) => Ok(done),
            // The engine let the waiter go without an answer: read what is stored.
            Err(_) => self.get_instance(group_id, &instance.job_instance_id).await,
        }
    }

    async fn enqueue(
        &self,
        group_id: &str,
        request: GroupRequest,
        waiter: Option<oneshot::Sender<JobInstance>>,
    ) -> Result<(JobInstance, Arc<GroupLive>)> {
        let group = self.group_record(group_id).await?;
        let request = InstanceRequest::validate(request, self.config().max_code_bytes)?;
        let g = &group.group;
        if request.request_type.kind() != g.kind {
            return Err(EngineError::invalid(
                "type",
                format!("{} is for {} groups; '{}' is a {} group", request.request_type.as_str(), request.request_type.kind().as_str(), g.name, g.kind.as_str()),
            ));
        }
        if g.state == GroupState::Archived {
            return Err(EngineError::invalid("state", format!("group '{}' is ARCHIVED (stopped); restart it first", g.name)));
        }
        if g.paused {
            return Err(EngineError::invalid("state", format!("group '{}' is paused; resume it first", g.name)));
        }
        if g.scale == 0 {
            return Err(EngineError::Conflict(format!("group '{}' has no drivers (scale 0); rescale it first", g.name)));
        }
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
            error: None,
            submit_time: now_ms(),
            start_time: 0,
            end_time: 0,
        };
        self.store().insert_instance(&instance).await?;
        if let Some(waiter) = waiter
            && let Ok(mut waiters) = self.inner().instance_waiters.lock()
        {
            waiters.entry(instance.job_instance_id.clone()).or_default().push(waiter);
        }
        self.publish_instance(&live, &instance);
        let queued = live.lock().enqueue(instance.clone(), self.config().queue_timeout);
        if !queued {
            self.fail_instance(&live, &instance.job_instance_id, InstanceError::new(NOT_SERVED)).await;
        }
        self.dispatch_group(&live);
        Ok((instance, live))
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
        let Assigned { mut driver, conn, mut instance, language } = assigned;
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
                false
            }
        };
        let answer = if started { Some(conn.execute(&self.inner().http, &instance, language).await) } else { None };
        let cancelled = live.lock().take_cancel(&instance.job_instance_id);
        match answer {
            None => {}
            Some(Ok(Answer::Busy)) => {
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
                    state.requeue_first(instance.clone(), self.config().queue_timeout)
                };
                if !requeued {
                    self.fail_instance(&live, &instance.job_instance_id, InstanceError::new(NOT_SERVED)).await;
                }
            }
            Some(Ok(answer)) => {
                instance.end_time = now_ms();
                match answer {
                    Answer::Result(result) => {
                        instance.state = JobState::Finished;
                        instance.result = result;
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
                driver.job.state = JobState::Ready;
                let still_ours = live.lock().is_serving(&driver_id);
                self.end_instance(Some(&live), &instance, still_ours.then_some(&driver)).await;
            }
            Some(Err(contact)) => {
                let handle = live.lock().handle(&driver_id);
                let error = self.lost_driver(&driver_id, handle, &contact).await;
                self.fail_instance(&live, &instance.job_instance_id, error).await;
            }
        }
        let retire = live.lock().release(&driver_id, &instance.job_instance_id);
        if let Some(handle) = retire {
            self.stop_driver(&live, &driver_id, handle);
        }
        self.dispatch_group(&live);
        live.wake.notify_one();
    }

    /// Why a request lost its driver: the process ended (waits a moment to see it), or
    /// the connection broke while it runs (then it is stopped and replaced).
    async fn lost_driver(&self, id: &str, handle: Option<DriverHandle>, contact: &str) -> InstanceError {
        let dir = self.job_dir(id);
        let deadline = Instant::now() + DEATH_WAIT;
        while let Some(handle) = &handle {
            if let Liveness::Ended(exit) = handle.runtime.poll(&handle.driver, &dir).await {
                return InstanceError::new(format!(
                    "the driver {id} ended while running this request ({}); a replacement is being started",
                    describe_exit(&exit)
                ));
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        InstanceError::new(format!("lost contact with the driver {id} while it ran this request: {contact}"))
    }

    /// Ends an active instance as FAILED (first end wins).
    pub(crate) async fn fail_instance(&self, live: &Arc<GroupLive>, instance_id: &str, error: InstanceError) {
        let cancelled = live.lock().take_cancel(instance_id);
        let state = if cancelled { JobState::Canceled } else { JobState::Failed };
        self.fail_instance_as(Some(live), instance_id, state, error).await;
    }

    async fn fail_instance_as(&self, live: Option<&Arc<GroupLive>>, instance_id: &str, state: JobState, error: InstanceError) {
        let Ok(Some(mut instance)) = self.store().instance_by_id(instance_id).await else { return };
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
                let waiters = self.inner().instance_waiters.lock().ok().and_then(|mut w| w.remove(&instance.job_instance_id));
                for waiter in waiters.into_iter().flatten() {
                    let _ = waiter.send(instance.clone());
                }
            }
            Ok((false, _)) => {}
            Err(e) => tracing::error!(instance = %instance.job_instance_id, error = %e, "cannot record the end of a request"),
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
