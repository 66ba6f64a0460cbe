//! Objectives: qualitative, scored from their key results, shown with colour and pace.

use super::{created, or_conflict, page, resolve_cycle, resolve_unit, with_etag};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch, double_option};
use crate::views::{ListPage, ObjectiveView};

use axum::extract::State;
use axum::response::Response;
use quarterdeck_domain::ids::{CycleId, ObjectiveId, PersonId, UnitId};
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_domain::scoring::ObjectiveKind;
use quarterdeck_domain::text::{LongText, Title};
use quarterdeck_store::input::*;
use quarterdeck_store::records::{KeyResult, Objective};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_objectives, create_objective))
        .routes(routes!(get_objective, update_objective))
        .routes(routes!(change_status))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateObjective {
    /// Cycle id, or `current`.
    pub cycle_id: String,
    /// Qualitative and directional: no number in it.
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub owner_id: PersonId,
    /// The owning unit; leave out for a personal objective.
    pub unit_id: Option<UnitId>,
    #[serde(default = "aspirational")]
    pub kind: ObjectiveKind,
    /// draft or active (default).
    #[serde(default = "active")]
    pub status: ObjectiveStatus,
}

fn aspirational() -> ObjectiveKind {
    ObjectiveKind::Aspirational
}
fn active() -> ObjectiveStatus {
    ObjectiveStatus::Active
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateObjective {
    pub version: Option<i64>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub owner_id: Option<PersonId>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub unit_id: Option<Option<UnitId>>,
    pub kind: Option<ObjectiveKind>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub version: Option<i64>,
    /// active (activate or resume), paused, closed, retired.
    pub status: ObjectiveStatus,
    /// Why; required when retiring.
    pub reason: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListObjectives {
    /// Cycle id, or `current`.
    pub cycle: Option<String>,
    /// Unit id or slug.
    pub unit: Option<String>,
    pub owner: Option<PersonId>,
    pub status: Option<ObjectiveStatus>,
    pub kind: Option<ObjectiveKind>,
    /// `key_results` embeds each objective's key results.
    pub include: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/objectives", tag = "objectives", params(ListObjectives),
    responses((status = 200, body = ListPage<ObjectiveView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_objectives(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<ListObjectives>,
) -> ApiResult<Response> {
    let key = format!("objectives?{}", uri.query().unwrap_or_default());
    crate::cache::cached_json(&state.clone(), key, &headers, || render_objectives(state, q)).await
}

async fn render_objectives(state: AppState, q: ListObjectives) -> ApiResult<ListPage<ObjectiveView>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let with_krs = match q.include.as_deref() {
        None | Some("") => false,
        Some("key_results") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("include: '{other}' is not one of: key_results"),
            )
            .with_field("include"));
        }
    };
    let cycle_id = match q.cycle.as_deref() {
        Some(c) => Some(resolve_cycle(&state, "cycle", c).await?),
        None => None,
    };
    let unit_id = match q.unit.as_deref() {
        Some(u) => Some(resolve_unit(&state, "unit", u).await?),
        None => None,
    };
    let filter = ObjectiveFilter { cycle_id, unit_id, owner_id: q.owner, status: q.status, kind: q.kind };
    let objectives = state.store.list_objectives(filter, page).await?;
    let mut krs = if with_krs { group_key_results(&state, &objectives.items).await? } else { HashMap::new() };
    let today = state.today();
    Ok(objectives
        .map(|o| {
            let own = if with_krs { Some(krs.remove(&o.id).unwrap_or_default()) } else { None };
            ObjectiveView::new(o, own, &state.policy, today)
        })
        .into())
}

async fn group_key_results(
    state: &AppState,
    objectives: &[Objective],
) -> ApiResult<HashMap<ObjectiveId, Vec<KeyResult>>> {
    let ids: Vec<ObjectiveId> = objectives.iter().map(|o| o.id).collect();
    let mut grouped: HashMap<ObjectiveId, Vec<KeyResult>> = HashMap::new();
    for kr in state.store.key_results_of(&ids).await? {
        grouped.entry(kr.objective_id).or_default().push(kr);
    }
    Ok(grouped)
}

pub(crate) async fn objective_view(state: &AppState, id: ObjectiveId) -> ApiResult<ObjectiveView> {
    let objective = state.store.get_objective(id).await?;
    let krs = state.store.key_results_of(&[id]).await?;
    Ok(ObjectiveView::new(objective, Some(krs), &state.policy, state.today()))
}

#[utoipa::path(post, path = "/objectives", tag = "objectives", request_body = CreateObjective,
    responses((status = 201, body = ObjectiveView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_objective(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateObjective>,
) -> ApiResult<Response> {
    let cycle_id: CycleId = resolve_cycle(&state, "cycle_id", &body.cycle_id).await?;
    let new = NewObjective {
        cycle_id,
        title: Title::parse("title", &body.title)?,
        description: LongText::parse("description", &body.description)?,
        owner_id: body.owner_id,
        unit_id: body.unit_id,
        kind: body.kind,
        status: body.status,
    };
    let objective = state.store.create_objective(new).await?;
    let view = ObjectiveView::new(objective, Some(Vec::new()), &state.policy, state.today());
    Ok(created(view.objective.version, view))
}

#[utoipa::path(get, path = "/objectives/{id}", tag = "objectives", params(("id" = ObjectiveId, Path)),
    responses((status = 200, body = ObjectiveView, description = "With its key results"), (status = 404, body = ErrorBody)))]
async fn get_objective(State(state): State<AppState>, ApiPath(id): ApiPath<ObjectiveId>) -> ApiResult<Response> {
    let view = objective_view(&state, id).await?;
    Ok(with_etag(view.objective.version, view))
}

#[utoipa::path(patch, path = "/objectives/{id}", tag = "objectives", request_body = UpdateObjective,
    params(("id" = ObjectiveId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = ObjectiveView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_objective(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ObjectiveId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateObjective>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let patch = ObjectivePatch {
        title: body.title.as_deref().map(|t| Title::parse("title", t)).transpose()?,
        description: body.description.as_deref().map(|d| LongText::parse("description", d)).transpose()?,
        owner_id: body.owner_id,
        unit_id: body.unit_id,
        kind: body.kind,
    };
    or_conflict(state.store.update_objective(id, version, patch).await, state.store.get_objective(id)).await?;
    let view = objective_view(&state, id).await?;
    Ok(with_etag(view.objective.version, view))
}

#[utoipa::path(post, path = "/objectives/{id}/status", tag = "objectives", request_body = StatusChange,
    description = "Activate, pause, resume (status active), close or retire (with a reason) an objective.",
    params(("id" = ObjectiveId, Path), ("If-Match" = Option<String>, Header, description = "Version seen (optional)")),
    responses((status = 200, body = ObjectiveView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_status(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ObjectiveId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<StatusChange>,
) -> ApiResult<Response> {
    let version = if_match.0.or(body.version);
    let reason = body.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if let Some(r) = &reason {
        quarterdeck_domain::text::Reason::parse("reason", r)?;
    }
    or_conflict(
        state.store.set_objective_status(id, version, body.status, reason).await,
        state.store.get_objective(id),
    )
    .await?;
    let view = objective_view(&state, id).await?;
    Ok(with_etag(view.objective.version, view))
}
