//! The HTTP client every standalone call shares, and one-line descriptions of its errors.

use std::time::Duration;

/// Masters, workers and the REST server answer at once when they are up; a short connect
/// timeout turns a dead host into a clear error instead of a hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        // `/json` answers with a redirect; callers ask for `/json/` and must see the
        // redirect as an error rather than silently follow it elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// The cause of a failed request in a few words ("Connection refused (os error 111)",
/// "timed out"), without reqwest's "error sending request for url (...)" wrapper: the
/// caller names the URL itself.
pub(crate) fn cause(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    let mut innermost: &dyn std::error::Error = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let text = innermost.to_string();
    if text.is_empty() { error.to_string() } else { text }
}

/// The first line of a server's message (Spark appends Java stack traces after it).
pub(crate) fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim()
}
