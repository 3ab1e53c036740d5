//! Where a driver's live Spark UI answers. Drivers started on this machine get a free
//! loopback `spark.ui.port` in their plan (`jobs/plan.rs`), but the port is only picked,
//! not held: another process may take it before the driver binds, and Spark then tries
//! the next ports (`spark.port.maxRetries`). So the UI's address is read from what the
//! driver logs as it binds it — `Start Jetty <host>:<port> for SparkUI` (INFO, Spark's
//! default level) — never assumed from the plan. A driver logging at WARN shows no UI.

use std::io::Read;
use std::path::Path;

use super::job_dir::{DRIVER_STDERR, DRIVER_STDOUT};

/// How much of the start of a driver's log is searched: the UI is bound while the
/// SparkContext starts, before the application id exists.
const HEAD_BYTES: u64 = 1024 * 1024;

/// The UI a driver bound, as its log names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoundUi {
    /// The host in the URL Spark printed (the driver's host name or address).
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl BoundUi {
    /// Its base URL on loopback, for drivers whose UI binds there.
    pub(crate) fn loopback_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The UI a driver's logs in `job_dir` say it bound (stderr first: log4j's console is
/// there; a rotated first part is looked at too).
pub(crate) fn bound_ui_in_job_dir(job_dir: &Path) -> Option<BoundUi> {
    [DRIVER_STDERR, DRIVER_STDOUT]
        .iter()
        .flat_map(|log| [job_dir.join(format!("{log}.1")), job_dir.join(log)])
        .find_map(|path| bound_ui(&head_text(&path)))
}

fn head_text(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(HEAD_BYTES).read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The UI a driver's log says it bound, from its last such line: Spark 4.3 logs
/// `Start Jetty <host>:<port> for SparkUI` (the address it binds), older versions
/// `Bound SparkUI to <host>, and started at http://<host>:<port>`.
pub(crate) fn bound_ui(text: &str) -> Option<BoundUi> {
    text.lines().rev().find_map(|line| jetty_line(line).or_else(|| bound_line(line)))
}

fn jetty_line(line: &str) -> Option<BoundUi> {
    let (_, rest) = line.split_once("Start Jetty ")?;
    let (authority, _) = rest.trim_end().split_once(" for SparkUI")?;
    host_port(authority)
}

fn bound_line(line: &str) -> Option<BoundUi> {
    let (_, rest) = line.split_once("Bound SparkUI to ")?;
    let (_, url) = rest.split_once(", and started at ")?;
    let url = url.trim();
    let authority = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    host_port(authority.split('/').next()?)
}

fn host_port(authority: &str) -> Option<BoundUi> {
    let (host, port) = authority.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host.trim_matches(['[', ']']);
    (!host.is_empty() && !host.contains(char::is_whitespace)).then(|| BoundUi { host: host.to_string(), port })
}

/// Whether Spark's REST API answers at `url` (`/api/v1/applications`, a JSON list): the
/// UI is bound a moment before it serves, and before then it answers "Spark is starting
/// up" instead. Loopback and worker addresses are asked directly, never through a proxy.
pub(crate) async fn answers(url: &str) -> bool {
    let client = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(std::time::Duration::from_secs(2))
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let Ok(client) = client else { return false };
    let Ok(response) = client.get(format!("{url}/api/v1/applications")).send().await else { return false };
    if !response.status().is_success() {
        return false;
    }
    response.json::<Vec<serde_json::Value>>().await.is_ok()
}

/// A free loopback port for a driver's UI. Only picked, not held (see the module docs).
pub(crate) fn pick_free_port() -> Option<u16> {
    std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).ok()?.local_addr().ok().map(|a| a.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_ui_is_read_from_sparks_log_line() {
        // As Spark 4.3 logs it.
        let log = "26/12/01 16:00:03 INFO JettyUtils: Start Jetty 127.0.0.1:40411 for SparkUI\n\
                   26/12/01 16:00:03 INFO Utils: Successfully started service 'SparkUI' on port 40411.\n\
                   26/12/01 16:00:04 INFO SparkContext: Added JAR";
        assert_eq!(bound_ui(log), Some(BoundUi { host: "127.0.0.1".into(), port: 40411 }));
        assert_eq!(bound_ui(log).unwrap().loopback_url(), "http://127.0.0.1:40411");
        // As older Spark logs it.
        let worker = "INFO SparkUI: Bound SparkUI to 0.0.0.0, and started at https://worker-1.local:4041/";
        assert_eq!(bound_ui(worker), Some(BoundUi { host: "worker-1.local".into(), port: 4041 }));
        for bad in ["", "Start Jetty 127.0.0.1:x for SparkUI", "Start Jetty 127.0.0.1:4040 for HistoryServerUI", "Bound SparkUI to x", "Bound SparkUI to x, and started at ftp://h:1", "Bound SparkUI to x, and started at http://h:port"] {
            assert_eq!(bound_ui(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_job_directory_without_the_line_has_no_ui() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(bound_ui_in_job_dir(dir.path()), None);
        std::fs::write(dir.path().join(DRIVER_STDERR), "INFO JettyUtils: Start Jetty 127.0.0.1:4050 for SparkUI\n").unwrap();
        assert_eq!(bound_ui_in_job_dir(dir.path()).map(|b| b.port), Some(4050));
    }
}
