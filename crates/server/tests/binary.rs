//! The `sparkdeck-server` binary as a user starts it: flags, token file, startup lines.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port and returns it with the base URL and token it printed.
fn start(data_dir: &std::path::Path) -> (Server, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sparkdeck-server"))
        .args(["--port", "0", "--data-dir"])
        .arg(data_dir)
        .env("SPARKDECK_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.next().expect("listening line").expect("utf-8");
    let token = lines.next().expect("token line").expect("utf-8");
    let url = url.split_whitespace().last().expect("url").to_string();
    let token = token.strip_prefix("token: ").and_then(|t| t.split_whitespace().next()).expect("token").to_string();
    (Server(child), url, token)
}

#[tokio::test]
async fn prints_url_and_token_and_keeps_the_token_private() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url, token) = start(dir.path());
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v1"), "{url}");
    assert_eq!(token.len(), 64);

    let file = dir.path().join("api-token");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), token);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let client = reqwest::Client::new();
    let names: serde_json::Value =
        client.get(format!("{url}/cluster/names")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(names["names"], serde_json::json!(["default"]));
    drop(server);

    // A restart reuses the token.
    let (_server, _, again) = start(dir.path());
    assert_eq!(again, token);
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (_first, _, _) = start(dir.path());
    let second = Command::new(env!("CARGO_BIN_EXE_sparkdeck-server"))
        .args(["--port", "0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("in use by another Sparkdeck process"), "{stderr}");
}
