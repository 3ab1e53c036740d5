//! Cluster operations through the engine: CRUD, events, paging, and the validation of
//! every field (each bad input names its field and changes nothing).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::collections::BTreeMap;

use sparkdeck_engine::clusters::ClusterQuery;
use sparkdeck_engine::model::cluster::{ClusterInput, ClusterType, ConfigInput, StorageInput};
use sparkdeck_engine::model::paging::PageRequest;
use sparkdeck_engine::model::secret::MASK;
use sparkdeck_engine::{EngineEvent, ErrorCode};

fn k8s(name: &str) -> ClusterInput {
    ClusterInput {
        name: Some(name.into()),
        cluster_type: Some("k8s".into()),
        url: Some("https://127.0.0.1:6443".into()),
        ..Default::default()
    }
}

fn storage() -> StorageInput {
    StorageInput {
        storage_type: Some("s3".into()),
        spark_bucket: Some("spark-files".into()),
        endpoint: Some("http://127.0.0.1:9000".into()),
        access_key: Some("AKIA".into()),
        secret_key: Some("s3-secret".into()),
        ..Default::default()
    }
}

fn full_k8s(name: &str) -> ClusterInput {
    ClusterInput {
        description: Some("team cluster".into()),
        ca_cert: Some(common::pem_block("CERTIFICATE")),
        client_cert: Some(common::pem_block("CERTIFICATE")),
        client_key: Some(common::pem_block("PRIVATE KEY")),
        client_key_algorithm: Some("rsa".into()),
        client_key_passphrase: Some("key-pass".into()),
        username: Some("admin".into()),
        password: Some("pw-secret".into()),
        token: Some("tok-secret".into()),
        storages: Some(BTreeMap::from([("main".to_string(), storage())])),
        spark_storage: Some("main".into()),
        default_application_config: Some(ConfigInput::Text(
            "spark.kubernetes.container.image=apache/spark:4.0.0;spark.kubernetes.namespace=jobs".into(),
        )),
        ..k8s(name)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_update_delete_with_events_after_commit() {
    let (_dir, engine) = common::engine().await;
    // The listener runs on its own worker thread and reads the store the moment each event
    // arrives, while the operation that published it may still be running: what it reads
    // must already be committed. Each step waits for the listener's verdict.
    let mut events = engine.subscribe();
    let (verdicts, mut verdict) = tokio::sync::mpsc::unbounded_channel();
    let listener = {
        let engine = engine.clone();
        tokio::spawn(async move {
            loop {
                let seen = match events.recv().await {
                    Ok(EngineEvent::ClusterChanged { cluster }) => {
                        let stored = engine.get_cluster(&cluster.id).await;
                        (format!("changed {}", cluster.name), stored.is_ok_and(|s| s == *cluster))
                    }
                    Ok(EngineEvent::ClusterDeleted { id, name }) => {
                        let gone = engine.get_cluster(&id).await.is_err_and(|e| e.code() == ErrorCode::NotFound);
                        (format!("deleted {name}"), gone)
                    }
                    Ok(other) => (format!("unexpected {other:?}"), false),
                    Err(_) => return,
                };
                if verdicts.send(seen).is_err() {
                    return;
                }
            }
        })
    };
    let mut next = async || tokio::time::timeout(std::time::Duration::from_secs(10), verdict.recv()).await.expect("an event").unwrap();

    let created = engine.create_cluster(&full_k8s("prod")).await.unwrap();
    assert_eq!(created.cluster_type, ClusterType::K8s);
    assert_eq!(created.spark_master, "k8s://https://127.0.0.1:6443");
    assert_eq!(created.client_key_algorithm, "RSA");
    assert_eq!(created.default_application_config["spark.kubernetes.namespace"], "jobs");
    assert_eq!(next().await, ("changed prod".to_string(), true), "the event names what the store holds");

    let update = ClusterInput { description: Some("renamed".into()), ..full_k8s("prod-2") };
    let updated = engine.update_cluster(&created.id, &update).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.description.as_str()), ("prod-2", "renamed"));
    assert!(updated.updated_time >= created.updated_time);
    assert_eq!(next().await, ("changed prod-2".to_string(), true));

    engine.delete_cluster(&created.id, false).await.unwrap();
    assert_eq!(next().await, ("deleted prod-2".to_string(), true));
    listener.abort();
    assert_eq!(engine.get_cluster(&created.id).await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(engine.delete_cluster(&created.id, false).await.unwrap_err().code(), ErrorCode::NotFound);
}

/// A cluster's stored spec, read from the database file beside the engine.
async fn stored_spec(data_dir: &std::path::Path, id: &str) -> serde_json::Value {
    let url = format!("sqlite://{}?mode=ro", data_dir.join("sparkdeck.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let spec: String = sqlx::query_scalar("SELECT spec FROM clusters WHERE id = ?").bind(id).fetch_one(&mut db).await.unwrap();
    serde_json::from_str(&spec).unwrap()
}

#[tokio::test]
async fn secrets_are_masked_in_views_and_debug_output() {
    let (dir, engine) = common::engine().await;
    let view = engine.create_cluster(&full_k8s("secretive")).await.unwrap();
    assert_eq!(view.client_key.as_deref(), Some(MASK));
    assert_eq!(view.client_key_passphrase.as_deref(), Some(MASK));
    assert_eq!(view.password.as_deref(), Some(MASK));
    assert_eq!(view.token.as_deref(), Some(MASK));
    assert_eq!(view.storages["main"].secret_key.as_deref(), Some(MASK));
    let shown = format!("{view:?} {}", serde_json::to_string(&view).unwrap());
    for secret in ["key-pass", "pw-secret", "tok-secret", "s3-secret", "PRIVATE KEY"] {
        assert!(!shown.contains(secret), "{secret} leaked");
    }
    // A client sending the view back (mask included) keeps the secrets.
    let mut round_trip: ClusterInput = serde_json::from_value(serde_json::to_value(&view).unwrap()).unwrap();
    round_trip.description = Some("edited".into());
    let updated = engine.update_cluster(&view.id, &round_trip).await.unwrap();
    assert_eq!(updated.password.as_deref(), Some(MASK));
    // What is stored is the original secret, not the mask the view carried.
    let stored = stored_spec(dir.path(), &view.id).await;
    for (field, secret) in [("password", "pw-secret"), ("token", "tok-secret"), ("clientKeyPassphrase", "key-pass")] {
        assert_eq!(stored[field], secret, "{field} kept");
    }
    assert_eq!(stored["storages"]["main"]["secretKey"], "s3-secret");
    // An empty value clears a secret.
    let cleared = ClusterInput { username: Some(String::new()), password: Some(String::new()), ..round_trip };
    let updated = engine.update_cluster(&view.id, &cleared).await.unwrap();
    assert_eq!(updated.password, None);
    assert_eq!(stored_spec(dir.path(), &view.id).await["password"], "", "cleared in the store too");
}

#[tokio::test]
async fn a_changed_api_server_url_gets_no_stored_credentials() {
    let (dir, engine) = common::engine().await;
    let view = engine.create_cluster(&full_k8s("moving")).await.unwrap();
    let sent_back: ClusterInput = serde_json::from_value(serde_json::to_value(&view).unwrap()).unwrap();
    let moved = |url: &str| ClusterInput { url: Some(url.into()), ..sent_back.clone() };
    // Another host, port or scheme: each stored secret must be sent again, the first named.
    for url in ["https://evil.example:6443", "https://127.0.0.1:7443", "http://127.0.0.1:6443"] {
        for input in [moved(url), ClusterInput { token: None, password: None, client_key: None, client_key_passphrase: None, ..moved(url) }] {
            let err = engine.update_cluster(&view.id, &input).await.unwrap_err();
            let expected = if url.starts_with("http:") { "url" } else { "token" };
            assert_eq!((err.code(), err.field()), (ErrorCode::Invalid, Some(expected)), "{url}: {err}");
            if expected == "token" {
                assert!(err.to_string().contains("must be sent again because the API server URL changed"), "{err}");
            }
        }
        let err = engine.test_cluster_connection(Some(&view.id), &moved(url)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Invalid, "a connection test does not send them either: {err}");
    }
    // The first secret still kept is named: here the password, once the token is sent.
    let token_only = ClusterInput { token: Some("new-token".into()), ..moved("https://evil.example:6443") };
    let err = engine.update_cluster(&view.id, &token_only).await.unwrap_err();
    assert_eq!(err.field(), Some("password"), "{err}");
    let err = engine
        .update_cluster(&view.id, &ClusterInput { password: Some("new-pw".into()), client_key: None, ..token_only.clone() })
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("clientKey"), "{err}");
    assert_eq!(stored_spec(dir.path(), &view.id).await["url"], "https://127.0.0.1:6443", "nothing refused was stored");

    // The same server (another path; below, the default port spelled out) keeps them.
    for url in ["https://127.0.0.1:6443/", "https://127.0.0.1:6443/k8s"] {
        engine.update_cluster(&view.id, &moved(url)).await.unwrap();
        assert_eq!(stored_spec(dir.path(), &view.id).await["token"], "tok-secret", "{url}");
    }
    let default_port = ClusterInput { token: Some("t".into()), url: Some("https://127.0.0.1:443".into()), ..k8s("plain") };
    let plain = engine.create_cluster(&default_port).await.unwrap();
    let same = ClusterInput { token: Some(MASK.into()), url: Some("https://127.0.0.1".into()), ..default_port };
    engine.update_cluster(&plain.id, &same).await.unwrap();
    assert_eq!(stored_spec(dir.path(), &plain.id).await["token"], "t", "443 is https's port");

    // Sent again (or cleared), the new server gets what was entered for it.
    let resent = ClusterInput {
        token: Some("new-token".into()),
        password: Some("new-pw".into()),
        client_key: Some(common::pem_block("PRIVATE KEY")),
        client_key_passphrase: Some(String::new()),
        ..moved("https://new.example:6443")
    };
    let updated = engine.update_cluster(&view.id, &resent).await.unwrap();
    assert_eq!((updated.url.as_str(), updated.token.as_deref(), updated.client_key_passphrase), ("https://new.example:6443", Some(MASK), None));
    let stored = stored_spec(dir.path(), &view.id).await;
    assert_eq!((stored["token"].as_str(), stored["password"].as_str(), stored["clientKeyPassphrase"].as_str()), (Some("new-token"), Some("new-pw"), Some("")));
}

#[tokio::test]
async fn secret_spark_settings_are_masked_in_views_and_kept_when_sent_back() {
    let (dir, engine) = common::engine().await;
    let settings = [
        ("spark.hadoop.fs.s3a.secret.key", "s3a-secret"),
        ("spark.hadoop.fs.s3a.access.key", "s3a-access"),
        ("spark.authenticate.secret", "auth-secret"),
        ("spark.ssl.keyStorePassword", "ks-password"),
        ("spark.kubernetes.authenticate.oauthToken", "oauth-token"),
        ("spark.hadoop.google.cloud.auth.Credentials", "gcs-credential"),
        ("spark.executor.memory", "2g"),
    ];
    let config: BTreeMap<String, String> = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let input = ClusterInput { default_application_config: Some(ConfigInput::Map(config.clone())), ..k8s("conf") };
    let view = engine.create_cluster(&input).await.unwrap();
    let views = [
        view.clone(),
        engine.get_cluster(&view.id).await.unwrap(),
        engine.list_clusters(&ClusterQuery::default()).await.unwrap().content.into_iter().find(|c| c.id == view.id).unwrap(),
    ];
    for shown in &views {
        for (key, value) in settings {
            let expected = if key == "spark.executor.memory" { value } else { MASK };
            assert_eq!(shown.default_application_config[key], expected, "{key}");
        }
        let text = format!("{shown:?} {}", serde_json::to_string(shown).unwrap());
        for (_, secret) in &settings[..6] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }
    // The view sent back keeps the stored values; a new value replaces one.
    let mut round_trip: ClusterInput = serde_json::from_value(serde_json::to_value(&view).unwrap()).unwrap();
    let Some(ConfigInput::Map(sent)) = &mut round_trip.default_application_config else { panic!("a map") };
    sent.insert("spark.authenticate.secret".into(), "new-auth".into());
    let updated = engine.update_cluster(&view.id, &round_trip).await.unwrap();
    assert_eq!(updated.default_application_config["spark.authenticate.secret"], MASK);
    let stored = stored_spec(dir.path(), &view.id).await;
    for (key, value) in settings {
        let expected = if key == "spark.authenticate.secret" { "new-auth" } else { value };
        assert_eq!(stored["defaultApplicationConfig"][key], expected, "{key} stored");
    }
    // The mask where nothing is stored is no value: refused, not stored.
    let text = ClusterInput { default_application_config: Some(ConfigInput::Text(format!("spark.ssl.trustStorePassword={MASK}"))), ..round_trip };
    let err = engine.update_cluster(&view.id, &text).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (ErrorCode::Invalid, Some("defaultApplicationConfig")), "{err}");
}

#[tokio::test]
async fn list_searches_pages_and_sorts() {
    let (_dir, engine) = common::engine().await;
    for i in 0..12 {
        let mut input = k8s(&format!("team-{i:02}"));
        if i % 3 == 0 {
            input.description = Some("Analytics cluster".into());
        }
        engine.create_cluster(&input).await.unwrap();
    }
    let query = |search: Option<&str>, page: u32, size: u32, sort: &[&str]| ClusterQuery {
        search: search.map(str::to_string),
        page: PageRequest::from_query(
            Some(page.into()),
            Some(size.into()),
            &sort.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .unwrap(),
    };
    let page = engine.list_clusters(&query(None, 1, 5, &["name,desc"])).await.unwrap();
    assert_eq!(page.total_elements, 13);
    assert_eq!(page.total_pages, 3);
    let names: Vec<_> = page.content.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["team-06", "team-05", "team-04", "team-03", "team-02"]);
    assert_eq!(page.sort, ["name,desc"]);

    let found = engine.list_clusters(&query(Some("analytics"), 0, 10, &[])).await.unwrap();
    assert_eq!(found.total_elements, 4, "search matches descriptions, case-insensitively");
    let found = engine.list_clusters(&query(Some("team-1"), 0, 10, &[])).await.unwrap();
    assert_eq!(found.content.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["team-10", "team-11"]);
    let none = engine.list_clusters(&query(Some("%"), 0, 10, &[])).await.unwrap();
    assert!(none.empty, "LIKE wildcards in the search word are literal");

    let bad = engine.list_clusters(&query(None, 0, 10, &["secret"])).await.unwrap_err();
    assert_eq!(bad.field(), Some("sort"));
    assert!(bad.to_string().contains("name"), "{bad}");
}

#[tokio::test]
async fn names_are_unique_regardless_of_case() {
    let (_dir, engine) = common::engine().await;
    engine.create_cluster(&k8s("Prod")).await.unwrap();
    let err = engine.create_cluster(&k8s("prod")).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (ErrorCode::Invalid, Some("name")));
    let other = engine.create_cluster(&k8s("other")).await.unwrap();
    let err = engine.update_cluster(&other.id, &k8s("PROD")).await.unwrap_err();
    assert_eq!(err.field(), Some("name"));
}

#[tokio::test]
async fn a_chosen_id_is_kept_and_must_be_unique() {
    let (_dir, engine) = common::engine().await;
    let created = engine.create_cluster(&ClusterInput { id: Some("my-id".into()), ..k8s("a") }).await.unwrap();
    assert_eq!(created.id, "my-id");
    let err = engine.create_cluster(&ClusterInput { id: Some("my-id".into()), ..k8s("b") }).await.unwrap_err();
    assert_eq!(err.field(), Some("id"));
}

#[tokio::test]
async fn the_default_cluster_cannot_be_deleted_or_renamed() {
    let (_dir, engine) = common::engine().await;
    let err = engine.delete_cluster("default", true).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    let rename = ClusterInput { name: Some("laptop".into()), cluster_type: Some("local".into()), ..Default::default() };
    assert_eq!(engine.update_cluster("default", &rename).await.unwrap_err().field(), Some("name"));
    let more_threads =
        ClusterInput { name: Some("default".into()), threads: Some(1), ..Default::default() };
    let updated = engine.update_cluster("default", &more_threads).await.unwrap();
    assert_eq!((updated.threads, updated.cluster_type), (Some(1), ClusterType::Local));
}

/// Every invalid input: the error is `Invalid`, names the field, and nothing is stored.
#[tokio::test]
async fn every_field_is_validated() {
    let (_dir, engine) = common::engine().await;
    let local = |f: fn(&mut ClusterInput)| {
        let mut i = ClusterInput { name: Some("l".into()), cluster_type: Some("local".into()), ..Default::default() };
        f(&mut i);
        i
    };
    let standalone = |f: fn(&mut ClusterInput)| {
        let mut i = ClusterInput {
            name: Some("s".into()),
            cluster_type: Some("standalone".into()),
            url: Some("spark://127.0.0.1:7077".into()),
            ..Default::default()
        };
        f(&mut i);
        i
    };
    let kube = |f: fn(&mut ClusterInput)| {
        let mut i = k8s("k");
        f(&mut i);
        i
    };
    let cases: Vec<(&str, ClusterInput)> = vec![
        ("name", local(|i| i.name = None)),
        ("name", local(|i| i.name = Some("   ".into()))),
        ("name", local(|i| i.name = Some("has space".into()))),
        ("name", local(|i| i.name = Some("a,b".into()))),
        ("name", local(|i| i.name = Some("x".repeat(65)))),
        ("id", local(|i| i.id = Some("../etc".into()))),
        ("description", local(|i| i.description = Some("d".repeat(2001)))),
        ("type", local(|i| i.cluster_type = None)),
        ("type", local(|i| i.cluster_type = Some("yarn".into()))),
        ("threads", local(|i| i.threads = Some(0))),
        ("threads", local(|i| i.threads = Some(5000))),
        ("url", local(|i| i.url = Some("spark://x:1".into()))),
        ("caCert", local(|i| i.ca_cert = Some("x".into()))),
        ("token", local(|i| i.token = Some("t".into()))),
        ("restUrl", local(|i| i.rest_url = Some("http://x:6066".into()))),
        ("url", standalone(|i| i.url = None)),
        ("url", standalone(|i| i.url = Some("http://host:7077".into()))),
        ("url", standalone(|i| i.url = Some("spark://host".into()))),
        ("url", standalone(|i| i.url = Some("spark://host:99999".into()))),
        ("threads", standalone(|i| i.threads = Some(2))),
        ("restUrl", standalone(|i| i.rest_url = Some("ftp://x".into()))),
        ("webUiUrl", standalone(|i| i.web_ui_url = Some("host:8080".into()))),
        ("password", standalone(|i| i.password = Some("p".into()))),
        ("url", kube(|i| i.url = None)),
        ("url", kube(|i| i.url = Some("127.0.0.1:6443".into()))),
        ("url", kube(|i| i.url = Some("https://".into()))),
        ("url", kube(|i| i.url = Some("http://127.0.0.1:6443".into()))),
        ("threads", kube(|i| i.threads = Some(2))),
        ("restUrl", kube(|i| i.rest_url = Some("http://x".into()))),
        ("caCert", kube(|i| i.ca_cert = Some("not pem".into()))),
        ("caCert", kube(|i| i.ca_cert = Some(common::pem_block("PRIVATE KEY")))),
        ("clientCert", kube(|i| i.client_cert = Some(common::pem_block("RSA PRIVATE KEY")))),
        ("clientKey", kube(|i| i.client_cert = Some(common::pem_block("CERTIFICATE")))),
        ("clientKey", kube(|i| {
            i.client_cert = Some(common::pem_block("CERTIFICATE"));
            i.client_key = Some(common::pem_block("CERTIFICATE"));
        })),
        ("clientCert", kube(|i| i.client_key = Some(common::pem_block("PRIVATE KEY")))),
        ("clientKeyAlgorithm", kube(|i| i.client_key_algorithm = Some("DSA".into()))),
        ("clientKeyPassphrase", kube(|i| i.client_key_passphrase = Some("p".into()))),
        ("password", kube(|i| i.username = Some("u".into()))),
        ("username", kube(|i| i.password = Some("p".into()))),
        ("sparkStorage", kube(|i| i.spark_storage = Some("missing".into()))),
        ("storages.Bad Name", kube(|i| i.storages = Some(BTreeMap::from([("Bad Name".into(), storage())])))),
        ("storages.s.type", kube(|i| {
            i.storages = Some(BTreeMap::from([("s".into(), StorageInput { storage_type: Some("gcs".into()), ..storage() })]));
        })),
        ("storages.s.sparkBucket", kube(|i| {
            i.storages = Some(BTreeMap::from([("s".into(), StorageInput { spark_bucket: None, ..storage() })]));
        })),
        ("storages.s.sparkBucket", kube(|i| {
            i.storages = Some(BTreeMap::from([("s".into(), StorageInput { spark_bucket: Some("Upper_Case".into()), ..storage() })]));
        })),
        ("storages.s.dataBucket", kube(|i| {
            i.storages = Some(BTreeMap::from([("s".into(), StorageInput { data_bucket: Some("x".into()), ..storage() })]));
        })),
        ("storages.s.endpoint", kube(|i| {
            i.storages = Some(BTreeMap::from([("s".into(), StorageInput { endpoint: Some("minio:9000".into()), ..storage() })]));
        })),
        ("storages.s.secretKey", kube(|i| {
            i.storages = Some(BTreeMap::from([("s".into(), StorageInput { secret_key: None, ..storage() })]));
        })),
        ("defaultApplicationConfig", kube(|i| {
            i.default_application_config = Some(ConfigInput::Text("spark.a=1;broken".into()));
        })),
        ("defaultApplicationConfig", kube(|i| {
            i.default_application_config = Some(ConfigInput::Map(BTreeMap::from([(" ".into(), "v".into())])));
        })),
    ];
    for (field, input) in cases {
        let err = engine.create_cluster(&input).await.expect_err(field);
        assert_eq!((err.code(), err.field()), (ErrorCode::Invalid, Some(field)), "{field}: {err}");
        assert!(err.to_string().starts_with(field), "message names the field: {err}");
    }
    assert_eq!(engine.cluster_names().await.unwrap(), ["default"], "no invalid input was stored");
}

#[tokio::test]
async fn connection_test_checks_the_form_as_entered_and_saves_nothing() {
    let (_dir, engine) = common::engine().await;
    let local = ClusterInput { name: Some("laptop".into()), cluster_type: Some("local".into()), ..ClusterInput::default() };
    let found = engine.test_cluster_connection(None, &local).await.unwrap();
    assert!(found.contains("Spark 4.") && found.contains("Java 17"), "{found}");
    assert!(found.contains("local mode"), "{found}");

    let bad = ClusterInput { url: Some("spark//nope".into()), cluster_type: Some("standalone".into()), ..local.clone() };
    let err = engine.test_cluster_connection(None, &bad).await.unwrap_err();
    assert_eq!((err.code(), err.field()), (ErrorCode::Invalid, Some("url")));

    let err = engine.test_cluster_connection(Some("no-such-id"), &local).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    let names = engine.cluster_names().await.unwrap();
    assert_eq!(names, ["default"], "a connection test stores nothing");
}
