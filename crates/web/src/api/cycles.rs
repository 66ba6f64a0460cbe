//! Cycles: planning → active → closed. "current" is the cycle that holds today.

use super::{created, or_conflict, page, resolve_cycle, with_etag};
use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::views::ListPage;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use quarterdeck_domain::cycle::{CycleDates, CycleKind, CycleState};
use quarterdeck_domain::text::Title;
use quarterdeck_store::input::*;
use quarterdeck_store::records::Cycle;
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCycle {
    /// Defaults to "2026-Q4", "2026-H2" or the date range.
    pub name: Option<String>,
    #[serde(default = "quarter")]
    pub kind: CycleKind,
    /// First day. Defaults to the first day of the current quarter for a quarter.
    pub start: Option<NaiveDate>,
    /// Last day (inclusive); derived from the kind unless the kind is custom.
    pub end: Option<NaiveDate>,
    /// planning (default) or active.
    #[serde(default = "planning")]
    pub state: CycleState,
}

fn quarter() -> CycleKind {
    CycleKind::Quarter
}
fn planning() -> CycleState {
    CycleState::Planning
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCycle {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
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
    responses((status = 200, body = ListPage<Cycle>, description = "Newest first"), (status = 400, body = ErrorBody)))]
async fn list_cycles(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListCycles>,
) -> ApiResult<Json<ListPage<Cycle>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.store.list_cycles(CycleFilter { state: q.state, on: q.on }, page).await?.into()))
}

#[utoipa::path(post, path = "/cycles", tag = "cycles", request_body = CreateCycle,
    responses((status = 201, body = Cycle), (status = 422, body = ErrorBody)))]
async fn create_cycle(State(state): State<AppState>, ApiJson(body): ApiJson<CreateCycle>) -> ApiResult<Response> {
    let start = body.start.unwrap_or_else(|| CycleDates::quarter_of(state.today()).start());
    if body.state == CycleState::Closed {
        return Err(crate::error::ApiError::unprocessable(
            "invalid_initial_state",
            "state",
            "a new cycle starts as planning or active",
        ));
    }
    let dates = CycleDates::for_kind(body.kind, start, body.end)?;
    let name = match body.name.as_deref() {
        Some(n) => Title::parse("name", n)?,
        None => Title::parse("name", &dates.default_name(body.kind))?,
    };
    let cycle = state.store.create_cycle(NewCycle { name, kind: body.kind, dates, state: body.state }).await?;
    Ok(created(cycle.version, cycle))
}

#[utoipa::path(get, path = "/cycles/{id}", tag = "cycles",
    params(("id" = String, Path, description = "Cycle id, or `current` for the cycle that holds today")),
    responses((status = 200, body = Cycle), (status = 404, body = ErrorBody)))]
async fn get_cycle(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let id = resolve_cycle(&state, "id", &id).await?;
    let cycle = state.store.get_cycle(id).await?;
    Ok(with_etag(cycle.version, cycle))
}

#[utoipa::path(patch, path = "/cycles/{id}", tag = "cycles", request_body = UpdateCycle,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = Cycle), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_cycle(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateCycle>,
) -> ApiResult<Response> {
    let id = resolve_cycle(&state, "id", &id).await?;
    let version = if_match.require(body.version)?;
    let dates = if body.start.is_some() || body.end.is_some() {
        let current = state.store.get_cycle(id).await?;
        Some(CycleDates::new(body.start.unwrap_or(current.start), body.end.unwrap_or(current.end))?)
    } else {
        None
    };
    let patch = CyclePatch { name: body.name.as_deref().map(|n| Title::parse("name", n)).transpose()?, dates };
    let cycle = or_conflict(state.store.update_cycle(id, version, patch).await, state.store.get_cycle(id)).await?;
    Ok(with_etag(cycle.version, cycle))
}

async fn move_cycle(
    state: AppState,
    id: String,
    if_match: IfMatch,
    body: Option<StateChange>,
    to: CycleState,
) -> ApiResult<Response> {
    let id = resolve_cycle(&state, "id", &id).await?;
    let version = if_match.0.or(body.and_then(|b| b.version));
    let cycle = or_conflict(state.store.set_cycle_state(id, version, to).await, state.store.get_cycle(id)).await?;
    Ok(with_etag(cycle.version, cycle))
}

#[utoipa::path(post, path = "/cycles/{id}/activate", tag = "cycles", request_body(content = Option<StateChange>),
    params(("id" = String, Path)),
    responses((status = 200, body = Cycle), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn activate_cycle(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    body: Option<ApiJson<StateChange>>,
) -> ApiResult<Response> {
    move_cycle(state, id, if_match, body.map(|b| b.0), CycleState::Active).await
}

#[utoipa::path(post, path = "/cycles/{id}/close", tag = "cycles", request_body(content = Option<StateChange>),
    description = "Grades the cycle: from now on its OKRs are read-only.",
    params(("id" = String, Path)),
    responses((status = 200, body = Cycle), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_cycle(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    body: Option<ApiJson<StateChange>>,
) -> ApiResult<Response> {
    move_cycle(state, id, if_match, body.map(|b| b.0), CycleState::Closed).await
}
