//! Live data sources: a SQL query on an external database or an HTTP JSON endpoint, pulled
//! on a schedule into a KPI. Connection strings and header values stay on the server.

use super::created;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use quarterdeck_app::sources::{CreateSource, RunResult};
use quarterdeck_app::views::DataSourceView;
use quarterdeck_app::{ListPage, page};
use quarterdeck_domain::ids::{DataSourceId, KpiId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sources, create_source))
        .routes(routes!(get_source, delete_source))
        .routes(routes!(run_source))
}

#[utoipa::path(post, path = "/data-sources", tag = "kpis", request_body = CreateSource,
    responses((status = 201, body = DataSourceView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_source(Caller(app): Caller, ApiJson(body): ApiJson<CreateSource>) -> ApiResult<Response> {
    let source = app.create_data_source(body).await?;
    Ok(created(source.version, source))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListSources {
    pub kpi: Option<KpiId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/data-sources", tag = "kpis", params(ListSources), responses((status = 200, body = ListPage<DataSourceView>)))]
async fn list_sources(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListSources>,
) -> ApiResult<Json<ListPage<DataSourceView>>> {
    Ok(Json(state.app.list_data_sources(q.kpi, page(q.limit, q.cursor.as_deref())?).await?))
}

#[utoipa::path(get, path = "/data-sources/{id}", tag = "kpis", params(("id" = DataSourceId, Path)),
    responses((status = 200, body = DataSourceView), (status = 404, body = ErrorBody)))]
async fn get_source(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<DataSourceId>,
) -> ApiResult<Json<DataSourceView>> {
    Ok(Json(state.app.get_data_source(id).await?))
}

#[utoipa::path(delete, path = "/data-sources/{id}", tag = "kpis", params(("id" = DataSourceId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_source(Caller(app): Caller, ApiPath(id): ApiPath<DataSourceId>) -> ApiResult<StatusCode> {
    app.delete_data_source(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/data-sources/{id}/run", tag = "kpis",
    description = "Runs the source now, whatever its schedule, and answers with what it pulled or why it failed.",
    params(("id" = DataSourceId, Path)),
    responses((status = 200, body = RunResult), (status = 404, body = ErrorBody)))]
async fn run_source(Caller(app): Caller, ApiPath(id): ApiPath<DataSourceId>) -> ApiResult<Json<RunResult>> {
    Ok(Json(app.run_data_source(id).await?))
}
