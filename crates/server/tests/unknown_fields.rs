//! No field is dropped silently: a multipart part or JSON key that a create or update route
//! does not have is a 409 naming it (and listing the route's fields), nothing is stored and
//! no upload is left behind. No Spark job is started here (groups of scale 0).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::{TestServer, call, file_part};
use reqwest::multipart::Form;
use serde_json::{Value, json};

/// The refusal names `field` first, then says which fields the route has.
fn names_field(status: u16, body: &Value, field: &str, also_lists: &str) {
    let message = body["message"].as_str().unwrap_or("");
    assert_eq!(status, 409, "{body}");
    assert!(message.starts_with(&format!("{field}: is not a field of this request")), "{message}");
    assert!(message.contains(also_lists), "'{message}' should list '{also_lists}'");
}

/// Files in the artifact store, temporaries (`.upload-*`) included.
fn stored_files(s: &TestServer) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(s.data_dir().join("artifacts")).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn an_unknown_part_of_a_job_submit_is_refused_and_its_uploads_removed() {
    let s = TestServer::start().await;
    // The file comes first, so it has been streamed into an upload when the unknown part
    // is read.
    let form = Form::new()
        .part("pyFiles", file_part("main.py", "print(1)\n"))
        .text("name", "x")
        .text("language", "PYTHON")
        .text("driverMemoryGb", "4");
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    names_field(status, &body, "driverMemoryGb", "pyRequirements");
    assert!(body["message"].as_str().unwrap().contains("pyFiles"), "file fields are listed too: {body}");
    let (_, page) = call(s.get("/job")).await;
    assert_eq!(page["totalElements"], 0, "nothing stored: {page}");
    assert_eq!(stored_files(&s), Vec::<std::ffi::OsString>::new(), "no upload left behind");

    // A file under a name the route does not have is refused the same way.
    let form = Form::new().text("name", "x").text("language", "PYTHON").part("archives", file_part("a.zip", "PK"));
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    names_field(status, &body, "archives", "jobClass");
}

#[tokio::test]
async fn an_unknown_part_of_a_group_create_or_update_is_refused_and_changes_nothing() {
    let s = TestServer::start().await;
    let form = Form::new().text("name", "g1").text("scale", "0").text("maxDrivers", "4");
    let (status, body) = call(s.post("/group").multipart(form)).await;
    names_field(status, &body, "maxDrivers", "watchJars");
    let (_, page) = call(s.get("/group")).await;
    assert_eq!(page["totalElements"], 0, "nothing stored: {page}");

    let (status, body) = call(s.post("/group").multipart(Form::new().text("name", "g1").text("scale", "0"))).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().unwrap().to_string();
    let form = Form::new().text("description", "changed").text("sclae", "2");
    let (status, body) = call(s.put(&format!("/group/{id}")).multipart(form)).await;
    names_field(status, &body, "sclae", "scale");
    let (_, group) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(group["description"], "", "the update changed nothing: {group}");
}

#[tokio::test]
async fn an_unknown_key_of_a_group_request_is_refused_before_it_is_queued() {
    let s = TestServer::start().await;
    let (_, body) = call(s.post("/group").multipart(Form::new().text("name", "g1").text("scale", "0"))).await;
    let id = body["groupId"].as_str().unwrap().to_string();
    for route in ["execute", "submit"] {
        let request = json!({"type": "interactive_job_execute", "jobClass": "a.B", "jobconfig": {"n": 1}});
        let (status, body) = call(s.post(&format!("/group/{id}/job/{route}")).json(&request)).await;
        names_field(status, &body, "jobconfig", "timeoutSeconds");
        // A key of another request type is not one of this type's.
        let request = json!({"type": "interactive_code_execute", "code": "1", "cursor": 1});
        let (status, body) = call(s.post(&format!("/group/{id}/job/{route}")).json(&request)).await;
        names_field(status, &body, "cursor", "code");
    }
    let (_, page) = call(s.get(&format!("/group/{id}/job/result"))).await;
    assert_eq!(page["totalElements"], 0, "nothing queued: {page}");
}

#[tokio::test]
async fn an_unknown_key_of_a_cluster_body_is_refused_at_any_depth() {
    let s = TestServer::start().await;
    let cluster = json!({"name": "lab", "type": "standalone", "url": "spark://127.0.0.1:7077", "executorMemory": "2g"});
    let (status, body) = call(s.post("/cluster").json(&cluster)).await;
    names_field(status, &body, "executorMemory", "defaultApplicationConfig");
    let storage = json!({"type": "s3", "sparkBucket": "b", "dataBucket": "b", "endpoint": "http://127.0.0.1:9000", "region": "eu"});
    let cluster = json!({"name": "lab", "type": "standalone", "url": "spark://127.0.0.1:7077", "storages": {"s3": storage}});
    let (status, body) = call(s.post("/cluster").json(&cluster)).await;
    names_field(status, &body, "storages.s3.region", "secretKey");
    let (_, names) = call(s.get("/cluster/names")).await;
    assert_eq!(names["names"], json!(["default"]), "nothing stored");

    // The view sent back from a GET is accepted (its derived fields, such as `sparkMaster`,
    // are the cluster's own); a key beside them is named, and nothing changes.
    let (_, page) = call(s.get("/cluster")).await;
    let default = page["content"][0].clone();
    let id = default["id"].as_str().unwrap().to_string();
    let mut back = default.clone();
    back["description"] = json!("changed");
    back["driverCores"] = json!(2);
    let (status, body) = call(s.put(&format!("/cluster/{id}")).json(&back)).await;
    names_field(status, &body, "driverCores", "url");
    let (_, now) = call(s.get(&format!("/cluster/{id}"))).await;
    assert_eq!(now["description"], default["description"], "unchanged: {now}");
    back.as_object_mut().unwrap().remove("driverCores");
    let (status, body) = call(s.put(&format!("/cluster/{id}")).json(&back)).await;
    assert_eq!(status, 200, "the view itself is accepted: {body}");
}
