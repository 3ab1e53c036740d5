//! The engine's default limits, as constants so the UI's generated bindings carry the same
//! numbers (`src-tauri/src/bindings.rs`) instead of copies.

/// The most drivers one group may have.
pub const MAX_SCALE: u32 = 16;
/// Requests that may wait per group while all its drivers are busy.
pub const MAX_QUEUE: usize = 1000;
/// The most lines one log window returns per log.
pub const MAX_LOG_LINES: u64 = 25_000;
/// The most bytes of lines one log window returns, all its logs together: a window that
/// reaches it ends early and says so (`truncated`), and the client pages on with `from`.
pub const MAX_LOG_WINDOW_BYTES: usize = 8 * 1024 * 1024;
/// The most bytes one submit may upload (all its files together).
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;
/// The longest time limit a group request may ask for (`timeoutSeconds`): one day.
pub const MAX_REQUEST_TIMEOUT_SECONDS: u32 = 86_400;
/// The largest `code` a group request may carry, in bytes.
pub const MAX_CODE_BYTES: usize = 256 * 1024;
/// The largest result a group request may return, in bytes: it is stored and carried in
/// every event about the request, so a bigger one fails the request with a message.
pub const MAX_RESULT_BYTES: usize = 4 * 1024 * 1024;
/// How long a group driver lives without hearing from an engine (its lease), in seconds.
pub const DRIVER_LEASE_SECS: u64 = 600;
/// The shortest lease: idle drivers are health-checked every 5 s, so this leaves a driver
/// several missed checks before it gives up on its engine.
pub const MIN_DRIVER_LEASE_SECS: u64 = 30;
/// A driver's log past this size is rotated (long-lived group drivers run for days).
pub const MAX_LOG_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Older parts of a rotated log that are kept (`stdout.log.1` …); older ones are removed.
pub const LOG_PARTS_KEPT: usize = 3;
/// The most retries a job or schedule may ask for (`maxRetries`).
pub const MAX_RETRIES: u32 = 10;
/// `catchUp=ALL` runs the missed times of this long before now by default (seconds: a day)…
pub const DEFAULT_CATCH_UP_HORIZON_SECS: u64 = 86_400;
/// …and at most of this long (seconds: a week).
pub const MAX_CATCH_UP_HORIZON_SECS: u64 = 7 * 86_400;
/// `catchUp=ALL` runs at most this many missed times (the newest), whatever the horizon.
pub const MAX_CATCH_UP_RUNS: usize = 100;
/// The runs a schedule's view carries (`jobs`, newest first); `GET /job` lists them all.
pub const SCHEDULE_VIEW_RUNS: u32 = 20;
/// The next run times a schedule's view shows (`nextRunTimes`).
pub const NEXT_RUN_TIMES: usize = 5;
