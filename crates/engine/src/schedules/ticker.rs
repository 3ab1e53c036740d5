//! The ticker: one task per engine, started by `Engine::open` and stopped by
//! `Engine::shutdown` (or when the engine goes), the one writer of every schedule's due
//! state. It looks when the next due time comes (at least every second), when a schedule
//! changes, when a run ends (a QUEUE'd time may start) and when a hand-moved clock moves.
//!
//! Each look moves a schedule's `last_due` to its newest due time and inserts that time's
//! runs in the same transaction (a compare-and-set on what it read), so no due time runs
//! twice, also across a crash. The first look after the engine opens, and the first after
//! the wall clock jumped ahead of the monotonic one (the machine slept), apply `catchUp`
//! to the times that were missed; otherwise the times due since the last look run once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::events::EngineEvent;
use crate::limits::MAX_CATCH_UP_RUNS;
use crate::model::job::JobRecord;
use crate::model::schedule::{CatchUp, CronClock, OverlapPolicy, ScheduleRecord};

use super::schedule_run;

/// The longest the ticker sleeps: after a sleep of the machine it notices within this.
const MAX_NAP: Duration = Duration::from_secs(1);
/// A due time whose look failed (a busy database) is tried again after this.
const MIN_NAP: Duration = Duration::from_millis(20);
/// A wall clock that moved this much further than the monotonic one jumped.
const JUMP_MS: i64 = 2_000;
/// While catching up, a due time this recent is on time (runs even with `catchUp=NONE`).
const ON_TIME_MS: i64 = 1_000;

/// The ticker's handle in the engine.
#[derive(Default)]
pub(crate) struct Ticker {
    wake: Arc<Notify>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Ticker {
    /// Makes the ticker look now (a schedule changed).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            task.abort();
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Parsed crons, by schedule id, with the text they were parsed from.
type Crons = HashMap<String, (String, String, CronClock)>;

impl Engine {
    pub(crate) fn start_ticker(&self) {
        let weak = self.downgrade();
        let wake = self.inner().ticker.wake.clone();
        let clock = self.config().clock.clone();
        let mut events = self.subscribe();
        // Asks whether there is anything to look at without holding the engine, so an
        // engine without schedules is never kept alive by its ticker.
        let store = self.store().clone();
        let task = tokio::spawn(async move {
            let mut moves = clock.moves();
            let mut crons = Crons::new();
            let mut catching_up = true;
            let mut seen = (clock.wall_ms(), clock.monotonic());
            loop {
                let (wall, awake) = (clock.wall_ms(), clock.monotonic());
                let awake_ms = i64::try_from(awake.saturating_sub(seen.1).as_millis()).unwrap_or(i64::MAX);
                if wall - seen.0 - awake_ms > JUMP_MS {
                    tracing::info!(by_ms = wall - seen.0 - awake_ms, "the clock jumped (the machine slept?); catching up schedules");
                    catching_up = true;
                }
                seen = (wall, awake);
                let next = match store.has_enabled_schedules().await {
                    Ok(false) => None,
                    _ => {
                        let Some(engine) = Engine::upgrade(&weak) else { return };
                        engine.look(wall, catching_up, &mut crons).await
                    }
                };
                catching_up = false;
                let nap = next.map_or(MAX_NAP, |due| {
                    match u64::try_from(due.saturating_sub(clock.wall_ms())) {
                        Ok(ahead) if ahead > 0 => Duration::from_millis(ahead).min(MAX_NAP),
                        _ => MIN_NAP, // due already and not run: the look failed
                    }
                });
                tokio::select! {
                    () = tokio::time::sleep(nap) => {}
                    () = wake.notified() => {}
                    () = moved(&mut moves) => {}
                    () = run_ended(&mut events) => {}
                }
            }
        });
        let mut slot = self.inner().ticker.task.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(old) = slot.replace(task) {
            old.abort();
        }
    }

    /// One look at every ENABLED schedule; the earliest next due time among them.
    async fn look(&self, now: i64, catching_up: bool, crons: &mut Crons) -> Option<i64> {
        if self.is_shutting_down() {
            return None;
        }
        let (schedules, active) = match (self.store().enabled_schedules().await, self.store().schedules_with_active_runs().await) {
            (Ok(s), Ok(a)) => (s, a),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot read the schedules");
                return None;
            }
        };
        let ids: HashSet<&str> = schedules.iter().map(|s| s.id.as_str()).collect();
        crons.retain(|id, _| ids.contains(id.as_str()));
        let mut earliest: Option<i64> = None;
        for s in &schedules {
            let fresh = crons.get(&s.id).is_some_and(|(cron, zone, _)| *cron == s.cron && *zone == s.time_zone);
            if !fresh {
                match s.clock() {
                    Ok(clock) => {
                        crons.insert(s.id.clone(), (s.cron.clone(), s.time_zone.clone(), clock));
                    }
                    Err(e) => {
                        tracing::error!(id = %s.id, error = %e, "a stored schedule's cron does not parse; it does not run");
                        continue;
                    }
                }
            }
            let Some((_, _, clock)) = crons.get(&s.id) else { continue };
            let last_due = self.look_at(s, clock, now, catching_up, active.contains(&s.id)).await.unwrap_or(s.last_due);
            let next = clock.next_after(last_due.max(s.start_time - 1)).filter(|t| s.end_time == 0 || *t <= s.end_time);
            if let Some(next) = next {
                earliest = Some(earliest.map_or(next, |e| e.min(next)));
            }
        }
        earliest
    }

    /// Runs what one schedule has due; its `last_due` after, or None when unchanged.
    async fn look_at(&self, s: &ScheduleRecord, clock: &CronClock, now: i64, catching_up: bool, mut busy: bool) -> Option<i64> {
        let after = s.last_due.max(s.start_time - 1);
        let until = if s.end_time == 0 { now } else { now.min(s.end_time) };
        let newest = clock.latest_until(until).filter(|t| *t > after);
        let mut runs: Vec<JobRecord> = Vec::new();
        let mut queued = s.queued_due;
        // A QUEUE'd time starts once the previous run has ended.
        if queued != 0 && !busy {
            runs.push(schedule_run(s, queued));
            queued = 0;
            busy = true;
        }
        let mut replace = false;
        if let Some(newest) = newest {
            let mut due = if !catching_up {
                vec![newest]
            } else {
                match s.catch_up {
                    CatchUp::None if now - newest > ON_TIME_MS => Vec::new(),
                    CatchUp::None | CatchUp::Latest => vec![newest],
                    CatchUp::All => {
                        let horizon = i64::try_from(s.catch_up_horizon).unwrap_or(i64::MAX).saturating_mul(1000);
                        clock.due_between(after.max(now.saturating_sub(horizon)), until, MAX_CATCH_UP_RUNS)
                    }
                }
            };
            if busy && !due.is_empty() {
                match s.overlap_policy {
                    OverlapPolicy::Skip => due.clear(),
                    OverlapPolicy::Queue => {
                        // One waits per schedule: a newer time takes the place of an older one.
                        queued = newest;
                        due.clear();
                    }
                    OverlapPolicy::Replace => replace = true,
                    OverlapPolicy::Allow => {}
                }
            }
            runs.extend(due.into_iter().map(|t| schedule_run(s, t)));
        }
        let last_due = newest.unwrap_or(s.last_due);
        if last_due == s.last_due && queued == s.queued_due && runs.is_empty() {
            return None;
        }
        let previous = match replace {
            true => self.store().active_schedule_runs(&s.id).await.unwrap_or_default(),
            false => Vec::new(),
        };
        match self.commit_runs(s, (last_due, queued), &runs).await {
            Ok(true) => {}
            Ok(false) => return None, // changed meanwhile (paused, updated): the next look sees it
            Err(e) => {
                tracing::error!(id = %s.id, error = %e, "cannot record a schedule's runs; trying again");
                return None;
            }
        }
        for run in &runs {
            tracing::info!(schedule = %s.id, job = %run.job.job_id, due = run.due_time, "schedule run");
            self.publish(EngineEvent::JobChanged { job: run.job.clone() });
        }
        for old in previous {
            let engine = self.clone();
            tokio::spawn(async move {
                if let Err(e) = engine.stop_job(&old.job.job_id).await {
                    tracing::warn!(id = %old.job.job_id, error = %e, "cannot stop the run a new one replaces");
                }
            });
        }
        if !runs.is_empty() {
            Box::pin(self.dispatch()).await;
        }
        if let Ok(stored) = self.schedule_record(&s.id).await
            && let Ok(view) = self.schedule_view(&stored).await
        {
            self.publish(EngineEvent::ScheduleChanged { schedule: Box::new(view) });
        }
        Some(last_due)
    }

    /// Links each run's files and commits the schedule's new due state with the runs.
    async fn commit_runs(&self, s: &ScheduleRecord, next: (i64, i64), runs: &[JobRecord]) -> crate::error::Result<bool> {
        let _artifacts = self.inner().artifact_lock.lock().await;
        let dirs: Vec<_> = runs.iter().map(|r| self.job_dir(&r.job.job_id)).collect();
        let linked = runs.iter().zip(&dirs).try_for_each(|(run, dir)| self.link_spec(&run.spec, dir));
        let committed = match linked {
            Ok(()) => self.store().advance_schedule(&s.id, (s.last_due, s.queued_due), next, runs).await,
            Err(e) => Err(e),
        };
        if !matches!(committed, Ok(true)) {
            for dir in &dirs {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        committed
    }
}

/// Returns when a hand-moved clock moves; never for the machine's clock.
async fn moved(moves: &mut Option<watch::Receiver<u64>>) {
    let changed = match moves {
        Some(rx) => rx.changed().await.is_ok(),
        None => false,
    };
    if !changed {
        std::future::pending::<()>().await;
    }
}

/// Returns when a schedule's run ends (or events were missed).
async fn run_ended(events: &mut broadcast::Receiver<EngineEvent>) {
    loop {
        match events.recv().await {
            Ok(EngineEvent::JobChanged { job }) if job.schedule_id.is_some() && job.state.is_terminal() => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

