//! The group state machine on the scripted test runtime and a stand-in agent on loopback
//! (no Spark): requests answered, rescale while a driver is busy, a driver that dies
//! mid-request, the queue timeout. The real agent on real Spark runs in
//! `crates/server/tests/groups_spark.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::Duration;

use axum::routing::{get, post};
use serde_json::{Value, json};
use sparkdeck_engine::model::group::{Group, GroupRequest};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::testing::{ScriptedDriver, ScriptedExit, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, GroupForm};

/// An agent that is READY at once and answers `wait:<ms>` after that many milliseconds
/// (any other code at once), with the code as its result; `big:<n>` returns n bytes.
async fn start_agent() -> u16 {
    async fn execute(axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
        let code = body["code"].as_str().unwrap_or_default().to_string();
        if let Some(ms) = code.strip_prefix("wait:").and_then(|ms| ms.parse().ok()) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(n) = code.strip_prefix("big:").and_then(|n| n.parse::<usize>().ok()) {
            return axum::Json(json!({ "result": "x".repeat(n) }));
        }
        axum::Json(json!({ "result": code }))
    }
    let router = axum::Router::new()
        .route("/health", get(|| async { axum::Json(json!({"state": "READY", "appId": "app-stand-in"})) }))
        .route("/execute", post(execute))
        .route("/cancel", post(|| async { axum::Json(json!({"cancelled": false})) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

async fn world(queue_timeout: Duration) -> (tempfile::TempDir, ScriptedRuntime, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.serve_agents_on(start_agent().await);
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.queue_timeout = queue_timeout;
    let engine = Engine::open_with_runtime(config, runtime.clone()).await.unwrap();
    (dir, runtime, engine)
}

async fn create(engine: &Engine, scale: u32) -> Group {
    let form = GroupForm {
        name: Some("notebook".into()),
        kind: Some("CODE".into()),
        scale: Some(scale),
        ..GroupForm::default()
    };
    engine.create_group(form).await.unwrap()
}

fn code(text: &str) -> GroupRequest {
    GroupRequest::InteractiveCodeExecute { code: text.into(), language: None }
}

/// Waits until `until` holds for the group's drivers (READY ones, as the engine reports them).
async fn drivers_until(engine: &Engine, id: &str, what: &str, until: impl Fn(&[JobState]) -> bool) -> Vec<JobState> {
    let wait = async {
        loop {
            let group = engine.get_group(id).await.unwrap();
            let states: Vec<JobState> = group.jobs.iter().filter(|j| !j.state.is_terminal()).map(|j| j.state).collect();
            if until(&states) {
                return states;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait).await.unwrap_or_else(|_| panic!("{what} within 20 s"))
}

fn live(runtime: &ScriptedRuntime) -> Vec<ScriptedDriver> {
    runtime.drivers().into_iter().filter(|d| d.ended.is_none()).collect()
}

async fn wait_for(what: &str, until: impl Fn() -> bool) {
    let wait = async {
        while !until() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait).await.unwrap_or_else(|_| panic!("{what} within 20 s"));
}

#[tokio::test]
async fn a_group_keeps_its_scale_and_answers_requests() {
    let (_dir, runtime, engine) = world(Duration::from_secs(30)).await;
    let group = create(&engine, 2).await;
    drivers_until(&engine, &group.id, "two READY drivers", |s| s == [JobState::Ready, JobState::Ready]).await;
    let done = engine.execute_instance(&group.id, code("1 + 1")).await.unwrap();
    assert_eq!((done.state, done.result.as_deref()), (JobState::Finished, Some("1 + 1")));
    assert_eq!(runtime.drivers().len(), 2, "warm drivers, nothing launched per request");
}

#[tokio::test]
async fn a_result_over_the_limit_fails_the_request_with_a_clear_message_and_the_driver_serves_on() {
    let (_dir, runtime, engine) = world(Duration::from_secs(30)).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let limit = sparkdeck_engine::limits::MAX_RESULT_BYTES;
    let fitting = engine.execute_instance(&group.id, code(&format!("big:{limit}"))).await.unwrap();
    assert_eq!((fitting.state, fitting.result.map(|r| r.len())), (JobState::Finished, Some(limit)));
    let over = engine.execute_instance(&group.id, code(&format!("big:{}", limit + 1))).await.unwrap();
    assert_eq!((over.state, over.result.as_deref()), (JobState::Failed, None));
    let message = over.error.unwrap().message;
    assert!(message.contains("the result is larger than the 4 MiB a request may return"), "{message}");
    let after = engine.execute_instance(&group.id, code("1 + 1")).await.unwrap();
    assert_eq!((after.state, after.result.as_deref()), (JobState::Finished, Some("1 + 1")));
    assert_eq!(runtime.drivers().len(), 1, "the same driver serves on");
}

#[tokio::test]
async fn scaling_down_while_busy_retires_the_idle_driver_and_lets_the_busy_one_answer() {
    let (_dir, runtime, engine) = world(Duration::from_secs(30)).await;
    let group = create(&engine, 2).await;
    drivers_until(&engine, &group.id, "two READY drivers", |s| s.len() == 2 && s.iter().all(|s| *s == JobState::Ready)).await;
    let running = {
        let (engine, id) = (engine.clone(), group.id.clone());
        tokio::spawn(async move { engine.execute_instance(&id, code("wait:800")).await })
    };
    drivers_until(&engine, &group.id, "one driver BUSY", |s| s.contains(&JobState::Busy)).await;
    engine.rescale_group(&group.id, 1).await.unwrap();
    wait_for("the idle driver retired", || runtime.drivers().iter().any(|d| d.stopped)).await;
    let stopped: Vec<ScriptedDriver> = runtime.drivers().into_iter().filter(|d| d.stopped).collect();
    assert_eq!(stopped.len(), 1, "only the idle one, while the other is busy: {stopped:?}");
    let answered = running.await.unwrap().unwrap();
    assert_eq!((answered.state, answered.result.as_deref()), (JobState::Finished, Some("wait:800")), "the busy one answers");
    assert_eq!(live(&runtime).len(), 1);
    let again = engine.execute_instance(&group.id, code("2 + 2")).await.unwrap();
    assert_eq!(again.state, JobState::Finished, "the remaining driver still serves");
}

#[tokio::test]
async fn a_driver_that_dies_mid_request_fails_it_and_is_replaced() {
    let (_dir, runtime, engine) = world(Duration::from_secs(30)).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let running = {
        let (engine, id) = (engine.clone(), group.id.clone());
        tokio::spawn(async move { engine.execute_instance(&id, code("wait:2000")).await })
    };
    drivers_until(&engine, &group.id, "the driver BUSY", |s| s == [JobState::Busy]).await;
    let first = runtime.drivers()[0].id.clone();
    runtime.end(&first, ScriptedExit::Killed);
    let failed = running.await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    let message = failed.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("ended while running this request") && message.contains("replacement"), "{message}");
    drivers_until(&engine, &group.id, "a replacement READY", |s| s == [JobState::Ready]).await;
    assert_eq!(runtime.drivers().len(), 2, "one replacement");
    let done = engine.execute_instance(&group.id, code("3")).await.unwrap();
    assert_eq!(done.state, JobState::Finished);
}

#[tokio::test]
async fn a_request_that_waits_past_the_queue_timeout_fails_and_the_next_one_runs() {
    let (_dir, _runtime, engine) = world(Duration::from_millis(300)).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    let long = {
        let (engine, id) = (engine.clone(), group.id.clone());
        tokio::spawn(async move { engine.execute_instance(&id, code("wait:1500")).await })
    };
    drivers_until(&engine, &group.id, "the driver BUSY", |s| s == [JobState::Busy]).await;
    let waited = engine.execute_instance(&group.id, code("queued")).await.unwrap();
    assert_eq!(waited.state, JobState::Failed);
    let message = waited.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("queue timeout"), "{message}");
    assert_eq!(long.await.unwrap().unwrap().state, JobState::Finished, "the running request is not affected");
}

#[tokio::test]
async fn after_shutdown_a_dead_driver_is_not_replaced() {
    let (_dir, runtime, engine) = world(Duration::from_secs(30)).await;
    let group = create(&engine, 1).await;
    drivers_until(&engine, &group.id, "a READY driver", |s| s == [JobState::Ready]).await;
    engine.shutdown();
    runtime.end(&runtime.drivers()[0].id, ScriptedExit::Killed);
    drivers_until(&engine, &group.id, "the dead driver recorded", |s| s.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(runtime.drivers().len(), 1, "no replacement while shutting down");
}

#[tokio::test]
async fn secret_spark_settings_are_masked_in_group_views_but_reach_the_driver() {
    use sparkdeck_engine::model::cluster::{ClusterInput, ConfigInput};
    use sparkdeck_engine::model::query::GroupQuery;
    use sparkdeck_engine::model::secret::MASK;
    let (_dir, runtime, engine) = world(Duration::from_secs(30)).await;
    let cluster = ClusterInput {
        name: Some("vault".into()),
        cluster_type: Some("local".into()),
        default_application_config: Some(ConfigInput::Text("spark.hadoop.fs.s3a.secret.key=cluster-secret".into())),
        ..ClusterInput::default()
    };
    engine.create_cluster(&cluster).await.unwrap();
    let form = GroupForm {
        name: Some("keys".into()),
        kind: Some("CODE".into()),
        cluster_name: Some("vault".into()),
        job_config: Some("spark.authenticate.secret=group-secret;spark.executor.memory=1g".into()),
        scale: Some(1),
        ..GroupForm::default()
    };
    let created = engine.create_group(form).await.unwrap();
    let listed = engine.list_groups(&GroupQuery::default()).await.unwrap().content;
    for shown in [created.clone(), engine.get_group(&created.id).await.unwrap(), listed[0].clone()] {
        assert_eq!(shown.job_config["spark.authenticate.secret"], MASK);
        assert_eq!(shown.job_config["spark.executor.memory"], "1g");
        assert!(!serde_json::to_string(&shown).unwrap().contains("group-secret"), "leaked: {shown:?}");
    }
    wait_for("a driver launched", || runtime.drivers().len() == 1).await;
    let conf = &runtime.drivers()[0].conf;
    assert_eq!(conf["spark.authenticate.secret"], "group-secret", "the driver gets the real value");
    assert_eq!(conf["spark.hadoop.fs.s3a.secret.key"], "cluster-secret", "and the cluster's");

    // The view's settings sent back keep the stored secret; the next driver gets it.
    let sent_back = created.job_config.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";");
    let form = GroupForm { job_config: Some(format!("{sent_back};spark.executor.cores=2")), scale: Some(2), ..GroupForm::default() };
    let updated = engine.update_group(&created.id, form).await.unwrap();
    assert_eq!((updated.job_config["spark.authenticate.secret"].as_str(), updated.job_config["spark.executor.cores"].as_str()), (MASK, "2"));
    wait_for("a second driver launched", || runtime.drivers().len() == 2).await;
    let conf = &runtime.drivers()[1].conf;
    assert_eq!((conf["spark.authenticate.secret"].as_str(), conf["spark.executor.cores"].as_str()), ("group-secret", "2"));
}

#[tokio::test]
async fn a_group_driver_is_launched_with_the_engines_lease() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    runtime.serve_agents_on(start_agent().await);
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.driver_lease = Duration::from_secs(45);
    let engine = Engine::open_with_runtime(config, runtime.clone()).await.unwrap();
    create(&engine, 1).await;
    wait_for("a driver launched", || runtime.drivers().len() == 1).await;
    let env = &runtime.drivers()[0].env;
    let lease = env.iter().find(|(k, _)| k == "SPARKDECK_DRIVER_LEASE_SECONDS");
    assert_eq!(lease.map(|(_, v)| v.as_str()), Some("45"), "{env:?}");
}

#[tokio::test]
async fn an_engine_with_a_lease_shorter_than_its_health_checks_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(Some(dir.path().to_path_buf()));
    config.driver_lease = Duration::from_secs(3);
    let error = Engine::open_with_runtime(config, ScriptedRuntime::new()).await.err().expect("refused");
    assert!(error.to_string().contains("driverLeaseSeconds"), "{error}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing was created");
}

#[tokio::test]
async fn quitting_counts_the_running_drivers_and_can_stop_them_all() {
    let (_dir, runtime, engine) = world(Duration::from_secs(30)).await;
    let form = GroupForm {
        name: Some("big".into()),
        kind: Some("CODE".into()),
        job_config: Some("spark.driver.memory=2g".into()),
        scale: Some(2),
        ..GroupForm::default()
    };
    let group = engine.create_group(form).await.unwrap();
    drivers_until(&engine, &group.id, "two READY drivers", |s| s == [JobState::Ready, JobState::Ready]).await;
    let running = engine.running_group_drivers().await.unwrap();
    assert_eq!((running.count, running.memory_bytes), (2, 4 << 30), "elsewhere: the configured driver memory");

    engine.stop_group_drivers().await.unwrap();
    assert!(runtime.drivers().iter().all(|d| d.stopped), "{:?}", runtime.drivers());
    // Recorded before it returns: the app exits right after.
    assert_eq!(engine.running_group_drivers().await.unwrap().count, 0);
    let ended = engine.get_group(&group.id).await.unwrap().jobs;
    assert!(ended.iter().all(|d| d.state == JobState::Finished), "stopped, not failed: {ended:?}");
    assert_eq!(runtime.drivers().len(), 2, "none replaced: the app is quitting");
    let kept = engine.get_group(&group.id).await.unwrap();
    assert_eq!(kept.state.as_str(), "ACTIVE", "the group is kept for the next start");
}
