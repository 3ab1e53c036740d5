//! `heartbeatTimeoutInSecond`: a session whose client asked nothing naming it for that
//! long is deleted — never while one of its statements is queued or running. Any request
//! naming the session counts as a heartbeat (`sessions::find`). Last-seen times are kept
//! in memory: after a restart each session's clock starts again from the first sweep.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use sparkdeck_engine::livy_ids::{LivyEntry, LivyIdKind};
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::{Engine, EngineError};

use super::LivyShared;
use super::sessions::delete_session;

/// How often sessions are checked (Livy's timeouts are whole seconds).
const SWEEP: Duration = Duration::from_secs(1);
/// The most sessions one sweep looks at.
const MAX_SWEPT: u32 = 10_000;

/// When each session's client was last heard from, by Livy id.
#[derive(Default)]
pub(crate) struct Heartbeats(Mutex<HashMap<u32, Instant>>);

impl Heartbeats {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Instant>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn seen(&self, id: u32) {
        self.map().insert(id, Instant::now());
    }

    pub(crate) fn forget(&self, id: u32) {
        self.map().remove(&id);
    }

    /// The last time `id` was heard from; a session not heard from yet starts now.
    fn last_seen(&self, id: u32, now: Instant) -> Instant {
        *self.map().entry(id).or_insert(now)
    }
}

/// Whether a session is to be deleted: it has a timeout, its client has been silent for
/// longer, and nothing of it runs.
pub(crate) fn expired(timeout_seconds: u32, silent_for: Duration, running: bool) -> bool {
    timeout_seconds > 0 && silent_for > Duration::from_secs(u64::from(timeout_seconds)) && !running
}

/// Sweeps every [`SWEEP`] until every clone of the `Livy` is dropped.
pub(crate) fn spawn(livy: Weak<LivyShared>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(livy) = livy.upgrade() else { return };
            if let Err(error) = sweep(&livy.engine, &livy.heartbeats).await {
                tracing::warn!(%error, "Livy heartbeat sweep failed");
            }
        }
    });
}

async fn sweep(engine: &Engine, heartbeats: &Heartbeats) -> Result<(), EngineError> {
    let (_, entries) = engine.livy_entries(LivyIdKind::Session, 0, MAX_SWEPT).await?;
    let now = Instant::now();
    for entry in entries.into_iter().filter(|e| e.heartbeat_seconds > 0) {
        let silent_for = now.saturating_duration_since(heartbeats.last_seen(entry.id, now));
        if !expired(entry.heartbeat_seconds, silent_for, false) || runs(engine, &entry).await? {
            continue;
        }
        tracing::info!(session = entry.id, seconds = entry.heartbeat_seconds, "Livy session's client went silent; deleting it");
        if let Err(error) = delete_session(engine, &entry).await {
            tracing::warn!(session = entry.id, error = %error.msg, "cannot delete a timed-out Livy session");
            continue;
        }
        heartbeats.forget(entry.id);
    }
    Ok(())
}

/// Whether a statement of the session is queued or running (a driver is BUSY with it).
async fn runs(engine: &Engine, entry: &LivyEntry) -> Result<bool, EngineError> {
    let group = match engine.get_group(&entry.target_id).await {
        Ok(group) => group,
        Err(EngineError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    if group.jobs.iter().any(|j| j.state == JobState::Busy) {
        return Ok(true);
    }
    Ok(match engine.last_livy_statement(&group.id).await? {
        Some(last) => engine.get_instance(&group.id, &last.instance_id).await.is_ok_and(|i| !i.state.is_terminal()),
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_expires_only_when_silent_past_its_timeout_and_idle() {
        let s = Duration::from_secs;
        assert!(expired(5, s(6), false));
        assert!(!expired(5, s(5), false), "at the timeout, not past it");
        assert!(!expired(5, s(60), true), "never while a statement runs");
        assert!(!expired(0, s(3600), false), "0 is no timeout");
    }
}
