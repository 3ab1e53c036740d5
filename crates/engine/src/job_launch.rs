//! How a job or a group's driver is launched: the `spark-submit` command line, its
//! environment and, for Python requirements, the cached virtualenv.

use std::collections::BTreeMap;
use std::fs;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::jobs::DRIVER_INFO;
use crate::model::cluster::Cluster;
use crate::model::job::{ArtifactRef, JobRecord, JobType, Language};
use crate::runtime::{LaunchSpec, VenvSpec};
use crate::spark_env::SparkEnv;

/// Spark settings interactive drivers get unless their group or cluster sets them:
/// no UI, and JVM flags that take an idle driver from ~0.72 to ~0.6 GiB.
const DRIVER_DEFAULTS: [(&str, &str); 2] = [
    ("spark.ui.enabled", "false"),
    ("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=64m -Xss512k"),
];

impl Engine {
    pub(crate) fn launch_spec(&self, record: &JobRecord, cluster: &Cluster, env: &SparkEnv) -> Result<LaunchSpec> {
        let dir = self.job_dir(&record.job.job_id);
        let events = dir.join("events");
        fs::create_dir_all(&events).map_err(|e| EngineError::io(format!("cannot create {}", events.display()), e))?;
        let spec = &record.spec;
        let path_list = |sub: &str, refs: &[ArtifactRef]| -> String {
            refs.iter().map(|a| dir.join(sub).join(&a.name).to_string_lossy().into_owned()).collect::<Vec<_>>().join(",")
        };
        let interactive = record.job.job_type == JobType::Interactive;
        let mut conf: BTreeMap<String, String> = cluster.spec.default_application_config.clone();
        conf.extend(spec.config.clone());
        if interactive {
            // Long-running drivers: a leaner JVM (see FACTS.md) unless the user says otherwise.
            for (key, value) in DRIVER_DEFAULTS {
                conf.entry(key.to_string()).or_insert_with(|| value.to_string());
            }
        } else if !conf.contains_key("spark.eventLog.enabled") && !conf.contains_key("spark.eventLog.dir") {
            // The event log's name carries the application id, which marks the job BUSY.
            conf.insert("spark.eventLog.enabled".into(), "true".into());
            conf.insert("spark.eventLog.dir".into(), format!("file:{}", events.display()));
        }
        let mut process_env = vec![("SPARK_HOME".to_string(), env.spark_home.to_string_lossy().into_owned())];
        if let Some(java_home) = &env.java_home {
            process_env.push(("JAVA_HOME".into(), java_home.to_string_lossy().into_owned()));
        }
        let mut venv = None;
        if record.job.language == Language::Python || interactive {
            let python = if spec.requirements.is_empty() {
                env.python.clone()
            } else {
                let v = self.venv_for(&spec.requirements, env)?;
                let python = v.dir.join("bin").join("python");
                venv = Some(v);
                python
            };
            let python = python.to_string_lossy().into_owned();
            conf.entry("spark.pyspark.python".into()).or_insert_with(|| python.clone());
            conf.entry("spark.pyspark.driver.python".into()).or_insert_with(|| python.clone());
            process_env.push(("PYSPARK_PYTHON".into(), python.clone()));
            process_env.push(("PYSPARK_DRIVER_PYTHON".into(), python));
        }
        let mut argv = vec![
            env.spark_submit.to_string_lossy().into_owned(),
            "--master".into(),
            cluster.spark_master(),
            "--name".into(),
            record.job.job_name.clone(),
        ];
        for (key, value) in &conf {
            argv.push("--conf".into());
            argv.push(format!("{key}={value}"));
        }
        let mut driver_jar = Vec::new();
        let (main, extra_jars) = match (interactive, record.job.language) {
            (true, _) => {
                // The driver agent serves the group: every jar and Python file is on its path.
                let (script, jar) = env.driver_agent().map_err(EngineError::Conflict)?;
                let secret = spec.driver_secret.as_ref().ok_or_else(|| EngineError::Conflict("the driver has no secret".into()))?;
                process_env.push(("SPARKDECK_DRIVER_SECRET".into(), secret.expose().to_string()));
                process_env.push(("SPARKDECK_DRIVER_INFO".into(), dir.join(DRIVER_INFO).to_string_lossy().into_owned()));
                driver_jar.push(jar.to_string_lossy().into_owned());
                if !spec.py_files.is_empty() {
                    argv.extend(["--py-files".into(), path_list("pyfiles", &spec.py_files)]);
                }
                (script, &spec.jars[..])
            }
            (false, Language::Python) => {
                let (main, rest) = spec.py_files.split_first().ok_or_else(|| EngineError::invalid("pyFiles", "is required"))?;
                if !rest.is_empty() {
                    argv.extend(["--py-files".into(), path_list("pyfiles", rest)]);
                }
                (dir.join("pyfiles").join(&main.name), &spec.jars[..])
            }
            (false, Language::Scala) => {
                let (main, rest) = spec.jars.split_first().ok_or_else(|| EngineError::invalid("jars", "is required"))?;
                let class = spec.job_class.clone().ok_or_else(|| EngineError::invalid("jobClass", "is required"))?;
                argv.extend(["--class".into(), class]);
                (dir.join("jars").join(&main.name), rest)
            }
        };
        if !extra_jars.is_empty() || !driver_jar.is_empty() {
            if !extra_jars.is_empty() {
                driver_jar.push(path_list("jars", extra_jars));
            }
            argv.extend(["--jars".into(), driver_jar.join(",")]);
        }
        if !spec.files.is_empty() {
            argv.extend(["--files".into(), path_list("files", &spec.files)]);
        }
        argv.push(main.to_string_lossy().into_owned());
        argv.extend(spec.args.iter().cloned());
        Ok(LaunchSpec {
            argv,
            env: process_env,
            work_dir: dir.clone(),
            stdout: dir.join("stdout.log"),
            stderr: dir.join("stderr.log"),
            exit_file: dir.join("exit-code"),
            venv,
        })
    }

    /// The cached virtualenv for one requirement set (built by the job's wrapper when
    /// missing): `<data dir>/venvs/<hash of the sorted requirements>`.
    fn venv_for(&self, requirements: &[String], env: &SparkEnv) -> Result<VenvSpec> {
        let mut sorted = requirements.to_vec();
        sorted.sort();
        sorted.dedup();
        let text = sorted.join("\n") + "\n";
        let key = hex::encode(Sha256::digest(text.as_bytes()));
        let root = self.data_dir().join("venvs");
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
