//! The objects `spark-submit --deploy-mode cluster` (Spark 4.3.0) creates for a driver,
//! built as typed k8s-openapi values: the driver pod, the immutable ConfigMap holding
//! `spark.properties`, the headless driver Service and the NetworkPolicy that lets only
//! the app's pods reach the executors. `tests/golden/` holds what the real `spark-submit`
//! sends; a test keeps these builders equal to it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    KeyToPath, ObjectFieldSelector, Pod, PodSpec, ResourceRequirements, Secret as KubeSecret, SecretKeySelector,
    SecurityContext, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;

use crate::error::{EngineError, Result};
use crate::model::cluster::Cluster;
use crate::model::secret::Secret;
use crate::runtime::properties::properties_text;

pub const DRIVER_CONTAINER: &str = "spark-kubernetes-driver";
pub const SPARK_VERSION: &str = "4.3.0";
pub const LABEL_APP_ID: &str = "spark-app-selector";
pub const LABEL_ROLE: &str = "spark-role";
const LABEL_APP_NAME: &str = "spark-app-name";
const LABEL_VERSION: &str = "spark-version";
const CONF_DIR: &str = "/opt/spark/conf";
const CONF_VOLUME: &str = "spark-conf-volume-driver";
const PROPERTIES: &str = "spark.properties";
const IMAGE_KEY: &str = "spark.kubernetes.container.image";
const DNS_LABEL_MAX: usize = 63;
/// The variable the agent in the pod reads its secret from (filled from the Secret).
pub use crate::runtime::job_dir::AGENT_SECRET_ENV;
const AGENT_SECRET_KEY: &str = "secret";
const S3_ACCESS_KEY: &str = "s3-access-key";
const S3_SECRET_KEY: &str = "s3-secret-key";
/// Spark's prefixes for environment variables filled from a Secret (`<name>:<key>`).
const DRIVER_SECRET_REF: &str = "spark.kubernetes.driver.secretKeyRef.";
const EXECUTOR_SECRET_REF: &str = "spark.kubernetes.executor.secretKeyRef.";
/// Where the AWS SDK's default chain (and Spark's `SparkHadoopUtil`) read S3 credentials.
const AWS_ACCESS_KEY_ENV: &str = "AWS_ACCESS_KEY_ID";
const AWS_SECRET_KEY_ENV: &str = "AWS_SECRET_ACCESS_KEY";

/// A group driver's agent in the pod: the port it listens on (reached through a
/// port-forward) and the secret it checks, which goes into a Secret owned by the pod.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSpec {
    pub port: u16,
    pub secret: Secret,
}

/// The credentials of the S3 storage the pods read the job's files from. They go into
/// the driver's Secret and reach the driver and executors as `AWS_*` environment, never
/// the ConfigMap (readable with `view` rights).
#[derive(Debug, Clone, PartialEq)]
pub struct S3Credentials {
    pub access_key: String,
    pub secret_key: Secret,
}

/// One driver to run on Kubernetes, with every generated name fixed up front so a retry
/// submits the same objects.
#[derive(Debug, Clone, PartialEq)]
pub struct K8sDriverPlan {
    pub app_name: String,
    /// `spark-<32 hex>`.
    pub app_id: String,
    /// `<app name as a DNS label>-<16 hex>`: the pod is `<prefix>-driver`.
    pub resource_prefix: String,
    /// `spark-drv-<16 hex>-conf-map`.
    pub config_map: String,
    /// The driver's scratch directory, `/var/data/spark-<uuid>`.
    pub local_dir: String,
    pub main_class: Option<String>,
    /// An `s3a://` URL or a `local://` path inside the image.
    pub main_resource: String,
    pub args: Vec<String>,
    /// The cluster's `defaultApplicationConfig` overlaid with the job's conf.
    pub conf: BTreeMap<String, String>,
    pub python: bool,
    pub namespace: String,
    pub image: String,
    /// `k8s://https://host:port`.
    pub master: String,
    pub spark_user: String,
    pub submit_time_ms: i64,
    /// More environment for the driver container (plain values).
    pub env: Vec<(String, String)>,
    /// Set for a group driver: the agent's port and secret.
    pub agent: Option<AgentSpec>,
    /// Set when the job's storage needs keys.
    pub s3_credentials: Option<S3Credentials>,
}

impl K8sDriverPlan {
    /// A plan for `cluster` with fresh ids. Image and namespace come from the merged conf.
    pub fn new(
        cluster: &Cluster,
        app_name: &str,
        main_class: Option<String>,
        main_resource: String,
        args: Vec<String>,
        job_conf: &BTreeMap<String, String>,
        python: bool,
    ) -> Result<Self> {
        let mut conf = cluster.spec.default_application_config.clone();
        conf.extend(job_conf.iter().map(|(k, v)| (k.clone(), v.clone())));
        let image = conf
            .get("spark.kubernetes.driver.container.image")
            .or_else(|| conf.get(IMAGE_KEY))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| EngineError::invalid(IMAGE_KEY, "is required for Kubernetes jobs: set it in the cluster's defaultApplicationConfig or the job's conf (e.g. apache/spark:4.3.0)"))?;
        let namespace = conf.get("spark.kubernetes.namespace").map(|s| s.trim()).filter(|s| !s.is_empty()).unwrap_or("default").to_string();
        if !is_dns_label(&namespace) {
            return Err(EngineError::invalid("spark.kubernetes.namespace", format!("'{namespace}' is not a valid namespace name")));
        }
        let name_label = dns_label(app_name);
        let base = if name_label.is_empty() { "spark".to_string() } else { name_label };
        Ok(Self {
            app_name: app_name.to_string(),
            app_id: format!("spark-{}", uuid::Uuid::new_v4().simple()),
            resource_prefix: format!("{}-{}", truncate_label(&base, 40), hex16()),
            config_map: format!("spark-drv-{}-conf-map", hex16()),
            local_dir: format!("/var/data/spark-{}", uuid::Uuid::new_v4()),
            main_class,
            main_resource,
            args,
            conf,
            python,
            namespace,
            image,
            master: cluster.spark_master(),
            spark_user: std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "spark".into()),
            submit_time_ms: crate::time::now_ms(),
            env: Vec::new(),
            agent: None,
            s3_credentials: None,
        })
    }

    pub fn pod_name(&self) -> String {
        format!("{}-driver", self.resource_prefix)
    }

    pub fn service_name(&self) -> String {
        let name = format!("{}-driver-svc", self.resource_prefix);
        if name.len() <= DNS_LABEL_MAX { name } else { format!("spark-{}-driver-svc", hex16()) }
    }

    /// The Secret holding the agent's secret and the storage's keys (names are DNS
    /// subdomains, so no 63-char limit).
    pub fn secret_name(&self) -> String {
        format!("{}-secrets", self.resource_prefix)
    }

    /// The conf as the driver gets it: with the storage's keys as references to the
    /// driver's Secret, for the driver pod and (through Spark) each executor pod.
    fn conf_with_secret_refs(&self) -> BTreeMap<String, String> {
        let mut conf = self.conf.clone();
        if self.s3_credentials.is_some() {
            for (env, key) in [(AWS_ACCESS_KEY_ENV, S3_ACCESS_KEY), (AWS_SECRET_KEY_ENV, S3_SECRET_KEY)] {
                for prefix in [DRIVER_SECRET_REF, EXECUTOR_SECRET_REF] {
                    conf.insert(format!("{prefix}{env}"), format!("{}:{key}", self.secret_name()));
                }
            }
        }
        conf
    }

    fn conf_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.conf.get(key).map(String::as_str).unwrap_or(default)
    }
}

/// The driver's objects. Only the pod is created first: the others need its uid.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverManifests {
    pub pod: Pod,
    pub config_map: ConfigMap,
    pub service: Service,
    pub network_policy: NetworkPolicy,
    /// A group driver's agent secret and the storage's keys.
    pub secret: Option<KubeSecret>,
}

impl DriverManifests {
    /// Makes the pod the controller owner of the other objects, so deleting it removes them.
    pub fn owned_by(&mut self, pod_name: &str, uid: &str) {
        let owner = OwnerReference {
            api_version: "v1".into(),
            kind: "Pod".into(),
            name: pod_name.into(),
            uid: uid.into(),
            controller: Some(true),
            block_owner_deletion: None,
        };
        for meta in [&mut self.config_map.metadata, &mut self.service.metadata, &mut self.network_policy.metadata] {
            meta.owner_references = Some(vec![owner.clone()]);
        }
        if let Some(secret) = &mut self.secret {
            secret.metadata.owner_references = Some(vec![owner]);
        }
    }
}

pub fn driver_manifests(plan: &K8sDriverPlan) -> Result<DriverManifests> {
    let plan = &K8sDriverPlan { conf: plan.conf_with_secret_refs(), ..plan.clone() };
    let properties = spark_properties(plan)?;
    let driver_port = port(plan, "spark.driver.port", 7078)?;
    let block_port = port(plan, "spark.driver.blockManager.port", 7079)?;
    let ui_port = port(plan, "spark.ui.port", 4040)?;
    let connect_port = port(plan, "spark.connect.grpc.binding.port", 15002)?;
    let mut labels = BTreeMap::from([
        (LABEL_APP_NAME.to_string(), truncate_label(&dns_label(&plan.app_name), DNS_LABEL_MAX)),
        (LABEL_APP_ID.to_string(), plan.app_id.clone()),
        (LABEL_ROLE.to_string(), "driver".to_string()),
        (LABEL_VERSION.to_string(), SPARK_VERSION.to_string()),
    ]);
    labels.extend(prefixed(plan, "spark.kubernetes.driver.label."));
    let annotations = prefixed(plan, "spark.kubernetes.driver.annotation.");
    let app_label = BTreeMap::from([(LABEL_APP_ID.to_string(), plan.app_id.clone())]);
    let pod_name = plan.pod_name();
    let service_name = plan.service_name();

    let pod = Pod {
        metadata: ObjectMeta {
            name: Some(pod_name.clone()),
            namespace: Some(plan.namespace.clone()),
            labels: Some(labels.clone()),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers: vec![driver_container(plan, [driver_port, block_port, ui_port, connect_port])?],
            restart_policy: Some("Never".into()),
            service_account_name: plan.conf.get("spark.kubernetes.authenticate.driver.serviceAccountName").cloned(),
            volumes: Some(vec![
                Volume { name: "spark-local-dir-1".into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Volume::default() },
                Volume {
                    name: CONF_VOLUME.into(),
                    config_map: Some(ConfigMapVolumeSource {
                        name: plan.config_map.clone(),
                        items: Some(vec![KeyToPath { key: PROPERTIES.into(), path: PROPERTIES.into(), mode: Some(0o644) }]),
                        ..ConfigMapVolumeSource::default()
                    }),
                    ..Volume::default()
                },
            ]),
            ..PodSpec::default()
        }),
        status: None,
    };

    let config_map = ConfigMap {
        metadata: ObjectMeta { name: Some(plan.config_map.clone()), namespace: Some(plan.namespace.clone()), ..ObjectMeta::default() },
        immutable: Some(true),
        data: Some(BTreeMap::from([
            ("spark.kubernetes.namespace".to_string(), plan.namespace.clone()),
            (PROPERTIES.to_string(), properties),
        ])),
        ..ConfigMap::default()
    };

    let service_port = |name: &str, port: i32| ServicePort {
        name: Some(name.into()),
        port,
        target_port: Some(IntOrString::Int(port)),
        ..ServicePort::default()
    };
    let service = Service {
        metadata: ObjectMeta {
            name: Some(service_name),
            namespace: Some(plan.namespace.clone()),
            labels: Some(app_label.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            ip_families: Some(vec!["IPv4".into()]),
            ip_family_policy: Some("SingleStack".into()),
            ports: Some(vec![
                service_port("driver-rpc-port", driver_port),
                service_port("blockmanager", block_port),
                service_port("spark-ui", ui_port),
                ServicePort { app_protocol: Some("grpc".into()), ..service_port("spark-connect", connect_port) },
            ]),
            publish_not_ready_addresses: Some(false),
            selector: Some(labels),
            ..ServiceSpec::default()
        }),
        status: None,
    };

    let network_policy = NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(format!("{}-policy", plan.resource_prefix)),
            namespace: Some(plan.namespace.clone()),
            labels: Some(app_label.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(LabelSelector { match_labels: Some(app_label.clone()), ..LabelSelector::default() }),
                    ..NetworkPolicyPeer::default()
                }]),
                ..NetworkPolicyIngressRule::default()
            }]),
            pod_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([
                    (LABEL_APP_ID.to_string(), plan.app_id.clone()),
                    (LABEL_ROLE.to_string(), "executor".to_string()),
                ])),
                ..LabelSelector::default()
            }),
            ..NetworkPolicySpec::default()
        }),
    };
    let mut secret_data = BTreeMap::new();
    if let Some(agent) = &plan.agent {
        secret_data.insert(AGENT_SECRET_KEY.to_string(), ByteString(agent.secret.expose().as_bytes().to_vec()));
    }
    if let Some(credentials) = &plan.s3_credentials {
        secret_data.insert(S3_ACCESS_KEY.to_string(), ByteString(credentials.access_key.as_bytes().to_vec()));
        secret_data.insert(S3_SECRET_KEY.to_string(), ByteString(credentials.secret_key.expose().as_bytes().to_vec()));
    }
    let secret = (!secret_data.is_empty()).then(|| KubeSecret {
        metadata: ObjectMeta {
            name: Some(plan.secret_name()),
            namespace: Some(plan.namespace.clone()),
            labels: Some(app_label.clone()),
            ..ObjectMeta::default()
        },
        immutable: Some(true),
        type_: Some("Opaque".into()),
        data: Some(secret_data),
        ..KubeSecret::default()
    });
    Ok(DriverManifests { pod, config_map, service, network_policy, secret })
}

fn driver_container(plan: &K8sDriverPlan, [driver, block, ui, connect]: [i32; 4]) -> Result<Container> {
    let mut args = vec!["driver".to_string(), "--properties-file".into(), format!("{CONF_DIR}/{PROPERTIES}"), "--class".into()];
    args.push(if plan.python {
        "org.apache.spark.deploy.PythonRunner".to_string()
    } else {
        plan.main_class.clone().filter(|c| !c.is_empty()).ok_or_else(|| EngineError::invalid("className", "is required for a JVM job"))?
    });
    args.push(plan.main_resource.clone());
    args.extend(plan.args.iter().cloned());

    let value = |name: &str, value: &str| EnvVar { name: name.into(), value: Some(value.into()), value_from: None };
    // By reference: secrets stay out of the pod spec and the ConfigMap.
    let secret_ref = |name: &str, secret: &str, key: &str, optional: Option<bool>| EnvVar {
        name: name.into(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: secret.into(), key: key.into(), optional }),
            ..EnvVarSource::default()
        }),
    };
    let mut env = vec![
        value("SPARK_USER", &plan.spark_user),
        value("SPARK_APPLICATION_ID", &plan.app_id),
        EnvVar {
            name: "SPARK_DRIVER_BIND_ADDRESS".into(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector { api_version: Some("v1".into()), field_path: "status.podIP".into() }),
                ..EnvVarSource::default()
            }),
        },
    ];
    // Spark's `spark.kubernetes.driver.secretKeyRef.<ENV>=<name>:<key>`, where spark-submit puts them.
    for (env_name, reference) in prefixed(plan, DRIVER_SECRET_REF) {
        let (secret, key) = reference
            .split_once(':')
            .filter(|(name, key)| !name.is_empty() && !key.is_empty() && !key.contains(':'))
            .ok_or_else(|| EngineError::invalid(format!("{DRIVER_SECRET_REF}{env_name}"), "must be <secret name>:<key>"))?;
        env.push(secret_ref(&env_name, secret, key, None));
    }
    env.extend([value("SPARK_LOCAL_DIRS", &plan.local_dir), value("SPARK_CONF_DIR", CONF_DIR)]);
    env.extend(prefixed(plan, "spark.kubernetes.driverEnv.").iter().map(|(k, v)| value(k, v)));
    env.extend(plan.env.iter().map(|(k, v)| value(k, v)));
    if plan.agent.is_some() {
        env.push(secret_ref(AGENT_SECRET_ENV, &plan.secret_name(), AGENT_SECRET_KEY, Some(false)));
    }

    let memory = format!("{}Mi", driver_memory_mib(plan)?);
    let cores = plan.conf.get("spark.kubernetes.driver.request.cores").or_else(|| plan.conf.get("spark.driver.cores"));
    let mut limits = BTreeMap::from([("memory".to_string(), Quantity(memory.clone()))]);
    if let Some(limit) = plan.conf.get("spark.kubernetes.driver.limit.cores") {
        limits.insert("cpu".into(), Quantity(limit.clone()));
    }
    let port = |name: &str, port: i32| ContainerPort { name: Some(name.into()), container_port: port, protocol: Some("TCP".into()), ..ContainerPort::default() };
    Ok(Container {
        name: DRIVER_CONTAINER.into(),
        image: Some(plan.image.clone()),
        image_pull_policy: Some(plan.conf_or("spark.kubernetes.container.image.pullPolicy", "IfNotPresent").to_string()),
        args: Some(args),
        env: Some(env),
        ports: Some({
            let mut ports = vec![port("driver-rpc-port", driver), port("blockmanager", block), port("spark-ui", ui), port("spark-connect", connect)];
            ports.extend(plan.agent.as_ref().map(|a| port("sparkdeck-agent", i32::from(a.port))));
            ports
        }),
        resources: Some(ResourceRequirements {
            limits: Some(limits),
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity(cores.cloned().unwrap_or_else(|| "1".into()))),
                ("memory".to_string(), Quantity(memory)),
            ])),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext { allow_privilege_escalation: Some(false), ..SecurityContext::default() }),
        volume_mounts: Some(vec![
            VolumeMount { name: "spark-local-dir-1".into(), mount_path: plan.local_dir.clone(), ..VolumeMount::default() },
            VolumeMount { name: CONF_VOLUME.into(), mount_path: CONF_DIR.into(), ..VolumeMount::default() },
        ]),
        ..Container::default()
    })
}

/// The overhead factor spark-submit uses: 0.4 for Python drivers, else 0.1.
fn overhead_factor(plan: &K8sDriverPlan) -> String {
    plan.conf
        .get("spark.driver.memoryOverheadFactor")
        .or_else(|| plan.conf.get("spark.kubernetes.memoryOverheadFactor"))
        .cloned()
        .unwrap_or_else(|| if plan.python { "0.4".into() } else { "0.1".into() })
}

/// Heap plus overhead, as spark-submit sizes the driver container.
fn driver_memory_mib(plan: &K8sDriverPlan) -> Result<u64> {
    let heap = mib("spark.driver.memory", plan.conf_or("spark.driver.memory", "1g"))?;
    let overhead = match plan.conf.get("spark.driver.memoryOverhead") {
        Some(value) => mib("spark.driver.memoryOverhead", value)?,
        None => {
            let key = "spark.driver.memoryOverheadFactor";
            let factor: f64 = overhead_factor(plan)
                .trim()
                .parse()
                .ok()
                .filter(|f: &f64| f.is_finite() && *f >= 0.0)
                .ok_or_else(|| EngineError::invalid(key, "is not a non-negative number"))?;
            let minimum = mib("spark.driver.minMemoryOverhead", plan.conf_or("spark.driver.minMemoryOverhead", "384m"))?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let scaled = (factor * heap as f64) as u64;
            scaled.max(minimum)
        }
    };
    Ok(heap + overhead)
}

/// Spark's size strings (`512m`, `2g`, a bare number = MiB) in MiB.
fn mib(key: &str, value: &str) -> Result<u64> {
    let v = value.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let bad = || EngineError::invalid(key, format!("'{value}' is not a size such as 512m or 2g"));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let mib = match unit {
        "" | "m" | "mb" => Some(n),
        "b" => Some(n / (1024 * 1024)),
        "k" | "kb" => Some(n / 1024),
        "g" | "gb" => n.checked_mul(1024),
        "t" | "tb" => n.checked_mul(1024 * 1024),
        _ => None,
    };
    mib.ok_or_else(bad)
}

fn port(plan: &K8sDriverPlan, key: &str, default: i32) -> Result<i32> {
    match plan.conf.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse::<i32>().ok().filter(|p| (1..=65535).contains(p))
            .ok_or_else(|| EngineError::invalid(key, format!("'{v}' is not a port number"))),
    }
}

/// Entries under `prefix` (e.g. `spark.kubernetes.driver.label.`), the prefix removed.
fn prefixed(plan: &K8sDriverPlan, prefix: &str) -> BTreeMap<String, String> {
    plan.conf.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone()))).collect()
}

/// The conf the driver reads: the plan's conf plus what spark-submit derives.
fn spark_properties(plan: &K8sDriverPlan) -> Result<String> {
    let mut conf = plan.conf.clone();
    let derived = [
        ("spark.master", plan.master.clone()),
        ("spark.app.name", plan.app_name.clone()),
        ("spark.app.id", plan.app_id.clone()),
        ("spark.app.submitTime", plan.submit_time_ms.to_string()),
        ("spark.submit.deployMode", "cluster".into()),
        (IMAGE_KEY, plan.conf.get(IMAGE_KEY).cloned().unwrap_or_else(|| plan.image.clone())),
        ("spark.kubernetes.driver.pod.name", plan.pod_name()),
        ("spark.kubernetes.submitInDriver", "true".into()),
        ("spark.kubernetes.resource.type", if plan.python { "python" } else { "java" }.into()),
        ("spark.kubernetes.memoryOverheadFactor", overhead_factor(plan)),
        ("spark.driver.host", format!("{}.{}.svc", plan.service_name(), plan.namespace)),
    ];
    conf.extend(derived.into_iter().map(|(k, v)| (k.to_string(), v)));
    for (key, default) in [("spark.driver.port", "7078"), ("spark.driver.blockManager.port", "7079")] {
        conf.entry(key.into()).or_insert_with(|| default.into());
    }
    conf.entry("spark.submit.pyFiles".into()).or_default();
    if !plan.python {
        // spark-submit lists the application jar after the other jars.
        let jars = conf.get("spark.jars").filter(|j| !j.is_empty()).map(|j| format!("{j},{}", plan.main_resource));
        conf.insert("spark.jars".into(), jars.unwrap_or_else(|| plan.main_resource.clone()));
    }
    for key in conf.keys() {
        if key.contains(['\n', '\r']) {
            return Err(EngineError::invalid("conf", format!("'{key}' is not a property name")));
        }
    }
    let text = properties_text(&format!("Java properties built from Kubernetes config map with name: {}", plan.config_map), &conf);
    Ok(text)
}

/// Lowercase letters, digits and '-', no leading or trailing '-' (Spark's label rule).
pub fn dns_label(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().to_ascii_lowercase().chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    out.trim_end_matches('-').to_string()
}

fn truncate_label(label: &str, max: usize) -> String {
    label.chars().take(max).collect::<String>().trim_end_matches('-').to_string()
}

fn is_dns_label(text: &str) -> bool {
    !text.is_empty() && text.len() <= DNS_LABEL_MAX && dns_label(text) == text
}

fn hex16() -> String {
    format!("{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Kubernetes cluster at `https://k:6443` with these default settings.
    fn k8s_cluster(defaults: BTreeMap<String, String>) -> Cluster {
        Cluster {
            id: "c".into(),
            name: "k".into(),
            description: String::new(),
            cluster_type: crate::model::cluster::ClusterType::K8s,
            spec: crate::model::cluster::ClusterSpec {
                url: "https://k:6443".into(),
                default_application_config: defaults,
                ..Default::default()
            },
            created_time: 0,
            updated_time: 0,
        }
    }

    #[test]
    fn sizes_and_escaping() {
        assert_eq!(mib("k", "2g").unwrap(), 2048);
        assert_eq!(mib("k", "512").unwrap(), 512);
        assert_eq!(mib("k", "1024k").unwrap(), 1);
        assert_eq!(mib("spark.driver.memory", "lots").unwrap_err().field(), Some("spark.driver.memory"));
        assert_eq!(dns_label("  My App_1!! "), "my-app-1");
    }

    #[test]
    fn a_group_drivers_secret_is_in_an_owned_secret_and_referenced() {
        let cluster = k8s_cluster(BTreeMap::from([(IMAGE_KEY.to_string(), "apache/spark:4.3.0".to_string())]));
        let mut plan = K8sDriverPlan::new(&cluster, "g driver", None, "s3a://b/agent.py".into(), vec![], &BTreeMap::new(), true).unwrap();
        assert!(driver_manifests(&plan).unwrap().secret.is_none(), "jobs have no agent Secret");
        plan.env.push(("SPARKDECK_DRIVER_PORT".into(), "7090".into()));
        plan.agent = Some(AgentSpec { port: 7090, secret: Secret::new("s3cr3t") });
        let mut manifests = driver_manifests(&plan).unwrap();
        manifests.owned_by(&plan.pod_name(), "uid-1");
        let pod = serde_json::to_string(&manifests.pod).unwrap();
        let config_map = serde_json::to_string(&manifests.config_map).unwrap();
        assert!(!pod.contains("s3cr3t") && !config_map.contains("s3cr3t"), "{pod}");
        let container = &manifests.pod.spec.as_ref().unwrap().containers[0];
        let env = container.env.as_ref().unwrap();
        let secret_env = env.iter().find(|e| e.name == AGENT_SECRET_ENV).unwrap();
        let reference = secret_env.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
        assert_eq!((reference.name.as_str(), reference.key.as_str()), (plan.secret_name().as_str(), AGENT_SECRET_KEY));
        assert!(env.iter().any(|e| e.name == "SPARKDECK_DRIVER_PORT" && e.value.as_deref() == Some("7090")));
        assert!(container.ports.as_ref().unwrap().iter().any(|p| p.container_port == 7090));
        let secret = manifests.secret.unwrap();
        assert_eq!(secret.data.unwrap()[AGENT_SECRET_KEY].0, b"s3cr3t");
        assert_eq!(secret.metadata.owner_references.unwrap()[0].uid, "uid-1");
    }

    #[test]
    fn the_storage_keys_are_in_the_owned_secret_and_reach_driver_and_executors_by_reference() {
        let cluster = k8s_cluster(BTreeMap::from([(IMAGE_KEY.to_string(), "apache/spark:4.3.0".to_string())]));
        let mut plan = K8sDriverPlan::new(&cluster, "job", Some("Main".into()), "s3a://b/app.jar".into(), vec![], &BTreeMap::new(), false).unwrap();
        plan.s3_credentials = Some(S3Credentials { access_key: "AKIDTEST".into(), secret_key: Secret::new("s3-s3cr3t") });
        let mut manifests = driver_manifests(&plan).unwrap();
        manifests.owned_by(&plan.pod_name(), "uid-2");
        let pod = serde_json::to_string(&manifests.pod).unwrap();
        let properties = &manifests.config_map.data.as_ref().unwrap()[PROPERTIES];
        for value in ["AKIDTEST", "s3-s3cr3t"] {
            assert!(!pod.contains(value) && !properties.contains(value), "{value} in the pod or ConfigMap:\n{pod}\n{properties}");
        }
        let env = manifests.pod.spec.as_ref().unwrap().containers[0].env.clone().unwrap();
        for (name, key) in [(AWS_ACCESS_KEY_ENV, S3_ACCESS_KEY), (AWS_SECRET_KEY_ENV, S3_SECRET_KEY)] {
            let var = env.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name} in {env:?}"));
            let reference = var.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
            assert_eq!((reference.name.as_str(), reference.key.as_str()), (plan.secret_name().as_str(), key));
            let executor_ref = format!("{}{name}={}\\:{key}", EXECUTOR_SECRET_REF, plan.secret_name());
            assert!(properties.contains(&executor_ref), "executors get {name} too: {properties}");
        }
        let secret = manifests.secret.unwrap();
        let data = secret.data.unwrap();
        assert_eq!((data[S3_ACCESS_KEY].0.as_slice(), data[S3_SECRET_KEY].0.as_slice()), (&b"AKIDTEST"[..], &b"s3-s3cr3t"[..]));
        assert!(!data.contains_key(AGENT_SECRET_KEY), "a job has no agent");
        assert_eq!(secret.metadata.owner_references.unwrap()[0].uid, "uid-2", "deleted with the pod");
    }

    #[test]
    fn a_secret_reference_that_is_not_name_colon_key_is_refused_by_field() {
        let cluster = k8s_cluster(BTreeMap::new());
        let conf = BTreeMap::from([
            (IMAGE_KEY.to_string(), "apache/spark:4.3.0".to_string()),
            ("spark.kubernetes.driver.secretKeyRef.TOKEN".to_string(), "no-key".to_string()),
        ]);
        let plan = K8sDriverPlan::new(&cluster, "job", Some("Main".into()), "local:///a.jar".into(), vec![], &conf, false).unwrap();
        assert_eq!(driver_manifests(&plan).unwrap_err().field(), Some("spark.kubernetes.driver.secretKeyRef.TOKEN"));
    }
}
