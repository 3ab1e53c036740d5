use super::*;

fn parse(lines: &[&str]) -> AppParser {
    let mut app = AppParser::default();
    for line in lines {
        assert!(app.line(line.as_bytes()), "not read: {line}");
    }
    app
}

fn task_end(stage: i64, executor: &str, launch: i64, finish: i64, reason: &str) -> String {
    let failed = reason != "Success";
    format!(
        r#"{{"Event":"SparkListenerTaskEnd","Stage ID":{stage},"Stage Attempt ID":0,"Task End Reason":{{"Reason":"{reason}"}},"Task Info":{{"Task ID":1,"Launch Time":{launch},"Executor ID":"{executor}","Host":"h","Finish Time":{finish},"Failed":{failed},"Killed":false,"Accumulables":[]}},"Task Metrics":{{"Executor Run Time":{},"JVM GC Time":2,"Memory Bytes Spilled":10,"Disk Bytes Spilled":5,"Shuffle Read Metrics":{{"Remote Bytes Read":1,"Local Bytes Read":2}},"Shuffle Write Metrics":{{"Shuffle Bytes Written":7}},"Input Metrics":{{"Bytes Read":100}},"Output Metrics":{{"Bytes Written":3}}}}}}"#,
        finish - launch
    )
}

#[test]
fn tasks_fold_into_stage_totals_and_exact_quantiles() {
    let submitted = r#"{"Event":"SparkListenerStageSubmitted","Stage Info":{"Stage ID":3,"Stage Attempt ID":0,"Stage Name":"count at x.py:1","Number of Tasks":5,"Submission Time":1000}}"#;
    let ends: Vec<String> = [40, 10, 30, 20, 50].iter().map(|d| task_end(3, "1", 1000, 1000 + d, "Success")).collect();
    let failed = task_end(3, "1", 1000, 1009, "ExceptionFailure");
    let completed = r#"{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":3,"Stage Attempt ID":0,"Stage Name":"count at x.py:1","Number of Tasks":5,"Submission Time":1000,"Completion Time":1600}}"#;
    let mut lines = vec![submitted];
    lines.extend(ends.iter().map(String::as_str));
    lines.push(&failed);
    lines.push(completed);
    let mut app = parse(&lines);
    let [stage] = app.stages(0).try_into().unwrap();
    assert_eq!((stage.status.as_str(), stage.num_tasks, stage.completed_tasks, stage.failed_tasks), ("COMPLETE", 5, 5, 1));
    assert_eq!(stage.task_duration_ms, Some(TaskDurations { min: 10, median: 30, max: 50 }), "the failed task's 9 ms is not a duration");
    assert_eq!(stage.duration_ms, 600);
    assert_eq!((stage.input_bytes, stage.output_bytes, stage.shuffle_read_bytes, stage.shuffle_write_bytes), (600, 18, 18, 42));
    assert_eq!((stage.memory_spilled_bytes, stage.disk_spilled_bytes, stage.jvm_gc_time_ms), (60, 30, 12));
    assert_eq!(stage.executor_run_time_ms, 150 + 9);
    let [executor] = app.executors().try_into().unwrap();
    assert_eq!((executor.id.as_str(), executor.total_tasks, executor.completed_tasks, executor.failed_tasks), ("1", 6, 5, 1));
    assert_eq!((executor.total_duration_ms, executor.total_input_bytes), (159, 600));
}

#[test]
fn stages_never_submitted_are_pending_then_skipped_and_failed_ones_say_why() {
    let job = r#"{"Event":"SparkListenerJobStart","Job ID":0,"Stage Infos":[{"Stage ID":0,"Stage Attempt ID":0,"Stage Name":"map","Number of Tasks":2},{"Stage ID":1,"Stage Attempt ID":0,"Stage Name":"collect","Number of Tasks":1}]}"#;
    let sub = r#"{"Event":"SparkListenerStageSubmitted","Stage Info":{"Stage ID":1,"Stage Attempt ID":0,"Stage Name":"collect","Number of Tasks":1,"Submission Time":5}}"#;
    let mut app = parse(&[job, sub]);
    let status: Vec<String> = app.stages(10).into_iter().map(|s| s.status).collect();
    assert_eq!(status, ["PENDING", "ACTIVE"]);
    assert_eq!(app.stages(10)[1].duration_ms, 5, "a running stage is timed till now");
    let failed = r#"{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":1,"Stage Attempt ID":0,"Stage Name":"collect","Number of Tasks":1,"Submission Time":5,"Completion Time":9,"Failure Reason":"Job aborted: boom"}}"#;
    let end = r#"{"Event":"SparkListenerJobEnd","Job ID":0,"Completion Time":9}"#;
    assert!(app.line(failed.as_bytes()) && app.line(end.as_bytes()));
    let stages = app.stages(10);
    assert_eq!((stages[0].status.as_str(), stages[1].status.as_str()), ("SKIPPED", "FAILED"));
    assert_eq!(stages[1].failure_reason.as_deref(), Some("Job aborted: boom"));
}

#[test]
fn executors_come_from_block_managers_and_executor_events() {
    let lines = [
        r#"{"Event":"SparkListenerBlockManagerAdded","Block Manager ID":{"Executor ID":"driver","Host":"d","Port":1},"Maximum Memory":99,"Timestamp":1}"#,
        r#"{"Event":"SparkListenerExecutorAdded","Timestamp":2,"Executor ID":"10","Executor Info":{"Host":"w","Total Cores":4}}"#,
        r#"{"Event":"SparkListenerExecutorAdded","Timestamp":2,"Executor ID":"2","Executor Info":{"Host":"w","Total Cores":4}}"#,
        r#"{"Event":"SparkListenerExecutorRemoved","Timestamp":8,"Executor ID":"2","Removed Reason":"Container killed (exit 137)"}"#,
    ];
    let app = parse(&lines);
    let ids: Vec<(String, bool)> = app.executors().into_iter().map(|x| (x.id, x.is_active)).collect();
    assert_eq!(ids, [("driver".into(), true), ("2".into(), false), ("10".into(), true)]);
    let removed = &app.executors()[1];
    assert_eq!((removed.total_cores, removed.add_time, removed.remove_time), (4, 2, 8));
    assert_eq!(removed.remove_reason.as_deref(), Some("Container killed (exit 137)"));
    assert_eq!(app.executors()[0].max_memory, 99);
}

#[test]
fn unknown_events_pass_and_broken_ones_do_not() {
    let mut app = AppParser::default();
    assert!(app.line(br#"{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart","x":1}"#));
    assert!(app.line(br#"{"x":1, "Event":"SparkListenerApplicationEnd","Timestamp":4}"#), "fields in any order");
    assert_eq!(app.end_time, 4);
    assert!(!app.line(br#"{"Event":"SparkListenerTaskEnd","Stage ID":0,"Task Info":{"Launch"#));
    assert!(!app.line(br#"{"Event":"SparkListenerEnvironmentUpdate","JVM Inf"#));
    assert!(!app.line(b"\x00\x01garbage"));
}

#[test]
fn quantiles_of_even_and_single_counts() {
    assert_eq!(quantiles(&mut [4, 1, 3, 2]), Some(TaskDurations { min: 1, median: 2, max: 4 }));
    assert_eq!(quantiles(&mut [7]), Some(TaskDurations { min: 7, median: 7, max: 7 }));
    assert_eq!(quantiles(&mut []), None);
}
