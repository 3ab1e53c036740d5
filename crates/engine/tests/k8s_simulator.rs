//! Layer (c): the whole driver life against the lifecycle simulator (an HTTPS server on
//! loopback that stores pods and plays their phases; not a Kubernetes cluster), through
//! the real kube client with client-certificate authentication.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod k8s_support;

use std::collections::BTreeMap;

use futures::StreamExt;
use k8s_support::simulator::Simulator;
use k8s_support::tls::{TestCa, serve_https};
use sparkdeck_engine::k8s::follow::{DriverPhase, follow_driver};
use sparkdeck_engine::k8s::logs::{copy_app_logs, driver_log_path, executor_log_path};
use sparkdeck_engine::k8s::manifests::{K8sDriverPlan, driver_manifests};
use sparkdeck_engine::k8s::submit::{stop_driver, submit_driver};
use sparkdeck_engine::k8s::{client_for, test_k8s_connection};
use sparkdeck_engine::model::cluster::{Cluster, ClusterSpec, ClusterType};
use sparkdeck_engine::model::secret::Secret;

async fn simulated_cluster(image: &str) -> (Simulator, Cluster) {
    let ca = TestCa::new();
    let sim = Simulator::default();
    let addr = serve_https(&ca, sim.router(), true).await;
    let user = ca.client_identity("sparkdeck");
    let cluster = Cluster {
        id: "c".into(),
        name: "sim".into(),
        description: String::new(),
        cluster_type: ClusterType::K8s,
        spec: ClusterSpec {
            url: format!("https://127.0.0.1:{}", addr.port()),
            ca_cert: ca.ca_pem.clone(),
            client_cert: user.cert_pem,
            client_key: Secret::new(user.key_pem),
            default_application_config: BTreeMap::from([
                ("spark.kubernetes.namespace".to_string(), "spark".to_string()),
                ("spark.kubernetes.container.image".to_string(), image.to_string()),
            ]),
            ..ClusterSpec::default()
        },
        created_time: 0,
        updated_time: 0,
    };
    (sim, cluster)
}

fn plan(cluster: &Cluster) -> K8sDriverPlan {
    K8sDriverPlan::new(cluster, "Spark Pi", Some("org.apache.spark.examples.SparkPi".into()), "local:///opt/spark/examples/jars/spark-examples.jar".into(), vec!["10".into()], &BTreeMap::new(), false).unwrap()
}

#[tokio::test]
async fn k8s_simulator_job_lifecycle() {
    let (sim, cluster) = simulated_cluster("apache/spark:4.3.0").await;
    let url = cluster.spec.url.clone();
    assert_eq!(test_k8s_connection(&cluster).await.unwrap(), "Kubernetes v1.33.1-simulator; namespace 'spark' reachable");

    let client = client_for(&cluster).unwrap();
    let plan = plan(&cluster);
    let driver = submit_driver(&client, &url, driver_manifests(&plan).unwrap()).await.unwrap();
    assert_eq!(driver.namespace, "spark");
    let kinds: Vec<String> = sim.others().iter().map(|o| o["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["ConfigMap", "Service", "NetworkPolicy"]);
    assert!(sim.others().iter().all(|o| o["metadata"]["ownerReferences"][0]["uid"] == driver.uid.as_str()));

    let job_dir = tempfile::tempdir().unwrap();
    let logs = {
        let (client, url, driver, dir) = (client.clone(), url.clone(), driver.clone(), job_dir.path().to_path_buf());
        tokio::spawn(async move { copy_app_logs(&client, &url, &driver.namespace, &driver.name, &driver.app_id, &dir).await })
    };
    let phases: Vec<DriverPhase> = follow_driver(client.clone(), &driver.namespace, &driver.name).collect().await;
    assert_eq!(phases.last(), Some(&DriverPhase::Succeeded), "{phases:?}");
    assert!(phases.contains(&DriverPhase::Running), "{phases:?}");
    logs.await.unwrap().unwrap();
    let driver_log = std::fs::read_to_string(driver_log_path(job_dir.path())).unwrap();
    assert!(driver_log.contains(&format!("simulated driver log of {}", driver.name)), "{driver_log}");
    let exec_log = std::fs::read_to_string(executor_log_path(job_dir.path(), &format!("{}-exec-1", driver.name)).unwrap()).unwrap();
    assert!(exec_log.contains("simulated executor log"), "{exec_log}");

    assert!(stop_driver(&client, &url, &driver.namespace, &driver.name).await.unwrap());
    assert!(!stop_driver(&client, &url, &driver.namespace, &driver.name).await.unwrap(), "already gone");
}

#[tokio::test]
async fn k8s_simulator_failed_driver_reports_exit_code_and_message() {
    let (_sim, cluster) = simulated_cluster("example/will-fail:1").await;
    let client = client_for(&cluster).unwrap();
    let driver = submit_driver(&client, &cluster.spec.url, driver_manifests(&plan(&cluster)).unwrap()).await.unwrap();
    let last = follow_driver(client, &driver.namespace, &driver.name).collect::<Vec<_>>().await.pop().unwrap();
    let DriverPhase::Failed { reason, message } = last else { panic!("expected a failure, got {last:?}") };
    assert_eq!(reason, "Error");
    assert!(message.contains("exited with code 1 (Error): Exception in thread \"main\" java.lang.ArithmeticException"), "{message}");
}

#[tokio::test]
async fn k8s_simulator_image_pull_failure_fails_instead_of_hanging() {
    let (_sim, cluster) = simulated_cluster("example/missing:1").await;
    let client = client_for(&cluster).unwrap();
    let driver = submit_driver(&client, &cluster.spec.url, driver_manifests(&plan(&cluster)).unwrap()).await.unwrap();
    let last = follow_driver(client, &driver.namespace, &driver.name).collect::<Vec<_>>().await.pop().unwrap();
    let DriverPhase::Failed { reason, message } = last else { panic!("expected a failure, got {last:?}") };
    assert_eq!(reason, "ImagePullBackOff");
    assert!(message.starts_with("image example/missing:1 cannot be pulled"), "{message}");
}

#[tokio::test]
async fn k8s_simulator_resubmit_with_the_same_plan_succeeds() {
    let (sim, cluster) = simulated_cluster("apache/spark:4.3.0").await;
    let client = client_for(&cluster).unwrap();
    let manifests = driver_manifests(&plan(&cluster)).unwrap();
    let first = submit_driver(&client, &cluster.spec.url, manifests.clone()).await.unwrap();
    let again = submit_driver(&client, &cluster.spec.url, manifests).await.unwrap();
    assert_eq!(first.uid, again.uid);
    assert_eq!(sim.pod_count(), 1);
}
