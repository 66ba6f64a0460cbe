//! Initiatives: projects, experiments and tasks under a key result. Tracked, never scored.

use super::{created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::initiatives::{CreateInitiative, UpdateInitiative};
use quarterdeck_app::views::InitiativeView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::ids::{InitiativeId, KeyResultId, PersonId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_initiatives, create_initiative))
        .routes(routes!(get_initiative, update_initiative))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListInitiatives {
    pub key_result: Option<KeyResultId>,
    pub owner: Option<PersonId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/initiatives", tag = "key-results", params(ListInitiatives),
    responses((status = 200, body = ListPage<InitiativeView>), (status = 400, body = ErrorBody)))]
async fn list_initiatives(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListInitiatives>,
) -> ApiResult<Json<ListPage<InitiativeView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.list_initiatives(q.key_result, q.owner, page).await?))
}

#[utoipa::path(post, path = "/initiatives", tag = "key-results", request_body = CreateInitiative,
    responses((status = 201, body = InitiativeView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_initiative(Caller(app): Caller, ApiJson(body): ApiJson<CreateInitiative>) -> ApiResult<Response> {
    let initiative = app.create_initiative(body).await?;
    Ok(created(initiative.version, initiative))
}

#[utoipa::path(get, path = "/initiatives/{id}", tag = "key-results", params(("id" = InitiativeId, Path)),
    responses((status = 200, body = InitiativeView), (status = 404, body = ErrorBody)))]
async fn get_initiative(State(state): State<AppState>, ApiPath(id): ApiPath<InitiativeId>) -> ApiResult<Response> {
    let initiative = state.app.get_initiative(id).await?;
    Ok(with_etag(initiative.version, initiative))
}

#[utoipa::path(patch, path = "/initiatives/{id}", tag = "key-results", request_body = UpdateInitiative,
    params(("id" = InitiativeId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = InitiativeView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_initiative(
    Caller(app): Caller,
    ApiPath(id): ApiPath<InitiativeId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateInitiative>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let initiative = app.update_initiative(id, version, body).await?;
    Ok(with_etag(initiative.version, initiative))
}
