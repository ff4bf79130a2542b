//! Request guards: the Host header must name this server (against DNS rebinding), and requests
//! that change state or open a WebSocket must come from this server's own pages (against
//! cross-site use). Plus the security headers every response carries, and a last check that
//! every error leaves as JSON.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// The host names this server answers to.
#[derive(Debug, Clone)]
pub struct HostAllowlist {
    port: u16,
    names: Vec<String>,
    /// Names given with a port (`clinic.example:8443`, `127.0.0.1:8000`): the address of a
    /// proxy in front, answered on that port only.
    proxied: Vec<(String, u16)>,
}

impl HostAllowlist {
    /// Loopback names on `port` (`127.0.0.1`, `localhost`, `[::1]`) plus `extra` names: a bare
    /// name is accepted with this server's port or none, a name with a port (a proxy's
    /// address, even on loopback) with that port only.
    pub fn new(port: u16, extra: &[String]) -> HostAllowlist {
        let mut names: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut proxied = Vec::new();
        for e in extra {
            let e = e.trim().to_lowercase();
            match split_host(&e) {
                (name, Some(p)) => proxied.push((name.to_owned(), p)),
                (name, None) => names.push(name.to_owned()),
            }
        }
        HostAllowlist {
            port,
            names,
            proxied,
        }
    }

    /// Whether a `Host` header value (`name` or `name:port`) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_lowercase();
        let (name, port) = split_host(&host);
        let loopback = ["127.0.0.1", "localhost", "[::1]"].contains(&name);
        if port.is_some_and(|p| self.proxied.iter().any(|(n, q)| n == name && *q == p)) {
            return true;
        }
        self.names.iter().any(|n| n == name)
            && match port {
                Some(p) => p == self.port,
                // A bare name only for configured names (a proxy on port 80 or 443).
                None => !loopback,
            }
    }
}

/// Splits `name:port`, minding IPv6 brackets.
fn split_host(host: &str) -> (&str, Option<u16>) {
    let colon = if host.starts_with('[') {
        host.find(']')
            .and_then(|i| host[i..].find(':').map(|j| i + j))
    } else {
        host.rfind(':')
    };
    match colon {
        Some(i) => match host[i + 1..].parse() {
            Ok(p) => (&host[..i], Some(p)),
            Err(_) => (host, None),
        },
        None => (host, None),
    }
}

fn header_str(req: &Request, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Checks Host on every request, and Origin (or `Sec-Fetch-Site`) on requests that change state
/// and on WebSocket upgrades.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = match check(&state, &req) {
        Ok(()) => json_errors(next.run(req).await).await,
        Err(e) => e.into_response(),
    };
    security_headers(&mut res);
    res
}

/// The host names a request gives: its one `Host` header and, for an absolute-form target
/// (`GET http://name/path`), the name in the target. Both must name this server.
fn hosts_named(req: &Request) -> Result<Vec<&str>, ApiError> {
    let mut headers = req.headers().get_all(header::HOST).iter();
    let header = headers.next();
    if headers.next().is_some() {
        return Err(ApiError::BadRequest(
            "send one Host header, not several".into(),
        ));
    }
    let header = header
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::BadRequest("the Host header must be plain text".into()))
        })
        .transpose()?;
    let named: Vec<&str> = header
        .into_iter()
        .chain(req.uri().authority().map(|a| a.as_str()))
        .collect();
    if named.is_empty() {
        return Err(ApiError::BadRequest("a Host header is required".into()));
    }
    Ok(named)
}

fn check(state: &AppState, req: &Request) -> Result<(), ApiError> {
    let hosts = &state.inner.hosts;
    for host in hosts_named(req)? {
        if !hosts.allows(host) {
            return Err(ApiError::Forbidden(format!(
                "this server does not answer to the host \"{}\"; use http://127.0.0.1:{}/ or start it with --host-name",
                crate::error::shorten(host, 100),
                hosts.port
            )));
        }
    }
    let upgrade = req.headers().contains_key(header::UPGRADE);
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !(changes || upgrade) {
        return Ok(());
    }
    match header_str(req, header::ORIGIN) {
        Some(origin) => {
            let rest = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            if rest.is_some_and(|h| hosts.allows(h)) {
                Ok(())
            } else {
                Err(ApiError::Forbidden(
                    "requests that change things must come from supine's own page".into(),
                ))
            }
        }
        // No Origin: a browser still says where the request came from in Sec-Fetch-Site.
        // Requests from programs (curl, scripts) carry neither and cannot ride on a browser.
        None => match header_str(req, header::HeaderName::from_static("sec-fetch-site")) {
            Some("same-origin" | "none") | None => Ok(()),
            Some(_) => Err(ApiError::Forbidden(
                "requests that change things must come from supine's own page".into(),
            )),
        },
    }
}

/// Turns an error response that is not JSON (one an extractor or the router made without
/// going through [`ApiError`]) into `{"error": ...}`, keeping its status and headers.
async fn json_errors(res: Response) -> Response {
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Such bodies are one short line; a longer one is not read.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_lowercase())
        .unwrap_or_default();
    let error = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_lowercase()
    } else {
        text
    };
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::json!({ "error": error }).to_string();
    Response::from_parts(parts, Body::from(body))
}

fn security_headers(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_need_the_right_port() {
        let h = HostAllowlist::new(8080, &["yoga.lan".into()]);
        assert!(h.allows("127.0.0.1:8080"));
        assert!(h.allows("LOCALHOST:8080"));
        assert!(h.allows("[::1]:8080"));
        assert!(!h.allows("127.0.0.1:8081"));
        assert!(!h.allows("localhost"));
        assert!(!h.allows("evil.example:8080"));
        assert!(h.allows("yoga.lan"));
        assert!(h.allows("yoga.lan:8080"));
        assert!(!h.allows("yoga.lan.evil.example:8080"));
    }

    #[test]
    fn a_name_with_a_port_is_a_proxy_answered_on_that_port_only() {
        let h = HostAllowlist::new(
            8091,
            &["127.0.0.1:8000".into(), "Clinic.example:8443".into()],
        );
        assert!(h.allows("127.0.0.1:8000"));
        assert!(h.allows("127.0.0.1:8091"));
        assert!(!h.allows("127.0.0.1:8001"));
        assert!(!h.allows("127.0.0.1"));
        assert!(h.allows("clinic.example:8443"));
        assert!(!h.allows("clinic.example"));
        assert!(!h.allows("clinic.example:8091"));
        assert!(!h.allows("evil.example:8000"));
    }
}
