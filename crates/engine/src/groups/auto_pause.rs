//! `autoPause`: a group whose drivers were idle (nothing queued, nothing running) for
//! `EngineConfig::auto_pause_idle` is paused by its supervisor, and the next request to it
//! resumes it and waits in its queue for a driver. Both go through the same locked paths as
//! the user's pause and resume, so the change is committed before it is announced and
//! before any driver is stopped or launched.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::Engine;
use crate::error::Result;
use crate::model::group::{GroupRecord, GroupState};

use super::live::GroupLive;

impl Engine {
    /// Each pass of the supervisor: starts the pause of a group idle long enough. In a
    /// task of its own, as the pause waits for the group's change lock, and a change
    /// holding it must not wait for the supervisor's pass.
    pub(super) fn auto_pause_if_idle(&self, live: &Arc<GroupLive>) {
        let idle = self.config().auto_pause_idle;
        if !live.lock().auto_pause_due(Instant::now(), idle) {
            return;
        }
        let weak = self.downgrade();
        let live = live.clone();
        tokio::spawn(async move {
            let Some(engine) = Engine::upgrade(&weak) else { return };
            if let Err(e) = engine.auto_pause(&live, idle).await {
                tracing::error!(group = %live.id, error = %e, "cannot pause an idle group");
                // A later pass tries again.
                live.lock().forget_auto_pause();
            }
        });
    }

    async fn auto_pause(&self, live: &Arc<GroupLive>, idle: Duration) -> Result<()> {
        let (_change, mut record) = self.lock_group(&live.id).await?;
        let g = &record.group;
        // A request, or a change, may have come between the pass and the lock.
        let still_idle = g.auto_pause && g.state == GroupState::Active && !g.paused && live.lock().confirm_auto_pause(Instant::now(), idle);
        if !still_idle {
            return Ok(());
        }
        tracing::info!(group = %live.id, name = %g.name, idle_seconds = idle.as_secs(), "pausing an idle group (autoPause)");
        let reason = format!("the group was idle for {} s (autoPause)", idle.as_secs());
        self.pause_locked(&mut record, &reason).await?;
        Ok(())
    }

    /// A request to a paused group with autoPause resumes it; the caller holds the
    /// group's change lock, which it keeps until the request is queued, so no auto-pause
    /// comes between. Other groups are returned as they are.
    pub(super) async fn resume_for_request(&self, mut record: GroupRecord) -> Result<GroupRecord> {
        let g = &record.group;
        if g.auto_pause && g.paused && g.state == GroupState::Active {
            tracing::info!(group = %g.id, name = %g.name, "a request resumes the paused group (autoPause)");
            self.resume_locked(&mut record).await?;
        }
        Ok(record)
    }
}
