//! A running job's live Spark UI opens in a native window of its own: a Python script with
//! a shuffle, dropped on the window and submitted on real Spark, waits until the test lets
//! it end; its window's "Spark UI" button is enabled once the UI answers and opens Spark's
//! own UI (naming the application) in a window titled after the job; once the job ended,
//! the same button opens its page in Spark's History Server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::App;

#[tokio::test]
async fn a_running_jobs_spark_ui_opens_in_its_own_window() {
    let work = tempfile::tempdir().unwrap();
    let release = work.path().join("release");
    let main = work.path().join("shuffle_and_wait.py");
    let script = format!(
        "import os, time\nfrom pyspark.sql import SparkSession\nfrom pyspark.sql.functions import col\n\
         spark = SparkSession.builder.getOrCreate()\n\
         print(spark.range(10000).groupBy((col('id') % 7).alias('k')).count().collect())\n\
         while not os.path.exists({release:?}):\n    time.sleep(0.2)\nspark.stop()\n",
        release = release.display().to_string()
    );
    std::fs::write(&main, script).unwrap();

    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Jobs']")).await;
    app.find(Locator::Id("open-submit-job")).await;
    app.drop_file(&main, 700, 420).await;
    app.find(Locator::XPath("//ul[@id='job-pyFiles']/li[contains(., 'shuffle_and_wait.py')]")).await;
    app.click(Locator::Id("job-submit")).await;
    let row = app.find(Locator::Css("tr.job-row")).await;
    let id = row.attr("data-job-id").await.unwrap().expect("row names its job");

    let main_window = app.client.window().await.unwrap();
    app.click(Locator::Css(&format!("tr.job-row[data-job-id='{id}'] th"))).await;
    let job_window = app.new_window(std::slice::from_ref(&main_window), "job window").await;
    app.client.switch_to_window(job_window.clone()).await.unwrap();
    let button = Locator::XPath("//div[contains(@class,'job-actions')]/button[normalize-space()='Spark UI']");
    let started = Instant::now();
    loop {
        let enabled = app.find(button).await.is_enabled().await.unwrap();
        if enabled {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "the job's Spark UI never became available");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.screenshot_window("job-window-spark-ui", "^shuffle_and_wait — Sparkdeck$").await;
    app.click(button).await;
    let ui_window = app.new_window(&[main_window, job_window.clone()], "Spark UI window").await;
    app.client.switch_to_window(ui_window).await.unwrap();
    // Spark's own page, naming the application; it lists the shuffle's job once it is done
    // (Spark's pages do not refresh themselves).
    app.wait_for_text("shuffle_and_wait application UI").await;
    let started = Instant::now();
    loop {
        let body = app.find(Locator::Css("body")).await.text().await.unwrap_or_default();
        // One job or two, as adaptive execution splits the shuffle.
        if body.contains("Completed Jobs (") && !body.contains("Active Jobs (") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the shuffle's job never completed: {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.client.refresh().await.unwrap();
    }
    let url = app.client.current_url().await.unwrap();
    assert_eq!((url.scheme(), url.host_str()), ("http", Some("127.0.0.1")), "{url}");
    app.screenshot_window("spark-ui-window", "^Spark UI — shuffle_and_wait — Sparkdeck$").await;

    std::fs::write(&release, "").unwrap();
    app.client.switch_to_window(job_window).await.unwrap();
    let started = Instant::now();
    loop {
        let state = app.find(Locator::Id("job-state")).await.text().await.unwrap();
        if state.to_uppercase().contains("FINISHED") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the job did not finish: {state}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Ended: the same button opens the run in Spark's History Server, in a window of its own.
    let history_title = "Open this run in Spark's History Server";
    assert_eq!(app.find(button).await.attr("title").await.unwrap().as_deref(), Some(history_title));
    assert!(app.find(button).await.is_enabled().await.unwrap(), "an ended run with an event log has its history");
    let mut known = app.client.windows().await.unwrap();
    app.click(button).await;
    let history_window = app.new_window(&known, "History Server window").await;
    known.push(history_window.clone());
    app.client.switch_to_window(history_window).await.unwrap();
    app.wait_for_text("shuffle_and_wait application UI").await;
    app.wait_for_text("Completed Jobs (").await;
    let history_url = app.client.current_url().await.unwrap();
    assert_eq!(history_url.host_str(), Some("127.0.0.1"), "{history_url}");
    assert_ne!(history_url.port(), url.port(), "the History Server, not the gone live UI: {history_url}");
    assert!(history_url.path().starts_with("/history/local-"), "{history_url}");
    app.screenshot_window("spark-history-window", "^Spark History — shuffle_and_wait — Sparkdeck$").await;
    app.close().await;
}
