//! Livy's integer ids (`livy_ids`, `livy_statements`; see migration 0015).

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::{Store, begin_write};
use crate::error::Result;
use crate::livy_ids::{LivyEntry, LivyIdKind, LivyStatementRef, NewLivyEntry};

fn entry(row: &SqliteRow, kind: LivyIdKind) -> Result<LivyEntry> {
    Ok(LivyEntry {
        kind,
        id: u32::try_from(row.try_get::<i64, _>("id")?).unwrap_or(u32::MAX),
        target_id: row.try_get("target_id")?,
        livy_kind: row.try_get("livy_kind")?,
        name: row.try_get("name")?,
        proxy_user: row.try_get("proxy_user")?,
        heartbeat_seconds: u32::try_from(row.try_get::<i64, _>("heartbeat_seconds")?).unwrap_or(0),
        created_time: row.try_get("created_time")?,
    })
}

fn statement(row: &SqliteRow) -> Result<LivyStatementRef> {
    Ok(LivyStatementRef {
        id: u32::try_from(row.try_get::<i64, _>("id")?).unwrap_or(u32::MAX),
        instance_id: row.try_get("instance_id")?,
        livy_kind: row.try_get("livy_kind")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
    })
}

/// Numbers a code request of a session's group, in the transaction that stores it: one
/// more than its last statement's.
pub(crate) async fn number_livy_statement(tx: &mut Transaction<'static, Sqlite>, group_id: &str, instance_id: &str, livy_kind: &str) -> Result<u32> {
    let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id) + 1, 0) FROM livy_statements WHERE group_id = ?")
        .bind(group_id)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO livy_statements (group_id, id, instance_id, livy_kind) VALUES (?, ?, ?, ?)")
        .bind(group_id)
        .bind(next)
        .bind(instance_id)
        .bind(livy_kind)
        .execute(&mut **tx)
        .await?;
    Ok(u32::try_from(next).unwrap_or(u32::MAX))
}

const ENTRY_COLUMNS: &str = "id, target_id, livy_kind, name, proxy_user, heartbeat_seconds, created_time";
const STATEMENT_COLUMNS: &str = "id, instance_id, livy_kind, cancel_requested";

impl Store {
    /// The next id of `kind` (one more than any ever given, from 0), reserved unbound.
    pub(crate) async fn reserve_livy_id(&self, new: &NewLivyEntry, now: i64) -> Result<u32> {
        let mut tx = begin_write(&self.pool).await?;
        let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id) + 1, 0) FROM livy_ids WHERE kind = ?")
            .bind(new.kind.as_str())
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO livy_ids (kind, id, livy_kind, name, proxy_user, heartbeat_seconds, created_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.kind.as_str())
        .bind(next)
        .bind(&new.livy_kind)
        .bind(&new.name)
        .bind(&new.proxy_user)
        .bind(i64::from(new.heartbeat_seconds))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(u32::try_from(next).unwrap_or(u32::MAX))
    }

    pub(crate) async fn bind_livy_id(&self, kind: LivyIdKind, id: u32, target_id: &str) -> Result<()> {
        sqlx::query("UPDATE livy_ids SET target_id = ? WHERE kind = ? AND id = ?")
            .bind(target_id)
            .bind(kind.as_str())
            .bind(i64::from(id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Unbinds an id (its group or job is gone, or was never made). The row stays, so the
    /// id is never given again.
    pub(crate) async fn release_livy_id(&self, kind: LivyIdKind, id: u32) -> Result<()> {
        sqlx::query("UPDATE livy_ids SET target_id = NULL, heartbeat_seconds = 0 WHERE kind = ? AND id = ?")
            .bind(kind.as_str())
            .bind(i64::from(id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes a reservation that was never bound (its group or job was refused), so the
    /// next reservation takes its number again: a refused create changes nothing.
    pub(crate) async fn cancel_livy_reservation(&self, kind: LivyIdKind, id: u32) -> Result<()> {
        sqlx::query("DELETE FROM livy_ids WHERE kind = ? AND id = ? AND target_id IS NULL")
            .bind(kind.as_str())
            .bind(i64::from(id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn livy_entry(&self, kind: LivyIdKind, id: u32) -> Result<Option<LivyEntry>> {
        let row = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM livy_ids WHERE kind = ? AND id = ? AND target_id IS NOT NULL"))
            .bind(kind.as_str())
            .bind(i64::from(id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| entry(&r, kind)).transpose()
    }

    /// Bound entries of `kind` in id order: `size` from the `from`th, and how many there are.
    pub(crate) async fn livy_entries(&self, kind: LivyIdKind, from: u32, size: u32) -> Result<(u64, Vec<LivyEntry>)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM livy_ids WHERE kind = ? AND target_id IS NOT NULL")
            .bind(kind.as_str())
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM livy_ids WHERE kind = ? AND target_id IS NOT NULL ORDER BY id LIMIT ? OFFSET ?"
        ))
        .bind(kind.as_str())
        .bind(i64::from(size))
        .bind(i64::from(from))
        .fetch_all(&self.pool)
        .await?;
        let entries = rows.iter().map(|r| entry(r, kind)).collect::<Result<_>>()?;
        Ok((u64::try_from(total).unwrap_or(0), entries))
    }

    pub(crate) async fn livy_statement(&self, group_id: &str, id: u32) -> Result<Option<LivyStatementRef>> {
        let row = sqlx::query(&format!("SELECT {STATEMENT_COLUMNS} FROM livy_statements WHERE group_id = ? AND id = ?"))
            .bind(group_id)
            .bind(i64::from(id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(statement).transpose()
    }

    pub(crate) async fn livy_statements(&self, group_id: &str, from: u32, size: u32, newest_first: bool) -> Result<(u64, Vec<LivyStatementRef>)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM livy_statements WHERE group_id = ?")
            .bind(group_id)
            .fetch_one(&self.pool)
            .await?;
        let order = if newest_first { "DESC" } else { "ASC" };
        let rows = sqlx::query(&format!(
            "SELECT {STATEMENT_COLUMNS} FROM livy_statements WHERE group_id = ? ORDER BY id {order} LIMIT ? OFFSET ?"
        ))
        .bind(group_id)
        .bind(i64::from(size))
        .bind(i64::from(from))
        .fetch_all(&self.pool)
        .await?;
        Ok((u64::try_from(total).unwrap_or(0), rows.iter().map(statement).collect::<Result<_>>()?))
    }

    pub(crate) async fn last_livy_statement(&self, group_id: &str) -> Result<Option<LivyStatementRef>> {
        let row = sqlx::query(&format!("SELECT {STATEMENT_COLUMNS} FROM livy_statements WHERE group_id = ? ORDER BY id DESC LIMIT 1"))
        .bind(group_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(statement).transpose()
    }

    pub(crate) async fn mark_livy_cancel(&self, group_id: &str, id: u32) -> Result<()> {
        sqlx::query("UPDATE livy_statements SET cancel_requested = 1 WHERE group_id = ? AND id = ?")
            .bind(group_id)
            .bind(i64::from(id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
