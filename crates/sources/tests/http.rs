//! HTTP sources against a real local server on port 0 that serves fixed answers.

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use quarterdeck_sources::{RawPoint, Reach, SourceError, SourceSpec, fetch};
use serde_json::json;

async fn serve() -> String {
    let app = Router::new()
        .route("/total", get(|| async { axum::Json(json!({"data": {"total": 41.5, "label": "NPS"}})) }))
        .route("/quoted", get(|| async { axum::Json(json!({"result": {"value": "1234.50"}})) }))
        .route(
            "/objects",
            get(|| async {
                axum::Json(json!({"data": {"items": [
                    {"timestamp": "2024-04-01T00:00:00Z", "value": 10, "team": "north"},
                    {"timestamp": "2024-04-02", "value": 11.5, "team": "south"},
                    {"timestamp": 1712102400, "value": "12"},
                ]}}))
            }),
        )
        .route(
            "/renamed",
            get(|| async {
                axum::Json(json!({"rows": [
                    {"day": "2024-04-01", "signups": 3, "plan": "pro"},
                    {"day": "2024-04-02", "signups": 4, "plan": null},
                ]}))
            }),
        )
        .route(
            "/arrays",
            get(|| async {
                axum::Json(json!({"series": [{"name": "revenue", "points": [
                    [1711929600, 100],
                    [1712016000000_u64, 101.5, "emea"],
                    ["2024-04-03T00:00:00+00:00", "102", null],
                ]}]}))
            }),
        )
        .route("/secure", get(secure))
        .route("/moved", get(|| async { axum::response::Redirect::temporary("/total") }))
        .route("/elsewhere", get(elsewhere))
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, format!("database exploded\n{}", "x".repeat(500))) }),
        )
        .route("/html", get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html>nope</html>") }))
        .route(
            "/hang",
            get(|| async {
                std::future::pending::<()>().await;
                "never"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{address}")
}

async fn secure(headers: HeaderMap) -> impl IntoResponse {
    match headers.get(header::AUTHORIZATION).map(|value| value.to_str()) {
        Some(Ok("Bearer xyz")) => (StatusCode::OK, axum::Json(json!({"count": 7}))),
        _ => (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "missing token"}))),
    }
}

/// The same server under another name: a different host as far as the client can tell.
async fn elsewhere(headers: HeaderMap) -> impl IntoResponse {
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let port = host.rsplit_once(':').map(|(_, port)| port).unwrap_or("80");
    axum::response::Redirect::temporary(&format!("http://localhost:{port}/total"))
}

fn spec(url: String, value_path: &str) -> SourceSpec {
    SourceSpec::Http {
        url,
        header: None,
        value_path: value_path.to_owned(),
        timestamp_field: None,
        value_field: None,
        segment_field: None,
        timeout: Duration::from_secs(10),
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("RFC 3339").to_utc()
}

fn point(at: &str, value: f64, segment: Option<&str>) -> RawPoint {
    RawPoint { at: utc(at), value, segment: segment.map(str::to_owned) }
}

/// The test server is on loopback, which sources reach only when the operator allows it.
fn local() -> Reach {
    Reach::allowing(["127.0.0.1", "localhost"])
}

async fn fetch_error(spec: &SourceSpec) -> SourceError {
    fetch(spec, &local(), Utc::now()).await.expect_err("an error")
}

#[tokio::test]
async fn a_single_number_is_one_point_now() {
    let base = serve().await;
    let now = utc("2024-05-01T12:00:00Z");
    let points = fetch(&spec(format!("{base}/total"), "$.data.total"), &local(), now).await.expect("fetch");
    assert_eq!(points, [point("2024-05-01T12:00:00Z", 41.5, None)]);

    let points = fetch(&spec(format!("{base}/quoted"), "result.value"), &local(), now).await.expect("fetch quoted");
    assert_eq!(points, [point("2024-05-01T12:00:00Z", 1234.5, None)]);
}

#[tokio::test]
async fn an_array_of_objects() {
    let base = serve().await;
    let mut source = spec(format!("{base}/objects"), "data.items");
    if let SourceSpec::Http { segment_field, .. } = &mut source {
        *segment_field = Some("team".to_owned());
    }
    let points = fetch(&source, &local(), Utc::now()).await.expect("fetch");
    assert_eq!(
        points,
        [
            point("2024-04-01T00:00:00Z", 10.0, Some("north")),
            point("2024-04-02T00:00:00Z", 11.5, Some("south")),
            point("2024-04-03T00:00:00Z", 12.0, None),
        ]
    );
}

#[tokio::test]
async fn an_array_of_objects_with_named_fields() {
    let base = serve().await;
    let source = SourceSpec::Http {
        url: format!("{base}/renamed"),
        header: None,
        value_path: "$.rows".to_owned(),
        timestamp_field: Some("day".to_owned()),
        value_field: Some("signups".to_owned()),
        segment_field: Some("plan".to_owned()),
        timeout: Duration::from_secs(10),
    };
    let points = fetch(&source, &local(), Utc::now()).await.expect("fetch");
    assert_eq!(points, [point("2024-04-01T00:00:00Z", 3.0, Some("pro")), point("2024-04-02T00:00:00Z", 4.0, None),]);
}

#[tokio::test]
async fn an_array_of_arrays() {
    let base = serve().await;
    let points =
        fetch(&spec(format!("{base}/arrays"), "$.series[0].points"), &local(), Utc::now()).await.expect("fetch");
    assert_eq!(
        points,
        [
            point("2024-04-01T00:00:00Z", 100.0, None),
            point("2024-04-02T00:00:00Z", 101.5, Some("emea")),
            point("2024-04-03T00:00:00Z", 102.0, None),
        ]
    );
}

#[tokio::test]
async fn the_header_carries_the_token() {
    let base = serve().await;
    let mut source = spec(format!("{base}/secure"), "$.count");
    let error = fetch_error(&source).await;
    assert_eq!(error.code(), "source_http_status");
    assert_eq!(error.to_string(), "HTTP status 401", "the answer's body is never quoted");

    if let SourceSpec::Http { header, .. } = &mut source {
        *header = Some(("Authorization".to_owned(), "Bearer xyz".to_owned()));
    }
    let points = fetch(&source, &local(), Utc::now()).await.expect("fetch with token");
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].value, 7.0);
}

#[tokio::test]
async fn a_server_error_is_its_status_and_never_quotes_the_body() {
    let base = serve().await;
    let error = fetch_error(&spec(format!("{base}/broken"), "$.x")).await;
    assert!(matches!(error, SourceError::HttpStatus { status: 500, .. }), "{error:?}");
    assert_eq!(error.to_string(), "HTTP status 500");
}

#[tokio::test]
async fn a_body_that_is_not_json() {
    let base = serve().await;
    let error = fetch_error(&spec(format!("{base}/html"), "$.x")).await;
    assert_eq!(error.code(), "source_not_json");
    assert!(!error.to_string().contains("nope"), "the body is never quoted: {error}");
}

#[tokio::test]
async fn a_missing_path_says_where_it_stopped() {
    let base = serve().await;
    let error = fetch_error(&spec(format!("{base}/total"), "$.data.totl")).await;
    assert_eq!(error.code(), "source_path_not_found");
    assert_eq!(error.to_string(), r#"JSON path "$.data.totl" not found: $.data has no field "totl""#);

    let error = fetch_error(&spec(format!("{base}/total"), "$.data.label")).await;
    assert_eq!(error.code(), "source_path_wrong_type");

    let error = fetch_error(&spec(format!("{base}/total"), "$.data")).await;
    assert_eq!(error.to_string(), r#"JSON path "$.data" points at an object, which is neither a number nor an array"#);

    let error = fetch_error(&spec(format!("{base}/total"), "$.data[")).await;
    assert_eq!(error.code(), "source_bad_path");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let base = serve().await;
    let mut source = spec(format!("{base}/hang"), "$.x");
    if let SourceSpec::Http { timeout, .. } = &mut source {
        *timeout = Duration::from_secs(1);
    }
    let started = Instant::now();
    let error = fetch_error(&source).await;
    assert_eq!(error.code(), "source_timeout", "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_unreachable_server_masks_credentials() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let error = fetch_error(&spec(format!("http://user:hunter22@127.0.0.1:{port}/kpi?token=abc123"), "$.x")).await;
    assert_eq!(error.code(), "source_connect_failed", "{error}");
    let message = error.to_string();
    assert!(!message.contains("hunter22") && !message.contains("abc123"), "{message}");
    assert!(message.contains("refused it or did not answer"), "{message}");
}

#[tokio::test]
async fn only_http_urls_are_fetched() {
    let error = fetch_error(&spec("ftp://example.com/kpi.json".to_owned(), "$.x")).await;
    assert_eq!(error.code(), "source_unsupported_scheme");
}

#[tokio::test]
async fn redirects_are_followed_only_on_the_same_host() {
    let base = serve().await;
    let points = fetch(&spec(format!("{base}/moved"), "$.data.total"), &local(), Utc::now()).await.expect("same host");
    assert_eq!(points.len(), 1);

    let mut source = spec(format!("{base}/elsewhere"), "$.data.total");
    if let SourceSpec::Http { header, .. } = &mut source {
        *header = Some(("X-Api-Key".to_owned(), "k3y".to_owned()));
    }
    let error = fetch_error(&source).await;
    assert_eq!(error.code(), "source_http_status");
    assert!(error.to_string().starts_with("HTTP status 307: a redirect to another host"), "{error}");
    assert!(!error.to_string().contains("localhost"), "the Location is never quoted: {error}");
}

/// Internal addresses are refused before anything is sent, in every spelling the URL parser
/// knows, and a name is checked by what it resolves to.
#[tokio::test]
async fn internal_addresses_are_refused_unless_allowed() {
    let base = serve().await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("http://127.0.0.1:{port}/total"),
        format!("http://2130706433:{port}/total"),
        format!("http://0x7f.1:{port}/total"),
        format!("http://[::1]:{port}/total"),
        format!("http://[::ffff:127.0.0.1]:{port}/total"),
        format!("http://localhost:{port}/total"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let error = fetch(&spec(url.clone(), "$.data.total"), &Reach::public_only(), Utc::now())
            .await
            .expect_err("an internal address");
        assert_eq!(error.code(), "source_internal_address", "{url}: {error}");
        assert!(error.to_string().contains("QUARTERDECK_SOURCE_ALLOWED_HOSTS"), "{error}");
    }
    // The operator's allowance opens that host and no other.
    let allowed = Reach::allowing(["127.0.0.1"]);
    let points = fetch(&spec(format!("{base}/total"), "$.data.total"), &allowed, Utc::now()).await.expect("allowed");
    assert_eq!(points.len(), 1);
    let error = fetch(&spec(format!("http://localhost:{port}/total"), "$.data.total"), &allowed, Utc::now())
        .await
        .expect_err("another host");
    assert_eq!(error.code(), "source_internal_address");
}

/// A port that refuses and one that drops the connection attempt (a filtered port: here a
/// listener whose queue is full, so the kernel ignores further handshakes) fail with the same
/// words: an error must not tell which ports of a host are open.
#[tokio::test]
async fn closed_and_filtered_ports_fail_alike() {
    let closed = common::closed_port();
    let (filtered, _guard) = common::filtered_port().await;
    let mut answers = Vec::new();
    for port in [closed, filtered] {
        let url = format!("http://127.0.0.1:{port}/x");
        let mut source = spec(url.clone(), "$.x");
        if let SourceSpec::Http { timeout, .. } = &mut source {
            *timeout = Duration::from_millis(800);
        }
        let error = fetch(&source, &local(), Utc::now()).await.expect_err("no connection");
        answers.push((error.code(), error.to_string().replace(&url, "URL")));
    }
    assert_eq!(answers[0], answers[1], "closed vs filtered");
    assert_eq!(answers[0].0, "source_connect_failed");
}
