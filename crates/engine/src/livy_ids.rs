//! Livy's integer ids for the Livy API (`crates/server/src/livy/`): a session is a CODE
//! group, a batch a single job, each numbered per kind from 0; a session's statements
//! (its group's code requests) are numbered from 0. Kept in SQLite, so they survive a
//! restart. An id is reserved before its group or job is made and bound to it after:
//! a crash in between skips a number, never gives one twice.

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::model::group::{GroupRequest, JobInstance, RequestOptions};
use crate::time::now_ms;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivyIdKind {
    Session,
    Batch,
}

impl LivyIdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Batch => "batch",
        }
    }
}

/// What a new id is reserved with: what Livy shows that the group or job does not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLivyEntry {
    pub kind: LivyIdKind,
    /// A session's kind as asked (`pyspark`, `spark`, `sql`).
    pub livy_kind: Option<String>,
    pub name: Option<String>,
    pub proxy_user: Option<String>,
    /// A session whose client asks nothing for this long is deleted (0: never).
    pub heartbeat_seconds: u32,
}

/// A bound id: the group (session) or job (batch) it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivyEntry {
    pub kind: LivyIdKind,
    pub id: u32,
    pub target_id: String,
    pub livy_kind: Option<String>,
    pub name: Option<String>,
    pub proxy_user: Option<String>,
    pub heartbeat_seconds: u32,
    pub created_time: i64,
}

/// A statement of a session: its number and the group request it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivyStatementRef {
    pub id: u32,
    pub instance_id: String,
    /// Its `kind` as sent (`pyspark`, `spark`, `sql`).
    pub livy_kind: String,
    pub cancel_requested: bool,
}

impl Engine {
    /// Reserves the next id of `new.kind`; [`Engine::bind_livy_id`] names its target once made.
    pub async fn reserve_livy_id(&self, new: &NewLivyEntry) -> Result<u32> {
        self.store().reserve_livy_id(new, now_ms()).await
    }

    pub async fn bind_livy_id(&self, kind: LivyIdKind, id: u32, target_id: &str) -> Result<()> {
        self.store().bind_livy_id(kind, id, target_id).await
    }

    /// Unbinds an id whose group or job is gone or was never made; it is not given again.
    pub async fn release_livy_id(&self, kind: LivyIdKind, id: u32) -> Result<()> {
        self.store().release_livy_id(kind, id).await
    }

    /// Gives back a reservation whose group or job was refused: the next one takes its number.
    pub async fn cancel_livy_reservation(&self, kind: LivyIdKind, id: u32) -> Result<()> {
        self.store().cancel_livy_reservation(kind, id).await
    }

    /// The bound id `id` of `kind`, if any.
    pub async fn livy_entry(&self, kind: LivyIdKind, id: u32) -> Result<Option<LivyEntry>> {
        self.store().livy_entry(kind, id).await
    }

    /// `size` bound ids of `kind` from the `from`th in id order, and how many are bound.
    pub async fn livy_entries(&self, kind: LivyIdKind, from: u32, size: u32) -> Result<(u64, Vec<LivyEntry>)> {
        self.store().livy_entries(kind, from, size).await
    }

    /// Queues a code request to a session's group as its next statement: the request and
    /// its number are stored together. Returns both.
    pub async fn submit_livy_statement(&self, group_id: &str, request: GroupRequest, livy_kind: &str) -> Result<(JobInstance, u32)> {
        let (instance, _, statement) = self.enqueue(group_id, request, RequestOptions::default(), None, Some(livy_kind)).await?;
        let id = statement.ok_or_else(|| EngineError::Internal("a Livy statement was stored without its number".into()))?;
        Ok((instance, id))
    }

    pub async fn livy_statement(&self, group_id: &str, id: u32) -> Result<Option<LivyStatementRef>> {
        self.store().livy_statement(group_id, id).await
    }

    /// `size` statements of a session's group from the `from`th (oldest first, or newest
    /// first), and how many it has.
    pub async fn livy_statements(&self, group_id: &str, from: u32, size: u32, newest_first: bool) -> Result<(u64, Vec<LivyStatementRef>)> {
        self.store().livy_statements(group_id, from, size, newest_first).await
    }

    /// A session's newest statement, if it has any.
    pub async fn last_livy_statement(&self, group_id: &str) -> Result<Option<LivyStatementRef>> {
        self.store().last_livy_statement(group_id).await
    }

    /// Records that a cancel of statement `id` was asked for.
    pub async fn mark_livy_cancel(&self, group_id: &str, id: u32) -> Result<()> {
        self.store().mark_livy_cancel(group_id, id).await
    }
}
