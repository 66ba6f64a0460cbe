//! The HTTP face of Quarterdeck: the JSON API under `/api/v1` (with its OpenAPI document
//! generated from these handlers) and `/healthz`. Handlers are thin: parse into domain
//! types, call one [`Store`] use case, shape the answer. The web UI will sit beside `api/`
//! and call the same store functions.

pub mod api;
pub mod cache;
pub mod error;
pub mod extract;
pub mod measurements;
pub mod views;
pub mod views_kpi;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use quarterdeck_domain::scoring::ScoringPolicy;
use quarterdeck_store::Store;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub policy: ScoringPolicy,
    /// Rendered list pages, valid while nothing has been written (see `cache.rs`).
    pub cache: Arc<cache::PageCache>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState { store, policy: ScoringPolicy::default(), cache: Arc::new(cache::PageCache::default()) }
    }

    /// Today's date in the organisation's time zone (UTC until time zones are a setting).
    pub fn today(&self) -> NaiveDate {
        Utc::now().date_naive()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quarterdeck API",
        description = "OKRs and KPIs, wired together. Every list paginates with `limit` and `cursor`; \
                       every update sends the version it edited (`If-Match` or `version`) and gets 409 \
                       with the current record when someone else changed it first.",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "organisation", description = "Units (company → departments → teams) and people"),
        (name = "cycles", description = "Quarters, 6-week and half-year cycles: planning → active → closed"),
        (name = "objectives", description = "Qualitative objectives, scored from their key results"),
        (name = "alignment", description = "The alignment graph: contributes / supports links"),
        (name = "key-results", description = "Key results, check-ins and initiatives"),
        (name = "kpis", description = "The metric dictionary, measurements, health and trust, driver trees, KRAs, guardrails"),
    )
)]
struct ApiDoc;

/// The whole application: API, OpenAPI document and health check.
pub fn router(state: AppState) -> Router {
    let (api, openapi) =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", api::routes()).split_for_parts();
    let openapi = Arc::new(openapi);
    api.route("/api/v1/openapi.json", get(move || std::future::ready(axum::Json(openapi.as_ref().clone()))))
        .route("/healthz", get(api::health::healthz))
        .fallback(|| async {
            error::ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint; the API lives under /api/v1 (see /api/v1/openapi.json)",
            )
        })
        .with_state(state)
}
