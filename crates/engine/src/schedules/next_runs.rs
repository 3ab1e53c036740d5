//! Each schedule's next five run times, computed once and kept until the first of them
//! passes (or the cron, time zone or bounds change): a list of 1,000 schedules then reads
//! them instead of parsing 1,000 crons and stepping each five times.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::model::schedule::ScheduleRecord;

/// More entries than this (schedules deleted meanwhile) and the cache starts again.
const MAX_ENTRIES: usize = 100_000;

/// What the times were computed from.
#[derive(PartialEq, Eq)]
struct Key {
    cron: String,
    time_zone: String,
    start_time: i64,
    end_time: i64,
}

#[derive(Default)]
pub(crate) struct NextRuns(Mutex<HashMap<String, (Key, Vec<i64>)>>);

impl NextRuns {
    /// The next run times of `s` after `now`.
    pub(crate) fn get(&self, s: &ScheduleRecord, now: i64) -> Vec<i64> {
        let key = Key { cron: s.cron.clone(), time_zone: s.time_zone.clone(), start_time: s.start_time, end_time: s.end_time };
        let mut cache = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((known, times)) = cache.get(&s.id)
            && *known == key
            && times.first().is_some_and(|first| *first > now)
        {
            return times.clone();
        }
        let times = s.next_run_times(now);
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(s.id.clone(), (key, times.clone()));
        times
    }

    pub(crate) fn forget(&self, id: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
    }
}
