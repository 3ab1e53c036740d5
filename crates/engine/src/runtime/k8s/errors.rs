//! `kube::Error` → one sentence naming the cause (unreachable, TLS, credentials, access).

use std::error::Error as _;

use crate::error::EngineError;

/// What went wrong talking to the API server at `url`, in words a user can act on.
pub(crate) fn describe(url: &str, error: &kube::Error) -> String {
    if let kube::Error::Api(status) = error {
        let detail = if status.message.is_empty() { status.reason.clone() } else { status.message.clone() };
        return match status.code {
            401 => format!("the API server at {url} refused the credentials (401 Unauthorized): check the token, client certificate or username/password"),
            403 => format!("access denied (403 Forbidden): {detail}"),
            code => format!("the API server at {url} answered {code}: {detail}"),
        };
    }
    let chain = source_chain(error);
    let lower = chain.to_ascii_lowercase();
    if chain_has::<rustls::Error>(error) || lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return format!("the TLS handshake with {url} failed ({chain}): check caCert, or the URL's host name");
    }
    if lower.contains("connection refused") {
        return format!("cannot reach the API server at {url}: connection refused");
    }
    if lower.contains("dns error") || lower.contains("failed to lookup") || lower.contains("name or service not known") {
        return format!("cannot reach the API server at {url}: its host name does not resolve");
    }
    if lower.contains("timed out") || lower.contains("timeout") || lower.contains("deadline") {
        return format!("cannot reach the API server at {url}: no answer within {} s", super::client::CONNECT_TIMEOUT.as_secs());
    }
    format!("cannot talk to the API server at {url}: {chain}")
}

/// [`describe`] for a failed list or watch of the pod watcher.
pub(crate) fn describe_watch(url: &str, error: &kube::runtime::watcher::Error) -> String {
    use kube::runtime::watcher::Error;
    match error {
        Error::InitialListFailed(e) | Error::WatchStartFailed(e) | Error::WatchFailed(e) => describe(url, e),
        Error::WatchError(status) => describe(url, &kube::Error::Api(status.clone())),
        Error::NoResourceVersion => format!("the API server at {url} gave no resourceVersion to watch from"),
    }
}

pub(crate) fn cluster_error(url: &str, error: &kube::Error) -> EngineError {
    EngineError::Unavailable(describe(url, error))
}

/// The status code of an API error, if the server answered with one.
pub(crate) fn status_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

fn source_chain(error: &kube::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

fn chain_has<T: std::error::Error + 'static>(error: &kube::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<T>() {
            return true;
        }
        source = e.source();
    }
    false
}
