//! The commands through Tauri's real IPC layer (mock runtime, real engine on a temp
//! directory): arguments deserialise as the generated bindings send them, and errors cross
//! the boundary as `{code, message, field}`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

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
        .manage(sparkdeck_app::RestServer::default())
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plain HTTP/1.1 GET, so the test needs no HTTP client.
fn http_get(port: u16, path: &str, token: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn the_built_in_rest_server_follows_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    let view = invoke(&window, "get_settings", json!({})).unwrap();
    assert_eq!(view["dataDir"], dir.path().display().to_string());
    let mut settings = view["settings"].clone();
    assert_eq!(settings["restServer"]["enabled"], false);

    let port = free_port();
    settings["restServer"] = json!({"enabled": true, "port": port});
    invoke(&window, "update_settings", json!({"settings": settings.clone()})).unwrap();
    let status = invoke(&window, "rest_server_status", json!({})).unwrap();
    assert_eq!(status["running"], true);
    assert_eq!(status["url"], format!("http://127.0.0.1:{port}/api/v1"));
    let token = status["token"].as_str().unwrap().to_string();
    let answer = http_get(port, "/api/v1/cluster/names", &token);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains(r#"{"names":["default"]}"#), "{answer}");
    assert!(http_get(port, "/api/v1/cluster/names", "wrong").starts_with("HTTP/1.1 401"));

    // A port another program holds is refused by field; the running server and the saved
    // settings stay as they were.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut other = settings.clone();
    other["restServer"]["port"] = json!(taken.local_addr().unwrap().port());
    let error = invoke(&window, "update_settings", json!({"settings": other})).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("restServer.port")));
    assert_eq!(invoke(&window, "get_settings", json!({})).unwrap()["settings"], settings);
    assert!(http_get(port, "/api/v1/cluster/names", &token).starts_with("HTTP/1.1 200"));

    // An open event stream ends when the server is disabled (it used to keep it serving).
    use std::io::{Read, Write};
    let mut events = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(events, "GET /api/v1/job/updates HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\r\n").unwrap();
    let mut head = [0u8; 12];
    events.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    events.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();

    settings["restServer"]["enabled"] = json!(false);
    invoke(&window, "update_settings", json!({"settings": settings})).unwrap();
    assert_eq!(invoke(&window, "rest_server_status", json!({})).unwrap()["running"], false);
    let mut rest = String::new();
    events.read_to_string(&mut rest).expect("the event stream ended (not a read timeout)");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the server stopped listening");
}

/// Settings → Livy: the Livy API at the root of its own port while enabled (sharing the
/// token), `/livy` on the REST port always; a taken port is refused naming `livy.port`.
#[test]
fn the_livy_port_follows_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    let mut settings = invoke(&window, "get_settings", json!({})).unwrap()["settings"].clone();
    assert_eq!(settings["livy"], json!({"enabled": false, "port": 8998}));
    let (api, livy) = (free_port(), free_port());
    settings["restServer"] = json!({"enabled": true, "port": api});
    settings["livy"] = json!({"enabled": true, "port": livy});
    invoke(&window, "update_settings", json!({"settings": settings.clone()})).unwrap();
    let status = invoke(&window, "rest_server_status", json!({})).unwrap();
    assert_eq!(status["livyUrl"], format!("http://127.0.0.1:{livy}"));
    let token = status["token"].as_str().unwrap().to_string();
    let answer = http_get(livy, "/version", &token);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("0.8.0-incubating"), "{answer}");
    assert!(http_get(livy, "/version", "wrong").starts_with("HTTP/1.1 401"));
    assert!(http_get(api, "/livy/version", &token).starts_with("HTTP/1.1 200"));

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut other = settings.clone();
    other["livy"]["port"] = json!(taken.local_addr().unwrap().port());
    let error = invoke(&window, "update_settings", json!({"settings": other})).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("livy.port")));
    assert_eq!(invoke(&window, "get_settings", json!({})).unwrap()["settings"], settings);
    assert!(http_get(livy, "/version", &token).starts_with("HTTP/1.1 200"), "the running Livy port stays");

    settings["livy"]["enabled"] = json!(false);
    invoke(&window, "update_settings", json!({"settings": settings})).unwrap();
    let status = invoke(&window, "rest_server_status", json!({})).unwrap();
    assert_eq!(status["livyUrl"], format!("http://127.0.0.1:{api}/livy"));
    // The listener closes once its serve task sees the stop; the bound only turns a hang into a failure.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", livy)).is_ok() {
        assert!(std::time::Instant::now() < deadline, "the Livy port stopped listening");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn kubeconfig_contexts_are_listed_without_credentials_and_imported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app_with_engine(dir.path());
    let ca = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
    let ca_data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, ca);
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority-data: {ca_data}\n\
             users:\n- name: robot\n  user:\n    token: s3cret-token\n- name: sso\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws\n\
             contexts:\n- name: robot@lab\n  context:\n    cluster: lab\n    user: robot\n    namespace: spark\n- name: sso@lab\n  context:\n    cluster: lab\n    user: sso\n"
        ),
    )
    .unwrap();
    let path = kubeconfig.clone();
    tauri::Manager::manage(
        &app,
        sparkdeck_app::FilePicker::new(move |_request| {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let _ = sender.send(vec![path.clone()]);
            receiver
        }),
    );

    let listed = invoke(&window, "pick_kubeconfig", json!({})).unwrap();
    assert!(!listed.to_string().contains("s3cret-token"), "credentials stay in Rust: {listed}");
    let contexts = listed["contexts"].as_array().unwrap();
    assert_eq!(contexts[0]["context"], "robot@lab");
    assert_eq!(contexts[0]["name"], "robot-lab");
    assert_eq!((contexts[0]["auth"].as_str(), contexts[0]["namespace"].as_str()), (Some("token"), Some("spark")));
    assert!(contexts[1]["error"].as_str().unwrap().contains("exec plugin"), "{}", contexts[1]);

    let imports = json!({"path": listed["path"], "imports": [
        {"context": "robot@lab", "name": "lab"},
        {"context": "sso@lab", "name": "sso"},
    ]});
    let outcomes = invoke(&window, "import_kubeconfig", imports.clone()).unwrap();
    assert!(!outcomes.to_string().contains("s3cret-token"), "{outcomes}");
    assert_eq!(outcomes[0]["cluster"]["type"], "k8s");
    assert_eq!(outcomes[0]["cluster"]["defaultApplicationConfig"]["spark.kubernetes.namespace"], "spark");
    assert_eq!(outcomes[1]["error"]["field"], "kubeconfig");
    let again = invoke(&window, "import_kubeconfig", imports).unwrap();
    assert_eq!((again[0]["error"]["field"].as_str(), again[0]["cluster"].as_null()), (Some("name"), Some(())));
    assert_eq!(invoke(&window, "cluster_names", json!({})).unwrap(), json!(["default", "lab"]));
}

/// An unknown key of a form is refused with the field the UI shows it next to, and nothing
/// is created; a request to a group with an unknown key is refused naming it too.
#[test]
fn unknown_form_keys_are_refused_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    let cases = [
        ("submit_job", json!({"form": {"name": "x", "language": "PYTHON", "sparkMemory": "4g"}}), "sparkMemory"),
        ("create_group", json!({"form": {"name": "g", "scale": 0, "autoPaws": true}}), "autoPaws"),
        ("update_group", json!({"id": "g-1", "form": {"scale": 1, "name": "other"}}), "name"),
        ("create_cluster", json!({"input": {"name": "lab", "type": "standalone", "url": "spark://h:7077", "cores": 2}}), "cores"),
        ("update_settings", json!({"settings": {"restServer": {"enabled": false, "port": 9888, "host": "0.0.0.0"}}}), "restServer.host"),
    ];
    for (command, args, field) in cases {
        let error = invoke(&window, command, args).unwrap_err();
        assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some(field)), "{command}: {error}");
        assert!(error["message"].as_str().unwrap().starts_with("is not a field of this request; the fields are "), "{error}");
    }
    let query = json!({"query": {"search": null, "page": {"page": 0, "size": 10, "sort": []}}});
    assert_eq!(invoke(&window, "list_groups", query.clone()).unwrap()["totalElements"], 0, "no group created");
    assert_eq!(invoke(&window, "list_jobs", query).unwrap()["totalElements"], 0, "no job submitted");
    assert_eq!(invoke(&window, "cluster_names", json!({})).unwrap(), json!(["default"]), "no cluster created");

    // A request's arguments are typed by Tauri itself: its refusal is a message naming the key.
    let request = json!({"type": "interactive_code_execute", "code": "1", "timeout": 5});
    let error = invoke(&window, "run_group_request", json!({"id": "g-1", "request": request, "wait": false})).unwrap_err();
    assert!(error.as_str().is_some_and(|m| m.contains("unknown field `timeout`")), "{error}");
}

/// The job and group forms carry the memory fields flat, as the REST form does, and
/// `packages`: they reach the engine (a bad one is refused by name) and come back.
#[test]
fn memory_fields_and_packages_cross_ipc_to_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    let main = dir.path().join("main.py");
    std::fs::write(&main, "print(1)\n").unwrap();
    let job = |extra: Value| {
        let mut form = json!({"name": "sized", "language": "PYTHON", "pyFiles": [main.to_string_lossy()]});
        form.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        invoke(&window, "submit_job", json!({ "form": form })).unwrap_err()
    };
    let error = job(json!({"driverMemory": "lots"}));
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("driverMemory")), "{error}");
    let error = job(json!({"minExecutors": "3", "maxExecutors": "1"}));
    assert_eq!(error["field"], "minExecutors", "{error}");
    let error = job(json!({"packages": "not-a-coordinate"}));
    assert_eq!(error["field"], "packages", "{error}");

    let form = json!({"name": "sized", "kind": "CODE", "scale": 0, "packages": "org.example:lib:1.0", "executorMemory": "2g", "executors": "2"});
    let group = invoke(&window, "create_group", json!({ "form": form })).expect("created");
    assert_eq!(group["packages"], "org.example:lib:1.0");
    assert_eq!(group["memorySettings"], json!({"executorMemory": "2g", "executors": 2}));
    let update = json!({"id": group["id"], "form": {"executors": "", "dynamicAllocation": "true"}});
    let updated = invoke(&window, "update_group", update).expect("updated");
    assert_eq!(updated["memorySettings"], json!({"executorMemory": "2g", "dynamicAllocation": true}));
    let error = invoke(&window, "update_group", json!({"id": group["id"], "form": {"driverCores": "0"}})).unwrap_err();
    assert_eq!(error["field"], "driverCores", "{error}");
}

/// Schedules through IPC: create from a picked jar, list with a state filter, get, update,
/// pause/resume/stop, run now, the cron preview and its errors, delete. The schedule's
/// cluster is a standalone master nobody listens on, so its run launches nothing here.
#[test]
fn schedules_cross_ipc_to_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    let url = format!("spark://127.0.0.1:{}", free_port());
    invoke(&window, "create_cluster", json!({"input": {"name": "lab", "type": "standalone", "url": url}})).expect("cluster");
    let jar = dir.path().join("etl.jar");
    // Nothing opens it here: a zip's signature is all the engine checks.
    std::fs::write(&jar, b"PK\x03\x04 not opened").unwrap();
    let form = json!({
        "name": "nightly", "cron": "0 2 * * *", "timeZone": "UTC", "language": "SCALA", "clusterName": "lab",
        "jobClass": "com.example.Etl", "jars": [jar.to_string_lossy()], "maxRetries": "2", "driverMemory": "1g",
        "overlapPolicy": "QUEUE",
    });
    let created = invoke(&window, "create_schedule", json!({ "form": form })).expect("created");
    assert_eq!((created["state"].as_str(), created["maxRetries"].as_u64()), (Some("ENABLED"), Some(2)));
    assert_eq!(created["memorySettings"], json!({"driverMemory": "1g"}));
    assert_eq!(created["nextRunTimes"].as_array().unwrap().len(), 5);
    let id = created["id"].clone();

    let bad = json!({"form": {"name": "other", "cron": "0 2 * *", "language": "SCALA", "jars": [jar.to_string_lossy()]}});
    let error = invoke(&window, "create_schedule", bad).unwrap_err();
    assert_eq!(error["field"], "cron", "{error}");
    let error = invoke(&window, "create_schedule", json!({"form": {"name": "x", "cron": "@daily", "cronn": "1"}})).unwrap_err();
    assert_eq!(error["field"], "cronn", "{error}");

    let changes = json!({"cron": "30 3 * * *", "executors": "3", "maxRetries": "0"});
    let updated = invoke(&window, "update_schedule", json!({"id": id, "form": changes})).expect("updated");
    assert_eq!((updated["cron"].as_str(), updated["maxRetries"].as_u64()), (Some("30 3 * * *"), Some(0)));
    assert_eq!(updated["memorySettings"], json!({"driverMemory": "1g", "executors": 3}));
    let error = invoke(&window, "update_schedule", json!({"id": id, "form": {"maxRetries": "11"}})).unwrap_err();
    assert_eq!(error["field"], "maxRetries", "{error}");

    let paused = invoke(&window, "schedule_action", json!({"id": id, "action": "pause"})).expect("paused");
    assert_eq!((paused["state"].as_str(), paused["nextRunTimes"].as_array().unwrap().len()), (Some("PAUSED"), 0));
    let query = |states: Value| json!({"query": {"states": states, "page": {"page": 0, "size": 10, "sort": []}}});
    assert_eq!(invoke(&window, "list_schedules", query(json!(["ENABLED"]))).unwrap()["totalElements"], 0);
    assert_eq!(invoke(&window, "list_schedules", query(json!([]))).unwrap()["content"][0]["name"], "nightly");
    assert_eq!(invoke(&window, "schedule_action", json!({"id": id, "action": "resume"})).unwrap()["state"], "ENABLED");
    assert_eq!(invoke(&window, "schedule_action", json!({"id": id, "action": "stop"})).unwrap()["state"], "DISABLED");

    let run = invoke(&window, "run_schedule_now", json!({"id": id})).expect("run");
    assert_eq!(run["scheduleId"], id);
    assert_eq!(invoke(&window, "get_schedule", json!({"id": id})).unwrap()["jobs"][0]["jobId"], run["jobId"]);

    let times = invoke(&window, "preview_cron", json!({"cron": "0 * * * *", "timeZone": ""})).expect("preview");
    let times: Vec<i64> = times.as_array().unwrap().iter().map(|t| t.as_i64().unwrap()).collect();
    assert_eq!(times.len(), 5);
    assert!(times.windows(2).all(|w| w[1] - w[0] == 3_600_000), "{times:?}");
    let error = invoke(&window, "preview_cron", json!({"cron": "0 * * 13 *", "timeZone": "UTC"})).unwrap_err();
    assert_eq!(error["field"], "cron");
    assert!(error["message"].as_str().unwrap().contains("month field '13'"), "{error}");
    assert_eq!(invoke(&window, "preview_cron", json!({"cron": "@daily", "timeZone": "Nowhere/Land"})).unwrap_err()["field"], "timeZone");

    invoke(&window, "delete_schedule", json!({"id": id})).expect("deleted");
    assert_eq!(invoke(&window, "get_schedule", json!({"id": id})).unwrap_err()["code"], "not_found");
}

/// A stand-in for Spark's REST API on loopback (`/api/v1/applications` answers `[]`), for
/// as long as the test runs; its port.
fn fake_spark_ui() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]");
        }
    });
    port
}

/// `open_spark_ui` opens the engine's URL for a running job in a window labelled by the job
/// (never a URL from the caller); a job without a live UI, or an unknown one, opens nothing.
#[test]
fn the_spark_ui_window_opens_the_engines_url_live_then_from_the_history_server() {
    use sparkdeck_engine::testing::ScriptedRuntime;
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let engine = tauri::async_runtime::block_on(Engine::open_with_runtime(EngineConfig::new(Some(dir.path().to_path_buf())), runtime.clone())).unwrap();
    let app = mock_builder()
        .invoke_handler(sparkdeck_app::specta_builder::<MockRuntime>().invoke_handler())
        .manage(engine.clone())
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let opened = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = opened.clone();
    tauri::Manager::manage(
        &app,
        sparkdeck_app::ExternalWindowOpener::new(move |label, url, title| {
            record.lock().unwrap().push((label.to_string(), url.to_string(), title.to_string()));
            Ok(())
        }),
    );
    let py = dir.path().join("main.py");
    std::fs::write(&py, "print(1)\n").unwrap();
    let form = json!({"form": {"name": "ui job", "language": "PYTHON", "pyFiles": [py.display().to_string()]}});
    let job = invoke(&window, "submit_job", form).expect("submitted");
    let id = job["jobId"].as_str().unwrap().to_string();
    let wait = |what: &str, done: &dyn Fn(&Value) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let job = invoke(&window, "get_job", json!({"id": id})).unwrap();
            if done(&job) {
                return job;
            }
            assert!(std::time::Instant::now() < deadline, "no {what}: {job}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait("BUSY", &|j| j["state"] == "BUSY");
    let error = invoke(&window, "open_spark_ui", json!({"jobId": id})).unwrap_err();
    assert_eq!(error["code"], "conflict", "no UI bound yet: {error}");
    // The driver says where it bound its UI, as Spark 4.3 logs it.
    let port = fake_spark_ui();
    std::fs::write(dir.path().join("jobs").join(&id).join("stderr.log"), format!("INFO JettyUtils: Start Jetty 127.0.0.1:{port} for SparkUI\n")).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    wait("sparkUiUrl", &|j| j["sparkUiUrl"] == url.as_str());
    invoke(&window, "open_spark_ui", json!({"jobId": id, "url": "http://evil.example/"})).expect("opened");
    let label = format!("spark-ui-{id}");
    assert_eq!(opened.lock().unwrap().clone(), [(label, format!("{url}/"), "Spark UI — ui job — Sparkdeck".to_string())]);

    let driver = runtime.drivers()[0].id.clone();
    runtime.end(&driver, sparkdeck_engine::testing::ScriptedExit::Code(0));
    wait("the end", &|j| j["state"] == "FINISHED");
    // Ended: its History Server page, which needs an event log this scripted run never wrote.
    let error = invoke(&window, "open_spark_ui", json!({"jobId": id})).unwrap_err();
    assert_eq!(error["code"], "conflict");
    assert!(error["message"].as_str().unwrap().contains("spark.eventLog.enabled=false"), "{error}");
    assert_eq!(invoke(&window, "open_spark_ui", json!({"jobId": "nope"})).unwrap_err()["code"], "not_found");
    assert_eq!(opened.lock().unwrap().len(), 1, "nothing else opened");
}

/// The Stages tab's commands: their arguments as the bindings send them (`otherId`), and
/// their refusals by code and field.
#[test]
fn stage_and_comparison_commands_cross_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with_engine(dir.path());
    for cmd in ["job_stages", "job_executors", "previous_run"] {
        let error = invoke(&window, cmd, json!({"id": "nope"})).unwrap_err();
        assert_eq!(error["code"], "not_found", "{cmd}: {error}");
    }
    let error = invoke(&window, "compare_jobs", json!({"id": "a", "otherId": "a"})).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("otherId")));
    let error = invoke(&window, "compare_jobs", json!({"id": "a", "otherId": "b"})).unwrap_err();
    assert_eq!(error["code"], "not_found");
}

#[test]
fn a_picked_spark_folder_is_refused_with_the_reason_or_used_and_the_settings_form_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app_with_engine(dir.path());
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let spark = dir.path().join("spark-4.0.1-bin-hadoop3");
    std::fs::create_dir_all(spark.join("bin")).unwrap();
    std::fs::write(spark.join("bin/spark-submit"), "#!/bin/sh\n").unwrap();
    std::fs::write(spark.join("RELEASE"), "Spark 4.0.1 built for Hadoop 3.4.1\n").unwrap();
    let answers = std::sync::Mutex::new(vec![Some(spark.clone()), Some(photos)]);
    tauri::Manager::manage(
        &app,
        sparkdeck_app::FilePicker::new(move |request| {
            assert!(request.folder, "a folder dialog: {request:?}");
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let _ = sender.send(answers.lock().unwrap().pop().flatten().into_iter().collect());
            receiver
        }),
    );
    let error = invoke(&window, "pick_spark_folder", json!({})).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("spark.folder")));
    assert!(error["message"].as_str().unwrap().contains("has no bin/spark-submit"), "{error}");
    let settings = invoke(&window, "get_settings", json!({})).unwrap();
    assert_eq!(settings["settings"]["spark"]["folder"], Value::Null, "a refused folder is not saved");

    let status = invoke(&window, "pick_spark_folder", json!({})).unwrap();
    if std::env::var_os("SPARK_HOME").is_none() {
        assert_eq!(status["env"]["source"], "settings", "{status}");
        assert_eq!(status["env"]["sparkVersion"], "4.0.1", "{status}");
    }
    // The settings form sends what it loaded before the pick: the folder stays.
    let mut form = settings["settings"].clone();
    form["restServer"]["port"] = json!(free_port());
    invoke(&window, "update_settings", json!({"settings": form})).unwrap();
    let saved = invoke(&window, "get_settings", json!({})).unwrap();
    assert_eq!(saved["settings"]["spark"]["folder"], spark.display().to_string());
    let forgotten = invoke(&window, "use_spark_folder", json!({"folder": null})).unwrap();
    assert_ne!(forgotten["env"]["source"], "settings", "{forgotten}");
    assert_eq!(invoke(&window, "get_settings", json!({})).unwrap()["settings"]["spark"]["folder"], Value::Null);
}

/// A stand-in driver agent on loopback, READY at once, for as long as the test runs: a cell
/// whose code is `table` answers a SQL result table (contract A's `data`), any other cell its
/// code as text and no data. Its port.
fn stand_in_agent() -> u16 {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let answer = if request_line.starts_with("GET /health") {
                json!({"state": "READY", "appId": "app-stand-in", "progress": null})
            } else if request["code"] == "table" {
                let fields = [("name", "string"), ("n", "long"), ("note", "string")]
                    .map(|(name, kind)| json!({"name": name, "type": kind, "nullable": true, "metadata": {}}));
                let rows = json!([["Ada, L", 1, null], ["say \"hi\"", 2, "two\nlines"]]);
                let table = json!({"schema": {"type": "struct", "fields": fields}, "data": rows, "truncated": false});
                json!({"result": "(the table as text)", "data": {"text/plain": "(the table as text)", "application/json": table}})
            } else {
                json!({"result": request["code"], "data": null})
            };
            let text = answer.to_string();
            let mut stream = reader.into_inner();
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", text.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(text.as_bytes());
        }
    });
    port
}

/// "Save as CSV…": the save dialog proposes a file name, and the command writes the CSV of the
/// result as the engine stored it (RFC 4180 quoting, CRLF), told only the group, the request and
/// the path. A result without a table, a relative path or an unknown request is refused by field.
#[test]
fn a_result_table_is_saved_as_csv_from_the_stored_instance() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = sparkdeck_engine::testing::ScriptedRuntime::new();
    runtime.serve_agents_on(stand_in_agent());
    let config = EngineConfig::new(Some(dir.path().join("data")));
    let engine = tauri::async_runtime::block_on(Engine::open_with_runtime(config, runtime)).unwrap();
    let app = mock_builder()
        .invoke_handler(sparkdeck_app::specta_builder::<MockRuntime>().invoke_handler())
        .manage(engine)
        .manage(sparkdeck_app::RestServer::default())
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let target = dir.path().join("scores.csv");
    let chosen = target.clone();
    tauri::Manager::manage(
        &app,
        sparkdeck_app::FilePicker::new(move |request| {
            assert_eq!(request.save_as.as_deref(), Some("result.csv"), "a save dialog: {request:?}");
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let _ = sender.send(vec![chosen.clone()]);
            receiver
        }),
    );

    let form = json!({"form": {"name": "notebook", "kind": "CODE", "language": "PYTHON", "scale": 1}});
    let group = invoke(&window, "create_group", form).unwrap();
    let id = group["id"].as_str().unwrap();
    let run = |code: &str| {
        let request = json!({"id": id, "request": {"type": "interactive_code_execute", "code": code}, "wait": true});
        invoke(&window, "run_group_request", request).unwrap()
    };
    let table = run("table");
    assert_eq!(table["state"], "FINISHED", "{table}");
    let plain = run("plain");

    let args = json!({"title": "Save the result as CSV", "fileName": "result.csv", "extensions": ["csv"]});
    let path = invoke(&window, "pick_save_file", args).unwrap();
    assert_eq!(path, target.display().to_string());
    let save = |instance: &Value, path: &Value| {
        invoke(&window, "save_result_csv", json!({"id": id, "instanceId": instance["jobInstanceId"], "path": path}))
    };
    let saved = save(&table, &path).unwrap();
    assert_eq!(saved, json!({"path": target.display().to_string(), "rows": 2}));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "name,n,note\r\n\"Ada, L\",1,\r\n\"say \"\"hi\"\"\",2,\"two\nlines\"\r\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o644);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "only the data dir and the CSV: {leftovers:?}");

    let error = save(&plain, &path).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("instanceId")), "{error}");
    assert!(error["message"].as_str().unwrap().ends_with("holds no table"), "{error}");
    let error = save(&table, &json!("scores.csv")).unwrap_err();
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("invalid"), Some("path")), "{error}");
    let error = save(&json!({"jobInstanceId": "nope"}), &path).unwrap_err();
    assert_eq!(error["code"], "not_found", "{error}");
    assert!(std::fs::read_to_string(&target).unwrap().starts_with("name,n,note\r\n"), "the saved file is as it was");
}
