//! Keeping a group's drivers alive. Each ACTIVE group has one supervisor task that, every
//! [`TICK`] or when woken: notices drivers that ended (the runtime's liveness) and fails
//! their in-flight request; attaches to drivers that became ready (the runtime's agent
//! endpoint — the info file's port, or a port-forward to a pod — and health with the
//! driver's secret → READY); health-checks idle ones; applies the scale plan
//! ([`super::scale::plan_scale`]): launches drivers until the group is back to its
//! target and retires extra or outdated ones; expires queued requests; pauses a group with
//! autoPause that has been idle long enough (`auto_pause.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngCore;
use uuid::Uuid;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::log_index;
use crate::model::group::{GroupRecord, INTERPRETERS_KEY, InstanceError, driver_interpreters};
use crate::model::job::{Job, JobRecord, JobState, JobType};
use crate::model::secret::Secret;
use crate::runtime::job_dir::{self, DRIVER_INFO, DRIVER_STDERR, DRIVER_STDOUT, DriverInfo};
use crate::runtime::{Exit, Liveness};
use crate::time::now_ms;

use super::agent_client::DriverConn;
use super::live::{DriverHandle, DriverLive, GroupLive, Snapshot};

/// How often a supervisor looks at its drivers when nothing wakes it.
pub(crate) const TICK: Duration = Duration::from_millis(250);

impl Engine {
    pub(crate) fn group_live(&self, id: &str) -> Option<Arc<GroupLive>> {
        self.inner().groups.get(id)
    }

    /// Whether a supervisor task looks after the group (for tests of its lifetime).
    #[cfg(feature = "testing")]
    pub fn is_supervised(&self, group_id: &str) -> bool {
        self.group_live(group_id).is_some()
    }

    /// Starts supervising a group (once).
    pub(crate) fn supervise(&self, live: Arc<GroupLive>) {
        if !self.inner().groups.insert(&live) {
            return;
        }
        let weak = self.downgrade();
        tokio::spawn(async move {
            loop {
                let Some(engine) = Engine::upgrade(&weak) else { return };
                engine.supervise_once(&live).await;
                if engine.inner().groups.remove_if_done(&live) {
                    tracing::info!(group = %live.id, "supervisor ended");
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
        let drivers = live.lock().snapshots();
        for Snapshot { id, handle, stopping, conn, launched, health_due, ui } in drivers {
            let dir = self.job_dir(&id);
            if let Liveness::Ended(exit) = handle.runtime.poll(&handle.driver, &dir).await {
                self.driver_ended(live, &id, exit).await;
                continue;
            }
            let config = self.config();
            job_dir::rotate_driver_logs(&dir, config.max_log_file_bytes, config.log_parts_kept).await;
            if stopping {
                continue;
            }
            if let Some((mut search, app_id_known)) = ui {
                let url = search.look(handle.runtime.as_ref(), &handle.driver, &dir, app_id_known).await;
                let record = live.lock().spark_ui_looked(&id, search, url);
                if let Some(record) = record
                    && let Err(e) = self.save_active(&record).await
                {
                    tracing::error!(driver = id, error = %e, "cannot record the Spark UI's address");
                }
            }
            match conn {
                None => self.try_attach(live, &id, launched).await,
                Some(conn) if health_due => {
                    let healthy = conn.health(&self.inner().http).await.is_ok();
                    let stop = live.lock().record_health(&id, healthy);
                    if let Some(handle) = stop {
                        self.stop_driver(live, &id, handle);
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
        self.auto_pause_if_idle(live);
    }

    /// A driver whose agent can be reached (its runtime's endpoint: the info file, or a
    /// port-forward) and answers READY becomes READY.
    async fn try_attach(&self, live: &Arc<GroupLive>, id: &str, launched: Instant) {
        let dir = self.job_dir(id);
        let Some(info) = live.lock().attach_info(id) else { return };
        let port = match &info.handle {
            Some(h) => h.runtime.agent_endpoint(&h.driver, &dir).await,
            None => None,
        };
        let Some(port) = port else {
            let timeout = self.config().driver_ready_timeout;
            if launched.elapsed() > timeout {
                let reason = format!("the driver did not become ready within {} s", timeout.as_secs());
                let stop = live.lock().stop_driver(id, &reason);
                if let Some(handle) = stop {
                    self.stop_driver(live, id, handle);
                }
            }
            return;
        };
        let conn = DriverConn::new(port, &info.secret);
        let Ok(health) = conn.health(&self.inner().http).await else { return };
        if health.state != "READY" {
            // Still running a request from before a restart: cancel it once, then wait.
            if let Some(request) = info.orphan {
                let _ = conn.cancel(&self.inner().http, &request).await;
                live.lock().clear_orphan(id);
            }
            return;
        }
        let app_id = health.app_id.or_else(|| DriverInfo::read(&dir.join(DRIVER_INFO)).and_then(|i| i.app_id));
        let record = live.lock().attach(id, conn, app_id);
        if let Some(record) = record {
            tracing::info!(group = %live.id, driver = id, "driver ready");
            if let Err(e) = self.save_active(&record).await {
                tracing::error!(driver = id, error = %e, "cannot record a ready driver");
            }
        }
    }

    /// Records the end of a driver, fails the request it ran, and frees its processes.
    pub(super) async fn driver_ended(&self, live: &Arc<GroupLive>, id: &str, exit: Exit) {
        let Some(ended) = live.lock().remove_ended(id) else { return };
        let dir = self.job_dir(id);
        let exit = describe_exit(&exit);
        let mut record = ended.record;
        record.job.end_time = now_ms();
        let instance_error = match &ended.stop_reason {
            Some(reason) => {
                record.job.state = JobState::Finished;
                InstanceError::new(format!("{reason} while this request ran"))
            }
            None => {
                let mut message = format!("the driver process ended unexpectedly ({exit})");
                if let Some(summary) = job_dir::error_summary(&dir, [DRIVER_STDOUT, DRIVER_STDERR]) {
                    message.push_str(&format!(": {summary}"));
                }
                record.job.state = JobState::Failed;
                record.job.error = Some(message);
                let mut error = InstanceError::new(format!(
                    "the driver {id} ended while running this request ({exit}); a replacement is being started"
                ));
                error.stack_trace = log_index::tail_text(&dir.join(DRIVER_STDERR), 8 * 1024);
                error
            }
        };
        tracing::info!(group = %live.id, driver = id, state = record.job.state.as_str(), %exit, "driver ended");
        if let Err(e) = self.save_active(&record).await {
            tracing::error!(driver = id, error = %e, "cannot record the end of a driver");
        }
        if let Some(instance) = ended.running {
            self.fail_instance(live, &instance, instance_error).await;
        }
        live.wake.notify_one();
    }

    /// Stops a driver in the background; its end is noticed (and recorded) by the
    /// supervisor. The live state marked it stopping first (that gave the handle).
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
        let (stops, queued) = live.lock().halt(reason);
        for (id, handle) in stops {
            self.stop_driver(live, &id, handle);
        }
        for instance in queued {
            self.fail_instance(live, &instance.job_instance_id, InstanceError::new(format!("{reason} before this request ran")))
                .await;
        }
        live.wake.notify_one();
    }

    /// Applies the scale plan: retires what it names, launches what it asks for.
    async fn reconcile(&self, live: &Arc<GroupLive>) -> Result<()> {
        let (launch, stops) = {
            let mut state = live.lock();
            let plan = state.plan_scale(Instant::now());
            (plan.launch, state.retire(&plan))
        };
        for (id, handle) in stops {
            tracing::info!(group = %live.id, driver = id, "retiring driver");
            self.stop_driver(live, &id, handle);
        }
        if launch == 0 || self.is_shutting_down() {
            return Ok(());
        }
        let group = self.store().group_by_id(&live.id).await?.ok_or_else(|| EngineError::not_found("group", &live.id))?;
        for _ in 0..launch {
            if let Err(e) = self.launch_driver(live, &group).await {
                // Back off as after a failed start, not retry every tick.
                live.lock().note_launch_failure();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Starts one driver for a group: a job row (INTERACTIVE, STARTING), its files linked
    /// into its directory, then the agent launched through the cluster's runtime.
    async fn launch_driver(&self, live: &Arc<GroupLive>, group: &GroupRecord) -> Result<()> {
        let g = &group.group;
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let mut spec = group.spec.clone();
        spec.driver_secret = Some(Secret::new(hex::encode(secret)));
        // The interpreters its agent warms up before READY; the plan hands them over as
        // `SPARKDECK_DRIVER_INTERPRETERS`.
        let interpreters = driver_interpreters(g.kind, g.language, &spec.config)?;
        let names: Vec<&str> = interpreters.iter().map(|l| l.as_str()).collect();
        spec.config.insert(INTERPRETERS_KEY.to_string(), names.join(","));
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
                error_cause: None,
                spark_ui_url: None,
                submit_time: now,
                start_time: now,
                end_time: 0,
                settings: spec.shown(),
                schedule_id: None,
                attempt: 1,
                max_retries: 0,
                usual_duration_ms: None,
                slower_than_usual: false,
            },
            cluster_id: group.cluster_id.clone(),
            spec,
            driver: None,
            not_before: 0,
            due_time: 0,
        };
        let id = record.job.job_id.clone();
        {
            let _artifacts = self.inner().artifact_lock.lock().await;
            self.link_spec(&record.spec, &self.job_dir(&id))?;
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
                // Supervised whatever the write does: a driver only memory knows is still
                // stopped and replaced like any other; recovery looks for unrecorded ones.
                if let Err(e) = self.record_driver(&record).await {
                    tracing::error!(group = %g.id, driver = id, error = %e, "cannot record a launched driver");
                }
                tracing::info!(group = %g.id, driver = id, handle = ?launched.driver, "driver launched");
                live.lock().add_driver(DriverLive::new(record, runtime, None));
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
                live.lock().note_launch_failure();
            }
        }
        Ok(())
    }

    /// Fails queued requests that waited longer than the queue timeout.
    async fn expire_queue(&self, live: &Arc<GroupLive>) {
        let expired = live.lock().expire(Instant::now());
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
