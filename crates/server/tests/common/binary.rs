//! The `sparkdeck-server` binary as a user starts it, for tests that kill and restart it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use reqwest::multipart::Form;
use serde_json::Value;

/// A running server process; dropping it kills it with SIGKILL (no shutdown code runs).
pub struct Server {
    child: Child,
    pub url: String,
    pub token: String,
    /// The root of the Livy API's own port, when started with `--livy-port`.
    pub livy_url: Option<String>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it exited, if it did within `bound`.
    pub fn exit_within(&mut self, bound: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port and reads the URL and token it prints.
pub fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[], &[])
}

/// [`start`] with more flags and environment variables (where Spark is, for one).
pub fn start_with(data_dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sparkdeck-server"))
        .args(["--port", "0", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .env("SPARKDECK_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.next().expect("listening line").expect("utf-8").split_whitespace().last().expect("url").to_string();
    let token = lines.next().expect("token line").expect("utf-8");
    let token = token.strip_prefix("token: ").and_then(|t| t.split_whitespace().next()).expect("token").to_string();
    let livy_url = args.contains(&"--livy-port").then(|| {
        let line = lines.next().expect("livy line").expect("utf-8");
        line.strip_prefix("livy listening on ").expect("livy listening on URL").to_string()
    });
    Server { child, url, token, livy_url }
}

/// One authenticated call: the status and the JSON body (`Null` when empty).
pub async fn call(s: &Server, method: reqwest::Method, path: &str, form: Option<Form>, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", s.url)).bearer_auth(&s.token);
    if let Some(form) = form {
        request = request.multipart(form);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("json") })
}
