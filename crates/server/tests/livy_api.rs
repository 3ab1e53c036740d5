//! The Livy API (`/livy`) without Spark: sessions on the scripted runtime with a stand-in
//! agent, batches as scripted single jobs. Livy's shapes and states, its `{"msg"}` errors,
//! the guard (Bearer or Basic password), paging, ids across a restart, the heartbeat, and
//! every bad input of issue #11 refused without changing anything.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::livy::scripted_server;
use common::{TestServer, call};
use serde_json::{Value, json};
use sparkdeck_engine::testing::ScriptedExit;

fn msg(body: &Value) -> &str {
    body["msg"].as_str().unwrap_or_else(|| panic!("a Livy {{\"msg\"}} error: {body}"))
}

/// What a bad input must not change: groups, jobs, Livy's sessions and batches.
async fn counts(s: &TestServer) -> (i64, i64, i64, i64) {
    let (_, groups) = call(s.get("/group")).await;
    let (_, jobs) = call(s.get("/job")).await;
    let (_, sessions) = call(s.livy_get("/sessions")).await;
    let (_, batches) = call(s.livy_get("/batches")).await;
    (
        groups["totalElements"].as_i64().unwrap(),
        jobs["totalElements"].as_i64().unwrap(),
        sessions["total"].as_i64().unwrap(),
        batches["total"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn the_guard_takes_the_token_as_bearer_or_basic_password() {
    let s = TestServer::start().await;
    let url = s.livy_url("/version");
    let (status, body) = call(s.client.get(&url).bearer_auth(&s.token)).await;
    assert_eq!((status, body["version"].as_str()), (200, Some("0.8.0-incubating")), "{body}");
    let (status, _) = call(s.client.get(&url).basic_auth("anyone", Some(&s.token))).await;
    assert_eq!(status, 200);
    for refused in [
        s.client.get(&url),
        s.client.get(&url).bearer_auth("wrong"),
        s.client.get(&url).basic_auth(&s.token, Some("wrong")),
        s.client.get(&url).basic_auth("anyone", None::<&str>),
    ] {
        let (status, body) = call(refused).await;
        assert_eq!(status, 401, "{body}");
        assert!(msg(&body).contains("token"), "{body}");
    }
    let (status, body) = call(s.client.get(&url).bearer_auth(&s.token).header("Origin", "https://evil.example")).await;
    assert_eq!(status, 403, "{body}");
    msg(&body);
    let (status, body) = call(s.client.get(&url).bearer_auth(&s.token).header("Host", "evil.example")).await;
    assert_eq!(status, 403, "{body}");
    msg(&body);
    let (status, body) = call(s.livy_get("/nope")).await;
    assert_eq!(status, 404, "{body}");
    msg(&body);
    // The platform API keeps its own guard and shapes.
    let (status, body) = call(s.client.get(s.url("/group")).basic_auth("anyone", Some(&s.token))).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["message"].is_string(), "{body}");
}

#[tokio::test]
async fn a_session_is_a_code_group_and_its_statements_are_requests() {
    let s = scripted_server().await;
    let (status, created) = call(s.livy_post("/sessions", json!({"kind": "pyspark", "name": "nb-1", "conf": {"spark.x": "1"}, "driverMemory": "1g"}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["id"], 0);
    for key in ["id", "name", "appId", "owner", "proxyUser", "kind", "state", "log", "appInfo"] {
        assert!(created.get(key).is_some(), "{key} in {created}");
    }
    assert_eq!((created["name"].as_str(), created["kind"].as_str()), (Some("nb-1"), Some("pyspark")));
    assert!(created["appInfo"].get("sparkUiUrl").is_some() && created["appInfo"].get("driverLogUrl").is_some(), "{created}");
    assert!(["not_started", "starting", "idle"].contains(&created["state"].as_str().unwrap()), "{created}");
    let session = s.livy_until("/sessions/0", "idle", |b| b["state"] == "idle").await;
    assert_eq!(session["appId"], "app-stand-in");
    assert_eq!(session["driverMemory"], "1g");
    assert_eq!(session["conf"]["spark.x"], "1");
    let (_, state) = call(s.livy_get("/sessions/0/state")).await;
    assert_eq!(state, json!({"id": 0, "state": "idle"}));

    // The group: CODE, scale 1, tagged, its language the session's kind.
    let (_, group) = call(s.get(&format!("/group/{}", session["groupId"].as_str().unwrap()))).await;
    assert_eq!((group["kind"].as_str(), group["scale"].as_u64(), group["language"].as_str()), (Some("CODE"), Some(1), Some("PYTHON")));
    assert_eq!((group["tags"]["livy"].as_str(), group["tags"]["livyId"].as_str()), (Some("session"), Some("0")));
    assert!(group["jobConfig"].get("sparkdeck.interpreters").is_none(), "{group}");

    let ok = s.run_statement(0, json!({"code": "1 + 1"})).await;
    assert_eq!((ok["id"].as_u64(), ok["state"].as_str(), ok["code"].as_str()), (Some(0), Some("available"), Some("1 + 1")), "{ok}");
    assert_eq!(ok["output"], json!({"status": "ok", "execution_count": 0, "data": {"text/plain": "PYTHON:1 + 1"}}));
    assert_eq!(ok["progress"], 1.0);
    assert!(ok["started"].as_i64().unwrap() > 0 && ok["completed"].as_i64().unwrap() >= ok["started"].as_i64().unwrap(), "{ok}");

    let failed = s.run_statement(0, json!({"code": "raise:NameError: name 'x' is not defined"})).await;
    assert_eq!(failed["id"], 1);
    assert_eq!(failed["state"], "available", "a statement whose code raised is available with an error output");
    assert_eq!(
        failed["output"],
        json!({"status": "error", "execution_count": 1, "ename": "NameError", "evalue": "name 'x' is not defined", "traceback": ["line 1\n", "line 2\n"]})
    );

    let (status, list) = call(s.livy_get("/sessions/0/statements")).await;
    assert_eq!(status, 200);
    assert_eq!(list["total_statements"], 2);
    assert_eq!(list["statements"].as_array().unwrap().iter().map(|st| st["id"].as_u64().unwrap()).collect::<Vec<_>>(), [0, 1]);
    let ids = |list: &Value| list["statements"].as_array().unwrap().iter().map(|st| st["id"].as_u64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(&call(s.livy_get("/sessions/0/statements?order=desc")).await.1), [1, 0]);
    assert_eq!(ids(&call(s.livy_get("/sessions/0/statements?order=desc&from=1&size=1")).await.1), [0]);
    let (status, body) = call(s.livy_get("/sessions/0/statements?order=sideways")).await;
    assert_eq!(status, 400, "{body}");
    assert!(msg(&body).starts_with("order:"), "{body}");

    let (status, completion) = call(s.livy_post("/sessions/0/completion", json!({"code": "spark.ra", "kind": "pyspark", "cursor": 8}))).await;
    assert_eq!((status, completion), (200, json!({"candidates": ["PYTHON:spark.ra"]})));
    let (_, statements) = call(s.livy_get("/sessions/0/statements")).await;
    assert_eq!(statements["total_statements"], 2, "a completion is not a statement");

    let (status, deleted) = call(s.livy_delete("/sessions/0")).await;
    assert_eq!((status, deleted), (200, json!({"msg": "deleted"})));
    let (status, body) = call(s.livy_get("/sessions/0")).await;
    assert_eq!(status, 404);
    msg(&body);
    assert_eq!(counts(&s).await, (0, 0, 0, 0), "the group and its driver are gone");
}

#[tokio::test]
async fn a_statement_kind_picks_the_interpreter_and_sparkr_is_refused() {
    let s = scripted_server().await;
    let id = s.idle_session(json!({"kind": "spark"})).await;
    let (_, session) = call(s.livy_get(&format!("/sessions/{id}"))).await;
    assert_eq!(session["kind"], "spark");
    let (_, group) = call(s.get(&format!("/group/{}", session["groupId"].as_str().unwrap()))).await;
    assert_eq!(group["language"], "SCALA", "the session's kind is its group's language");
    let by_kind = [(json!({"code": "x"}), "SCALA"), (json!({"code": "x", "kind": "pyspark"}), "PYTHON"), (json!({"code": "x", "kind": "sql"}), "SQL"), (json!({"code": "x", "kind": "scala"}), "SCALA")];
    for (body, language) in by_kind {
        let statement = s.run_statement(id, body.clone()).await;
        assert_eq!(statement["output"]["data"]["text/plain"], format!("{language}:x"), "{body}");
        let (_, instance) = call(s.get(&format!("/group/{}/job/result", session["groupId"].as_str().unwrap()))).await;
        assert!(instance["content"].as_array().unwrap().iter().any(|i| i["language"] == language), "{instance}");
    }
    let (_, completion) = call(s.livy_post(&format!("/sessions/{id}/completion"), json!({"code": "spark.ra", "kind": "sql"}))).await;
    assert_eq!(completion, json!({"candidates": ["SQL:spark.ra"]}));
    // A table answer keeps its mime bundle: Livy's application/json beside the text.
    let table = s.run_statement(id, json!({"code": "table", "kind": "sql"})).await;
    assert_eq!(table["output"]["data"]["application/json"]["data"], json!([[1], [2]]), "{table}");
    assert_eq!(table["output"]["data"]["text/plain"], "n\n1\n2");

    let (status, body) = call(s.livy_post(&format!("/sessions/{id}/statements"), json!({"code": "1", "kind": "sparkr"}))).await;
    assert_eq!(status, 400, "{body}");
    assert!(msg(&body).contains("R is not available"), "{body}");
    let (status, body) = call(s.livy_post(&format!("/sessions/{id}/statements"), json!({"code": "1", "kind": "cobol"}))).await;
    assert_eq!(status, 400, "{body}");
    assert!(msg(&body).starts_with("kind:") && msg(&body).contains("cobol"), "{body}");
    let (_, list) = call(s.livy_get(&format!("/sessions/{id}/statements"))).await;
    assert_eq!(list["total_statements"], 5, "refused statements change nothing");
}

#[tokio::test]
async fn a_running_statement_is_cancelled() {
    let s = scripted_server().await;
    let id = s.idle_session(json!({})).await;
    let (status, statement) = call(s.livy_post(&format!("/sessions/{id}/statements"), json!({"code": "until-cancel"}))).await;
    assert_eq!(status, 201, "{statement}");
    let path = format!("/sessions/{id}/statements/0");
    let running = s.livy_until(&path, "running with the driver's progress", |st| st["state"] == "running" && st["progress"] == 0.5).await;
    assert!(running["output"].is_null(), "{running}");
    let session = s.livy_until(&format!("/sessions/{id}"), "busy", |b| b["state"] == "busy").await;
    assert_eq!(session["state"], "busy");
    let (status, body) = call(s.client.post(s.livy_url(&format!("{path}/cancel"))).bearer_auth(&s.token)).await;
    assert_eq!((status, body), (200, json!({"msg": "canceled"})));
    let cancelled = s.livy_until(&path, "cancelled", |st| st["state"] == "cancelled").await;
    assert_eq!(cancelled["output"], Value::Null);
    s.livy_until(&format!("/sessions/{id}"), "idle again", |b| b["state"] == "idle").await;
    // Cancelling an ended statement is no error and changes nothing.
    let (status, _) = call(s.client.post(s.livy_url(&format!("{path}/cancel"))).bearer_auth(&s.token)).await;
    assert_eq!(status, 200);
    assert_eq!(call(s.livy_get(&path)).await.1["state"], "cancelled");
}

#[tokio::test]
async fn bad_input_is_refused_with_livy_errors_and_changes_nothing() {
    let s = scripted_server().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("job.py");
    std::fs::write(&script, "print('hi')\n").unwrap();
    let text_file = dir.path().join("notes.txt");
    std::fs::write(&text_file, "x").unwrap();
    let (script, text_file) = (script.to_str().unwrap().to_string(), text_file.to_str().unwrap().to_string());

    let sessions: Vec<(Value, &str)> = vec![
        (json!({"kind": "cobol"}), "kind:"),
        (json!({"kind": "sparkr"}), "R is not available"),
        (json!({"kind": 3}), "kind:"),
        (json!({"conf": "spark.x=1"}), "conf:"),
        (json!({"conf": {"spark.x": 1}}), "conf.spark.x:"),
        (json!({"conf": {"sparkdeck.clusterName": "nowhere"}}), "nowhere"),
        (json!({"proxyUser": "somebody-else"}), "proxyUser:"),
        (json!({"jars": ["relative.jar"]}), "jars:"),
        (json!({"files": ["/no/such/file"]}), "files:"),
        (json!({"driverCores": -1}), "driverCores:"),
        (json!({"name": "a/b"}), "name:"),
        (json!({"archives": ["/x.zip"]}), "archives:"),
        (json!([1, 2]), "body:"),
    ];
    for (body, expected) in sessions {
        let (status, answer) = call(s.livy_post("/sessions", body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(msg(&answer).contains(expected), "{body}: {answer}");
    }
    let batches: Vec<(Value, &str)> = vec![
        (json!({}), "file:"),
        (json!({"file": "job.py"}), "file:"),
        (json!({"file": "/no/such/job.py"}), "file:"),
        (json!({"file": text_file}), "file:"),
        (json!({"file": script, "conf": ["x"]}), "conf:"),
        (json!({"file": script, "proxyUser": "somebody-else"}), "proxyUser:"),
        (json!({"file": script, "className": "a.B"}), "className:"),
        (json!({"file": script, "args": "not-a-list"}), "args:"),
    ];
    for (body, expected) in batches {
        let (status, answer) = call(s.livy_post("/batches", body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(msg(&answer).contains(expected), "{body}: {answer}");
    }
    for path in ["/sessions/0", "/sessions/abc", "/sessions/-1", "/sessions/0/state", "/sessions/0/log", "/sessions/0/statements", "/batches/0", "/batches/x", "/batches/0/log"] {
        let (status, body) = call(s.livy_get(path)).await;
        assert_eq!(status, 404, "{path}: {body}");
        msg(&body);
    }
    assert_eq!(counts(&s).await, (0, 0, 0, 0));

    // On a session: statements that are refused, and ids that are not there.
    let id = s.idle_session(json!({"kind": "pyspark"})).await;
    assert_eq!(id, 0, "refused creates took no id");
    for (body, expected) in [(json!({"code": ""}), "code:"), (json!({"code": "  \n"}), "code:"), (json!({}), "code:"), (json!({"code": "1", "kind": "cobol"}), "kind:")] {
        let (status, answer) = call(s.livy_post("/sessions/0/statements", body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(msg(&answer).contains(expected), "{body}: {answer}");
    }
    for path in ["/sessions/0/statements/0", "/sessions/0/statements/x", "/sessions/1/statements/0"] {
        let (status, body) = call(s.livy_get(path)).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = call(s.livy_get("/sessions?from=x")).await;
    assert_eq!(status, 400);
    let (_, statements) = call(s.livy_get("/sessions/0/statements")).await;
    assert_eq!(statements["total_statements"], 0);
    let (_, instances) = call(s.get(&format!("/group/{}/job/result", session_group(&s, 0).await))).await;
    assert_eq!(instances["totalElements"], 0, "no request reached the group");

    // A session stopped through the platform API takes no statement, and says why.
    let group = session_group(&s, 0).await;
    assert_eq!(call(s.post(&format!("/group/{group}/stop"))).await.0, 200);
    let stopped = s.livy_until("/sessions/0", "stopped", |b| ["killed", "dead"].contains(&b["state"].as_str().unwrap())).await;
    let (status, answer) = call(s.livy_post("/sessions/0/statements", json!({"code": "1"}))).await;
    assert_eq!(status, 400, "{answer}");
    assert!(msg(&answer).contains(stopped["state"].as_str().unwrap()), "{answer}");
    let (_, instances) = call(s.get(&format!("/group/{group}/job/result"))).await;
    assert_eq!(instances["totalElements"], 0);
}

async fn session_group(s: &TestServer, id: u64) -> String {
    let (_, session) = call(s.livy_get(&format!("/sessions/{id}"))).await;
    session["groupId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sessions_and_logs_page_as_livy_does() {
    let s = scripted_server().await;
    for _ in 0..2 {
        s.idle_session(json!({"kind": "pyspark"})).await;
    }
    // The user running Sparkdeck may be named as the proxy user (and is every session's owner).
    let owner = call(s.livy_get("/sessions/0")).await.1["owner"].as_str().unwrap().to_string();
    assert!(!owner.is_empty());
    s.idle_session(json!({"kind": "pyspark", "proxyUser": owner})).await;
    assert_eq!(call(s.livy_get("/sessions/2")).await.1["proxyUser"], owner.as_str());
    let (_, page) = call(s.livy_get("/sessions?from=1&size=1")).await;
    assert_eq!((page["from"].as_u64(), page["total"].as_u64()), (Some(1), Some(3)), "{page}");
    assert_eq!(page["sessions"].as_array().unwrap().iter().map(|x| x["id"].as_u64().unwrap()).collect::<Vec<_>>(), [1]);

    let (_, session) = call(s.livy_get("/sessions/2")).await;
    let (_, group) = call(s.get(&format!("/group/{}", session["groupId"].as_str().unwrap()))).await;
    let job_dir = s.data_dir().join("jobs").join(group["jobs"][0]["jobId"].as_str().unwrap());
    std::fs::write(job_dir.join("stdout.log"), (0..5).map(|i| format!("out{i}\n")).collect::<String>()).unwrap();
    std::fs::write(job_dir.join("stderr.log"), (0..5).map(|i| format!("err{i}\n")).collect::<String>()).unwrap();
    let (_, log) = call(s.livy_get("/sessions/2/log?from=3&size=4")).await;
    assert_eq!(log, json!({"id": 2, "from": 3, "total": 10, "log": ["out3", "out4", "err0", "err1"]}));
    let (_, log) = call(s.livy_get("/sessions/2/log?size=3")).await;
    assert_eq!((log["from"].as_u64(), log["log"].clone()), (Some(7), json!(["err2", "err3", "err4"])), "the last lines by default");
    let (_, session) = call(s.livy_get("/sessions/2")).await;
    assert_eq!(session["log"].as_array().unwrap().len(), 10, "a session shows its last lines");
}

#[tokio::test]
async fn a_batch_is_a_single_job() {
    let s = scripted_server().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("etl.py");
    std::fs::write(&script, "print('hi')\n").unwrap();
    let body = json!({"file": script.to_str().unwrap(), "args": ["a", "b"], "conf": {"spark.x": "1"}, "name": "nightly", "driverMemory": "1g"});
    let (status, batch) = call(s.livy_post("/batches", body)).await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!((batch["id"].as_u64(), batch["name"].as_str()), (Some(0), Some("nightly")));
    for key in ["id", "name", "owner", "proxyUser", "state", "appId", "appInfo", "log"] {
        assert!(batch.get(key).is_some(), "{key} in {batch}");
    }
    let (_, job) = call(s.get(&format!("/job/{}", batch["jobId"].as_str().unwrap()))).await;
    assert_eq!((job["tags"]["livy"].as_str(), job["language"].as_str(), job["jobName"].as_str()), (Some("batch"), Some("PYTHON"), Some("nightly")), "{job}");
    assert_eq!(job["args"], json!(["a", "b"]));
    assert_eq!(job["jobConfig"]["spark.x"], "1");
    let running = s.livy_until("/batches/0", "running", |b| b["state"] == "running").await;
    assert_eq!(running["state"], "running");
    let runtime = s.runtime.as_ref().unwrap();
    let driver = runtime.drivers().into_iter().find(|d| d.ended.is_none()).unwrap();
    assert!(runtime.end(&driver.id, ScriptedExit::Code(0)));
    s.livy_until("/batches/0/state", "success", |b| b["state"] == "success").await;
    let (_, list) = call(s.livy_get("/batches")).await;
    assert_eq!((list["from"].as_u64(), list["total"].as_u64()), (Some(0), Some(1)), "{list}");
    assert_eq!(list["sessions"][0]["id"], 0);

    let (status, deleted) = call(s.livy_delete("/batches/0")).await;
    assert_eq!((status, deleted), (200, json!({"msg": "deleted"})));
    assert_eq!(call(s.livy_get("/batches/0")).await.0, 404);
    let (_, job) = call(s.get(&format!("/job/{}", batch["jobId"].as_str().unwrap()))).await;
    assert_eq!(job["state"], "FINISHED", "the job stays in the job list");

    let jar = dir.path().join("app.jar");
    std::fs::write(&jar, b"PK\x03\x04").unwrap();
    let (status, body) = call(s.livy_post("/batches", json!({"file": jar.to_str().unwrap()}))).await;
    assert_eq!(status, 400, "{body}");
    assert!(msg(&body).starts_with("className:"), "{body}");
    let (status, next) = call(s.livy_post("/batches", json!({"file": script.to_str().unwrap()}))).await;
    assert_eq!((status, next["id"].as_u64()), (201, Some(1)), "ids are not given twice: {next}");
}

#[tokio::test]
async fn ids_survive_a_restart() {
    let s = scripted_server().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("etl.py");
    std::fs::write(&script, "print('hi')\n").unwrap();
    assert_eq!(s.idle_session(json!({"kind": "pyspark", "name": "kept"})).await, 0);
    assert_eq!(s.run_statement(0, json!({"code": "a"})).await["id"], 0);
    assert_eq!(s.idle_session(json!({"kind": "pyspark"})).await, 1);
    let (status, batch) = call(s.livy_post("/batches", json!({"file": script.to_str().unwrap()}))).await;
    assert_eq!((status, batch["id"].as_u64()), (201, Some(0)));
    assert_eq!(call(s.livy_delete("/sessions/1")).await.0, 200, "the newest session is deleted");

    let s = s.restart().await;
    let (_, sessions) = call(s.livy_get("/sessions")).await;
    assert_eq!(sessions["sessions"].as_array().unwrap().iter().map(|x| x["id"].as_u64().unwrap()).collect::<Vec<_>>(), [0]);
    assert_eq!(sessions["sessions"][0]["name"], "kept");
    assert_eq!(call(s.livy_get("/sessions/1")).await.0, 404, "a deleted session stays deleted");
    let old = call(s.livy_get("/sessions/0/statements/0")).await.1;
    assert_eq!(old["output"]["data"]["text/plain"], "PYTHON:a");
    s.livy_until("/sessions/0", "idle after the restart", |b| b["state"] == "idle").await;
    assert_eq!(s.run_statement(0, json!({"code": "b"})).await["id"], 1, "statements go on from the last number");
    assert_eq!(s.idle_session(json!({"kind": "pyspark"})).await, 2, "a deleted id is not given again");
    assert_eq!(call(s.livy_get("/batches/0")).await.0, 200);
    let (_, next) = call(s.livy_post("/batches", json!({"file": script.to_str().unwrap()}))).await;
    assert_eq!(next["id"], 1);
}

#[tokio::test]
async fn a_session_whose_client_went_silent_is_deleted() {
    let s = scripted_server().await;
    let (status, created) = call(s.livy_post("/sessions", json!({"kind": "pyspark", "heartbeatTimeoutInSecond": 1}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["heartbeatTimeoutInSecond"], 1);
    // Listing names no session: it is not a heartbeat.
    let wait = async {
        loop {
            let (_, list) = call(s.livy_get("/sessions")).await;
            if list["total"] == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), wait).await.expect("the silent session deleted within 20 s");
    assert_eq!(call(s.livy_get("/sessions/0")).await.0, 404);
    assert_eq!(counts(&s).await.0, 0, "its group is gone");
}

/// `sparkdeck-server --livy-port N`: the Livy API at the root of its own loopback port
/// (Livy clients' `http://localhost:8998`), nothing else there; `/livy` on the API port too.
#[tokio::test]
async fn the_livy_port_serves_livy_at_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::binary::start_with(dir.path(), &["--livy-port", "0"], &[]);
    let root = server.livy_url.clone().expect("the Livy port's URL is printed");
    let client = reqwest::Client::new();
    let (status, body) = call(client.get(format!("{root}/version")).basic_auth("me", Some(&server.token))).await;
    assert_eq!((status, body["version"].as_str()), (200, Some("0.8.0-incubating")), "{body}");
    let (status, body) = call(client.get(format!("{root}/sessions")).bearer_auth(&server.token)).await;
    assert_eq!((status, body), (200, json!({"from": 0, "total": 0, "sessions": []})));
    let (status, body) = call(client.get(format!("{root}/api/v1/cluster")).bearer_auth(&server.token)).await;
    assert_eq!(status, 404, "the platform API is not on the Livy port: {body}");
    msg(&body);
    let (status, _) = call(client.get(format!("{root}/version"))).await;
    assert_eq!(status, 401);
    let on_api_port = server.url.replace("/api/v1", "/livy/version");
    let (status, _) = call(client.get(on_api_port).bearer_auth(&server.token)).await;
    assert_eq!(status, 200);
}

/// Waits until the Livy session list (which is no heartbeat) satisfies `until`.
async fn listed_until(s: &TestServer, what: &str, until: impl Fn(&[u64]) -> bool) -> Vec<u64> {
    let wait = async {
        loop {
            let (_, list) = call(s.livy_get("/sessions")).await;
            let ids: Vec<u64> = list["sessions"].as_array().unwrap().iter().map(|x| x["id"].as_u64().unwrap()).collect();
            if until(&ids) {
                return ids;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), wait).await.unwrap_or_else(|_| panic!("{what} within 20 s"))
}

/// A silent session is kept while its statement runs: a second silent session, made
/// after it, is deleted first; once the statement ends, the first one goes too.
#[tokio::test]
async fn a_silent_session_is_kept_while_its_statement_runs() {
    let s = scripted_server().await;
    let busy = s.idle_session(json!({"kind": "pyspark", "heartbeatTimeoutInSecond": 1})).await;
    let (_, statement) = call(s.livy_post(&format!("/sessions/{busy}/statements"), json!({"code": "until-cancel"}))).await;
    s.livy_until(&format!("/sessions/{busy}/statements/0"), "running", |st| st["state"] == "running").await;
    let group = session_group(&s, busy).await;
    // From here on nothing names the busy session: it is as silent as the idle one.
    let (status, idle) = call(s.livy_post("/sessions", json!({"kind": "pyspark", "heartbeatTimeoutInSecond": 1}))).await;
    assert_eq!(status, 201, "{idle}");
    let idle = idle["id"].as_u64().unwrap();
    let left = listed_until(&s, "the idle silent session deleted", |ids| !ids.contains(&idle)).await;
    assert_eq!(left, [busy], "the session with a running statement stays");
    let instance = statement["jobInstanceId"].as_str().unwrap();
    assert_eq!(call(s.post(&format!("/group/{group}/job/{instance}/cancel"))).await.0, 200);
    listed_until(&s, "the busy session deleted once its statement ended", <[u64]>::is_empty).await;
}

/// A session's local files reach its driver as the group's uploads, and its memory,
/// cores and executors its Spark conf.
#[tokio::test]
async fn a_sessions_files_and_resources_reach_its_driver() {
    let s = scripted_server().await;
    let dir = tempfile::tempdir().unwrap();
    let (helper, data, jar) = (dir.path().join("helper.py"), dir.path().join("data.txt"), dir.path().join("udfs.jar"));
    std::fs::write(&helper, "X = 1\n").unwrap();
    std::fs::write(&data, "a,b\n").unwrap();
    std::fs::write(&jar, b"PK\x03\x04rest").unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let body = json!({
        "kind": "pyspark", "pyFiles": [path(&helper)], "files": [format!("file://{}", path(&data))], "jars": [path(&jar)],
        "driverMemory": "1g", "driverCores": 1, "executorMemory": "2g", "executorCores": 2, "numExecutors": 3,
        "conf": {"spark.sql.shuffle.partitions": "4"},
    });
    let id = s.idle_session(body).await;
    let group = call(s.get(&format!("/group/{}", session_group(&s, id).await))).await.1;
    let driver = group["jobs"][0]["jobId"].as_str().unwrap();
    let job_dir = s.data_dir().join("jobs").join(driver);
    assert_eq!(std::fs::read_to_string(job_dir.join("pyfiles/helper.py")).unwrap(), "X = 1\n");
    assert_eq!(std::fs::read_to_string(job_dir.join("files/data.txt")).unwrap(), "a,b\n");
    assert!(job_dir.join("jars/udfs.jar").exists());
    let shown = call(s.livy_get(&format!("/sessions/{id}"))).await.1;
    assert_eq!(shown["jars"], json!([path(&jar)]), "{shown}");
    assert_eq!(shown["pyFiles"], json!(["helper.py"]), "{shown}");
    assert_eq!(shown["files"], json!(["data.txt"]), "{shown}");
    let launched = s.runtime.as_ref().unwrap().drivers().into_iter().find(|d| d.job_dir.ends_with(driver)).unwrap();
    for (key, value) in [
        ("spark.driver.memory", "1g"),
        ("spark.executor.memory", "2g"),
        ("spark.executor.cores", "2"),
        ("spark.executor.instances", "3"),
        ("spark.sql.shuffle.partitions", "4"),
    ] {
        assert_eq!(launched.conf.get(key).map(String::as_str), Some(value), "{key} in {:?}", launched.conf);
    }
    let env: std::collections::HashMap<_, _> = launched.env.iter().cloned().collect();
    let interpreters = env.get("SPARKDECK_DRIVER_INTERPRETERS").map(|v| v.split(',').map(str::to_string).collect::<std::collections::BTreeSet<_>>());
    // A pyspark session warms what costs nothing; Scala starts at its first statement.
    assert_eq!(interpreters, Some(["PYTHON", "SQL"].map(String::from).into()), "only free interpreters are warmed: {env:?}");
}
