//! The supervised groups, by id: one live state (and one supervisor task) per group.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::GroupLive;

/// The supervised groups, by id.
#[derive(Default)]
pub(crate) struct LiveGroups(Mutex<HashMap<String, Arc<GroupLive>>>);

impl LiveGroups {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<GroupLive>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<GroupLive>> {
        self.map().get(id).cloned()
    }

    /// Every supervised group.
    pub(crate) fn all(&self) -> Vec<Arc<GroupLive>> {
        self.map().values().cloned().collect()
    }

    /// False when the group is supervised already.
    pub(crate) fn insert(&self, live: &Arc<GroupLive>) -> bool {
        let mut map = self.map();
        if map.contains_key(&live.id) {
            return false;
        }
        map.insert(live.id.clone(), live.clone());
        true
    }

    /// Removes this supervisor's entry (not a newer one for the same group) when it has
    /// nothing left to do; true then. Under the map's lock, so a change either reaches the
    /// live state before it ends or finds the entry gone and starts a new supervisor.
    pub(crate) fn remove_if_done(&self, live: &Arc<GroupLive>) -> bool {
        let mut map = self.map();
        if !live.lock().end_if_done() {
            return false;
        }
        if map.get(&live.id).is_some_and(|l| Arc::ptr_eq(l, live)) {
            map.remove(&live.id);
        }
        true
    }
}
