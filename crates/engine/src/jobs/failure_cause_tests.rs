//! Table tests of the classifier on log excerpts. The Kubernetes, executor-container and
//! version-mismatch rows cannot be produced for real on this machine (no cluster, one
//! Python): their excerpts are written after Spark's and Kubernetes' own messages.

use super::*;

fn driver(log: &str) -> Option<ErrorCause> {
    classify(&Evidence { driver_log: log, ..Evidence::default() })
}

fn kind_and_summary(found: Option<ErrorCause>) -> Option<(Kind, String)> {
    found.map(|c| (c.kind, c.summary))
}

#[test]
fn each_driver_log_excerpt_gets_its_kind_and_names_the_fact() {
    let table: &[(&str, &str, Kind, &str)] = &[
        (
            "python module",
            "Traceback (most recent call last):\n  File \"/j/main.py\", line 1, in <module>\n    import nothere_pkg.sub\n\
             ModuleNotFoundError: No module named 'nothere_pkg'\n",
            Kind::MissingPythonModule,
            "the Python module 'nothere_pkg' is not installed",
        ),
        (
            "jvm class through py4j",
            "py4j.protocol.Py4JJavaError: An error occurred while calling z:java.lang.Class.forName.\n\
             : java.lang.ClassNotFoundException: com.example.Missing\n\tat java.base/java.net.URLClassLoader.findClass(URLClassLoader.java:445)\n",
            Kind::MissingClass,
            "the JVM class com.example.Missing is not on the classpath",
        ),
        (
            "main class of a jar",
            "Error: Failed to load class com.example.NoSuchMain.\n26/12/01 10:00:00 INFO ShutdownHookManager: Shutdown hook called\n",
            Kind::MissingClass,
            "the JVM class com.example.NoSuchMain is not on the classpath",
        ),
        (
            "class in slash form",
            "Exception in thread \"main\" java.lang.NoClassDefFoundError: org/apache/kafka/clients/Consumer\n\tat Main.main(Main.scala:3)\n",
            Kind::MissingClass,
            "the JVM class org.apache.kafka.clients.Consumer is not on the classpath",
        ),
        (
            "driver heap",
            "26/12/01 10:00:00 ERROR Executor: Exception in task 0.0 in stage 1.0 (TID 1)\njava.lang.OutOfMemoryError: Java heap space\n\
             \tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)\n",
            Kind::DriverOutOfMemory,
            "the driver ran out of memory (Java heap space)",
        ),
        (
            "local task is the driver",
            "WARN TaskSetManager: Lost task 0.0 in stage 0.0 (TID 0) (localhost executor driver): java.lang.OutOfMemoryError: GC overhead limit exceeded\n",
            Kind::DriverOutOfMemory,
            "the driver ran out of memory (GC overhead limit exceeded)",
        ),
        (
            "executor heap",
            "org.apache.spark.SparkException: Job aborted due to stage failure: Task 3 in stage 2.0 failed 4 times, most recent failure: \
             Lost task 3.3 in stage 2.0 (TID 17) (10.0.0.7 executor 2): java.lang.OutOfMemoryError: Java heap space\n",
            Kind::ExecutorOutOfMemory,
            "executor 2 ran out of memory (Java heap space)",
        ),
        (
            "executor container 137 (Kubernetes)",
            "WARN TaskSetManager: Lost task 1.0 in stage 0.0 (TID 1) (10.1.0.9 executor 1): ExecutorLostFailure (executor 1 exited \
             caused by one of the running tasks) Reason: The executor with id 1 exited with exit code 137(SIGKILL, possible container OOM).\n",
            Kind::ExecutorOutOfMemory,
            "executor 1's container was killed for memory (exit code 137)",
        ),
        (
            "spark path not found",
            "pyspark.errors.exceptions.captured.AnalysisException: [PATH_NOT_FOUND] Path does not exist: file:/nonexistent/input.txt. SQLSTATE: 42K03\n",
            Kind::MissingInput,
            "the input path file:/nonexistent/input.txt does not exist",
        ),
        (
            "hadoop file not found",
            "Caused by: java.io.FileNotFoundException: File file:/data/in.csv does not exist\n",
            Kind::MissingInput,
            "the input path file:/data/in.csv does not exist",
        ),
        (
            "java file not found",
            "Exception in thread \"main\" java.io.FileNotFoundException: /tmp/conf.json (No such file or directory)\n",
            Kind::MissingInput,
            "the input path /tmp/conf.json does not exist",
        ),
        (
            "executor lost",
            "ERROR TaskSchedulerImpl: Lost executor 3 on 10.0.0.4: worker lost: Not receiving heartbeat for 60 seconds\n",
            Kind::ExecutorLost,
            "executor 3 was lost: worker lost: Not receiving heartbeat for 60 seconds",
        ),
        (
            "stage failure, innermost cause",
            "Exception in thread \"main\" org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 0.0 failed 1 times, \
             most recent failure: Lost task 0.0 in stage 0.0 (TID 0) (host executor driver): org.apache.spark.SparkException: wrapped\n\
             \tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)\n\
             Caused by: org.apache.spark.SparkException: Task failed while writing rows.\n\tat x.y(Z.scala:1)\n\
             Caused by: java.lang.ArithmeticException: / by zero\n\tat Main$.$anonfun$main$1(Main.scala:9)\n",
            Kind::StageFailure,
            "a stage failed: java.lang.ArithmeticException: / by zero",
        ),
        (
            "stage failure without a trace",
            "org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 1.0 failed 4 times, most recent failure: \
             Lost task 0.3 in stage 1.0 (TID 7) (10.0.0.3 executor 0): java.lang.IllegalStateException: bad row 17\n",
            Kind::StageFailure,
            "a stage failed: java.lang.IllegalStateException: bad row 17",
        ),
        (
            "python version mismatch",
            "pyspark.errors.exceptions.base.PySparkRuntimeError: [PYTHON_VERSION_MISMATCH] Python in worker has different version: 3.10 \
             than that in driver: 3.12, PySpark cannot run with different minor versions.\n",
            Kind::PythonVersionMismatch,
            "Python in worker has different version: 3.10 than that in driver: 3.12, PySpark cannot run with different minor versions.",
        ),
    ];
    for (name, log, kind, summary) in table {
        assert_eq!(kind_and_summary(driver(log)), Some((*kind, summary.to_string())), "{name}");
    }
}

#[test]
fn a_specific_root_wins_over_the_stage_failure_around_it() {
    let log = "org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 0.0 failed 4 times, most recent failure: \
               Lost task 0.3 (TID 3) (10.0.0.2 executor 1): org.apache.spark.api.python.PythonException: Traceback (most recent call last):\n\
               ModuleNotFoundError: No module named 'numpy'\n";
    let found = driver(log).unwrap();
    assert_eq!(found.kind, Kind::MissingPythonModule);
    assert!(found.hint.contains("pyRequirements") && found.hint.contains("'numpy'"), "{}", found.hint);
}

#[test]
fn kubernetes_verdicts_come_before_the_logs() {
    // Messages as the k8s runtime reports a driver pod's end (`runtime/k8s/follow.rs`).
    let pull = classify(&Evidence {
        reported: Some("image registry.local/spark:nope cannot be pulled (ErrImagePull): manifest unknown"),
        driver_log: "",
        ..Evidence::default()
    })
    .unwrap();
    assert_eq!(pull.kind, Kind::ImagePull);
    assert!(pull.summary.contains("registry.local/spark:nope") && pull.hint.contains("ErrImagePull"), "{pull:?}");
    let backoff = classify(&Evidence { reported: Some("ImagePullBackOff: image x cannot be pulled"), ..Evidence::default() }).unwrap();
    assert_eq!(backoff.kind, Kind::ImagePull);

    let oom = classify(&Evidence {
        reported: Some("the driver exited with code 137 (OOMKilled)"),
        driver_log: "INFO SparkContext: Running Spark version 4.0.0\n",
        ..Evidence::default()
    })
    .unwrap();
    assert_eq!(oom.kind, Kind::DriverOutOfMemory);
    assert!(oom.hint.contains("spark.driver.memoryOverhead"), "{}", oom.hint);
}

#[test]
fn executor_logs_explain_what_the_driver_log_does_not() {
    let executors = ["INFO Executor: Running task 0.0\n".to_string(), "ERROR Executor: Exception in task 2.0\njava.lang.OutOfMemoryError: Java heap space\n".to_string()];
    let found = classify(&Evidence { driver_log: "ERROR SparkContext: something ended\n", executor_logs: &executors, ..Evidence::default() }).unwrap();
    assert_eq!((found.kind, found.summary.as_str()), (Kind::ExecutorOutOfMemory, "an executor ran out of memory (Java heap space)"));
    assert!(found.hint.contains("spark.executor.memoryOverhead"));

    let mismatch = ["[PYTHON_VERSION_MISMATCH] Python in worker has different version: 3.9 than that in driver: 3.12.\n".to_string()];
    let found = classify(&Evidence { executor_logs: &mismatch, ..Evidence::default() }).unwrap();
    assert_eq!(found.kind, Kind::PythonVersionMismatch);
}

#[test]
fn a_killed_driver_is_memory_only_when_nothing_else_explains_it() {
    let killed = classify(&Evidence { exit_code: Some(137), ..Evidence::default() }).unwrap();
    assert_eq!(killed.kind, Kind::DriverOutOfMemory);
    let missing = classify(&Evidence { exit_code: Some(137), driver_log: "ModuleNotFoundError: No module named 'x'\n", ..Evidence::default() });
    assert_eq!(missing.unwrap().kind, Kind::MissingPythonModule);
}

#[test]
fn unknown_failures_have_no_cause() {
    for log in ["", "ValueError: boom\n", "26/11/27 22:09:52 WARN Utils: Your hostname resolves to a loopback address\n"] {
        assert_eq!(classify(&Evidence { driver_log: log, exit_code: Some(1), ..Evidence::default() }), None, "{log:?}");
    }
    assert_eq!(classify(&Evidence { reported: Some("the driver exited with code 1 (Error)"), ..Evidence::default() }), None);
}

#[test]
fn summaries_are_bounded() {
    let path = "x".repeat(5000);
    let found = driver(&format!("[PATH_NOT_FOUND] Path does not exist: file:/{path}.\n")).unwrap();
    assert!(found.summary.chars().count() <= MAX_SUMMARY_CHARS + 1 && found.summary.ends_with('…'), "{}", found.summary.len());
}

#[test]
fn the_reader_takes_driver_and_executor_logs_from_the_job_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DRIVER_STDOUT), "Traceback (most recent call last):\nModuleNotFoundError: No module named 'yaml'\n").unwrap();
    let found = read_cause(&Exit::Code(Some(1)), dir.path()).unwrap();
    assert_eq!(found.summary, "the Python module 'yaml' is not installed");

    let other = tempfile::tempdir().unwrap();
    let executor = other.path().join("executors/4");
    std::fs::create_dir_all(&executor).unwrap();
    std::fs::write(executor.join(DRIVER_STDERR), "java.lang.OutOfMemoryError: Java heap space\n").unwrap();
    assert_eq!(read_cause(&Exit::Code(Some(1)), other.path()).unwrap().kind, Kind::ExecutorOutOfMemory);
    assert_eq!(read_cause(&Exit::Code(Some(1)), tempfile::tempdir().unwrap().path()), None);
}
