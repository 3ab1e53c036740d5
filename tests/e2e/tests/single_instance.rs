//! One app per user: starting Sparkdeck while it runs brings the running window forward (a
//! script it was given opens in the job form) and the second start ends by itself; the main
//! window's size and position survive a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use sparkdeck_e2e::App;

const JOBS_LINK: Locator<'static> = Locator::XPath("//nav//a[normalize-space()='Jobs']");

/// Kills the second start if the test fails before it ended by itself.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The name of the window that has the X input focus, if any has.
fn focused_window_name() -> Option<String> {
    let out = Command::new("xdotool").args(["getwindowfocus", "getwindowname"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Gives the X input focus to the root window, as clicking on the desktop would.
fn focus_the_desktop() {
    let out = Command::new("xwininfo").arg("-root").output().expect("xwininfo installed");
    let info = String::from_utf8_lossy(&out.stdout);
    let root = info.lines().find_map(|l| l.split("Window id: ").nth(1)).and_then(|r| r.split_whitespace().next()).expect("root id");
    let status = Command::new("xdotool").args(["windowfocus", root]).status().expect("xdotool");
    assert!(status.success(), "focus the root window");
}

#[tokio::test]
async fn a_second_start_focuses_the_running_window_and_exits() {
    let app = App::launch().await;
    app.find(JOBS_LINK).await;
    let first = app.app_processes();
    assert_eq!(first.len(), 1, "one app runs: {first:?}");
    focus_the_desktop();
    assert_ne!(focused_window_name().as_deref(), Some("Sparkdeck"), "the window lost the focus before the second start");

    // As a script dropped on the launcher icon would be.
    let script = app.data_dir().join("second_start.py");
    std::fs::write(&script, "print('hello')\n").unwrap();
    let mut second = Started(app.start_again(&[script.to_str().unwrap()]));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = second.0.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the second start did not exit by itself");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "the second start exits with 0, not an error: {status}");
    assert_eq!(app.app_processes(), first, "only the first app remains");

    // The first app is still there, answers, and has its main window in front.
    let started = Instant::now();
    while focused_window_name().as_deref() != Some("Sparkdeck") {
        assert!(started.elapsed() < Duration::from_secs(20), "the running window was not focused: {:?}", focused_window_name());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.has_window("^Sparkdeck$"));
    // The script opened in the job form, on the Jobs page.
    app.find(Locator::XPath("//ul[@id='job-pyFiles']/li[contains(., 'second_start.py')]")).await;
    let name = app.find(Locator::Id("job-name")).await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(name, "second_start", "the job is named after the script");
    app.screenshot("second-start-opens-the-script").await;
    app.click(Locator::XPath("//button[normalize-space()='Cancel']")).await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Settings']")).await;
    app.find(Locator::Id("settings-title")).await;
    app.click(JOBS_LINK).await;
    app.find(Locator::Id("jobs-title")).await;
    app.close().await;
}

#[tokio::test]
async fn the_main_window_keeps_its_size_and_position_across_a_restart() {
    let app = App::launch().await;
    app.find(JOBS_LINK).await;
    let default = app.client.get_window_rect().await.unwrap();
    app.client.set_window_rect(40, 30, 1000, 640).await.unwrap();
    let moved = app.client.get_window_rect().await.unwrap();
    assert_ne!(moved, default, "the window moved and resized");
    assert_eq!((moved.2, moved.3), (1000, 640), "the window took the new size");

    // Quit through the close button (the quit path), then start again on the same profile.
    let profile = app.quit().await;
    let app = App::launch_in(profile).await;
    app.find(JOBS_LINK).await;
    let started = Instant::now();
    loop {
        let restored = app.client.get_window_rect().await.unwrap();
        if restored == moved {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "restored {restored:?}, left at {moved:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.close().await;
}
