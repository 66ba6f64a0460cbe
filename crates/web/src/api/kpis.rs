//! The metric dictionary: KPIs with their target history, period values with health, stretch
//! targets and driver trees.

use super::{created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use quarterdeck_app::kpis::{CreateKpi, KpiQuery, UpdateKpi};
use quarterdeck_app::views::AuditEntryView;
use quarterdeck_app::views::{KpiDetail, PeriodView, StretchView, TreeView};
use quarterdeck_app::views::{KpiView, TargetChangeView};
use quarterdeck_app::{AppError, ListPage, page};
use quarterdeck_domain::ids::{KraId, PersonId};
use quarterdeck_domain::kpi::period::Granularity;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_kpis, create_kpi))
        .routes(routes!(get_kpi, update_kpi))
        .routes(routes!(target_history))
        .routes(routes!(list_periods))
        .routes(routes!(kpi_stretch_targets))
        .routes(routes!(kpi_tree))
        .routes(routes!(kpi_history))
}

#[utoipa::path(get, path = "/kpis/{id}/history", tag = "kpis", params(("id" = String, Path, description = "KPI id or key"), super::Paging),
    description = "The KPI's audit rows, newest first: definition changes and the measurements that moved it.",
    responses((status = 200, body = ListPage<AuditEntryView>), (status = 404, body = ErrorBody)))]
async fn kpi_history(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<super::Paging>,
) -> ApiResult<Json<ListPage<AuditEntryView>>> {
    let kpi = state.app.get_kpi(&id).await?.card.kpi;
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.history("kpi", &kpi.id.to_string(), page).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListKpis {
    /// Unit id or slug.
    pub unit: Option<String>,
    pub owner: Option<PersonId>,
    pub kra: Option<KraId>,
    pub guardrail: Option<bool>,
    pub north_star: Option<bool>,
    /// `counterweight`: only speed/volume KPIs without a quality counterweight.
    pub warning: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/kpis", tag = "kpis", params(ListKpis),
    responses((status = 200, body = ListPage<KpiView>), (status = 400, body = ErrorBody)))]
async fn list_kpis(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ListKpis>,
) -> ApiResult<Response> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let missing_counterweight = match q.warning.as_deref() {
        None => false,
        Some("counterweight") => true,
        Some(other) => {
            return Err(AppError::bad_query(
                "warning",
                format!("warning: '{}' is not one of: counterweight", other.escape_debug()),
            )
            .into());
        }
    };
    let key = format!("kpis?{}", uri.query().unwrap_or_default());
    crate::cache::cached_json(&state.clone(), key, &headers, || async move {
        let query = KpiQuery {
            unit: q.unit,
            owner: q.owner,
            kra: q.kra,
            guardrail: q.guardrail,
            north_star: q.north_star,
            missing_counterweight,
        };
        state.app.list_kpis(query, page).await
    })
    .await
}

#[utoipa::path(post, path = "/kpis", tag = "kpis", request_body = CreateKpi,
    responses((status = 201, body = KpiView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_kpi(Caller(app): Caller, ApiJson(body): ApiJson<CreateKpi>) -> ApiResult<Response> {
    let kpi = app.create_kpi(body).await?;
    Ok(created(kpi.version, kpi))
}

#[utoipa::path(get, path = "/kpis/{id}", tag = "kpis", params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = KpiDetail), (status = 404, body = ErrorBody)))]
async fn get_kpi(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let detail = state.app.get_kpi(&id).await?;
    Ok(with_etag(detail.card.kpi.version, detail))
}

#[utoipa::path(patch, path = "/kpis/{id}", tag = "kpis", request_body = UpdateKpi,
    params(("id" = String, Path, description = "KPI id or key"), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = KpiView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_kpi(
    Caller(app): Caller,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateKpi>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let kpi = app.update_kpi(&id, version, body).await?;
    Ok(with_etag(kpi.version, kpi))
}

#[utoipa::path(get, path = "/kpis/{id}/targets", tag = "kpis", params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = Vec<TargetChangeView>, description = "Oldest first"), (status = 404, body = ErrorBody)))]
async fn target_history(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<TargetChangeView>>> {
    Ok(Json(state.app.kpi_target_history(&id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPeriods {
    /// day, week, month or quarter; defaults to the KPI's cadence.
    pub granularity: Option<Granularity>,
    pub segment: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The most recent periods to return, 1–1000 (default 52).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/kpis/{id}/periods", tag = "kpis",
    description = "Period values (oldest first) with attainment and health against the target; read from values kept \
                   up to date on ingest, never from raw history.",
    params(("id" = String, Path, description = "KPI id or key"), ListPeriods),
    responses((status = 200, body = Vec<PeriodView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_periods(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListPeriods>,
) -> ApiResult<Response> {
    crate::cache::cached_json(&state.clone(), uri.to_string(), &headers, || async move {
        let (_, periods) = state.app.list_periods(&id, q.granularity, q.segment, q.from, q.to, q.limit).await?;
        Ok(periods)
    })
    .await
}

#[utoipa::path(get, path = "/kpis/{id}/stretch-targets", tag = "kpis", params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = StretchView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn kpi_stretch_targets(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<StretchView>> {
    Ok(Json(state.app.kpi_stretch_targets(&id).await?))
}

#[utoipa::path(get, path = "/kpis/{id}/tree", tag = "kpis",
    description = "The driver tree below a KPI (usually a North Star): nodes with current value and status, and edges.",
    params(("id" = String, Path, description = "KPI id or key")),
    responses((status = 200, body = TreeView), (status = 404, body = ErrorBody)))]
async fn kpi_tree(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    crate::cache::cached_json(
        &state.clone(),
        uri.to_string(),
        &headers,
        || async move { state.app.kpi_tree(&id).await },
    )
    .await
}
