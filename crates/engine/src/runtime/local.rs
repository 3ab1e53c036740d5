//! Spark on this machine: `spark-submit --master local[N]` as a child in its own process
//! group, run by a small shell wrapper that builds the job's virtualenv when needed and
//! records spark-submit's exit code in a file. Output goes straight to per-job files, so
//! both the logs and the outcome survive the app dying; recovery recognises the process
//! by pid and start time.

use std::fs::{self, File};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::job_dir::{AGENT_SECRET_ENV, DRIVER_INFO, EXIT_FILE, LAUNCH_MARK};
use super::{BoxFuture, ClusterRuntime, DriverPlan, DriverRef, Exit, LaunchTrace, Launched, Liveness};
use crate::error::{EngineError, Result};
use crate::log_index;
use crate::model::driver::ProcessRef;

/// `$@` is spark-submit with its arguments. Exit code 3 with no driver output means the
/// Python environment could not be built (pip's messages are in the stderr log), 4 that
/// the packages could not be resolved (Ivy's report is there).
///
/// A cached virtualenv is used only when it is whole: its completion marker (written last,
/// before the environment is renamed into place) is there and its python runs with its
/// site-packages (the `.pth` the build put there). Otherwise it is built again beside it
/// and swapped in: the broken one is moved aside first, as a rename cannot replace a
/// non-empty directory.
const WRAPPER: &str = r#"
: > "$SPARKDECK_LAUNCH_MARK"
venv_ok() {
  [ -f "$1/.sparkdeck-complete" ] && "$1/bin/python" -c 'import os, sys, sysconfig; sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["purelib"], "_sparkdeck_spark_env.pth")))' >/dev/null 2>&1
}
if [ -n "${SPARKDECK_VENV:-}" ] && ! venv_ok "$SPARKDECK_VENV"; then
  if [ -e "$SPARKDECK_VENV" ]; then
    echo "sparkdeck: the cached Python environment in $SPARKDECK_VENV is incomplete or broken; building it again" >&2
  else
    echo "sparkdeck: building the Python environment for the job's pyRequirements in $SPARKDECK_VENV" >&2
  fi
  tmp="$SPARKDECK_VENV.tmp.$$"
  rm -rf "$tmp"
  if "$SPARKDECK_BASE_PYTHON" -m venv --system-site-packages "$tmp" >&2 \
     && parent=$("$SPARKDECK_BASE_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
     && child=$("$tmp/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
     && echo "$parent" > "$child/_sparkdeck_spark_env.pth" \
     && "$tmp/bin/python" -m pip install --disable-pip-version-check --no-input -r "$SPARKDECK_REQUIREMENTS" >&2 \
     && : > "$tmp/.sparkdeck-complete"; then
    if [ -e "$SPARKDECK_VENV" ] && ! venv_ok "$SPARKDECK_VENV"; then
      mv -T "$SPARKDECK_VENV" "$tmp.broken" 2>/dev/null && rm -rf "$tmp.broken"
    fi
    mv -T "$tmp" "$SPARKDECK_VENV" 2>/dev/null || rm -rf "$tmp"
  else
    rm -rf "$tmp"
    echo 3 > "$SPARKDECK_EXIT_FILE.tmp" && mv "$SPARKDECK_EXIT_FILE.tmp" "$SPARKDECK_EXIT_FILE"
    exit 3
  fi
fi
if [ -n "${SPARKDECK_PACKAGES:-}" ] && [ ! -f "$SPARKDECK_PACKAGES/.sparkdeck-complete" ]; then
  echo "sparkdeck: resolving the packages $SPARKDECK_PACKAGES_LIST into $SPARKDECK_PACKAGES" >&2
  tmp="$SPARKDECK_PACKAGES.tmp.$$"
  rm -rf "$tmp"
  if timeout -k 10 "$SPARKDECK_PACKAGES_TIMEOUT" "$1" --master 'local[1]' --properties-file "$SPARKDECK_PACKAGES_PROPERTIES" \
       --conf "spark.jars.ivy=$tmp" "$SPARKDECK_PACKAGES_PROBE" >&2 \
     && ls "$tmp"/jars/*.jar >/dev/null 2>&1 \
     && : > "$tmp/.sparkdeck-complete"; then
    if [ -e "$SPARKDECK_PACKAGES" ] && [ ! -f "$SPARKDECK_PACKAGES/.sparkdeck-complete" ]; then
      mv -T "$SPARKDECK_PACKAGES" "$tmp.broken" 2>/dev/null && rm -rf "$tmp.broken"
    fi
    mv -T "$tmp" "$SPARKDECK_PACKAGES" 2>/dev/null || rm -rf "$tmp"
  else
    rm -rf "$tmp"
    echo "sparkdeck: could not resolve the packages $SPARKDECK_PACKAGES_LIST (within ${SPARKDECK_PACKAGES_TIMEOUT}s; Ivy's report is above)" >&2
    echo 4 > "$SPARKDECK_EXIT_FILE.tmp" && mv "$SPARKDECK_EXIT_FILE.tmp" "$SPARKDECK_EXIT_FILE"
    exit 4
  fi
fi
"$@"
code=$?
echo "$code" > "$SPARKDECK_EXIT_FILE.tmp" && mv "$SPARKDECK_EXIT_FILE.tmp" "$SPARKDECK_EXIT_FILE"
exit "$code"
"#;

pub(crate) struct LocalRuntime;

impl LocalRuntime {
    /// Starts `spark-submit` for the plan under the wrapper. Also used by runtimes whose
    /// drivers run on this machine in client mode.
    pub(crate) fn spawn(plan: &DriverPlan) -> Result<Launched> {
        let open = |path: &Path| {
            File::options()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| EngineError::io(format!("cannot open log {}", path.display()), e))
        };
        plan.write_properties()?;
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg(WRAPPER)
            .arg("sparkdeck-job")
            .args(plan.spark_submit_argv())
            .current_dir(&plan.job_dir)
            .stdin(Stdio::null())
            .stdout(open(&plan.stdout())?)
            .stderr(open(&plan.stderr())?)
            .env("SPARKDECK_EXIT_FILE", plan.exit_file())
            .env("SPARKDECK_LAUNCH_MARK", plan.launch_mark())
            .envs(plan.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .process_group(0)
            .kill_on_drop(false);
        if let Some(secret) = &plan.agent_secret {
            // The agent answers only this secret and writes its port to the info file.
            command
                .env(AGENT_SECRET_ENV, secret.expose())
                .env("SPARKDECK_DRIVER_INFO", plan.job_dir.join(DRIVER_INFO));
        }
        if let Some(packages) = &plan.packages {
            command
                .env("SPARKDECK_PACKAGES", &packages.dir)
                .env("SPARKDECK_PACKAGES_LIST", &packages.coordinates)
                .env("SPARKDECK_PACKAGES_PROPERTIES", plan.job_dir.join(super::job_dir::PACKAGES_PROPERTIES))
                .env("SPARKDECK_PACKAGES_PROBE", plan.job_dir.join(super::job_dir::PACKAGES_PROBE))
                .env("SPARKDECK_PACKAGES_TIMEOUT", PACKAGES_TIMEOUT.as_secs().to_string());
        }
        if let Some(venv) = &plan.venv {
            command
                .env("SPARKDECK_VENV", &venv.dir)
                .env("SPARKDECK_BASE_PYTHON", &venv.base_python)
                .env("SPARKDECK_REQUIREMENTS", &venv.requirements_file);
        }
        let child = command.spawn().map_err(|e| EngineError::io("cannot start spark-submit", e))?;
        let pid = child.id().and_then(|p| i32::try_from(p).ok()).ok_or_else(|| {
            EngineError::io("spark-submit ended before it could be followed", std::io::Error::other("no pid"))
        })?;
        let start_ticks = proc_stat(pid).map(|s| s.start_ticks).unwrap_or(0);
        Ok(Launched { driver: DriverRef::Process(ProcessRef { pid, start_ticks }), child: Some(child) })
    }

    /// Where a local driver process is: running (with the app id its event log names),
    /// or ended with the exit code its wrapper recorded. Whatever is left of an ended
    /// driver's process group (e.g. a Python worker that outlived it) is killed.
    pub(crate) fn process_liveness(process: ProcessRef, job_dir: &Path) -> Liveness {
        match proc_stat(process.pid) {
            Some(stat) if stat.state != 'Z' && stat.start_ticks == process.start_ticks => {
                Liveness::Running { app_id: app_id_in(&job_dir.join(EVENTS_DIR)) }
            }
            _ => {
                if group_is_ours(process) {
                    reap_group(process.pid);
                }
                Liveness::Ended(Exit::Code(read_exit_code(&job_dir.join(EXIT_FILE))))
            }
        }
    }

    /// Stops a local driver's whole process group: SIGTERM, then SIGKILL after `grace`.
    pub(crate) async fn stop_process(process: ProcessRef, grace: Duration) -> Result<()> {
        let group = process.pid;
        if !group_is_ours(process) || group_members(group) == 0 {
            return Ok(());
        }
        let _ = killpg(Pid::from_raw(group), Signal::SIGTERM);
        if wait_group_gone(group, grace).await {
            return Ok(());
        }
        tracing::warn!(group, "job did not stop on SIGTERM; killing it");
        let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
        if wait_group_gone(group, Duration::from_secs(10)).await {
            Ok(())
        } else {
            Err(EngineError::Conflict(format!("the job's processes (group {group}) did not end after SIGKILL")))
        }
    }
}

/// The cached virtualenvs, one per requirement set, under the data directory.
pub(crate) const VENVS_DIR: &str = "venvs";
/// The resolved Maven packages, one directory per coordinate set, under the data directory.
pub(crate) const PACKAGES_DIR: &str = "packages";
/// Written last into a whole package cache entry, before it is renamed into place.
pub(crate) const PACKAGES_COMPLETE: &str = ".sparkdeck-complete";
/// The longest a packages resolution may take. A repository that is not there fails in
/// seconds (measured: 3.3 s with Maven Central's name not resolving), but one that takes
/// the connection and never answers holds Ivy indefinitely (measured: still waiting after
/// 300 s, with or without `sun.net.client.defaultReadTimeout`, which Ivy overrides).
pub(crate) const PACKAGES_TIMEOUT: Duration = Duration::from_secs(600);

/// Removes what a crash left in the virtualenv (or package) cache: a wrapper's half-built
/// `<venv>.tmp.<its pid>` whose process is gone (a wrapper still running, of a job that
/// outlived the previous engine, keeps its own) or the broken one it moved aside, and the engine's `.<key>.<uuid>.tmp`
/// requirement files. Run at open, before anything is launched.
pub(crate) fn remove_abandoned_venv_builds(venvs: &Path) {
    let Ok(entries) = fs::read_dir(venvs) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let abandoned = match name.rsplit_once(".tmp.") {
            // `<venv>.tmp.<pid>`, or `<venv>.tmp.<pid>.broken` (a broken one moved aside)
            Some((_, rest)) => rest.split('.').next().and_then(|pid| pid.parse::<i32>().ok()).is_some_and(|pid| proc_stat(pid).is_none()),
            None => name.starts_with('.') && name.ends_with(".tmp"),
        };
        if abandoned {
            let path = entry.path();
            let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            match removed {
                Ok(()) => tracing::info!(path = %path.display(), "removed a half-built cache entry"),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove a half-built cache entry"),
            }
        }
    }
}

/// Where a local driver's Spark event log goes; its file name carries the app id.
pub(crate) const EVENTS_DIR: &str = "events";

pub(crate) fn app_id_in(events_dir: &Path) -> Option<String> {
    fs::read_dir(events_dir).ok()?.flatten().find_map(|e| log_index::find_app_id(&e.file_name().to_string_lossy()))
}

/// A driver reference this runtime did not make (a cluster's type changed under a job).
pub(crate) fn foreign(driver: &DriverRef) -> Liveness {
    Liveness::Ended(Exit::Reported(Err(format!("the job's driver ({driver:?}) is not one this cluster type runs"))))
}

impl ClusterRuntime for LocalRuntime {
    fn launch<'a>(&'a self, plan: &'a DriverPlan) -> BoxFuture<'a, Result<Launched>> {
        Box::pin(async move { Self::spawn(plan) })
    }

    fn poll<'a>(&'a self, driver: &'a DriverRef, job_dir: &'a Path) -> BoxFuture<'a, Liveness> {
        Box::pin(async move {
            match driver {
                DriverRef::Process(process) => Self::process_liveness(*process, job_dir),
                other => foreign(other),
            }
        })
    }

    fn stop<'a>(&'a self, driver: &'a DriverRef, grace: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match driver {
                DriverRef::Process(process) => Self::stop_process(*process, grace).await,
                _ => Ok(()),
            }
        })
    }

    fn find_launched<'a>(&'a self, job_dir: &'a Path) -> BoxFuture<'a, LaunchTrace> {
        Box::pin(async move { local_launch_trace(job_dir).unwrap_or(LaunchTrace::NotStarted) })
    }

    fn check(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(async { Ok("jobs run here in local mode".to_string()) })
    }
}

/// What a local launch into `job_dir` left: its running wrapper, or the end its wrapper
/// recorded; None when no wrapper ever ran there.
pub(crate) fn local_launch_trace(job_dir: &Path) -> Option<LaunchTrace> {
    if let Some(wrapper) = find_wrapper(job_dir) {
        return Some(LaunchTrace::Driver(DriverRef::Process(wrapper)));
    }
    job_dir.join(LAUNCH_MARK).exists().then(|| LaunchTrace::Ended(Exit::Code(read_exit_code(&job_dir.join(EXIT_FILE)))))
}

/// The wrapper of a driver started for `job_dir`: the process group leader working in
/// that directory (every local driver's wrapper starts there, and the directory is the
/// job's own).
pub(crate) fn find_wrapper(job_dir: &Path) -> Option<ProcessRef> {
    let job_dir = fs::canonicalize(job_dir).ok()?;
    fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
        let stat = proc_stat(pid).filter(|s| s.pgrp == pid && s.state != 'Z')?;
        (fs::read_link(entry.path().join("cwd")).ok()? == job_dir).then_some(ProcessRef { pid, start_ticks: stat.start_ticks })
    })
}

/// Whether the process group with our leader's pid is still the one we started: its
/// leader is our process (same start time), or the leader is gone and what is left of
/// the group is ours — Linux does not hand out a pid that is still a live group's id, so
/// a leader with another start time means the pid was reused and the group is someone
/// else's.
fn group_is_ours(process: ProcessRef) -> bool {
    proc_stat(process.pid).is_none_or(|s| s.start_ticks == process.start_ticks)
}

/// Kills whatever is left in a finished job's group (e.g. a Python worker that outlived
/// its driver).
pub(crate) fn reap_group(group: i32) {
    if group_members(group) > 0 {
        let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
    }
}

async fn wait_group_gone(group: i32, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if group_members(group) == 0 {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn read_exit_code(exit_file: &Path) -> Option<i32> {
    fs::read_to_string(exit_file).ok()?.trim().parse().ok()
}

/// The fields of `/proc/<pid>/stat` the runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) state: char,
    pub(crate) pgrp: i32,
    pub(crate) start_ticks: u64,
}

pub(crate) fn proc_stat(pid: i32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Parses a stat line. The command name (field 2) may hold spaces and parentheses, so
/// fields are counted from the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); field N is fields[N - 3].
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start_ticks: fields.get(19)?.parse().ok()?,
    })
}

/// The resident memory of a local driver's whole process group (wrapper, JVM, agent,
/// Python workers), in bytes; None when the group is not ours or not running.
pub(crate) fn group_rss_bytes(process: ProcessRef) -> Option<u64> {
    if !group_is_ours(process) {
        return None;
    }
    let kib: u64 = fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|pid| proc_stat(*pid).is_some_and(|s| s.pgrp == process.pid && s.state != 'Z'))
        .filter_map(|pid| {
            let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
            line.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
        })
        .sum();
    (kib > 0).then_some(kib * 1024)
}

/// Live (non-zombie) processes in a process group.
pub(crate) fn group_members(group: i32) -> usize {
    let Ok(entries) = fs::read_dir("/proc") else { return 0 };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter_map(proc_stat)
        .filter(|s| s.pgrp == group && s.state != 'Z')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::path::PathBuf;

    #[test]
    fn stat_lines_parse_even_with_odd_names() {
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 987654 1000 50";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat, ProcStat { state: 'S', pgrp: 4242, start_ticks: 987654 });
        assert_eq!(parse_stat("garbage"), None);
        let me = proc_stat(i32::try_from(std::process::id()).unwrap()).unwrap();
        assert!(me.start_ticks > 0 && me.state != 'Z');
    }

    /// Runs the wrapper with `echo ran` as the job, building (or reusing) `venv`; returns
    /// its stderr.
    fn run_wrapper(dir: &Path, venv: &Path) -> String {
        let requirements = dir.join("requirements.txt");
        fs::write(&requirements, "").unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .args(["sparkdeck-job", "echo", "ran"])
            .env("SPARKDECK_EXIT_FILE", dir.join(EXIT_FILE))
            .env("SPARKDECK_LAUNCH_MARK", dir.join(LAUNCH_MARK))
            .env("SPARKDECK_VENV", venv)
            .env("SPARKDECK_BASE_PYTHON", "python3")
            .env("SPARKDECK_REQUIREMENTS", &requirements)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).trim()), (Some(0), "ran"), "{stderr}");
        stderr
    }

    fn site_packages(venv: &Path) -> PathBuf {
        let lib = fs::read_dir(venv.join("lib")).unwrap().flatten().next().unwrap().path();
        lib.join("site-packages")
    }

    /// A cached virtualenv is reused only when it is whole; a half-built one or one whose
    /// python or site-packages are gone is built again, and nothing of the build is left.
    #[test]
    fn a_broken_cached_virtualenv_is_built_again() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("0123456789abcdef");
        assert!(run_wrapper(dir.path(), &venv).contains("building the Python environment"));
        assert!(!run_wrapper(dir.path(), &venv).contains("sparkdeck:"), "a whole one is reused");
        for (broken, break_it) in [
            ("site-packages deleted", &(|v: &Path| fs::remove_dir_all(site_packages(v)).unwrap()) as &dyn Fn(&Path)),
            ("python does not run", &|v: &Path| {
                fs::remove_file(v.join("bin/python")).unwrap();
                fs::write(v.join("bin/python"), "#!/bin/sh\nexit 1\n").unwrap();
                fs::set_permissions(v.join("bin/python"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
            }),
            ("half-built: no completion marker", &|v: &Path| fs::remove_file(v.join(".sparkdeck-complete")).unwrap()),
        ] {
            break_it(&venv);
            let stderr = run_wrapper(dir.path(), &venv);
            assert!(stderr.contains("incomplete or broken; building it again"), "{broken}: {stderr}");
            assert!(site_packages(&venv).join("_sparkdeck_spark_env.pth").is_file(), "{broken}: rebuilt whole");
            assert!(!run_wrapper(dir.path(), &venv).contains("sparkdeck:"), "{broken}: then reused");
        }
        let mut left: Vec<String> =
            fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["0123456789abcdef", EXIT_FILE, LAUNCH_MARK, "requirements.txt"]);
    }

    /// A process group that only has our old leader's pid (the pid was reused after a
    /// restart) belongs to someone else: neither a poll nor a stop may signal it.
    #[tokio::test]
    async fn a_reused_pid_is_never_signalled() {
        let mut stranger = std::process::Command::new("sleep").arg("30").process_group(0).spawn().unwrap();
        let pid = i32::try_from(stranger.id()).unwrap();
        let started = proc_stat(pid).unwrap().start_ticks;
        let ours_before = ProcessRef { pid, start_ticks: started.saturating_sub(1000).max(1) };
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(LocalRuntime::process_liveness(ours_before, dir.path()), Liveness::Ended(Exit::Code(None)));
        LocalRuntime::stop_process(ours_before, Duration::from_millis(100)).await.unwrap();
        let alive = stranger.try_wait().unwrap().is_none();
        let _ = stranger.kill();
        let _ = stranger.wait();
        assert!(alive, "the unrelated process group was killed");
    }

    #[test]
    fn a_process_groups_resident_memory_is_measured_while_it_runs() {
        let mut child = std::process::Command::new("sleep").arg("30").process_group(0).spawn().unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let process = ProcessRef { pid, start_ticks: proc_stat(pid).unwrap().start_ticks };
        let running = group_rss_bytes(process);
        let _ = child.kill();
        let _ = child.wait();
        assert!(running.is_some_and(|bytes| bytes > 0), "{running:?}");
        assert_eq!(group_rss_bytes(process), None, "ended");
    }

    /// A driver whose launch was not recorded is found by its wrapper's working directory.
    #[test]
    fn a_wrapper_is_found_by_its_job_directory() {
        let job_dir = tempfile::tempdir().unwrap();
        let other_dir = tempfile::tempdir().unwrap();
        let mut wrapper = std::process::Command::new("sleep").arg("30").current_dir(job_dir.path()).process_group(0).spawn().unwrap();
        let pid = i32::try_from(wrapper.id()).unwrap();
        let started = proc_stat(pid).map(|s| s.start_ticks);
        let found = find_wrapper(job_dir.path());
        let elsewhere = find_wrapper(other_dir.path());
        let _ = wrapper.kill();
        let _ = wrapper.wait();
        assert_eq!(found, started.map(|start_ticks| ProcessRef { pid, start_ticks }));
        assert_eq!(elsewhere, None);
    }
}
