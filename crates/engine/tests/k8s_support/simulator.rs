//! The lifecycle simulator: a small HTTP API on loopback that stores pods and plays a
//! driver's life (Pending → Running → Succeeded, or Failed / ImagePullBackOff by image
//! name), with list, watch streams and logs. It runs no containers and is not a cluster.
//! [`Simulator::hold`] keeps drivers Running until [`Simulator::release`], so a test can
//! act on a running job without timing; deleting a driver deletes its executors (as the
//! owner references do on a cluster).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};

#[derive(Default)]
struct Store {
    rv: u64,
    pods: BTreeMap<(String, String), Value>,
    others: Vec<Value>,
    /// Every pod event, for watches that start from an older version.
    events: Vec<(u64, &'static str, Value)>,
}

#[derive(Clone)]
pub struct Simulator {
    store: Arc<Mutex<Store>>,
    changes: broadcast::Sender<(u64, &'static str, Value)>,
    /// True while drivers stay Running.
    held: Arc<watch::Sender<bool>>,
    /// While set, GETs of single pods answer 503 (counted in `refused`).
    outage: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
}

impl Default for Simulator {
    fn default() -> Self {
        Self { store: Arc::default(), changes: broadcast::channel(1024).0, held: Arc::new(watch::channel(false).0), outage: Arc::default(), refused: Arc::default() }
    }
}

const STEP: Duration = Duration::from_millis(150);

fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code, "message": message});
    (StatusCode::from_u16(code).unwrap(), axum::Json(body)).into_response()
}

fn matches(pod: &Value, params: &BTreeMap<String, String>) -> bool {
    if let Some(field) = params.get("fieldSelector").and_then(|f| f.strip_prefix("metadata.name="))
        && pod["metadata"]["name"] != field
    {
        return false;
    }
    if let Some(labels) = params.get("labelSelector") {
        for pair in labels.split(',') {
            let (k, v) = pair.split_once('=').unwrap();
            if pod["metadata"]["labels"][k] != v {
                return false;
            }
        }
    }
    true
}

impl Simulator {
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .route("/version", get(|| async { axum::Json(json!({"major": "1", "minor": "33", "gitVersion": "v1.33.1-simulator",
                "gitCommit": "", "gitTreeState": "", "buildDate": "", "goVersion": "", "compiler": "", "platform": ""})) }))
            .route("/api/v1/namespaces/{ns}/pods", post(create_pod).get(list_pods))
            .route("/api/v1/namespaces/{ns}/pods/{name}", get(get_pod).delete(delete_pod))
            .route("/api/v1/namespaces/{ns}/pods/{name}/log", get(pod_log))
            .route("/api/v1/namespaces/{ns}/{kind}", post(create_other))
            .route("/apis/networking.k8s.io/v1/namespaces/{ns}/{kind}", post(create_other))
            .with_state(self.clone())
    }

    /// The objects other than pods that were created (ConfigMaps, Services, NetworkPolicies).
    pub fn others(&self) -> Vec<Value> {
        self.store.lock().unwrap().others.clone()
    }

    /// Drivers that reach Running stay there until [`Self::release`].
    pub fn hold(&self) {
        self.held.send_replace(true);
    }

    pub fn release(&self) {
        self.held.send_replace(false);
    }

    /// Starts or ends an outage of single-pod GETs (503 Service Unavailable).
    pub fn set_outage(&self, on: bool) {
        self.outage.store(on, Ordering::SeqCst);
    }

    /// GETs refused during outages so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    pub fn has_pod(&self, ns: &str, name: &str) -> bool {
        self.get(ns, name).is_some()
    }

    pub fn pod_count(&self) -> usize {
        self.store.lock().unwrap().pods.len()
    }

    /// Stores `pod` (bumping its version) and announces it.
    fn put(&self, ns: &str, mut pod: Value, kind: &'static str) -> Value {
        let mut store = self.store.lock().unwrap();
        store.rv += 1;
        pod["metadata"]["resourceVersion"] = json!(store.rv.to_string());
        let key = (ns.to_string(), pod["metadata"]["name"].as_str().unwrap().to_string());
        if kind == "DELETED" {
            store.pods.remove(&key);
        } else {
            store.pods.insert(key, pod.clone());
        }
        let rv = store.rv;
        store.events.push((rv, kind, pod.clone()));
        let _ = self.changes.send((rv, kind, pod.clone()));
        pod
    }

    fn get(&self, ns: &str, name: &str) -> Option<Value> {
        self.store.lock().unwrap().pods.get(&(ns.to_string(), name.to_string())).cloned()
    }

    /// Moves a pod through its life unless it is deleted meanwhile.
    async fn play(self, ns: String, name: String) {
        let image = self.get(&ns, &name).map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap_or_default().to_string()).unwrap_or_default();
        tokio::time::sleep(STEP).await;
        let Some(mut pod) = self.get(&ns, &name) else { return };
        if image.contains("missing") {
            pod["status"] = json!({"phase": "Pending", "containerStatuses": [{"name": "spark-kubernetes-driver", "image": image, "imageID": "",
                "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")}}}]});
            self.put(&ns, pod, "MODIFIED");
            return;
        }
        pod["status"] = json!({"phase": "Running", "podIP": "10.0.0.2"});
        self.put(&ns, pod.clone(), "MODIFIED");
        let driver = pod["metadata"]["labels"]["spark-role"] == "driver";
        let executor = driver.then(|| {
            let app = pod["metadata"]["labels"]["spark-app-selector"].clone();
            let exec = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("{name}-exec-1"), "namespace": ns, "uid": uuid::Uuid::new_v4().to_string(),
                "labels": {"spark-app-selector": app, "spark-role": "executor"}}, "spec": {"containers": [{"name": "spark-kubernetes-executor", "image": image}]},
                "status": {"phase": "Running"}});
            self.put(&ns, exec.clone(), "ADDED");
            exec
        });
        tokio::time::sleep(STEP * 2).await;
        let _ = self.held.subscribe().wait_for(|held| !*held).await;
        let Some(mut pod) = self.get(&ns, &name) else { return };
        let (phase, code, reason) = if image.contains("fail") { ("Failed", 1, "Error") } else { ("Succeeded", 0, "Completed") };
        pod["status"] = json!({"phase": phase, "containerStatuses": [{"name": "spark-kubernetes-driver", "image": image, "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": code, "reason": reason, "message": if code == 0 { "" } else { "Exception in thread \"main\" java.lang.ArithmeticException" }}}}]});
        if let Some(mut exec) = executor {
            exec["status"] = json!({"phase": "Succeeded"});
            self.put(&ns, exec, "MODIFIED");
        }
        self.put(&ns, pod, "MODIFIED");
    }
}

async fn create_pod(State(sim): State<Simulator>, Path(ns): Path<String>, body: Bytes) -> Response {
    let mut pod: Value = serde_json::from_slice(&body).unwrap();
    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
    if sim.get(&ns, &name).is_some() {
        return status(409, "AlreadyExists", &format!("pods \"{name}\" already exists"));
    }
    pod["metadata"]["uid"] = json!(uuid::Uuid::new_v4().to_string());
    pod["metadata"]["namespace"] = json!(ns);
    pod["status"] = json!({"phase": "Pending"});
    let pod = sim.put(&ns, pod, "ADDED");
    tokio::spawn(sim.clone().play(ns, name));
    (StatusCode::CREATED, axum::Json(pod)).into_response()
}

async fn create_other(State(sim): State<Simulator>, body: Bytes) -> Response {
    let object: Value = serde_json::from_slice(&body).unwrap();
    sim.store.lock().unwrap().others.push(object.clone());
    (StatusCode::CREATED, axum::Json(object)).into_response()
}

async fn get_pod(State(sim): State<Simulator>, Path((ns, name)): Path<(String, String)>) -> Response {
    if sim.outage.load(Ordering::SeqCst) {
        sim.refused.fetch_add(1, Ordering::SeqCst);
        return status(503, "ServiceUnavailable", "the simulator is in an outage");
    }
    match sim.get(&ns, &name) {
        Some(pod) => axum::Json(pod).into_response(),
        None => status(404, "NotFound", &format!("pods \"{name}\" not found")),
    }
}

async fn delete_pod(State(sim): State<Simulator>, Path((ns, name)): Path<(String, String)>) -> Response {
    match sim.get(&ns, &name) {
        Some(pod) => {
            if pod["metadata"]["labels"]["spark-role"] == "driver" {
                let app = pod["metadata"]["labels"]["spark-app-selector"].clone();
                let executors: Vec<Value> = sim.store.lock().unwrap().pods.values()
                    .filter(|p| p["metadata"]["labels"]["spark-app-selector"] == app && p["metadata"]["labels"]["spark-role"] == "executor")
                    .cloned().collect();
                for executor in executors {
                    sim.put(&ns, executor, "DELETED");
                }
            }
            axum::Json(sim.put(&ns, pod, "DELETED")).into_response()
        }
        None => status(404, "NotFound", &format!("pods \"{name}\" not found")),
    }
}

async fn list_pods(State(sim): State<Simulator>, Path(ns): Path<String>, Query(params): Query<BTreeMap<String, String>>) -> Response {
    if params.get("watch").is_some_and(|w| w == "true" || w == "1") {
        let since: u64 = params.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        // Subscribe under the lock so no event falls between the replay and the live feed.
        let (replay, mut live) = {
            let store = sim.store.lock().unwrap();
            let replay: Vec<_> = store.events.iter().filter(|(rv, ..)| *rv > since).cloned().collect();
            (replay, sim.changes.subscribe())
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
        tokio::spawn(async move {
            let line = |kind: &str, pod: &Value| Bytes::from(format!("{}\n", json!({"type": kind, "object": pod})));
            for (_, kind, pod) in replay.iter().filter(|(_, _, p)| p["metadata"]["namespace"] == ns.as_str() && matches(p, &params)) {
                if tx.send(Ok(line(kind, pod))).await.is_err() {
                    return;
                }
            }
            let last = replay.last().map_or(since, |e| e.0);
            while let Ok((rv, kind, pod)) = live.recv().await {
                if rv > last && pod["metadata"]["namespace"] == ns.as_str() && matches(&pod, &params) && tx.send(Ok(line(kind, &pod))).await.is_err() {
                    return;
                }
            }
        });
        return Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)).into_response();
    }
    let store = sim.store.lock().unwrap();
    let items: Vec<Value> = store.pods.iter().filter(|((n, _), p)| n == &ns && matches(p, &params)).map(|(_, p)| p.clone()).collect();
    axum::Json(json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": store.rv.to_string()}, "items": items})).into_response()
}

/// The log is complete once the container ended (a followed log ends then too).
async fn pod_log(State(sim): State<Simulator>, Path((ns, name)): Path<(String, String)>) -> Response {
    let mut changes = sim.changes.subscribe();
    loop {
        let Some(pod) = sim.get(&ns, &name) else { return status(404, "NotFound", "pod not found") };
        match pod["status"]["phase"].as_str() {
            Some("Pending") => return status(400, "BadRequest", "container is waiting to start"),
            Some("Succeeded" | "Failed") => {
                let role = pod["metadata"]["labels"]["spark-role"].as_str().unwrap_or("").to_string();
                return format!("simulated {role} log of {name}\nPi is roughly 3.14\n").into_response();
            }
            _ => {
                let _ = changes.recv().await;
            }
        }
    }
}
