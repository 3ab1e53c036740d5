//! `packages` for drivers that no spark-submit on this machine starts (Kubernetes pods,
//! standalone cluster-mode submissions): the engine resolves them into the same cache the
//! local wrapper fills (`runtime/local.rs`, same layout and marker), with this machine's
//! Spark, before the launch; the runtime then ships the jars like the job's own.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::runtime::job_dir::{PACKAGES_PROBE, PACKAGES_PROPERTIES};
use crate::runtime::local::{PACKAGES_COMPLETE, PACKAGES_TIMEOUT};
use crate::runtime::{DriverPlan, PackagesSpec, properties};
use crate::spark_env::SparkEnv;

impl Engine {
    /// The resolved jars of `packages`, resolving them first when the cache has no whole
    /// entry for the set. Ivy's output goes to the job's stderr log, as it would locally.
    pub(crate) async fn resolve_packages_here(&self, packages: &PackagesSpec, env: &SparkEnv, plan: &DriverPlan) -> Result<Vec<PathBuf>> {
        if !packages.dir.join(PACKAGES_COMPLETE).is_file() {
            resolve(packages, env, plan).await?;
        }
        resolved_jars(&packages.dir)
    }
}

async fn resolve(packages: &PackagesSpec, env: &SparkEnv, plan: &DriverPlan) -> Result<()> {
    let io = |what: String| move |e| EngineError::io(what, e);
    let settings = plan.job_dir.join(PACKAGES_PROPERTIES);
    properties::write_private_properties(&settings, &packages.conf).map_err(io(format!("cannot write {}", settings.display())))?;
    let probe = plan.job_dir.join(PACKAGES_PROBE);
    fs::write(&probe, "# Sparkdeck: an empty main, run only to resolve the job's packages\n").map_err(io(format!("cannot write {}", probe.display())))?;
    let log = File::options().create(true).append(true).open(plan.stderr()).map_err(io(format!("cannot open {}", plan.stderr().display())))?;
    // `<key>.tmp.<pid>.<unique>`: group drivers may resolve the same set at once; what a
    // crashed engine left is removed at open (its pid is gone).
    let temp = packages.dir.with_file_name(format!("{}.tmp.{}.{}", file_name(&packages.dir), std::process::id(), uuid::Uuid::new_v4().simple()));
    let _ = fs::remove_dir_all(&temp);
    let mut command = tokio::process::Command::new(&env.spark_submit);
    command
        .args(["--master", "local[1]", "--properties-file"])
        .arg(&settings)
        .arg("--conf")
        .arg(format!("spark.jars.ivy={}", temp.display()))
        .arg(&probe)
        .current_dir(&plan.job_dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(io("cannot share the log".into()))?)
        .stderr(log)
        .env("SPARK_HOME", &env.spark_home)
        .kill_on_drop(true);
    if let Some(java_home) = &env.java_home {
        command.env("JAVA_HOME", java_home);
    }
    let failed = |why: String| {
        let _ = fs::remove_dir_all(&temp);
        EngineError::Unavailable(format!("could not resolve the packages {} ({why}; Ivy's report is in driver-stderr)", packages.coordinates))
    };
    let mut child = command.spawn().map_err(io("cannot start spark-submit to resolve the packages".into()))?;
    let status = match tokio::time::timeout(PACKAGES_TIMEOUT, child.wait()).await {
        Ok(status) => status.map_err(io("cannot wait for the packages' resolution".into()))?,
        Err(_) => return Err(failed(format!("not done within {} s", PACKAGES_TIMEOUT.as_secs()))),
    };
    if !status.success() {
        let unresolved = unresolved_line(&plan.stderr()).unwrap_or_else(|| format!("spark-submit exited with {status}"));
        return Err(failed(unresolved));
    }
    if resolved_jars(&temp).map(|jars| jars.is_empty()).unwrap_or(true) {
        return Err(failed("Ivy retrieved no jar".into()));
    }
    File::create(temp.join(PACKAGES_COMPLETE)).map_err(io(format!("cannot mark {} complete", temp.display())))?;
    // Another launch may have put the same set in place meanwhile: keep that one.
    if fs::rename(&temp, &packages.dir).is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The jars of a cache entry (Ivy's `jars/`), in name order.
fn resolved_jars(dir: &Path) -> Result<Vec<PathBuf>> {
    let jars = dir.join("jars");
    let entries = fs::read_dir(&jars).map_err(|e| EngineError::io(format!("cannot read {}", jars.display()), e))?;
    let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "jar")).collect();
    found.sort();
    Ok(found)
}

/// Spark's one-line verdict (`[unresolved dependency: g#a;v: not found]`), if it printed one.
fn unresolved_line(stderr: &Path) -> Option<String> {
    let text = crate::log_index::tail_text(stderr, 64 * 1024);
    text.lines().rev().find(|l| l.contains("unresolved dependency")).map(|l| l.trim().to_string())
}
