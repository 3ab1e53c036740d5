//! The lifecycle simulator: a small HTTP API on loopback that stores pods and plays a
//! driver's life (Pending → Running → Succeeded, or Failed / ImagePullBackOff by image
//! name), with list, watch streams and logs. It runs no containers and is not a cluster.
//! [`Simulator::hold`] keeps drivers Running until [`Simulator::release`], so a test can
//! act on a running job without timing; deleting a driver deletes its executors (as the
//! owner references do on a cluster).
//!
//! Group drivers (pods whose env has `SPARKDECK_DRIVER_SECRET`) stay Running until deleted.
//! `pods/{name}/portforward` upgrades to a WebSocket speaking the channel protocol kube
//! asks for (`v5.channel.k8s.io`): per port a data and an error channel, each opened by a
//! frame carrying the port; it relays the agent's port of a Running group driver to
//! [`Simulator::set_agent`]'s address (a fake agent on loopback), and answers every other
//! port, or any port while [`Simulator::break_forwards`] is on, with an error frame as
//! the kubelet does when nothing listens. Once [`Simulator::serve_spark_ui`] started its
//! stand-in Spark UI on loopback, the `spark-ui` port a Running driver pod declares is
//! relayed there: its `/api/v1/applications` names the app ids of the pods it was
//! reached through (no Spark runs).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

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
    /// While set, reads of pods (GETs, lists, watches) answer 503 (counted in `refused`)
    /// and open watches end, as when the API server restarts.
    outage: Arc<watch::Sender<bool>>,
    refused: Arc<AtomicUsize>,
    /// Where port-forwards to a group driver's agent port go.
    agent: Arc<Mutex<Option<SocketAddr>>>,
    /// While set, every port-forward fails with an error frame (open ones too).
    broken: Arc<watch::Sender<bool>>,
    forwards: Arc<AtomicUsize>,
    /// The stand-in Spark UI, once started.
    spark_ui: Arc<Mutex<Option<SocketAddr>>>,
}

impl Default for Simulator {
    fn default() -> Self {
        Self {
            store: Arc::default(),
            changes: broadcast::channel(1024).0,
            held: Arc::new(watch::channel(false).0),
            outage: Arc::new(watch::channel(false).0),
            refused: Arc::default(),
            agent: Arc::default(),
            broken: Arc::new(watch::channel(false).0),
            forwards: Arc::default(),
            spark_ui: Arc::default(),
        }
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
            .route("/api/v1/namespaces/{ns}/pods/{name}/portforward", get(port_forward).post(port_forward))
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

    /// Starts or ends an outage of pod reads: GETs, lists and watches answer 503 Service
    /// Unavailable, and open watches end.
    pub fn set_outage(&self, on: bool) {
        self.outage.send_replace(on);
    }

    /// Reads refused during outages so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// Port-forwards to group drivers' agents go to `addr`.
    pub fn set_agent(&self, addr: SocketAddr) {
        *self.agent.lock().unwrap() = Some(addr);
    }

    /// Starts the stand-in Spark UI (see the module docs): `/api/v1/applications` lists
    /// the app ids of the Running driver pods.
    pub async fn serve_spark_ui(&self) {
        let sim = self.clone();
        let app = axum::Router::new().route(
            "/api/v1/applications",
            get(move || {
                let sim = sim.clone();
                async move {
                    let apps: Vec<Value> = sim
                        .pods()
                        .iter()
                        .filter(|p| p["metadata"]["labels"]["spark-role"] == "driver" && p["status"]["phase"] == "Running")
                        .map(|p| json!({"id": p["metadata"]["labels"]["spark-app-selector"], "name": p["metadata"]["name"]}))
                        .collect();
                    axum::Json(apps)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        *self.spark_ui.lock().unwrap() = Some(listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
    }

    /// While on, every port-forward stream, open or new, fails with an error frame.
    pub fn break_forwards(&self, on: bool) {
        self.broken.send_replace(on);
    }

    /// Port-forward streams opened so far.
    pub fn forwards(&self) -> usize {
        self.forwards.load(Ordering::SeqCst)
    }

    /// The stored pods (driver and executors).
    pub fn pods(&self) -> Vec<Value> {
        self.store.lock().unwrap().pods.values().cloned().collect()
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

    /// The 503 of an outage, counted; `None` outside outages.
    fn refuse(&self) -> Option<Response> {
        if !*self.outage.borrow() {
            return None;
        }
        self.refused.fetch_add(1, Ordering::SeqCst);
        Some(status(503, "ServiceUnavailable", "the simulator is in an outage"))
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
        let agent = agent_port(&pod).is_some();
        let executor = driver.then(|| {
            let app = pod["metadata"]["labels"]["spark-app-selector"].clone();
            let exec = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("{name}-exec-1"), "namespace": ns, "uid": uuid::Uuid::new_v4().to_string(),
                "labels": {"spark-app-selector": app, "spark-role": "executor"}}, "spec": {"containers": [{"name": "spark-kubernetes-executor", "image": image}]},
                "status": {"phase": "Running"}});
            self.put(&ns, exec.clone(), "ADDED");
            exec
        });
        if agent {
            // A group driver serves until it is deleted.
            return;
        }
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
    if let Some(refused) = sim.refuse() {
        return refused;
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
    if let Some(refused) = sim.refuse() {
        return refused;
    }
    if params.get("watch").is_some_and(|w| w == "true" || w == "1") {
        let since: u64 = params.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        // Subscribe under the lock so no event falls between the replay and the live feed.
        let (replay, mut live) = {
            let store = sim.store.lock().unwrap();
            let replay: Vec<_> = store.events.iter().filter(|(rv, ..)| *rv > since).cloned().collect();
            (replay, sim.changes.subscribe())
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
        let mut outage = sim.outage.subscribe();
        tokio::spawn(async move {
            let line = |kind: &str, pod: &Value| Bytes::from(format!("{}\n", json!({"type": kind, "object": pod})));
            for (_, kind, pod) in replay.iter().filter(|(_, _, p)| p["metadata"]["namespace"] == ns.as_str() && matches(p, &params)) {
                if tx.send(Ok(line(kind, pod))).await.is_err() {
                    return;
                }
            }
            let last = replay.last().map_or(since, |e| e.0);
            loop {
                // An outage ends the stream (dropping `tx`); the client watches again.
                let (rv, kind, pod) = tokio::select! {
                    change = live.recv() => match change {
                        Ok(change) => change,
                        Err(_) => return,
                    },
                    _ = outage.wait_for(|on| *on) => return,
                };
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

/// The agent port a group driver's pod declares (`SPARKDECK_DRIVER_PORT` beside a secret).
fn agent_port(pod: &Value) -> Option<u16> {
    let env = pod["spec"]["containers"][0]["env"].as_array()?;
    let named = |name: &str| env.iter().find(|e| e["name"] == name);
    named("SPARKDECK_DRIVER_SECRET")?;
    named("SPARKDECK_DRIVER_PORT")?["value"].as_str()?.parse().ok()
}

/// The port a pod's container declares under `name`.
fn declared_port(pod: &Value, name: &str) -> Option<u16> {
    let ports = pod["spec"]["containers"][0]["ports"].as_array()?;
    ports.iter().find(|p| p["name"] == name)?["containerPort"].as_u64().and_then(|p| u16::try_from(p).ok())
}

/// `pods/{name}/portforward?ports=N`: the WebSocket upgrade, then the relay.
async fn port_forward(
    State(sim): State<Simulator>,
    Path((ns, name)): Path<(String, String)>,
    Query(params): Query<BTreeMap<String, String>>,
    mut request: Request,
) -> Response {
    let Some(pod) = sim.get(&ns, &name) else { return status(404, "NotFound", &format!("pods \"{name}\" not found")) };
    if pod["status"]["phase"] != "Running" {
        return status(400, "BadRequest", &format!("pod {name} is not running"));
    }
    let Some(port) = params.get("ports").and_then(|p| p.parse::<u16>().ok()) else {
        return status(400, "BadRequest", "one port is required in ?ports=");
    };
    let offered = request.headers().get("sec-websocket-protocol").and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
    if !offered.split(',').any(|p| p.trim() == "v5.channel.k8s.io") {
        return status(400, "BadRequest", &format!("unsupported subprotocols: {offered:?}"));
    }
    let Some(key) = request.headers().get("sec-websocket-key").cloned() else {
        return status(400, "BadRequest", "not a WebSocket upgrade");
    };
    let upgrade = hyper::upgrade::on(&mut request);
    let target = match () {
        () if *sim.broken.borrow() => None,
        () if agent_port(&pod) == Some(port) => *sim.agent.lock().unwrap(),
        () if declared_port(&pod, "spark-ui") == Some(port) => *sim.spark_ui.lock().unwrap(),
        () => None,
    };
    let broken = sim.broken.subscribe();
    sim.forwards.fetch_add(1, Ordering::SeqCst);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let ws = WebSocketStream::from_raw_socket(hyper_util::rt::TokioIo::new(upgraded), Role::Server, None).await;
        relay(ws, port, &name, target, broken).await;
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-accept", tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes()))
        .header("sec-websocket-protocol", "v5.channel.k8s.io")
        .body(Body::empty())
        .unwrap()
}

/// Channel 0 carries the port's bytes, channel 1 its error; each starts with the port.
async fn relay<S>(mut ws: WebSocketStream<S>, port: u16, pod: &str, target: Option<SocketAddr>, mut broken: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let [lo, hi] = port.to_le_bytes();
    for channel in [0u8, 1] {
        if ws.send(Message::binary(vec![channel, lo, hi])).await.is_err() {
            return;
        }
    }
    let tcp = match target {
        Some(addr) => tokio::net::TcpStream::connect(addr).await.ok(),
        None => None,
    };
    let fail = |message: String| {
        let mut frame = vec![1u8];
        frame.extend(message.as_bytes());
        Message::binary(frame)
    };
    let Some(tcp) = tcp else {
        let _ = ws.send(fail(format!("error forwarding port {port} to pod {pod}: dial tcp4 127.0.0.1:{port}: connect: connection refused"))).await;
        let _ = ws.close(None).await;
        return;
    };
    let (mut from_agent, mut to_agent) = tcp.into_split();
    let mut buf = vec![0u8; 16 * 1024];
    let broke = async move {
        if broken.wait_for(|b| *b).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(broke);
    loop {
        tokio::select! {
            () = &mut broke => {
                let _ = ws.send(fail(format!("error forwarding port {port} to pod {pod}: lost connection to pod"))).await;
                let _ = ws.close(None).await;
                return;
            }
            read = from_agent.read(&mut buf) => match read {
                Ok(n) if n > 0 => {
                    let mut frame = Vec::with_capacity(n + 1);
                    frame.push(0u8);
                    frame.extend(&buf[..n]);
                    if ws.send(Message::binary(frame)).await.is_err() {
                        return;
                    }
                }
                _ => {
                    let _ = ws.close(None).await;
                    return;
                }
            },
            message = ws.next() => match message {
                Some(Ok(Message::Binary(data))) if data.first() == Some(&0) => {
                    if to_agent.write_all(&data[1..]).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
