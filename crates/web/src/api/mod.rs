//! The JSON API, one module per resource; each exposes `routes()`.

pub mod accounts;
pub mod alignments;
pub mod audit;
pub mod coach;
pub mod cycles;
pub mod data_sources;
pub mod events;
pub mod guardrail_links;
pub mod health;
pub mod initiatives;
pub mod key_results;
pub mod kpi_edges;
pub mod kpis;
pub mod kras;
pub mod measurements;
pub mod objectives;
pub mod people;
pub mod quarter_end;
pub mod settings;
pub mod units;

use crate::AppState;
use axum::http::StatusCode;
use axum::http::header::ETAG;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(units::routes())
        .merge(people::routes())
        .merge(cycles::routes())
        .merge(objectives::routes())
        .merge(alignments::routes())
        .merge(key_results::routes())
        .merge(initiatives::routes())
        .merge(kpis::routes())
        .merge(measurements::routes())
        .merge(kpi_edges::routes())
        .merge(kras::routes())
        .merge(guardrail_links::routes())
        .merge(data_sources::routes())
        .merge(audit::routes())
        .merge(events::routes())
        .merge(settings::routes())
        .merge(coach::routes())
        .merge(quarter_end::routes())
}

/// `?limit=&cursor=` of a list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1–500, default 50.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `?as_of=` of a read: the record as it stood then, reconstructed from the audit trail.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// A past moment (RFC 3339): title, target, status, value and score as they stood then.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
}

/// A single record with its version as ETag, so a client can send it back as If-Match.
pub(crate) fn with_etag<T: Serialize>(version: i64, body: T) -> Response {
    ([(ETAG, format!("\"{version}\""))], axum::Json(body)).into_response()
}

pub(crate) fn created<T: Serialize>(version: i64, body: T) -> Response {
    (StatusCode::CREATED, [(ETAG, format!("\"{version}\""))], axum::Json(body)).into_response()
}
