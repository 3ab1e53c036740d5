//! The Livy routes' guard: the same loopback `Host` and no-web-origin checks as
//! `/api/v1` (`crate::guard`), and the API token either as `Authorization: Bearer <token>`
//! or as the password of HTTP Basic auth with any user name — the two kinds Livy clients
//! (sparkmagic, pylivy, Airflow) can send. Refusals are Livy's `{"msg"}`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use subtle::ConstantTimeEq;

use super::errors::msg;
use crate::guard::AllowedHosts;

pub(crate) struct LivyGuard {
    token: String,
    hosts: AllowedHosts,
}

impl LivyGuard {
    pub(crate) fn new(token: String, hosts: AllowedHosts) -> Self {
        Self { token, hosts }
    }

    fn refuse(&self, headers: &HeaderMap) -> Option<Response> {
        if let Some(reason) = crate::guard::refuse_origin(&self.hosts, headers) {
            return Some(msg(StatusCode::FORBIDDEN, reason));
        }
        let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(presented_token);
        if presented.is_some_and(|t| bool::from(t.as_bytes().ct_eq(self.token.as_bytes()))) {
            return None;
        }
        let mut response = msg(
            StatusCode::UNAUTHORIZED,
            "missing or wrong token: send it as 'Authorization: Bearer <token>' or as the password of HTTP Basic auth \
             (the token is in the data directory's api-token file)",
        );
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"sparkdeck\", Bearer"));
        Some(response)
    }
}

/// The token an `Authorization` value carries: a bearer token, or a Basic password.
fn presented_token(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
        let pair = String::from_utf8(decoded).ok()?;
        return pair.split_once(':').map(|(_user, password)| password.to_string());
    }
    None
}

pub(crate) async fn check(State(guard): State<Arc<LivyGuard>>, request: Request, next: Next) -> Response {
    match guard.refuse(request.headers()) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_passwords_are_read() {
        let basic = |pair: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
        assert_eq!(presented_token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(presented_token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(presented_token(&basic("anyone:abc")).as_deref(), Some("abc"));
        assert_eq!(presented_token(&basic(":abc:def")).as_deref(), Some("abc:def"));
        for bad in ["abc".to_string(), "Basic !!!".into(), basic("no-colon"), "Digest abc".into(), String::new()] {
            assert_eq!(presented_token(&bad), None, "{bad}");
        }
    }
}
