//! The edge of the server, on SQLite and PostgreSQL: requests addressed to a foreign host
//! (DNS rebinding) and bodies a web page could send cross-site without asking (`text/plain`)
//! are refused and change nothing; every answer carries the security headers.

mod common;

use common::Server;
use quarterdeck_store::Store;
use quarterdeck_store_sql::backend_tests;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

backend_tests!(a_foreign_host_is_refused_and_changes_nothing, text_plain_is_never_json, answers_carry_security_headers);

/// Sends one raw HTTP/1.1 request (with exactly the `Host` given) and returns the status and
/// the body.
async fn raw(s: &Server, method: &str, path: &str, host: &str, content_type: &str, body: &str) -> (u16, String) {
    let addr = s.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        s.secret,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

async fn units(s: &Server) -> usize {
    let (_, list) = s.get("/api/v1/units").await;
    list["items"].as_array().unwrap().len()
}

async fn a_foreign_host_is_refused_and_changes_nothing(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let unit = r#"{"name": "Product"}"#;
    for host in ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example"] {
        let (status, body) = raw(&s, "POST", "/api/v1/units", host, "application/json", unit).await;
        assert_eq!(status, 400, "{host}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"], "host_not_allowed", "{body}");
        assert!(error["message"].as_str().unwrap().contains("QUARTERDECK_ALLOWED_HOSTS"), "{body}");
        // Reading is refused too: a rebound page must not read what the server holds.
        let (status, _) = raw(&s, "GET", "/api/v1/units", host, "application/json", "").await;
        assert_eq!(status, 400, "{host}");
    }
    assert_eq!(units(&s).await, 0, "a refused write changed nothing");
    // The loopback names, with any port and in any case, are answered.
    for host in ["127.0.0.1", "LOCALHOST:8080", "[::1]:80"] {
        let (status, body) = raw(
            &s,
            "POST",
            "/api/v1/units",
            host,
            "application/json",
            &format!(r#"{{"name": "Team {}"}}"#, host.len()),
        )
        .await;
        assert_eq!(status, 201, "{host}: {body}");
    }
    assert_eq!(units(&s).await, 3);
}

async fn text_plain_is_never_json(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    let unit = r#"{"name": "Product"}"#;
    for content_type in
        ["text/plain; charset=+json", "text/plain", "application/x-www-form-urlencoded", "application/jsonp"]
    {
        let (status, body) = raw(&s, "POST", "/api/v1/units", "127.0.0.1", content_type, unit).await;
        assert_eq!(status, 415, "{content_type}: {body}");
        assert!(body.contains("unsupported_media_type"), "{body}");
    }
    assert_eq!(units(&s).await, 0, "a refused write changed nothing");
    let (status, body) = raw(&s, "POST", "/api/v1/units", "127.0.0.1", "application/json; charset=utf-8", unit).await;
    assert_eq!(status, 201, "{body}");
}

async fn answers_carry_security_headers(store: Arc<dyn Store>) {
    let s = Server::start(store).await;
    for (path, status) in [("/api/v1/units", StatusCode::OK), ("/api/v1/nothing-here", StatusCode::NOT_FOUND)] {
        let res = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
        assert!(h.get("access-control-allow-origin").is_none(), "{path}: CORS is off");
    }
    let res = s.http.post(s.url("/api/v1/units")).json(&json!({"name": "Product"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}
