//! What every request passes before a handler, and every response carries: the `Host` check
//! and the security headers.
//!
//! The `Host` check defeats DNS rebinding: a web page on `evil.example` that makes its name
//! resolve to 127.0.0.1 can reach a server bound to the loopback address, but its requests
//! still say `Host: evil.example`, and those are refused before they read or write anything.
//! Binding to 127.0.0.1 alone does not protect a server; this does.

use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{self, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quarterdeck_domain::error::Code;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The host names (and addresses) requests may be addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    names: Vec<String>,
    any: bool,
}

impl AllowedHosts {
    /// The loopback names: `localhost`, `127.0.0.1`, `::1`.
    pub fn local() -> Self {
        AllowedHosts { names: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()], any: false }
    }

    /// The loopback names, the address the server is bound to (unless it is every address),
    /// and the configured names; `*` among them allows every host (for a proxy that checks
    /// `Host` itself).
    pub fn for_server(bound: SocketAddr, configured: &[String]) -> Self {
        let mut hosts = AllowedHosts::local();
        let address = bound.ip().to_string();
        if !bound.ip().is_unspecified() && !hosts.names.contains(&address) {
            hosts.names.push(address);
        }
        for name in configured {
            let name = normalise(name);
            if name == "*" {
                hosts.any = true;
            } else if !name.is_empty() && !hosts.names.contains(&name) {
                hosts.names.push(name);
            }
        }
        hosts
    }

    /// Whether a request with this `Host` header value (a name or address, maybe with a port)
    /// may be answered.
    pub fn allows(&self, host: &str) -> bool {
        self.any || self.names.contains(&normalise(strip_port(host)))
    }

    /// The names, for the start-up log.
    pub fn describe(&self) -> String {
        if self.any { "any host".to_owned() } else { self.names.join(", ") }
    }
}

/// `example.com:8080` → `example.com`; `[::1]:8080` → `::1`; a bare IPv6 address stays whole.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    if host.parse::<IpAddr>().is_ok() {
        return host;
    }
    host.rsplit_once(':')
        .map_or(host, |(name, port)| if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host })
}

/// Lower case, without a trailing dot (`Example.COM.` and `example.com` are one host).
fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Refuses a request addressed to a host this server does not answer to.
pub async fn check_host(State(allowed): State<Arc<AllowedHosts>>, request: Request, next: Next) -> Response {
    // HTTP/1.1 sends `Host`; HTTP/2 the URI's authority.
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    match host {
        Some(h) if allowed.allows(&h) => next.run(request).await,
        Some(h) => {
            let shown: String = h.chars().take(100).collect();
            ApiError::new(
                Code::HostNotAllowed,
                format!(
                    "this server does not answer to the host '{}'; if it should, add the name to \
                     QUARTERDECK_ALLOWED_HOSTS (or `serve --allowed-host`)",
                    shown.escape_debug()
                ),
            )
            .into_response()
        }
        // Browsers always send a host, so a request without one is not a rebound page (an
        // HTTP/1.0 client or an in-process call).
        None => next.run(request).await,
    }
}

/// Security headers on every response: no sniffing a JSON body into something else, no
/// framing, no referrer leaking ids, and a content policy that lets an answer run nothing.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
    ];
    for (name, value) in set {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_matched_by_name_without_port_or_case() {
        let bound: SocketAddr = "10.0.0.5:8080".parse().unwrap();
        let hosts = AllowedHosts::for_server(bound, &["OKR.example.com".into()]);
        for ok in [
            "localhost:8080",
            "127.0.0.1:1234",
            "[::1]:8080",
            "::1",
            "10.0.0.5:8080",
            "okr.example.com",
            "Okr.Example.Com.:443",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for refused in ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil", "10.0.0.6", ""]
        {
            assert!(!hosts.allows(refused), "{refused}");
        }
    }

    #[test]
    fn each_host_is_named_once() {
        let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let hosts = AllowedHosts::for_server(loopback, &["LOCALHOST".into(), "okr.example.com".into()]);
        assert_eq!(hosts.describe(), "localhost, 127.0.0.1, ::1, okr.example.com");
    }

    #[test]
    fn every_address_is_not_a_host_and_star_allows_any() {
        let any_address: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(!AllowedHosts::for_server(any_address, &[]).allows("0.0.0.0:8080"));
        assert!(AllowedHosts::for_server(any_address, &["*".into()]).allows("anything.example"));
    }
}

/// The reverse proxies in front of this server: for a request that comes from one of them, the
/// client is the last address in `X-Forwarded-For` that is not a proxy too. Anyone else's
/// `X-Forwarded-For` is ignored (a client could write anything there). Loopback addresses are
/// always trusted: a proxy on the same machine is the recommended set-up.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<std::net::IpAddr>);

impl TrustedProxies {
    /// Reads addresses; an entry that is not one is named in the error.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|e| e.trim().parse().map_err(|_| format!("trusted proxy '{e}' is not an IP address")))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: std::net::IpAddr) -> bool {
        ip.is_loopback() || self.0.contains(&ip)
    }

    /// The client's address: the peer's, or what trusted proxies say it was.
    pub fn client(&self, peer: std::net::IpAddr, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded.into_iter().rev().find(|ip| !self.trusts(*ip)).unwrap_or(peer)
    }
}

#[cfg(test)]
mod proxy_tests {
    use super::TrustedProxies;
    use axum::http::HeaderMap;

    #[test]
    fn only_trusted_proxies_name_the_client() {
        let proxies = TrustedProxies::parse(&["10.0.0.5".into()]).unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.0.0.5".parse().unwrap());
        let ip = |s: &str| s.parse().unwrap();
        // Through the trusted proxy: the last untrusted hop (a client cannot forge past it).
        assert_eq!(proxies.client(ip("10.0.0.5"), &h), ip("198.51.100.7"));
        assert_eq!(proxies.client(ip("127.0.0.1"), &h), ip("198.51.100.7"));
        // Straight from a client: its header is ignored.
        assert_eq!(proxies.client(ip("192.0.2.1"), &h), ip("192.0.2.1"));
        assert_eq!(proxies.client(ip("10.0.0.5"), &HeaderMap::new()), ip("10.0.0.5"));
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
    }
}
