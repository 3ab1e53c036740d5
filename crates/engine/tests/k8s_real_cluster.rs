//! Layer (e): a real Kubernetes cluster, only when `SPARKDECK_TEST_KUBECONFIG` names a
//! kubeconfig (its current context is used) and `SPARKDECK_TEST_IMAGE` a Spark 4.3.0
//! image. Submits SparkPi, waits for Succeeded, reads the logs, deletes the driver.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::collections::BTreeMap;

use futures::StreamExt;
use sparkdeck_engine::k8s::follow::{DriverPhase, follow_driver};
use sparkdeck_engine::k8s::logs::{copy_app_logs, driver_log_path};
use sparkdeck_engine::k8s::manifests::{K8sDriverPlan, driver_manifests};
use sparkdeck_engine::k8s::submit::{stop_driver, submit_driver};
use sparkdeck_engine::k8s::{client_for, kubeconfig_contexts, test_k8s_connection};
use sparkdeck_engine::model::cluster::ConfigInput;

#[tokio::test]
async fn real_cluster_runs_spark_pi() {
    let Some(path) = std::env::var_os("SPARKDECK_TEST_KUBECONFIG") else {
        println!("skipped: no cluster (set SPARKDECK_TEST_KUBECONFIG)");
        return;
    };
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
    let valid = input.validate(None, 1).unwrap();
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
