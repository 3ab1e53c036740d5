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
use crate::runtime::job_dir::DRIVER_INFO;
use crate::runtime::local::EVENTS_DIR;
use crate::runtime::{DriverPlan, VenvSpec};
use crate::spark_env::SparkEnv;

/// Spark settings interactive drivers get unless their group or cluster sets them:
/// no UI, and JVM flags that take an idle driver from ~0.72 to ~0.6 GiB.
const DRIVER_DEFAULTS: [(&str, &str); 2] = [
    ("spark.ui.enabled", "false"),
    ("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=64m -Xss512k"),
];

impl Engine {
    /// The plan for a job's driver. `env` is this machine's Spark, for runtimes that run
    /// `spark-submit` here; without it (Kubernetes) nothing that points at this machine
    /// (event log directory, Python interpreter, virtualenv) goes into the conf.
    pub(crate) fn driver_plan(&self, record: &JobRecord, cluster: &Cluster, env: Option<&SparkEnv>) -> Result<DriverPlan> {
        let dir = self.job_dir(&record.job.job_id);
        let events = dir.join(EVENTS_DIR);
        fs::create_dir_all(&events).map_err(|e| EngineError::io(format!("cannot create {}", events.display()), e))?;
        let spec = &record.spec;
        let paths = |sub: &str, refs: &[ArtifactRef]| -> Vec<PathBuf> { refs.iter().map(|a| dir.join(sub).join(&a.name)).collect() };
        let interactive = record.job.job_type == JobType::Interactive;
        let mut conf: BTreeMap<String, String> = cluster.spec.default_application_config.clone();
        conf.extend(spec.config.clone());
        if interactive {
            // Long-running drivers: a leaner JVM (measured: ~0.72 → ~0.6 GiB idle) unless the user says otherwise.
            for (key, value) in DRIVER_DEFAULTS {
                conf.entry(key.to_string()).or_insert_with(|| value.to_string());
            }
        } else if env.is_some() && !conf.contains_key("spark.eventLog.enabled") && !conf.contains_key("spark.eventLog.dir") {
            // The event log's name carries the application id, which marks the job BUSY.
            conf.insert("spark.eventLog.enabled".into(), "true".into());
            conf.insert("spark.eventLog.dir".into(), format!("file:{}", events.display()));
        }
        let python = record.job.language == Language::Python;
        let Some(env) = env else {
            return self.remote_plan(record, cluster, conf, dir.clone());
        };
        let mut process_env = vec![("SPARK_HOME".to_string(), env.spark_home.to_string_lossy().into_owned())];
        if let Some(java_home) = &env.java_home {
            process_env.push(("JAVA_HOME".into(), java_home.to_string_lossy().into_owned()));
        }
        let mut venv = None;
        if python || interactive {
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
        let mut jars = Vec::new();
        let (main, main_class, py_files, extra_jars) = match (interactive, record.job.language) {
            (true, _) => {
                // The driver agent serves the group: every jar and Python file is on its path.
                let (script, jar) = env.driver_agent().map_err(EngineError::Unavailable)?;
                let secret = spec.driver_secret.as_ref().ok_or_else(|| EngineError::Conflict("the driver has no secret".into()))?;
                process_env.push(("SPARKDECK_DRIVER_SECRET".into(), secret.expose().to_string()));
                process_env.push(("SPARKDECK_DRIVER_INFO".into(), dir.join(DRIVER_INFO).to_string_lossy().into_owned()));
                jars.push(jar);
                (script, None, paths(PY_FILES_DIR, &spec.py_files), &spec.jars[..])
            }
            (false, Language::Python) => {
                let (main, rest) = spec.py_files.split_first().ok_or_else(|| EngineError::invalid("pyFiles", "is required"))?;
                (dir.join(PY_FILES_DIR).join(&main.name), None, paths(PY_FILES_DIR, rest), &spec.jars[..])
            }
            (false, Language::Scala) => {
                let (main, rest) = spec.jars.split_first().ok_or_else(|| EngineError::invalid("jars", "is required"))?;
                let class = spec.job_class.clone().ok_or_else(|| EngineError::invalid("jobClass", "is required"))?;
                (dir.join(JARS_DIR).join(&main.name), Some(class), Vec::new(), rest)
            }
        };
        jars.extend(paths(JARS_DIR, extra_jars));
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
            spark_submit: env.spark_submit.clone(),
            env: process_env,
            venv,
            job_dir: dir,
        })
    }

    /// The plan of a driver that runs on the cluster, not on this machine: the job's own
    /// files and conf only (no path of this machine). A group driver runs the agent
    /// script, with its `ilum` package as a zip and its jar, listening on the pod's network
    /// at a fixed port. `pyRequirements` need a virtualenv built here: refused by name.
    fn remote_plan(&self, record: &JobRecord, cluster: &Cluster, conf: BTreeMap<String, String>, dir: PathBuf) -> Result<DriverPlan> {
        let spec = &record.spec;
        if !spec.requirements.is_empty() {
            return Err(remote_requirements_error(cluster.cluster_type.as_str()));
        }
        let paths = |sub: &str, refs: &[ArtifactRef]| -> Vec<PathBuf> { refs.iter().map(|a| dir.join(sub).join(&a.name)).collect() };
        let interactive = record.job.job_type == JobType::Interactive;
        let mut env = Vec::new();
        let (main, main_class, py_files, jars) = match record.job.language {
            _ if interactive => {
                let (script, jar) = crate::spark_env::driver_agent_files().map_err(EngineError::Unavailable)?;
                let secret = spec.driver_secret.as_ref().ok_or_else(|| EngineError::Conflict("the driver has no secret".into()))?;
                let package = dir.join(AGENT_DIR).join(AGENT_PACKAGE_ZIP);
                let source = script.parent().map(|d| d.join(AGENT_PACKAGE)).unwrap_or_default();
                zip_dir(&source, AGENT_PACKAGE, &package)
                    .map_err(|e| EngineError::io(format!("cannot pack the driver agent's {} into {}", source.display(), package.display()), e))?;
                env.push(("SPARKDECK_DRIVER_SECRET".to_string(), secret.expose().to_string()));
                env.push(("SPARKDECK_DRIVER_PORT".into(), crate::runtime::k8s::runtime::AGENT_PORT.to_string()));
                // The pod's own network: the port-forward arrives there, not on loopback.
                env.push(("SPARKDECK_DRIVER_HOST".into(), "0.0.0.0".into()));
                let mut py_files = vec![package];
                py_files.extend(paths(PY_FILES_DIR, &spec.py_files));
                let mut jars = vec![jar];
                jars.extend(paths(JARS_DIR, &spec.jars));
                (script, None, py_files, jars)
            }
            Language::Python => {
                let (main, rest) = spec.py_files.split_first().ok_or_else(|| EngineError::invalid("pyFiles", "is required"))?;
                (dir.join(PY_FILES_DIR).join(&main.name), None, paths(PY_FILES_DIR, rest), paths(JARS_DIR, &spec.jars))
            }
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
            // The agent is a Python driver whatever the group's language.
            python: interactive || record.job.language == Language::Python,
            interactive,
            spark_submit: PathBuf::new(),
            env,
            venv: None,
            job_dir: dir,
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

/// `pyRequirements` on a cluster whose drivers do not run on this machine.
pub(crate) fn remote_requirements_error(kind: &str) -> EngineError {
    EngineError::invalid(
        "pyRequirements",
        format!("are not supported on {kind} clusters yet (the virtualenv is built on this machine): install the packages into the image (spark.kubernetes.container.image) instead"),
    )
}

/// Where a remote group driver's packed agent package goes in its job directory.
const AGENT_DIR: &str = "agent";
/// The package job code imports (`ilum.api`), beside the agent script.
const AGENT_PACKAGE: &str = "ilum";
const AGENT_PACKAGE_ZIP: &str = "ilum.zip";

/// Packs the files under `source` (no bytecode caches) into a zip at `out`, each named
/// `<prefix>/<relative path>`, for a driver's `spark.submit.pyFiles`. Stored, not
/// compressed (a few small files), with fixed dates: the same files give the same bytes.
fn zip_dir(source: &std::path::Path, prefix: &str, out: &std::path::Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    let mut pending = vec![source.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name == "__pycache__" || name.ends_with(".pyc") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(source) {
                let relative: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                files.push((format!("{prefix}/{}", relative.join("/")), path));
            }
        }
    }
    files.sort();
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)?;
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, path) in files {
        zip.start_file(name, options).map_err(std::io::Error::other)?;
        std::io::Write::write_all(&mut zip, &fs::read(&path)?)?;
    }
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    fs::write(out, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_package_zips_so_python_can_import_it() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("ilum");
        fs::create_dir_all(source.join("sub")).unwrap();
        fs::create_dir_all(source.join("__pycache__")).unwrap();
        fs::write(source.join("__init__.py"), "").unwrap();
        fs::write(source.join("sub/__init__.py"), "").unwrap();
        fs::write(source.join("sub/mod.py"), "VALUE = 42\n").unwrap();
        fs::write(source.join("__pycache__/x.pyc"), "junk").unwrap();
        let out = dir.path().join("out/ilum.zip");
        zip_dir(&source, "ilum", &out).unwrap();
        let bytes = fs::read(&out).unwrap();
        zip_dir(&source, "ilum", &out).unwrap();
        assert_eq!(fs::read(&out).unwrap(), bytes, "the same files give the same zip");
        let python = std::process::Command::new("python3")
            .args(["-c", "import sys, zipfile; sys.path.insert(0, sys.argv[1]); import ilum.sub.mod as m; \
                print(m.VALUE, sorted(zipfile.ZipFile(sys.argv[1]).namelist()))"])
            .arg(&out)
            .output()
            .expect("python3 runs (Spark's drivers need it too)");
        let stdout = String::from_utf8_lossy(&python.stdout);
        assert_eq!(stdout.trim(), "42 ['ilum/__init__.py', 'ilum/sub/__init__.py', 'ilum/sub/mod.py']", "{}", String::from_utf8_lossy(&python.stderr));
    }
}
