//! `/job` input checks over real HTTP: each bad input is a 404 or 409 whose message starts
//! with the field, nothing is stored, and nothing is a 5xx. No Spark job is started here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::{TestServer, call, file_part};
use reqwest::multipart::Form;
use serde_json::Value;

const JAR: &[u8] = b"PK\x03\x04rest-of-a-zip";

fn python(name: &str) -> Form {
    Form::new().text("name", name.to_string()).text("language", "PYTHON").part("pyFiles", file_part("main.py", "print(1)\n"))
}

/// Submits `form` and checks the refusal: status, message prefix, and that no job or
/// artifact was stored.
async fn refused(s: &TestServer, form: Form, status: u16, prefix: &str) {
    let (got, body) = call(s.post("/job/submit").multipart(form)).await;
    let message = body["message"].as_str().unwrap_or("");
    assert_eq!(got, status, "{body}");
    assert!(message.starts_with(prefix), "'{message}' should start with '{prefix}'");
    let (_, page) = call(s.get("/job")).await;
    assert_eq!(page["totalElements"], 0, "nothing stored: {page}");
    let stored: Vec<_> = std::fs::read_dir(s.data_dir().join("artifacts"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(stored.is_empty(), "no artifact left behind: {stored:?}");
}

#[tokio::test]
async fn bad_submits_name_their_field_and_store_nothing() {
    let s = TestServer::start().await;
    refused(&s, Form::new().text("language", "PYTHON").part("pyFiles", file_part("main.py", "x")), 409, "name:").await;
    refused(&s, python("x").text("clusterName", "nowhere"), 404, "cluster 'nowhere'").await;
    refused(&s, Form::new().text("name", "x").text("language", "PYTHON"), 409, "pyFiles:").await;
    refused(&s, Form::new().text("name", "x").text("language", "PYTHON").part("pyFiles", file_part("main.txt", "x")), 409, "pyFiles:").await;
    refused(&s, Form::new().text("name", "x").part("jars", file_part("a.jar", JAR)), 409, "jobClass:").await;
    refused(&s, Form::new().text("name", "x").text("jobClass", "a.B"), 409, "jars:").await;
    refused(&s, Form::new().text("name", "x").text("jobClass", "a.B; rm").part("jars", file_part("a.jar", JAR)), 409, "jobClass:").await;
    refused(&s, python("x").text("jobConfig", "spark.a=1;oops"), 409, "jobConfig:").await;
    refused(&s, python("x").text("tags", "novalue"), 409, "tags:").await;
    refused(&s, python("x").text("pyRequirements", "--index-url=http://evil"), 409, "pyRequirements:").await;
    refused(&s, python("x").text("language", "COBOL"), 409, "language:").await;
    refused(&s, Form::new().text("name", "x").text("jobClass", "a.B").part("jars", file_part("a.jar", "")), 409, "jars:").await;
    refused(&s, Form::new().text("name", "x").text("jobClass", "a.B").part("jars", file_part("a.jar", "not a zip")), 409, "jars:").await;
    refused(&s, Form::new().text("name", "x").text("jobClass", "a.B").part("jars", file_part("../../x.jar", JAR)), 409, "jars:").await;
    // A raw NUL cannot even be parsed out of the part's headers: refused as a bad body
    // (a NUL that does reach the engine is refused by field: see artifacts' unit tests).
    refused(&s, Form::new().text("name", "x").text("jobClass", "a.B").part("jars", file_part("x\0.jar", JAR)), 409, "body:").await;
    refused(&s, python("x").part("files", file_part("a/b.txt", "x")), 409, "files:").await;
    refused(&s, python("x").part("files", file_part("d.txt", "1")).part("files", file_part("d.txt", "2")), 409, "files:").await;
    let (status, body) = call(s.post("/job/submit").body("name=x")).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn uploads_above_the_limit_are_refused_by_field() {
    let s = TestServer::start_with(|c| c.max_upload_bytes = 1024).await;
    let form = python("big").part("files", file_part("big.bin", vec![7u8; 4096]));
    refused(&s, form, 409, "files:").await;
}

#[tokio::test]
async fn unknown_jobs_are_404_and_bad_paging_or_log_windows_409() {
    let s = TestServer::start().await;
    for (status, body) in [
        call(s.get("/job/nope")).await,
        call(s.post("/job/nope/stop")).await,
        call(s.delete("/job/nope")).await,
        call(s.get("/job/nope/logs")).await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert!(body["message"].as_str().unwrap().contains("'nope'"));
    }
    for (query, field) in [
        ("page=-1", "page:"),
        ("size=0", "size:"),
        ("sort=bogus", "sort:"),
        ("jobStates=SLEEPING", "jobStates:"),
        ("jobTypes=BATCH", "jobTypes:"),
        ("tags=broken", "tags:"),
    ] {
        let (status, body) = call(s.get(&format!("/job?{query}"))).await;
        assert_eq!(status, 409, "{query}: {body}");
        assert!(body["message"].as_str().unwrap().starts_with(field), "{query}: {body}");
    }
    let (_, body) = call(s.get("/job?sort=bogus")).await;
    assert!(body["message"].as_str().unwrap().contains("submitTime"), "lists the sortable fields: {body}");
    let (status, page) = call(s.get("/job?jobStates=BUSY&clusterNames=default&tags=a=1&search=x&sort=jobName,desc")).await;
    assert_eq!((status, page["totalElements"].clone()), (200, Value::from(0)));
}

#[tokio::test]
async fn log_windows_are_checked() {
    let s = TestServer::start().await;
    // A real (trivial) job; the windows are checked before any log is read, and the
    // delete at the end stops it if it still runs.
    let (status, body) = call(s.post("/job/submit").multipart(python("queued"))).await;
    assert_eq!(status, 200, "{body}");
    let id = body["jobId"].as_str().unwrap().to_string();
    let refused = [("from=-1", "from:"), ("logSize=-5", "logSize:"), ("logSize=25001", "logSize:"), ("from=x", "from:"), ("log=nope", "log:")];
    for (query, field) in refused {
        let (status, body) = call(s.get(&format!("/job/{id}/logs?{query}"))).await;
        assert_eq!(status, 409, "{query}: {body}");
        assert!(body["message"].as_str().unwrap().starts_with(field), "{query}: {body}");
    }
    let (status, _) = call(s.delete(&format!("/job/{id}"))).await;
    assert_eq!(status, 200);
}

/// The 1.5.3 memory fields and `packages`: each bad value is a 409 naming its field
/// (a `jobConfig` key that says otherwise names both), and nothing is stored.
#[tokio::test]
async fn bad_memory_fields_and_packages_name_their_field_and_store_nothing() {
    let s = TestServer::start().await;
    let cases: [(&str, &str, &str); 14] = [
        ("driverMemory", "4gb", "driverMemory:"),
        ("driverMemory", "512", "driverMemory:"),
        ("executorMemory", "2.5g", "executorMemory:"),
        ("driverCores", "0", "driverCores:"),
        ("executorCores", "x", "executorCores:"),
        ("executors", "-1", "executors:"),
        ("dynamicAllocation", "maybe", "dynamicAllocation:"),
        ("initialExecutors", "-2", "initialExecutors:"),
        ("minExecutors", "one", "minExecutors:"),
        ("maxExecutors", "1e3", "maxExecutors:"),
        ("packages", "org.example:lib", "packages: 'org.example:lib'"),
        ("packages", "a:b:1,a b:c:2", "packages: 'a b:c:2'"),
        ("packages", "a:b:1;c:d:2", "packages:"),
        ("packages", "g:a:1:extra", "packages:"),
    ];
    for (field, value, prefix) in cases {
        refused(&s, python("x").text(field, value), 409, prefix).await;
    }
    refused(&s, python("x").text("minExecutors", "3").text("maxExecutors", "2"), 409, "minExecutors: minExecutors (3) is above maxExecutors (2)").await;
    refused(&s, python("x").text("minExecutors", "1").text("maxExecutors", "2").text("initialExecutors", "5"), 409, "initialExecutors:").await;
    refused(
        &s,
        python("x").text("driverMemory", "1g").text("jobConfig", "spark.driver.memory=4g"),
        409,
        "driverMemory: driverMemory is '1g' but jobConfig sets spark.driver.memory=4g",
    )
    .await;
    refused(&s, python("x").text("executors", "2").text("jobConfig", "spark.executor.instances=3"), 409, "executors:").await;
}
