//! A Python job through the real window on real Spark: the main script is dragged onto
//! the window from a file manager-like drag source, a data file is chosen in the native
//! file dialog, the job is submitted from the form and followed in its own window until it
//! is FINISHED with its output in the log view. Run again from that window while the main
//! window has the focus, its end is shown as a desktop notification (recorded by a
//! notification server on the app's own session bus).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::App;

const MAIN: &str = r#"from pyspark import SparkFiles
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
print("E2E rows:", spark.range(5).count())
print("E2E data:", open(SparkFiles.get("greeting.txt")).read().strip())
spark.stop()
"#;

#[tokio::test]
async fn submit_a_dropped_python_job_and_watch_it_finish_in_its_window() {
    let work = tempfile::tempdir().unwrap();
    let main = work.path().join("e2e_main.py");
    std::fs::write(&main, MAIN).unwrap();
    let data = work.path().join("greeting.txt");
    std::fs::write(&data, "hello from a file\n").unwrap();

    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Jobs']")).await;
    app.find(Locator::Id("open-submit-job")).await;
    app.screenshot("jobs-empty").await;

    // Drop the script on the Jobs page: the submit form opens with it as the main script.
    app.drop_file(&main, 700, 420).await;
    app.find(Locator::XPath("//ul[@id='job-pyFiles']/li[contains(., 'e2e_main.py')]")).await;
    let name = app.find(Locator::Id("job-name")).await.prop("value").await.unwrap().unwrap_or_default();
    assert!(name.contains("e2e_main"), "name from the file: {name}");
    let python = app.find(Locator::Id("job-language-PYTHON")).await;
    assert_eq!(python.prop("checked").await.unwrap().as_deref(), Some("true"));

    // Add the data file through the native file dialog.
    app.click(Locator::XPath("//button[normalize-space()='Add other files…']")).await;
    app.choose_in_file_dialog("Add other files", &data).await;
    app.find(Locator::XPath("//ul[@id='job-files']/li[contains(., 'greeting.txt')]")).await;
    app.screenshot("job-form").await;

    app.click(Locator::Id("job-submit")).await;
    let row = app.find(Locator::Css("tr.job-row")).await;
    let id = row.attr("data-job-id").await.unwrap().expect("row names its job");
    // The row follows the job live; the list is pictured once it has ended.
    let started = Instant::now();
    let badge = format!("tr.job-row[data-job-id='{id}'] .badge");
    loop {
        let text = app.find(Locator::Css(&badge)).await.text().await.unwrap_or_default().to_uppercase();
        if text.contains("FINISHED") || text.contains("FAILED") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "job {id} did not end: {text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.screenshot("jobs").await;
    // The form has closed; the row's name cell opens the job in its own native window.
    app.open_window(Locator::Css(&format!("tr.job-row[data-job-id='{id}'] th")), "job window").await;
    let state = app.find(Locator::Id("job-state")).await;
    let started = Instant::now();
    loop {
        let text = state.text().await.unwrap_or_default().to_uppercase();
        if text.contains("FINISHED") {
            break;
        }
        assert!(!text.contains("FAILED"), "job {id} failed");
        assert!(started.elapsed() < Duration::from_secs(240), "job {id} not finished: {text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let log = app.find(Locator::Id("job-log")).await;
    let started = Instant::now();
    while !log.text().await.unwrap_or_default().contains("E2E rows: 5") {
        assert!(started.elapsed() < Duration::from_secs(20), "the job's output is not in the log view");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(log.text().await.unwrap().contains("E2E data: hello from a file"));
    app.screenshot_window("job-window", "^e2e_main — Sparkdeck$").await;

    // Run it again from its window; the new run opens in its own window. With the main
    // window focused instead, its end is announced as a desktop notification.
    assert!(app.notifications().is_empty(), "nothing is announced while the user watches");
    app.click(Locator::XPath("//button[normalize-space()='Resubmit']")).await;
    let started = Instant::now();
    while app.client.windows().await.unwrap().len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(20), "the resubmitted job's window did not open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.focus_window("^Sparkdeck$");
    let started = Instant::now();
    let shown = loop {
        let shown = app.notifications();
        if !shown.is_empty() {
            break shown;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "no notification when the resubmitted job ended");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(shown, [("e2e_main: finished".to_string(), "The job on default has ended.".to_string())]);

    app.close().await;
}
