//! An interactive group in the real window on real Spark: created from the form with a
//! job module chosen in the native file dialog, it brings up its driver; a job class runs
//! from the execute form and its result shows; the scale stepper adds a driver and the
//! driver list follows.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::App;

const JOBS: &str = r#"from ilum.api import IlumJob

class Count(IlumJob):
    def run(self, spark, config):
        return "counted %d" % spark.range(int(config["n"])).count()
"#;

/// Waits until `count` drivers of the open group window show READY.
async fn wait_ready_drivers(app: &App, count: usize, within: Duration) {
    let started = Instant::now();
    loop {
        let mut ready = 0;
        for badge in app.client.find_all(Locator::Css("#group-drivers [id^='driver-state-']")).await.unwrap_or_default() {
            if badge.text().await.unwrap_or_default().to_uppercase().contains("READY") {
                ready += 1;
            }
        }
        if ready == count {
            return;
        }
        assert!(started.elapsed() < within, "{ready} of {count} drivers READY");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn create_a_group_run_a_job_class_and_change_its_scale() {
    let work = tempfile::tempdir().unwrap();
    let module = work.path().join("e2e_jobs.py");
    std::fs::write(&module, JOBS).unwrap();

    let app = App::launch().await;
    app.fill_group_form("e2e-group", "JOB", "PYTHON", 1).await;
    app.click(Locator::XPath("//button[normalize-space()='Add Python files…']")).await;
    app.choose_in_file_dialog("Add Python files", &module).await;
    app.find(Locator::XPath("//ul[@id='group-pyFiles']/li[contains(., 'e2e_jobs.py')]")).await;
    app.screenshot("group-form").await;
    app.click(Locator::Id("group-create")).await;

    let row = app.find(Locator::Css("tr.group-row")).await;
    let id = row.attr("data-group-id").await.unwrap().expect("row names its group");
    app.screenshot("groups").await;
    app.open_window(Locator::Css(&format!("tr.group-row[data-group-id='{id}'] th")), "group window").await;
    wait_ready_drivers(&app, 1, Duration::from_secs(120)).await;

    // A job class from the uploaded module, with a JSON config.
    app.find(Locator::Id("group-job-class")).await.send_keys("e2e_jobs.Count").await.unwrap();
    let config = app.find(Locator::Id("group-job-config")).await;
    config.clear().await.unwrap();
    config.send_keys(r#"{"n": 42}"#).await.unwrap();
    app.click(Locator::Id("group-execute")).await;
    let result = app.find(Locator::Id("group-last-result-text")).await;
    let started = Instant::now();
    while !result.text().await.unwrap_or_default().contains("counted 42") {
        assert!(started.elapsed() < Duration::from_secs(60), "result: {:?}", result.text().await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Scale 1 → 2: a second driver comes up and the list shows both READY.
    app.click(Locator::Id("scale-increase")).await;
    wait_ready_drivers(&app, 2, Duration::from_secs(120)).await;
    app.screenshot_window("group-window", "^e2e-group — Sparkdeck$").await;

    // Its settings change in a dialog; the window shows what was saved.
    app.click(Locator::XPath("//button[normalize-space()='Edit settings']")).await;
    let description = app.find(Locator::Id("group-edit-description")).await;
    description.clear().await.unwrap();
    description.send_keys("answers scoring requests").await.unwrap();
    app.click(Locator::XPath("//button[normalize-space()='Add property']")).await;
    app.find(Locator::Css("[aria-label='Property 1']")).await.send_keys("spark.sql.shuffle.partitions").await.unwrap();
    app.find(Locator::Css("[aria-label='Value 1']")).await.send_keys("4").await.unwrap();
    app.screenshot_window("group-settings", "^e2e-group — Sparkdeck$").await;
    app.click(Locator::XPath("//button[normalize-space()='Save settings']")).await;
    app.wait_for_text("answers scoring requests").await;
    app.wait_for_text("spark.sql.shuffle.partitions=4").await;
    app.close().await;
}
