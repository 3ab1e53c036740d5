//! Two runs side by side (`GET /job/{id}/compare/{otherId}`): total time, stages matched by
//! name (the n-th stage of a name with the other's n-th of that name), Spark settings, args
//! and input bytes.

use std::collections::HashMap;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::job::{Job, JobRecord};
use crate::model::stages::{JobComparison, StageDelta, StageSummary, config_diffs};
use crate::time::now_ms;

/// `endTime - startTime`, till now while it runs, 0 before it starts.
fn run_duration(job: &Job, now: i64) -> i64 {
    match (job.start_time, job.end_time) {
        (0, _) => 0,
        (start, 0) => (now - start).max(0),
        (start, end) => (end - start).max(0),
    }
}

/// Stages that ran (skipped and pending ones took no time), in the order they were submitted.
fn ran(stages: &[StageSummary]) -> Vec<&StageSummary> {
    let mut list: Vec<&StageSummary> =
        stages.iter().filter(|s| s.status != "SKIPPED" && s.status != "PENDING").collect();
    list.sort_by_key(|s| (s.submission_time, s.stage_id, s.attempt_id));
    list
}

/// A stage's name without the folder of its call site (`count at /jobs/j1/main.py:3` →
/// `count at main.py:3`): each run's files live in a folder of its own.
pub(crate) fn comparable_name(name: &str) -> String {
    match name.rsplit_once(" at ") {
        Some((call, site)) => format!("{call} at {}", site.rsplit('/').next().unwrap_or(site)),
        None => name.to_string(),
    }
}

/// Matches the stages of two runs by name, in order within a name.
pub(crate) fn match_stages(this: &[StageSummary], other: &[StageSummary]) -> Vec<StageDelta> {
    let mut others: HashMap<String, std::collections::VecDeque<&StageSummary>> = HashMap::new();
    let other_ran = ran(other);
    for s in &other_ran {
        others.entry(comparable_name(&s.name)).or_default().push_back(s);
    }
    let delta = |a: Option<&StageSummary>, b: Option<&StageSummary>| {
        let name = a.or(b).map(|s| comparable_name(&s.name)).unwrap_or_default();
        let (d, od) = (a.map_or(0, |s| s.duration_ms), b.map_or(0, |s| s.duration_ms));
        StageDelta {
            name,
            stage_id: a.map(|s| s.stage_id),
            other_stage_id: b.map(|s| s.stage_id),
            duration_ms: d,
            other_duration_ms: od,
            delta_ms: d - od,
            input_bytes: a.map_or(0, |s| s.input_bytes),
            other_input_bytes: b.map_or(0, |s| s.input_bytes),
        }
    };
    let mut deltas: Vec<StageDelta> = ran(this)
        .into_iter()
        .map(|s| {
            let matched = others.get_mut(&comparable_name(&s.name)).and_then(|q| q.pop_front());
            delta(Some(s), matched)
        })
        .collect();
    // What only the other run had, in its order.
    for s in other_ran {
        if let Some(queue) = others.get_mut(&comparable_name(&s.name))
            && queue.front().is_some_and(|f| std::ptr::eq(*f, s))
        {
            queue.pop_front();
            deltas.push(delta(None, Some(s)));
        }
    }
    deltas
}

/// The matched stage (in both runs) that grew most, if any grew.
pub(crate) fn slowest_stage(deltas: &[StageDelta]) -> Option<String> {
    deltas
        .iter()
        .filter(|d| d.stage_id.is_some() && d.other_stage_id.is_some() && d.delta_ms > 0)
        .max_by_key(|d| d.delta_ms)
        .map(|d| d.name.clone())
}

impl Engine {
    /// This run against another run (of any name).
    pub async fn compare_jobs(&self, job_id: &str, other_id: &str) -> Result<JobComparison> {
        if job_id == other_id {
            return Err(EngineError::invalid("otherId", "is the job itself: compare it with another run"));
        }
        let this = self.job_record(job_id).await?;
        let other = self.job_record(other_id).await?;
        let (a, b) = (self.app_report(&this).await?, self.app_report(&other).await?);
        let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
        let message = match (&a.message, &b.message) {
            (None, None) => None,
            (x, y) => Some(
                [x.as_ref().map(|m| format!("{job_id}: {m}")), y.as_ref().map(|m| format!("{other_id}: {m}"))]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        let now = now_ms();
        let stages = match_stages(&a.stages, &b.stages);
        let (duration, other_duration) = (run_duration(&this.job, now), run_duration(&other.job, now));
        Ok(JobComparison {
            job_id: job_id.to_string(),
            other_job_id: other_id.to_string(),
            duration_ms: duration,
            other_duration_ms: other_duration,
            delta_ms: duration - other_duration,
            input_bytes: a.stages.iter().map(|s| s.input_bytes).sum(),
            other_input_bytes: b.stages.iter().map(|s| s.input_bytes).sum(),
            slowest_stage: slowest_stage(&stages),
            stages,
            config_diffs: config_diffs(&this.job.settings.job_config, &other.job.settings.job_config),
            args: this.job.settings.args.clone(),
            other_args: other.job.settings.args.clone(),
            message,
        })
    }

    /// The last ended run of the same name submitted before this one (None: no such run).
    pub async fn previous_run(&self, job_id: &str) -> Result<Option<Job>> {
        let record: JobRecord = self.job_record(job_id).await?;
        self.store().previous_ended_run(&record.job.job_name, record.job.submit_time, job_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(id: i64, name: &str, submitted: i64, duration: i64) -> StageSummary {
        StageSummary {
            stage_id: id,
            name: name.into(),
            status: "COMPLETE".into(),
            submission_time: submitted,
            duration_ms: duration,
            ..StageSummary::default()
        }
    }

    #[test]
    fn stages_match_by_name_in_order_and_the_slowest_is_named() {
        let this = [stage(0, "map", 10, 100), stage(1, "map", 20, 900), stage(2, "collect", 30, 50), stage(3, "only here", 40, 5)];
        let mut skipped = stage(9, "collect", 0, 0);
        skipped.status = "SKIPPED".into();
        let other = [stage(5, "map", 1, 100), stage(6, "collect", 2, 60), stage(7, "map", 3, 300), skipped, stage(8, "only there", 4, 7)];
        let deltas = match_stages(&this, &other);
        let pairs: Vec<(Option<i64>, Option<i64>, i64)> = deltas.iter().map(|d| (d.stage_id, d.other_stage_id, d.delta_ms)).collect();
        assert_eq!(pairs, [(Some(0), Some(5), 0), (Some(1), Some(7), 600), (Some(2), Some(6), -10), (Some(3), None, 5), (None, Some(8), -7)]);
        assert_eq!(slowest_stage(&deltas).as_deref(), Some("map"));
        assert_eq!(slowest_stage(&deltas[2..]), None, "a stage in one run only is no comparison");
    }

    #[test]
    fn call_sites_match_whatever_folder_the_script_was_in() {
        assert_eq!(comparable_name("reduceByKey at /data/jobs/j1/main.py:5"), "reduceByKey at main.py:5");
        assert_eq!(comparable_name("showString at NativeMethodAccessorImpl.java:0"), "showString at NativeMethodAccessorImpl.java:0");
        assert_eq!(comparable_name("broadcast exchange"), "broadcast exchange");
        let a = [stage(0, "count at /a/main.py:3", 1, 10)];
        let b = [stage(0, "count at /b/main.py:3", 1, 4)];
        let deltas = match_stages(&a, &b);
        assert_eq!((deltas.len(), deltas[0].name.as_str(), deltas[0].delta_ms), (1, "count at main.py:3", 6));
    }
}
