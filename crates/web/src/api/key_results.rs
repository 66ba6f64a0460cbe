//! Key results, their check-ins, and the moves kill / carry forward.

use super::{AsOf, Paging, created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::key_results::{CarryForward, CreateKeyResult, Kill, RecordCheckIn, UpdateKeyResult};
use quarterdeck_app::views::AuditEntryView;
use quarterdeck_app::views::CheckInView;
use quarterdeck_app::views::{CheckInRecorded, KeyResultView, StretchView};
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::ids::{KeyResultId, ObjectiveId, PersonId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_key_results, create_key_result))
        .routes(routes!(get_key_result, update_key_result))
        .routes(routes!(list_check_ins, record_check_in))
        .routes(routes!(kill_key_result))
        .routes(routes!(carry_forward))
        .routes(routes!(key_result_stretch_targets))
        .routes(routes!(key_result_history))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListKeyResults {
    pub objective: Option<ObjectiveId>,
    pub owner: Option<PersonId>,
    /// Cycle id, or `current`.
    pub cycle: Option<String>,
    /// The key result's key within its cycle (with `cycle`).
    pub key: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/key-results", tag = "key-results", params(ListKeyResults),
    responses((status = 200, body = ListPage<KeyResultView>), (status = 400, body = ErrorBody)))]
async fn list_key_results(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<ListKeyResults>,
) -> ApiResult<Response> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let key = format!("key-results?{}", uri.query().unwrap_or_default());
    crate::cache::cached_json(&state.clone(), key, &headers, || async move {
        state.app.list_key_results(q.objective, q.owner, q.cycle.as_deref(), q.key.as_deref(), page).await
    })
    .await
}

#[utoipa::path(post, path = "/key-results", tag = "key-results", request_body = CreateKeyResult,
    responses((status = 201, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_key_result(Caller(app): Caller, ApiJson(body): ApiJson<CreateKeyResult>) -> ApiResult<Response> {
    let view = app.create_key_result(body).await?;
    Ok(created(view.version, view))
}

#[utoipa::path(get, path = "/key-results/{id}", tag = "key-results", params(("id" = KeyResultId, Path), AsOf),
    responses((status = 200, body = KeyResultView), (status = 404, body = ErrorBody)))]
async fn get_key_result(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    ApiQuery(q): ApiQuery<AsOf>,
) -> ApiResult<Response> {
    let view = match q.as_of {
        Some(at) => state.app.get_key_result_as_of(id, at).await?,
        None => state.app.get_key_result(id).await?,
    };
    Ok(with_etag(view.version, view))
}

#[utoipa::path(get, path = "/key-results/{id}/history", tag = "key-results", params(("id" = KeyResultId, Path), Paging),
    description = "The key result's audit rows, newest first: edits, check-ins and values from its KPI.",
    responses((status = 200, body = ListPage<AuditEntryView>), (status = 404, body = ErrorBody)))]
async fn key_result_history(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ListPage<AuditEntryView>>> {
    state.app.get_key_result(id).await?;
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.history("key_result", &id.to_string(), page).await?))
}

#[utoipa::path(patch, path = "/key-results/{id}", tag = "key-results", request_body = UpdateKeyResult,
    params(("id" = KeyResultId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_key_result(
    Caller(app): Caller,
    ApiPath(id): ApiPath<KeyResultId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateKeyResult>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let view = app.update_key_result(id, version, body).await?;
    Ok(with_etag(view.version, view))
}

#[utoipa::path(get, path = "/key-results/{id}/check-ins", tag = "key-results", params(("id" = KeyResultId, Path), Paging),
    responses((status = 200, body = ListPage<CheckInView>, description = "Newest first"), (status = 404, body = ErrorBody)))]
async fn list_check_ins(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ListPage<CheckInView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.list_check_ins(id, page).await?))
}

#[utoipa::path(post, path = "/key-results/{id}/check-ins", tag = "key-results", request_body = RecordCheckIn,
    description = "Records the key result's current value with a confidence and the next move; the key result's \
                   score, its objective's score and the roll-ups it contributes to are updated in the same transaction.",
    params(("id" = KeyResultId, Path)),
    responses((status = 201, body = CheckInRecorded), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The cycle is closed"), (status = 422, body = ErrorBody)))]
async fn record_check_in(
    Caller(app): Caller,
    ApiPath(id): ApiPath<KeyResultId>,
    ApiJson(body): ApiJson<RecordCheckIn>,
) -> ApiResult<Response> {
    let recorded = app.record_check_in(id, body).await?;
    Ok(created(recorded.key_result.version, recorded))
}

#[utoipa::path(post, path = "/key-results/{id}/kill", tag = "key-results", request_body = Kill,
    description = "Stops a key result mid-cycle with a written reason; it leaves the objective's score.",
    params(("id" = KeyResultId, Path), ("If-Match" = Option<String>, Header, description = "Version seen (optional)")),
    responses((status = 200, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn kill_key_result(
    Caller(app): Caller,
    ApiPath(id): ApiPath<KeyResultId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<Kill>,
) -> ApiResult<Response> {
    let view = app.kill_key_result(id, if_match.0, body).await?;
    Ok(with_etag(view.version, view))
}

#[utoipa::path(post, path = "/key-results/{id}/carry-forward", tag = "key-results", request_body(content = Option<CarryForward>),
    description = "Carries the key result into the next cycle (the first that starts after its cycle ends): the \
                   objective with the same key there (made as a draft when missing) gets a copy from the value \
                   reached to the same target. While the cycle runs the original also leaves its score; after the \
                   cycle closed its grade stays. `carried_to` names the copy.",
    params(("id" = KeyResultId, Path), ("If-Match" = Option<String>, Header, description = "Version seen (optional)")),
    responses((status = 200, body = KeyResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn carry_forward(
    Caller(app): Caller,
    ApiPath(id): ApiPath<KeyResultId>,
    if_match: IfMatch,
    body: Option<ApiJson<CarryForward>>,
) -> ApiResult<Response> {
    let view = app.carry_forward(id, if_match.or(body.and_then(|b| b.0.version))).await?;
    Ok(with_etag(view.version, view))
}

#[utoipa::path(get, path = "/key-results/{id}/stretch-targets", tag = "key-results",
    description = "For a key result linked to a KPI: mean + 1 / 1.5 / 2 sd of the KPI's recent history (mean − … when lower is better).",
    params(("id" = KeyResultId, Path)),
    responses((status = 200, body = StretchView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn key_result_stretch_targets(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<KeyResultId>,
) -> ApiResult<Json<StretchView>> {
    Ok(Json(state.app.key_result_stretch_targets(id).await?))
}
