//! The feed of domain events for integrations: read with `after` = the last `next_cursor`.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::State;
use quarterdeck_app::journal::EventFeed;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListEvents {
    /// The `next_cursor` of the previous read; leave out to start from the first event.
    pub after: Option<String>,
    /// 1–1000, default 100.
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/events", tag = "audit", params(ListEvents),
    description = "Domain events (check_in_recorded, objective_paused, guardrail_tripped, …), oldest first. \
                   Keep `next_cursor` and pass it back as `after`: no event is ever skipped, even with \
                   several servers writing at once.",
    responses((status = 200, body = EventFeed), (status = 400, body = ErrorBody)))]
async fn list_events(State(state): State<AppState>, ApiQuery(q): ApiQuery<ListEvents>) -> ApiResult<Json<EventFeed>> {
    Ok(Json(state.app.events_after(q.after.as_deref(), q.limit).await?))
}
