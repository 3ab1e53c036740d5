//! Livy API benchmark over real HTTP on real local Spark; prints medians and the ratio
//! measured in one run. `cargo bench -p sparkdeck-server --bench livy`
//!
//! - A no-op Python statement (`pass`) through `/livy` on a warm session: POST, then GET
//!   the statement until `available`, polled tightly (no pause: the client's choice) and,
//!   for comparison, every 5 ms (target: ≤ 15 ms median).
//! - The same code cold: a Livy batch of it (a single job: `spark-submit` through the
//!   engine), POST then polled every 50 ms until `success` (target: ≥ 100× slower).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a bench is the failure

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};

mod common;
use common::ms;

struct Livy {
    client: Client,
    base: String,
    token: String,
}

impl Livy {
    async fn call(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.bearer_auth(&self.token).send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(status.is_success(), "{status}: {text}");
        serde_json::from_str(&text).expect("json")
    }

    async fn get(&self, path: &str) -> Value {
        self.call(self.client.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(self.client.post(format!("{}{path}", self.base)).json(&body)).await
    }

    /// POSTs a statement and polls it (every `pause`) until it is available.
    async fn statement(&self, session: u64, code: &str, pause: Duration) -> Duration {
        let started = Instant::now();
        let statement = self.post(&format!("/sessions/{session}/statements"), json!({ "code": code })).await;
        let path = format!("/sessions/{session}/statements/{}", statement["id"]);
        let mut current = statement;
        while current["state"] != "available" {
            assert!(["waiting", "running"].contains(&current["state"].as_str().unwrap()), "{current}");
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            current = self.get(&path).await;
        }
        let took = started.elapsed();
        assert_eq!(current["output"]["status"], "ok", "{current}");
        took
    }

    async fn until(&self, path: &str, pause: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let body = self.get(path).await;
            if done(&body) {
                return body;
            }
            assert!(Instant::now() < deadline, "{path}: {body}");
            tokio::time::sleep(pause).await;
        }
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let server = common::start().await;
    let livy = Livy { client: Client::new(), base: format!("http://{}/livy", server.addr), token: server.token.clone() };
    println!("livy bench: the default cluster, Spark {}", server.env.spark_version);

    let started = Instant::now();
    let session = livy.post("/sessions", json!({"kind": "pyspark"})).await["id"].as_u64().unwrap();
    livy.until(&format!("/sessions/{session}"), Duration::from_millis(50), |s| s["state"] == "idle").await;
    println!("session idle after {:.1} s", started.elapsed().as_secs_f64());
    for _ in 0..20 {
        livy.statement(session, "pass", Duration::ZERO).await;
    }
    let mut tight: Vec<Duration> = Vec::new();
    for _ in 0..200 {
        tight.push(livy.statement(session, "pass", Duration::ZERO).await);
    }
    let mut paced: Vec<Duration> = Vec::new();
    for _ in 0..50 {
        paced.push(livy.statement(session, "pass", Duration::from_millis(5)).await);
    }
    let warm = median(&mut tight);
    println!(
        "no-op Python statement via /livy, warm session: median {} polled tightly (200 runs; target ≤ 15 ms), {} polled every 5 ms (50 runs)",
        ms(warm),
        ms(median(&mut paced))
    );
    livy.call(livy.client.delete(format!("{}/sessions/{session}", livy.base))).await;

    // The same code cold: a batch is a single job, spark-submit'ed by the engine.
    let script = server.dir.path().join("noop.py");
    std::fs::write(&script, "pass\n").unwrap();
    let mut cold = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let batch = livy.post("/batches", json!({ "file": script.to_str().unwrap() })).await;
        let path = format!("/batches/{}/state", batch["id"]);
        let end = livy.until(&path, Duration::from_millis(50), |b| ["success", "dead", "killed"].contains(&b["state"].as_str().unwrap())).await;
        assert_eq!(end["state"], "success", "{end}");
        cold.push(started.elapsed());
    }
    let cold = median(&mut cold);
    println!(
        "the same code as a cold batch (spark-submit through the engine): median {} (3 runs) → the warm statement is {:.0}× faster (target ≥ 100×)",
        ms(cold),
        cold.as_secs_f64() / warm.as_secs_f64()
    );
}
