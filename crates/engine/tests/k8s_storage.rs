//! Layer (d): uploading a job's files with `object_store` to a real S3-protocol server on
//! loopback (`s3s-fs`, files on a temp directory, signatures checked).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod k8s_support;

use std::collections::BTreeMap;

use k8s_support::s3::s3_server;

use sparkdeck_engine::k8s::storage::{s3_credentials, s3a_conf, spark_storage, upload_artifacts};
use sparkdeck_engine::model::cluster::{Cluster, ClusterSpec, ClusterType, Storage};
use sparkdeck_engine::model::secret::Secret;

fn storage(endpoint: &str, secret: &str) -> Storage {
    Storage {
        spark_bucket: "spark-jobs".into(),
        data_bucket: String::new(),
        endpoint: endpoint.into(),
        access_key: "AKTEST".into(),
        secret_key: Secret::new(secret),
    }
}

#[tokio::test]
async fn uploads_job_files_and_returns_s3a_urls() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("spark-jobs")).unwrap();
    let endpoint = s3_server(root.path()).await;
    let files = tempfile::tempdir().unwrap();
    let script = files.path().join("main.py");
    std::fs::write(&script, "print('hello from s3')\n").unwrap();
    let jar = files.path().join("lib.jar");
    let big: Vec<u8> = (0..12 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect(); // several parts
    std::fs::write(&jar, &big).unwrap();

    let urls = upload_artifacts(&storage(&endpoint, "secret-test"), "jobs/job-1", &[(script, "main.py".into()), (jar, "lib.jar".into())]).await.unwrap();
    assert_eq!(urls, ["s3a://spark-jobs/jobs/job-1/main.py", "s3a://spark-jobs/jobs/job-1/lib.jar"]);
    assert_eq!(std::fs::read_to_string(root.path().join("spark-jobs/jobs/job-1/main.py")).unwrap(), "print('hello from s3')\n");
    assert_eq!(std::fs::read(root.path().join("spark-jobs/jobs/job-1/lib.jar")).unwrap(), big);
}

#[tokio::test]
async fn wrong_secret_key_is_a_clear_error() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("spark-jobs")).unwrap();
    let endpoint = s3_server(root.path()).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = upload_artifacts(&storage(&endpoint, "wrong"), "p", &[(file.path().to_path_buf(), "f.txt".into())]).await.unwrap_err();
    assert!(err.to_string().starts_with("cannot upload ") && err.to_string().contains("s3a://spark-jobs/p/f.txt"), "{err}");
}

#[test]
fn s3a_conf_and_missing_storage() {
    let conf = s3a_conf(&storage("http://127.0.0.1:9000", "s"));
    assert_eq!(conf["spark.hadoop.fs.s3a.endpoint"], "http://127.0.0.1:9000");
    assert_eq!(conf["spark.hadoop.fs.s3a.path.style.access"], "true");
    assert_eq!(conf["spark.hadoop.fs.s3a.connection.ssl.enabled"], "false");
    assert!(!conf.keys().any(|k| k.contains("key")), "the keys go in the driver's Secret, not the conf: {conf:?}");
    let credentials = s3_credentials(&storage("http://127.0.0.1:9000", "s")).unwrap();
    assert_eq!((credentials.access_key.as_str(), credentials.secret_key.expose()), ("AKTEST", "s"));

    let mut cluster = Cluster {
        id: "c".into(), name: "k".into(), description: String::new(), cluster_type: ClusterType::K8s,
        spec: ClusterSpec { url: "https://k:6443".into(), ..ClusterSpec::default() }, created_time: 0, updated_time: 0,
    };
    assert_eq!(spark_storage(&cluster).unwrap_err().field(), Some("sparkStorage"));
    cluster.spec.storages = BTreeMap::from([("s3".to_string(), storage("http://x:1", "s"))]);
    cluster.spec.spark_storage = "s3".into();
    assert_eq!(spark_storage(&cluster).unwrap().spark_bucket, "spark-jobs");
}
