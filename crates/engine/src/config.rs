//! What an engine is opened with: its data directory and its limits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};

use crate::limits;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    /// The most bytes one submit may upload (all its files together).
    pub max_upload_bytes: u64,
    /// Jobs that run at once on one local cluster; the rest wait in SUBMITTED.
    pub local_concurrency: usize,
    /// Jobs that run at once on one standalone or Kubernetes cluster: their drivers run
    /// there (except Python jobs in client mode) and the cluster queues what it cannot place.
    pub remote_concurrency: usize,
    /// The most lines one `GET /job/{id}/logs` returns per log.
    pub max_log_lines: u64,
    /// The most bytes of lines one `GET /job/{id}/logs` returns, all its logs together.
    pub max_log_window_bytes: usize,
    /// A driver's `stdout.log`/`stderr.log` past this size is rotated.
    pub max_log_file_bytes: u64,
    /// Older parts of a rotated log that are kept (`stdout.log.1` …).
    pub log_parts_kept: usize,
    /// How long a stopped job gets to end after SIGTERM before it is killed.
    pub stop_grace: Duration,
    /// The most drivers one group may have.
    pub max_scale: u32,
    /// Requests that may wait per group while all its drivers are busy.
    pub max_queue: usize,
    /// How long a request may wait for a free driver before it fails.
    pub queue_timeout: Duration,
    /// How long a request may run on a driver unless it asks for another limit
    /// (`timeoutSeconds`); then it is cancelled and fails saying so.
    pub request_timeout: Duration,
    /// How long a driver gets to end a cancelled request (or one past its time limit)
    /// before it is stopped and replaced.
    pub cancel_grace: Duration,
    /// The largest `code` a request may carry, in bytes.
    pub max_code_bytes: usize,
    /// How long a driver may take to become READY before it is stopped and replaced.
    pub driver_ready_timeout: Duration,
    /// How long a database write waits for another writer before it fails.
    pub db_busy_timeout: Duration,
    /// How long a group driver lives when no engine contacts it (any request renews it):
    /// an engine restarting within it re-attaches; drivers whose engine never comes back
    /// end themselves. At least [`limits::MIN_DRIVER_LEASE_SECS`].
    pub driver_lease: Duration,
    /// How long the drivers of a group with `autoPause` may be idle (nothing queued or
    /// running) before the group is paused.
    pub auto_pause_idle: Duration,
    /// How long a failed attempt waits before its retry; each further retry waits twice as
    /// long as the one before.
    pub retry_backoff: Duration,
    /// How long Spark's History Server runs without a `history_url` request before it is
    /// stopped (started again by the next one).
    pub history_idle: Duration,
    /// The clock schedules run by (tests inject a [`crate::clock::ManualClock`]).
    pub clock: Arc<dyn Clock>,
    /// The Python 3 whose `venv` module creates the installed Spark's environment.
    pub spark_install_python: PathBuf,
}

impl EngineConfig {
    /// Resolves the data directory as [`crate::data_dir::resolve`] does; the limits get
    /// their defaults.
    pub fn new(data_dir: Option<PathBuf>) -> Self {
        Self {
            data_dir: crate::data_dir::resolve(data_dir),
            max_upload_bytes: limits::MAX_UPLOAD_BYTES,
            local_concurrency: 2,
            remote_concurrency: 8,
            max_log_lines: limits::MAX_LOG_LINES,
            max_log_window_bytes: limits::MAX_LOG_WINDOW_BYTES,
            max_log_file_bytes: limits::MAX_LOG_FILE_BYTES,
            log_parts_kept: limits::LOG_PARTS_KEPT,
            stop_grace: Duration::from_secs(10),
            max_scale: limits::MAX_SCALE,
            max_queue: limits::MAX_QUEUE,
            queue_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(3600),
            cancel_grace: Duration::from_secs(30),
            max_code_bytes: limits::MAX_CODE_BYTES,
            driver_ready_timeout: Duration::from_secs(300),
            db_busy_timeout: Duration::from_secs(10),
            driver_lease: Duration::from_secs(limits::DRIVER_LEASE_SECS),
            auto_pause_idle: Duration::from_secs(600),
            retry_backoff: Duration::from_secs(10),
            history_idle: Duration::from_secs(600),
            clock: Arc::new(SystemClock::default()),
            spark_install_python: PathBuf::from("python3"),
        }
    }

    /// Refuses limits an engine cannot work with, naming the setting.
    pub(crate) fn validate(&self) -> crate::error::Result<()> {
        if self.driver_lease < Duration::from_secs(limits::MIN_DRIVER_LEASE_SECS) {
            return Err(crate::error::EngineError::invalid(
                "driverLeaseSeconds",
                format!("must be at least {} s (drivers are health-checked every few seconds)", limits::MIN_DRIVER_LEASE_SECS),
            ));
        }
        Ok(())
    }
}

/// The variable (and the server's `--driver-lease-seconds`) that sets
/// [`EngineConfig::driver_lease`].
pub const DRIVER_LEASE_ENV: &str = "SPARKDECK_DRIVER_LEASE_SECONDS";

/// The lease a whole number of seconds names, or why not (the message names the variable).
pub fn parse_driver_lease(text: &str) -> std::result::Result<Duration, String> {
    let seconds: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{DRIVER_LEASE_ENV} must be a whole number of seconds, not {text:?}"))?;
    if seconds < limits::MIN_DRIVER_LEASE_SECS {
        return Err(format!("{DRIVER_LEASE_ENV} must be at least {} s, not {seconds}", limits::MIN_DRIVER_LEASE_SECS));
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driver_lease_is_whole_seconds_and_not_too_short() {
        assert_eq!(parse_driver_lease(" 45 "), Ok(Duration::from_secs(45)));
        for bad in ["", "ten", "-5", "2.5"] {
            assert!(parse_driver_lease(bad).unwrap_err().contains(DRIVER_LEASE_ENV), "{bad}");
        }
        assert!(parse_driver_lease("29").unwrap_err().contains("at least 30 s"));
    }

    #[test]
    fn an_engine_config_with_a_short_lease_is_refused_by_name() {
        let mut config = EngineConfig::new(Some("/nonexistent".into()));
        assert!(config.validate().is_ok());
        config.driver_lease = Duration::from_secs(5);
        let error = config.validate().unwrap_err();
        assert!(matches!(&error, crate::error::EngineError::Invalid { field, .. } if field == "driverLeaseSeconds"), "{error:?}");
    }
}
