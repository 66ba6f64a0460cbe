//! Cycles: planning → active → closed. "current" is the cycle that holds today.

use super::{created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use quarterdeck_app::cycles::{CreateCycle, UpdateCycle};
use quarterdeck_app::views::CycleView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::cycle::CycleState;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cycles, create_cycle))
        .routes(routes!(get_cycle, update_cycle))
        .routes(routes!(activate_cycle))
        .routes(routes!(close_cycle))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    /// The version seen (optional: the state machine already guards the move).
    pub version: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCycles {
    pub state: Option<CycleState>,
    /// Only cycles that hold this day.
    pub on: Option<NaiveDate>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/cycles", tag = "cycles", params(ListCycles),
    responses((status = 200, body = ListPage<CycleView>, description = "Newest first"), (status = 400, body = ErrorBody)))]
async fn list_cycles(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListCycles>,
) -> ApiResult<Json<ListPage<CycleView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.list_cycles(q.state, q.on, page).await?))
}

#[utoipa::path(post, path = "/cycles", tag = "cycles", request_body = CreateCycle,
    responses((status = 201, body = CycleView), (status = 422, body = ErrorBody)))]
async fn create_cycle(Caller(app): Caller, ApiJson(body): ApiJson<CreateCycle>) -> ApiResult<Response> {
    let cycle = app.create_cycle(body).await?;
    Ok(created(cycle.version, cycle))
}

#[utoipa::path(get, path = "/cycles/{id}", tag = "cycles",
    params(("id" = String, Path, description = "Cycle id, or `current` for the cycle that holds today")),
    responses((status = 200, body = CycleView), (status = 404, body = ErrorBody)))]
async fn get_cycle(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let cycle = state.app.get_cycle(&id).await?;
    Ok(with_etag(cycle.version, cycle))
}

#[utoipa::path(patch, path = "/cycles/{id}", tag = "cycles", request_body = UpdateCycle,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = CycleView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_cycle(
    Caller(app): Caller,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateCycle>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let cycle = app.update_cycle(&id, version, body).await?;
    Ok(with_etag(cycle.version, cycle))
}

#[utoipa::path(post, path = "/cycles/{id}/activate", tag = "cycles", request_body(content = Option<StateChange>),
    params(("id" = String, Path)),
    responses((status = 200, body = CycleView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn activate_cycle(
    Caller(app): Caller,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    body: Option<ApiJson<StateChange>>,
) -> ApiResult<Response> {
    let cycle = app.move_cycle(&id, if_match.or(body.and_then(|b| b.0.version)), CycleState::Active).await?;
    Ok(with_etag(cycle.version, cycle))
}

#[utoipa::path(post, path = "/cycles/{id}/close", tag = "cycles", request_body(content = Option<StateChange>),
    description = "Grades the cycle: from now on its OKRs are read-only.",
    params(("id" = String, Path)),
    responses((status = 200, body = CycleView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_cycle(
    Caller(app): Caller,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    body: Option<ApiJson<StateChange>>,
) -> ApiResult<Response> {
    let cycle = app.move_cycle(&id, if_match.or(body.and_then(|b| b.0.version)), CycleState::Closed).await?;
    Ok(with_etag(cycle.version, cycle))
}
