//! The Stages tab of an ended job: a PySpark script with a shuffle (one partition of its map
//! stage slow, so the stage is skewed), dropped on the window and run on real Spark; its
//! window's Stages tab shows both stages as bars and rows, shuffle bytes written by the first
//! and read by the second, and the skew marked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::App;

const MAIN: &str = r#"import time
from operator import add
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
def slow_first(index, rows):
    if index == 0:
        time.sleep(2.5)
    return rows
pairs = spark.sparkContext.parallelize(range(4000), 4).mapPartitionsWithIndex(slow_first).map(lambda x: (x % 10, x))
print(sorted(pairs.reduceByKey(add, 2).collect()))
spark.stop()
"#;

#[tokio::test]
async fn an_ended_jobs_stages_tab_shows_its_shuffle_and_skew() {
    let work = tempfile::tempdir().unwrap();
    let main = work.path().join("skewed_shuffle.py");
    std::fs::write(&main, MAIN).unwrap();

    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Jobs']")).await;
    app.find(Locator::Id("open-submit-job")).await;
    app.drop_file(&main, 700, 420).await;
    app.find(Locator::XPath("//ul[@id='job-pyFiles']/li[contains(., 'skewed_shuffle.py')]")).await;
    app.click(Locator::Id("job-submit")).await;
    let row = app.find(Locator::Css("tr.job-row")).await;
    let id = row.attr("data-job-id").await.unwrap().expect("row names its job");

    let badge = format!("tr.job-row[data-job-id='{id}'] .badge");
    let started = Instant::now();
    loop {
        let text = match app.client.find(Locator::Css(&badge)).await {
            Ok(b) => b.text().await.unwrap_or_default().to_uppercase(),
            Err(_) => String::new(),
        };
        if text.contains("FINISHED") {
            break;
        }
        assert!(!text.contains("FAILED"), "job {id} failed");
        assert!(started.elapsed() < Duration::from_secs(240), "job {id} did not finish: {text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    app.open_window(Locator::Css(&format!("tr.job-row[data-job-id='{id}'] th")), "job window").await;
    app.click(Locator::Id("view-tab-stages")).await;
    app.find(Locator::Css("tr.stage-row[data-stage-id='1']")).await;
    let rows = app.client.find_all(Locator::Css("tr.stage-row")).await.unwrap();
    assert_eq!(rows.len(), 2);
    let names = app.client.find_all(Locator::Css("tr.stage-row .stage-name")).await.unwrap();
    let (map, reduce) = (names[0].attr("title").await.unwrap().unwrap(), names[1].attr("title").await.unwrap().unwrap());
    assert!(map.starts_with("reduceByKey at "), "{map}");
    assert!(reduce.starts_with("collect at "), "{reduce}");
    // "read / write": the map stage writes what the collect reads.
    let shuffle = app.client.find_all(Locator::Css("tr.stage-row td.shuffle")).await.unwrap();
    let (map_shuffle, reduce_shuffle) = (shuffle[0].text().await.unwrap(), shuffle[1].text().await.unwrap());
    let written = map_shuffle.strip_prefix("0 / ").unwrap_or_else(|| panic!("the map stage reads no shuffle: {map_shuffle}"));
    assert!(written != "0" && reduce_shuffle == format!("{written} / 0"), "map {map_shuffle}, collect {reduce_shuffle}");
    let skewed = app.client.find_all(Locator::Css("tr.stage-row.skewed")).await.unwrap();
    assert_eq!(skewed.len(), 1, "the map stage waits for its slow partition");
    assert!(skewed[0].text().await.unwrap().contains("skew"));
    let bars = app.client.find_all(Locator::Css(".stage-timeline .bar")).await.unwrap();
    assert_eq!(bars.len(), 2);
    let status = app.find(Locator::Css(".stages-toolbar [role='status']")).await.text().await.unwrap();
    assert!(status.contains("2 stages, from the event log"), "{status}");
    app.screenshot_window("job-window-stages", "^skewed_shuffle — Sparkdeck$").await;
    app.close().await;
}
