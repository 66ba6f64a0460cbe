//! Units (company → departments → teams) and people.

use super::{created, or_conflict, page, resolve_unit, with_etag};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch, double_option};
use crate::views::ListPage;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_domain::UnitKind;
use quarterdeck_domain::ids::{PersonId, UnitId};
use quarterdeck_domain::text::{Email, Name, Slug};
use quarterdeck_store::input::*;
use quarterdeck_store::records::{Person, Unit};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, update_unit))
        .routes(routes!(list_people, create_person))
        .routes(routes!(get_person, update_person))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    pub name: String,
    /// Natural key; derived from the name when left out.
    pub slug: Option<String>,
    #[serde(default = "team")]
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
}

fn team() -> UnitKind {
    UnitKind::Team
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    /// The version edited (or send If-Match).
    pub version: Option<i64>,
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    /// `null` moves the unit to the top of the tree.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<Option<UnitId>>,
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
    responses((status = 200, body = ListPage<Unit>), (status = 400, body = ErrorBody)))]
async fn list_units(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListUnits>,
) -> ApiResult<Json<ListPage<Unit>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let parent_id = match q.parent.as_deref() {
        Some(p) => Some(resolve_unit(&state, "parent", p).await?),
        None => None,
    };
    Ok(Json(state.store.list_units(UnitFilter { parent_id, kind: q.kind }, page).await?.into()))
}

#[utoipa::path(post, path = "/units", tag = "organisation", request_body = CreateUnit,
    responses((status = 201, body = Unit), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_unit(State(state): State<AppState>, ApiJson(body): ApiJson<CreateUnit>) -> ApiResult<Response> {
    let name = Name::parse("name", &body.name)?;
    let slug = match body.slug.as_deref() {
        Some(s) => Slug::parse("slug", s)?,
        None => Slug::from_name(name.as_str()).ok_or_else(|| {
            ApiError::unprocessable("invalid_slug", "slug", "no slug can be made from this name; give one")
        })?,
    };
    let unit = state.store.create_unit(NewUnit { slug, name, kind: body.kind, parent_id: body.parent_id }).await?;
    Ok(created(unit.version, unit))
}

#[utoipa::path(get, path = "/units/{id}", tag = "organisation", params(("id" = String, Path, description = "Unit id or slug")),
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody)))]
async fn get_unit(State(state): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let id = resolve_unit(&state, "id", &id).await?;
    let unit = state.store.get_unit(id).await?;
    Ok(with_etag(unit.version, unit))
}

#[utoipa::path(patch, path = "/units/{id}", tag = "organisation", request_body = UpdateUnit,
    params(("id" = String, Path, description = "Unit id or slug"), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = Unit), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_unit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateUnit>,
) -> ApiResult<Response> {
    let id = resolve_unit(&state, "id", &id).await?;
    let version = if_match.require(body.version)?;
    let patch = UnitPatch {
        name: body.name.as_deref().map(|n| Name::parse("name", n)).transpose()?,
        kind: body.kind,
        parent_id: body.parent_id,
    };
    let unit = or_conflict(state.store.update_unit(id, version, patch).await, state.store.get_unit(id)).await?;
    Ok(with_etag(unit.version, unit))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePerson {
    pub name: String,
    pub email: String,
    pub unit_id: Option<UnitId>,
    pub manager_id: Option<PersonId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePerson {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub unit_id: Option<Option<UnitId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub manager_id: Option<Option<PersonId>>,
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
    responses((status = 200, body = ListPage<Person>), (status = 400, body = ErrorBody)))]
async fn list_people(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListPeople>,
) -> ApiResult<Json<ListPage<Person>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let unit_id = match q.unit.as_deref() {
        Some(u) => Some(resolve_unit(&state, "unit", u).await?),
        None => None,
    };
    Ok(Json(state.store.list_people(PersonFilter { unit_id, manager_id: q.manager }, page).await?.into()))
}

#[utoipa::path(post, path = "/people", tag = "organisation", request_body = CreatePerson,
    responses((status = 201, body = Person), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_person(State(state): State<AppState>, ApiJson(body): ApiJson<CreatePerson>) -> ApiResult<Response> {
    let new = NewPerson {
        name: Name::parse("name", &body.name)?,
        email: Email::parse("email", &body.email)?,
        unit_id: body.unit_id,
        manager_id: body.manager_id,
    };
    let person = state.store.create_person(new).await?;
    Ok(created(person.version, person))
}

#[utoipa::path(get, path = "/people/{id}", tag = "organisation", params(("id" = PersonId, Path)),
    responses((status = 200, body = Person), (status = 404, body = ErrorBody)))]
async fn get_person(State(state): State<AppState>, ApiPath(id): ApiPath<PersonId>) -> ApiResult<Response> {
    let person = state.store.get_person(id).await?;
    Ok(with_etag(person.version, person))
}

#[utoipa::path(patch, path = "/people/{id}", tag = "organisation", request_body = UpdatePerson,
    params(("id" = PersonId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = Person), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_person(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<PersonId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdatePerson>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let patch = PersonPatch {
        name: body.name.as_deref().map(|n| Name::parse("name", n)).transpose()?,
        email: body.email.as_deref().map(|e| Email::parse("email", e)).transpose()?,
        unit_id: body.unit_id,
        manager_id: body.manager_id,
    };
    let person = or_conflict(state.store.update_person(id, version, patch).await, state.store.get_person(id)).await?;
    Ok(with_etag(person.version, person))
}
