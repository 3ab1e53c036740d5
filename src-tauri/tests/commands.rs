//! The commands through Tauri's real IPC layer (mock runtime, real engine on a temp
//! directory): arguments deserialise as the generated bindings send them, and errors cross
//! the boundary as `{code, message, field}`.

use serde_json::{Value, json};
use sparkdeck_engine::{Engine, EngineConfig};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::{InvokeRequest, WebviewWindow};

fn app_with_engine(dir: &std::path::Path) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let engine = tauri::async_runtime::block_on(Engine::open(EngineConfig::new(Some(dir.to_path_buf())))).unwrap();
    let app = mock_builder()
        .invoke_handler(sparkdeck_app::specta_builder::<MockRuntime>().invoke_handler())
        .manage(engine)
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // The URL the app's own pages have on Linux; other origins are refused by the ACL.
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
}

#[test]
fn create_list_and_delete_through_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    let created = invoke(
        &window,
        "create_cluster",
        json!({"input": {"name": "lab", "type": "standalone", "url": "spark://127.0.0.1:7077"}}),
    )
    .expect("created");
    assert_eq!(created["sparkMaster"], "spark://127.0.0.1:7077");

    let query = json!({"query": {"search": null, "page": {"page": 0, "size": 10, "sort": [{"field": "name", "direction": "desc"}]}}});
    let page = invoke(&window, "list_clusters", query).expect("page");
    let names: Vec<&str> = page["content"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["lab", "default"]);

    invoke(&window, "delete_cluster", json!({"id": created["id"], "force": false})).expect("deleted");
    assert_eq!(invoke(&window, "cluster_names", json!({})).unwrap(), json!(["default"]));
}

#[test]
fn errors_cross_ipc_with_code_message_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    let error = invoke(&window, "create_cluster", json!({"input": {"name": "kube", "type": "k8s"}})).unwrap_err();
    assert_eq!(error["code"], "invalid");
    assert_eq!(error["field"], "url");
    assert!(error["message"].as_str().unwrap().starts_with("is required"), "{error}");

    let error = invoke(&window, "get_cluster", json!({"id": "nope"})).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("not_found"), None));
    let error = invoke(&window, "delete_cluster", json!({"id": "default", "force": true})).unwrap_err();
    assert_eq!(error["code"], "conflict");
    assert_eq!(invoke(&window, "cluster_names", json!({})).unwrap(), json!(["default"]), "nothing changed");
}

#[test]
fn a_picked_file_comes_back_as_text_and_a_wrong_one_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app_with_engine(dir.path());
    let cert = dir.path().join("ca.pem");
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n").unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![b'x'; 2 * 1024 * 1024]).unwrap();
    let answers = std::sync::Mutex::new(vec![None, Some(big), Some(cert.clone())]);
    tauri::Manager::manage(
        &app,
        sparkdeck_app::FilePicker::new(move |_request| {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let _ = sender.send(answers.lock().unwrap().pop().flatten().into_iter().collect());
            receiver
        }),
    );
    let args = json!({"title": "CA certificate", "field": "caCert"});
    let picked = invoke(&window, "pick_text_file", args.clone()).unwrap();
    assert_eq!(picked["path"], cert.display().to_string());
    assert!(picked["text"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    let error = invoke(&window, "pick_text_file", args.clone()).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("caCert")));
    assert_eq!(invoke(&window, "pick_text_file", args).unwrap(), Value::Null, "cancelled");
}
