//! The jobs this engine follows: where a follower task and a stop request meet. Only the
//! follower adds and removes entries; a stop only raises the flag.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// What the engine keeps about a job it follows.
#[derive(Default)]
pub(crate) struct Running {
    stop_requested: AtomicBool,
    exited: Notify,
}

impl Running {
    /// The job's end is then recorded as CANCELED, not as the driver's exit.
    pub(crate) fn request_stop(&self) {
        self.stop_requested.store(true, Ordering::SeqCst);
    }

    pub(crate) fn stop_requested(&self) -> bool {
        self.stop_requested.load(Ordering::SeqCst)
    }

    /// Wakes the follower early: the driver process this engine started has been reaped.
    pub(crate) fn notify_exited(&self) {
        self.exited.notify_one();
    }

    pub(crate) async fn exited(&self) {
        self.exited.notified().await;
    }
}

/// The followed jobs, by id.
#[derive(Default)]
pub(crate) struct RunningJobs(Mutex<HashMap<String, Arc<Running>>>);

impl RunningJobs {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Running>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, id: &str) -> Arc<Running> {
        let running = Arc::new(Running::default());
        self.map().insert(id.to_string(), running.clone());
        running
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Running>> {
        self.map().get(id).cloned()
    }

    pub(crate) fn remove(&self, id: &str) {
        self.map().remove(id);
    }
}
