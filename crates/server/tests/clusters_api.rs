//! Every `/cluster` endpoint and error code, over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::{TestServer, call};
use serde_json::{Value, json};

fn standalone(name: &str) -> Value {
    json!({"name": name, "type": "standalone", "url": "spark://127.0.0.1:7077", "description": "lab master"})
}

#[tokio::test]
async fn create_get_list_update_delete() {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&standalone("lab"))).await;
    assert_eq!(status, 200, "{body}");
    let id = body["clusterId"].as_str().expect("clusterId").to_string();

    let (status, cluster) = call(s.get(&format!("/cluster/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(cluster["name"], "lab");
    assert_eq!(cluster["type"], "standalone");
    assert_eq!(cluster["sparkMaster"], "spark://127.0.0.1:7077");
    assert_eq!(cluster["description"], "lab master");
    assert!(cluster["createdTime"].as_i64().unwrap() > 1_600_000_000_000, "epoch milliseconds");

    let (status, page) = call(s.get("/cluster?size=1&sort=name,desc")).await;
    assert_eq!(status, 200);
    assert_eq!(page["totalElements"], 2);
    assert_eq!(page["totalPages"], 2);
    assert_eq!(page["page"], json!({"number": 0, "size": 1, "offset": 0, "paged": true}));
    assert_eq!(page["sort"], json!(["name,desc"]));
    assert_eq!((page["first"].clone(), page["last"].clone(), page["empty"].clone()), (json!(true), json!(false), json!(false)));
    assert_eq!(page["content"][0]["name"], "lab");

    let (status, page) = call(s.get("/cluster?search=LAB")).await;
    assert_eq!((status, page["totalElements"].clone()), (200, json!(1)));

    let mut changed = standalone("lab-2");
    changed["restUrl"] = json!("http://127.0.0.1:6066/");
    let (status, body) = call(s.put(&format!("/cluster/{id}")).json(&changed)).await;
    assert_eq!((status, body), (200, Value::Null), "empty 200 body");
    let (_, cluster) = call(s.get(&format!("/cluster/{id}"))).await;
    assert_eq!((cluster["name"].as_str(), cluster["restUrl"].as_str()), (Some("lab-2"), Some("http://127.0.0.1:6066")));

    let (status, names) = call(s.get("/cluster/names")).await;
    assert_eq!((status, names), (200, json!({"names": ["default", "lab-2"]})));

    let (status, body) = call(s.delete(&format!("/cluster/{id}"))).await;
    assert_eq!((status, body), (200, Value::Null));
    let (status, body) = call(s.get(&format!("/cluster/{id}"))).await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains(&id));
}

#[tokio::test]
async fn secrets_never_come_back_in_clear() {
    let s = TestServer::start().await;
    let body = json!({
        "name": "kube", "type": "k8s", "url": "https://127.0.0.1:6443",
        "username": "admin", "password": "pw-in-clear", "token": "token-in-clear",
        "storages": {"s3": {"type": "s3", "sparkBucket": "spark", "accessKey": "AK", "secretKey": "sk-in-clear"}},
        "sparkStorage": "s3",
        "defaultApplicationConfig": {"spark.kubernetes.namespace": "jobs"}
    });
    let (status, created) = call(s.post("/cluster").json(&body)).await;
    assert_eq!(status, 200, "{created}");
    let id = created["clusterId"].as_str().unwrap();
    let one = s.get(&format!("/cluster/{id}")).send().await.unwrap().text().await.unwrap();
    let list = s.get("/cluster").send().await.unwrap().text().await.unwrap();
    for text in [&one, &list] {
        for secret in ["pw-in-clear", "token-in-clear", "sk-in-clear"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
    let view: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(view["password"], "******");
    assert_eq!(view["storages"]["s3"]["secretKey"], "******");
    assert_eq!(view["defaultApplicationConfig"]["spark.kubernetes.namespace"], "jobs");
}

#[tokio::test]
async fn invalid_input_is_409_naming_the_field_and_changes_nothing() {
    let s = TestServer::start().await;
    let cases = [
        (json!({"type": "local"}), "name"),
        (json!({"name": "x"}), "type"),
        (json!({"name": "x", "type": "yarn"}), "type"),
        (json!({"name": "x", "type": "k8s"}), "url"),
        (json!({"name": "x", "type": "standalone", "url": "http://h:1"}), "url"),
        (json!({"name": "x", "type": "local", "threads": 0}), "threads"),
        (json!({"name": "x", "type": "k8s", "url": "https://h", "caCert": "nope"}), "caCert"),
        (json!({"name": "x", "type": "k8s", "url": "https://h", "defaultApplicationConfig": "a=1;b"}), "defaultApplicationConfig"),
        (json!({"name": "default", "type": "local"}), "name"),
    ];
    for (body, field) in cases {
        let (status, answer) = call(s.post("/cluster").json(&body)).await;
        assert_eq!(status, 409, "{body}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{message} should name {field}");
    }
    // Malformed bodies are 409 too, with the parser's reason.
    let (status, answer) = call(s.post("/cluster").header("content-type", "application/json").body("{not json")).await;
    assert_eq!(status, 409);
    assert!(answer["message"].as_str().unwrap().starts_with("body"));
    let (status, answer) = call(s.post("/cluster").json(&json!({"name": "x", "type": "local", "threads": "four"}))).await;
    assert_eq!(status, 409);
    assert!(answer["message"].as_str().unwrap().starts_with("threads: is not valid JSON"), "the key is named: {answer}");
    let (status, answer) = call(s.post("/cluster").header("content-type", "application/json").body(r#"{"name": "x"} trailing"#)).await;
    assert_eq!(status, 409);
    assert!(answer["message"].as_str().unwrap().starts_with("body"), "{answer}");
    let (status, _) = call(s.post("/cluster")).await;
    assert_eq!(status, 409, "empty body");
    let (status, answer) = call(s.post("/cluster").header("content-type", "text/xml").body(standalone("x").to_string())).await;
    assert_eq!(status, 409, "wrong content type");
    assert!(answer["message"].as_str().unwrap().starts_with("Content-Type"), "{answer}");
    let huge = json!({"name": "x", "type": "local", "description": "d".repeat(2 * 1024 * 1024)});
    let (status, answer) = call(s.post("/cluster").json(&huge)).await;
    assert_eq!(status, 409, "oversized body");
    assert!(answer["message"].as_str().unwrap().contains("larger than"), "{answer}");
    let (_, names) = call(s.get("/cluster/names")).await;
    assert_eq!(names["names"], json!(["default"]));
}

#[tokio::test]
async fn bad_paging_and_sorting_are_409_naming_the_parameter() {
    let s = TestServer::start().await;
    for (query, field) in [
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("size=0", "size"),
        ("sort=password,asc", "sort"),
        ("sort=name,up", "sort"),
    ] {
        let (status, body) = call(s.get(&format!("/cluster?{query}"))).await;
        assert_eq!(status, 409, "{query}");
        assert!(body["message"].as_str().unwrap().starts_with(field), "{query}: {body}");
    }
    let (_, body) = call(s.get("/cluster?sort=nope")).await;
    assert!(body["message"].as_str().unwrap().contains("name, description, type"), "lists sortable fields: {body}");
    let (status, page) = call(s.get("/cluster?size=100000&sort=name&sort=createdTime,desc")).await;
    assert_eq!(status, 200);
    assert_eq!(page["page"]["size"], 2000, "oversized pages are clamped");
}

#[tokio::test]
async fn not_found_and_conflict_codes() {
    let s = TestServer::start().await;
    assert_eq!(call(s.get("/cluster/missing")).await.0, 404);
    assert_eq!(call(s.put("/cluster/missing").json(&standalone("x"))).await.0, 404);
    assert_eq!(call(s.delete("/cluster/missing")).await.0, 404);
    let (status, body) = call(s.delete("/cluster/default?force=true")).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().contains("default"));
    let (status, body) = call(s.delete("/cluster/default?force=maybe")).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().starts_with("force"));
    // Updating into another cluster's name.
    let (_, a) = call(s.post("/cluster").json(&standalone("a"))).await;
    call(s.post("/cluster").json(&standalone("b"))).await;
    let (status, body) = call(s.put(&format!("/cluster/{}", a["clusterId"].as_str().unwrap())).json(&standalone("B"))).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().starts_with("name"));
}
