//! The Debian package's app, in the real window: `tests/package/deb.sh` extracts the .deb,
//! has the extracted server install Spark and run a job named `package-test`, stops it, and
//! runs this test on the extracted app (`SPARKDECK_E2E_APP`) and on that server's data
//! directory (`SPARKDECK_PACKAGE_DATA_DIR`). Ignored in the plain e2e run, which has neither.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::{App, Profile};

#[tokio::test]
#[ignore = "run by tests/package/deb.sh on the extracted package"]
async fn the_packaged_app_opens_on_first_run_and_after_the_install_lists_the_servers_job() {
    let data_dir = PathBuf::from(std::env::var_os("SPARKDECK_PACKAGE_DATA_DIR").expect("SPARKDECK_PACKAGE_DATA_DIR"));
    assert!(std::env::var_os("SPARKDECK_E2E_APP").is_some(), "SPARKDECK_E2E_APP names the extracted app");

    // A user who has just installed the package: no Spark anywhere.
    let app = App::launch_in(Profile::without_spark()).await;
    app.wait_for_text("Set up Spark").await;
    app.find(Locator::XPath("//button[normalize-space()='Install Spark 4.3.0']")).await;
    assert!(app.client.find(Locator::Css("nav.sidebar")).await.is_err(), "the app's pages are not shown yet");
    app.screenshot("package-first-run").await;
    app.close().await;

    // The user whose server installed Spark: the app's pages, and the server's job, ended.
    let app = App::launch_in(Profile::existing(data_dir)).await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Jobs']")).await;
    let badge = Locator::XPath("//tr[contains(@class, 'job-row')][.//th[contains(., 'package-test')]]//*[contains(@class, 'badge')]");
    let started = Instant::now();
    let state = loop {
        if let Ok(badge) = app.client.find(badge).await {
            break badge.text().await.unwrap_or_default();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no row of the job package-test on the Jobs page");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(state.to_uppercase(), "FINISHED", "the server's job as the app shows it");
    app.screenshot("package-jobs").await;
    app.close().await;
}
