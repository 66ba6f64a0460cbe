//! Guardrails on objectives: while the KPI breaches its threshold, the objective is paused.

use super::created;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use quarterdeck_app::kpi_links::LinkGuardrail;
use quarterdeck_app::views::GuardrailLinkView;
use quarterdeck_app::views::GuardrailLinked;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::ids::{GuardrailLinkId, KpiId, ObjectiveId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_guardrail_links, link_guardrail)).routes(routes!(unlink_guardrail))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListLinks {
    pub kpi: Option<KpiId>,
    pub objective: Option<ObjectiveId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/guardrail-links", tag = "kpis", params(ListLinks), responses((status = 200, body = ListPage<GuardrailLinkView>)))]
async fn list_guardrail_links(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListLinks>,
) -> ApiResult<Json<ListPage<GuardrailLinkView>>> {
    Ok(Json(state.app.list_guardrail_links(q.kpi, q.objective, page(q.limit, q.cursor.as_deref())?).await?))
}

#[utoipa::path(post, path = "/guardrail-links", tag = "kpis", request_body = LinkGuardrail,
    description = "Links a guardrail KPI to an objective. While the guardrail's latest period breaches its threshold, \
                   the objective is paused; when it recovers, the objective resumes.",
    responses((status = 201, body = GuardrailLinked), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn link_guardrail(Caller(app): Caller, ApiJson(body): ApiJson<LinkGuardrail>) -> ApiResult<Response> {
    let linked = app.link_guardrail(body).await?;
    Ok(created(1, linked))
}

#[utoipa::path(delete, path = "/guardrail-links/{id}", tag = "kpis", params(("id" = GuardrailLinkId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unlink_guardrail(Caller(app): Caller, ApiPath(id): ApiPath<GuardrailLinkId>) -> ApiResult<StatusCode> {
    app.unlink_guardrail(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
