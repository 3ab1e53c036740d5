//! One broadcast of typed changes. Every event is sent after the change it describes is
//! committed to SQLite, so a listener that reads the store on an event sees the change.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use std::collections::BTreeMap;

use crate::model::cluster::ClusterView;
use crate::model::group::{Group, JobInstance};
use crate::model::job::Job;
use crate::model::schedule::Schedule;
use crate::spark_install::SparkInstallStatus;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum EngineEvent {
    ClusterChanged { cluster: Box<ClusterView> },
    ClusterDeleted { id: String, name: String },
    JobChanged { job: Job },
    JobDeleted { id: String },
    /// A group's settings or state changed (its drivers change as `JobChanged`).
    GroupChanged { group: Box<Group> },
    GroupDeleted { id: String, name: String },
    /// A schedule's settings or state changed (its runs change as `JobChanged`).
    ScheduleChanged { schedule: Box<Schedule> },
    ScheduleDeleted { id: String, name: String },
    /// A request to a group changed; the group's name, cluster and tags come along so
    /// listeners can filter without a look-up.
    #[serde(rename_all = "camelCase")]
    JobInstanceChanged {
        instance: Box<JobInstance>,
        group_name: String,
        cluster_name: String,
        tags: BTreeMap<String, String>,
    },
    /// The Spark install's progress or end (`spark_install/`).
    SparkInstallChanged { install: SparkInstallStatus },
}

/// Slow listeners lag (and are told so by `broadcast`) rather than slowing the engine.
const CAPACITY: usize = 4096;

#[derive(Clone)]
pub(crate) struct EventBus(broadcast::Sender<EngineEvent>);

impl EventBus {
    pub(crate) fn new() -> Self {
        Self(broadcast::channel(CAPACITY).0)
    }

    pub(crate) fn publish(&self, event: EngineEvent) {
        // An error only means nobody is listening right now.
        let _ = self.0.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.0.subscribe()
    }
}
