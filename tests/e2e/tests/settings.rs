//! Settings in the real window: the detected Spark and Java are shown, and switching the
//! built-in REST server on makes the app answer the REST API with its token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::io::{Read, Write};

use fantoccini::Locator;
use sparkdeck_e2e::App;

#[tokio::test]
async fn shows_spark_and_serves_the_rest_api_when_switched_on() {
    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Settings']")).await;
    app.wait_for_text("4.3.0").await; // the Spark version found on this machine
    app.screenshot("settings").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    app.click(Locator::XPath("//label[contains(., 'Serve the REST API')]/input")).await;
    let input = app.find(Locator::Id("settings-port")).await;
    input.clear().await.unwrap();
    input.send_keys(&port.to_string()).await.unwrap();
    app.click(Locator::XPath("//button[normalize-space()='Save settings']")).await;
    app.wait_for_text(&format!("http://127.0.0.1:{port}/api/v1")).await;
    app.screenshot("settings-rest-server").await;

    let token = std::fs::read_to_string(app.data_dir().join("api-token")).unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET /api/v1/cluster/names HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains(r#"{"names":["default"]}"#), "{answer}");
    app.close().await;
}
