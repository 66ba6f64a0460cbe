//! Objectives: qualitative, scored from their key results, shown with colour and pace.

use super::{AsOf, Paging, created, with_etag};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use quarterdeck_app::objectives::{CreateObjective, ObjectiveQuery, StatusChange, UpdateObjective};
use quarterdeck_app::views::AuditEntryView;
use quarterdeck_app::views::ObjectiveView;
use quarterdeck_app::{AppError, ListPage, page};
use quarterdeck_domain::ids::{ObjectiveId, PersonId};
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_domain::scoring::ObjectiveKind;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_objectives, create_objective))
        .routes(routes!(get_objective, update_objective))
        .routes(routes!(change_status))
        .routes(routes!(objective_history))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListObjectives {
    /// Cycle id, or `current`.
    pub cycle: Option<String>,
    /// Unit id or slug.
    pub unit: Option<String>,
    /// The objective's key within its cycle (with `cycle`).
    pub key: Option<String>,
    pub owner: Option<PersonId>,
    pub status: Option<ObjectiveStatus>,
    pub kind: Option<ObjectiveKind>,
    /// `true`: only objectives aligned to a parent; `false`: only those aligned to nothing
    /// (the company's own objectives and the orphans).
    pub aligned: Option<bool>,
    /// `key_results` embeds each objective's key results.
    pub include: Option<String>,
    /// A past moment (RFC 3339): the objectives as they stood then, from the audit trail.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
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
    // The request is read before anything else (the page cache asks the store first).
    let page = page(q.limit, q.cursor.as_deref())?;
    let with_key_results = match q.include.as_deref() {
        None | Some("") => false,
        Some("key_results") => true,
        Some(other) => {
            return Err(AppError::bad_query(
                "include",
                format!("include: '{}' is not one of: key_results", other.escape_debug()),
            )
            .into());
        }
    };
    let key = format!("objectives?{}", uri.query().unwrap_or_default());
    // A page as of a past moment never changes (the trail is append-only): it caches too.
    crate::cache::cached_json(&state.clone(), key, &headers, || async move {
        let query = ObjectiveQuery {
            cycle: q.cycle,
            unit: q.unit,
            key: q.key,
            owner: q.owner,
            status: q.status,
            kind: q.kind,
            with_key_results,
            aligned: q.aligned,
        };
        match q.as_of {
            Some(at) => state.app.list_objectives_as_of(query, page, at).await,
            None => state.app.list_objectives(query, page).await,
        }
    })
    .await
}

#[utoipa::path(post, path = "/objectives", tag = "objectives", request_body = CreateObjective,
    responses((status = 201, body = ObjectiveView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_objective(Caller(app): Caller, ApiJson(body): ApiJson<CreateObjective>) -> ApiResult<Response> {
    let view = app.create_objective(body).await?;
    Ok(created(view.version, view))
}

#[utoipa::path(get, path = "/objectives/{id}", tag = "objectives", params(("id" = ObjectiveId, Path), AsOf),
    responses((status = 200, body = ObjectiveView, description = "With its key results"), (status = 404, body = ErrorBody)))]
async fn get_objective(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ObjectiveId>,
    ApiQuery(q): ApiQuery<AsOf>,
) -> ApiResult<Response> {
    let view = match q.as_of {
        Some(at) => state.app.get_objective_as_of(id, at).await?,
        None => state.app.get_objective(id).await?,
    };
    Ok(with_etag(view.version, view))
}

#[utoipa::path(get, path = "/objectives/{id}/history", tag = "objectives", params(("id" = ObjectiveId, Path), Paging),
    description = "The objective's audit rows, newest first: each write with its actor, before and after.",
    responses((status = 200, body = ListPage<AuditEntryView>), (status = 404, body = ErrorBody)))]
async fn objective_history(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ObjectiveId>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ListPage<AuditEntryView>>> {
    state.app.get_objective(id).await?;
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.history("objective", &id.to_string(), page).await?))
}

#[utoipa::path(patch, path = "/objectives/{id}", tag = "objectives", request_body = UpdateObjective,
    params(("id" = ObjectiveId, Path), ("If-Match" = Option<String>, Header, description = "Version edited")),
    responses((status = 200, body = ObjectiveView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn update_objective(
    Caller(app): Caller,
    ApiPath(id): ApiPath<ObjectiveId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<UpdateObjective>,
) -> ApiResult<Response> {
    let version = if_match.require(body.version)?;
    let view = app.update_objective(id, version, body).await?;
    Ok(with_etag(view.version, view))
}

#[utoipa::path(post, path = "/objectives/{id}/status", tag = "objectives", request_body = StatusChange,
    description = "Activate, pause, resume (status active), close or retire (with a reason) an objective.",
    params(("id" = ObjectiveId, Path), ("If-Match" = Option<String>, Header, description = "Version seen (optional)")),
    responses((status = 200, body = ObjectiveView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_status(
    Caller(app): Caller,
    ApiPath(id): ApiPath<ObjectiveId>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<StatusChange>,
) -> ApiResult<Response> {
    let view = app.change_objective_status(id, if_match.0, body).await?;
    Ok(with_etag(view.version, view))
}
