//! Kubernetes jobs and groups through the engine's public API, against the lifecycle
//! simulator (an HTTPS server on loopback that stores pods and plays their phases; not a
//! Kubernetes cluster, it runs no Spark), an `s3s-fs` S3 server on loopback and, for
//! groups, a fake driver agent the simulator's port-forwards reach.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;
mod k8s_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;

use common::states_until;
use k8s_support::fake_agent::FakeAgent;
use k8s_support::s3::{ACCESS_KEY, SECRET_KEY, s3_server};
use k8s_support::simulator::Simulator;
use k8s_support::tls::{TestCa, serve_https};
use sparkdeck_engine::model::cluster::{ClusterInput, ConfigInput, StorageInput};
use sparkdeck_engine::model::group::GroupRequest;
use sparkdeck_engine::model::job::{Job, JobState};
use sparkdeck_engine::{Engine, EngineConfig, EngineEvent, GroupForm, JobSubmission};
use tempfile::TempDir;

const IMAGE: &str = "apache/spark:4.3.0";

/// The simulator, an S3 server and an engine on a temp data directory.
struct World {
    sim: Simulator,
    ca: TestCa,
    url: String,
    s3_root: TempDir,
    s3_endpoint: String,
    data: TempDir,
    engine: Engine,
}

impl World {
    async fn new() -> Self {
        let ca = TestCa::new();
        let sim = Simulator::default();
        let addr = serve_https(&ca, sim.router(), true).await;
        let s3_root = tempfile::tempdir().unwrap();
        std::fs::create_dir(s3_root.path().join("spark-jobs")).unwrap();
        let s3_endpoint = s3_server(s3_root.path()).await;
        let data = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineConfig::new(Some(data.path().to_path_buf()))).await.unwrap();
        Self { sim, ca, url: format!("https://127.0.0.1:{}", addr.port()), s3_root, s3_endpoint, data, engine }
    }

    /// A k8s cluster on the simulator with client-certificate auth.
    fn cluster(&self, name: &str, url: &str, storage: bool, image: Option<&str>) -> ClusterInput {
        let user = self.ca.client_identity("sparkdeck");
        let mut conf = BTreeMap::from([("spark.kubernetes.namespace".to_string(), "spark".to_string())]);
        if let Some(image) = image {
            conf.insert("spark.kubernetes.container.image".into(), image.into());
        }
        let storages = storage.then(|| {
            BTreeMap::from([(
                "s3".to_string(),
                StorageInput {
                    spark_bucket: Some("spark-jobs".into()),
                    endpoint: Some(self.s3_endpoint.clone()),
                    access_key: Some(ACCESS_KEY.into()),
                    secret_key: Some(SECRET_KEY.into()),
                    ..StorageInput::default()
                },
            )])
        });
        ClusterInput {
            name: Some(name.into()),
            cluster_type: Some("k8s".into()),
            url: Some(url.into()),
            ca_cert: Some(self.ca.ca_pem.clone()),
            client_cert: Some(user.cert_pem),
            client_key: Some(user.key_pem),
            spark_storage: storage.then(|| "s3".to_string()),
            storages,
            default_application_config: Some(ConfigInput::Map(conf)),
            ..ClusterInput::default()
        }
    }

    async fn add_cluster(&self, name: &str, image: &str) {
        self.engine.create_cluster(&self.cluster(name, &self.url, true, Some(image))).await.unwrap();
    }

    async fn submit_scala(&self, cluster: &str) -> Job {
        submit_scala(&self.engine, cluster).await
    }
}

async fn submit_scala(engine: &Engine, cluster: &str) -> Job {
    let mut jar = engine.begin_upload("jars", "app.jar").unwrap();
    jar.write(b"PK\x03\x04 a jar the simulator never opens").unwrap();
    let form = JobSubmission {
        name: Some("pi".into()),
        cluster_name: Some(cluster.into()),
        job_class: Some("org.example.Pi".into()),
        jars: vec![jar.finish().unwrap()],
        ..JobSubmission::default()
    };
    engine.submit_job(form).await.unwrap()
}

async fn log_text(engine: &Engine, id: &str, name: &str) -> String {
    let logs = engine.job_logs(id, None, None).await.unwrap();
    let names: Vec<&str> = logs.iter().map(|l| l.name.as_str()).collect();
    let log = logs.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no log {name} in {names:?}"));
    log.log.join("\n")
}

fn stored_object(root: &Path, job: &str) -> Vec<u8> {
    std::fs::read(root.join("spark-jobs/sparkdeck/jobs").join(job).join("jars/app.jar")).unwrap()
}

#[tokio::test]
async fn k8s_simulator_job_runs_through_the_engine_and_keeps_its_logs_and_event_log() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    let tested = w.engine.test_cluster_connection(None, &w.cluster("sim-test", &w.url, true, Some(IMAGE))).await.unwrap();
    assert_eq!(tested, "Kubernetes v1.33.1-simulator; namespace 'spark' reachable");

    w.sim.hold();
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    let (states, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy || j.state.is_terminal()).await;
    assert_eq!(states, [JobState::Submitted, JobState::Starting, JobState::Busy]);
    let app_id = busy.app_id.clone().unwrap();
    assert!(app_id.starts_with("spark-"), "{app_id}");
    assert!(stored_object(w.s3_root.path(), &job.job_id).starts_with(b"PK\x03\x04"));

    // What the pod reads: the jar from S3 and the s3a conf, nothing of this machine.
    let config_map = w.sim.others().into_iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    let properties = config_map["data"]["spark.properties"].as_str().unwrap().to_string();
    let jar_url = format!("s3a\\://spark-jobs/sparkdeck/jobs/{}/jars/app.jar", job.job_id);
    assert!(properties.contains(&format!("spark.jars={jar_url}")), "{properties}");
    assert!(properties.contains("spark.hadoop.fs.s3a.endpoint=http\\://127.0.0.1"), "{properties}");
    assert!(!properties.contains(&*w.data.path().to_string_lossy()), "{properties}");
    // The event log goes to the storage, into a folder S3A sees (a marker object lies in it).
    let stored = w.s3_root.path().join("spark-jobs/sparkdeck/jobs").join(&job.job_id).join("events");
    assert!(properties.contains(&format!("spark.eventLog.dir=s3a\\://spark-jobs/sparkdeck/jobs/{}/events\n", job.job_id)), "{properties}");
    assert!(properties.contains("spark.eventLog.enabled=true"), "{properties}");
    assert!(stored.join(".sparkdeck-events").is_file());
    // What the driver would write there (the simulator runs no Spark): its log, and a
    // rolling folder.
    std::fs::write(stored.join(&app_id), "{\"Event\":\"SparkListenerLogStart\"}\n").unwrap();
    std::fs::create_dir(stored.join(format!("eventlog_v2_{app_id}"))).unwrap();
    std::fs::write(stored.join(format!("eventlog_v2_{app_id}/events_1_{app_id}")), "{}\n").unwrap();

    w.sim.release();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!((done.state, done.error.clone(), done.app_id.clone()), (JobState::Finished, None, Some(app_id.clone())));
    // Copied back into the job's `events/` folder by the time the job ends.
    let local = w.data.path().join("jobs").join(&job.job_id).join("events");
    assert_eq!(std::fs::read_to_string(local.join(&app_id)).unwrap(), "{\"Event\":\"SparkListenerLogStart\"}\n");
    assert_eq!(std::fs::read_to_string(local.join(format!("eventlog_v2_{app_id}/events_1_{app_id}"))).unwrap(), "{}\n");
    let mut names: Vec<String> = std::fs::read_dir(&local).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, [format!("eventlog_v2_{app_id}"), app_id.clone()], "no marker, no temporary file");
    let driver = log_text(&w.engine, &job.job_id, "driver-stdout").await;
    assert!(driver.contains("simulated driver log of pi-"), "{driver}");
    let logs = w.engine.job_logs(&job.job_id, None, None).await.unwrap();
    let executor = logs.iter().find(|l| l.role == "executor" && l.log_type == "stdout").expect("an executor log");
    assert!(executor.log.join("\n").contains("simulated executor log"), "{:?}", executor.log);
}

#[tokio::test]
async fn k8s_simulator_storage_keys_are_in_a_secret_the_pod_owns_not_in_the_config_map() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    w.sim.hold();
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy || j.state.is_terminal()).await;

    let others = w.sim.others();
    let config_map = others.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    let properties = config_map["data"]["spark.properties"].as_str().unwrap();
    assert!(!properties.contains(SECRET_KEY) && !properties.contains(ACCESS_KEY), "the ConfigMap is readable with `view` rights: {properties}");
    let pods = w.sim.pods();
    let pod = pods.iter().find(|p| p["metadata"]["labels"]["spark-role"] == "driver").unwrap();
    assert!(!pod.to_string().contains(SECRET_KEY), "{pod}");
    let secret_env = env_of(pod, "AWS_SECRET_ACCESS_KEY");
    assert!(secret_env.get("value").is_none(), "{secret_env}");
    let reference = &secret_env["valueFrom"]["secretKeyRef"];
    let secret = others.iter().find(|o| o["kind"] == "Secret").expect("the driver's Secret");
    assert_eq!(secret["metadata"]["name"], reference["name"]);
    assert_eq!(secret["metadata"]["ownerReferences"][0]["uid"], pod["metadata"]["uid"], "deleted with the pod");
    let stored = secret["data"][reference["key"].as_str().unwrap()].as_str().unwrap();
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(stored).unwrap(), SECRET_KEY.as_bytes());
    let executor_ref = format!("spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY={}\\:", reference["name"].as_str().unwrap());
    assert!(properties.contains(&executor_ref), "the executors read the key from the same Secret: {properties}");
    w.sim.release();
    states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
}

#[tokio::test]
async fn k8s_simulator_failing_pod_fails_the_job_with_the_pods_message() {
    let w = World::new().await;
    w.add_cluster("sim", "example/will-fail:1").await;
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Failed);
    let error = done.error.unwrap();
    assert!(error.contains("exited with code 1 (Error): Exception in thread \"main\" java.lang.ArithmeticException"), "{error}");
}

#[tokio::test]
async fn k8s_simulator_image_pull_failure_fails_the_job() {
    let w = World::new().await;
    w.add_cluster("sim", "example/missing:1").await;
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Failed);
    assert!(done.error.as_deref().unwrap().starts_with("image example/missing:1 cannot be pulled (ImagePullBackOff)"), "{done:?}");
}

#[tokio::test]
async fn k8s_simulator_stop_cancels_the_job_and_deletes_the_pod() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    w.sim.hold();
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    assert_eq!(w.sim.pod_count(), 2, "driver and executor");
    let stopped = w.engine.stop_job(&job.job_id).await.unwrap();
    assert_eq!(stopped.state, JobState::Canceled);
    assert_eq!(w.sim.pod_count(), 0, "the driver and (through it) its executor are deleted");
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Canceled);
    assert_eq!(w.engine.get_job(&job.job_id).await.unwrap().state, JobState::Canceled);
}

#[tokio::test]
async fn k8s_simulator_missing_settings_fail_the_job_by_name() {
    let w = World::new().await;
    w.engine.create_cluster(&w.cluster("no-storage", &w.url, false, Some(IMAGE))).await.unwrap();
    w.engine.create_cluster(&w.cluster("no-image", &w.url, true, None)).await.unwrap();
    w.add_cluster("sim", IMAGE).await;
    for (cluster, prefix) in [("no-storage", "sparkStorage: "), ("no-image", "spark.kubernetes.container.image: ")] {
        let job = w.submit_scala(cluster).await;
        let job = w.engine.get_job(&job.job_id).await.unwrap();
        assert_eq!(job.state, JobState::Failed, "{job:?}");
        assert!(job.error.as_deref().unwrap().starts_with(prefix), "{job:?}");
    }
    assert_eq!(w.sim.pod_count(), 0);

    // pyRequirements would need a virtualenv built on this machine.
    let mut script = w.engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print(1)\n").unwrap();
    let form = JobSubmission {
        name: Some("py".into()),
        language: Some("PYTHON".into()),
        cluster_name: Some("sim".into()),
        py_requirements: Some("requests==2.32.3".into()),
        py_files: vec![script.finish().unwrap()],
        ..JobSubmission::default()
    };
    let job = w.engine.submit_job(form).await.unwrap();
    let job = w.engine.get_job(&job.job_id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(job.error.as_deref().unwrap().starts_with("pyRequirements: are not supported on k8s clusters yet"), "{job:?}");

    let group = GroupForm {
        name: Some("g".into()),
        cluster_name: Some("sim".into()),
        py_requirements: Some("requests==2.32.3".into()),
        ..GroupForm::default()
    };
    let error = w.engine.create_group(group).await.unwrap_err();
    assert_eq!(error.field(), Some("pyRequirements"));
    assert!(error.to_string().contains("are not supported on k8s clusters yet"), "{error}");
}

#[tokio::test]
async fn k8s_simulator_unreachable_api_server_fails_the_job() {
    let w = World::new().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("https://127.0.0.1:{closed}");
    w.engine.create_cluster(&w.cluster("gone", &url, true, Some(IMAGE))).await.unwrap();
    let job = w.submit_scala("gone").await;
    let job = w.engine.get_job(&job.job_id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.error.as_deref(), Some(format!("cannot reach the API server at {url}: connection refused").as_str()));
    let tested = w.engine.test_cluster_connection(None, &w.cluster("gone-test", &url, true, Some(IMAGE))).await.unwrap_err();
    assert!(tested.to_string().contains("connection refused"), "{tested}");
}

/// A Scala job held BUSY on the simulator, then its engine gone as a crash leaves it:
/// the simulator, the data directory, the job as submitted and as BUSY.
async fn busy_job_then_the_engine_gone() -> (Simulator, TempDir, Job, Job) {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    w.sim.hold();
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    let (_, busy) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    let World { sim, data, engine, .. } = w;
    drop(events);
    drop(engine);
    (sim, data, job, busy)
}

#[tokio::test]
async fn k8s_simulator_restart_reattaches_to_the_running_pod() {
    let (sim, data, job, busy) = busy_job_then_the_engine_gone().await;
    let engine = reopen(data.path()).await;
    assert_eq!(engine.get_job(&job.job_id).await.unwrap().state, JobState::Busy, "re-attached, not UNKNOWN");
    let mut events = engine.subscribe();
    sim.release();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!((done.state, done.app_id), (JobState::Finished, busy.app_id));
    assert!(log_text(&engine, &job.job_id, "driver-stdout").await.contains("simulated driver log"));
}

fn driver_pods(sim: &Simulator) -> usize {
    sim.pods().iter().filter(|p| p["metadata"]["labels"]["spark-role"] == "driver").count()
}

/// What a crash between committing STARTING and recording the launched driver leaves.
async fn forget_driver(data_dir: &Path, job_id: &str) {
    let url = format!("sqlite://{}", data_dir.join("sparkdeck.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let changed = sqlx::query("UPDATE jobs SET state = 'STARTING', driver = NULL, pid = NULL, pid_start = NULL WHERE id = ?")
        .bind(job_id)
        .execute(&mut db)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);
}

#[tokio::test]
async fn k8s_simulator_a_pod_whose_launch_was_not_recorded_is_adopted_after_a_restart() {
    let (sim, data, job, busy) = busy_job_then_the_engine_gone().await;
    forget_driver(data.path(), &job.job_id).await;
    let engine = reopen(data.path()).await;
    let mut events = engine.subscribe();
    sim.release();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!((done.state, done.app_id), (JobState::Finished, busy.app_id), "followed the pod it found");
    assert_eq!(driver_pods(&sim), 1, "adopted, not created again: {:?}", sim.pods());
}

#[tokio::test]
async fn k8s_simulator_a_launch_that_never_reached_the_cluster_is_launched_after_a_restart() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    w.engine.shutdown();
    let job = w.submit_scala("sim").await;
    let World { sim, data, engine, .. } = w;
    drop(engine);
    forget_driver(data.path(), &job.job_id).await;
    let engine = reopen(data.path()).await;
    let mut events = engine.subscribe();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!((done.state, done.error), (JobState::Finished, None));
    assert_eq!(driver_pods(&sim), 1, "launched once: {:?}", sim.pods());
}

#[tokio::test]
async fn k8s_simulator_api_outage_while_polling_does_not_end_the_job() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    w.sim.hold();
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;
    w.sim.set_outage(true);
    while w.sim.refused() < 3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(w.engine.get_job(&job.job_id).await.unwrap().state, JobState::Busy, "the watch failed, the job goes on");
    w.sim.set_outage(false);
    w.sim.release();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Finished);
}

/// The group's next driver (a job of the group other than `not`) whose state `until` accepts.
async fn driver_until(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    group: &str,
    not: Option<&str>,
    until: impl Fn(&Job) -> bool,
) -> Job {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(EngineEvent::JobChanged { job })
                    if job.group_id.as_deref() == Some(group) && Some(job.job_id.as_str()) != not && until(&job) =>
                {
                    return job;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event bus closed: {e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), wait).await.expect("no such driver change within 2 minutes")
}

/// A CODE group of one driver on the simulated cluster `sim`.
async fn create_code_group(engine: &Engine) -> sparkdeck_engine::model::group::Group {
    let form = GroupForm {
        name: Some("notebook".into()),
        kind: Some("CODE".into()),
        cluster_name: Some("sim".into()),
        scale: Some(1),
        ..GroupForm::default()
    };
    engine.create_group(form).await.unwrap()
}

fn code(text: &str) -> GroupRequest {
    GroupRequest::InteractiveCodeExecute { code: text.into(), language: None }
}

fn env_of<'a>(pod: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let env = pod["spec"]["containers"][0]["env"].as_array().unwrap();
    env.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no {name} in {env:?}"))
}

#[tokio::test]
async fn k8s_simulator_group_driver_pod_serves_requests_through_a_port_forward() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    let (agent, _) = FakeAgent::start(&w.sim).await;
    let mut events = w.engine.subscribe();
    let group = create_code_group(&w.engine).await;
    let driver = driver_until(&mut events, &group.id, None, |j| j.state == JobState::Ready || j.state.is_terminal()).await;
    assert_eq!((driver.state, driver.error.as_deref()), (JobState::Ready, None), "{driver:?}");
    assert_eq!(driver.app_id.as_deref(), Some("spark-fake-agent"), "the health answer came through the forward");
    assert!(w.sim.forwards() >= 1);

    // The pod runs the agent from S3, with its secret only by reference.
    let pods = w.sim.pods();
    let pod = pods.iter().find(|p| p["metadata"]["labels"]["spark-role"] == "driver").unwrap();
    let args = pod["spec"]["containers"][0]["args"].as_array().unwrap();
    assert!(args.iter().any(|a| a == "org.apache.spark.deploy.PythonRunner"), "{args:?}");
    let agent_url = format!("s3a://spark-jobs/sparkdeck/jobs/{}/sparkdeck_driver.py", driver.job_id);
    assert!(args.iter().any(|a| a == agent_url.as_str()), "{args:?}");
    assert_eq!(env_of(pod, "SPARKDECK_DRIVER_PORT")["value"], "7090");
    assert_eq!(env_of(pod, "SPARKDECK_DRIVER_HOST")["value"], "0.0.0.0");
    assert_eq!(env_of(pod, "SPARKDECK_DRIVER_LEASE_SECONDS")["value"], "600", "the engine's lease reaches the pod");
    assert_eq!(env_of(pod, "SPARKDECK_DRIVER_INTERPRETERS")["value"], "SCALA,SQL,PYTHON", "a CODE group's default language first");
    let secret_env = env_of(pod, "SPARKDECK_DRIVER_SECRET");
    assert!(secret_env.get("value").is_none(), "{secret_env}");
    let secret_name = secret_env["valueFrom"]["secretKeyRef"]["name"].as_str().unwrap();
    let others = w.sim.others();
    let secret = others.iter().find(|o| o["kind"] == "Secret").expect("the agent's Secret");
    assert_eq!(secret["metadata"]["name"], secret_name);
    assert_eq!(secret["metadata"]["ownerReferences"][0]["uid"], pod["metadata"]["uid"], "deleted with the pod");
    let presented = agent.seen.lock().unwrap()[0].clone();
    let config_map = others.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    let properties = config_map["data"]["spark.properties"].as_str().unwrap();
    assert!(!properties.contains(&presented) && !pod.to_string().contains(&presented), "the secret stays out of the pod spec and ConfigMap");
    let prefix = format!("s3a\\://spark-jobs/sparkdeck/jobs/{}", driver.job_id);
    assert!(properties.contains(&format!("spark.submit.pyFiles={prefix}/agent/ilum.zip")), "{properties}");
    assert!(properties.contains(&format!("spark.jars={prefix}/sparkdeck-driver.jar")), "{properties}");
    let zip = std::fs::read(w.s3_root.path().join("spark-jobs/sparkdeck/jobs").join(&driver.job_id).join("agent/ilum.zip")).unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"));

    let done = w.engine.execute_instance(&group.id, code("1 + 1")).await.unwrap();
    assert_eq!((done.state, done.result.as_deref()), (JobState::Finished, Some("fake agent ran: 1 + 1")), "{done:?}");

    w.engine.stop_group(&group.id).await.unwrap();
    let ended = driver_until(&mut events, &group.id, None, |j| j.state.is_terminal()).await;
    assert_eq!(ended.job_id, driver.job_id);
    assert_eq!(w.sim.pod_count(), 0, "the driver pod (and its executor) are deleted");
}

#[tokio::test]
async fn k8s_simulator_group_broken_port_forward_replaces_the_driver() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    FakeAgent::start(&w.sim).await;
    let mut events = w.engine.subscribe();
    let group = create_code_group(&w.engine).await;
    let first = driver_until(&mut events, &group.id, None, |j| j.state == JobState::Ready).await;

    // Every forward fails, the open ones too: the request fails instead of waiting.
    w.sim.break_forwards(true);
    let failed = w.engine.execute_instance(&group.id, code("1 + 1")).await.unwrap();
    assert_eq!(failed.state, JobState::Failed, "{failed:?}");
    let message = failed.error.map(|e| e.message).unwrap_or_default();
    assert!(message.contains("lost contact with the driver"), "{message}");

    // Missed health checks stop the driver; its pod goes.
    let ended = driver_until(&mut events, &group.id, None, |j| j.job_id == first.job_id && j.state.is_terminal()).await;
    assert!(!w.sim.pods().iter().any(|p| p.to_string().contains(&first.job_id) && p["metadata"]["labels"]["spark-role"] == "driver"), "{ended:?}");
    w.sim.break_forwards(false);
    let second = driver_until(&mut events, &group.id, Some(&first.job_id), |j| j.state == JobState::Ready).await;
    let done = w.engine.execute_instance(&group.id, code("2 + 2")).await.unwrap();
    assert_eq!((done.state, done.result.as_deref()), (JobState::Finished, Some("fake agent ran: 2 + 2")), "{done:?}");
    assert_ne!(second.job_id, first.job_id);
    w.engine.stop_group(&group.id).await.unwrap();
}

#[tokio::test]
async fn k8s_simulator_group_restart_reattaches_the_driver_through_a_new_forward() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    FakeAgent::start(&w.sim).await;
    let mut events = w.engine.subscribe();
    let group = create_code_group(&w.engine).await;
    let driver = driver_until(&mut events, &group.id, None, |j| j.state == JobState::Ready).await;
    let forwards = w.sim.forwards();
    let World { sim, data, engine, .. } = w;
    drop(events);
    drop(engine);
    let engine = reopen(data.path()).await;
    // The request waits in the queue until the recovered driver is READY again.
    let done = engine.execute_instance(&group.id, code("3 + 3")).await.unwrap();
    assert_eq!((done.state, done.result.as_deref()), (JobState::Finished, Some("fake agent ran: 3 + 3")), "{done:?}");
    assert_eq!(done.job_id.as_deref(), Some(driver.job_id.as_str()), "the same driver pod, not a replacement");
    assert!(sim.forwards() > forwards, "reached through the new engine's forward");
    engine.stop_group(&group.id).await.unwrap();
}

/// Opens the engine again once the old one's background tasks have let go of it.
async fn reopen(dir: &Path) -> Engine {
    loop {
        match Engine::open(EngineConfig::new(Some(dir.to_path_buf()))).await {
            Ok(engine) => return engine,
            Err(sparkdeck_engine::EngineError::DataDirLocked { .. }) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("{e}"),
        }
    }
}

/// The files under `dir` and its subdirectories (what the S3 server stores as objects).
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn k8s_simulator_deleting_a_job_removes_its_files_from_the_storage() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Finished);
    let jobs = w.s3_root.path().join("spark-jobs/sparkdeck/jobs");
    assert!(!files_under(&jobs.join(&job.job_id)).is_empty(), "the launch uploaded the job's files");
    // Another job whose id begins with this one's keeps its files.
    let neighbour = jobs.join(format!("{}0", job.job_id));
    std::fs::create_dir_all(&neighbour).unwrap();
    std::fs::write(neighbour.join("keep.txt"), b"not ours").unwrap();

    w.engine.delete_job(&job.job_id).await.unwrap();
    assert_eq!(files_under(&jobs.join(&job.job_id)), Vec::<String>::new(), "no object of the deleted job is left");
    assert_eq!(files_under(&neighbour).len(), 1);
}

#[tokio::test]
async fn k8s_simulator_a_job_whose_files_cannot_be_removed_from_the_storage_is_kept() {
    let mut w = World::new().await;
    let cluster = w.engine.create_cluster(&w.cluster("sim", &w.url, true, Some(IMAGE))).await.unwrap();
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    // The storage moves somewhere nothing answers.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    w.s3_endpoint = format!("http://127.0.0.1:{closed}");
    w.engine.update_cluster(&cluster.id, &w.cluster("sim", &w.url, true, Some(IMAGE))).await.unwrap();

    let err = w.engine.delete_job(&job.job_id).await.unwrap_err();
    assert!(err.to_string().contains("is kept") && err.to_string().contains("cannot remove s3a://spark-jobs/sparkdeck/jobs/"), "{err}");
    assert_eq!(w.engine.get_job(&job.job_id).await.unwrap().state, JobState::Finished, "the job is still there");
}

/// `com.example:hello:1.0` in a Maven repository laid out under `root` (a jar holding one
/// resource, and its pom).
fn maven_repo(root: &Path) -> std::path::PathBuf {
    let content = root.join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("hello.txt"), "hello\n").unwrap();
    let dir = root.join("repo/com/example/hello/1.0");
    std::fs::create_dir_all(&dir).unwrap();
    let ok = std::process::Command::new("jar").arg("cf").arg(dir.join("hello-1.0.jar")).arg("-C").arg(&content).arg(".").status().unwrap();
    assert!(ok.success(), "jar failed");
    let pom = "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId>\
               <artifactId>hello</artifactId><version>1.0</version><packaging>jar</packaging></project>\n";
    std::fs::write(dir.join("hello-1.0.pom"), pom).unwrap();
    root.join("repo")
}

/// The pod runs no spark-submit of ours: `packages` are resolved here (this machine's Spark,
/// the job's repository) and go to `sparkStorage` with the job's jar; the memory fields
/// size the driver pod.
#[tokio::test]
async fn k8s_simulator_job_gets_its_resolved_packages_from_storage_and_its_memory_settings() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    let build = tempfile::tempdir().unwrap();
    let repo = maven_repo(build.path());
    w.sim.hold();
    let mut events = w.engine.subscribe();
    let mut jar = w.engine.begin_upload("jars", "app.jar").unwrap();
    jar.write(b"PK\x03\x04 a jar the simulator never opens").unwrap();
    let memory = sparkdeck_engine::model::memory_settings::MemorySettingsForm {
        driver_memory: Some("2g".into()),
        driver_cores: Some("2".into()),
        ..Default::default()
    };
    let form = JobSubmission {
        name: Some("with packages".into()),
        cluster_name: Some("sim".into()),
        job_class: Some("org.example.Pi".into()),
        job_config: Some(format!("spark.jars.repositories=file://{}", repo.display())),
        packages: Some("com.example:hello:1.0".into()),
        memory,
        jars: vec![jar.finish().unwrap()],
        ..JobSubmission::default()
    };
    let job = w.engine.submit_job(form).await.unwrap();
    let (_, seen) = states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy || j.state.is_terminal()).await;
    assert_eq!(seen.state, JobState::Busy, "{:?}", seen.error);

    let stored = w.s3_root.path().join("spark-jobs/sparkdeck/jobs").join(&job.job_id).join("com.example_hello-1.0.jar");
    assert!(std::fs::read(&stored).unwrap().starts_with(b"PK"), "the resolved jar is in the storage");
    let config_map = w.sim.others().into_iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    let properties = config_map["data"]["spark.properties"].as_str().unwrap().to_string();
    let package_url = format!("s3a\\://spark-jobs/sparkdeck/jobs/{}/com.example_hello-1.0.jar", job.job_id);
    assert!(properties.contains(&package_url) && properties.contains("spark.driver.memory=2g"), "{properties}");
    assert!(!properties.contains("spark.jars.packages"), "the pod resolves nothing: {properties}");
    let pods = w.sim.pods();
    let pod = pods.iter().find(|p| p["metadata"]["labels"]["spark-role"] == "driver").unwrap();
    let requests = &pod["spec"]["containers"][0]["resources"]["requests"];
    assert_eq!((&requests["memory"], &requests["cpu"]), (&serde_json::json!("2432Mi"), &serde_json::json!("2")), "2 GiB heap + 384 MiB overhead");
    let cache: Vec<_> = std::fs::read_dir(w.data.path().join("packages")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(cache.len(), 1, "{cache:?}");
    assert!(cache[0].join(".sparkdeck-complete").is_file() && cache[0].join("jars/com.example_hello-1.0.jar").is_file());
    w.sim.release();
    states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
}

/// A coordinate the named repository does not have fails the job before any pod, naming it.
#[tokio::test]
async fn k8s_simulator_job_whose_packages_cannot_be_resolved_fails_naming_them() {
    let w = World::new().await;
    w.add_cluster("sim", IMAGE).await;
    let build = tempfile::tempdir().unwrap();
    let repo = maven_repo(build.path());
    let mut events = w.engine.subscribe();
    let mut jar = w.engine.begin_upload("jars", "app.jar").unwrap();
    jar.write(b"PK\x03\x04 a jar the simulator never opens").unwrap();
    let form = JobSubmission {
        name: Some("missing package".into()),
        cluster_name: Some("sim".into()),
        job_class: Some("org.example.Pi".into()),
        job_config: Some(format!("spark.jars.repositories=file://{}", repo.display())),
        packages: Some("com.example:absent:9.9".into()),
        jars: vec![jar.finish().unwrap()],
        ..JobSubmission::default()
    };
    let job = w.engine.submit_job(form).await.unwrap();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!(done.state, JobState::Failed);
    let error = done.error.unwrap_or_default();
    assert!(error.contains("com.example:absent:9.9") && error.contains("unresolved dependency: com.example#absent;9.9"), "{error}");
    assert_eq!(w.sim.pod_count(), 0, "no pod was created");
    let left: Vec<_> = std::fs::read_dir(w.data.path().join("packages")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "no cache entry, no temporary left: {left:?}");
    assert!(log_text(&w.engine, &job.job_id, "driver-stderr").await.contains(":: resolution report ::"), "Ivy's report is in the job's log");
}

/// Simulated: a running driver pod's Spark UI is reached through a port-forward to the
/// `spark-ui` port its container declares, on a loopback port the runtime owns; the job's
/// `sparkUiUrl` names it while the pod runs, and the forward goes when the job ends.
#[tokio::test]
async fn k8s_simulator_a_running_drivers_spark_ui_is_forwarded_to_loopback_until_it_ends() {
    let w = World::new().await;
    w.sim.serve_spark_ui().await;
    w.add_cluster("sim", IMAGE).await;
    w.sim.hold();
    let mut events = w.engine.subscribe();
    let job = w.submit_scala("sim").await;
    let (_, running) = states_until(&mut events, &job.job_id, |j| j.spark_ui_url.is_some() && j.app_id.is_some()).await;
    let url = running.spark_ui_url.clone().unwrap();
    let port: u16 = url.strip_prefix("http://127.0.0.1:").unwrap().parse().unwrap();
    assert_eq!(w.engine.live_spark_ui(&job.job_id).await.unwrap().as_deref(), Some(url.as_str()));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let apps: serde_json::Value = client.get(format!("{url}/api/v1/applications")).send().await.unwrap().json().await.unwrap();
    let app_id = running.app_id.clone().unwrap();
    assert_eq!(apps.as_array().map(|a| a.iter().map(|x| x["id"].clone()).collect::<Vec<_>>()), Some(vec![serde_json::json!(app_id)]), "{apps}");

    w.sim.release();
    let (_, done) = states_until(&mut events, &job.job_id, |j| j.state.is_terminal()).await;
    assert_eq!((done.state, done.spark_ui_url), (JobState::Finished, None));
    assert_eq!(w.engine.live_spark_ui(&job.job_id).await.unwrap(), None);
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err(), "the forward's listener is closed with the job");
}
