//! Live data sources: a SQL query on an external database or an HTTP JSON endpoint, pulled
//! on a schedule into a KPI. Connection strings and header values stay on the server.

use super::{created, page};
use crate::AppState;
use crate::api::kpis::resolve_kpi;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::views::ListPage;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::ids::{DataSourceId, KpiId};
use quarterdeck_store::kpi::{DataSource, DataSourceSpec, NewDataSource};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sources, create_source))
        .routes(routes!(get_source, delete_source))
        .routes(routes!(run_source))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Sql,
    Http,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSource {
    /// KPI id or key.
    pub kpi: String,
    pub kind: SourceKind,
    /// sql: postgres://…, mysql://…, mariadb://… or sqlite:PATH. http: the endpoint's URL.
    /// Stored on the server, never returned (passwords are masked).
    pub url: String,
    /// sql: returns (timestamp, value[, segment]) rows. Runs read-only with a timeout.
    pub query: Option<String>,
    /// http: path to a number or to an array of points (`$.data.series`).
    pub value_path: Option<String>,
    /// http: a header to send, e.g. "Authorization".
    pub header_name: Option<String>,
    /// http: the header's value (a token). Never returned.
    pub header_value: Option<String>,
    pub timestamp_field: Option<String>,
    pub value_field: Option<String>,
    pub segment_field: Option<String>,
    /// How often to pull, 60 s to 7 days (default 3600).
    #[serde(default = "hourly")]
    pub interval_seconds: i64,
    /// Query or request timeout, 1–300 s (default 30).
    #[serde(default = "thirty")]
    pub timeout_seconds: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn hourly() -> i64 {
    3600
}
fn thirty() -> i64 {
    30
}
fn yes() -> bool {
    true
}

fn required(field: &'static str, v: Option<String>, max: usize) -> ApiResult<String> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).ok_or(DomainError::Empty { field })?;
    if v.chars().count() > max {
        return Err(DomainError::TooLong { field, max }.into());
    }
    Ok(v)
}

fn optional(field: &'static str, v: Option<String>) -> ApiResult<Option<String>> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).map(|s| required(field, Some(s), 200)).transpose()
}

#[utoipa::path(post, path = "/data-sources", tag = "kpis", request_body = CreateSource,
    responses((status = 201, body = DataSource), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_source(State(state): State<AppState>, ApiJson(b): ApiJson<CreateSource>) -> ApiResult<Response> {
    let kpi = resolve_kpi(&state, &b.kpi).await?;
    let url = required("url", Some(b.url), 2000)?;
    let spec = match b.kind {
        SourceKind::Sql => {
            let scheme_ok = ["postgres://", "postgresql://", "mysql://", "mariadb://", "sqlite:"]
                .iter()
                .any(|p| url.starts_with(p));
            if !scheme_ok {
                return Err(ApiError::unprocessable(
                    "invalid_url",
                    "url",
                    "a SQL source's url starts with postgres://, mysql://, mariadb:// or sqlite:",
                ));
            }
            DataSourceSpec::Sql { url, query: required("query", b.query, 10_000)? }
        }
        SourceKind::Http => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ApiError::unprocessable(
                    "invalid_url",
                    "url",
                    "an HTTP source's url starts with http:// or https://",
                ));
            }
            let header = match (optional("header_name", b.header_name)?, b.header_value) {
                (Some(n), Some(v)) => Some((n, v)),
                (None, None) => None,
                _ => {
                    return Err(ApiError::unprocessable(
                        "header_incomplete",
                        "header_value",
                        "give both header_name and header_value",
                    ));
                }
            };
            DataSourceSpec::Http {
                url,
                header,
                value_path: required("value_path", b.value_path, 500)?,
                timestamp_field: optional("timestamp_field", b.timestamp_field)?,
                value_field: optional("value_field", b.value_field)?,
                segment_field: optional("segment_field", b.segment_field)?,
            }
        }
    };
    if !(60..=7 * 24 * 3600).contains(&b.interval_seconds) {
        return Err(ApiError::unprocessable(
            "out_of_range",
            "interval_seconds",
            "interval_seconds is between 60 and 604800",
        ));
    }
    if !(1..=300).contains(&b.timeout_seconds) {
        return Err(ApiError::unprocessable("out_of_range", "timeout_seconds", "timeout_seconds is between 1 and 300"));
    }
    let source = state
        .store
        .create_data_source(NewDataSource {
            kpi_id: kpi.id,
            spec,
            interval_seconds: b.interval_seconds,
            timeout_seconds: b.timeout_seconds,
            enabled: b.enabled,
        })
        .await?;
    Ok(created(source.version, source))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListSources {
    pub kpi: Option<KpiId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/data-sources", tag = "kpis", params(ListSources), responses((status = 200, body = ListPage<DataSource>)))]
async fn list_sources(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListSources>,
) -> ApiResult<Json<ListPage<DataSource>>> {
    Ok(Json(state.store.list_data_sources(q.kpi, page(q.limit, q.cursor.as_deref())?).await?.into()))
}

#[utoipa::path(get, path = "/data-sources/{id}", tag = "kpis", params(("id" = DataSourceId, Path)),
    responses((status = 200, body = DataSource), (status = 404, body = ErrorBody)))]
async fn get_source(State(state): State<AppState>, ApiPath(id): ApiPath<DataSourceId>) -> ApiResult<Json<DataSource>> {
    Ok(Json(state.store.get_data_source(id).await?))
}

#[utoipa::path(delete, path = "/data-sources/{id}", tag = "kpis", params(("id" = DataSourceId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_source(State(state): State<AppState>, ApiPath(id): ApiPath<DataSourceId>) -> ApiResult<StatusCode> {
    state.store.delete_data_source(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct RunResult {
    pub points: usize,
    /// Why the run failed (also recorded on the source and in the KPI's trust badge).
    pub error: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub ingest: Option<quarterdeck_store::kpi::IngestReport>,
    pub source: DataSource,
}

#[utoipa::path(post, path = "/data-sources/{id}/run", tag = "kpis",
    description = "Runs the source now, whatever its schedule, and answers with what it pulled or why it failed.",
    params(("id" = DataSourceId, Path)),
    responses((status = 200, body = RunResult), (status = 404, body = ErrorBody)))]
async fn run_source(State(state): State<AppState>, ApiPath(id): ApiPath<DataSourceId>) -> ApiResult<Json<RunResult>> {
    let report = quarterdeck_jobs::run_now(state.store.as_ref(), id).await?;
    let source = state.store.get_data_source(id).await?;
    Ok(Json(RunResult { points: report.points, error: report.error, ingest: report.ingest, source }))
}
