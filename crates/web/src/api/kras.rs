//! Key Result Areas: named groups of a role's KPIs.

use super::{Paging, created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::kpi_links::{CreateKra, SetKraKpis};
use quarterdeck_app::views::KraView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::ids::KraId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_kras, create_kra)).routes(routes!(get_kra)).routes(routes!(set_kra_kpis))
}

#[utoipa::path(get, path = "/kras", tag = "kpis", params(Paging), responses((status = 200, body = ListPage<KraView>)))]
async fn list_kras(State(state): State<AppState>, ApiQuery(q): ApiQuery<Paging>) -> ApiResult<Json<ListPage<KraView>>> {
    Ok(Json(state.app.list_kras(page(q.limit, q.cursor.as_deref())?).await?))
}

#[utoipa::path(post, path = "/kras", tag = "kpis", request_body = CreateKra,
    description = "A Key Result Area: a named group of a role's KPIs (3–7 per role is the norm).",
    responses((status = 201, body = KraView), (status = 422, body = ErrorBody)))]
async fn create_kra(Caller(app): Caller, ApiJson(body): ApiJson<CreateKra>) -> ApiResult<Response> {
    let kra = app.create_kra(body).await?;
    Ok(created(kra.version, kra))
}

#[utoipa::path(get, path = "/kras/{id}", tag = "kpis", params(("id" = KraId, Path)),
    responses((status = 200, body = KraView), (status = 404, body = ErrorBody)))]
async fn get_kra(State(state): State<AppState>, ApiPath(id): ApiPath<KraId>) -> ApiResult<Response> {
    let kra = state.app.get_kra(id).await?;
    Ok(with_etag(kra.version, kra))
}

#[utoipa::path(put, path = "/kras/{id}/kpis", tag = "kpis", request_body = SetKraKpis, params(("id" = KraId, Path)),
    responses((status = 200, body = KraView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_kra_kpis(
    Caller(app): Caller,
    ApiPath(id): ApiPath<KraId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<SetKraKpis>,
) -> ApiResult<Response> {
    let kra = app.set_kra_kpis(id, if_match.0, body).await?;
    Ok(with_etag(kra.version, kra))
}
