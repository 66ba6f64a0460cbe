//! The JSON API, one module per resource; each exposes `routes()`.

pub mod alignments;
pub mod cycles;
pub mod data_sources;
pub mod health;
pub mod initiatives;
pub mod key_results;
pub mod kpis;
pub mod objectives;
pub mod organisation;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use axum::http::header::ETAG;
use axum::response::{IntoResponse, Response};
use quarterdeck_domain::ids::{CycleId, UnitId};
use quarterdeck_store::{PageRequest, StoreError, StoreResult};
use serde::Serialize;
use std::future::Future;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(organisation::routes())
        .merge(cycles::routes())
        .merge(objectives::routes())
        .merge(alignments::routes())
        .merge(key_results::routes())
        .merge(initiatives::routes())
        .merge(kpis::routes())
        .merge(data_sources::routes())
}

pub(crate) fn page(limit: Option<u32>, cursor: Option<&str>) -> ApiResult<PageRequest> {
    Ok(PageRequest::parse(limit, cursor)?)
}

/// A single record with its version as ETag, so a client can send it back as If-Match.
pub(crate) fn with_etag<T: Serialize>(version: i64, body: T) -> Response {
    ([(ETAG, format!("\"{version}\""))], axum::Json(body)).into_response()
}

pub(crate) fn created<T: Serialize>(version: i64, body: T) -> Response {
    (StatusCode::CREATED, [(ETAG, format!("\"{version}\""))], axum::Json(body)).into_response()
}

/// Turns a stale write into 409 carrying the record as it is now.
pub(crate) async fn or_conflict<T, C, F>(result: StoreResult<T>, current: F) -> ApiResult<T>
where
    C: Serialize,
    F: Future<Output = StoreResult<C>>,
{
    match result {
        Ok(v) => Ok(v),
        Err(e @ StoreError::Stale { .. }) => Err(ApiError::from(e).with_current(current.await.ok())),
        Err(e) => Err(e.into()),
    }
}

/// A unit named by id or by slug.
pub(crate) async fn resolve_unit(state: &AppState, field: &str, raw: &str) -> ApiResult<UnitId> {
    if let Ok(id) = raw.parse::<UnitId>() {
        return Ok(id);
    }
    match state.store.find_unit_by_slug(raw).await {
        Ok(u) => Ok(u.id),
        Err(StoreError::NotFound { .. }) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_unit",
            format!("{field}: no unit with id or slug '{raw}'"),
        )
        .with_field(field)),
        Err(e) => Err(e.into()),
    }
}

/// A cycle named by id or as `current` (the cycle that holds today).
pub(crate) async fn resolve_cycle(state: &AppState, field: &str, raw: &str) -> ApiResult<CycleId> {
    if raw == "current" {
        return match state.store.current_cycle(state.today()).await? {
            Some(c) => Ok(c.id),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no_current_cycle",
                format!("no cycle holds today ({}); create one with POST /api/v1/cycles", state.today()),
            )
            .with_field(field)),
        };
    }
    raw.parse::<CycleId>().map_err(|_| {
        ApiError::bad_request("invalid_id", format!("{field} must be a cycle id or 'current', not '{raw}'"))
            .with_field(field)
    })
}
