//! Edges of KPI driver trees: a parent KPI driven by a child, scored for influence and confidence.

use super::created;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use axum::http::StatusCode;
use axum::response::Response;
use quarterdeck_app::kpi_links::CreateEdge;
use quarterdeck_app::views::KpiEdgeView;
use quarterdeck_domain::ids::KpiEdgeId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_edge)).routes(routes!(delete_edge))
}

#[utoipa::path(post, path = "/kpi-edges", tag = "kpis", request_body = CreateEdge,
    responses((status = 201, body = KpiEdgeView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_edge(Caller(app): Caller, ApiJson(body): ApiJson<CreateEdge>) -> ApiResult<Response> {
    let edge = app.create_kpi_edge(body).await?;
    Ok(created(edge.version, edge))
}

#[utoipa::path(delete, path = "/kpi-edges/{id}", tag = "kpis", params(("id" = KpiEdgeId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_edge(Caller(app): Caller, ApiPath(id): ApiPath<KpiEdgeId>) -> ApiResult<StatusCode> {
    app.delete_kpi_edge(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
