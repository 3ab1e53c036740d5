//! Layer (b): each Kubernetes call against `tower_test`'s mock service, checking the
//! requests (method, path, body essentials) and feeding canned answers. No server runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::collections::BTreeMap;

use http::{Method, Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use sparkdeck_engine::k8s::follow::{DriverPhase, follow_driver, watch_driver};
use sparkdeck_engine::k8s::manifests::{DriverManifests, K8sDriverPlan, driver_manifests};
use sparkdeck_engine::k8s::submit::{stop_driver, submit_driver};
use sparkdeck_engine::model::cluster::{Cluster, ClusterSpec, ClusterType};
use sparkdeck_engine::EngineError;
use futures::StreamExt;
use tower_test::mock::{Handle, SendResponse};

type MockHandle = Handle<Request<Body>, Response<Body>>;
const URL: &str = "https://mock.invalid:6443";

fn mock() -> (kube::Client, MockHandle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (kube::Client::new(service, "default"), handle)
}

/// The next request, checked for method and path (query excluded), with its JSON body.
async fn expect(handle: &mut MockHandle, method: Method, path: &str) -> (Request<Body>, Value, SendResponse<Response<Body>>) {
    let (request, send) = handle.next_request().await.expect("a request");
    assert_eq!(request.method(), method, "method of {}", request.uri());
    assert_eq!(request.uri().path(), path);
    let (parts, body) = request.into_parts();
    let bytes = body.collect_bytes().await.unwrap();
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    (Request::from_parts(parts, Body::empty()), json, send)
}

fn respond(send: SendResponse<Response<Body>>, status: u16, body: &Value) {
    send.send_response(Response::builder().status(status).body(Body::from(serde_json::to_vec(body).unwrap())).unwrap());
}

fn status(code: u16, reason: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code, "message": format!("mock says {reason}")})
}

fn manifests() -> (K8sDriverPlan, DriverManifests) {
    let cluster = Cluster {
        id: "c".into(),
        name: "k".into(),
        description: String::new(),
        cluster_type: ClusterType::K8s,
        spec: ClusterSpec {
            url: URL.into(),
            default_application_config: BTreeMap::from([
                ("spark.kubernetes.namespace".to_string(), "spark".to_string()),
                ("spark.kubernetes.container.image".to_string(), "apache/spark:4.3.0".to_string()),
            ]),
            ..ClusterSpec::default()
        },
        created_time: 0,
        updated_time: 0,
    };
    let plan = K8sDriverPlan::new(&cluster, "pi", Some("org.apache.spark.examples.SparkPi".into()), "local:///x.jar".into(), vec![], &BTreeMap::new(), false).unwrap();
    let manifests = driver_manifests(&plan).unwrap();
    (plan, manifests)
}

fn with_uid(mut object: Value, uid: &str) -> Value {
    object["metadata"]["uid"] = json!(uid);
    object
}

fn owner_uid(body: &Value) -> &str {
    body["metadata"]["ownerReferences"][0]["uid"].as_str().unwrap()
}

#[tokio::test]
async fn submit_creates_pod_then_owned_objects() {
    let (client, mut handle) = mock();
    let (plan, m) = manifests();
    let pod = plan.pod_name();
    let server = tokio::spawn(async move {
        let (_, body, send) = expect(&mut handle, Method::POST, "/api/v1/namespaces/spark/pods").await;
        assert_eq!(body["metadata"]["labels"]["spark-role"], "driver");
        assert_eq!(body["spec"]["containers"][0]["name"], "spark-kubernetes-driver");
        respond(send, 201, &with_uid(body, "uid-1"));
        for path in ["/api/v1/namespaces/spark/configmaps", "/api/v1/namespaces/spark/services", "/apis/networking.k8s.io/v1/namespaces/spark/networkpolicies"] {
            let (_, body, send) = expect(&mut handle, Method::POST, path).await;
            assert_eq!(owner_uid(&body), "uid-1", "{path} is owned by the pod");
            respond(send, 201, &body);
        }
    });
    let driver = submit_driver(&client, URL, m).await.unwrap();
    server.await.unwrap();
    assert_eq!((driver.namespace.as_str(), driver.name.as_str(), driver.uid.as_str()), ("spark", pod.as_str(), "uid-1"));
    assert_eq!(driver.app_id, plan.app_id);
}

#[tokio::test]
async fn submit_retry_treats_409_of_the_same_app_as_success() {
    let (client, mut handle) = mock();
    let (plan, m) = manifests();
    let pod = plan.pod_name();
    let app_id = plan.app_id.clone();
    let server = tokio::spawn(async move {
        let (_, body, send) = expect(&mut handle, Method::POST, "/api/v1/namespaces/spark/pods").await;
        respond(send, 409, &status(409, "AlreadyExists"));
        let (_, _, send) = expect(&mut handle, Method::GET, &format!("/api/v1/namespaces/spark/pods/{pod}")).await;
        assert_eq!(body["metadata"]["labels"]["spark-app-selector"], app_id);
        respond(send, 200, &with_uid(body, "uid-earlier"));
        let (_, body, send) = expect(&mut handle, Method::POST, "/api/v1/namespaces/spark/configmaps").await;
        assert_eq!(owner_uid(&body), "uid-earlier");
        respond(send, 409, &status(409, "AlreadyExists"));
        let (_, body, send) = expect(&mut handle, Method::POST, "/api/v1/namespaces/spark/services").await;
        respond(send, 201, &body);
        let (_, _, send) = expect(&mut handle, Method::POST, "/apis/networking.k8s.io/v1/namespaces/spark/networkpolicies").await;
        respond(send, 409, &status(409, "AlreadyExists"));
    });
    let driver = submit_driver(&client, URL, m).await.unwrap();
    server.await.unwrap();
    assert_eq!(driver.uid, "uid-earlier");
}

#[tokio::test]
async fn submit_409_of_another_app_is_a_conflict() {
    let (client, mut handle) = mock();
    let (_, m) = manifests();
    let server = tokio::spawn(async move {
        let (_, mut body, send) = expect(&mut handle, Method::POST, "/api/v1/namespaces/spark/pods").await;
        respond(send, 409, &status(409, "AlreadyExists"));
        let (_, _, send) = expect(&mut handle, Method::GET, &format!("/api/v1/namespaces/spark/pods/{}", body["metadata"]["name"].as_str().unwrap())).await;
        body["metadata"]["labels"]["spark-app-selector"] = json!("spark-someone-else");
        respond(send, 200, &with_uid(body, "uid-other"));
    });
    let err = submit_driver(&client, URL, m).await.unwrap_err();
    server.await.unwrap();
    assert!(matches!(err, EngineError::Conflict(ref m) if m.contains("another application")), "{err}");
}

#[tokio::test]
async fn submit_failure_after_the_pod_deletes_the_pod() {
    let (client, mut handle) = mock();
    let (plan, m) = manifests();
    let pod = plan.pod_name();
    let server = tokio::spawn(async move {
        let (_, body, send) = expect(&mut handle, Method::POST, "/api/v1/namespaces/spark/pods").await;
        respond(send, 201, &with_uid(body, "uid-1"));
        let (_, _, send) = expect(&mut handle, Method::POST, "/api/v1/namespaces/spark/configmaps").await;
        respond(send, 403, &status(403, "Forbidden"));
        let (_, _, send) = expect(&mut handle, Method::DELETE, &format!("/api/v1/namespaces/spark/pods/{pod}")).await;
        respond(send, 200, &json!({"kind": "Status", "status": "Success"}));
    });
    let err = submit_driver(&client, URL, m).await.unwrap_err();
    server.await.unwrap();
    assert!(err.to_string().contains("403 Forbidden") && err.to_string().contains("'spark'"), "{err}");
}

#[tokio::test]
async fn stop_of_a_gone_pod_is_not_an_error() {
    let (client, mut handle) = mock();
    let server = tokio::spawn(async move {
        let (_, _, send) = expect(&mut handle, Method::DELETE, "/api/v1/namespaces/spark/pods/drv").await;
        respond(send, 404, &status(404, "NotFound"));
        let (_, _, send) = expect(&mut handle, Method::DELETE, "/api/v1/namespaces/spark/pods/drv").await;
        respond(send, 200, &json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "drv"}}));
    });
    assert!(!stop_driver(&client, URL, "spark", "drv").await.unwrap(), "404 = already gone");
    assert!(stop_driver(&client, URL, "spark", "drv").await.unwrap());
    server.await.unwrap();
}

fn pod(phase: &str, rv: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "drv", "namespace": "spark", "resourceVersion": rv},
           "status": {"phase": phase}})
}

#[tokio::test]
async fn follow_restarts_the_watch_after_410_gone() {
    let (client, mut handle) = mock();
    let server = tokio::spawn(async move {
        // Initial list, then a watch that the server ends with 410 Gone.
        let (req, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        let query = req.uri().query().unwrap_or_default().to_string();
        assert!(query.contains("fieldSelector=metadata.name%3Ddrv") && !query.contains("watch=true"), "{query}");
        respond(send, 200, &json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": [pod("Pending", "1")]}));
        let (req, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        assert!(req.uri().query().unwrap().contains("watch=true"));
        let gone = json!({"type": "ERROR", "object": status(410, "Expired")});
        send.send_response(Response::builder().status(200).body(Body::from(format!("{gone}\n").into_bytes())).unwrap());
        // The watcher lists again and watches from the new version.
        let (req, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        assert!(!req.uri().query().unwrap().contains("watch=true"), "a re-list after 410");
        respond(send, 200, &json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "5"}, "items": [pod("Running", "5")]}));
        let (req, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        assert!(req.uri().query().unwrap().contains("resourceVersion=5"));
        let done = json!({"type": "MODIFIED", "object": pod("Succeeded", "6")});
        send.send_response(Response::builder().status(200).body(Body::from(format!("{done}\n").into_bytes())).unwrap());
        handle
    });
    let phases: Vec<DriverPhase> = follow_driver(client, "spark", "drv").collect().await;
    drop(server.await.unwrap());
    assert_eq!(phases, vec![DriverPhase::Starting, DriverPhase::Running, DriverPhase::Succeeded]);
}

#[tokio::test]
async fn watch_driver_passes_errors_and_reports_a_deleted_or_unlisted_pod_as_gone() {
    let (client, mut handle) = mock();
    let server = tokio::spawn(async move {
        let (_, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        respond(send, 503, &status(503, "ServiceUnavailable"));
        let (_, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        respond(send, 200, &json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": [pod("Running", "1")]}));
        let (_, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        let deleted = json!({"type": "DELETED", "object": pod("Running", "2")});
        let gone = json!({"type": "ERROR", "object": status(410, "Expired")});
        send.send_response(Response::builder().status(200).body(Body::from(format!("{deleted}\n{gone}\n").into_bytes())).unwrap());
        // The re-list after 410 finds no pod.
        let (_, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        respond(send, 200, &json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "3"}, "items": []}));
        handle
    });
    let seen: Vec<_> = watch_driver(client, "spark", "drv").take(5).collect().await;
    drop(server.await.unwrap());
    let seen: Vec<String> = seen
        .iter()
        .map(|s| match s {
            Ok(Some(pod)) => pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(),
            Ok(None) => "gone".into(),
            Err(e) => e.to_string(),
        })
        .collect();
    assert!(seen[0].contains("ServiceUnavailable") || seen[0].contains("503"), "{seen:?}");
    assert_eq!(seen[1..3], ["Running", "gone"], "{seen:?}");
    assert!(seen[3].contains("Expired") || seen[3].contains("410"), "{seen:?}");
    assert_eq!(seen[4], "gone", "{seen:?}");
}

#[tokio::test]
async fn connection_test_names_401_and_403() {
    use sparkdeck_engine::k8s::connection::check;
    let (client, mut handle) = mock();
    let server = tokio::spawn(async move {
        let (_, _, send) = expect(&mut handle, Method::GET, "/version").await;
        respond(send, 401, &status(401, "Unauthorized"));
    });
    let err = check(client, URL, "spark").await.unwrap_err();
    server.await.unwrap();
    assert!(err.to_string().contains("refused the credentials (401 Unauthorized)"), "{err}");

    let (client, mut handle) = mock();
    let server = tokio::spawn(async move {
        let (_, _, send) = expect(&mut handle, Method::GET, "/version").await;
        respond(send, 200, &json!({"major": "1", "minor": "33", "gitVersion": "v1.33.1", "gitCommit": "", "gitTreeState": "", "buildDate": "", "goVersion": "", "compiler": "", "platform": ""}));
        let (req, _, send) = expect(&mut handle, Method::GET, "/api/v1/namespaces/spark/pods").await;
        assert!(req.uri().query().unwrap().contains("limit=1"));
        respond(send, 403, &status(403, "Forbidden"));
    });
    let err = check(client, URL, "spark").await.unwrap_err();
    server.await.unwrap();
    assert!(err.to_string().contains("cannot list pods in namespace 'spark' (403 Forbidden)"), "{err}");
}
