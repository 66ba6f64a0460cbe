//! Initiatives: projects, experiments and tasks under a key result. Tracked, never scored.

use super::{created, or_conflict, page, with_etag};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch, double_option};
use crate::views::ListPage;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_domain::ids::{InitiativeId, KeyResultId, PersonId};
use quarterdeck_domain::okr::{InitiativeKind, InitiativeStatus};
use quarterdeck_domain::text::Title;
use quarterdeck_store::input::*;
use quarterdeck_store::records::Initiative;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_initiatives, create_initiative))
        .routes(routes!(get_initiative, update_initiative))
}

const MAX_LINK: usize = 2000;

fn link(raw: Option<String>) -> ApiResult<Option<String>> {
    let Some(raw) = raw.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    if raw.len() > MAX_LINK {
        return Err(ApiError::unprocessable("too_long", "link", format!("link is longer than {MAX_LINK} characters")));
    }
    if !(raw.starts_with("https://") || raw.starts_with("http://")) || raw.contains(char::is_whitespace) {
        return Err(ApiError::unprocessable("invalid_link", "link", "link must be an http:// or https:// address"));
    }
    Ok(Some(raw))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInitiative {
    pub key_result_id: KeyResultId,
    pub title: String,
    #[serde(default = "project")]
    pub kind: InitiativeKind,
    #[serde(default = "planned")]
    pub status: InitiativeStatus,
    pub owner_id: Option<PersonId>,
    /// Where the work is tracked (issue, board, document).
    pub link: Option<String>,
}

fn project() -> InitiativeKind {
    InitiativeKind::Project
}
fn planned() -> InitiativeStatus {
    InitiativeStatus::Planned
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInitiative {
    pub version: Option<i64>,
    pub title: Option<String>,
    pub kind: Option<InitiativeKind>,
    pub status: Option<InitiativeStatus>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<Option<PersonId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub link: Option<Option<String>>,
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
    responses((status = 200, body = ListPage<Initiative>), (status = 400, body = ErrorBody)))]
async fn list_initiatives(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListInitiatives>,
) -> ApiResult<Json<ListPage<Initiative>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let filter = InitiativeFilter { key_result_id: q.key_result, owner_id: q.owner };
    Ok(Json(state.store.list_initiatives(filter, page).await?.into()))
}

#[utoipa::path(post, path = "/initiatives", tag = "key-results", request_body = CreateInitiative,
    responses((status = 201, body = Initiative), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_initiative(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateInitiative>,
) -> ApiResult<Response> {
    let new = NewInitiative {
        key_result_id: body.key_result_id,
        title: Title::parse("title", &body.title)?,
        kind: body.kind,
        status: body.status,
        owner_id: body.owner_id,
        link: link(body.link)?,
    };
    let initiative = state.store.create_initiative(new).await?;
    Ok(created(initiative.version, initiative))
}

#[utoipa::path(get, path = "/initiatives/{id}", tag = "key-results", params(("id" = InitiativeId, Path)),
    responses((status = 200, body = Initiative), (status = 404, body = ErrorBody)))]
async fn get_initiative(State(state): State<AppState>, ApiPath(id): ApiPath<InitiativeId>) -> ApiResult<Response> {
    let initiative = state.store.get_initiative(id).await?;
    Ok(with_etag(initiative.version, initiative))
}

#[utoipa::path(patch, path = "/initiatives/{id}", tag = "key-results", request_body = UpdateInitiative,
    params(("id" = InitiativeId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = Initiative), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_initiative(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<InitiativeId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateInitiative>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let patch = InitiativePatch {
        title: body.title.as_deref().map(|t| Title::parse("title", t)).transpose()?,
        kind: body.kind,
        status: body.status,
        owner_id: body.owner_id,
        link: match body.link {
            Some(l) => Some(link(l)?),
            None => None,
        },
    };
    let initiative =
        or_conflict(state.store.update_initiative(id, version, patch).await, state.store.get_initiative(id)).await?;
    Ok(with_etag(initiative.version, initiative))
}
