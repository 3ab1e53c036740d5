//! A real Spark standalone cluster on loopback for tests: one master (web UI, RPC and
//! REST submission on free ports) and two workers with 1 core and 1 GiB each, every
//! daemon in its own process group with its own work directory and log file. `start`
//! returns once both workers are ALIVE in the master's `/json/`; dropping the cluster
//! kills every process it started (drivers and executors are children of the workers, so
//! they share the workers' groups) and checks that none is left.
//!
//! Shared by the engine's and the server's tests (`#[path]`), so it uses only std,
//! reqwest, serde_json and tempfile.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a fixture is the failure

use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: a loaded 2-core machine needs ~7 s for two workers to register.
const READY_WITHIN: Duration = Duration::from_secs(180);
const STOP_WITHIN: Duration = Duration::from_secs(30);

pub struct StandaloneCluster {
    /// `spark://127.0.0.1:<port>`
    pub master_url: String,
    /// `http://127.0.0.1:<port>` (no trailing slash)
    pub web_ui: String,
    /// `http://127.0.0.1:<port>` of the REST submission server
    pub rest_url: String,
    /// The workers' web UIs.
    pub worker_uis: Vec<String>,
    pub work_dirs: Vec<PathBuf>,
    daemons: Vec<Daemon>,
    dir: tempfile::TempDir,
}

struct Daemon {
    name: String,
    child: Child,
    log: PathBuf,
}

/// The Spark distribution tests run: `SPARK_HOME`, else pyspark in the project's `.venv`.
pub fn spark_home() -> PathBuf {
    if let Some(home) = std::env::var_os("SPARK_HOME").map(PathBuf::from).filter(|h| h.join("bin/spark-class").is_file()) {
        return home;
    }
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/lib");
    fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("no Spark: set SPARK_HOME or run `make setup` ({}: {e})", lib.display()))
        .flatten()
        .map(|e| e.path().join("site-packages/pyspark"))
        .find(|p| p.join("bin/spark-class").is_file())
        .expect("pyspark with bin/spark-class in .venv (make setup)")
}

fn free_ports(n: usize) -> Vec<u16> {
    // Hold every listener until all are chosen so no port is handed out twice.
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

impl StandaloneCluster {
    pub async fn start() -> Self {
        let spark_home = spark_home();
        let dir = tempfile::Builder::new().prefix("sparkdeck-standalone-").tempdir().unwrap();
        let ports = free_ports(7);
        let (master_port, master_ui, rest_port) = (ports[0], ports[1], ports[2]);
        let props = dir.path().join("master.properties");
        fs::write(
            &props,
            format!(
                "spark.master.rest.enabled true\nspark.master.rest.host 127.0.0.1\nspark.master.rest.port {rest_port}\n"
            ),
        )
        .unwrap();
        let master_url = format!("spark://127.0.0.1:{master_port}");
        let mut cluster = Self {
            master_url: master_url.clone(),
            web_ui: format!("http://127.0.0.1:{master_ui}"),
            rest_url: format!("http://127.0.0.1:{rest_port}"),
            worker_uis: Vec::new(),
            work_dirs: Vec::new(),
            daemons: Vec::new(),
            dir,
        };
        let master_args: Vec<String> = [
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            &master_port.to_string(),
            "--webui-port",
            &master_ui.to_string(),
            "--properties-file",
            &props.to_string_lossy(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        cluster.spawn(&spark_home, "master", &master_args);
        for (i, ports) in ports[3..].chunks(2).enumerate() {
            let work_dir = cluster.dir.path().join(format!("worker{}", i + 1));
            fs::create_dir_all(&work_dir).unwrap();
            let args: Vec<String> = [
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--port",
                &ports[0].to_string(),
                "--webui-port",
                &ports[1].to_string(),
                "--cores",
                "1",
                "--memory",
                "1g",
                "--work-dir",
                &work_dir.to_string_lossy(),
                &master_url,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            cluster.spawn(&spark_home, &format!("worker{}", i + 1), &args);
            cluster.worker_uis.push(format!("http://127.0.0.1:{}", ports[1]));
            cluster.work_dirs.push(work_dir);
        }
        cluster.wait_ready().await;
        cluster
    }

    fn spawn(&mut self, spark_home: &Path, name: &str, args: &[String]) {
        let log = self.dir.path().join(format!("{name}.log"));
        let out = fs::File::create(&log).unwrap();
        let child = Command::new(spark_home.join("bin/spark-class"))
            .args(args)
            .env("SPARK_HOME", spark_home)
            // Drivers and executors the workers start inherit this: everything on loopback.
            .env("SPARK_LOCAL_IP", "127.0.0.1")
            .env("SPARK_NO_DAEMONIZE", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the standalone {name}: {e}"));
        self.daemons.push(Daemon { name: name.to_string(), child, log });
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let exited = self.daemons.iter_mut().find_map(|d| d.child.try_wait().ok().flatten().map(|s| (d.name.clone(), s)));
            if let Some((name, status)) = exited {
                panic!("the standalone {name} exited ({status}) before the cluster was ready\n{}", self.logs());
            }
            let alive = match http.get(format!("{}/json/", self.web_ui)).send().await {
                Ok(r) => r.json::<serde_json::Value>().await.ok().map_or(0, |m| {
                    let workers = m["workers"].as_array().cloned().unwrap_or_default();
                    if m["status"] == "ALIVE" { workers.iter().filter(|w| w["state"] == "ALIVE").count() } else { 0 }
                }),
                Err(_) => 0,
            };
            if alive == self.worker_uis.len() {
                return;
            }
            assert!(started.elapsed() < READY_WITHIN, "the standalone cluster was not ready in time\n{}", self.logs());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The last lines of every daemon's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for daemon in &self.daemons {
            let log = fs::read_to_string(&daemon.log).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            text.push_str(&format!("---- {} ({}) ----\n{tail}\n", daemon.name, daemon.log.display()));
        }
        text
    }

    /// Every live process in the daemons' process groups besides the daemons themselves
    /// (drivers and executors the workers started), as `pid: command line`.
    pub fn children(&self) -> Vec<String> {
        let groups: Vec<i32> = self.daemons.iter().map(|d| d.child.id() as i32).collect();
        group_processes(&groups).into_iter().filter(|(pid, _)| !groups.contains(pid)).map(|(pid, cmd)| format!("{pid}: {cmd}")).collect()
    }

    /// Whether `needle` appears in the command line of a driver or executor still running.
    pub fn child_mentions(&self, needle: &str) -> bool {
        self.children().iter().any(|c| c.contains(needle))
    }

    fn stop(&mut self) -> Vec<String> {
        let groups: Vec<i32> = self.daemons.iter().map(|d| d.child.id() as i32).collect();
        for signal in ["-TERM", "-KILL"] {
            for group in &groups {
                let _ = Command::new("kill").args([signal, "--", &format!("-{group}")]).stderr(Stdio::null()).status();
            }
            let started = Instant::now();
            while !group_processes(&groups).is_empty() && started.elapsed() < STOP_WITHIN {
                for daemon in &mut self.daemons {
                    let _ = daemon.child.try_wait();
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if group_processes(&groups).is_empty() {
                break;
            }
        }
        for daemon in &mut self.daemons {
            let _ = daemon.child.wait();
        }
        group_processes(&groups).into_iter().map(|(pid, cmd)| format!("{pid}: {cmd}")).collect()
    }
}

impl Drop for StandaloneCluster {
    fn drop(&mut self) {
        let left = self.stop();
        if !left.is_empty() {
            let message = format!("processes of the standalone cluster survived SIGKILL: {left:?}");
            if std::thread::panicking() { eprintln!("{message}") } else { panic!("{message}") }
        }
    }
}

/// Live (non-zombie) processes whose process group is one of `groups`.
fn group_processes(groups: &[i32]) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let stat = fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let Some(rest) = stat.rsplit(')').next() else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(state), Some(pgrp)) = (fields.first(), fields.get(2).and_then(|g| g.parse::<i32>().ok())) else { continue };
        if *state != "Z" && groups.contains(&pgrp) {
            let cmd = fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
        }
    }
    found
}

/// Compiles one Java source (`class_name` as `pkg.Name`) against Spark's jars and packs
/// it into `<dir>/<simple name>.jar`.
pub fn compile_jar(dir: &Path, class_name: &str, source: &str) -> PathBuf {
    let (package, simple) = class_name.rsplit_once('.').unwrap_or(("", class_name));
    let src = dir.join("src").join(package.replace('.', "/"));
    fs::create_dir_all(&src).unwrap();
    let file = src.join(format!("{simple}.java"));
    fs::write(&file, source).unwrap();
    let classes = dir.join("classes");
    let classpath = format!("{}/jars/*", spark_home().display());
    let ok = Command::new("javac").args(["-cp", &classpath, "-d"]).arg(&classes).arg(&file).status().expect("javac runs");
    assert!(ok.success(), "javac failed");
    let jar = dir.join(format!("{simple}.jar"));
    let ok = Command::new("jar").arg("cf").arg(&jar).arg("-C").arg(&classes).arg(".").status().expect("jar runs");
    assert!(ok.success(), "jar failed");
    jar
}
