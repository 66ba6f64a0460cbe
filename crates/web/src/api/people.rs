//! People of the organisation.

use super::{created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::org::{CreatePerson, UpdatePerson};
use quarterdeck_app::views::PersonView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::ids::PersonId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_people, create_person)).routes(routes!(get_person, update_person))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPeople {
    /// Unit id or slug.
    pub unit: Option<String>,
    pub manager: Option<PersonId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/people", tag = "organisation", params(ListPeople),
    responses((status = 200, body = ListPage<PersonView>), (status = 400, body = ErrorBody)))]
async fn list_people(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListPeople>,
) -> ApiResult<Json<ListPage<PersonView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.list_people(q.unit.as_deref(), q.manager, page).await?))
}

#[utoipa::path(post, path = "/people", tag = "organisation", request_body = CreatePerson,
    responses((status = 201, body = PersonView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_person(Caller(app): Caller, ApiJson(body): ApiJson<CreatePerson>) -> ApiResult<Response> {
    let person = app.create_person(body).await?;
    Ok(created(person.version, person))
}

#[utoipa::path(get, path = "/people/{id}", tag = "organisation", params(("id" = PersonId, Path)),
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody)))]
async fn get_person(State(state): State<AppState>, ApiPath(id): ApiPath<PersonId>) -> ApiResult<Response> {
    let person = state.app.get_person(id).await?;
    Ok(with_etag(person.version, person))
}

#[utoipa::path(patch, path = "/people/{id}", tag = "organisation", request_body = UpdatePerson,
    params(("id" = PersonId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = PersonView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_person(
    Caller(app): Caller,
    ApiPath(id): ApiPath<PersonId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdatePerson>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let person = app.update_person(id, version, body).await?;
    Ok(with_etag(person.version, person))
}
