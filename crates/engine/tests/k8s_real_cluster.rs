//! Layer (e): a real Kubernetes cluster, only when `SPARKDECK_TEST_KUBECONFIG` names a
//! kubeconfig (its first usable context) and `SPARKDECK_TEST_IMAGE` a Spark 4.3.0 image.
//! 1. The k8s module alone: SparkPi from the image, Succeeded, logs, delete.
//! 2. The engine's API: the cluster imported from the kubeconfig, a SCALA job submitted
//!    like any other (its jar goes to S3), FINISHED with "Pi is roughly" in the logs. This
//!    needs S3 the pods can reach (`SPARKDECK_TEST_S3_ENDPOINT`, `_BUCKET`, `_ACCESS_KEY`,
//!    `_SECRET_KEY`) and an image with `hadoop-aws` on its classpath.
//!
//! Both are `#[ignore]`d: `make test` runs them (`-- --ignored`) only when
//! `SPARKDECK_TEST_KUBECONFIG` is set and otherwise prints "skipped: no cluster", so a
//! run without a cluster reports them as ignored, never as passed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::collections::BTreeMap;

use futures::StreamExt;
use sparkdeck_engine::k8s::follow::{DriverPhase, follow_driver};
use sparkdeck_engine::k8s::logs::{copy_app_logs, driver_log_path};
use sparkdeck_engine::k8s::manifests::{K8sDriverPlan, driver_manifests};
use sparkdeck_engine::k8s::submit::{stop_driver, submit_driver};
use sparkdeck_engine::k8s::{client_for, kubeconfig_contexts, test_k8s_connection};
use sparkdeck_engine::JobSubmission;
use sparkdeck_engine::model::cluster::{ClusterInput, ConfigInput, StorageInput};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::{Engine, EngineConfig, EngineEvent};

/// The kubeconfig's first usable context as a cluster input, with the test image and
/// service account in its conf.
fn imported(path: &std::ffi::OsStr) -> ClusterInput {
    let image = std::env::var("SPARKDECK_TEST_IMAGE").unwrap_or_else(|_| "apache/spark:4.3.0".into());
    let path = std::path::PathBuf::from(path);
    let text = std::fs::read_to_string(&path).unwrap();
    let contexts = kubeconfig_contexts(&text, path.parent()).unwrap();
    let context = contexts.into_iter().find(|c| c.error.is_none()).expect("a context Sparkdeck can use");
    let mut input = context.cluster;
    let mut conf = match input.default_application_config.take() {
        Some(ConfigInput::Map(m)) => m,
        _ => BTreeMap::new(),
    };
    conf.insert("spark.kubernetes.container.image".into(), image);
    conf.entry("spark.kubernetes.authenticate.driver.serviceAccountName".into()).or_insert_with(|| std::env::var("SPARKDECK_TEST_SERVICE_ACCOUNT").unwrap_or_else(|_| "spark".into()));
    input.default_application_config = Some(ConfigInput::Map(conf));
    input
}

/// The kubeconfig the suite runs against; running it without one is a mistake, not a pass.
fn kubeconfig() -> std::ffi::OsString {
    std::env::var_os("SPARKDECK_TEST_KUBECONFIG").expect("the real-cluster suite needs SPARKDECK_TEST_KUBECONFIG")
}

#[tokio::test]
#[ignore = "needs a real cluster: run with SPARKDECK_TEST_KUBECONFIG set (make test does)"]
async fn real_cluster_runs_spark_pi() {
    let path = kubeconfig();
    let valid = imported(&path).validate(None, 1).unwrap();
    let cluster = sparkdeck_engine::model::cluster::Cluster {
        id: "real".into(), name: valid.name, description: String::new(), cluster_type: valid.cluster_type,
        spec: valid.spec, created_time: 0, updated_time: 0,
    };
    println!("{}", test_k8s_connection(&cluster).await.unwrap());
    let client = client_for(&cluster).unwrap();
    let plan = K8sDriverPlan::new(&cluster, "sparkdeck-pi", Some("org.apache.spark.examples.SparkPi".into()),
        "local:///opt/spark/examples/jars/spark-examples.jar".into(), vec!["10".into()], &BTreeMap::new(), false).unwrap();
    let driver = submit_driver(&client, &cluster.spec.url, driver_manifests(&plan).unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs = {
        let (client, url, driver, dir) = (client.clone(), cluster.spec.url.clone(), driver.clone(), dir.path().to_path_buf());
        tokio::spawn(async move { copy_app_logs(&client, &url, &driver.namespace, &driver.name, &driver.app_id, &dir).await })
    };
    let last = follow_driver(client.clone(), &driver.namespace, &driver.name).collect::<Vec<_>>().await.pop();
    assert_eq!(last, Some(DriverPhase::Succeeded));
    logs.await.unwrap().unwrap();
    let log = std::fs::read_to_string(driver_log_path(dir.path())).unwrap();
    assert!(log.contains("Pi is roughly"), "{log}");
    assert!(stop_driver(&client, &cluster.spec.url, &driver.namespace, &driver.name).await.unwrap());
}

#[tokio::test]
#[ignore = "needs a real cluster: run with SPARKDECK_TEST_KUBECONFIG set (make test does)"]
async fn real_cluster_runs_a_job_through_the_engine() {
    let path = kubeconfig();
    let s3: Option<Vec<String>> = ["ENDPOINT", "BUCKET", "ACCESS_KEY", "SECRET_KEY"]
        .iter()
        .map(|k| std::env::var(format!("SPARKDECK_TEST_S3_{k}")).ok())
        .collect();
    let [endpoint, bucket, access_key, secret_key] = s3.and_then(|v| <[String; 4]>::try_from(v).ok()).expect(
        "the engine path needs S3 the pods can reach: set SPARKDECK_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and _SECRET_KEY",
    );
    let mut input = imported(&path);
    input.name = Some("real".into());
    input.storages = Some(BTreeMap::from([("s3".to_string(), StorageInput {
        spark_bucket: Some(bucket), endpoint: Some(endpoint), access_key: Some(access_key), secret_key: Some(secret_key),
        ..StorageInput::default()
    })]));
    input.spark_storage = Some("s3".into());
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineConfig::new(Some(data.path().to_path_buf()))).await.unwrap();
    println!("{}", engine.test_cluster_connection(None, &input).await.unwrap());
    engine.create_cluster(&input).await.unwrap();

    // The main jar is uploaded (an empty one); SparkPi comes from the image's examples.
    let mut jar = engine.begin_upload("jars", "app.jar").unwrap();
    jar.write(&empty_jar()).unwrap();
    let mut events = engine.subscribe();
    let job = engine.submit_job(JobSubmission {
        name: Some("sparkdeck-pi".into()),
        cluster_name: Some("real".into()),
        job_class: Some("org.apache.spark.examples.SparkPi".into()),
        job_config: Some("spark.jars=local:///opt/spark/examples/jars/spark-examples.jar".into()),
        args: Some("10".into()),
        jars: vec![jar.finish().unwrap()],
        ..JobSubmission::default()
    }).await.unwrap();
    let done = loop {
        match events.recv().await {
            Ok(EngineEvent::JobChanged { job: j }) if j.job_id == job.job_id && j.state.is_terminal() => break j,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(done.state, JobState::Finished, "{done:?}");
    let logs = engine.job_logs(&job.job_id, None, Some(25_000)).await.unwrap();
    assert!(logs.iter().any(|l| l.log.iter().any(|line| line.contains("Pi is roughly"))), "no result in the logs");
}

/// A jar with one empty entry (CRC and sizes all zero), by hand.
fn empty_jar() -> Vec<u8> {
    let name = b"empty";
    let n = u16::try_from(name.len()).unwrap().to_le_bytes();
    let mut zip = Vec::new();
    zip.extend(b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    zip.extend([0u8; 12]);
    zip.extend(n);
    zip.extend([0, 0]);
    zip.extend(name);
    let central = zip.len();
    zip.extend(b"PK\x01\x02\x0a\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    zip.extend([0u8; 12]);
    zip.extend(n);
    zip.extend([0u8; 12]);
    zip.extend([0u8; 4]); // offset of the local header
    zip.extend(name);
    let size = u32::try_from(zip.len() - central).unwrap().to_le_bytes();
    zip.extend(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    zip.extend(size);
    zip.extend(u32::try_from(central).unwrap().to_le_bytes());
    zip.extend([0, 0]);
    zip
}
