//! One CODE group's driver runs Scala, SQL and Python cells on its one SparkSession, on real
//! local Spark over real HTTP: a SCALA group (the platform's default language) warms Scala
//! before READY; a temp view made by a Scala cell is read by a SQL cell (a table in `data`)
//! and by a Python cell; a Scala compile error fails the instance with the compiler's message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, call};
use reqwest::multipart::Form;
use serde_json::{Value, json};

async fn execute(s: &TestServer, id: &str, code: &str, language: Option<&str>) -> Value {
    let body = json!({"type": "interactive_code_execute", "code": code, "language": language});
    let (status, instance) = call(s.post(&format!("/group/{id}/job/execute")).json(&body)).await;
    assert_eq!(status, 200, "{instance}");
    instance
}

#[tokio::test]
async fn scala_sql_and_python_cells_share_one_session() {
    let s = TestServer::start().await;
    let (status, body) = call(s.post("/cluster").json(&json!({"name": "one", "type": "local", "threads": 1}))).await;
    assert_eq!(status, 200, "{body}");
    let form = Form::new().text("name", "three-languages").text("kind", "CODE").text("clusterName", "one");
    let (status, body) = call(s.post("/group").multipart(form)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["groupId"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (_, g) = call(s.get(&format!("/group/{id}"))).await;
        assert_eq!(g["language"], "SCALA", "CODE groups default to SCALA");
        if g["jobs"].as_array().unwrap().iter().any(|d| d["state"] == "READY") {
            break;
        }
        assert!(Instant::now() < deadline, "driver not ready: {g:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let scala = execute(&s, &id, r#"case class Sale(item: String, qty: Int)
Seq(Sale("tea", 2), Sale("tea", 3), Sale("jam", 1)).toDS().createOrReplaceTempView("sales")
spark.table("sales").count()"#, None)
    .await;
    assert_eq!((scala["state"].as_str(), scala["language"].as_str()), (Some("FINISHED"), Some("SCALA")), "{scala}");
    assert!(scala["result"].as_str().unwrap().ends_with(": Long = 3\n"), "{scala}");

    let sql = execute(&s, &id, "SELECT item, sum(qty) AS total FROM sales GROUP BY item ORDER BY item", Some("SQL")).await;
    assert_eq!((sql["state"].as_str(), sql["language"].as_str()), (Some("FINISHED"), Some("SQL")), "{sql}");
    let table = &sql["data"]["application/json"];
    assert_eq!(table["data"], json!([["jam", 1], ["tea", 5]]), "{sql}");
    assert_eq!(table["schema"]["fields"][1]["name"], "total");
    assert_eq!(sql["data"]["text/plain"], sql["result"]);

    let python = execute(&s, &id, "spark.table('sales').where('qty > 1').count()", Some("PYTHON")).await;
    assert_eq!((python["result"].as_str(), python["language"].as_str()), (Some("2"), Some("PYTHON")), "{python}");

    let broken = execute(&s, &id, "val x: Int = \"text\"", None).await;
    assert_eq!(broken["state"], "FAILED", "{broken}");
    assert!(broken["error"]["message"].as_str().unwrap().starts_with("error: type mismatch"), "{broken}");

    let (status, body) = call(s.delete(&format!("/group/{id}"))).await;
    assert_eq!(status, 200, "{body}");
}
