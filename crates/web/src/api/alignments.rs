//! The alignment graph: an objective aligns to parent objectives or parent key results.

use super::created;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use quarterdeck_app::alignments::CreateAlignment;
use quarterdeck_app::views::AlignmentView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::ids::{AlignmentId, ObjectiveId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_alignments, create_alignment)).routes(routes!(delete_alignment))
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
    responses((status = 200, body = ListPage<AlignmentView>), (status = 400, body = ErrorBody)))]
async fn list_alignments(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListAlignments>,
) -> ApiResult<Json<ListPage<AlignmentView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(state.app.list_alignments(q.child, q.parent, page).await?))
}

#[utoipa::path(post, path = "/alignments", tag = "alignment", request_body = CreateAlignment,
    responses((status = 201, body = AlignmentView), (status = 409, body = ErrorBody, description = "Already linked"),
        (status = 422, body = ErrorBody, description = "Unknown ids, or the link would make a loop")))]
async fn create_alignment(Caller(app): Caller, ApiJson(body): ApiJson<CreateAlignment>) -> ApiResult<Response> {
    let alignment = app.create_alignment(body).await?;
    Ok(created(alignment.version, alignment))
}

#[utoipa::path(delete, path = "/alignments/{id}", tag = "alignment", params(("id" = AlignmentId, Path)),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_alignment(Caller(app): Caller, ApiPath(id): ApiPath<AlignmentId>) -> ApiResult<StatusCode> {
    app.delete_alignment(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
