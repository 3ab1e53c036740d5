//! One writer per group. Every change of a stored group (update, rescale, pause, resume,
//! restart, stop, delete, a rebuilt jar) holds its group's lock from reading the group to
//! handing the committed record to its supervisor: no change writes over a copy another
//! change has already replaced, and the supervisor gets the changes in commit order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::OwnedMutexGuard;

/// The change locks of the groups, by id (created on first use).
#[derive(Default)]
pub(crate) struct GroupLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl GroupLocks {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the group's other changes to end; the change holds the guard.
    pub(crate) async fn lock(&self, id: &str) -> OwnedMutexGuard<()> {
        let lock = self.map().entry(id.to_string()).or_default().clone();
        lock.lock_owned().await
    }

    /// Forgets the lock of a group that does not exist (any more).
    pub(crate) fn forget(&self, id: &str) {
        self.map().remove(id);
    }
}
