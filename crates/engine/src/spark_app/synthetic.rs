//! Event logs made up for tests and benchmarks (feature `testing`): lines shaped as Spark
//! 4 writes them (a task's end with its accumulables and executor metrics, ~3 KB), so that
//! parsing costs what it costs on a real log.

use std::io::{self, Write};

/// One made-up stage: `tasks` tasks, task `i` taking `base_ms + (i * 7919) % spread_ms`.
#[derive(Debug, Clone)]
pub struct SyntheticStage {
    pub name: String,
    pub tasks: u32,
    pub base_ms: i64,
    pub spread_ms: i64,
    /// Bytes each task reads as input, writes to and reads from the shuffle.
    pub input_bytes: i64,
    pub shuffle_write_bytes: i64,
    pub shuffle_read_bytes: i64,
}

impl SyntheticStage {
    pub fn new(name: &str, tasks: u32) -> Self {
        Self { name: name.into(), tasks, base_ms: 100, spread_ms: 1000, input_bytes: 0, shuffle_write_bytes: 0, shuffle_read_bytes: 0 }
    }
}

const EXECUTOR_METRICS: &str = r#""Task Executor Metrics":{"JVMHeapMemory":0,"JVMOffHeapMemory":0,"OnHeapExecutionMemory":0,"OffHeapExecutionMemory":0,"OnHeapStorageMemory":0,"OffHeapStorageMemory":0,"OnHeapUnifiedMemory":0,"OffHeapUnifiedMemory":0,"DirectPoolMemory":0,"MappedPoolMemory":0,"ProcessTreeJVMVMemory":0,"ProcessTreeJVMRSSMemory":0,"ProcessTreePythonVMemory":0,"ProcessTreePythonRSSMemory":0,"ProcessTreeOtherVMemory":0,"ProcessTreeOtherRSSMemory":0,"MinorGCCount":0,"MinorGCTime":0,"MajorGCCount":0,"MajorGCTime":0,"TotalGCTime":0,"ConcurrentGCCount":0,"ConcurrentGCTime":0}"#;

/// Writes a whole application's log: start, one executor, one job of `stages` in order, end.
pub fn write_event_log(out: &mut impl Write, app_id: &str, stages: &[SyntheticStage]) -> io::Result<()> {
    let start = 1_700_000_000_000i64;
    writeln!(out, r#"{{"Event":"SparkListenerLogStart","Spark Version":"4.3.0"}}"#)?;
    writeln!(out, r#"{{"Event":"SparkListenerApplicationStart","App Name":"synthetic","App ID":"{app_id}","Timestamp":{start},"User":"test"}}"#)?;
    writeln!(
        out,
        r#"{{"Event":"SparkListenerBlockManagerAdded","Block Manager ID":{{"Executor ID":"driver","Host":"127.0.0.1","Port":40000}},"Maximum Memory":455501414,"Timestamp":{start},"Maximum Onheap Memory":455501414,"Maximum Offheap Memory":0}}"#
    )?;
    writeln!(
        out,
        r#"{{"Event":"SparkListenerExecutorAdded","Timestamp":{start},"Executor ID":"driver","Executor Info":{{"Host":"127.0.0.1","Total Cores":2,"Log Urls":{{}},"Attributes":{{}},"Resources":{{}},"Resource Profile Id":0}}}}"#
    )?;
    let infos: Vec<String> = stages
        .iter()
        .enumerate()
        .map(|(id, s)| format!(r#"{{"Stage ID":{id},"Stage Attempt ID":0,"Stage Name":"{}","Number of Tasks":{},"RDD Info":[],"Parent IDs":[],"Details":"","Accumulables":[]}}"#, s.name, s.tasks))
        .collect();
    writeln!(out, r#"{{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":{start},"Stage Infos":[{}],"Stage IDs":[],"Properties":{{}}}}"#, infos.join(","))?;
    let mut now = start;
    let mut task_id = 0u64;
    for (id, s) in stages.iter().enumerate() {
        let submitted = now;
        writeln!(
            out,
            r#"{{"Event":"SparkListenerStageSubmitted","Stage Info":{{"Stage ID":{id},"Stage Attempt ID":0,"Stage Name":"{}","Number of Tasks":{},"RDD Info":[],"Parent IDs":[],"Details":"","Submission Time":{submitted},"Accumulables":[],"Resource Profile Id":0}},"Properties":{{}}}}"#,
            s.name, s.tasks
        )?;
        let mut longest = 0;
        for i in 0..i64::from(s.tasks) {
            let took = s.base_ms + (i * 7919) % s.spread_ms.max(1);
            longest = longest.max(took);
            let launch = submitted + i % 100;
            write_task_end(out, id, task_id, launch, launch + took, s)?;
            task_id += 1;
        }
        now = submitted + longest + 100;
        writeln!(
            out,
            r#"{{"Event":"SparkListenerStageCompleted","Stage Info":{{"Stage ID":{id},"Stage Attempt ID":0,"Stage Name":"{}","Number of Tasks":{},"RDD Info":[],"Parent IDs":[],"Details":"","Submission Time":{submitted},"Completion Time":{now},"Accumulables":[],"Resource Profile Id":0}}}}"#,
            s.name, s.tasks
        )?;
    }
    writeln!(out, r#"{{"Event":"SparkListenerJobEnd","Job ID":0,"Completion Time":{now},"Job Result":{{"Result":"JobSucceeded"}}}}"#)?;
    writeln!(out, r#"{{"Event":"SparkListenerApplicationEnd","Timestamp":{now}}}"#)
}

fn write_task_end(out: &mut impl Write, stage: usize, task: u64, launch: i64, finish: i64, s: &SyntheticStage) -> io::Result<()> {
    let run = finish - launch;
    let accumulables: Vec<String> = [("executorDeserializeTime", 3), ("executorRunTime", run), ("resultSize", 1796), ("jvmGCTime", 0), ("shuffle.write.bytesWritten", s.shuffle_write_bytes)]
        .iter()
        .enumerate()
        .map(|(n, (name, v))| format!(r#"{{"ID":{},"Name":"internal.metrics.{name}","Update":{v},"Value":{v},"Internal":true,"Count Failed Values":true}}"#, 40 + n))
        .collect();
    writeln!(
        out,
        concat!(
            r#"{{"Event":"SparkListenerTaskEnd","Stage ID":{stage},"Stage Attempt ID":0,"Task Type":"ShuffleMapTask","Task End Reason":{{"Reason":"Success"}},"#,
            r#""Task Info":{{"Task ID":{task},"Index":{task},"Attempt":0,"Partition ID":{task},"Launch Time":{launch},"Executor ID":"driver","Host":"127.0.0.1","Locality":"PROCESS_LOCAL","Speculative":false,"Getting Result Time":0,"Finish Time":{finish},"Failed":false,"Killed":false,"Accumulables":[{acc}]}},"#,
            "{metrics},",
            r#""Task Metrics":{{"Executor Deserialize Time":3,"Executor Deserialize CPU Time":6946113,"Executor Run Time":{run},"Executor CPU Time":146589653,"Peak Execution Memory":0,"Peak On Heap Execution Memory":0,"Peak Off Heap Execution Memory":0,"Result Size":1796,"JVM GC Time":0,"Result Serialization Time":3,"Memory Bytes Spilled":0,"Disk Bytes Spilled":0,"#,
            r#""Shuffle Read Metrics":{{"Remote Blocks Fetched":0,"Local Blocks Fetched":1,"Fetch Wait Time":0,"Remote Bytes Read":0,"Remote Bytes Read To Disk":0,"Local Bytes Read":{read},"Total Records Read":2,"Remote Requests Duration":0,"Push Based Shuffle":{{"Corrupt Merged Block Chunks":0,"Merged Fetch Fallback Count":0,"Merged Remote Blocks Fetched":0,"Merged Local Blocks Fetched":0,"Merged Remote Chunks Fetched":0,"Merged Local Chunks Fetched":0,"Merged Remote Bytes Read":0,"Merged Local Bytes Read":0,"Merged Remote Requests Duration":0}}}},"#,
            r#""Shuffle Write Metrics":{{"Shuffle Bytes Written":{write},"Shuffle Write Time":58069247,"Shuffle Records Written":2}},"Input Metrics":{{"Bytes Read":{input},"Records Read":0}},"Output Metrics":{{"Bytes Written":0,"Records Written":0}},"Updated Blocks":[]}}}}"#
        ),
        stage = stage,
        task = task,
        launch = launch,
        finish = finish,
        acc = accumulables.join(","),
        metrics = EXECUTOR_METRICS,
        run = run,
        read = s.shuffle_read_bytes,
        write = s.shuffle_write_bytes,
        input = s.input_bytes,
    )
}

/// Reads the event log in `events_dir` as `/stages` does: the stages, the bytes held for task
/// durations, and the message (for benchmarks and tests outside the crate).
pub fn read_stages(events_dir: &std::path::Path) -> (Vec<crate::model::stages::StageSummary>, usize, Option<String>) {
    let report = super::read_app(events_dir, None);
    (report.stages, report.held_bytes, report.message)
}
