//! The master's and workers' `/json/` pages (note the trailing slash: `/json` redirects):
//! the master lists workers, applications and drivers; a worker lists the executors it
//! runs and ran. Fields absent from a Spark version read as empty.

use serde::{Deserialize, Deserializer};

use super::http::cause;
use crate::error::{EngineError, Result};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MasterState {
    pub(crate) url: String,
    /// ALIVE, STANDBY, RECOVERING, COMPLETING_RECOVERY.
    pub(crate) status: String,
    pub(crate) workers: Vec<WorkerSummary>,
    pub(crate) aliveworkers: u32,
    pub(crate) cores: u32,
    pub(crate) coresused: u32,
    pub(crate) activeapps: Vec<AppSummary>,
    pub(crate) completedapps: Vec<AppSummary>,
    pub(crate) activedrivers: Vec<DriverSummary>,
    pub(crate) completeddrivers: Vec<DriverSummary>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WorkerSummary {
    pub(crate) id: String,
    pub(crate) host: String,
    pub(crate) webuiaddress: String,
    /// ALIVE, DEAD, DECOMMISSIONED, UNKNOWN.
    pub(crate) state: String,
    pub(crate) cores: u32,
    pub(crate) coresused: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AppSummary {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) state: String,
    pub(crate) cores: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DriverSummary {
    pub(crate) id: String,
    pub(crate) state: String,
    pub(crate) worker: String,
    pub(crate) mainclass: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WorkerState {
    pub(crate) id: String,
    pub(crate) cores: u32,
    pub(crate) coresused: u32,
    pub(crate) executors: Vec<ExecutorSummary>,
    pub(crate) finishedexecutors: Vec<ExecutorSummary>,
    /// Not served by every version (4.3.0 lists executors only).
    pub(crate) drivers: Vec<WorkerDriver>,
    pub(crate) finisheddrivers: Vec<WorkerDriver>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExecutorSummary {
    /// A number in Spark's JSON; kept as text because it names a directory.
    #[serde(deserialize_with = "text_or_number")]
    pub(crate) id: String,
    pub(crate) appid: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WorkerDriver {
    pub(crate) id: String,
}

fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

impl MasterState {
    pub(crate) fn alive_workers(&self) -> impl Iterator<Item = &WorkerSummary> {
        self.workers.iter().filter(|w| w.state == "ALIVE")
    }

    pub(crate) fn worker(&self, id: &str) -> Option<&WorkerSummary> {
        self.workers.iter().find(|w| w.id == id)
    }

    pub(crate) fn driver(&self, id: &str) -> Option<&DriverSummary> {
        self.activedrivers.iter().chain(&self.completeddrivers).find(|d| d.id == id)
    }
}

impl WorkerState {
    /// The executors this worker runs or ran for `app_id`: (id, whether it ended).
    pub(crate) fn executors_of<'a>(&'a self, app_id: &'a str) -> impl Iterator<Item = (&'a str, bool)> + 'a {
        let running = self.executors.iter().map(|e| (e, false));
        let ended = self.finishedexecutors.iter().map(|e| (e, true));
        running.chain(ended).filter(move |(e, _)| e.appid == app_id).map(|(e, ended)| (e.id.as_str(), ended))
    }
}

/// `GET <web_ui>/json/` of the master.
pub(crate) async fn master_state(http: &reqwest::Client, web_ui: &str) -> Result<MasterState> {
    get_json(http, web_ui, "standalone master").await
}

/// `GET <webuiaddress>/json/` of a worker.
pub(crate) async fn worker_state(http: &reqwest::Client, web_ui: &str) -> Result<WorkerState> {
    get_json(http, web_ui, "standalone worker").await
}

async fn get_json<T: for<'de> Deserialize<'de>>(http: &reqwest::Client, web_ui: &str, what: &str) -> Result<T> {
    let url = format!("{}/json/", web_ui.trim_end_matches('/'));
    let response = http
        .get(&url)
        .send()
        .await
        .map_err(|e| EngineError::Unavailable(format!("cannot reach the {what}'s web UI at {url}: {}", cause(&e))))?;
    let status = response.status();
    if !status.is_success() {
        return Err(EngineError::Unavailable(format!("the {what}'s web UI at {url} answered HTTP {status}")));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| EngineError::Unavailable(format!("the {what}'s web UI at {url} broke off its answer: {}", cause(&e))))?;
    serde_json::from_slice(&body).map_err(|e| {
        EngineError::Unavailable(format!("{url} did not answer with a Spark {what}'s JSON status ({e}): is it the web UI port (8080 by default)?"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_and_worker_pages_of_spark_4_parse() {
        // Trimmed from what a 4.3.0 master and worker served.
        let master: MasterState = serde_json::from_str(r#"{
            "url": "spark://127.0.0.1:17077", "status": "ALIVE", "aliveworkers": 2, "cores": 2, "coresused": 1,
            "workers": [{"id": "worker-1", "host": "127.0.0.1", "port": 33981, "webuiaddress": "http://127.0.0.1:18081",
                         "cores": 1, "coresused": 1, "state": "ALIVE", "resources": {}},
                        {"id": "worker-2", "host": "127.0.0.1", "webuiaddress": "http://127.0.0.1:18082",
                         "cores": 1, "coresused": 0, "state": "DEAD"}],
            "activeapps": [], "completedapps": [{"id": "app-1", "name": "demo", "cores": 1, "state": "FINISHED", "starttime": 1}],
            "activedrivers": [], "completeddrivers": [{"id": "driver-1", "starttime": "1795825693131", "state": "FINISHED",
                              "worker": "worker-1", "mainclass": "demo.Count"}]}"#).unwrap();
        assert_eq!(master.alive_workers().count(), 1);
        assert_eq!(master.worker("worker-2").unwrap().webuiaddress, "http://127.0.0.1:18082");
        assert_eq!(master.completedapps[0].state, "FINISHED");
        assert_eq!(master.driver("driver-1").unwrap().worker, "worker-1");

        let worker: WorkerState = serde_json::from_str(r#"{
            "id": "worker-1", "cores": 1, "coresused": 0, "executors": [{"id": 3, "appid": "app-2"}],
            "finishedexecutors": [{"id": 0, "memory": 1024, "appid": "app-1", "appdesc": {"name": "demo"}}]}"#).unwrap();
        assert_eq!(worker.executors_of("app-1").collect::<Vec<_>>(), [("0", true)]);
        assert_eq!(worker.executors_of("app-2").collect::<Vec<_>>(), [("3", false)]);
        assert!(worker.drivers.is_empty());
    }
}
