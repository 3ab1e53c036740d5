//! The event-log parser: Spark listener events, one JSON object a line, folded into stage
//! and executor summaries as they stream by. Only the events and fields it needs are
//! decoded (serde skips the rest, borrowing strings where it can); every other event is
//! told apart by its `{"Event":"…"` prefix and not decoded at all.
//!
//! Memory: per stage attempt its counters and the durations of its successful tasks as a
//! `Vec<u32>` of milliseconds (4 bytes a task: 400 KB for 100,000 tasks), so the median is
//! exact; per executor its counters.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::model::stages::{ExecutorSummary, StageSummary, TaskDurations};

#[derive(Deserialize)]
struct EventName<'a> {
    #[serde(rename = "Event", borrow)]
    event: Cow<'a, str>,
}

#[derive(Deserialize)]
struct StageInfo<'a> {
    #[serde(rename = "Stage ID")]
    stage_id: i64,
    #[serde(rename = "Stage Attempt ID", default)]
    attempt_id: i64,
    #[serde(rename = "Stage Name", borrow, default)]
    name: Cow<'a, str>,
    #[serde(rename = "Number of Tasks", default)]
    num_tasks: i64,
    #[serde(rename = "Submission Time", default)]
    submission_time: Option<i64>,
    #[serde(rename = "Completion Time", default)]
    completion_time: Option<i64>,
    #[serde(rename = "Failure Reason", default)]
    failure_reason: Option<String>,
}

#[derive(Deserialize)]
struct StageEvent<'a> {
    #[serde(rename = "Stage Info", borrow)]
    info: StageInfo<'a>,
}

#[derive(Deserialize)]
struct JobStart<'a> {
    #[serde(rename = "Job ID")]
    job_id: i64,
    #[serde(rename = "Stage Infos", borrow, default)]
    stages: Vec<StageInfo<'a>>,
}

#[derive(Deserialize)]
struct JobEnd {
    #[serde(rename = "Job ID")]
    job_id: i64,
}

#[derive(Deserialize)]
struct TaskInfo<'a> {
    #[serde(rename = "Executor ID", borrow)]
    executor_id: Cow<'a, str>,
    #[serde(rename = "Launch Time", default)]
    launch_time: i64,
    #[serde(rename = "Finish Time", default)]
    finish_time: i64,
    #[serde(rename = "Failed", default)]
    failed: bool,
    #[serde(rename = "Killed", default)]
    killed: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShuffleRead {
    #[serde(rename = "Remote Bytes Read")]
    remote: i64,
    #[serde(rename = "Local Bytes Read")]
    local: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShuffleWrite {
    #[serde(rename = "Shuffle Bytes Written")]
    bytes: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InputMetrics {
    #[serde(rename = "Bytes Read")]
    bytes: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OutputMetrics {
    #[serde(rename = "Bytes Written")]
    bytes: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TaskMetrics {
    #[serde(rename = "Executor Run Time")]
    run_time: i64,
    #[serde(rename = "JVM GC Time")]
    gc_time: i64,
    #[serde(rename = "Memory Bytes Spilled")]
    memory_spilled: i64,
    #[serde(rename = "Disk Bytes Spilled")]
    disk_spilled: i64,
    #[serde(rename = "Shuffle Read Metrics")]
    shuffle_read: ShuffleRead,
    #[serde(rename = "Shuffle Write Metrics")]
    shuffle_write: ShuffleWrite,
    #[serde(rename = "Input Metrics")]
    input: InputMetrics,
    #[serde(rename = "Output Metrics")]
    output: OutputMetrics,
}

#[derive(Deserialize)]
struct TaskStart<'a> {
    #[serde(rename = "Task Info", borrow)]
    info: TaskInfo<'a>,
}

#[derive(Deserialize)]
struct TaskEnd<'a> {
    #[serde(rename = "Stage ID")]
    stage_id: i64,
    #[serde(rename = "Stage Attempt ID", default)]
    attempt_id: i64,
    #[serde(rename = "Task Info", borrow)]
    info: TaskInfo<'a>,
    // Null for tasks that failed before running.
    #[serde(rename = "Task Metrics", default)]
    metrics: Option<TaskMetrics>,
}

#[derive(Deserialize)]
struct ExecutorInfo {
    #[serde(rename = "Host", default)]
    host: String,
    #[serde(rename = "Total Cores", default)]
    cores: i64,
}

#[derive(Deserialize)]
struct ExecutorAdded {
    #[serde(rename = "Timestamp", default)]
    time: i64,
    #[serde(rename = "Executor ID")]
    id: String,
    #[serde(rename = "Executor Info")]
    info: ExecutorInfo,
}

#[derive(Deserialize)]
struct ExecutorRemoved {
    #[serde(rename = "Timestamp", default)]
    time: i64,
    #[serde(rename = "Executor ID")]
    id: String,
    #[serde(rename = "Removed Reason", default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct BlockManagerId {
    #[serde(rename = "Executor ID")]
    id: String,
    #[serde(rename = "Host", default)]
    host: String,
}

#[derive(Deserialize)]
struct BlockManagerAdded {
    #[serde(rename = "Block Manager ID")]
    manager: BlockManagerId,
    #[serde(rename = "Maximum Memory", default)]
    max_memory: i64,
    #[serde(rename = "Timestamp", default)]
    time: i64,
}

#[derive(Deserialize)]
struct AppStart {
    #[serde(rename = "App ID", default)]
    app_id: Option<String>,
    #[serde(rename = "Timestamp", default)]
    time: i64,
}

#[derive(Deserialize)]
struct AppEnd {
    #[serde(rename = "Timestamp", default)]
    time: i64,
}

struct StageAcc {
    summary: StageSummary,
    /// Successful tasks' durations, ms.
    durations: Vec<u32>,
    /// Known from its job's start only (not submitted yet): PENDING, or SKIPPED once the job ended.
    job_id: Option<i64>,
}

/// The application as far as its event log has been read.
#[derive(Default)]
pub(crate) struct AppParser {
    pub app_id: Option<String>,
    pub start_time: i64,
    pub end_time: i64,
    stages: BTreeMap<(i64, i64), StageAcc>,
    executors: BTreeMap<String, ExecutorSummary>,
    /// Each job's stage ids, to mark the never-submitted ones SKIPPED when it ends.
    job_stages: HashMap<i64, Vec<i64>>,
}

/// The event name of a line Spark wrote (`{"Event":"Name",…`), without decoding it.
fn event_name(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(br#"{"Event":""#)?;
    let end = rest.iter().position(|b| *b == b'"')?;
    Some(&rest[..end])
}

impl AppParser {
    /// Folds one line in; false when it is not a readable event.
    pub(crate) fn line(&mut self, line: &[u8]) -> bool {
        let owned;
        let name = match event_name(line) {
            Some(name) => name,
            None => match serde_json::from_slice::<EventName>(line) {
                Ok(e) => {
                    owned = e.event.into_owned().into_bytes();
                    &owned[..]
                }
                Err(_) => return false,
            },
        };
        match name {
            b"SparkListenerTaskEnd" => serde_json::from_slice(line).map(|e| self.task_end(e)).is_ok(),
            b"SparkListenerTaskStart" => serde_json::from_slice(line).map(|e| self.task_start(e)).is_ok(),
            b"SparkListenerStageSubmitted" => serde_json::from_slice(line).map(|e| self.stage_submitted(e)).is_ok(),
            b"SparkListenerStageCompleted" => serde_json::from_slice(line).map(|e| self.stage_completed(e)).is_ok(),
            b"SparkListenerJobStart" => serde_json::from_slice(line).map(|e| self.job_start(e)).is_ok(),
            b"SparkListenerJobEnd" => serde_json::from_slice(line).map(|e| self.job_end(e)).is_ok(),
            b"SparkListenerExecutorAdded" => serde_json::from_slice(line).map(|e| self.executor_added(e)).is_ok(),
            b"SparkListenerExecutorRemoved" => serde_json::from_slice(line).map(|e| self.executor_removed(e)).is_ok(),
            b"SparkListenerBlockManagerAdded" => serde_json::from_slice(line).map(|e| self.block_manager_added(e)).is_ok(),
            b"SparkListenerApplicationStart" => serde_json::from_slice(line)
                .map(|e: AppStart| {
                    self.app_id = e.app_id.or(self.app_id.take());
                    self.start_time = e.time;
                })
                .is_ok(),
            b"SparkListenerApplicationEnd" => serde_json::from_slice(line).map(|e: AppEnd| self.end_time = e.time).is_ok(),
            // Every other event is well-formed enough if it closes its object (a cut line does not).
            _ => line.trim_ascii_end().ends_with(b"}"),
        }
    }

    fn stage(&mut self, info: &StageInfo) -> &mut StageAcc {
        self.stages.entry((info.stage_id, info.attempt_id)).or_insert_with(|| StageAcc {
            summary: StageSummary {
                stage_id: info.stage_id,
                attempt_id: info.attempt_id,
                name: info.name.to_string(),
                status: "PENDING".into(),
                num_tasks: info.num_tasks,
                ..StageSummary::default()
            },
            durations: Vec::new(),
            job_id: None,
        })
    }

    fn job_start(&mut self, e: JobStart) {
        let ids = e.stages.iter().map(|s| s.stage_id).collect();
        for info in &e.stages {
            let acc = self.stage(info);
            if acc.summary.status == "PENDING" {
                acc.job_id = Some(e.job_id);
            }
        }
        self.job_stages.insert(e.job_id, ids);
    }

    fn job_end(&mut self, e: JobEnd) {
        for id in self.job_stages.remove(&e.job_id).unwrap_or_default() {
            for acc in self.stages.range_mut((id, i64::MIN)..=(id, i64::MAX)).map(|(_, a)| a) {
                if acc.summary.status == "PENDING" && acc.job_id == Some(e.job_id) {
                    acc.summary.status = "SKIPPED".into();
                }
            }
        }
    }

    fn stage_submitted(&mut self, e: StageEvent) {
        let acc = self.stage(&e.info);
        acc.job_id = None;
        acc.summary.status = "ACTIVE".into();
        acc.summary.name = e.info.name.to_string();
        acc.summary.num_tasks = e.info.num_tasks;
        acc.summary.submission_time = e.info.submission_time.unwrap_or(acc.summary.submission_time);
    }

    fn stage_completed(&mut self, e: StageEvent) {
        let acc = self.stage(&e.info);
        acc.job_id = None;
        acc.summary.submission_time = e.info.submission_time.unwrap_or(acc.summary.submission_time);
        acc.summary.completion_time = e.info.completion_time.unwrap_or(0);
        acc.summary.status = if e.info.failure_reason.is_some() { "FAILED" } else { "COMPLETE" }.into();
        acc.summary.failure_reason = e.info.failure_reason;
    }

    fn executor(&mut self, id: &str) -> &mut ExecutorSummary {
        self.executors
            .entry(id.to_string())
            .or_insert_with(|| ExecutorSummary { id: id.to_string(), is_active: true, ..ExecutorSummary::default() })
    }

    fn task_start(&mut self, e: TaskStart) {
        self.executor(&e.info.executor_id).active_tasks += 1;
    }

    fn task_end(&mut self, e: TaskEnd) {
        let m = e.metrics.unwrap_or_default();
        let duration = (e.info.finish_time - e.info.launch_time).max(0);
        let succeeded = !e.info.failed && !e.info.killed;
        let executor = self.executor(&e.info.executor_id);
        executor.active_tasks = (executor.active_tasks - 1).max(0);
        executor.total_tasks += 1;
        if succeeded {
            executor.completed_tasks += 1;
        } else if e.info.failed {
            executor.failed_tasks += 1;
        }
        executor.total_duration_ms += duration;
        executor.total_gc_time_ms += m.gc_time;
        executor.total_input_bytes += m.input.bytes;
        executor.total_shuffle_read_bytes += m.shuffle_read.remote + m.shuffle_read.local;
        executor.total_shuffle_write_bytes += m.shuffle_write.bytes;

        let key = (e.stage_id, e.attempt_id);
        let acc = self.stages.entry(key).or_insert_with(|| StageAcc {
            summary: StageSummary { stage_id: key.0, attempt_id: key.1, status: "ACTIVE".into(), ..StageSummary::default() },
            durations: Vec::new(),
            job_id: None,
        });
        let s = &mut acc.summary;
        if succeeded {
            s.completed_tasks += 1;
            acc.durations.push(u32::try_from(duration).unwrap_or(u32::MAX));
        } else if e.info.failed {
            s.failed_tasks += 1;
        }
        s.input_bytes += m.input.bytes;
        s.output_bytes += m.output.bytes;
        s.shuffle_read_bytes += m.shuffle_read.remote + m.shuffle_read.local;
        s.shuffle_write_bytes += m.shuffle_write.bytes;
        s.memory_spilled_bytes += m.memory_spilled;
        s.disk_spilled_bytes += m.disk_spilled;
        s.executor_run_time_ms += m.run_time;
        s.jvm_gc_time_ms += m.gc_time;
    }

    fn executor_added(&mut self, e: ExecutorAdded) {
        let x = self.executor(&e.id);
        x.host = e.info.host;
        x.total_cores = e.info.cores;
        x.add_time = e.time;
    }

    fn executor_removed(&mut self, e: ExecutorRemoved) {
        let x = self.executor(&e.id);
        x.is_active = false;
        x.remove_time = e.time;
        x.remove_reason = e.reason;
    }

    fn block_manager_added(&mut self, e: BlockManagerAdded) {
        let x = self.executor(&e.manager.id);
        if x.host.is_empty() {
            x.host = e.manager.host;
        }
        if x.add_time == 0 {
            x.add_time = e.time;
        }
        x.max_memory = e.max_memory;
    }

    /// Bytes held for task durations (what grows with the log), for the benchmark.
    pub(crate) fn held_duration_bytes(&self) -> usize {
        self.stages.values().map(|a| a.durations.capacity() * size_of::<u32>()).sum()
    }

    /// The stages by id and attempt. `now` (epoch ms) times the stages still running.
    pub(crate) fn stages(&mut self, now: i64) -> Vec<StageSummary> {
        let ended = self.end_time;
        self.stages
            .values_mut()
            .map(|acc| {
                let mut s = acc.summary.clone();
                let until = if s.completion_time > 0 { s.completion_time } else if ended > 0 { ended } else { now };
                s.duration_ms = if s.submission_time > 0 { (until - s.submission_time).max(0) } else { 0 };
                s.task_duration_ms = quantiles(&mut acc.durations);
                s
            })
            .collect()
    }

    pub(crate) fn executors(&self) -> Vec<ExecutorSummary> {
        let ended = self.end_time > 0;
        let mut list: Vec<ExecutorSummary> = self
            .executors
            .values()
            .map(|x| ExecutorSummary { is_active: x.is_active && !ended, ..x.clone() })
            .collect();
        // The driver first, then executors by number, as Spark lists them.
        list.sort_by_key(|x| (x.id != "driver", x.id.parse::<u64>().unwrap_or(u64::MAX), x.id.clone()));
        list
    }
}

/// Min, median (the lower middle of an even count, as Spark's quantile picks) and max.
fn quantiles(durations: &mut [u32]) -> Option<TaskDurations> {
    if durations.is_empty() {
        return None;
    }
    let mid = (durations.len() - 1) / 2;
    let (low, median, high) = durations.select_nth_unstable(mid);
    let min = low.iter().copied().min().unwrap_or(*median);
    let max = high.iter().copied().max().unwrap_or(*median);
    Some(TaskDurations { min: i64::from(min), median: i64::from(*median), max: i64::from(max) })
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
