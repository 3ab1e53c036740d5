//! The `/group` contract without Spark running: groups of scale 0 start no driver, so
//! validation, lifecycle and listing are checked quickly. Every bad input is a 404 or a
//! 409 whose message starts with the field name, changes nothing, and is never a 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::{TestServer, call, file_part};
use reqwest::multipart::Form;
use serde_json::{Value, json};

async fn create(s: &TestServer, form: Form) -> (u16, Value) {
    call(s.post("/group").multipart(form)).await
}

async fn group_count(s: &TestServer) -> i64 {
    let (status, page) = call(s.get("/group")).await;
    assert_eq!(status, 200, "{page}");
    page["totalElements"].as_i64().unwrap()
}

fn starts_with(body: &Value, field: &str) -> bool {
    body["message"].as_str().is_some_and(|m| m.starts_with(&format!("{field}:")))
}

#[tokio::test]
async fn create_refuses_bad_forms_by_field_and_changes_nothing() {
    let s = TestServer::start().await;
    let base = || Form::new().text("name", "g1").text("scale", "0");
    let cases: Vec<(Form, &str)> = vec![
        (Form::new().text("scale", "0"), "name"),
        (Form::new().text("name", "a/b"), "name"),
        (base().text("kind", "SHELL"), "kind"),
        (base().text("language", "R"), "language"),
        (base().text("language", "SQL"), "language"),
        (base().text("kind", "JOB").text("language", "sql"), "language"),
        (base().text("kind", "CODE").text("language", "R"), "language"),
        (base().text("kind", "CODE").text("jobConfig", "sparkdeck.interpreters=SCALA,R"), "jobConfig"),
        (Form::new().text("name", "g1").text("scale", "-1"), "scale"),
        (Form::new().text("name", "g1").text("scale", "17"), "scale"),
        (Form::new().text("name", "g1").text("scale", "two"), "scale"),
        (base().text("jobConfig", "spark.a=1;oops"), "jobConfig"),
        (base().text("pyRequirements", "--index-url=http://evil"), "pyRequirements"),
        (base().text("tags", "novalue"), "tags"),
        (base().part("jars", file_part("x.jar", "not a zip")), "jars"),
        (base().part("pyFiles", file_part("../x.py", "x = 1")), "pyFiles"),
        (base().part("pyFiles", file_part("x.txt", "x = 1")), "pyFiles"),
    ];
    for (form, field) in cases {
        let (status, body) = create(&s, form).await;
        assert_eq!(status, 409, "{field}: {body}");
        assert!(starts_with(&body, field), "{field}: {body}");
    }
    let (status, body) = create(&s, base().text("clusterName", "nope")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(s.post("/group").json(&json!({"name": "g"}))).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(group_count(&s).await, 0);

    let (status, body) = create(&s, base()).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = create(&s, base()).await;
    assert_eq!(status, 409, "{body}");
    assert!(starts_with(&body, "name"), "{body}");
    assert_eq!(group_count(&s).await, 1);
}

#[tokio::test]
async fn requests_and_lifecycle_refuse_bad_input() {
    let s = TestServer::start().await;
    let (_, body) = create(&s, Form::new().text("name", "jobs").text("language", "PYTHON").text("scale", "0").text("tags", "team=a")).await;
    let id = body["groupId"].as_str().expect("groupId").to_string();
    let (_, body) = create(&s, Form::new().text("name", "cells").text("kind", "CODE").text("scale", "0").text("tags", "team=b")).await;
    let code_id = body["groupId"].as_str().expect("groupId").to_string();

    // Unknown ids and names: 404.
    for path in ["/group/nope", "/group/name/nope", "/group/nope/job/result"] {
        assert_eq!(call(s.get(path)).await.0, 404, "{path}");
    }
    for path in ["/group/nope/stop", "/group/nope/restart", "/group/nope/pause", "/group/nope/resume", "/group/nope/rescale/1"] {
        assert_eq!(call(s.post(path)).await.0, 404, "{path}");
    }
    let run = json!({"type": "interactive_job_execute", "jobClass": "a.B", "jobConfig": {}});
    assert_eq!(call(s.post("/group/nope/job/execute").json(&run)).await.0, 404);
    assert_eq!(call(s.post(&format!("/group/{id}/job/nope/cancel"))).await.0, 404);
    assert_eq!(call(s.delete("/group/nope")).await.0, 404);
    assert_eq!(call(s.put("/group/nope").multipart(Form::new().text("scale", "1"))).await.0, 404);

    // Bodies: each error names its field.
    let execute = |group: &str, body: Value| s.post(&format!("/group/{group}/job/execute")).json(&body);
    let cases = [
        (json!({"type": "interactive_job_execute", "jobConfig": {}}), "jobClass"),
        (json!({"type": "interactive_job_execute", "jobClass": "", "jobConfig": {}}), "jobClass"),
        (json!({"type": "interactive_job_execute", "jobClass": "a b"}), "jobClass"),
        (json!({"type": "interactive_job_execute", "jobClass": "a.B", "jobConfig": "n=1"}), "jobConfig"),
        (json!({"type": "interactive_job_execute", "jobClass": "a.B", "jobConfig": [1]}), "jobConfig"),
        (json!({"type": "interactive_code_execute", "code": "1"}), "type"),
        (json!({"type": "run_it"}), "type"),
        (json!({"jobClass": "a.B"}), "type"),
        (json!([]), "body"),
        (json!({"type": "interactive_job_execute", "jobClass": "a.B", "timeoutSeconds": 0}), "timeoutSeconds"),
        (json!({"type": "interactive_job_execute", "jobClass": "a.B", "timeoutSeconds": 86_401}), "timeoutSeconds"),
        (json!({"type": "interactive_job_execute", "jobClass": "a.B", "timeoutSeconds": "60"}), "timeoutSeconds"),
    ];
    for (body, field) in cases {
        let (status, answer) = call(execute(&id, body.clone())).await;
        assert_eq!(status, 409, "{body}: {answer}");
        assert!(starts_with(&answer, field), "{body}: {answer}");
    }
    let late = json!({"type": "interactive_job_execute", "jobClass": "a.B", "timeoutSeconds": -5});
    let (status, answer) = call(s.post(&format!("/group/{id}/job/submit")).json(&late)).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "timeoutSeconds"), "{answer}");
    let (status, answer) = call(s.post(&format!("/group/{id}/job/submit")).header("Content-Type", "application/json").body("{not json")).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "body"), "{answer}");
    let big = "x".repeat(300 * 1024);
    let (status, answer) = call(execute(&code_id, json!({"type": "interactive_code_execute", "code": big}))).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "code"), "{answer}");
    let (status, answer) = call(execute(&code_id, json!({"type": "interactive_code_complete", "code": "ab", "cursor": 9}))).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "cursor"), "{answer}");
    // `language` (extension) picks a code request's interpreter: one of the three; job
    // classes run in their group's language and take none.
    for body in [
        json!({"type": "interactive_code_execute", "code": "1", "language": "R"}),
        json!({"type": "interactive_code_complete", "code": "1", "language": "COBOL"}),
        json!({"type": "interactive_code_execute", "code": "1", "language": 3}),
    ] {
        let (status, answer) = call(execute(&code_id, body.clone())).await;
        assert_eq!(status, 409, "{body}");
        assert!(starts_with(&answer, "language"), "{body}: {answer}");
    }
    let (status, answer) = call(execute(&id, json!({"type": "interactive_job_execute", "jobClass": "a.B", "language": "SQL"}))).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "language") && answer["message"].as_str().unwrap().contains("not a field"), "{answer}");
    let (status, answer) = call(execute(&code_id, json!({"type": "interactive_code_execute", "code": "1", "language": "sql"}))).await;
    assert_eq!(status, 409, "a valid language: refused only for the state (scale 0): {answer}");
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("has no drivers")), "{answer}");
    // Progress (extension): 404 for an instance that is not the group's.
    assert_eq!(call(s.get(&format!("/group/{code_id}/job/nope/progress"))).await.0, 404);
    // A valid request to a group without drivers: refused because of its state, which
    // the message names.
    let (status, answer) = call(execute(&id, run.clone())).await;
    assert_eq!(status, 409);
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("has no drivers (scale 0)")), "{answer}");

    // Scale bounds.
    for bad in ["-1", "17", "x"] {
        let (status, answer) = call(s.post(&format!("/group/{id}/rescale/{bad}"))).await;
        assert_eq!(status, 409, "{bad}");
        assert!(starts_with(&answer, "scale"), "{answer}");
    }
    let (status, answer) = call(s.put(&format!("/group/{id}")).multipart(Form::new().text("scale", "99"))).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "scale"), "{answer}");
    let (status, answer) = call(s.put(&format!("/group/{id}")).multipart(Form::new().text("name", "other"))).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "name"), "{answer}");
    let (_, g) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!((g["scale"].as_i64(), g["name"].as_str()), (Some(0), Some("jobs")));

    // Update changes what it is given.
    let form = Form::new().text("description", "nightly").text("tags", "team=c").text("jobConfig", "spark.a=1").text("pyRequirements", "six");
    assert_eq!(call(s.put(&format!("/group/{id}")).multipart(form)).await.0, 200);
    let (_, g) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(g["description"], "nightly");
    assert_eq!(g["tags"], json!({"team": "c"}));
    assert_eq!(g["jobConfig"], json!({"spark.a": "1"}));
    assert_eq!(g["pyRequirements"], json!(["six"]));

    // Paused and archived groups refuse requests.
    assert_eq!(call(s.post(&format!("/group/{id}/pause"))).await.0, 200);
    let (status, answer) = call(execute(&id, run.clone())).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "state"), "{answer}");
    assert_eq!(call(s.post(&format!("/group/{id}/resume"))).await.0, 200);
    assert_eq!(call(s.post(&format!("/group/{id}/stop"))).await.0, 200);
    let (status, answer) = call(execute(&id, run.clone())).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "state"), "{answer}");
    let (status, answer) = call(s.post(&format!("/group/{id}/resume"))).await;
    assert_eq!(status, 409, "{answer}");
    let (_, g) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(g["state"], "ARCHIVED");
    assert!(g["archivedTime"].as_i64().unwrap() > 0);

    // Listing: filters, search, sort whitelist.
    let (_, page) = call(s.get("/group?groupKinds=CODE")).await;
    assert_eq!(page["totalElements"], 1);
    assert_eq!(page["content"][0]["id"], code_id.as_str());
    let (_, page) = call(s.get("/group?groupStates=ACTIVE,ARCHIVED&search=nightly&tags=team=c")).await;
    assert_eq!(page["totalElements"], 1, "{page}");
    let (_, page) = call(s.get("/group?sort=name,asc&clusterNames=default")).await;
    assert_eq!(page["content"][0]["name"], "cells");
    let (_, page) = call(s.get("/group?jobStates=READY")).await;
    assert_eq!(page["totalElements"], 0);
    for (query, field) in [("sort=secret", "sort"), ("groupStates=GONE", "groupStates"), ("groupKinds=X", "groupKinds"), ("size=0", "size")] {
        let (status, answer) = call(s.get(&format!("/group?{query}"))).await;
        assert_eq!(status, 409, "{query}");
        assert!(starts_with(&answer, field), "{answer}");
    }
    let (status, answer) = call(s.get(&format!("/group/{id}/job/result?sort=nope"))).await;
    assert_eq!(status, 409);
    assert!(starts_with(&answer, "sort"), "{answer}");

    // Restart revives an archived group; delete removes it.
    assert_eq!(call(s.post(&format!("/group/{id}/restart"))).await.0, 200);
    let (_, g) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!((g["state"].as_str(), g["archivedTime"].as_i64()), (Some("ACTIVE"), Some(0)));
    assert_eq!(call(s.delete(&format!("/group/{id}"))).await.0, 200);
    assert_eq!(call(s.get("/group/name/jobs")).await.0, 404);
}

#[tokio::test]
async fn auto_pause_is_set_on_create_and_update_and_shown_back() {
    let s = TestServer::start().await;
    let (status, body) = create(&s, Form::new().text("name", "g1").text("scale", "0").text("autoPause", "yes")).await;
    assert_eq!(status, 409, "{body}");
    assert!(starts_with(&body, "autoPause"), "{body}");
    assert_eq!(group_count(&s).await, 0, "nothing stored");

    let (_, body) = create(&s, Form::new().text("name", "g1").text("scale", "0").text("autoPause", "true")).await;
    let id = body["groupId"].as_str().expect("groupId").to_string();
    let (_, group) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(group["autoPause"], true, "{group}");
    // Not given on update: unchanged; given: changed.
    assert_eq!(call(s.put(&format!("/group/{id}")).multipart(Form::new().text("description", "d"))).await.0, 200);
    assert_eq!(call(s.get(&format!("/group/{id}"))).await.1["autoPause"], true);
    assert_eq!(call(s.put(&format!("/group/{id}")).multipart(Form::new().text("autoPause", "false"))).await.0, 200);
    assert_eq!(call(s.get(&format!("/group/{id}"))).await.1["autoPause"], false);
}

/// `packages` and the memory fields on create and update, shown back as the 1.5.3
/// `groupInfo` has them; a bad one is a 409 naming it and changes nothing.
#[tokio::test]
async fn packages_and_memory_settings_are_checked_stored_and_shown_back() {
    let s = TestServer::start().await;
    let base = || Form::new().text("name", "sized").text("scale", "0");
    for (form, field) in [
        (base().text("driverMemory", "lots"), "driverMemory"),
        (base().text("minExecutors", "2").text("maxExecutors", "1"), "minExecutors"),
        (base().text("executorMemory", "1g").text("jobConfig", "spark.executor.memory=2g"), "executorMemory"),
        (base().text("packages", "org.example"), "packages"),
    ] {
        let (status, body) = create(&s, form).await;
        assert_eq!(status, 409, "{field}: {body}");
        assert!(starts_with(&body, field), "{field}: {body}");
    }
    assert_eq!(group_count(&s).await, 0);

    let form = base()
        .text("packages", "org.example:lib:1.0, org.example:other:2.1")
        .text("driverMemory", "2G")
        .text("executors", "2")
        .text("dynamicAllocation", "false");
    let (status, body) = create(&s, form).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().unwrap().to_string();
    let (_, group) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(group["packages"], "org.example:lib:1.0,org.example:other:2.1", "{group}");
    assert_eq!(group["memorySettings"], json!({"driverMemory": "2g", "executors": 2, "dynamicAllocation": false}), "{group}");

    let (status, body) = call(s.put(&format!("/group/{id}")).multipart(Form::new().text("maxExecutors", "x"))).await;
    assert_eq!(status, 409, "{body}");
    assert!(starts_with(&body, "maxExecutors"), "{body}");
    let (status, body) = call(s.put(&format!("/group/{id}")).multipart(Form::new().text("executors", "").text("minExecutors", "1"))).await;
    assert_eq!(status, 200, "{body}");
    let (_, group) = call(s.get(&format!("/group/{id}"))).await;
    assert_eq!(group["memorySettings"], json!({"driverMemory": "2g", "minExecutors": 1, "dynamicAllocation": false}), "{group}");
    assert_eq!(group["packages"], "org.example:lib:1.0,org.example:other:2.1", "kept when not given");
}
