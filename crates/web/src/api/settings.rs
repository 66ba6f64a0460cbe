//! The organisation's settings (its time zone).

use super::with_etag;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, IfMatch};
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::org::{Settings, UpdateSettings};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

#[utoipa::path(get, path = "/settings", tag = "organisation",
    responses((status = 200, body = Settings)))]
async fn get_settings(State(state): State<AppState>) -> ApiResult<Response> {
    let settings = state.app.settings().await?;
    Ok(with_etag(settings.version, settings))
}

#[utoipa::path(patch, path = "/settings", tag = "organisation", request_body = UpdateSettings,
    description = "Setting the time zone moves \"today\" and recomputes every KPI period value in the \
                   organisation's calendar days; it is a large write on a large organisation.",
    params(("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_settings(
    Caller(app): Caller,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateSettings>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let settings = app.update_settings(version, body).await?;
    Ok(with_etag(settings.version, settings))
}
