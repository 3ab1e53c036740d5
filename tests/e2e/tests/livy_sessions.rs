//! The Livy endpoint in the real window: Settings lists its URLs and a sparkmagic config with
//! the API token, and a session a Livy client creates shows in the Groups page marked as one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::io::{Read, Write};

use fantoccini::Locator;
use sparkdeck_e2e::App;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One request to a Livy URL (`base` is `/livy` on the API port, empty on the Livy port) with
/// the token; the answer's status line and body.
fn livy(port: u16, base: &str, method: &str, path: &str, token: &str, body: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "{method} {base}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.lines().next().unwrap_or_default().to_string(), body.to_string())
}

#[tokio::test]
async fn settings_show_the_livy_endpoint_and_a_livy_session_is_marked_in_the_groups_page() {
    let app = App::launch().await;
    app.click(Locator::XPath("//nav//a[normalize-space()='Settings']")).await;
    let (api, own) = (free_port(), free_port());
    app.click(Locator::XPath("//label[contains(., 'Serve the REST API')]/input")).await;
    let input = app.find(Locator::Id("settings-port")).await;
    input.clear().await.unwrap();
    input.send_keys(&api.to_string()).await.unwrap();
    app.click(Locator::Id("settings-livy-enabled")).await;
    let input = app.find(Locator::Id("settings-livy-port")).await;
    input.clear().await.unwrap();
    input.send_keys(&own.to_string()).await.unwrap();
    app.click(Locator::XPath("//button[normalize-space()='Save settings']")).await;
    app.wait_for_text(&format!("http://127.0.0.1:{api}/api/v1")).await;
    app.wait_for_text(&format!("http://127.0.0.1:{api}/livy")).await;
    app.wait_for_text(&format!("http://127.0.0.1:{own}")).await;
    // Served there now, as the status line says.
    let served = app.find(Locator::Id("settings-livy-url")).await;
    assert_eq!(served.text().await.unwrap(), format!("http://127.0.0.1:{own}"));

    let token = std::fs::read_to_string(app.data_dir().join("api-token")).unwrap();
    let config = app.find(Locator::Css("pre.config")).await.text().await.unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).expect("the sparkmagic config is JSON");
    let credentials = &config["kernel_python_credentials"];
    assert_eq!(credentials["url"], format!("http://127.0.0.1:{own}"));
    assert_eq!((credentials["auth"].as_str(), credentials["password"].as_str()), (Some("Basic_Access"), Some(token.trim())));
    assert_eq!(config["kernel_scala_credentials"], *credentials);
    let section = app.find(Locator::XPath("//fieldset[legend[normalize-space()='Livy endpoint']]")).await;
    app.client
        .execute("arguments[0].scrollIntoView({block: 'start'});", vec![serde_json::to_value(&section).unwrap()])
        .await
        .unwrap();
    app.screenshot("settings-livy").await;

    // A session as sparkmagic creates it, on the Livy port: a CODE group, marked in the Groups page.
    let (status, body) = livy(own, "", "POST", "/sessions", token.trim(), r#"{"kind": "pyspark", "name": "e2e-livy"}"#);
    assert!(status.contains(" 201 "), "{status} {body}");
    let session: serde_json::Value = serde_json::from_str(&body).unwrap();
    app.click(Locator::XPath("//nav//a[normalize-space()='Groups']")).await;
    let badge = app.find(Locator::XPath("//tr[contains(@class,'group-row')][th[contains(., 'e2e-livy')]]//span[contains(@class,'livy-badge')]")).await;
    assert!(badge.attr("title").await.unwrap().unwrap_or_default().contains("Livy API"));
    app.screenshot("groups-livy").await;
    // Its window says so too.
    app.open_window(Locator::XPath("//tr[contains(@class,'group-row')]/th[contains(., 'e2e-livy')]"), "group window").await;
    app.find(Locator::XPath("//header//span[contains(@class,'livy-badge')]")).await;
    app.screenshot_window("group-window-livy", "^e2e-livy — Sparkdeck$").await;

    let (status, body) = livy(api, "/livy", "DELETE", &format!("/sessions/{}", session["id"]), token.trim(), "");
    assert!(status.contains(" 200 "), "{status} {body}");
    app.close().await;
}
