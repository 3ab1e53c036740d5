//! The checks in front of every route.
//!
//! - `Host` must name this machine by a loopback name: a page on another origin that
//!   rebinds its DNS name to 127.0.0.1 still sends its own name, and is refused.
//! - Requests a browser marks as coming from a page (`Origin`, `Sec-Fetch-Site`) are
//!   refused: no CORS headers are ever sent, and even a "simple" cross-site form post that
//!   needs no preflight never reaches a route.
//! - `Authorization: Bearer <token>` must match, compared in constant time.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::message;

/// Host names (without port) a request may be addressed to.
#[derive(Debug, Clone)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// The loopback names, plus the bind address when it is a specific other address.
    pub fn for_bind(bind: IpAddr) -> Self {
        let mut hosts = vec!["localhost".to_string(), "127.0.0.1".to_string(), "[::1]".to_string()];
        if !bind.is_loopback() && !bind.is_unspecified() {
            hosts.push(match bind {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        Self(hosts)
    }

    fn allows(&self, host_header: &str) -> bool {
        let host = host_header.trim().to_ascii_lowercase();
        // Strip the port: the last ':' after an optional IPv6 bracket.
        let name = match host.rfind(':') {
            Some(i) if !host[i..].contains(']') => &host[..i],
            _ => host.as_str(),
        };
        self.0.iter().any(|allowed| allowed == name)
    }
}

pub(crate) struct Guard {
    token: String,
    hosts: AllowedHosts,
}

impl Guard {
    pub(crate) fn new(token: String, hosts: AllowedHosts) -> Self {
        Self { token, hosts }
    }

    fn refuse(&self, headers: &HeaderMap) -> Option<Response> {
        if let Some(reason) = refuse_origin(&self.hosts, headers) {
            return Some(message(StatusCode::FORBIDDEN, reason));
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let valid = presented.is_some_and(|t| bool::from(t.as_bytes().ct_eq(self.token.as_bytes())));
        if !valid {
            let mut response = message(
                StatusCode::UNAUTHORIZED,
                "missing or wrong token: send 'Authorization: Bearer <token>' (the token is in the data directory's api-token file)",
            );
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Some(response);
        }
        None
    }
}

/// Why a request is refused before its token is looked at: a `Host` that is not a
/// loopback name, or a browser's mark of a web page (shared with the Livy routes).
pub(crate) fn refuse_origin(hosts: &AllowedHosts, headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !hosts.allows(host) {
        return Some(format!("Host '{host}' is not a loopback name; refused"));
    }
    let cross_site = headers.get("sec-fetch-site").is_some_and(|v| v != "none" && v != "same-origin");
    if headers.contains_key(header::ORIGIN) || cross_site {
        return Some("requests from web pages are refused".to_string());
    }
    None
}

pub(crate) async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    match guard.refuse(request.headers()) {
        Some(refusal) => refusal.into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_and_without_port() {
        let hosts = AllowedHosts::for_bind("127.0.0.1".parse().unwrap());
        for ok in ["localhost", "localhost:9888", "127.0.0.1:9888", "[::1]:9888", "[::1]", "LOCALHOST:1"] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in ["", "evil.example", "evil.example:9888", "127.0.0.1.evil.example", "localhost.evil:9888"] {
            assert!(!hosts.allows(bad), "{bad}");
        }
    }

    #[test]
    fn explicit_bind_address_is_allowed() {
        let hosts = AllowedHosts::for_bind("10.1.2.3".parse().unwrap());
        assert!(hosts.allows("10.1.2.3:9888"));
        assert!(!AllowedHosts::for_bind("0.0.0.0".parse().unwrap()).allows("0.0.0.0"));
    }
}
