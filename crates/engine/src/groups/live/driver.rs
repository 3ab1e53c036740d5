//! One driver of a supervised group, as the group's live state keeps it. Only the live
//! state (`super`) reads or changes its fields.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

use crate::model::job::JobRecord;
use crate::runtime::spark_ui::UiSearch;
use crate::runtime::{ClusterRuntime, DriverRef};

use super::super::agent_client::DriverConn;
use super::Interrupt;

pub(crate) struct DriverLive {
    pub(super) record: JobRecord,
    /// The runtime of the cluster it was launched on.
    runtime: Arc<dyn ClusterRuntime>,
    /// Set once the agent answered its health check as READY.
    pub(super) conn: Option<DriverConn>,
    /// The instance it runs.
    pub(super) running: Option<String>,
    /// Tells the task waiting for the running instance's answer of a cancel or a stop.
    pub(super) interrupt: Option<watch::Sender<Interrupt>>,
    /// Leaves once its request is answered (rescale down, rolled over).
    pub(super) retiring: bool,
    /// Why it is being stopped, once a stop was asked (its end is then expected).
    pub(super) stop_reason: Option<String>,
    /// A request it ran before Sparkdeck restarted: cancelled when it is reached.
    pub(super) orphan: Option<String>,
    pub(super) launched: Instant,
    pub(super) last_health: Instant,
    pub(super) health_misses: u32,
    /// Looking for its Spark UI (the supervisor looks, this keeps how far it got).
    pub(super) ui: UiSearch,
}

/// A launched driver and the runtime that can poll and stop it.
#[derive(Clone)]
pub(crate) struct DriverHandle {
    pub(crate) driver: DriverRef,
    pub(crate) runtime: Arc<dyn ClusterRuntime>,
}

impl DriverLive {
    pub(crate) fn new(record: JobRecord, runtime: Arc<dyn ClusterRuntime>, orphan: Option<String>) -> Self {
        let now = Instant::now();
        Self {
            record,
            runtime,
            conn: None,
            running: None,
            interrupt: None,
            retiring: false,
            stop_reason: None,
            orphan,
            launched: now,
            last_health: now,
            health_misses: 0,
            ui: UiSearch::default(),
        }
    }

    pub(super) fn handle(&self) -> Option<DriverHandle> {
        self.record.driver.clone().map(|driver| DriverHandle { driver, runtime: self.runtime.clone() })
    }

    pub(super) fn is_idle(&self) -> bool {
        self.conn.is_some() && self.running.is_none() && !self.retiring && self.stop_reason.is_none()
    }

    /// Asks it to stop: at once when idle (the handle to stop it with is returned), or
    /// once its request is answered.
    pub(super) fn retire(&mut self, reason: &str) -> Option<DriverHandle> {
        if self.running.is_some() {
            self.retiring = true;
            return None;
        }
        self.stop(reason)
    }

    /// Marks it stopping (first reason wins); the handle to stop it with, once.
    pub(super) fn stop(&mut self, reason: &str) -> Option<DriverHandle> {
        if self.stop_reason.is_some() {
            return None;
        }
        self.stop_reason = Some(reason.to_string());
        if let Some(interrupt) = &self.interrupt {
            interrupt.send_replace(Interrupt::Stop(reason.to_string()));
        }
        self.handle()
    }
}
