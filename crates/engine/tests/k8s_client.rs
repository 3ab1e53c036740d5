//! Client building, kubeconfig import and connection-test errors against real TLS on
//! loopback (the simulator answers; it is not a cluster).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod k8s_support;

use std::collections::BTreeMap;

use k8s_support::simulator::Simulator;
use k8s_support::tls::{TestCa, serve_https};
use sparkdeck_engine::k8s::{client_for, kubeconfig_contexts, test_k8s_connection};
use sparkdeck_engine::model::cluster::{Cluster, ClusterSpec, ClusterType, ConfigInput};
use sparkdeck_engine::model::secret::Secret;

fn cluster(url: String, ca: &str) -> Cluster {
    Cluster {
        id: "c".into(), name: "k".into(), description: String::new(), cluster_type: ClusterType::K8s,
        spec: ClusterSpec { url, ca_cert: ca.into(), ..ClusterSpec::default() }, created_time: 0, updated_time: 0,
    }
}

#[tokio::test]
async fn bad_certificates_and_keys_name_their_field() {
    let ca = TestCa::new();
    let other = TestCa::new();
    let user = ca.client_identity("u");
    let stranger = other.client_identity("x");
    let garbage = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
    let mut c = cluster("https://127.0.0.1:1".into(), &garbage);
    assert_eq!(client_for(&c).err().unwrap().field(), Some("caCert"));
    c.spec.ca_cert = ca.ca_pem.clone();
    c.spec.client_cert = user.cert_pem.clone();
    c.spec.client_key = Secret::new(stranger.key_pem.clone());
    let err = client_for(&c).err().unwrap();
    assert_eq!((err.field(), err.to_string().as_str()), (Some("clientKey"), "clientKey: does not belong to clientCert"));
    c.spec.client_key = Secret::new(pem::encode(&pem::Pem::new("ENCRYPTED PRIVATE KEY", vec![1])));
    assert!(client_for(&c).err().unwrap().to_string().contains("is encrypted"));
    c.spec.client_key = Secret::new(user.key_pem.clone());
    c.spec.client_cert = garbage;
    assert_eq!(client_for(&c).err().unwrap().field(), Some("clientCert"));
    c.spec.client_cert = user.cert_pem;
    assert!(client_for(&c).is_ok());
}

#[tokio::test]
async fn connection_errors_name_the_cause() {
    let ca = TestCa::new();
    let addr = serve_https(&ca, Simulator::default().router(), false).await;
    let url = format!("https://127.0.0.1:{}", addr.port());
    assert!(test_k8s_connection(&cluster(url.clone(), &ca.ca_pem)).await.unwrap().starts_with("Kubernetes v1.33.1-simulator"));

    let wrong_ca = TestCa::new();
    let err = test_k8s_connection(&cluster(url, &wrong_ca.ca_pem)).await.unwrap_err().to_string();
    assert!(err.starts_with("the TLS handshake with https://127.0.0.1:") && err.contains("check caCert"), "{err}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // bound then dropped: nothing listens
    let err = test_k8s_connection(&cluster(format!("https://{closed}"), "")).await.unwrap_err().to_string();
    assert_eq!(err, format!("cannot reach the API server at https://{closed}: connection refused"));

    let err = test_k8s_connection(&cluster("https://no-such-host.invalid:6443".into(), "")).await.unwrap_err().to_string();
    assert!(err.contains("does not resolve"), "{err}");
}

#[test]
fn kubeconfig_contexts_inline_certs_and_refuse_exec() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::write(dir.path().join("certs/ca.pem"), "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n").unwrap();
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let text = format!(r#"
apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster: {{server: "https://prod:6443", certificate-authority: certs/ca.pem}}
- name: eks
  cluster: {{server: "https://eks.example:443", certificate-authority-data: "{}"}}
users:
- name: admin
  user: {{client-certificate-data: "{}", client-key-data: "{}"}}
- name: robot
  user: {{token: "t0ken"}}
- name: aws
  user:
    exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}}
contexts:
- name: prod
  context: {{cluster: prod-cluster, user: admin, namespace: spark}}
- name: "robot@prod"
  context: {{cluster: prod-cluster, user: robot}}
- name: "arn:aws:eks:eu-west-1:1:cluster/x"
  context: {{cluster: eks, user: aws}}
"#, b64("CA-PEM"), b64("CERT-PEM"), b64("KEY-PEM"));
    let contexts = kubeconfig_contexts(&text, Some(dir.path())).unwrap();
    assert_eq!(contexts.len(), 3);
    let prod = &contexts[0].cluster;
    assert_eq!((prod.name.as_deref(), prod.cluster_type.as_deref(), prod.url.as_deref()), (Some("prod"), Some("k8s"), Some("https://prod:6443")));
    assert!(prod.ca_cert.as_deref().unwrap().contains("BEGIN CERTIFICATE"), "read from the relative file");
    assert_eq!((prod.client_cert.as_deref(), prod.client_key.as_deref()), (Some("CERT-PEM"), Some("KEY-PEM")));
    assert_eq!(prod.default_application_config, Some(ConfigInput::Map(BTreeMap::from([("spark.kubernetes.namespace".to_string(), "spark".to_string())]))));
    assert_eq!(contexts[0].error, None);
    let robot = &contexts[1];
    assert_eq!((robot.cluster.name.as_deref(), robot.cluster.token.as_deref()), (Some("robot-prod"), Some("t0ken")));
    let eks = &contexts[2];
    assert_eq!(eks.cluster.name.as_deref(), Some("arn-aws-eks-eu-west-1-1-cluster-x"));
    assert!(eks.error.as_deref().unwrap().contains("exec plugin"), "{:?}", eks.error);

    assert_eq!(kubeconfig_contexts("clusters: [", None).unwrap_err().field(), Some("kubeconfig"));
    assert_eq!(kubeconfig_contexts("apiVersion: v1\nkind: Config\n", None).unwrap_err().to_string(), "kubeconfig: has no contexts");
}
