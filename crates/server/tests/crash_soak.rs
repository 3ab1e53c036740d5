//! Crash soak with the real binary and real Spark: rounds of submitting single jobs and
//! group requests while the server is SIGKILLed at a random moment and started again on
//! the same data directory. At the end every job and request has ended (FINISHED, or
//! FAILED/CANCELED with a message), none ran twice (each driver start and each request
//! run writes one marker file), nothing ran that no job or request accounts for, no
//! process is left that no active job owns, and the logs of finished jobs are whole.
//!
//! `SPARKDECK_SOAK_ROUNDS` (default 3) sets the rounds, `SPARKDECK_SOAK_SEED` the random
//! seed (printed, so a failing run can be repeated); `benches/crash_soak.sh` runs 100.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::binary::{Server, start};
use common::kill_processes_of;
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const CLUSTER: &str = "soak";
const GROUP: &str = "soak-cells";

/// Kills whatever the run left of its drivers, even when an assertion failed.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        kill_processes_of(&self.0);
    }
}

/// One call that may meet a server that was just killed: None then.
async fn try_call(
    s: &Server,
    method: Method,
    path: &str,
    form: Option<Form>,
    body: Option<Value>,
) -> Option<(u16, Value)> {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", s.url))
        .bearer_auth(&s.token)
        .timeout(Duration::from_secs(30));
    if let Some(form) = form {
        request = request.multipart(form);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let text = response.text().await.ok()?;
    Some((
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).ok()?
        },
    ))
}

async fn call(
    s: &Server,
    method: Method,
    path: &str,
    form: Option<Form>,
    body: Option<Value>,
) -> Value {
    let (status, body) = try_call(s, method, path, form, body)
        .await
        .expect("the server answers");
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn job_script(markers: &Path, token: &str) -> String {
    format!(
        "import os, time, uuid\nopen(os.path.join({markers:?}, '{token}.' + uuid.uuid4().hex), 'x').close()\ntime.sleep(0.5)\nprint('DONE {token}', flush=True)\n",
        markers = markers.to_string_lossy()
    )
}

fn cell(markers: &Path, token: &str) -> String {
    format!(
        "import os, uuid\nopen(os.path.join({markers:?}, '{token}.' + uuid.uuid4().hex), 'x').close()\n'{token}'",
        markers = markers.to_string_lossy()
    )
}

async fn submit_job(s: &Server, markers: &Path, token: &str) {
    let form = Form::new()
        .text("name", token.to_string())
        .text("language", "PYTHON")
        .text("clusterName", CLUSTER)
        .text("jobConfig", "spark.ui.enabled=false")
        .part(
            "pyFiles",
            Part::bytes(job_script(markers, token).into_bytes()).file_name("main.py"),
        );
    // A kill may take the answer (or the job) with it: what was committed is counted at the end.
    let _ = try_call(s, Method::POST, "/job/submit", Some(form), None).await;
}

async fn submit_cell(s: &Server, group: &str, markers: &Path, token: &str) {
    let body = json!({"type": "interactive_code_execute", "code": cell(markers, token)});
    let _ = try_call(
        s,
        Method::POST,
        &format!("/group/{group}/job/submit"),
        None,
        Some(body),
    )
    .await;
}

/// How many markers each token left.
fn markers_by_token(markers: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in std::fs::read_dir(markers).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let token = name.split('.').next().unwrap().to_string();
        *counts.entry(token).or_insert(0) += 1;
    }
    counts
}

async fn soak_jobs(s: &Server) -> Vec<Value> {
    let page = call(s, Method::GET, "/job?jobTypes=SINGLE&size=2000", None, None).await;
    page["content"].as_array().unwrap().clone()
}

async fn soak_cells(s: &Server, group: &str) -> Vec<Value> {
    let page = call(
        s,
        Method::GET,
        &format!("/group/{group}/job/result?size=2000"),
        None,
        None,
    )
    .await;
    page["content"].as_array().unwrap().clone()
}

fn ended(state: &Value) -> bool {
    ["FINISHED", "FAILED", "CANCELED", "UNKNOWN"]
        .iter()
        .any(|s| state == s)
}

/// The job ids whose directories processes of the data directory work in.
fn processes_by_job(data_dir: &Path, server_pid: u32) -> Vec<(i32, String)> {
    let jobs = std::fs::canonicalize(data_dir.join("jobs")).unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == server_pid as i32 {
            continue;
        }
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if let Ok(rest) = cwd.strip_prefix(&jobs) {
            let job = rest
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .unwrap_or_default();
            found.push((pid, job));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_and_requests_survive_random_kills_exactly_once() {
    let rounds: usize = std::env::var("SPARKDECK_SOAK_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("SPARKDECK_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("crash soak: {rounds} rounds, SPARKDECK_SOAK_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let data = tempfile::tempdir().unwrap();
    let markers = tempfile::tempdir().unwrap();
    let _cleanup = Cleanup(data.path().to_path_buf());

    let server = start(data.path());
    call(
        &server,
        Method::POST,
        "/cluster",
        None,
        Some(json!({"name": CLUSTER, "type": "local", "threads": 1})),
    )
    .await;
    let form = Form::new()
        .text("name", GROUP)
        .text("kind", "CODE")
        .text("language", "PYTHON")
        .text("clusterName", CLUSTER)
        .text("jobConfig", "spark.ui.enabled=false");
    let group = call(&server, Method::POST, "/group", Some(form), None).await["groupId"]
        .as_str()
        .unwrap()
        .to_string();
    drop(server);

    let started = Instant::now();
    for round in 0..rounds {
        let server = start(data.path());
        let kill_after = Duration::from_millis(rng.random_range(0..3000));
        let tokens: Vec<String> = (0..4)
            .map(|i| format!("r{round}-{}-{i}", if i % 2 == 0 { "job" } else { "cell" }))
            .collect();
        let submitting = async {
            for token in &tokens {
                if token.contains("-job-") {
                    submit_job(&server, markers.path(), token).await;
                } else {
                    submit_cell(&server, &group, markers.path(), token).await;
                }
            }
            std::future::pending::<()>().await;
        };
        let _ = tokio::time::timeout(kill_after, submitting).await;
        drop(server); // SIGKILL at a random moment: mid-submit, mid-launch, mid-request.
    }

    // The last start: everything committed ends, and a job and a request sent now (no
    // kill follows) are among them, so the checks below never look at nothing.
    let server = start(data.path());
    let (last_job, last_cell) = ("last-job".to_string(), "last-cell".to_string());
    submit_job(&server, markers.path(), &last_job).await;
    submit_cell(&server, &group, markers.path(), &last_cell).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    let (jobs, cells) = loop {
        let jobs = soak_jobs(&server).await;
        let cells = soak_cells(&server, &group).await;
        if jobs.iter().all(|j| ended(&j["state"])) && cells.iter().all(|c| ended(&c["state"])) {
            break (jobs, cells);
        }
        assert!(
            Instant::now() < deadline,
            "not all ended: {jobs:#?} {cells:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let markers_of = markers_by_token(markers.path());
    assert!(jobs.iter().any(|j| j["jobName"] == last_job.as_str() && j["state"] == "FINISHED"), "{jobs:#?}");
    assert!(cells.iter().any(|c| tokens_in(c["code"].as_str().unwrap()) == last_cell && c["state"] == "FINISHED"), "{cells:#?}");

    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    for job in &jobs {
        let token = job["jobName"].as_str().unwrap();
        let state = job["state"].as_str().unwrap();
        *states.entry(format!("job {state}")).or_default() += 1;
        let ran = markers_of.get(token).copied().unwrap_or(0);
        match state {
            "FINISHED" => {
                assert_eq!(ran, 1, "{token} ran {ran} times: {job}");
                let id = job["jobId"].as_str().unwrap();
                let logs = call(
                    &server,
                    Method::GET,
                    &format!("/job/{id}/logs?logSize=1000"),
                    None,
                    None,
                )
                .await;
                assert!(
                    logs.to_string().contains(&format!("DONE {token}")),
                    "{token}'s log is whole: {logs}"
                );
            }
            "FAILED" => {
                assert!(ran <= 1, "{token} ran {ran} times: {job}");
                assert!(
                    job["error"].as_str().is_some_and(|e| !e.is_empty()),
                    "a failure says why: {job}"
                );
            }
            _ => panic!("{token} ended {state}: {job}"),
        }
    }
    for cell in &cells {
        let code = cell["code"].as_str().unwrap();
        let token = tokens_in(code);
        let state = cell["state"].as_str().unwrap();
        *states.entry(format!("request {state}")).or_default() += 1;
        let ran = markers_of.get(&token).copied().unwrap_or(0);
        assert!(ran <= 1, "request {token} ran {ran} times: {cell}");
        if state == "FINISHED" {
            assert_eq!(ran, 1, "{cell}");
            assert!(
                cell["result"].as_str().is_some_and(|r| r.contains(&token)),
                "{cell}"
            );
        } else {
            assert!(
                cell["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "an end other than FINISHED says why: {cell}"
            );
        }
    }
    // Nothing ran that no job or request accounts for.
    let known: Vec<String> = jobs
        .iter()
        .map(|j| j["jobName"].as_str().unwrap().to_string())
        .chain(cells.iter().map(|c| tokens_in(c["code"].as_str().unwrap())))
        .collect();
    for token in markers_of.keys() {
        assert!(
            known.contains(token),
            "{token} ran but is not stored: a lost job"
        );
    }
    // The only processes left belong to the group's active driver.
    let active: Vec<String> = call(&server, Method::GET, &format!("/group/{group}"), None, None)
        .await["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| !ended(&j["state"]))
        .map(|j| j["jobId"].as_str().unwrap().to_string())
        .collect();
    for (pid, job) in processes_by_job(data.path(), server.pid()) {
        assert!(
            active.contains(&job),
            "process {pid} works for {job}, which no active job is: an orphan"
        );
    }
    println!(
        "crash soak: {rounds} rounds in {:.0?}; {} jobs, {} requests; {states:?}; {} markers",
        started.elapsed(),
        jobs.len(),
        cells.len(),
        markers_of.values().sum::<usize>()
    );
    // The group's driver ends with the group.
    let (status, body) = try_call(
        &server,
        Method::DELETE,
        &format!("/group/{group}"),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !processes_by_job(data.path(), server.pid()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the group's driver did not end with the group"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The token a cell's code carries (`'r0-cell-1'` on its last line).
fn tokens_in(code: &str) -> String {
    code.lines().last().unwrap().trim_matches('\'').to_string()
}
