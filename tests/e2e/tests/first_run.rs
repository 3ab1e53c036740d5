//! The first start on a machine without Spark, in the real window: the first-run screen
//! shows instead of the app (screenshot), a real install of Spark 4.3.0 from the package
//! index pip is configured for (its cache makes it quick) shows its progress bar, and the
//! app goes on to the Jobs page on the installed Spark.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::{App, Profile};

#[tokio::test]
async fn without_spark_the_first_run_screen_installs_it_and_opens_the_jobs_page() {
    let app = App::launch_in(Profile::without_spark()).await;
    app.wait_for_text("Set up Spark").await;
    app.wait_for_text("no Spark found").await;
    assert!(app.client.find(Locator::Css("nav.sidebar")).await.is_err(), "the app's pages are not shown yet");
    app.screenshot("first-run").await;

    app.click(Locator::XPath("//button[normalize-space()='Install Spark 4.3.0']")).await;
    let bar = Locator::Css("progress[aria-label='Spark install']");
    app.find(bar).await;
    app.find(Locator::XPath("//button[normalize-space()='Cancel']")).await;

    // Polled, so a fast install may skip values; what was seen is printed, not asserted
    // (the bar's arithmetic is the component tests').
    let started = Instant::now();
    let jobs = Locator::XPath("//h1[normalize-space()='Jobs']");
    let (mut seen, mut shot) = (Vec::<String>::new(), false);
    while app.client.find(jobs).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(600), "the install did not end on the Jobs page");
        if let Ok(progress) = app.client.find(bar).await
            && let Ok(Some(value)) = progress.attr("value").await
        {
            if !shot && value != "0" {
                app.screenshot("first-run-installing").await;
                shot = true;
            }
            if seen.last() != Some(&value) {
                seen.push(value);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("progress values seen: {seen:?}");
    println!("install from the first-run screen to the Jobs page: {:.1} s", started.elapsed().as_secs_f64());
    assert!(app.data_dir().join("spark/.sparkdeck-complete").is_file());
    app.click(Locator::XPath("//nav//a[normalize-space()='Settings']")).await;
    app.wait_for_text("installed by Sparkdeck").await;
    app.close().await;
}
