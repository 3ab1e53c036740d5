//! `/schedule` over real HTTP: create (multipart, `{scheduleId}`), get, get by name, list
//! and its filters, update, pause/resume/stop, delete, and bad input (each a 409 naming
//! the field, or 404 for the cluster, with nothing stored). The crons here are yearly, so
//! nothing runs; real runs are in `schedules_spark.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::Duration;

use common::{TestServer, call, file_part, read_sse};
use reqwest::multipart::Form;

fn schedule(name: &str) -> Form {
    Form::new()
        .text("name", name.to_string())
        .text("cron", "0 3 1 1 *")
        .text("language", "PYTHON")
        .text("timeZone", "UTC")
        .text("clusterName", "default")
        .text("jobClass", "main.py")
        .text("tags", "team=data")
        .part("pyFiles", file_part("helper.py", "X = 1\n"))
        .part("pyFiles", file_part("main.py", "print(1)\n"))
}

async fn refused(s: &TestServer, form: Form, status: u16, prefix: &str) {
    let (got, body) = call(s.post("/schedule").multipart(form)).await;
    let message = body["message"].as_str().unwrap_or("");
    assert_eq!(got, status, "{body}");
    assert!(message.starts_with(prefix), "'{message}' should start with '{prefix}'");
    let (_, page) = call(s.get("/schedule?scheduleStates=ENABLED,PAUSED,DISABLED")).await;
    assert_eq!(page["totalElements"], 1, "nothing more stored: {page}");
}

#[tokio::test]
async fn a_schedule_is_created_shown_listed_changed_and_deleted() {
    let s = TestServer::start().await;
    let (status, created) = call(s.post("/schedule").multipart(schedule("nightly"))).await;
    assert_eq!(status, 200, "{created}");
    let id = created["scheduleId"].as_str().unwrap().to_string();

    let (status, shown) = call(s.get(&format!("/schedule/{id}"))).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!((shown["name"].as_str(), shown["state"].as_str(), shown["cron"].as_str()), (Some("nightly"), Some("ENABLED"), Some("0 3 1 1 *")));
    assert_eq!(shown["jobClass"], "main.py", "a PYTHON schedule's jobClass is its main script");
    assert_eq!((shown["timeZone"].as_str(), shown["overlapPolicy"].as_str(), shown["catchUp"].as_str()), (Some("UTC"), Some("SKIP"), Some("LATEST")));
    assert_eq!(shown["catchUpHorizon"], 86_400);
    assert_eq!(shown["nextRunTimes"].as_array().unwrap().len(), 5);
    assert_eq!(shown["jobs"], serde_json::json!([]));
    let (status, by_name) = call(s.get("/schedule/name/nightly")).await;
    assert_eq!((status, by_name["id"].as_str()), (200, Some(id.as_str())));

    let (status, _) = call(s.put(&format!("/schedule/{id}")).multipart(Form::new().text("cron", "@hourly").text("maxRetries", "2"))).await;
    assert_eq!(status, 200);
    let (_, shown) = call(s.get(&format!("/schedule/{id}"))).await;
    assert_eq!((shown["cron"].as_str(), shown["maxRetries"].as_u64()), (Some("@hourly"), Some(2)));
    let (status, body) = call(s.put(&format!("/schedule/{id}")).multipart(Form::new().text("cron", "* * * *"))).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("cron:"), "{body}");

    let (_, page) = call(s.get("/schedule?scheduleCrons=@hourly&tags=team=data")).await;
    assert_eq!(page["totalElements"], 1, "{page}");
    let (_, page) = call(s.get("/schedule?scheduleCrons=@daily")).await;
    assert_eq!(page["totalElements"], 0, "{page}");

    assert_eq!(call(s.post(&format!("/schedule/{id}/pause"))).await.0, 200);
    let (_, page) = call(s.get("/schedule")).await;
    assert_eq!(page["totalElements"], 0, "the list shows ENABLED schedules unless asked: {page}");
    let (_, page) = call(s.get("/schedule?scheduleStates=PAUSED")).await;
    assert_eq!(page["content"][0]["nextRunTimes"], serde_json::json!([]), "{page}");
    assert_eq!(call(s.post(&format!("/schedule/{id}/resume"))).await.0, 200);
    assert_eq!(call(s.post(&format!("/schedule/{id}/stop"))).await.0, 200);
    let (_, shown) = call(s.get(&format!("/schedule/{id}"))).await;
    assert_eq!(shown["state"], "DISABLED");
    assert!(shown["disabledTime"].as_i64().unwrap() > 0);

    assert_eq!(call(s.delete(&format!("/schedule/{id}"))).await.0, 200);
    assert_eq!(call(s.get(&format!("/schedule/{id}"))).await.0, 404);
    assert_eq!(call(s.post(&format!("/schedule/{id}/run"))).await.0, 404);
}

#[tokio::test]
async fn bad_schedules_name_their_field_and_store_nothing() {
    let s = TestServer::start().await;
    assert_eq!(call(s.post("/schedule").multipart(schedule("taken"))).await.0, 200);
    refused(&s, schedule("a").text("cron", "0 25 * * *"), 409, "cron: the hour field '25'").await;
    refused(&s, schedule("b").text("startTime", "2000").text("endTime", "1000"), 409, "endTime:").await;
    refused(&s, schedule("c").text("maxRetries", "-1"), 409, "maxRetries:").await;
    refused(&s, schedule("d").text("maxRetries", "11"), 409, "maxRetries:").await;
    refused(&s, schedule("e").text("clusterName", "nowhere"), 404, "cluster 'nowhere'").await;
    refused(&s, schedule("taken"), 409, "name:").await;
    refused(&s, schedule("f").text("jobClass", "missing.py"), 409, "jobClass:").await;
    refused(&s, schedule("g").text("timeZone", "Mars/Base"), 409, "timeZone:").await;
    let (status, body) = call(s.get("/schedule?scheduleStates=SOMETIMES")).await;
    assert_eq!(status, 409, "{body}");
    let form = Form::new().text("name", "j").text("language", "PYTHON").text("maxRetries", "11").part("pyFiles", file_part("main.py", "x"));
    let (status, body) = call(s.post("/job/submit").multipart(form)).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("maxRetries:"), "{body}");
}

#[tokio::test]
async fn schedule_changes_are_streamed() {
    let s = TestServer::start().await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let stream = s.get("/schedule/updates");
    tokio::spawn(async move {
        let mut seen = Vec::new();
        read_sse(stream, |event| {
            let deleted = event["deleted"] == true;
            seen.push(event);
            !deleted
        })
        .await;
        let _ = tx.send(seen);
    });
    tokio::time::sleep(Duration::from_millis(300)).await; // the stream opens
    let (_, created) = call(s.post("/schedule").multipart(schedule("watched"))).await;
    let id = created["scheduleId"].as_str().unwrap().to_string();
    assert_eq!(call(s.post(&format!("/schedule/{id}/pause"))).await.0, 200);
    assert_eq!(call(s.delete(&format!("/schedule/{id}"))).await.0, 200);
    let seen = tokio::time::timeout(Duration::from_secs(30), rx).await.expect("the deletion was streamed").unwrap();
    let states: Vec<&str> = seen.iter().filter_map(|e| e["state"].as_str()).collect();
    assert_eq!(states, ["ENABLED", "PAUSED"], "{seen:?}");
    assert_eq!(seen.last().unwrap()["id"], id.as_str());
}
