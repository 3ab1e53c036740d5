//! Which stored artifacts (content-addressed by sha256) jobs and groups use. An artifact
//! no row of either table references any more is returned to the caller for removal.

use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::begin_write;
use crate::error::Result;

/// The reference table of one kind of owner, and the owner table its rows go with
/// (ON DELETE CASCADE).
pub(crate) struct ArtifactRefs {
    insert: &'static str,
    select: &'static str,
    delete_owner: &'static str,
}

pub(crate) const JOB_ARTIFACTS: ArtifactRefs = ArtifactRefs {
    insert: "INSERT OR IGNORE INTO job_artifacts (job_id, sha256) VALUES (?, ?)",
    select: "SELECT sha256 FROM job_artifacts WHERE job_id = ?",
    delete_owner: "DELETE FROM jobs WHERE id = ?",
};

pub(crate) const GROUP_ARTIFACTS: ArtifactRefs = ArtifactRefs {
    insert: "INSERT OR IGNORE INTO group_artifacts (group_id, sha256) VALUES (?, ?)",
    select: "SELECT sha256 FROM group_artifacts WHERE group_id = ?",
    delete_owner: "DELETE FROM groups WHERE id = ?",
};

pub(crate) const SCHEDULE_ARTIFACTS: ArtifactRefs = ArtifactRefs {
    insert: "INSERT OR IGNORE INTO schedule_artifacts (schedule_id, sha256) VALUES (?, ?)",
    select: "SELECT sha256 FROM schedule_artifacts WHERE schedule_id = ?",
    delete_owner: "DELETE FROM schedules WHERE id = ?",
};

impl ArtifactRefs {
    /// Records that `id` uses each of `shas` (again is fine).
    pub(crate) async fn add(&self, conn: &mut SqliteConnection, id: &str, shas: &[&str]) -> Result<()> {
        for sha in shas {
            sqlx::query(self.insert).bind(id).bind(sha).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Deletes the owner `id` (its references, tags and instances go with it) and returns
    /// the artifacts nothing references any more; `None` when there was no such owner.
    pub(crate) async fn delete_owner(&self, pool: &SqlitePool, id: &str) -> Result<Option<Vec<String>>> {
        let mut tx = begin_write(pool).await?;
        let shas: Vec<String> = sqlx::query_scalar(self.select).bind(id).fetch_all(&mut *tx).await?;
        let done = sqlx::query(self.delete_owner).bind(id).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let orphans = unreferenced(&mut tx, shas).await?;
        tx.commit().await?;
        Ok(Some(orphans))
    }
}

/// Of `shas`, those no job, group or schedule references any more.
pub(crate) async fn unreferenced(conn: &mut SqliteConnection, shas: Vec<String>) -> Result<Vec<String>> {
    let mut orphans = Vec::new();
    for sha in shas {
        let used: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM job_artifacts WHERE sha256 = ?1) + (SELECT COUNT(*) FROM group_artifacts WHERE sha256 = ?1)
                  + (SELECT COUNT(*) FROM schedule_artifacts WHERE sha256 = ?1)",
        )
        .bind(&sha)
        .fetch_one(&mut *conn)
        .await?;
        if used == 0 {
            orphans.push(sha);
        }
    }
    Ok(orphans)
}
