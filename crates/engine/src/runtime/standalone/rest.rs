//! The standalone master's REST submission protocol (port 6066): create a driver in
//! cluster deploy mode, ask for its state, kill it. Unauthenticated, so meant for trusted
//! networks (here: loopback). Every answer carries `success`; `false` becomes an error
//! that names the server and repeats its message.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::{cause, first_line};
use crate::error::{EngineError, Result};

/// One driver to start in cluster mode.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateSubmissionRequest {
    action: &'static str,
    pub(crate) app_resource: String,
    pub(crate) main_class: String,
    pub(crate) app_args: Vec<String>,
    pub(crate) spark_properties: BTreeMap<String, String>,
    pub(crate) environment_variables: BTreeMap<String, String>,
    pub(crate) client_spark_version: String,
}

/// What a submission needs; [`CreateSubmissionRequest::new`] adds the properties the
/// protocol requires.
#[derive(Debug, Clone, Default)]
pub(crate) struct Submission {
    pub(crate) master: String,
    pub(crate) app_name: String,
    /// The main jar: a path every worker can read, or a URL they can fetch.
    pub(crate) app_resource: String,
    pub(crate) main_class: String,
    pub(crate) args: Vec<String>,
    /// Other jars for the driver's and executors' class path.
    pub(crate) jars: Vec<String>,
    pub(crate) properties: BTreeMap<String, String>,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) spark_version: String,
}

impl CreateSubmissionRequest {
    pub(crate) fn new(s: Submission) -> Self {
        let mut props = s.properties;
        let jars: Vec<String> = std::iter::once(s.app_resource.clone()).chain(s.jars).collect();
        props.insert("spark.master".into(), s.master);
        props.insert("spark.app.name".into(), s.app_name);
        props.insert("spark.jars".into(), jars.join(","));
        // This protocol only creates cluster-mode drivers; an unsupervised one, so a
        // failure or a kill is the end of the run Sparkdeck tracks (no silent relaunch).
        props.insert("spark.submit.deployMode".into(), "cluster".into());
        props.insert("spark.driver.supervise".into(), "false".into());
        Self {
            action: "CreateSubmissionRequest",
            app_resource: s.app_resource,
            main_class: s.main_class,
            app_args: s.args,
            spark_properties: props,
            environment_variables: s.env,
            client_spark_version: s.spark_version,
        }
    }
}

/// A driver's state as the master reports it (`DriverState` in Spark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DriverState {
    Submitted,
    Running,
    Finished,
    Relaunching,
    Unknown,
    Killed,
    Failed,
    Error,
}

impl DriverState {
    fn parse(value: &str) -> Self {
        match value {
            "SUBMITTED" => Self::Submitted,
            "RUNNING" => Self::Running,
            "FINISHED" => Self::Finished,
            "RELAUNCHING" => Self::Relaunching,
            "KILLED" => Self::Killed,
            "FAILED" => Self::Failed,
            "ERROR" => Self::Error,
            _ => Self::Unknown,
        }
    }

    /// Whether the driver has ended for good.
    pub(crate) fn is_final(self) -> bool {
        matches!(self, Self::Finished | Self::Killed | Self::Failed | Self::Error)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubmissionStatus {
    pub(crate) state: DriverState,
    /// The worker running (or that ran) the driver, once one was chosen.
    pub(crate) worker_id: Option<String>,
    pub(crate) worker_host_port: Option<String>,
    /// Set for ERROR (the launch failed) and some other states.
    pub(crate) message: Option<String>,
}

/// Every response type shares these fields; the ones an action lacks stay `None`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Response {
    action: Option<String>,
    success: Option<bool>,
    message: Option<String>,
    submission_id: Option<String>,
    driver_state: Option<String>,
    worker_id: Option<String>,
    worker_host_port: Option<String>,
}

#[derive(Clone)]
pub(crate) struct RestClient {
    http: reqwest::Client,
    base: String,
}

impl RestClient {
    /// `base` as `http://host:6066`.
    pub(crate) fn new(http: reqwest::Client, base: &str) -> Self {
        Self { http, base: base.trim_end_matches('/').to_string() }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Starts the driver; returns its submission id (`driver-…`).
    pub(crate) async fn create(&self, request: &CreateSubmissionRequest) -> Result<String> {
        let url = format!("{}/v1/submissions/create", self.base);
        let response = self.send(self.http.post(&url).json(request), &url, "submit the driver").await?;
        response.submission_id.filter(|id| !id.is_empty()).ok_or_else(|| {
            EngineError::Conflict(format!("the standalone REST server at {} accepted the driver but returned no submission id", self.base))
        })
    }

    pub(crate) async fn status(&self, submission_id: &str) -> Result<SubmissionStatus> {
        let url = format!("{}/v1/submissions/status/{submission_id}", self.base);
        let response = self.send(self.http.get(&url), &url, &format!("read the state of driver {submission_id}")).await?;
        let state = response.driver_state.as_deref().map_or(DriverState::Unknown, DriverState::parse);
        Ok(SubmissionStatus {
            state,
            worker_id: response.worker_id,
            worker_host_port: response.worker_host_port,
            message: response.message.map(|m| first_line(&m).to_string()).filter(|m| !m.is_empty()),
        })
    }

    /// Asks the master to kill the driver (and with it its application).
    pub(crate) async fn kill(&self, submission_id: &str) -> Result<()> {
        let url = format!("{}/v1/submissions/kill/{submission_id}", self.base);
        self.send(self.http.post(&url), &url, &format!("kill driver {submission_id}")).await.map(|_| ())
    }

    /// Whether the server answers in the protocol's format (asking for the state of a
    /// driver that does not exist: being refused is the expected answer).
    pub(crate) async fn probe(&self) -> Result<()> {
        let url = format!("{}/v1/submissions/status/sparkdeck-connection-test", self.base);
        self.exchange(self.http.get(&url), &url, "answer").await.map(|_| ())
    }

    async fn send(&self, request: reqwest::RequestBuilder, url: &str, doing: &str) -> Result<Response> {
        let (status, body) = self.exchange(request, url, doing).await?;
        if body.success == Some(false) || body.action.as_deref() == Some("ErrorResponse") || !status.is_success() {
            let message = body.message.as_deref().map(first_line).filter(|m| !m.is_empty());
            let message = message.map_or_else(|| "no reason given".to_string(), str::to_string);
            return Err(EngineError::Conflict(format!("the standalone REST server at {} could not {doing}: {message}", self.base)));
        }
        Ok(body)
    }

    async fn exchange(&self, request: reqwest::RequestBuilder, url: &str, doing: &str) -> Result<(reqwest::StatusCode, Response)> {
        let response = request.send().await.map_err(|e| {
            EngineError::Unavailable(format!("cannot reach the standalone REST server at {url} to {doing}: {}", cause(&e)))
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| {
            EngineError::Unavailable(format!("the standalone REST server at {url} broke off its answer: {}", cause(&e)))
        })?;
        let parsed: Option<Response> = serde_json::from_str(&text).ok();
        let Some(body) = parsed.filter(|b| b.action.is_some()) else {
            return Err(EngineError::Conflict(format!(
                "{url} did not answer as a Spark REST submission server (HTTP {status}{}): is restUrl the master's REST port (6066 by default, with spark.master.rest.enabled=true)?",
                snippet(&text)
            )));
        };
        Ok((status, body))
    }
}

fn snippet(text: &str) -> String {
    let line = first_line(text);
    if line.is_empty() { String::new() } else { format!(": {}", line.chars().take(120).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_what_the_protocol_requires_and_users_cannot_override_the_mode() {
        let mut properties = BTreeMap::new();
        properties.insert("spark.submit.deployMode".to_string(), "client".to_string());
        properties.insert("spark.executor.memory".to_string(), "512m".to_string());
        let request = CreateSubmissionRequest::new(Submission {
            master: "spark://127.0.0.1:7077".into(),
            app_name: "demo".into(),
            app_resource: "/jobs/1/jars/a.jar".into(),
            main_class: "demo.Main".into(),
            args: vec!["x".into()],
            jars: vec!["/jobs/1/jars/b.jar".into()],
            properties,
            env: BTreeMap::new(),
            spark_version: "4.3.0".into(),
        });
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["action"], "CreateSubmissionRequest");
        assert_eq!(json["appResource"], "/jobs/1/jars/a.jar");
        assert_eq!(json["mainClass"], "demo.Main");
        assert_eq!(json["appArgs"], serde_json::json!(["x"]));
        assert_eq!(json["clientSparkVersion"], "4.3.0");
        let props = &json["sparkProperties"];
        assert_eq!(props["spark.submit.deployMode"], "cluster");
        assert_eq!(props["spark.driver.supervise"], "false");
        assert_eq!(props["spark.jars"], "/jobs/1/jars/a.jar,/jobs/1/jars/b.jar");
        assert_eq!(props["spark.executor.memory"], "512m");
        assert_eq!(props["spark.master"], "spark://127.0.0.1:7077");
    }

    #[test]
    fn unknown_driver_states_are_unknown_and_final_states_are_final() {
        assert_eq!(DriverState::parse("RUNNING"), DriverState::Running);
        assert_eq!(DriverState::parse("SOMETHING_NEW"), DriverState::Unknown);
        assert!(DriverState::Error.is_final() && DriverState::Killed.is_final());
        assert!(!DriverState::Relaunching.is_final() && !DriverState::Submitted.is_final());
    }
}
