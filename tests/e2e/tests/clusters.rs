//! The Clusters page in the real app: create a cluster through the form and see it listed;
//! an invalid one shows the backend's message next to the field and creates nothing.

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

    // The Kubernetes form, for the record.
    app.click(Locator::XPath("//button[normalize-space()='New cluster']")).await;
    app.click(Locator::Css("input[name='cluster-type'][value='k8s']")).await;
    app.find(Locator::Id("cluster-url")).await.send_keys("https://127.0.0.1:6443").await.unwrap();
    app.screenshot("cluster-form-k8s").await;
    app.click(Locator::XPath("//button[normalize-space()='Cancel']")).await;

    let db = app.data_dir.path().join("sparkdeck.db");
    let names = std::process::Command::new("sqlite3").arg(&db).arg("SELECT group_concat(name, ',') FROM (SELECT name FROM clusters ORDER BY name)").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout).trim(), "default,lab", "the invalid cluster was not stored");
    app.close().await;
}
