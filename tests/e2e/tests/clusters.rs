//! The Clusters page in the real app: create a cluster through the form and see it listed;
//! an invalid one shows the backend's message next to the field and creates nothing; a
//! connection test names why a master cannot be reached; Kubernetes clusters are imported
//! from a kubeconfig file chosen in the native dialog.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use fantoccini::Locator;
use sparkdeck_e2e::App;

#[tokio::test]
async fn create_a_cluster_and_see_invalid_input_inline() {
    let app = App::launch().await;
    app.find(Locator::XPath("//th[@scope='row' and normalize-space()='default']")).await;
    app.screenshot("clusters").await;

    // A standalone cluster through the form.
    app.click(Locator::XPath("//button[normalize-space()='New cluster']")).await;
    app.find(Locator::Id("cluster-name")).await.send_keys("lab").await.unwrap();
    app.find(Locator::Id("cluster-description")).await.send_keys("loopback master").await.unwrap();
    app.click(Locator::Css("input[name='cluster-type'][value='standalone']")).await;
    app.find(Locator::Id("cluster-url")).await.send_keys("spark://127.0.0.1:7077").await.unwrap();
    app.screenshot("cluster-form").await;
    // "Test connection" tries the form as entered: nothing listens on 127.0.0.1:7077, and
    // the form says so without saving anything.
    app.click(Locator::XPath("//button[normalize-space()='Test connection']")).await;
    // An unreachable cluster is a notice of its own, not a mistake in the form.
    let alert = app.find(Locator::Css("form .form-error")).await;
    let message = alert.text().await.unwrap();
    assert!(message.starts_with("The cluster cannot be reached"), "{message}");
    assert!(message.contains("Cannot reach the standalone master at spark://127.0.0.1:7077"), "{message}");
    app.screenshot("cluster-test-connection").await;
    app.click(Locator::XPath("//button[normalize-space()='Create cluster']")).await;
    app.find(Locator::XPath("//th[@scope='row' and normalize-space()='lab']")).await;
    app.wait_for_text("spark://127.0.0.1:7077").await;

    // An invalid one: a master URL the backend refuses. The message appears next to the
    // URL input, the form stays open with what was typed, and nothing is created.
    app.click(Locator::XPath("//button[normalize-space()='New cluster']")).await;
    app.find(Locator::Id("cluster-name")).await.send_keys("broken").await.unwrap();
    app.click(Locator::Css("input[name='cluster-type'][value='standalone']")).await;
    app.find(Locator::Id("cluster-url")).await.send_keys("http://not-a-master").await.unwrap();
    app.click(Locator::XPath("//button[normalize-space()='Create cluster']")).await;
    let error = app.find(Locator::Id("cluster-url-error")).await;
    let message = error.text().await.unwrap();
    assert!(message.contains("is not a master URL"), "inline error: {message}");
    let url = app.find(Locator::Id("cluster-url")).await;
    assert_eq!(url.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    assert_eq!(url.prop("value").await.unwrap().as_deref(), Some("http://not-a-master"));
    app.screenshot("cluster-form-error").await;

    app.click(Locator::XPath("//button[normalize-space()='Cancel']")).await;

    // Kubernetes clusters from a kubeconfig file chosen in the native dialog: each
    // importable context is listed (one that needs an exec plugin is shown as refused).
    let kube_dir = tempfile::tempdir().unwrap();
    std::fs::write(kube_dir.path().join("ca.pem"), "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n").unwrap();
    let kubeconfig = kube_dir.path().join("config");
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap();
    app.click(Locator::XPath("//button[normalize-space()='Import from kubeconfig…']")).await;
    app.choose_in_file_dialog("Choose a kubeconfig file", &kubeconfig).await;
    app.find(Locator::Css("input[aria-label='Cluster name for robot@lab']")).await;
    app.wait_for_text("exec plugin").await;
    app.screenshot("kubeconfig-import").await;
    app.click(Locator::XPath("//button[normalize-space()='Import 1 cluster']")).await;
    app.find(Locator::XPath("//th[@scope='row' and normalize-space()='robot-lab']")).await;
    app.wait_for_text("k8s://https://127.0.0.1:6443").await;

    // The Kubernetes form, for the record.
    app.click(Locator::XPath("//button[normalize-space()='New cluster']")).await;
    app.click(Locator::Css("input[name='cluster-type'][value='k8s']")).await;
    app.find(Locator::Id("cluster-url")).await.send_keys("https://127.0.0.1:6443").await.unwrap();
    app.screenshot("cluster-form-k8s").await;
    app.click(Locator::XPath("//button[normalize-space()='Cancel']")).await;

    let db = app.data_dir().join("sparkdeck.db");
    let names = std::process::Command::new("sqlite3").arg(&db).arg("SELECT group_concat(name, ',') FROM (SELECT name FROM clusters ORDER BY name)").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout).trim(), "default,lab,robot-lab", "the invalid cluster was not stored");
    app.close().await;
}

const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: ca.pem
users:
- name: robot
  user:
    token: not-a-real-token
- name: sso
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
contexts:
- name: robot@lab
  context:
    cluster: lab
    user: robot
    namespace: spark
- name: sso@lab
  context:
    cluster: lab
    user: sso
";
