//! What a job or a group's driver is launched with: its [`DriverPlan`] (Spark conf,
//! main resource, paths, environment) and, for Python requirements, the cached virtualenv.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::artifacts::{FILES_DIR, JARS_DIR, PY_FILES_DIR};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::cluster::Cluster;
use crate::model::job::{ArtifactRef, JobRecord, JobType, Language};
use crate::runtime::event_log::event_log_conf;
use crate::model::group::INTERPRETERS_KEY;
use crate::runtime::job_dir::{AGENT_INTERPRETERS_ENV, AGENT_LEASE_ENV};
use crate::model::packages::packages_key;
use crate::runtime::local::{EVENTS_DIR, PACKAGES_DIR, VENVS_DIR};
use crate::runtime::{DriverPlan, PackagesSpec, VenvSpec};
use crate::spark_env::SparkEnv;

/// Spark settings interactive drivers get unless their group or cluster sets them: JVM
/// flags that take an idle driver from ~0.72 to ~0.6 GiB. (The Spark UI is on, as for
/// single jobs; `spark.ui.enabled=false` in the group's conf saves its memory.)
const DRIVER_DEFAULTS: [(&str, &str); 1] = [
    ("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=64m -Xss512k"),
];

impl Engine {
    /// The plan for a job's driver. `env` is this machine's Spark, for runtimes that run
    /// `spark-submit` here; without it (Kubernetes) nothing that points at this machine
    /// (event log directory, Python interpreter, virtualenv) goes into the conf, and
    /// `pyRequirements` (a virtualenv built here) are refused by name.
    pub(crate) fn driver_plan(&self, record: &JobRecord, cluster: &Cluster, env: Option<&SparkEnv>) -> Result<DriverPlan> {
        let dir = self.job_dir(&record.job.job_id);
        let events = dir.join(EVENTS_DIR);
        fs::create_dir_all(&events).map_err(|e| EngineError::io(format!("cannot create {}", events.display()), e))?;
        let spec = &record.spec;
        let interactive = record.job.job_type == JobType::Interactive;
        let mut conf: BTreeMap<String, String> = cluster.spec.default_application_config.clone();
        conf.extend(spec.config.clone());
        // Checked against the job's own config when submitted; over the cluster's defaults.
        spec.memory.apply_to(&mut conf);
        if interactive {
            // Long-running drivers: a leaner JVM (measured: ~0.72 → ~0.6 GiB idle) unless
            // the user says otherwise.
            for (key, value) in DRIVER_DEFAULTS {
                conf.entry(key.to_string()).or_insert_with(|| value.to_string());
            }
        }
        if env.is_some() && !conf.contains_key("spark.eventLog.enabled") && !conf.contains_key("spark.eventLog.dir") {
            // Kept with the job for the History Server. A single job's log's name carries
            // the application id, which marks the job BUSY; a group driver's rolls (and is
            // bounded by the task that polls it: `runtime/event_log.rs`).
            for (key, value) in event_log_conf(&format!("file:{}", events.display()), interactive) {
                conf.insert(key.into(), value);
            }
        }
        let loopback_driver = env.is_some() && drives_on_loopback(&cluster.spark_master());
        if env.is_some() {
            pick_ui_port(&mut conf);
        }
        if env.is_none() && !spec.requirements.is_empty() {
            return Err(remote_requirements_error(cluster.cluster_type.as_str()));
        }
        // Without a local spark-submit, `launch_on` resolves them here instead.
        let packages = match env {
            Some(env) if !spec.packages.is_empty() => Some(self.packages_for(&spec.packages, &conf, env)?),
            _ => None,
        };
        // The agent is a Python driver whatever the group's language.
        let python = interactive || record.job.language == Language::Python;
        let mut process_env = Vec::new();
        let mut venv = None;
        if let Some(env) = env {
            process_env.push(("SPARK_HOME".to_string(), env.spark_home.to_string_lossy().into_owned()));
            if let Some(java_home) = &env.java_home {
                process_env.push(("JAVA_HOME".into(), java_home.to_string_lossy().into_owned()));
            }
            if loopback_driver {
                // Spark binds its UI to SPARK_LOCAL_IP, else to every interface (0.0.0.0).
                process_env.push(("SPARK_LOCAL_IP".into(), "127.0.0.1".into()));
            }
            if python {
                let python = match spec.requirements.is_empty() {
                    true => env.python.clone(),
                    false => {
                        let v = self.venv_for(&spec.requirements, env)?;
                        let python = v.dir.join("bin").join("python");
                        venv = Some(v);
                        python
                    }
                };
                let python = python.to_string_lossy().into_owned();
                conf.entry("spark.pyspark.python".into()).or_insert_with(|| python.clone());
                conf.entry("spark.pyspark.driver.python".into()).or_insert_with(|| python.clone());
                process_env.push(("PYSPARK_PYTHON".into(), python.clone()));
                process_env.push(("PYSPARK_DRIVER_PYTHON".into(), python));
            }
        }
        let paths = |sub: &str, refs: &[ArtifactRef]| -> Vec<PathBuf> { refs.iter().map(|a| dir.join(sub).join(&a.name)).collect() };
        let mut agent_secret = None;
        let (main, main_class, py_files, jars) = match record.job.language {
            _ if interactive => {
                // The driver agent serves the group: every jar and Python file is on its path.
                let (script, jar) = match env {
                    Some(env) => env.driver_agent(),
                    None => crate::spark_env::driver_agent_files(),
                }
                .map_err(EngineError::Unavailable)?;
                let secret = spec.driver_secret.clone().ok_or_else(|| EngineError::Internal("a group driver has no secret".into()))?;
                agent_secret = Some(secret);
                // Plain environment reaches the agent on every runtime (a pod's env too).
                process_env.push((AGENT_LEASE_ENV.to_string(), self.config().driver_lease.as_secs().to_string()));
                // Ours, not Spark's: the interpreters the group's launch worked out.
                if let Some(interpreters) = conf.remove(INTERPRETERS_KEY) {
                    process_env.push((AGENT_INTERPRETERS_ENV.to_string(), interpreters));
                }
                let mut jars = vec![jar];
                jars.extend(paths(JARS_DIR, &spec.jars));
                (script, None, paths(PY_FILES_DIR, &spec.py_files), jars)
            }
            Language::Python => {
                let (main, rest) = spec.py_files.split_first().ok_or_else(|| EngineError::invalid("pyFiles", "is required"))?;
                (dir.join(PY_FILES_DIR).join(&main.name), None, paths(PY_FILES_DIR, rest), paths(JARS_DIR, &spec.jars))
            }
            Language::Sql => return Err(EngineError::invalid("language", "SQL runs only as cells of a CODE group")),
            Language::Scala => {
                let (main, rest) = spec.jars.split_first().ok_or_else(|| EngineError::invalid("jars", "is required"))?;
                let class = spec.job_class.clone().ok_or_else(|| EngineError::invalid("jobClass", "is required"))?;
                (dir.join(JARS_DIR).join(&main.name), Some(class), Vec::new(), paths(JARS_DIR, rest))
            }
        };
        Ok(DriverPlan {
            app_name: record.job.job_name.clone(),
            master: cluster.spark_master(),
            conf,
            main,
            main_class,
            args: spec.args.clone(),
            jars,
            py_files,
            files: paths(FILES_DIR, &spec.files),
            python,
            interactive,
            agent_secret,
            spark_submit: env.map(|e| e.spark_submit.clone()).unwrap_or_default(),
            env: process_env,
            venv,
            packages,
            job_dir: dir,
        })
    }

    /// The package cache entry for one coordinate set (resolved by the job's wrapper when
    /// missing): `<data dir>/packages/<key>`, and the settings its resolution runs with —
    /// the coordinates and the repositories and Ivy settings the job names.
    pub(crate) fn packages_for(&self, packages: &[String], conf: &BTreeMap<String, String>, env: &SparkEnv) -> Result<PackagesSpec> {
        let root = self.data_dir().join(PACKAGES_DIR);
        fs::create_dir_all(&root).map_err(|e| EngineError::io(format!("cannot create {}", root.display()), e))?;
        let python = env.python.to_string_lossy().into_owned();
        let mut resolve_conf = BTreeMap::from([
            ("spark.jars.packages".to_string(), packages.join(",")),
            ("spark.ui.enabled".to_string(), "false".to_string()),
            ("spark.pyspark.python".to_string(), python.clone()),
            ("spark.pyspark.driver.python".to_string(), python),
        ]);
        for key in RESOLUTION_KEYS {
            if let Some(value) = conf.get(key) {
                resolve_conf.insert(key.to_string(), value.clone());
            }
        }
        Ok(PackagesSpec { dir: root.join(packages_key(packages)), coordinates: packages.join(","), conf: resolve_conf })
    }

    /// The cached virtualenv for one requirement set (built by the job's wrapper when
    /// missing): `<data dir>/venvs/<hash of the sorted requirements>`.
    fn venv_for(&self, requirements: &[String], env: &SparkEnv) -> Result<VenvSpec> {
        let mut sorted = requirements.to_vec();
        sorted.sort();
        sorted.dedup();
        let text = sorted.join("\n") + "\n";
        let key = hex::encode(Sha256::digest(text.as_bytes()));
        let root = self.data_dir().join(VENVS_DIR);
        fs::create_dir_all(&root).map_err(|e| EngineError::io(format!("cannot create {}", root.display()), e))?;
        let requirements_file = root.join(format!("{}.txt", &key[..16]));
        if !requirements_file.exists() {
            let temp = root.join(format!(".{}.{}.tmp", &key[..16], Uuid::new_v4()));
            fs::write(&temp, &text)
                .and_then(|()| fs::rename(&temp, &requirements_file))
                .map_err(|e| EngineError::io("cannot write the requirements file", e))?;
        }
        Ok(VenvSpec { dir: root.join(&key[..16]), base_python: env.python.clone(), requirements_file })
    }
}

/// Gives a driver started from this machine a free loopback UI port, unless its settings
/// name one or turn the UI off; without it every driver after the first would try 4040
/// and then the next ports. Which port it bound is read from its log
/// (`runtime::spark_ui`), as the pick is not a reservation.
fn pick_ui_port(conf: &mut BTreeMap<String, String>) {
    let disabled = conf.get("spark.ui.enabled").is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
    if disabled || conf.contains_key("spark.ui.port") {
        return;
    }
    if let Some(port) = crate::runtime::spark_ui::pick_free_port() {
        conf.insert("spark.ui.port".into(), port.to_string());
    }
}

/// Whether the driver and its cluster are all on this machine's loopback (local mode, or a
/// standalone master at 127.0.0.1/localhost), so the driver may bind there only.
fn drives_on_loopback(master: &str) -> bool {
    if master.starts_with("local") {
        return true;
    }
    let host = master.strip_prefix("spark://").and_then(|rest| rest.split([':', '/', ',']).next()).unwrap_or("");
    matches!(host, "127.0.0.1" | "localhost")
}

/// The job settings that change how packages resolve.
const RESOLUTION_KEYS: [&str; 3] = ["spark.jars.repositories", "spark.jars.ivySettings", "spark.jars.excludes"];

/// `packages` for a driver started elsewhere, while this machine has no Spark to resolve them.
pub(crate) fn packages_need_local_spark(kind: &str, why: &str) -> EngineError {
    EngineError::invalid(
        "packages",
        format!("are resolved with Spark on this machine before the job goes to the {kind} cluster, and none was found ({why}): put the jars in `jars` instead"),
    )
}

/// `pyRequirements` on a cluster whose drivers do not run on this machine.
pub(crate) fn remote_requirements_error(kind: &str) -> EngineError {
    EngineError::invalid(
        "pyRequirements",
        format!("are not supported on {kind} clusters yet (the virtualenv is built on this machine): install the packages into the image (spark.kubernetes.container.image) instead"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ui_port_is_picked_unless_the_settings_name_one_or_turn_the_ui_off() {
        let mut conf = BTreeMap::new();
        pick_ui_port(&mut conf);
        let port: u16 = conf["spark.ui.port"].parse().unwrap();
        assert!(port > 0);
        for (key, value) in [("spark.ui.port", "4555"), ("spark.ui.enabled", " FALSE")] {
            let mut conf = BTreeMap::from([(key.to_string(), value.to_string())]);
            pick_ui_port(&mut conf);
            assert_eq!(conf.len(), 1, "{key}={value}: {conf:?}");
        }
    }

    #[test]
    fn only_drivers_whose_cluster_is_on_loopback_bind_there() {
        for master in ["local[2]", "local", "spark://127.0.0.1:7077", "spark://localhost:7077"] {
            assert!(drives_on_loopback(master), "{master}");
        }
        for master in ["spark://10.0.0.5:7077", "spark://127.0.0.1.example.com:7077", "k8s://https://x", ""] {
            assert!(!drives_on_loopback(master), "{master}");
        }
    }
}
