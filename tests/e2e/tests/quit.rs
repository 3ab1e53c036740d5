//! Quitting the real app while a group's driver runs on real Spark: closing the main
//! window asks what to do with the driver (how many run, how much memory) instead of
//! silently leaving it running; Cancel keeps the app open, "Stop them" stops the driver
//! and quits (saving the main window's size and position).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::App;

const DIALOG: &str = "^Group drivers are running$";

#[tokio::test]
async fn closing_the_window_while_a_driver_runs_asks_and_can_stop_it() {
    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Groups']")).await;
    app.click(Locator::Id("open-create-group")).await;
    app.find(Locator::Id("group-name")).await.send_keys("e2e-quit").await.unwrap();
    app.click(Locator::Id("group-kind-CODE")).await;
    let scale = app.find(Locator::Id("group-scale")).await;
    scale.clear().await.unwrap();
    scale.send_keys("1").await.unwrap();
    app.click(Locator::Id("group-create")).await;
    app.find(Locator::Css("tr.group-row")).await;
    let started = Instant::now();
    while app.driver_processes().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(60), "the group's driver did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Cancel: the app stays, and so does its driver.
    app.request_close();
    let dialog = app.wait_window(DIALOG).await;
    app.screenshot_window("quit-dialog", DIALOG).await;
    app.press_keys(&dialog, &["Escape"]);
    let started = Instant::now();
    while app.has_window(DIALOG) {
        assert!(started.elapsed() < Duration::from_secs(20), "the dialog did not close on Escape");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.wait_for_text("e2e-quit").await;
    assert!(!app.driver_processes().is_empty(), "cancelling the quit keeps the driver");

    // Stop them: the driver ends and the app quits.
    app.request_close();
    let dialog = app.wait_window(DIALOG).await;
    // The first button ("Stop them") has the focus.
    app.press_keys(&dialog, &["Return"]);
    let started = Instant::now();
    while !app.driver_processes().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(60), "the driver outlived the quit: {:?}", app.driver_processes());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let started = Instant::now();
    while app.has_window("^Sparkdeck$") {
        assert!(started.elapsed() < Duration::from_secs(30), "the app did not quit after stopping its drivers");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Quitting through the dialog still saves the main window's size and position.
    let state = std::fs::read_to_string(app.config_dir().join(".window-state.json")).unwrap_or_default();
    assert!(state.contains("\"main\""), "the main window's state was saved: {state:?}");
}
