//! What clients ask for: list filters (`GET /job`, `GET /group`) and the filters of the
//! live update streams, shared by the REST server and the desktop shell.

use std::collections::BTreeMap;

use crate::model::group::{GroupKind, GroupState, JobInstance};
use crate::model::job::{Job, JobState, JobType};
use crate::model::paging::PageRequest;
use crate::model::schedule::ScheduleState;

/// The filters `GET /job` offers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct JobQuery {
    pub job_types: Vec<JobType>,
    pub states: Vec<JobState>,
    pub cluster_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub search: Option<String>,
    pub page: PageRequest,
}

/// The filters `GET /schedule` offers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleQuery {
    pub states: Vec<ScheduleState>,
    pub crons: Vec<String>,
    /// Schedules with a run in one of these states.
    pub job_states: Vec<JobState>,
    pub cluster_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub search: Option<String>,
    pub page: PageRequest,
}

/// Which job changes a listener wants (`GET /job/updates`); empty lists match all.
#[derive(Debug, Clone, Default)]
pub struct JobWatch {
    pub job_ids: Vec<String>,
    pub group_ids: Vec<String>,
    pub cluster_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl JobWatch {
    pub fn matches(&self, job: &Job) -> bool {
        (self.job_ids.is_empty() || self.job_ids.contains(&job.job_id))
            && (self.group_ids.is_empty() || job.group_id.as_ref().is_some_and(|g| self.group_ids.contains(g)))
            && (self.cluster_names.is_empty()
                || self.cluster_names.iter().any(|c| c.eq_ignore_ascii_case(&job.cluster_name)))
            && self.tags.iter().all(|(k, v)| job.tags.get(k) == Some(v))
    }
}

/// The filters `GET /group` offers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct GroupQuery {
    pub states: Vec<GroupState>,
    pub kinds: Vec<GroupKind>,
    pub job_states: Vec<JobState>,
    pub cluster_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub search: Option<String>,
    pub page: PageRequest,
}

/// Which instance changes a listener wants (`GET /group/job/result/updates`); empty
/// lists match all. `job_ids` are drivers.
#[derive(Debug, Clone, Default)]
pub struct InstanceWatch {
    pub job_ids: Vec<String>,
    pub group_ids: Vec<String>,
    pub cluster_names: Vec<String>,
    pub group_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl InstanceWatch {
    /// Whether a `JobInstanceChanged` event matches.
    pub fn matches(&self, instance: &JobInstance, group_name: &str, cluster_name: &str, tags: &BTreeMap<String, String>) -> bool {
        (self.job_ids.is_empty() || instance.job_id.as_ref().is_some_and(|j| self.job_ids.contains(j)))
            && (self.group_ids.is_empty() || self.group_ids.contains(&instance.group_id))
            && (self.cluster_names.is_empty() || self.cluster_names.iter().any(|c| c.eq_ignore_ascii_case(cluster_name)))
            && (self.group_names.is_empty() || self.group_names.iter().any(|g| g.eq_ignore_ascii_case(group_name)))
            && self.tags.iter().all(|(k, v)| tags.get(k) == Some(v))
    }
}
