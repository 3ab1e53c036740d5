//! A driver's log as Livy pages it: its stdout then its stderr as one list of lines,
//! `size` of them (default 100) from line `from` (default: the last `size`), read through
//! the engine's line index (no scan of the files).

use sparkdeck_engine::Engine;
use sparkdeck_engine::model::job::JobLog;

use super::errors::LivyResult;
use super::wire::Paging;

const LOGS: [&str; 2] = ["driver-stdout", "driver-stderr"];

/// The most lines one answer carries.
pub(crate) const MAX_LOG_PAGE: u32 = 1000;

pub(crate) struct LogPage {
    pub(crate) from: u64,
    pub(crate) total: u64,
    pub(crate) lines: Vec<String>,
}

/// Lines of `job_id`'s driver log (none when there is no driver yet).
pub(crate) async fn driver_log(engine: &Engine, job_id: Option<&str>, paging: Paging, default_size: u32) -> LivyResult<LogPage> {
    let Some(job_id) = job_id else {
        return Ok(LogPage { from: u64::from(paging.from.unwrap_or(0)), total: 0, lines: Vec::new() });
    };
    let windows = engine.job_log_windows(job_id, None, Some(0), Some(0)).await?;
    let totals: Vec<(&str, u64)> = LOGS.iter().map(|name| (*name, total_of(&windows, name))).collect();
    let total: u64 = totals.iter().map(|(_, n)| n).sum();
    let size = u64::from(paging.size.unwrap_or(default_size).min(MAX_LOG_PAGE));
    let from = paging.from.map_or(total.saturating_sub(size), u64::from);
    let mut lines = Vec::new();
    let mut start = 0u64; // where this log's lines begin in the joined list
    for (name, count) in totals {
        let (lo, hi) = (from.max(start), (from + size).min(start + count));
        if lo < hi {
            let window = engine.job_log_windows(job_id, Some(name), Some(as_i64(lo - start)), Some(as_i64(hi - lo))).await?;
            lines.extend(window.into_iter().flat_map(|w| w.log));
        }
        start += count;
    }
    Ok(LogPage { from, total, lines })
}

fn total_of(windows: &[JobLog], name: &str) -> u64 {
    windows.iter().find(|w| w.name == name).map_or(0, |w| w.total_lines)
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
