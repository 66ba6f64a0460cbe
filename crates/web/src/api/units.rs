//! Units (company → departments → teams), and a unit's KPI scorecard.

use super::{Paging, created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::org::{CreateUnit, UpdateUnit};
use quarterdeck_app::views::Scorecard;
use quarterdeck_app::views::UnitView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::UnitKind;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, update_unit))
        .routes(routes!(unit_scorecard))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUnits {
    /// Only the children of this unit (id or slug).
    pub parent: Option<String>,
    pub kind: Option<UnitKind>,
    /// 1–500, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/units", tag = "organisation", params(ListUnits),
    responses((status = 200, body = ListPage<UnitView>), (status = 400, body = ErrorBody)))]
async fn list_units(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListUnits>,
) -> ApiResult<Json<ListPage<UnitView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.list_units(q.parent.as_deref(), q.kind, page).await?))
}

#[utoipa::path(post, path = "/units", tag = "organisation", request_body = CreateUnit,
    responses((status = 201, body = UnitView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_unit(Caller(app): Caller, ApiJson(body): ApiJson<CreateUnit>) -> ApiResult<Response> {
    let unit = app.create_unit(body).await?;
    Ok(created(unit.version, unit))
}

#[utoipa::path(get, path = "/units/{id}", tag = "organisation", params(("id" = String, Path, description = "Unit id or slug")),
    responses((status = 200, body = UnitView), (status = 404, body = ErrorBody)))]
async fn get_unit(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let unit = state.app.get_unit(&id).await?;
    Ok(with_etag(unit.version, unit))
}

#[utoipa::path(patch, path = "/units/{id}", tag = "organisation", request_body = UpdateUnit,
    params(("id" = String, Path, description = "Unit id or slug"), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = UnitView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_unit(
    Caller(app): Caller,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateUnit>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let unit = app.update_unit(&id, version, body).await?;
    Ok(with_etag(unit.version, unit))
}

#[utoipa::path(get, path = "/units/{id}/kpi-scorecard", tag = "kpis",
    description = "A unit's KPIs with current value, health and trust badge, the KPI completion share, and \
                   the speed/volume KPIs without a quality counterweight.",
    params(("id" = String, Path, description = "Unit id or slug"), Paging),
    responses((status = 200, body = Scorecard), (status = 404, body = ErrorBody)))]
async fn unit_scorecard(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Response> {
    let page = page(q.limit, q.cursor.as_deref())?;
    // The trust badge's freshness moves with the clock, not only with writes: a kept
    // scorecard serves for the minute it was built in at most.
    let minute = state.app.now().timestamp() / 60;
    crate::cache::cached_json(&state.clone(), format!("{uri}@{minute}"), &headers, || async move {
        state.app.unit_scorecard(&id, page).await
    })
    .await
}
