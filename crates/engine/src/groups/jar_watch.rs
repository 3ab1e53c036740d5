//! Jar watching: a group created from local jar files with `watch_jars` on redeploys a
//! file when it is rebuilt. `notify` watches each file's directory (build tools replace a
//! jar by renaming a new file over it, which a watch on the file itself would miss);
//! changes are debounced, the new jar is stored as an artifact and committed into the
//! group's spec, and the supervisor rolls the drivers over (`reconcile`: new drivers
//! first, the old ones retire once the new ones are READY, busy ones after their request).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::model::group::{GroupRecord, GroupState};
use crate::time::now_ms;

use super::live::jar_shas;

/// A jar written in several steps settles for this long before it is read.
const QUIET: Duration = Duration::from_millis(500);

/// One group's watch; dropping it ends the watcher and its task.
pub(crate) struct JarWatch {
    _watcher: notify::RecommendedWatcher,
    task: JoinHandle<()>,
}

impl Drop for JarWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether an event may have changed a file's content. Reads (ours included, when a
/// rebuilt jar is taken) must not count, or each redeploy would trigger the next.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

impl Engine {
    /// Watches a group's jar files while it is ACTIVE, not paused, and asked for it;
    /// stops watching otherwise. Called after each committed change of the group.
    pub(crate) fn sync_jar_watch(&self, record: &GroupRecord) {
        let g = &record.group;
        let wanted = record.watch_jars && !record.jar_paths.is_empty() && g.state == GroupState::Active && !g.paused;
        if !wanted {
            self.stop_jar_watch(&g.id);
            return;
        }
        let Ok(mut watches) = self.inner().jar_watches.lock() else { return };
        if watches.contains_key(&g.id) {
            return;
        }
        match self.start_jar_watch(&g.id, &record.jar_paths) {
            Ok(watch) => {
                tracing::info!(group = %g.id, jars = record.jar_paths.len(), "watching jars");
                watches.insert(g.id.clone(), watch);
            }
            Err(e) => tracing::warn!(group = %g.id, error = %e, "cannot watch the group's jars"),
        }
    }

    pub(crate) fn stop_jar_watch(&self, group_id: &str) {
        let removed = self.inner().jar_watches.lock().ok().and_then(|mut w| w.remove(group_id));
        if removed.is_some() {
            tracing::info!(group = group_id, "no longer watching jars");
        }
    }

    fn start_jar_watch(&self, group_id: &str, paths: &[PathBuf]) -> notify::Result<JarWatch> {
        let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
        // Each file is looked at once at the start too: it may have been rebuilt while
        // nobody watched (group paused, Sparkdeck closed). An unchanged one is a no-op.
        for path in paths {
            let _ = tx.send(path.clone());
        }
        let watched: BTreeSet<PathBuf> = paths.iter().cloned().collect();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
            let Ok(event) = event else { return };
            if is_change(&event.kind) {
                for path in event.paths.into_iter().filter(|p| watched.contains(p)) {
                    let _ = tx.send(path);
                }
            }
        })?;
        let dirs: BTreeSet<&Path> = paths.iter().filter_map(|p| p.parent()).collect();
        for dir in dirs {
            watcher.watch(dir, RecursiveMode::NonRecursive)?;
        }
        let weak = self.downgrade();
        let group_id = group_id.to_string();
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut changed = BTreeSet::from([first]);
                while let Ok(Some(path)) = tokio::time::timeout(QUIET, rx.recv()).await {
                    changed.insert(path);
                }
                let Some(engine) = Engine::upgrade(&weak) else { return };
                for path in changed {
                    if let Err(e) = engine.redeploy_jar(&group_id, &path).await {
                        tracing::warn!(group = %group_id, path = %path.display(), error = %e, "cannot redeploy the rebuilt jar");
                    }
                }
            }
        });
        Ok(JarWatch { _watcher: watcher, task })
    }

    /// Takes a rebuilt jar: stores it, commits it into the group's spec, announces the
    /// change and lets the supervisor roll the drivers over. A file that is gone or not a
    /// jar (yet) is skipped: the drivers keep the last good one.
    async fn redeploy_jar(&self, group_id: &str, path: &Path) -> Result<()> {
        let mut uploads = match self.stage_jar_paths(&[path.to_path_buf()]).await {
            Ok(uploads) => uploads,
            Err(e) => {
                tracing::warn!(group = group_id, path = %path.display(), error = %e, "rebuilt jar unreadable; keeping the old one");
                return Ok(());
            }
        };
        let Some(upload) = uploads.pop() else { return Ok(()) };
        if !upload.is_zip() {
            tracing::warn!(group = group_id, path = %path.display(), "rebuilt file is not a jar; keeping the old one");
            return Ok(());
        }
        let (_change, mut record) = self.lock_group(group_id).await?;
        let record = {
            let _artifacts = self.inner().artifact_lock.lock().await;
            let Some(slot) = record.spec.jars.iter().position(|j| j.name == upload.name) else { return Ok(()) };
            let old = record.spec.jars[slot].sha256.clone();
            if old == upload.sha256 {
                return Ok(()); // touched, not changed
            }
            let mut stored = self.storing_uploads();
            let new = stored.store(upload)?;
            let sha = new.sha256.clone();
            record.spec.jars[slot] = new;
            record.group.updated_time = now_ms().max(record.group.updated_time);
            let orphans = self.store().replace_group_jar(&record, &old, &sha).await?.ok_or_else(|| EngineError::not_found("group", group_id))?;
            stored.keep();
            self.remove_artifacts(&orphans);
            tracing::info!(group = group_id, path = %path.display(), sha = %sha, "jar rebuilt; redeploying");
            record
        };
        let group = self.get_group(group_id).await?;
        self.publish(EngineEvent::GroupChanged { group: Box::new(group) });
        if let Some(live) = self.group_live(group_id) {
            live.lock().set_jars(jar_shas(&record.spec));
            live.wake.notify_one();
        }
        Ok(())
    }
}

/// The watches of all groups, by group id (held by the engine).
pub(crate) type JarWatches = HashMap<String, JarWatch>;
