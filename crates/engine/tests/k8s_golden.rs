//! The driver manifests against what the real `spark-submit` 4.3.0 sends.
//!
//! `spark_submit_recording_matches_golden` runs `spark-submit --deploy-mode cluster` against
//! the recorder (an HTTPS stand-in on loopback, not a cluster) and compares the normalised
//! requests with `tests/golden/`; it fails when spark-submit is missing (`make setup`
//! installs it). Re-record with
//! `SPARKDECK_UPDATE_GOLDEN=1 cargo test -p sparkdeck-engine --test k8s_golden`.
//! `our_manifests_equal_golden` builds the same drivers with `manifests.rs` and compares.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod k8s_support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;

use k8s_support::golden::{normalise, objects_by_kind};
use k8s_support::recorder::{RECORDED_UID, Recorder};
use k8s_support::tls::{TestCa, serve_https};
use serde_json::Value;
use sparkdeck_engine::k8s::manifests::{K8sDriverPlan, S3Credentials, driver_manifests};
use sparkdeck_engine::model::secret::Secret;
use sparkdeck_engine::model::cluster::{Cluster, ClusterSpec, ClusterType};

/// One driver, as spark-submit arguments and as our plan's inputs.
struct Case {
    file: &'static str,
    app_name: &'static str,
    main_class: Option<&'static str>,
    python: bool,
    resource: &'static str,
    args: &'static [&'static str],
    conf: &'static [(&'static str, &'static str)],
    /// The storage's keys: ours go in a Secret (see [`S3_SECRET_REFS`]).
    s3_credentials: bool,
}

/// What spark-submit is told so that it references the Secret we create for the storage's
/// keys. spark-submit does not create Secrets: ours is the one object it lacks, compared
/// on its own in `our_manifests_equal_golden`.
const S3_SECRET_REFS: [(&str, &str); 4] = [
    ("spark.kubernetes.driver.secretKeyRef.AWS_ACCESS_KEY_ID", "<PREFIX>-secrets:s3-access-key"),
    ("spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY", "<PREFIX>-secrets:s3-secret-key"),
    ("spark.kubernetes.executor.secretKeyRef.AWS_ACCESS_KEY_ID", "<PREFIX>-secrets:s3-access-key"),
    ("spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY", "<PREFIX>-secrets:s3-secret-key"),
];

const CASES: [Case; 3] = [
    Case {
        file: "k8s_spark_pi.json",
        app_name: "spark-pi",
        main_class: Some("org.apache.spark.examples.SparkPi"),
        python: false,
        resource: "local:///opt/spark/examples/jars/spark-examples.jar",
        args: &["100"],
        conf: &[("spark.kubernetes.container.image", "apache/spark:4.3.0"), ("spark.kubernetes.namespace", "spark")],
        s3_credentials: false,
    },
    Case {
        file: "k8s_python.json",
        app_name: "py job",
        main_class: None,
        python: true,
        resource: "local:///opt/app/main.py",
        args: &["a b", "--x"],
        conf: &[
            ("spark.kubernetes.container.image", "apache/spark:4.3.0"),
            ("spark.driver.memory", "2g"),
            ("spark.driver.cores", "2"),
            ("spark.submit.pyFiles", "local:///opt/app/deps.zip"),
        ],
        s3_credentials: false,
    },
    Case {
        file: "k8s_s3_credentials.json",
        app_name: "s3 job",
        main_class: Some("org.example.Main"),
        python: false,
        resource: "s3a://spark-jobs/sparkdeck/jobs/j1/app.jar",
        args: &[],
        conf: &[("spark.kubernetes.container.image", "apache/spark:4.3.0"), ("spark.hadoop.fs.s3a.endpoint", "http://minio:9000")],
        s3_credentials: true,
    },
];

/// What both sides get besides the case's conf (spark-submit needs them to talk to the recorder).
const CA_FILE: &str = "/tmp/sparkdeck-golden/ca.crt";

fn golden_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(file)
}

/// Runs the real spark-submit against the recorder and returns the normalised requests.
async fn record(case: &Case) -> Value {
    let env = sparkdeck_engine::spark_env::discover().unwrap_or_else(|e| {
        panic!("FAILED: the golden recording needs spark-submit 4.3.0 (run `make setup`): {e}")
    });
    let ca = TestCa::new();
    let recorder = Recorder::default();
    let addr = serve_https(&ca, recorder.router(), false).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();
    let master = format!("k8s://https://127.0.0.1:{}", addr.port());
    let mut cmd = tokio::process::Command::new(&env.spark_submit);
    cmd.arg("--master").arg(&master).args(["--deploy-mode", "cluster", "--name", case.app_name]);
    if let Some(class) = case.main_class {
        cmd.args(["--class", class]);
    }
    cmd.arg("--conf").arg(format!("spark.kubernetes.authenticate.submission.caCertFile={}", ca_file.display()));
    cmd.args(["--conf", "spark.kubernetes.submission.waitAppCompletion=false"]);
    let secret_refs = if case.s3_credentials { &S3_SECRET_REFS[..] } else { &[] };
    for (k, v) in case.conf.iter().chain(secret_refs) {
        cmd.arg("--conf").arg(format!("{k}={v}"));
    }
    cmd.arg(case.resource).args(case.args).stdin(Stdio::null());
    if let Some(home) = &env.java_home {
        cmd.env("JAVA_HOME", home);
    }
    let out = cmd.output().await.unwrap();
    assert!(out.status.success(), "spark-submit failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let requests: Vec<_> = recorder.take().into_iter().map(|r| (r.method, r.path, r.body)).collect();
    let ca_path = ca_file.display().to_string();
    normalise(&requests, &[(&master, "<MASTER>"), (&ca_path, CA_FILE)])
}

#[tokio::test]
async fn spark_submit_recording_matches_golden() {
    let update = std::env::var_os("SPARKDECK_UPDATE_GOLDEN").is_some();
    for case in &CASES {
        let recorded = record(case).await;
        let path = golden_path(case.file);
        if update {
            std::fs::write(&path, serde_json::to_string_pretty(&recorded).unwrap() + "\n").unwrap();
            eprintln!("re-recorded {}", path.display());
            continue;
        }
        let golden: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(recorded, golden, "spark-submit now sends something else than {} (re-record with SPARKDECK_UPDATE_GOLDEN=1)", path.display());
    }
}

#[test]
fn our_manifests_equal_golden() {
    for case in &CASES {
        let golden: Value = serde_json::from_str(&std::fs::read_to_string(golden_path(case.file)).unwrap()).unwrap();
        let master_url = "https://127.0.0.1:6443";
        let cluster = Cluster {
            id: "c1".into(),
            name: "k8s".into(),
            description: String::new(),
            cluster_type: ClusterType::K8s,
            spec: ClusterSpec { url: master_url.into(), ..ClusterSpec::default() },
            created_time: 0,
            updated_time: 0,
        };
        let mut conf: BTreeMap<String, String> = case.conf.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        conf.insert("spark.kubernetes.authenticate.submission.caCertFile".into(), CA_FILE.into());
        conf.insert("spark.kubernetes.submission.waitAppCompletion".into(), "false".into());
        let plan = K8sDriverPlan::new(
            &cluster,
            case.app_name,
            case.main_class.map(Into::into),
            case.resource.into(),
            case.args.iter().map(|a| a.to_string()).collect(),
            &conf,
            case.python,
        )
        .unwrap();
        let mut plan = plan;
        if case.s3_credentials {
            plan.s3_credentials = Some(S3Credentials { access_key: "AKIDGOLDEN".into(), secret_key: Secret::new("golden-secret") });
        }
        let mut manifests = driver_manifests(&plan).unwrap();
        manifests.owned_by(&plan.pod_name(), RECORDED_UID);
        // The one object spark-submit does not send: the Secret its references point at.
        let secret = manifests.secret.take();
        assert_eq!(secret.is_some(), case.s3_credentials, "{}: a Secret exactly when the storage has keys", case.file);
        if let Some(secret) = secret {
            assert_eq!(secret.metadata.name.as_deref(), Some(plan.secret_name().as_str()));
            assert_eq!(secret.metadata.owner_references.unwrap()[0].uid, RECORDED_UID);
            let data = secret.data.unwrap();
            let shown: BTreeMap<&str, &[u8]> = data.iter().map(|(k, v)| (k.as_str(), v.0.as_slice())).collect();
            assert_eq!(shown, BTreeMap::from([("s3-access-key", &b"AKIDGOLDEN"[..]), ("s3-secret-key", &b"golden-secret"[..])]));
        }
        let ours: Vec<(String, String, Value)> = [
            serde_json::to_value(&manifests.pod).unwrap(),
            serde_json::to_value(&manifests.service).unwrap(),
            serde_json::to_value(&manifests.network_policy).unwrap(),
            serde_json::to_value(&manifests.config_map).unwrap(),
        ]
        .into_iter()
        .map(|o| ("POST".to_string(), String::new(), o))
        .collect();
        let ours = objects_by_kind(&normalise(&ours, &[(&format!("k8s://{master_url}"), "<MASTER>")]));
        let golden = objects_by_kind(&golden);
        assert_eq!(ours.keys().collect::<Vec<_>>(), golden.keys().collect::<Vec<_>>());
        for (kind, object) in &golden {
            assert_eq!(
                &ours[kind],
                object,
                "{}: our {kind} differs from what spark-submit sends:\nours:   {}\ngolden: {}",
                case.file,
                serde_json::to_string(&ours[kind]).unwrap(),
                serde_json::to_string(object).unwrap()
            );
        }
    }
}
