//! A schedule through the real window on real Spark: a Python script dragged onto the
//! Schedules page opens the form with it, the cron shows its next runs as it is typed (and
//! a wrong one its error at the input), the schedule is created, run now, and its runs view
//! shows the run reach FINISHED; then it is deleted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use sparkdeck_e2e::App;

const MAIN: &str = r#"from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
print("E2E scheduled rows:", spark.range(3).count())
spark.stop()
"#;

#[tokio::test]
async fn create_a_schedule_from_a_dropped_script_run_it_now_and_see_its_run_finish() {
    let work = tempfile::tempdir().unwrap();
    let main = work.path().join("nightly_report.py");
    std::fs::write(&main, MAIN).unwrap();

    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Schedules']")).await;
    app.find(Locator::Id("open-create-schedule")).await;

    // Drop the script on the page: the form opens with it as the main script.
    app.drop_file(&main, 700, 420).await;
    app.find(Locator::XPath("//ul[@id='schedule-pyFiles']/li[contains(., 'nightly_report.py')]")).await;
    let name = app.find(Locator::Id("schedule-name")).await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(name, "nightly_report");

    // A month 13 is refused by the engine's preview, at the input.
    let cron = app.find(Locator::Id("schedule-cron")).await;
    cron.send_keys("0 2 * 13 *").await.unwrap();
    let error = app.find(Locator::Id("schedule-cron-error")).await;
    assert!(error.text().await.unwrap().contains("month field '13'"), "{}", error.text().await.unwrap());
    assert_eq!(cron.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    app.screenshot("schedule-cron-error").await;

    // Corrected, the next five runs show.
    for _ in 0..4 {
        cron.send_keys(&Key::Backspace.to_string()).await.unwrap();
    }
    cron.send_keys("* *").await.unwrap();
    let next = app.find(Locator::Css("ol[aria-label='Next runs']")).await;
    assert_eq!(next.find_all(Locator::Css("li")).await.unwrap().len(), 5);
    app.wait_for_text("Runs every day at 02:00. Next runs").await;
    app.find(Locator::Id("schedule-time-zone")).await.send_keys("UTC").await.unwrap();
    app.screenshot("schedule-form").await;
    app.click(Locator::Id("schedule-save")).await;

    let row = app.find(Locator::Css("tr.schedule-row")).await;
    let id = row.attr("data-schedule-id").await.unwrap().expect("row names its schedule");
    app.wait_for_text("every day at 02:00").await;
    app.screenshot("schedules").await;

    // Run now, then watch the run in the schedule's runs view.
    app.click(Locator::XPath("//button[@aria-label='Run now nightly_report']")).await;
    app.click(Locator::Css(&format!("tr.schedule-row[data-schedule-id='{id}'] th"))).await;
    let started = Instant::now();
    loop {
        let badges = app.client.find_all(Locator::Css("tr.run-row .badge")).await.unwrap();
        let mut states = Vec::new();
        for badge in badges {
            states.push(badge.text().await.unwrap_or_default().to_uppercase());
        }
        if states.iter().any(|s| s == "FINISHED") {
            break;
        }
        assert!(!states.iter().any(|s| s == "FAILED"), "the run failed");
        assert!(started.elapsed() < Duration::from_secs(240), "the run did not finish: {states:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.find(Locator::Css("figure[aria-labelledby='chart-title']")).await;
    app.screenshot("schedule-runs").await;
    app.click(Locator::XPath("//div[@role='dialog']//button[normalize-space()='Close']")).await;

    app.click(Locator::XPath("//button[@aria-label='Delete nightly_report']")).await;
    app.click(Locator::XPath("//div[@role='alertdialog']//button[normalize-space()='Delete']")).await;
    app.wait_for_text("Deleted schedule “nightly_report”.").await;
    // The list follows the deletion's event.
    app.wait_for_text("No schedules yet").await;

    app.close().await;
}
