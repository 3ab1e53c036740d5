//! Schedules: a cron in a time zone and a checked job form; each run is an ordinary single
//! job. The vocabulary (states, overlap and catch-up policies), the cron and time-zone
//! parsers, the due-time arithmetic, and the view (the 1.5.3 `scheduleInfo` plus extensions).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::model::job::{Job, JobSpec, Language};
use crate::model::memory_settings::MemorySettings;
use crate::model::secret::mask_settings;

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, [$($variant:ident => $text:literal),+ $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(field: &str, value: &str) -> Result<Self> {
                Self::ALL.iter().copied().find(|s| s.as_str().eq_ignore_ascii_case(value.trim())).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                    EngineError::invalid(field, format!("'{}' is not {} ({})", value.trim(), $what, names.join(", ")))
                })
            }
        }
    };
}

word_enum!(
    /// ENABLED runs at its due times; PAUSED and DISABLED do not (resume enables both;
    /// DISABLED is what `stop` leaves, with its `disabledTime`).
    ScheduleState, "a schedule state", [Enabled => "ENABLED", Paused => "PAUSED", Disabled => "DISABLED"]
);
word_enum!(
    /// What a due time does while the schedule's previous run is still active.
    OverlapPolicy, "an overlap policy", [Skip => "SKIP", Queue => "QUEUE", Replace => "REPLACE", Allow => "ALLOW"]
);
word_enum!(
    /// What the due times missed while Sparkdeck was closed (or the machine slept) do.
    CatchUp, "a catch-up policy", [Latest => "LATEST", None => "NONE", All => "ALL"]
);

/// The five field names of a cron, in order, as messages name them.
const CRON_FIELDS: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];
/// What each field takes, in the words of a message (the parser's own are not for people).
const CRON_FIELD_VALUES: [&str; 5] = [
    "0–59",
    "0–23",
    "1–31 (or L for the last day)",
    "1–12 or JAN–DEC",
    "0–7 or SUN–SAT (0 and 7 are Sunday)",
];
const NICKNAMES: [&str; 6] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"];

fn cron_parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build()
}

/// A standard five-field cron (`minute hour day-of-month month day-of-week`) or one of
/// `@yearly @annually @monthly @weekly @daily @hourly`. The message of a cron that does
/// not parse names the field at fault.
pub fn parse_cron(field: &str, text: &str) -> Result<Cron> {
    let text = text.trim();
    if text.is_empty() {
        return Err(EngineError::invalid(field, "is required"));
    }
    let parts: Vec<&str> = text.split_whitespace().collect();
    if text.starts_with('@') {
        if !NICKNAMES.iter().any(|n| n.eq_ignore_ascii_case(text)) {
            return Err(EngineError::invalid(field, format!("'{text}' is not one of {}", NICKNAMES.join(", "))));
        }
    } else if parts.len() != 5 {
        return Err(EngineError::invalid(
            field,
            format!("'{text}' has {} fields; a cron has five ({}) — seconds and years are not taken", parts.len(), CRON_FIELDS.join(" ")),
        ));
    }
    let whole = match cron_parser().parse(text) {
        Ok(cron) => return Ok(cron),
        Err(e) => e,
    };
    // Each field alone (the others `*`), so the message says which one is wrong.
    for (i, part) in parts.iter().enumerate().filter(|_| parts.len() == 5) {
        let mut alone = ["*"; 5];
        alone[i] = part;
        if cron_parser().parse(&alone.join(" ")).is_err() {
            return Err(EngineError::invalid(
                field,
                format!(
                    "the {} field '{part}' is not valid: it takes {}, lists (1,5), ranges (1-5) and steps (*/15)",
                    CRON_FIELDS[i], CRON_FIELD_VALUES[i]
                ),
            ));
        }
    }
    Err(EngineError::invalid(field, format!("'{text}' is not a valid cron: {whole}")))
}

/// An IANA time zone name (`Europe/Warsaw`, `UTC`).
pub fn parse_time_zone(field: &str, text: &str) -> Result<Tz> {
    Tz::from_str(text.trim()).map_err(|_| EngineError::invalid(field, format!("'{}' is not an IANA time zone name", text.trim())))
}

/// The machine's time zone by its IANA name; UTC when it cannot be told.
pub fn machine_time_zone() -> String {
    iana_time_zone::get_timezone().ok().filter(|name| Tz::from_str(name).is_ok()).unwrap_or_else(|| "UTC".to_string())
}

/// A cron in its time zone: when it is due.
#[derive(Debug, Clone)]
pub struct CronClock {
    cron: Cron,
    zone: Tz,
}

impl CronClock {
    pub fn new(cron: Cron, zone: Tz) -> Self {
        Self { cron, zone }
    }

    /// The first due time after `after_ms` (epoch ms), if any.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let start: DateTime<Tz> = self.zone.from_utc_datetime(&DateTime::<Utc>::from_timestamp_millis(after_ms)?.naive_utc());
        self.cron.find_next_occurrence(&start, false).ok().map(|t| t.timestamp_millis())
    }

    /// The newest due time at or before `until_ms`, if any.
    pub fn latest_until(&self, until_ms: i64) -> Option<i64> {
        let at: DateTime<Tz> = self.zone.from_utc_datetime(&DateTime::<Utc>::from_timestamp_millis(until_ms)?.naive_utc());
        self.cron.find_previous_occurrence(&at, true).ok().map(|t| t.timestamp_millis())
    }

    /// Up to `count` due times after `after_ms`, ascending.
    pub fn next_times(&self, after_ms: i64, count: usize) -> Vec<i64> {
        let mut times = Vec::with_capacity(count);
        let mut from = after_ms;
        while times.len() < count {
            let Some(next) = self.next_after(from) else { break };
            times.push(next);
            from = next;
        }
        times
    }

    /// The due times in `(after_ms, until_ms]`, ascending; only the newest `limit` are kept.
    pub fn due_between(&self, after_ms: i64, until_ms: i64, limit: usize) -> Vec<i64> {
        let mut times = std::collections::VecDeque::new();
        let mut from = after_ms;
        while let Some(next) = self.next_after(from).filter(|t| *t <= until_ms) {
            if times.len() == limit {
                times.pop_front();
            }
            times.push_back(next);
            from = next;
        }
        times.into()
    }
}

/// The next `count` due times after `after_ms` of a cron in a time zone (blank: the
/// machine's), for a form to show as its cron is typed; or the error naming the part at
/// fault, under the form's field names (`cron`, `timeZone`).
pub fn preview_run_times(cron: &str, time_zone: &str, after_ms: i64, count: usize) -> Result<Vec<i64>> {
    let cron = parse_cron("cron", cron)?;
    let zone = match time_zone.trim() {
        "" => parse_time_zone("timeZone", &machine_time_zone())?,
        given => parse_time_zone("timeZone", given)?,
    };
    Ok(CronClock::new(cron, zone).next_times(after_ms, count))
}

/// A schedule as the API shows it: the 1.5.3 `scheduleInfo` plus `timeZone`,
/// `nextRunTimes`, `overlapPolicy`, `catchUp`, `catchUpHorizon`. Times are epoch ms (0:
/// not set). `jobs` are its newest runs, newest first (at most
/// [`crate::limits::SCHEDULE_VIEW_RUNS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub id: String,
    pub name: String,
    pub description: String,
    pub cron: String,
    pub time_zone: String,
    pub tags: BTreeMap<String, String>,
    pub language: Language,
    pub cluster_name: String,
    pub job_class: Option<String>,
    /// Secret values masked, as a job shows them.
    pub job_config: BTreeMap<String, String>,
    pub args: Vec<String>,
    /// `;`-separated, as the form takes them.
    pub py_requirements: String,
    /// Maven coordinates, comma-joined.
    pub packages: String,
    pub memory_settings: MemorySettings,
    pub state: ScheduleState,
    pub start_time: i64,
    pub end_time: i64,
    pub max_retries: u32,
    pub overlap_policy: OverlapPolicy,
    pub catch_up: CatchUp,
    /// Seconds before now whose missed times `catchUp=ALL` runs.
    pub catch_up_horizon: u64,
    pub created_time: i64,
    pub disabled_time: i64,
    /// The next five due times (none while not ENABLED or past `endTime`).
    pub next_run_times: Vec<i64>,
    /// The newest due time accounted for: run, skipped (overlap, catch-up) or queued.
    pub last_due_time: i64,
    /// QUEUE: the due time waiting for the previous run to end (0: none).
    pub queued_due_time: i64,
    pub jobs: Vec<Job>,
}

/// A stored schedule: what the view shows and what only the engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub cron: String,
    pub time_zone: String,
    pub state: ScheduleState,
    pub overlap_policy: OverlapPolicy,
    pub catch_up: CatchUp,
    pub catch_up_horizon: u64,
    pub tags: BTreeMap<String, String>,
    pub language: Language,
    pub cluster_id: String,
    pub cluster_name: String,
    pub start_time: i64,
    pub end_time: i64,
    pub max_retries: u32,
    pub created_time: i64,
    pub updated_time: i64,
    pub disabled_time: i64,
    /// The newest due time accounted for (run, skipped or queued).
    pub last_due: i64,
    /// QUEUE: the due time waiting for the previous run to end (0: none).
    pub queued_due: i64,
    pub spec: JobSpec,
}

impl ScheduleRecord {
    /// Its cron in its time zone (both were checked when stored).
    pub fn clock(&self) -> Result<CronClock> {
        Ok(CronClock::new(parse_cron("cron", &self.cron)?, parse_time_zone("timeZone", &self.time_zone)?))
    }

    /// The next five due times after `now` within `startTime`–`endTime`, whatever the state.
    pub fn next_run_times(&self, now: i64) -> Vec<i64> {
        match self.clock() {
            Ok(clock) => clock
                .next_times(now.max(self.start_time - 1), crate::limits::NEXT_RUN_TIMES)
                .into_iter()
                .filter(|t| self.end_time == 0 || *t <= self.end_time)
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The view, with its next run times (see [`Self::next_run_times`]; shown only while
    /// ENABLED) and its newest runs.
    pub fn view(&self, next_run_times: Vec<i64>, jobs: Vec<Job>) -> Schedule {
        let next_run_times = if self.state == ScheduleState::Enabled { next_run_times } else { Vec::new() };
        Schedule {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            cron: self.cron.clone(),
            time_zone: self.time_zone.clone(),
            tags: self.tags.clone(),
            language: self.language,
            cluster_name: self.cluster_name.clone(),
            // PYTHON: the main script, as the form names it.
            job_class: match self.language {
                Language::Scala | Language::Sql => self.spec.job_class.clone(),
                Language::Python => self.spec.py_files.first().map(|f| f.name.clone()),
            },
            job_config: mask_settings(&self.spec.config),
            args: self.spec.args.clone(),
            py_requirements: self.spec.requirements.join(";"),
            packages: self.spec.packages.join(","),
            memory_settings: self.spec.memory.clone(),
            state: self.state,
            start_time: self.start_time,
            end_time: self.end_time,
            max_retries: self.max_retries,
            overlap_policy: self.overlap_policy,
            catch_up: self.catch_up,
            catch_up_horizon: self.catch_up_horizon,
            created_time: self.created_time,
            disabled_time: self.disabled_time,
            next_run_times,
            last_due_time: self.last_due,
            queued_due_time: self.queued_due,
            jobs,
        }
    }
}

/// `maxRetries`: a whole number 0..=10 (blank: 0).
pub fn parse_max_retries(field: &str, text: &str) -> Result<u32> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let max = crate::limits::MAX_RETRIES;
    match text.parse::<i64>() {
        Ok(n) if (0..=i64::from(max)).contains(&n) => Ok(u32::try_from(n).unwrap_or(0)),
        Ok(n) => Err(EngineError::invalid(field, format!("{n} is out of range (0 to {max})"))),
        Err(_) => Err(EngineError::invalid(field, format!("'{text}' is not a whole number (0 to {max})"))),
    }
}

/// An epoch-millisecond time field (`startTime`, `endTime`); blank: not set (0).
pub fn parse_epoch_ms(field: &str, text: &str) -> Result<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    match text.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(EngineError::invalid(field, format!("'{text}' is not a time in epoch milliseconds"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: EngineError) -> String {
        e.to_string()
    }

    #[test]
    fn crons_are_five_fields_or_nicknames_and_errors_name_the_field() {
        for good in ["* * * * *", "*/5 9-17 * * MON-FRI", "0 0 1 1 *", "@hourly", "@DAILY", "0 12 * JAN,JUL SUN", "0 0 L * *", "0 0 * * 7"] {
            assert!(parse_cron("cron", good).is_ok(), "{good}");
        }
        assert!(message(parse_cron("cron", "61 * * * *").unwrap_err()).contains("minute field '61'"));
        assert!(message(parse_cron("cron", "* 24 * * *").unwrap_err()).contains("hour field"));
        assert!(message(parse_cron("cron", "* * 32 * *").unwrap_err()).contains("day-of-month field"));
        assert!(message(parse_cron("cron", "* * * 13 *").unwrap_err()).contains("month field '13' is not valid: it takes 1–12 or JAN–DEC"));
        assert!(message(parse_cron("cron", "* * * * funday").unwrap_err()).contains("day-of-week field"));
        assert!(message(parse_cron("cron", "0 * * * * *").unwrap_err()).contains("has 6 fields"), "seconds are refused");
        assert!(message(parse_cron("cron", "* * * 2030").unwrap_err()).contains("has 4 fields"));
        assert!(message(parse_cron("cron", "@often").unwrap_err()).contains("@hourly"));
        assert_eq!(parse_cron("cron", " ").unwrap_err().field(), Some("cron"));
    }

    #[test]
    fn due_times_follow_the_time_zone() {
        // 2026-03-29 is the spring-forward day in Europe/Warsaw: 02:00 does not exist.
        let clock = CronClock::new(parse_cron("cron", "30 2 * * *").unwrap(), parse_time_zone("timeZone", "Europe/Warsaw").unwrap());
        let noon_28th = 1_774_695_600_000; // 2026-03-28T11:00:00Z
        let next = clock.next_times(noon_28th, 2);
        // On the 29th 02:30 is skipped by the clocks; the run is not lost but comes within
        // that night (UTC 00:00–02:00); on the 30th it is 02:30 CEST = 00:30Z.
        assert!((1_774_742_400_000..=1_774_749_600_000).contains(&next[0]), "{next:?}");
        assert_eq!(next[1], 1_774_830_600_000);
        let utc = CronClock::new(parse_cron("cron", "0 * * * *").unwrap(), Tz::UTC);
        assert_eq!(utc.next_after(0), Some(3_600_000));
        assert_eq!(utc.latest_until(7_200_000), Some(7_200_000), "a due time at the instant counts");
        assert_eq!(utc.latest_until(7_199_999), Some(3_600_000));
        assert_eq!(utc.due_between(0, 4 * 3_600_000, 10), vec![3_600_000, 7_200_000, 10_800_000, 14_400_000]);
        assert_eq!(utc.due_between(0, 4 * 3_600_000, 2), vec![10_800_000, 14_400_000], "only the newest are kept");
        assert!(parse_time_zone("timeZone", "Mars/Olympus").is_err());
        assert!(parse_time_zone("timeZone", &machine_time_zone()).is_ok());
    }

    #[test]
    fn a_preview_lists_the_next_times_or_names_the_part_at_fault() {
        let hour = 3_600_000;
        assert_eq!(preview_run_times("0 * * * *", "UTC", 0, 3).unwrap(), vec![hour, 2 * hour, 3 * hour]);
        // 02:00 in Warsaw (CET, UTC+1) is 01:00Z.
        assert_eq!(preview_run_times("0 2 * * *", "Europe/Warsaw", 0, 1).unwrap(), vec![hour]);
        assert_eq!(preview_run_times("@daily", "", 0, 2).unwrap().len(), 2, "blank: the machine's zone");
        let bad_hour = preview_run_times("0 25 * * *", "UTC", 0, 5).unwrap_err();
        assert_eq!(bad_hour.field(), Some("cron"));
        assert!(bad_hour.to_string().contains("hour field '25'"), "{bad_hour}");
        assert_eq!(preview_run_times("0 * * * *", "Mars/Olympus", 0, 5).unwrap_err().field(), Some("timeZone"));
    }

    #[test]
    fn max_retries_and_times_are_checked_by_name() {
        assert_eq!(parse_max_retries("maxRetries", "").unwrap(), 0);
        assert_eq!(parse_max_retries("maxRetries", "10").unwrap(), 10);
        for bad in ["-1", "11", "two", "1.5"] {
            assert_eq!(parse_max_retries("maxRetries", bad).unwrap_err().field(), Some("maxRetries"), "{bad}");
        }
        assert_eq!(parse_epoch_ms("startTime", "1727733600000").unwrap(), 1_727_733_600_000);
        assert_eq!(parse_epoch_ms("endTime", "soon").unwrap_err().field(), Some("endTime"));
        assert_eq!(OverlapPolicy::parse("overlapPolicy", "queue").unwrap(), OverlapPolicy::Queue);
        assert!(CatchUp::parse("catchUp", "SOME").unwrap_err().to_string().contains("LATEST, NONE, ALL"));
    }
}
