//! A job that fails says why in plain words: a Python script importing a module that is
//! not installed, dropped on the window and submitted on real Spark, ends FAILED; its row
//! in the Jobs list carries the cause's label, and its own window the cause, its hint and
//! the one-line error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::App;

const MAIN: &str = "import sparkdeck_absent_module\n";

#[tokio::test]
async fn a_failed_job_shows_its_cause_in_the_list_and_in_its_window() {
    let work = tempfile::tempdir().unwrap();
    let main = work.path().join("needs_a_module.py");
    std::fs::write(&main, MAIN).unwrap();

    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Jobs']")).await;
    app.find(Locator::Id("open-submit-job")).await;
    app.drop_file(&main, 700, 420).await;
    app.find(Locator::XPath("//ul[@id='job-pyFiles']/li[contains(., 'needs_a_module.py')]")).await;
    app.click(Locator::Id("job-submit")).await;
    let row = app.find(Locator::Css("tr.job-row")).await;
    let id = row.attr("data-job-id").await.unwrap().expect("row names its job");

    let cause = format!("tr.job-row[data-job-id='{id}'] .cause");
    let started = Instant::now();
    let label = loop {
        if let Ok(found) = app.client.find(Locator::Css(&cause)).await {
            break found;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "job {id} shows no cause in the list");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(label.text().await.unwrap().trim(), "Missing Python module");
    let summary = label.attr("title").await.unwrap().unwrap_or_default();
    assert!(summary.contains("sparkdeck_absent_module"), "the tooltip names the module: {summary}");
    let badge = app.find(Locator::Css(&format!("tr.job-row[data-job-id='{id}'] .badge"))).await;
    assert!(badge.text().await.unwrap().to_uppercase().contains("FAILED"));
    app.screenshot("jobs-failed-cause").await;

    app.open_window(Locator::Css(&format!("tr.job-row[data-job-id='{id}'] th")), "job window").await;
    let alert = app.find(Locator::Css(".job-failed")).await;
    let text = alert.text().await.unwrap();
    assert!(text.contains("Missing Python module:") && text.contains("sparkdeck_absent_module"), "{text}");
    assert!(text.contains("pyRequirements"), "the hint says where to add it: {text}");
    app.screenshot_window("job-window-failed", "^needs_a_module — Sparkdeck$").await;
    app.close().await;
}
