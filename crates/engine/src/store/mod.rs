//! SQLite through sqlx: one pool, WAL journal, migrations embedded at build time.
//!
//! With WAL and `synchronous=NORMAL` a committed transaction survives a crash of the app
//! (only an OS crash or power loss can drop the last commits), which is the guarantee the
//! engine relies on when it announces a change after committing it.

pub(crate) mod artifacts;
pub(crate) mod clusters;
pub(crate) mod groups;
pub(crate) mod instances;
pub(crate) mod jobs;
mod livy_ids;
mod run_durations;
pub(crate) mod schedules;
pub(crate) mod sql;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::error::Result;

#[derive(Clone)]
pub(crate) struct Store {
    pub(crate) pool: SqlitePool,
}

impl Store {
    /// `busy_timeout`: how long a write waits for another writer's lock before it fails.
    pub(crate) async fn open(path: &Path, busy_timeout: Duration) -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // 16 MiB of pages per connection (default 2 MiB): a tag-filtered page reads
            // scattered job rows, and at 100,000 jobs they no longer fit in 2 MiB.
            .pragma("cache_size", "-16384")
            .busy_timeout(busy_timeout);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// A transaction that writes. `BEGIN IMMEDIATE` takes the write lock before the first
/// statement: a deferred one that reads first and writes later fails at once
/// (`SQLITE_BUSY_SNAPSHOT`, no busy wait) whenever another write committed in between,
/// while this one waits for the lock up to the busy timeout and then reads current rows.
pub(crate) async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}
