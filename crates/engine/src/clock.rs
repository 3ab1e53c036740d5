//! The wall clock schedules run by, and a monotonic one beside it: a wall clock that moved
//! further than the monotonic one means the machine slept (or the time was set), which
//! is when a schedule's missed times are caught up. Tests inject a [`ManualClock`] and
//! move it by hand instead of waiting.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub trait Clock: Debug + Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn wall_ms(&self) -> i64;
    /// Time that only runs while the machine does (it stands still while it sleeps).
    fn monotonic(&self) -> Duration;
    /// Changes each time a hand-moved clock moves, so the ticker looks at once; a real
    /// clock has none (the ticker looks at least every second).
    fn moves(&self) -> Option<watch::Receiver<u64>> {
        None
    }
}

/// The machine's clocks.
#[derive(Debug)]
pub struct SystemClock {
    started: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self { started: Instant::now() }
    }
}

impl Clock for SystemClock {
    fn wall_ms(&self) -> i64 {
        crate::time::now_ms()
    }

    fn monotonic(&self) -> Duration {
        self.started.elapsed()
    }
}

/// A clock that stands still until moved: `advance` is time passing while the machine is
/// awake (both clocks move), `jump` the machine waking from sleep (only the wall clock).
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<(i64, Duration)>,
    moved: watch::Sender<u64>,
}

impl ManualClock {
    pub fn new(wall_ms: i64) -> Self {
        Self { state: Mutex::new((wall_ms, Duration::ZERO)), moved: watch::channel(0).0 }
    }

    pub fn advance(&self, by: Duration) {
        self.shift(by, true);
    }

    pub fn jump(&self, by: Duration) {
        self.shift(by, false);
    }

    fn shift(&self, by: Duration, awake: bool) {
        {
            let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            state.0 += i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            if awake {
                state.1 += by;
            }
        }
        self.moved.send_modify(|n| *n += 1);
    }
}

impl Clock for ManualClock {
    fn wall_ms(&self) -> i64 {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).0
    }

    fn monotonic(&self) -> Duration {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).1
    }

    fn moves(&self) -> Option<watch::Receiver<u64>> {
        Some(self.moved.subscribe())
    }
}
