//! Handlers on their own: requests go through the router with `oneshot`, so extraction,
//! validation and error mapping are tested without a server. Requests carry an admin's token
//! over a fresh SQLite database (and must be refused before anything is stored); a store with
//! no database behind it shows that a request which does reach storage is answered 503, quickly.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use quarterdeck_app::App;
use quarterdeck_domain::access::Role;
use quarterdeck_store_sql::testing::offline_store;
use quarterdeck_web::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

/// Sends a request with an admin's token to a server over a fresh database.
async fn call(mut req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let (store, _dir) = quarterdeck_store_sql::testing::sqlite_store().await;
    let app = App::new(store);
    let secret = common::token_for(&app, "admin@example.com", Role::Admin, None, &["admin"]).await;
    req.headers_mut().insert("Authorization", format!("Bearer {secret}").parse().unwrap());
    send(router(AppState::new(app)), req).await
}

/// Sends a request that carries no credentials to a server whose store has no database,
/// reading anonymously.
async fn call_offline(req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let state = AppState { anonymous_read: true, ..AppState::new(App::new(offline_store())) };
    send(router(state), req).await
}

async fn send(app: axum::Router, req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers)
}

fn json(method: &str, uri: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("Content-Type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn code(b: &Value) -> &str {
    b["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn requests_are_read_before_anything_is_stored() {
    let (st, b, _) = call(json("POST", "/api/v1/units", "{\"name\": ")).await;
    assert_eq!((st, code(&b)), (StatusCode::BAD_REQUEST, "malformed_json"), "{b}");
    let (st, b, _) = call(json("POST", "/api/v1/units", r#"{"name": "Ops"} trailing"#)).await;
    assert_eq!((st, code(&b)), (StatusCode::BAD_REQUEST, "malformed_json"), "{b}");
    let (st, b, _) = call(json("POST", "/api/v1/units", r#"{"name": "Ops", "colour": "red"}"#)).await;
    assert_eq!((st, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{b}");
    let (st, b, _) = call(json("POST", "/api/v1/units", r#"{"name": "  "}"#)).await;
    assert_eq!((st, code(&b), b["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "empty", Some("name")), "{b}");
    let (st, b, _) = call(json("POST", "/api/v1/units", r#"{"name": "O\u0000ps"}"#)).await;
    assert_eq!(
        (st, code(&b), b["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "control_character", Some("name"))
    );
    let form = Request::builder().method("POST").uri("/api/v1/units").body(Body::from("name=x")).unwrap();
    let (st, b, _) = call(form).await;
    assert_eq!((st, code(&b)), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"), "{b}");
    let (st, b, _) =
        call(json("PATCH", "/api/v1/units/0190b0b0-0000-7000-8000-000000000000", r#"{"name": "x"}"#)).await;
    assert_eq!((st, code(&b)), (StatusCode::PRECONDITION_REQUIRED, "version_required"), "{b}");
    let (st, b, _) = call(json("GET", "/api/v1/objectives/not-an-id", "")).await;
    assert_eq!((st, code(&b)), (StatusCode::NOT_FOUND, "not_found"), "{b}");
    let (st, b, _) = call(json("GET", "/api/v1/objectives?limit=0", "")).await;
    assert_eq!((st, code(&b), b["field"].as_str()), (StatusCode::BAD_REQUEST, "invalid_page", Some("limit")));
    let (st, b, _) = call(json("GET", "/api/v1/nothing", "")).await;
    assert_eq!((st, code(&b)), (StatusCode::NOT_FOUND, "not_found"), "{b}");
    let big = "x".repeat(quarterdeck_web::MAX_BODY_BYTES + 1);
    let (st, b, _) = call(json("POST", "/api/v1/measurements", &big)).await;
    assert_eq!((st, code(&b)), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"), "{b}");
    let (st, b, _) =
        call(json("POST", "/api/v1/measurements", "{\"points\": [{\"at\": \"x\", \"value\": \"y\"}]}")).await;
    assert_eq!(
        (st, code(&b), b["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("points[0].value"))
    );
}

#[tokio::test]
async fn a_database_that_does_not_answer_is_503_and_says_so() {
    let started = std::time::Instant::now();
    let (st, b, headers) = call_offline(json("GET", "/api/v1/units", "")).await;
    assert_eq!((st, code(&b)), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"), "{b}");
    assert_eq!(headers["retry-after"], "5");
    assert!(!b["message"].as_str().unwrap().contains("127.0.0.1"), "no connection details: {b}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "fails fast, not after a 30 s pool timeout");
    let (st, b, _) = call_offline(json("GET", "/healthz", "")).await;
    assert_eq!((st, b["status"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")));
}
