//! Measurement batches (JSON or CSV) into one KPI or many, and a KPI's raw points.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use chrono::{DateTime, Utc};
use quarterdeck_app::measurements::{Batch, BatchFormat, MAX_POINTS, PointIn, parse_csv, parse_json};
use quarterdeck_app::views::MeasurementView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::error::Code;
use quarterdeck_store::kpi::IngestReport;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_measurements, ingest_kpi_measurements))
        .routes(routes!(ingest_measurements))
}

/// Reads a batch body: JSON `{"points": [...]}` or CSV with a header row.
fn read_batch(headers: &HeaderMap, body: &[u8]) -> ApiResult<(Vec<PointIn>, BatchFormat)> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if ct.starts_with("text/csv") {
        return parse_csv(body, MAX_POINTS)
            .map(|p| (p, BatchFormat::Csv))
            .map_err(|e| e.into_app(BatchFormat::Csv).into());
    }
    if !(ct.starts_with("application/json") || ct.contains("+json")) {
        return Err(ApiError::new(
            Code::UnsupportedMediaType,
            "send measurements as JSON (application/json, {\"points\": [...]}) or CSV (text/csv with a header row)",
        ));
    }
    Ok((parse_json(body)?, BatchFormat::Json))
}

async fn ingest(
    app: &quarterdeck_app::App,
    headers: &HeaderMap,
    body: &[u8],
    kpi: Option<&str>,
) -> ApiResult<Json<IngestReport>> {
    let (points, format) = read_batch(headers, body)?;
    Ok(Json(app.ingest(points, kpi, format, MAX_POINTS).await?))
}

#[utoipa::path(post, path = "/kpis/{id}/measurements", tag = "kpis",
    description = "Pushes points of one KPI: JSON `{\"points\": [{\"at\": \"2026-11-24T09:00:00Z\", \"value\": 4.2, \"segment\": \"emea\"}]}` \
                   or CSV (`text/csv`, header `at,value[,segment]`), up to 100,000 points. Re-sending a point (same time and \
                   segment) replaces it; one bad row rejects the batch, and nothing of it is stored.",
    params(("id" = String, Path, description = "KPI id or key")),
    request_body(content = Batch, content_type = "application/json"),
    responses((status = 200, body = IngestReport), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn ingest_kpi_measurements(
    Caller(app): Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<IngestReport>> {
    ingest(&app, &headers, &body, Some(&id)).await
}

#[utoipa::path(post, path = "/measurements", tag = "kpis",
    description = "Pushes points of several KPIs: JSON with `kpi` (key or id) on each point, or CSV with a `kpi` column.",
    request_body(content = Batch, content_type = "application/json"),
    responses((status = 200, body = IngestReport), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn ingest_measurements(
    Caller(app): Caller,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<IngestReport>> {
    ingest(&app, &headers, &body, None).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListMeasurements {
    pub segment: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/kpis/{id}/measurements", tag = "kpis", params(("id" = String, Path, description = "KPI id or key"), ListMeasurements),
    responses((status = 200, body = ListPage<MeasurementView>, description = "Newest first"), (status = 404, body = ErrorBody)))]
async fn list_measurements(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListMeasurements>,
) -> ApiResult<Json<ListPage<MeasurementView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.list_measurements(&id, q.segment, q.from, q.to, page).await?))
}
