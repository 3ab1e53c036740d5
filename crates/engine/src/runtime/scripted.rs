//! A [`ClusterRuntime`] test double (feature `testing`): no process, no cluster. Each
//! launch follows the next [`LaunchScript`] (slow, failing, with an agent port); the test
//! then ends, crashes or keeps each driver running, and sees what the engine stopped. It
//! lets engine-level tests drive the job and group state machines in milliseconds.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::error::{EngineError, Result};

use super::{BoxFuture, ClusterRuntime, DriverPlan, DriverRef, Exit, LaunchTrace, Launched, Liveness};

/// How one launch goes.
#[derive(Debug, Clone, Default)]
pub struct LaunchScript {
    /// How long the launch takes before it returns.
    pub delay: Duration,
    /// The launch fails with this message.
    pub fail: Option<String>,
    /// The agent port a group driver answers on once launched.
    pub agent_port: Option<u16>,
}

/// A launched driver as the test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedDriver {
    /// `scripted-<n>`, in launch order from 1.
    pub id: String,
    /// The job directory it was launched for.
    pub job_dir: std::path::PathBuf,
    pub app_name: String,
    pub interactive: bool,
    /// The Spark conf it was launched with (the cluster's defaults and the job's settings).
    pub conf: BTreeMap<String, String>,
    /// The plain environment it was launched with.
    pub env: Vec<(String, String)>,
    /// Set once the driver ended (by the test, or by a stop).
    pub ended: Option<ScriptedExit>,
    pub stopped: bool,
}

/// How a scripted driver ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptedExit {
    Code(i32),
    /// Killed without an exit code (a crash).
    Killed,
    /// The cluster's verdict: success, or why it failed.
    Reported(std::result::Result<(), String>),
}

#[derive(Default)]
struct State {
    scripts: VecDeque<LaunchScript>,
    drivers: BTreeMap<String, (ScriptedDriver, Option<u16>)>,
    launches: usize,
    /// The agent port of launches whose script names none.
    agent_port: Option<u16>,
    /// Stops fail with this message (a driver that cannot be reached or killed).
    stop_failure: Option<String>,
}

/// The test double. Cheap to clone: clones share their drivers.
#[derive(Clone, Default)]
pub struct ScriptedRuntime(Arc<Mutex<State>>);

impl ScriptedRuntime {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next launch follows `script` (launches without a script succeed at once).
    pub fn script(&self, script: LaunchScript) {
        self.state().scripts.push_back(script);
    }

    /// Group drivers answer on this agent port unless their script names another.
    pub fn serve_agents_on(&self, port: u16) {
        self.state().agent_port = Some(port);
    }

    /// Stops fail with `message` until called with None.
    pub fn fail_stops(&self, message: Option<&str>) {
        self.state().stop_failure = message.map(str::to_string);
    }

    /// Every driver launched so far, in launch order.
    pub fn drivers(&self) -> Vec<ScriptedDriver> {
        let state = self.state();
        let mut drivers: Vec<ScriptedDriver> = state.drivers.values().map(|(d, _)| d.clone()).collect();
        drivers.sort_by_key(|d| d.id.trim_start_matches("scripted-").parse::<u64>().unwrap_or(u64::MAX));
        drivers
    }

    /// Ends a running driver; false when it is unknown or ended already.
    pub fn end(&self, id: &str, exit: ScriptedExit) -> bool {
        match self.state().drivers.get_mut(id) {
            Some((driver, _)) if driver.ended.is_none() => {
                driver.ended = Some(exit);
                true
            }
            _ => false,
        }
    }

    fn id_of(driver: &DriverRef) -> Option<&str> {
        match driver {
            DriverRef::Submission { id } => Some(id),
            _ => None,
        }
    }

    /// How an ended driver's end looks to the engine.
    fn exit_of(ended: Option<&ScriptedExit>) -> Exit {
        match ended {
            Some(ScriptedExit::Code(code)) => Exit::Code(Some(*code)),
            Some(ScriptedExit::Killed) | None => Exit::Code(None),
            Some(ScriptedExit::Reported(verdict)) => Exit::Reported(verdict.clone()),
        }
    }
}

impl ClusterRuntime for ScriptedRuntime {
    fn launch<'a>(&'a self, plan: &'a DriverPlan) -> BoxFuture<'a, Result<Launched>> {
        Box::pin(async move {
            let script = self.state().scripts.pop_front().unwrap_or_default();
            tokio::time::sleep(script.delay).await;
            if let Some(message) = script.fail {
                return Err(EngineError::Unavailable(message));
            }
            let mut state = self.state();
            state.launches += 1;
            let id = format!("scripted-{}", state.launches);
            let driver = ScriptedDriver {
                id: id.clone(),
                job_dir: plan.job_dir.clone(),
                app_name: plan.app_name.clone(),
                interactive: plan.interactive,
                conf: plan.conf.clone(),
                env: plan.env.clone(),
                ended: None,
                stopped: false,
            };
            let port = script.agent_port.or(state.agent_port);
            state.drivers.insert(id.clone(), (driver, port));
            Ok(Launched { driver: DriverRef::Submission { id }, child: None })
        })
    }

    fn poll<'a>(&'a self, driver: &'a DriverRef, _job_dir: &'a Path) -> BoxFuture<'a, Liveness> {
        let state = self.state();
        let liveness = match Self::id_of(driver).and_then(|id| state.drivers.get(id)) {
            None => Liveness::Ended(Exit::Reported(Err("the scripted runtime never launched this driver".into()))),
            Some((d, _)) if d.ended.is_none() => Liveness::Running { app_id: Some(format!("app-{}", d.id)) },
            Some((d, _)) => Liveness::Ended(Self::exit_of(d.ended.as_ref())),
        };
        Box::pin(async move { liveness })
    }

    fn stop<'a>(&'a self, driver: &'a DriverRef, _grace: Duration) -> BoxFuture<'a, Result<()>> {
        if let Some(message) = self.state().stop_failure.clone() {
            return Box::pin(async move { Err(EngineError::Conflict(message)) });
        }
        if let Some(id) = Self::id_of(driver)
            && let Some((d, _)) = self.state().drivers.get_mut(id)
        {
            d.stopped = true;
            d.ended.get_or_insert(ScriptedExit::Code(143));
        }
        Box::pin(async { Ok(()) })
    }

    fn agent_endpoint<'a>(&'a self, driver: &'a DriverRef, _job_dir: &'a Path) -> BoxFuture<'a, Option<u16>> {
        let port = Self::id_of(driver).and_then(|id| self.state().drivers.get(id).and_then(|(d, port)| port.filter(|_| d.ended.is_none())));
        Box::pin(async move { port })
    }

    fn find_launched<'a>(&'a self, job_dir: &'a Path) -> BoxFuture<'a, LaunchTrace> {
        let trace = match self.state().drivers.values().find(|(d, _)| d.job_dir == job_dir) {
            None => LaunchTrace::NotStarted,
            Some((d, _)) if d.ended.is_none() => LaunchTrace::Driver(DriverRef::Submission { id: d.id.clone() }),
            Some((d, _)) => LaunchTrace::Ended(Self::exit_of(d.ended.as_ref())),
        };
        Box::pin(async move { trace })
    }

    fn check(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(async { Ok("the scripted test runtime".to_string()) })
    }

    /// No `spark-submit` here: launches need no Java or Spark.
    fn needs_local_spark(&self) -> bool {
        false
    }
}
