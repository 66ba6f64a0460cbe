//! The alignment graph: an objective aligns to parent objectives or parent key results.

use super::{created, page};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::views::ListPage;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use quarterdeck_domain::alignment::LinkKind;
use quarterdeck_domain::ids::{AlignmentId, KeyResultId, ObjectiveId};
use quarterdeck_domain::scoring::Weight;
use quarterdeck_store::input::*;
use quarterdeck_store::records::Alignment;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_alignments, create_alignment)).routes(routes!(delete_alignment))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlignment {
    /// The aligning objective.
    pub child_id: ObjectiveId,
    /// Align to this objective …
    pub parent_objective_id: Option<ObjectiveId>,
    /// … or to this key result (a parent's key result can be the child's objective).
    pub parent_key_result_id: Option<KeyResultId>,
    /// contributes (counted in the parent's roll-up, default) or supports (shown only).
    #[serde(default = "contributes")]
    pub kind: LinkKind,
    /// Weight in the parent's roll-up; default 1.
    #[serde(default = "one")]
    pub weight: f64,
}

fn contributes() -> LinkKind {
    LinkKind::Contributes
}
fn one() -> f64 {
    1.0
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAlignments {
    /// Links of this child objective (its parents).
    pub child: Option<ObjectiveId>,
    /// Links into this parent objective (its children).
    pub parent: Option<ObjectiveId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/alignments", tag = "alignment", params(ListAlignments),
    responses((status = 200, body = ListPage<Alignment>), (status = 400, body = ErrorBody)))]
async fn list_alignments(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListAlignments>,
) -> ApiResult<Json<ListPage<Alignment>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let filter = AlignmentFilter { child_id: q.child, parent_objective_id: q.parent };
    Ok(Json(state.store.list_alignments(filter, page).await?.into()))
}

#[utoipa::path(post, path = "/alignments", tag = "alignment", request_body = CreateAlignment,
    responses((status = 201, body = Alignment), (status = 409, body = ErrorBody, description = "Already linked"),
        (status = 422, body = ErrorBody, description = "Unknown ids, or the link would make a loop")))]
async fn create_alignment(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateAlignment>,
) -> ApiResult<Response> {
    let parent = match (body.parent_objective_id, body.parent_key_result_id) {
        (Some(o), None) => AlignmentTarget::Objective(o),
        (None, Some(k)) => AlignmentTarget::KeyResult(k),
        _ => {
            return Err(ApiError::unprocessable(
                "alignment_parent",
                "parent_objective_id",
                "give exactly one of parent_objective_id and parent_key_result_id",
            ));
        }
    };
    let new =
        NewAlignment { child_id: body.child_id, parent, kind: body.kind, weight: Weight::new("weight", body.weight)? };
    let alignment = state.store.create_alignment(new).await?;
    Ok(created(alignment.version, alignment))
}

#[utoipa::path(delete, path = "/alignments/{id}", tag = "alignment", params(("id" = AlignmentId, Path)),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_alignment(State(state): State<AppState>, ApiPath(id): ApiPath<AlignmentId>) -> ApiResult<StatusCode> {
    state.store.delete_alignment(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
