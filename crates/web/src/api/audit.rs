//! The audit trail: every write, who made it, and the record before and after. Append-only:
//! there is no endpoint that edits or deletes it.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use quarterdeck_app::journal::AuditQuery;
use quarterdeck_app::views::AuditEntryView;
use quarterdeck_app::{ListPage, page};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAudit {
    /// `unit`, `person`, `cycle`, `objective`, `alignment`, `key_result`, `initiative`, `kpi`, `kpi_edge`, `kra`,
    /// `guardrail_link`, `data_source`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// The actor's kind (`person`, `api`, `cli`, `job`, `guardrail`, `import`), optionally `kind:id`.
    pub actor: Option<String>,
    /// From this time (RFC 3339), inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Up to this time, inclusive.
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/audit", tag = "audit", params(ListAudit),
    description = "Audit rows, newest first: every write with its actor and the record before and after.",
    responses((status = 200, body = ListPage<AuditEntryView>), (status = 400, body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListAudit>,
) -> ApiResult<Json<ListPage<AuditEntryView>>> {
    let page = page(q.limit, q.cursor.as_deref())?;
    let query = AuditQuery { entity: q.entity, entity_id: q.entity_id, actor: q.actor, from: q.from, to: q.to };
    Ok(Json(state.app.list_audit(query, page).await?))
}
