//! SQL for comparing a run with earlier runs of its name: the usual duration behind the Jobs
//! list's slow-run mark, and the previous run.

use sqlx::Row;

use super::Store;
use super::jobs::from_row;
use super::sql::decode_readable;
use crate::error::Result;
use crate::model::job::{Job, JobState};

/// How many earlier FINISHED runs make the usual duration, and the fewest that count.
const RUNS: i64 = 5;
const FEWEST: usize = 3;
/// A run this much slower than usual is marked.
const SLOW_RATIO: f64 = 1.5;

/// The median of a few durations (the mean of the middle two for an even count).
fn median(mut d: Vec<i64>) -> i64 {
    d.sort_unstable();
    let mid = d.len() / 2;
    if d.len() % 2 == 1 { d[mid] } else { (d[mid - 1] + d[mid]) / 2 }
}

impl Store {
    /// Fills `usual_duration_ms` and `slower_than_usual` of FINISHED jobs, in one query for
    /// all of them (each an index range of `jobs_name_state_submit`).
    pub(crate) async fn mark_slow_runs(&self, jobs: &mut [Job]) -> Result<()> {
        let finished: Vec<usize> = (0..jobs.len()).filter(|i| jobs[*i].state == JobState::Finished).collect();
        if finished.is_empty() {
            return Ok(());
        }
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("WITH page(n, name, submit_time, id) AS (VALUES ");
        let mut rows = q.separated(", ");
        for (n, i) in finished.iter().enumerate() {
            let job = &jobs[*i];
            rows.push("(")
                .push_bind_unseparated(n as i64)
                .push_unseparated(", ")
                .push_bind_unseparated(&job.job_name)
                .push_unseparated(", ")
                .push_bind_unseparated(job.submit_time)
                .push_unseparated(", ")
                .push_bind_unseparated(&job.job_id)
                .push_unseparated(")");
        }
        q.push(
            ") SELECT page.n, (SELECT group_concat(d) FROM (SELECT p.end_time - p.start_time AS d FROM jobs p
               WHERE p.name = page.name AND p.state = 'FINISHED' AND p.start_time > 0 AND p.end_time >= p.start_time
                 AND (p.submit_time < page.submit_time OR (p.submit_time = page.submit_time AND p.id < page.id))
               ORDER BY p.submit_time DESC, p.id DESC LIMIT ",
        )
        .push_bind(RUNS)
        .push(")) AS durations FROM page");
        for row in q.build().fetch_all(&self.pool).await? {
            let n: i64 = row.try_get("n")?;
            let durations: Option<String> = row.try_get("durations")?;
            let durations: Vec<i64> = durations.unwrap_or_default().split(',').filter_map(|d| d.parse().ok()).collect();
            let Some(job) = usize::try_from(n).ok().and_then(|n| finished.get(n)).map(|i| &mut jobs[*i]) else { continue };
            if durations.len() < FEWEST {
                continue;
            }
            // A usual duration of 0 ms says nothing (and is null).
            let Some(usual) = std::num::NonZeroI64::new(median(durations)) else { continue };
            let took = job.end_time - job.start_time;
            job.usual_duration_ms = Some(usual);
            job.slower_than_usual = job.start_time > 0 && took as f64 >= SLOW_RATIO * usual.get() as f64;
        }
        Ok(())
    }

    /// The newest ended run named `name` submitted before `before` (not `except`).
    pub(crate) async fn previous_ended_run(&self, name: &str, before: i64, except: &str) -> Result<Option<Job>> {
        let ended: Vec<String> = JobState::ALL.iter().filter(|s| s.is_terminal()).map(|s| format!("'{}'", s.as_str())).collect();
        let sql = format!(
            "SELECT * FROM jobs WHERE name = ? AND state IN ({}) AND submit_time <= ? AND id <> ?
             ORDER BY submit_time DESC, id DESC LIMIT 1",
            ended.join(", ")
        );
        let rows = sqlx::query(&sql).bind(name).bind(before).bind(except).fetch_all(&self.pool).await?;
        Ok(decode_readable("jobs", &rows, from_row).into_iter().next().map(|r| r.job))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn medians() {
        assert_eq!(super::median(vec![5, 1, 3]), 3);
        assert_eq!(super::median(vec![4, 1, 3, 2]), 2);
    }
}
