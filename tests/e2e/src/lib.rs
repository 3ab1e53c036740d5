//! Drives the real Sparkdeck window: `tauri-driver` launches the built app through
//! WebKitWebDriver on the current X display, and fantoccini speaks WebDriver to it.
//! Each [`App`] gets its own [`Profile`] (data and config directories) and session bus, so
//! tests start from a first-start state and do not see each other's app.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use tempfile::TempDir;

/// The app under test: `SPARKDECK_E2E_APP` (the package test's extracted binary), else
/// the debug build `make test` builds before these tests run.
pub fn app_binary() -> PathBuf {
    if let Some(app) = std::env::var_os("SPARKDECK_E2E_APP") {
        return PathBuf::from(app);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    target.join("debug/sparkdeck")
}

fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool").args(args).output().expect("xdotool installed");
    assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// What one user's app keeps between its starts: the data directory and the config
/// directory (`XDG_CONFIG_HOME`, where the main window's size and position are saved).
pub struct Profile {
    data_dir: PathBuf,
    /// The temporary directory behind `data_dir`, removed with the profile; `None` for
    /// [`Profile::existing`].
    _data_dir_owner: Option<TempDir>,
    config_home: TempDir,
    /// The app cannot see this machine's Spark (see [`Profile::without_spark`]).
    without_spark: bool,
}

impl Profile {
    pub fn new() -> Profile {
        let data_dir = tempfile::tempdir().expect("temp dir");
        Profile {
            data_dir: data_dir.path().to_path_buf(),
            _data_dir_owner: Some(data_dir),
            config_home: tempfile::tempdir().expect("temp dir"),
            without_spark: false,
        }
    }

    /// A user on a machine without Spark, as after installing the package: no `SPARK_HOME`
    /// or `SPARKDECK_PYTHON_ENV`, the checkout's `.venv` hidden (`SPARKDECK_NO_CHECKOUT=1`)
    /// and no virtualenv's `bin/` on `PATH`.
    pub fn without_spark() -> Profile {
        Profile { without_spark: true, ..Profile::new() }
    }

    /// A user without this machine's Spark whose data directory `data_dir` someone else made
    /// (the package test's server, with the Spark it installed there); left in place.
    pub fn existing(data_dir: PathBuf) -> Profile {
        Profile { data_dir, _data_dir_owner: None, config_home: tempfile::tempdir().expect("temp dir"), without_spark: true }
    }
}

impl Default for Profile {
    fn default() -> Profile {
        Profile::new()
    }
}

pub struct App {
    pub client: Client,
    /// Taken back by [`App::quit`]; held until then.
    profile: Option<Profile>,
    data_dir: PathBuf,
    bus_address: String,
    driver: Child,
    /// The app's own session bus, and on it a notification server recording what is shown.
    bus: Child,
    notifier: Child,
    notifications: PathBuf,
}

/// A private D-Bus session (so desktop notifications go to our recorder, not the host's).
fn session_bus() -> (Child, String) {
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon installed");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().expect("stdout")).read_line(&mut address).expect("bus address");
    (bus, address.trim().to_string())
}

impl App {
    /// Starts the app on a new profile, as at its first start.
    pub async fn launch() -> App {
        App::launch_in(Profile::new()).await
    }

    /// Starts the app on `profile`, e.g. one a quit app left.
    pub async fn launch_in(profile: Profile) -> App {
        assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: run through `make test` (it starts Xvfb)");
        let binary = app_binary();
        assert!(binary.exists(), "{} is missing: `cargo build -p sparkdeck-app` first", binary.display());
        let data_dir = profile.data_dir.clone();
        let (bus, bus_address) = session_bus();
        let notifications = data_dir.join("notifications.jsonl");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("helpers/notification_server.py");
        let mut notifier = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(&notifications)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus_address)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the notification server starts (python3-gi)");
        let mut ready = String::new();
        BufReader::new(notifier.stdout.take().expect("stdout")).read_line(&mut ready).expect("notification server");
        assert_eq!(ready.trim(), "ready", "notification server ready");
        let (port, native_port) = (free_port(), free_port());
        let driver = Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(app_environment(&profile, &bus_address))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver on PATH (scripts/setup.sh installs it)");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert("tauri:options".into(), serde_json::json!({ "application": binary }));
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::native().capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(error) if started.elapsed() < Duration::from_secs(60) => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => panic!("WebDriver session did not start: {error}"),
            }
        };
        App { client, profile: Some(profile), data_dir, bus_address, driver, bus, notifier, notifications }
    }

    /// The app's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The app's own config directory (`$XDG_CONFIG_HOME/<identifier>`), where the main
    /// window's size and position are saved.
    pub fn config_dir(&self) -> PathBuf {
        self.profile.as_ref().expect("the app's profile").config_home.path().join("dev.sparkdeck.app")
    }

    /// Starts the app binary once more as the same user (same data and config directories,
    /// same session bus), outside WebDriver, with `args`; the caller waits for it.
    pub fn start_again(&self, args: &[&str]) -> Child {
        let profile = self.profile.as_ref().expect("the app's profile");
        Command::new(app_binary())
            .args(args)
            .envs(app_environment(profile, &self.bus_address))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the app binary starts")
    }

    /// The running Sparkdeck app processes of this profile (not tauri-driver's or WebKit's).
    pub fn app_processes(&self) -> Vec<i32> {
        let marker = format!("SPARKDECK_DATA_DIR={}", self.data_dir.display());
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .flatten()
            .filter_map(|e| {
                let pid = e.file_name().to_str()?.parse::<i32>().ok()?;
                let exe = std::fs::read_link(e.path().join("exe")).ok()?;
                let name = exe.file_name()?.to_string_lossy();
                // A rebuilt binary shows as "sparkdeck (deleted)".
                if name != "sparkdeck" && !name.starts_with("sparkdeck ") {
                    return None;
                }
                let environ = std::fs::read(e.path().join("environ")).ok()?;
                environ.split(|b| *b == 0).any(|v| v == marker.as_bytes()).then_some(pid)
            })
            .collect()
    }

    /// Quits through the main window's close button (nothing may be running that asks) and
    /// waits (up to 30 s) for the app to end; hands back the profile for a later start.
    pub async fn quit(mut self) -> Profile {
        self.request_close();
        let started = Instant::now();
        while !self.app_processes().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(30), "the app did not quit: {:?}", self.app_processes());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.profile.take().expect("the app's profile")
    }

    /// The desktop notifications the app has shown: (summary, body).
    pub fn notifications(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(&self.notifications).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .map(|n| (n["summary"].as_str().unwrap_or_default().to_string(), n["body"].as_str().unwrap_or_default().to_string()))
            .collect()
    }

    /// Gives the X input focus to the window titled `title` (an xdotool pattern), as a
    /// click on it would.
    pub fn focus_window(&self, title: &str) {
        let ids = xdotool(&["search", "--onlyvisible", "--name", title]);
        let id = ids.lines().last().unwrap_or_default().to_string();
        xdotool(&["windowfocus", "--sync", &id]);
    }

    /// Asks the main window to close, as the close button of its title bar would (the
    /// app may answer with a dialog instead of closing).
    pub fn request_close(&self) {
        let ids = xdotool(&["search", "--name", "^Sparkdeck$"]);
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("helpers/close_window.py");
        let status = Command::new("/usr/bin/python3").arg(script).args(ids.lines()).status().expect("python3 runs");
        assert!(status.success(), "close_window.py {ids:?}");
    }

    /// Waits (up to 20 s) for a visible window titled `title` (an xdotool pattern) and
    /// returns its X id.
    pub async fn wait_window(&self, title: &str) -> String {
        let started = Instant::now();
        loop {
            let out = Command::new("xdotool").args(["search", "--onlyvisible", "--name", title]).output().expect("xdotool");
            if let Some(id) = String::from_utf8_lossy(&out.stdout).lines().last() {
                return id.to_string();
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no window {title:?} appeared");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether a visible window titled `title` (an xdotool pattern) is shown now.
    pub fn has_window(&self, title: &str) -> bool {
        let out = Command::new("xdotool").args(["search", "--onlyvisible", "--name", title]).output().expect("xdotool");
        !String::from_utf8_lossy(&out.stdout).trim().is_empty()
    }

    /// Types `keys` (xdotool key names) into the window with X id `window`.
    pub fn press_keys(&self, window: &str, keys: &[&str]) {
        xdotool(&["windowfocus", "--sync", window]);
        for key in keys {
            xdotool(&["key", "--clearmodifiers", key]);
        }
    }

    /// The processes working inside this app's data directory (its drivers).
    pub fn driver_processes(&self) -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .flatten()
            .filter_map(|e| {
                let pid = e.file_name().to_str()?.parse::<i32>().ok()?;
                std::fs::read_link(e.path().join("cwd")).ok()?.starts_with(&self.data_dir).then_some(pid)
            })
            .collect()
    }

    /// Waits (up to 20 s) for an element to appear.
    pub async fn find(&self, locator: Locator<'_>) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("element {locator:?} did not appear: {e}"))
    }

    /// Finds an element, scrolls it into view (WebKitWebDriver does not scroll inside a
    /// scrolled dialog by itself) and clicks it.
    pub async fn click(&self, locator: Locator<'_>) -> Element {
        let element = self.find(locator).await;
        let arg = serde_json::to_value(&element).expect("element as a script argument");
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await
            .expect("scroll into view");
        element.click().await.unwrap_or_else(|e| panic!("click on {locator:?}: {e}"));
        element
    }

    /// Waits (up to 60 s) until a window other than `known` is open; its handle.
    pub async fn new_window(&self, known: &[WindowHandle], what: &str) -> WindowHandle {
        let started = Instant::now();
        loop {
            let windows = self.client.windows().await.expect("window handles");
            if let Some(window) = windows.into_iter().find(|w| !known.contains(w)) {
                return window;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "no {what} opened");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Clicks `opener` (a list row's name cell) and switches to the native window it opens.
    pub async fn open_window(&self, opener: Locator<'_>, what: &str) -> WindowHandle {
        let known = self.client.windows().await.expect("window handles");
        self.click(opener).await;
        let window = self.new_window(&known, what).await;
        self.client.switch_to_window(window.clone()).await.expect("switch to the new window");
        window
    }

    /// On the Groups page, opens the create form and fills its name, kind, language and
    /// scale; the caller adds the rest and creates it.
    pub async fn fill_group_form(&self, name: &str, kind: &str, language: &str, scale: u32) {
        self.click(Locator::XPath("//nav//a[normalize-space()='Groups']")).await;
        self.click(Locator::Id("open-create-group")).await;
        self.find(Locator::Id("group-name")).await.send_keys(name).await.expect("type the name");
        self.click(Locator::Id(&format!("group-kind-{kind}"))).await;
        self.click(Locator::Id(&format!("group-language-{language}"))).await;
        let field = self.find(Locator::Id("group-scale")).await;
        field.clear().await.expect("clear the scale");
        field.send_keys(&scale.to_string()).await.expect("type the scale");
    }

    /// Waits (up to 20 s) until the page's text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let started = Instant::now();
        loop {
            let body = self.client.find(Locator::Css("body")).await.expect("body");
            if body.text().await.unwrap_or_default().contains(text) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "text {text:?} never appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Drags `file` from a GTK drag source (as from a file manager) and drops it on the
    /// screen point `(x, y)`, through real X events.
    pub async fn drop_file(&self, file: &Path, x: i32, y: i32) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("helpers/drag_source.py");
        let mut source = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(file)
            .args(["1000", "20"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the GTK drag source starts (python3-gi)");
        let mut lines = BufReader::new(source.stdout.take().expect("stdout")).lines();
        assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("ready"), "drag source ready");
        let id = xdotool(&["search", "--sync", "--name", "^sparkdeck-drag-source$"]);
        let geometry = xdotool(&["getwindowgeometry", "--shell", id.lines().next().unwrap_or_default()]);
        let value = |key: &str| -> i32 {
            geometry.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.parse().ok()).unwrap_or(0)
        };
        let (sx, sy) = (value("X=") + value("WIDTH=") / 2, value("Y=") + value("HEIGHT=") / 2);
        xdotool(&["mousemove", &sx.to_string(), &sy.to_string(), "mousedown", "1"]);
        // Small steps: GTK starts a drag only after the pointer moves past a threshold, and
        // the target sees "over" events on the way.
        for step in 1..=20 {
            let px = sx + (x - sx) * step / 20;
            let py = sy + (y - sy) * step / 20;
            xdotool(&["mousemove", &px.to_string(), &py.to_string()]);
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        xdotool(&["mouseup", "1"]);
        assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("dropped"), "the drag ended");
        let _ = source.wait();
    }

    /// Answers the native "open file" dialog titled `title` by typing `path`, as a user
    /// would (slowly: faster typing loses characters under Xvfb).
    pub async fn choose_in_file_dialog(&self, title: &str, path: &Path) {
        let id = xdotool(&["search", "--sync", "--name", &format!("^{title}$")]);
        let id = id.lines().next().unwrap_or_default().to_string();
        tokio::time::sleep(Duration::from_millis(500)).await;
        xdotool(&["windowfocus", "--sync", &id]);
        xdotool(&["key", "--window", &id, "ctrl+l"]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        xdotool(&["type", "--delay", "100", &path.display().to_string()]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        xdotool(&["key", "Return"]);
    }

    /// Answers the native "save file" dialog titled `title` with `path`: the proposed name is
    /// selected first (only its stem is, as GTK offers it), so the typed path replaces it.
    pub async fn save_in_file_dialog(&self, title: &str, path: &Path) {
        let id = xdotool(&["search", "--sync", "--name", &format!("^{title}$")]);
        let id = id.lines().next().unwrap_or_default().to_string();
        tokio::time::sleep(Duration::from_millis(500)).await;
        xdotool(&["windowfocus", "--sync", &id]);
        xdotool(&["key", "--window", &id, "ctrl+a"]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        xdotool(&["type", "--delay", "100", &path.display().to_string()]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        xdotool(&["key", "Return"]);
    }

    /// With `SPARKDECK_SCREENSHOTS=<dir>`, saves the main window as the X display shows it
    /// (the real window, not just the web view) to `<dir>/<name>.png`. `make screenshots`
    /// sets it.
    pub async fn screenshot(&self, name: &str) {
        self.screenshot_window(name, "^Sparkdeck$").await;
    }

    /// As [`App::screenshot`], for the window whose title matches `title` (an xdotool
    /// pattern), e.g. a job's own window.
    pub async fn screenshot_window(&self, name: &str, title: &str) {
        let Some(dir) = std::env::var_os("SPARKDECK_SCREENSHOTS") else { return };
        // Without a compositor, what a closed window covered is only redrawn on an expose.
        let _ = Command::new("xrefresh").status();
        tokio::time::sleep(Duration::from_millis(400)).await; // let transitions settle
        let ids = xdotool(&["search", "--onlyvisible", "--name", title]);
        let path = PathBuf::from(dir).join(format!("{name}.png"));
        // GTK maps helper windows under the same title; take the one that can be captured.
        let taken = ids.lines().rev().any(|id| {
            Command::new("import").args(["-window", id, "-silent"]).arg(&path).status().is_ok_and(|s| s.success())
        });
        assert!(taken, "screenshot {} failed (windows {ids:?})", path.display());
    }

    /// Ends the WebDriver session, then the driver (and with it the app).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Also runs when a test fails: no driver, WebKitWebDriver or app outlives its test.
impl Drop for App {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver; SIGKILL would orphan it.
        let _ = Command::new("kill").arg("-TERM").arg(self.driver.id().to_string()).status();
        let _ = self.driver.wait();
        for child in [&mut self.notifier, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
        kill_drivers_under(&self.data_dir);
    }
}

/// What the app is started with: its own data and config directories and session bus, and
/// for a profile [`Profile::without_spark`] an environment that hides this machine's Spark.
fn app_environment(profile: &Profile, bus_address: &str) -> Vec<(&'static str, OsString)> {
    let mut env = vec![
        ("SPARKDECK_DATA_DIR", profile.data_dir.clone().into()),
        ("XDG_CONFIG_HOME", profile.config_home.path().into()),
        ("DBUS_SESSION_BUS_ADDRESS", bus_address.into()),
        ("GSETTINGS_BACKEND", "memory".into()),
    ];
    if profile.without_spark {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let kept: Vec<PathBuf> = std::env::split_paths(&path).filter(|p| !p.join("activate").is_file()).collect();
        env.extend([
            ("SPARKDECK_NO_CHECKOUT", "1".into()),
            ("SPARK_HOME", OsString::new()),
            ("SPARKDECK_PYTHON_ENV", OsString::new()),
            ("PATH", std::env::join_paths(kept).unwrap_or(path)),
        ]);
    }
    env
}

/// Group drivers outlive the app on purpose (the next start re-attaches to them), but not
/// a test: kills the process group of every process working inside the test's data dir.
fn kill_drivers_under(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir("/proc") else { return };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let inside = std::fs::read_link(entry.path().join("cwd")).is_ok_and(|cwd| cwd.starts_with(data_dir));
        if inside {
            // The group of a driver's wrapper (its leader), then the process itself.
            for target in [format!("-{pid}"), pid.to_string()] {
                let _ = Command::new("kill").args(["-KILL", "--", &target]).stderr(Stdio::null()).status();
            }
        }
    }
}
