use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Liveness and database reachability, for load balancers and `curl`.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = state.app.backend();
    match state.app.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok", "backend": backend}))),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "backend": backend, "message": "the database does not answer"})),
        ),
    }
}
