//! Where drivers run. The cluster's type picks one [`ClusterRuntime`]; everything above
//! this trait (jobs, groups, recovery, logs) is the same for every cluster type.
//!
//! A runtime launches a [`DriverPlan`], reports what it launched as a [`DriverRef`] (stored
//! with the job so recovery can find it again), answers [`ClusterRuntime::poll`] with the
//! driver's [`Liveness`] and stops it. Logs always land in the job's directory under the
//! same names (see [`job_dir`]), whoever produced them.

pub mod k8s;
pub(crate) mod event_log;
pub(crate) mod job_dir;
pub(crate) mod local;
pub(crate) mod properties;
pub(crate) mod spark_ui;
#[cfg(feature = "testing")]
pub mod scripted;
pub(crate) mod standalone;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::model::cluster::{Cluster, ClusterType};
pub(crate) use crate::model::driver::DriverRef;

/// Everything needed to start one driver, resolved to paths and settings; each runtime
/// turns it into what its cluster takes (a command line, a REST submission, a pod).
/// Its `Debug` masks secret settings, so no log line can show them.
#[derive(Clone)]
pub(crate) struct DriverPlan {
    pub(crate) app_name: String,
    /// `--master` for this cluster.
    pub(crate) master: String,
    pub(crate) conf: BTreeMap<String, String>,
    /// The jar, the Python script or the driver agent.
    pub(crate) main: PathBuf,
    pub(crate) main_class: Option<String>,
    pub(crate) args: Vec<String>,
    pub(crate) jars: Vec<PathBuf>,
    pub(crate) py_files: Vec<PathBuf>,
    pub(crate) files: Vec<PathBuf>,
    /// Picks the deploy mode on standalone and the image's Python setup on Kubernetes.
    pub(crate) python: bool,
    /// A long-running group driver (client mode wherever it runs).
    pub(crate) interactive: bool,
    /// A group driver's agent secret; each runtime hands it over its own way (an
    /// environment variable here, a Secret the pod reads on Kubernetes).
    pub(crate) agent_secret: Option<crate::model::secret::Secret>,
    pub(crate) spark_submit: PathBuf,
    pub(crate) env: Vec<(String, String)>,
    /// A virtualenv to build (when missing) before the driver starts.
    pub(crate) venv: Option<VenvSpec>,
    /// Maven packages to resolve into their cache (when missing) before the driver starts.
    pub(crate) packages: Option<PackagesSpec>,
    pub(crate) job_dir: PathBuf,
}

impl DriverPlan {
    /// `spark-submit` and its arguments, for drivers started on this machine. The Spark
    /// settings are not among them: they are in [`Self::properties_file`] (0600), written
    /// by [`Self::write_properties`], because a command line is readable by every user.
    /// `--load-spark-defaults` keeps `conf/spark-defaults.conf` under them, as without
    /// `--properties-file`.
    pub(crate) fn spark_submit_argv(&self) -> Vec<String> {
        let join = |paths: &[PathBuf]| paths.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join(",");
        let mut argv = vec![
            self.spark_submit.to_string_lossy().into_owned(),
            "--master".into(),
            self.master.clone(),
            "--name".into(),
            self.app_name.clone(),
        ];
        argv.extend(["--properties-file".into(), self.properties_file().to_string_lossy().into_owned(), "--load-spark-defaults".into()]);
        if let Some(class) = &self.main_class {
            argv.extend(["--class".into(), class.clone()]);
        }
        // The wrapper resolves packages into their cache before spark-submit expands this glob.
        let jars: Vec<PathBuf> = self.jars.iter().cloned().chain(self.packages.as_ref().map(PackagesSpec::jars_glob)).collect();
        for (flag, paths) in [("--py-files", &self.py_files), ("--jars", &jars), ("--files", &self.files)] {
            if !paths.is_empty() {
                argv.extend([flag.to_string(), join(paths)]);
            }
        }
        argv.push(self.main.to_string_lossy().into_owned());
        argv.extend(self.args.iter().cloned());
        argv
    }

    pub(crate) fn properties_file(&self) -> PathBuf {
        self.job_dir.join(job_dir::SPARK_PROPERTIES)
    }

    /// Writes the settings spark-submit reads, before it starts (and those of the
    /// packages' resolution, with its empty main script).
    pub(crate) fn write_properties(&self) -> Result<()> {
        let write = |path: PathBuf, conf: &BTreeMap<String, String>| {
            properties::write_private_properties(&path, conf)
                .map_err(|e| crate::error::EngineError::io(format!("cannot write the Spark settings to {}", path.display()), e))
        };
        write(self.properties_file(), &self.conf)?;
        if let Some(packages) = &self.packages {
            write(self.job_dir.join(job_dir::PACKAGES_PROPERTIES), &packages.conf)?;
            let probe = self.job_dir.join(job_dir::PACKAGES_PROBE);
            std::fs::write(&probe, "# Sparkdeck: an empty main, run only to resolve the job's packages\n")
                .map_err(|e| crate::error::EngineError::io(format!("cannot write {}", probe.display()), e))?;
        }
        Ok(())
    }

    pub(crate) fn stdout(&self) -> PathBuf {
        self.job_dir.join(job_dir::DRIVER_STDOUT)
    }

    pub(crate) fn stderr(&self) -> PathBuf {
        self.job_dir.join(job_dir::DRIVER_STDERR)
    }

    pub(crate) fn exit_file(&self) -> PathBuf {
        self.job_dir.join(job_dir::EXIT_FILE)
    }
    pub(crate) fn launch_mark(&self) -> PathBuf {
        self.job_dir.join(job_dir::LAUNCH_MARK)
    }
}

impl std::fmt::Debug for DriverPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverPlan")
            .field("app_name", &self.app_name)
            .field("master", &self.master)
            .field("conf", &crate::model::secret::mask_settings(&self.conf))
            .field("main", &self.main)
            .field("main_class", &self.main_class)
            .field("args", &self.args)
            .field("jars", &self.jars)
            .field("py_files", &self.py_files)
            .field("files", &self.files)
            .field("python", &self.python)
            .field("interactive", &self.interactive)
            .field("agent_secret", &self.agent_secret)
            .field("spark_submit", &self.spark_submit)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("venv", &self.venv)
            .field("packages", &self.packages.as_ref().map(|p| (&p.dir, &p.coordinates)))
            .field("job_dir", &self.job_dir)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct VenvSpec {
    pub(crate) dir: PathBuf,
    pub(crate) base_python: PathBuf,
    pub(crate) requirements_file: PathBuf,
}

/// A coordinate set's entry in the package cache and what resolving it takes. In a plan,
/// the local wrapper resolves it and `--jars` takes the jars from there.
#[derive(Clone)]
pub(crate) struct PackagesSpec {
    /// `<data dir>/packages/<key>`: Ivy's `jars/` and `cache/`, whole once
    /// `.sparkdeck-complete` (written last, before it is renamed into place) is there.
    pub(crate) dir: PathBuf,
    /// For messages: the coordinates, comma-joined.
    pub(crate) coordinates: String,
    /// The resolution's Spark settings (repositories may carry credentials: a 0600 file).
    pub(crate) conf: BTreeMap<String, String>,
}

impl PackagesSpec {
    /// The resolved jars, as a glob `spark-submit --jars` expands.
    pub(crate) fn jars_glob(&self) -> PathBuf {
        self.dir.join("jars").join("*.jar")
    }
}

/// A launched driver: what recovery needs, and (when this process started it) the child
/// to reap, whose end wakes the follower early.
pub(crate) struct Launched {
    pub(crate) driver: DriverRef,
    pub(crate) child: Option<tokio::process::Child>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Still running; the Spark application id once known.
    Running { app_id: Option<String> },
    Ended(Exit),
}

/// What a launch whose `DriverRef` was never recorded left behind (a crash, or a write
/// that failed, between committing STARTING and recording the driver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LaunchTrace {
    /// Its driver, still running: adopt it rather than launch the job twice.
    Driver(DriverRef),
    /// Its driver ran and ended while nobody followed it.
    Ended(Exit),
    /// Nothing of it ever started: the job may be launched again.
    NotStarted,
    /// The runtime cannot tell (its drivers cannot be looked up).
    Unknown,
}

/// How a driver ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    /// spark-submit's exit code, when the wrapper could record one.
    Code(Option<i32>),
    /// The cluster's verdict: success, or why it failed.
    Reported(std::result::Result<(), String>),
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub(crate) trait ClusterRuntime: Send + Sync {
    /// Starts the driver. Its logs go to (or are copied into) the plan's job directory.
    fn launch<'a>(&'a self, plan: &'a DriverPlan) -> BoxFuture<'a, Result<Launched>>;
    /// Where the driver is now. Runtimes whose logs live on the cluster copy what is new
    /// into the job directory here, so the copies outlive the cluster.
    fn poll<'a>(&'a self, driver: &'a DriverRef, job_dir: &'a Path) -> BoxFuture<'a, Liveness>;
    /// Stops the driver and everything it started: politely, then after `grace` by force.
    /// Returns once nothing of it is left.
    fn stop<'a>(&'a self, driver: &'a DriverRef, grace: Duration) -> BoxFuture<'a, Result<()>>;
    /// The loopback port where a group driver's agent answers, once it can: locally the
    /// port the agent wrote to its info file in the job directory; runtimes whose drivers
    /// run elsewhere forward a local port to it.
    fn agent_endpoint<'a>(&'a self, _driver: &'a DriverRef, job_dir: &'a Path) -> BoxFuture<'a, Option<u16>> {
        let info = job_dir.join(job_dir::DRIVER_INFO);
        Box::pin(async move { job_dir::DriverInfo::read(&info).map(|i| i.port) })
    }
    /// The base URL (`http://host:port`, no trailing slash) where a running driver's
    /// Spark UI answers from this machine, once it is known; None while it is not (yet),
    /// or when the UI is off. Locally: the port the driver's log says it bound, on
    /// loopback. Runtimes whose drivers run elsewhere reach it their own way.
    fn spark_ui<'a>(&'a self, _driver: &'a DriverRef, job_dir: &'a Path) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move { spark_ui::bound_ui_in_job_dir(job_dir).map(|ui| ui.loopback_url()) })
    }
    /// What a launch for this job directory left, when a crash (or a failed write) kept
    /// its `DriverRef` from being recorded: recovery adopts a running driver, settles an
    /// ended one and queues again a launch that never started. Runtimes that cannot look
    /// their drivers up say Unknown.
    fn find_launched<'a>(&'a self, _job_dir: &'a Path) -> BoxFuture<'a, LaunchTrace> {
        Box::pin(async { LaunchTrace::Unknown })
    }
    /// Removes what a launch left on the cluster beyond the driver, once its job is
    /// deleted (Kubernetes: the job's files in the storage). Runtimes that leave nothing
    /// there do nothing.
    fn remove_job_files<'a>(&'a self, _job_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// Checks that the cluster can be reached and used; a sentence describing it.
    fn check(&self) -> BoxFuture<'_, Result<String>>;
    /// Whether drivers start through `spark-submit` on this machine, so submitting needs
    /// a local Spark and Java (local, standalone). Kubernetes creates the pods itself.
    fn needs_local_spark(&self) -> bool {
        true
    }
    /// Whether the driver (a Python one when `python`; group drivers are) is started by a
    /// `spark-submit` on this machine whose wrapper resolves its `packages` (the plan's
    /// [`DriverPlan::packages`]). Otherwise the engine resolves them here before the launch
    /// and adds the jars to the plan's `jars`, which the runtime ships like the job's own.
    fn resolves_packages(&self, _python: bool) -> bool {
        true
    }
}

/// The runtime for a cluster.
pub(crate) fn for_cluster(cluster: &Cluster) -> Result<Arc<dyn ClusterRuntime>> {
    match cluster.cluster_type {
        ClusterType::Local => Ok(Arc::new(local::LocalRuntime)),
        ClusterType::Standalone => Ok(Arc::new(standalone::StandaloneRuntime::new(cluster)?)),
        ClusterType::K8s => Ok(Arc::new(k8s::runtime::K8sRuntime::new(cluster)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::driver::ProcessRef;

    fn plan() -> DriverPlan {
        DriverPlan {
            app_name: "pi".into(),
            master: "spark://127.0.0.1:7077".into(),
            conf: BTreeMap::from([("spark.b".into(), "2".into()), ("spark.a".into(), "x=y".into())]),
            main: "/jobs/1/jars/app.jar".into(),
            main_class: Some("com.example.Pi".into()),
            args: vec!["10".into(), "two words".into()],
            jars: vec!["/jobs/1/jars/dep.jar".into(), "/jobs/1/jars/dep2.jar".into()],
            py_files: vec![],
            files: vec!["/jobs/1/files/in.csv".into()],
            python: false,
            interactive: false,
            agent_secret: None,
            spark_submit: "/spark/bin/spark-submit".into(),
            env: vec![],
            venv: None,
            packages: None,
            job_dir: "/jobs/1".into(),
        }
    }

    #[test]
    fn spark_submit_gets_options_then_the_main_resource_then_its_args() {
        let argv = plan().spark_submit_argv();
        let expected = [
            "/spark/bin/spark-submit", "--master", "spark://127.0.0.1:7077", "--name", "pi",
            "--properties-file", "/jobs/1/spark-submit.properties", "--load-spark-defaults", "--class", "com.example.Pi",
            "--jars", "/jobs/1/jars/dep.jar,/jobs/1/jars/dep2.jar", "--files", "/jobs/1/files/in.csv",
            "/jobs/1/jars/app.jar", "10", "two words",
        ];
        assert_eq!(argv, expected);
    }

    #[test]
    fn packages_reach_spark_submit_as_a_glob_over_their_cache_entry() {
        let packages = PackagesSpec { dir: "/data/packages/k1".into(), coordinates: "g:a:1".into(), conf: BTreeMap::new() };
        let argv = DriverPlan { packages: Some(packages), ..plan() }.spark_submit_argv();
        let jars = argv.iter().position(|a| a == "--jars").map(|i| argv[i + 1].as_str());
        assert_eq!(jars, Some("/jobs/1/jars/dep.jar,/jobs/1/jars/dep2.jar,/data/packages/k1/jars/*.jar"));
        let only = DriverPlan { jars: vec![], packages: Some(PackagesSpec { dir: "/p".into(), coordinates: String::new(), conf: BTreeMap::new() }), ..plan() };
        assert!(only.spark_submit_argv().windows(2).any(|w| w == ["--jars", "/p/jars/*.jar"]));
    }

    #[test]
    fn the_plans_debug_form_masks_secret_settings_and_environment_values() {
        let mut plan = plan();
        plan.conf.insert("spark.authenticate.secret".into(), "hunter2".into());
        plan.env.push(("SOME_TOKEN".into(), "tok-value".into()));
        let shown = format!("{plan:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("tok-value"), "{shown}");
        assert!(shown.contains("spark.authenticate.secret") && shown.contains("x=y"), "{shown}");
    }

    #[test]
    fn the_settings_file_holds_what_the_command_line_no_longer_does() {
        let dir = tempfile::tempdir().unwrap();
        let plan = DriverPlan { job_dir: dir.path().into(), ..plan() };
        plan.write_properties().unwrap();
        let text = std::fs::read_to_string(plan.properties_file()).unwrap();
        assert!(text.contains("spark.a=x\\=y\nspark.b=2\n"), "{text}");
        assert!(!plan.spark_submit_argv().iter().any(|a| a.contains("spark.a")));
    }

    #[test]
    fn driver_refs_round_trip_as_tagged_json() {
        for driver in [
            DriverRef::Process(ProcessRef { pid: 42, start_ticks: 7 }),
            DriverRef::Submission { id: "driver-20261128-0001".into() },
            DriverRef::Pod { namespace: "spark".into(), name: "pi-driver".into(), uid: "u-1".into() },
        ] {
            let json = serde_json::to_string(&driver).unwrap();
            assert!(json.contains("\"kind\""), "{json}");
            assert_eq!(serde_json::from_str::<DriverRef>(&json).unwrap(), driver);
        }
        assert_eq!(DriverRef::Submission { id: "d".into() }.process(), None);
    }
}
