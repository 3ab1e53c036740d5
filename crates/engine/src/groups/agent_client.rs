//! HTTP to a driver agent (`driver/sparkdeck_driver.py`): loopback JSON with the
//! driver's secret as a bearer token. One keep-alive client serves every driver.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::limits::MAX_RESULT_BYTES;
use crate::model::group::{InstanceError, JobInstance};
use crate::model::job::Language;
use crate::model::secret::Secret;

/// How long a health check, cancel or shutdown may take.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub(crate) struct DriverHttp(reqwest::Client);

impl DriverHttp {
    pub(crate) fn new() -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(300))
            .no_proxy()
            .build()
            .unwrap_or_default();
        Self(client)
    }
}

/// Where a ready driver listens, and its secret.
#[derive(Clone)]
pub(crate) struct DriverConn {
    base: String,
    auth: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Health {
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) app_id: Option<String>,
    /// The running request's Spark progress (its jobs' completed / total tasks), 0 to 1;
    /// null when idle or not yet known. Read leniently ([`Health::progress`]): a value of
    /// another kind must not make a healthy driver look unhealthy.
    #[serde(default)]
    progress: Option<Value>,
}

impl Health {
    /// The progress the agent reported, when it is a number from 0 to 1.
    pub(crate) fn progress(&self) -> Option<f64> {
        self.progress.as_ref().and_then(Value::as_f64).filter(|p| (0.0..=1.0).contains(p))
    }
}

/// A code request's answer keyed by MIME type (`text/plain`, `application/json`, …).
pub(crate) type MimeBundle = serde_json::Map<String, Value>;

/// The agent's answer to one request.
pub(crate) enum Answer {
    /// The plain text, and the rich data when the agent sent some (bounded: see [`bounded_data`]).
    Result(Option<String>, Option<MimeBundle>),
    Completions(Vec<String>),
    Error(InstanceError),
    /// It is running another request (409): never two at once.
    Busy,
}

impl DriverConn {
    pub(crate) fn new(port: u16, secret: &Secret) -> Self {
        Self { base: format!("http://127.0.0.1:{port}"), auth: format!("Bearer {}", secret.expose()) }
    }

    pub(crate) async fn health(&self, http: &DriverHttp) -> Result<Health, String> {
        let response = http
            .0
            .get(format!("{}/health", self.base))
            .header("Authorization", &self.auth)
            .timeout(CONTROL_TIMEOUT)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("health answered {}", response.status()));
        }
        response.json().await.map_err(|e| e.to_string())
    }

    /// Runs one request and waits for its answer (no time limit: jobs may be long).
    pub(crate) async fn execute(&self, http: &DriverHttp, instance: &JobInstance, language: Language) -> Result<Answer, String> {
        let body = json!({
            "requestId": instance.job_instance_id,
            "kind": instance.request_type.agent_kind(),
            "language": language.as_str(),
            "jobClass": instance.job_class,
            "config": instance.job_config,
            "code": instance.code,
            "cursor": instance.cursor,
        });
        let response = http
            .0
            .post(format!("{}/execute", self.base))
            .header("Authorization", &self.auth)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().as_u16() == 409 {
            return Ok(Answer::Busy);
        }
        if !response.status().is_success() {
            return Err(format!("the driver answered {}", response.status()));
        }
        // Read no more than a result and a data bundle within the limit can take as JSON
        // (escapes included).
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Ok(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let answer: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if answer.get("result").and_then(Value::as_str).is_some_and(|r| r.len() > MAX_RESULT_BYTES) {
            return Ok(too_large());
        }
        if let Some(error) = answer.get("error") {
            let text = |key: &str| error.get(key).and_then(Value::as_str).unwrap_or("").to_string();
            return Ok(Answer::Error(InstanceError { message: text("message"), stack_trace: text("stackTrace") }));
        }
        if let Some(completions) = answer.get("completions") {
            let list = completions.as_array().map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect());
            return Ok(Answer::Completions(list.unwrap_or_default()));
        }
        let data = match answer.get("data") {
            Some(Value::Object(bundle)) => Some(bounded_data(bundle.clone())),
            _ => None,
        };
        Ok(Answer::Result(answer.get("result").and_then(Value::as_str).map(str::to_string), data))
    }

    /// Asks the agent to cancel a request; true when it was running it.
    pub(crate) async fn cancel(&self, http: &DriverHttp, request_id: &str) -> Result<bool, String> {
        let response = http
            .0
            .post(format!("{}/cancel", self.base))
            .header("Authorization", &self.auth)
            .json(&json!({ "requestId": request_id }))
            .timeout(CONTROL_TIMEOUT)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let answer: Value = response.json().await.map_err(|e| e.to_string())?;
        Ok(answer.get("cancelled").and_then(Value::as_bool).unwrap_or(false))
    }
}

/// The most bytes of an answer read: a result and a data bundle at their bound, escaped.
const MAX_ANSWER_BYTES: usize = 8 * MAX_RESULT_BYTES;

/// A bundle within [`MAX_RESULT_BYTES`] (as stored JSON) as it came; a bigger one is
/// replaced by a `text/plain` saying it was dropped (the request's `result` is kept).
pub(crate) fn bounded_data(bundle: MimeBundle) -> MimeBundle {
    let size = serde_json::to_vec(&bundle).map_or(usize::MAX, |b| b.len());
    if size <= MAX_RESULT_BYTES {
        return bundle;
    }
    let kinds: Vec<&str> = bundle.keys().map(String::as_str).collect();
    let note = format!(
        "the rich output ({}, {:.1} MiB) was dropped: it is larger than the {} MiB a request may return; the plain text is in `result`",
        kinds.join(", "),
        size as f64 / (1024.0 * 1024.0),
        MAX_RESULT_BYTES / (1024 * 1024)
    );
    MimeBundle::from_iter([("text/plain".to_string(), Value::String(note))])
}

/// The answer to a request whose result is over [`MAX_RESULT_BYTES`].
fn too_large() -> Answer {
    Answer::Error(InstanceError {
        message: format!(
            "the result is larger than the {} MiB a request may return; write large results to a file or table and return where they are",
            MAX_RESULT_BYTES / (1024 * 1024)
        ),
        stack_trace: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_health_answer_with_an_odd_progress_still_reads_and_shows_none() {
        let read = |body: Value| serde_json::from_value::<Health>(body).map(|h| h.progress());
        assert_eq!(read(json!({"state": "READY", "progress": 0.5})).ok(), Some(Some(0.5)));
        for odd in [json!(null), json!("half"), json!(1.5), json!(-1), json!([0.5])] {
            assert_eq!(read(json!({"state": "BUSY", "progress": odd})).ok(), Some(None), "{odd}");
        }
        assert_eq!(read(json!({"state": "READY"})).ok(), Some(None), "an agent before progress existed");
    }

    #[test]
    fn a_bundle_within_the_bound_is_kept_as_it_came() {
        let table = ("application/json".to_string(), json!({"data": [[1]]}));
        let bundle = MimeBundle::from_iter([("text/plain".to_string(), json!("1")), table]);
        assert_eq!(bounded_data(bundle.clone()), bundle);
    }
}
