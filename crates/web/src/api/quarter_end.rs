//! The quarter end: retiring key results (into a KPI), and objective retros. Carrying a key
//! result forward is `POST /key-results/{id}/carry-forward`.

use super::with_etag;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::quarter_end::{RetireIntoKpi, RetiredIntoKpi, WriteRetro};
use quarterdeck_app::views::KeyResultView;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId};
use quarterdeck_store::records::Retro;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(retire)).routes(routes!(retire_into_kpi)).routes(routes!(get_retro, put_retro))
}

#[utoipa::path(post, path = "/key-results/{id}/retire", tag = "key-results",
    description = "Records that the key result retires at its cycle's end; its graded score stays.",
    responses((status = 200, body = KeyResultView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retire(Caller(app): Caller, ApiPath(id): ApiPath<KeyResultId>) -> ApiResult<Response> {
    let view = app.retire_key_result(id).await?;
    Ok(with_etag(view.version, view))
}

#[utoipa::path(post, path = "/key-results/{id}/retire-into-kpi", tag = "key-results", request_body(content = Option<RetireIntoKpi>),
    description = "Retires the key result into a KPI whose target and baseline become the level it reached \
                   (\"TTFV from 14 to 5 days, reached 5\" → \"TTFV ≤ 5 days\"): the KPI it is measured from (or \
                   `kpi`) is changed, or a KPI is defined from the key result. One transaction.",
    responses((status = 200, body = RetiredIntoKpi), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn retire_into_kpi(
    Caller(app): Caller,
    ApiPath(id): ApiPath<KeyResultId>,
    body: Option<ApiJson<RetireIntoKpi>>,
) -> ApiResult<Json<RetiredIntoKpi>> {
    Ok(Json(app.retire_into_kpi(id, body.map(|b| b.0).unwrap_or_default()).await?))
}

#[utoipa::path(get, path = "/objectives/{id}/retro", tag = "objectives",
    responses((status = 200, body = Retro), (status = 404, body = ErrorBody)))]
async fn get_retro(State(state): State<AppState>, ApiPath(id): ApiPath<ObjectiveId>) -> ApiResult<Response> {
    match state.app.retro(id).await? {
        Some(r) => Ok(with_etag(r.version, r)),
        None => Err(ApiError::new(Code::NotFound, "no retro written for this objective yet (PUT one)")),
    }
}

#[utoipa::path(put, path = "/objectives/{id}/retro", tag = "objectives", request_body = WriteRetro,
    description = "What moved, what did not, what was learned. Writable after the cycle closed; the first \
                   retro needs no version, every later one the version it edits (If-Match or `version`).",
    params(("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = Retro), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn put_retro(
    Caller(app): Caller,
    ApiPath(id): ApiPath<ObjectiveId>,
    if_match: IfMatch,
    ApiJson(mut body): ApiJson<WriteRetro>,
) -> ApiResult<Response> {
    body.version = if_match.0.or(body.version);
    let retro = app.write_retro(id, body).await?;
    Ok(with_etag(retro.version, retro))
}
