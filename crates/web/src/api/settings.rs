//! The organisation's settings (its time zone).

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use quarterdeck_app::org::{Settings, UpdateSettings};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

#[utoipa::path(get, path = "/settings", tag = "organisation",
    responses((status = 200, body = Settings)))]
async fn get_settings(State(state): State<AppState>) -> ApiResult<Json<Settings>> {
    Ok(Json(state.app.settings().await?))
}

#[utoipa::path(patch, path = "/settings", tag = "organisation", request_body = UpdateSettings,
    description = "Setting the time zone moves \"today\" and recomputes every KPI period value in the \
                   organisation's calendar days; it is a large write on a large organisation.",
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_settings(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<UpdateSettings>,
) -> ApiResult<Json<Settings>> {
    Ok(Json(state.app.update_settings(body).await?))
}
