//! The token, Host and cross-origin checks, over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::{TestServer, call};
use reqwest::header;

#[tokio::test]
async fn requests_without_the_right_token_are_refused() {
    let s = TestServer::start().await;
    let (status, body) = call(s.client.get(s.url("/cluster"))).await;
    assert_eq!(status, 401);
    assert!(body["message"].as_str().unwrap().contains("Bearer"));

    let (status, _) = call(s.client.get(s.url("/cluster")).bearer_auth("wrong")).await;
    assert_eq!(status, 401);
    let (status, _) = call(s.client.get(s.url("/cluster")).header(header::AUTHORIZATION, s.token.clone())).await;
    assert_eq!(status, 401, "the Bearer scheme is required");
    // Nothing was created by the refused calls.
    let (status, _) = call(s.client.post(s.url("/cluster")).json(&serde_json::json!({"name":"x","type":"local"}))).await;
    assert_eq!(status, 401);
    let (status, body) = call(s.get("/cluster/names")).await;
    assert_eq!((status, body), (200, serde_json::json!({"names": ["default"]})));
}

#[tokio::test]
async fn unauthorised_answers_carry_a_bearer_challenge() {
    let s = TestServer::start().await;
    let response = s.client.get(s.url("/cluster")).send().await.unwrap();
    assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
}

#[tokio::test]
async fn a_non_loopback_host_is_refused_even_with_the_token() {
    let s = TestServer::start().await;
    // DNS rebinding: the browser connects to 127.0.0.1 but sends the attacker's name.
    let (status, body) = call(s.get("/cluster").header(header::HOST, "attacker.example:9888")).await;
    assert_eq!(status, 403);
    assert!(body["message"].as_str().unwrap().contains("attacker.example"));
    for ok in [format!("localhost:{}", s.addr.port()), format!("127.0.0.1:{}", s.addr.port())] {
        let (status, _) = call(s.get("/cluster").header(header::HOST, ok.clone())).await;
        assert_eq!(status, 200, "{ok}");
    }
}

#[tokio::test]
async fn web_pages_cannot_submit_and_no_cors_is_granted() {
    let s = TestServer::start().await;
    // A cross-site form post needs no preflight; it must still change nothing.
    let form = s
        .client
        .post(s.url("/cluster"))
        .header(header::ORIGIN, "http://evil.example")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"name":"evil","type":"local"}"#);
    let (status, _) = call(form).await;
    assert_eq!(status, 403, "a page's request is refused before anything else");
    let with_token = s.post("/cluster").header(header::ORIGIN, "http://evil.example").json(&serde_json::json!({"name":"evil","type":"local"}));
    let (status, _) = call(with_token).await;
    assert_eq!(status, 403, "a page's request is refused even if it somehow has the token");
    let fetch = s.post("/cluster").header("sec-fetch-site", "cross-site").json(&serde_json::json!({"name":"evil","type":"local"}));
    assert_eq!(call(fetch).await.0, 403);

    let preflight = s
        .client
        .request(reqwest::Method::OPTIONS, s.url("/cluster"))
        .header(header::ORIGIN, "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!preflight.status().is_success());
    assert!(preflight.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    let (_, body) = call(s.get("/cluster/names")).await;
    assert_eq!(body["names"], serde_json::json!(["default"]));
}

#[tokio::test]
async fn unknown_paths_are_404_with_a_message() {
    let s = TestServer::start().await;
    let (status, body) = call(s.get("/nope")).await;
    assert_eq!(status, 404);
    assert!(body["message"].is_string());
}
